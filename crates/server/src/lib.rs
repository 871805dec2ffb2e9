//! The larkfeed server: the Feishu Open Platform's IM feed-card, chat and message APIs, served
//! with the platform's paths, token auth, validation rules, error codes and response shapes, on a
//! real database.
//!
//! A request flows `routes` (thin axum handlers and extractors) → `service` (the platform's
//! rules) → `store` (SQL behind the [`store::Store`] trait). The [`world::World`] says which
//! tenant, apps and users exist; the [`clock::Clock`] says what time it is.

pub mod body;
pub mod canned;
pub mod clock;
pub mod deadline;
pub mod error;
pub mod extract;
pub mod platform;
pub mod ratelimit;
pub mod routes;
pub mod service;
pub mod startup;
pub mod state;
pub mod store;
pub mod strict;
pub mod tenants;
pub mod world;

pub use startup::{Application, Config, DEFAULT_PORT};
