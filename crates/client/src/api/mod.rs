//! One typed method per endpoint, grouped as the platform groups them. Every method runs the
//! `model` crate's validation first, so an invalid request fails locally with the same field
//! message the server would give, and is never sent.

mod chats;
mod feed_cards;
mod messages;
