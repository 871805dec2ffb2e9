//! Integration tests: each starts the real server on port 0 with a fresh SQLite file and talks
//! HTTP to it, as an app would.

mod bot;
mod cardkit;
mod chat_buttons;
mod chats;
mod connections;
mod envelope;
mod feed_batch;
mod feed_cards;
mod feed_view;
mod helpers;
mod history;
mod identity;
mod limits;
mod long_connection;
mod messages;
mod metrics;
mod openapi;
mod persistence;
mod platform;
mod postgres_cluster;
mod races;
mod reactions;
mod replies;
mod resources;
mod snapshots;
mod tenants;
mod time_sensitive;
mod tokens;
