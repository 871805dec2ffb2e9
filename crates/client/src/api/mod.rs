//! One typed method per endpoint, grouped as the platform groups them. Every method runs the
//! `model` crate's validation first, so an invalid request fails locally with the same field
//! message the server would give, and is never sent.

pub mod bot;
pub mod cardkit;
pub mod chats;
pub mod contact;
pub mod feed_cards;
pub mod messages;
pub mod reactions;
pub mod resources;
