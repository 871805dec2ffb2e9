//! A typed async client for the Feishu (Lark) IM APIs of app feed cards, chat buttons, chats and
//! card messages. It works the same against the real platform and against a larkfeed server.
//!
//! - **Typed:** one method per endpoint, taking and returning the [`larkfeed_model`] types.
//! - **Checked before sending:** each method runs the model's validation first, so an invalid
//!   request fails locally ([`Error::Validation`]) with the field message the server would give.
//! - **Tokens:** the tenant token is fetched on first use, cached, renewed 3 minutes before it
//!   expires, and fetched once however many tasks ask at the same time. A call refused with
//!   99991663, 99991664 or 99991671 drops the token and is made once more with a new one.
//! - **Retries:** 99991400, 230020, server faults and connection errors are retried with
//!   exponential back-off and jitter, waiting as long as `x-ogw-ratelimit-reset` says; permanent
//!   errors (230001, 230011, 230031, …) never are. See [`RetryPolicy`].
//! - **Errors:** one [`Error`] keeps the platform's `code`, `msg` and `log_id`, and
//!   [`Error::is_retryable`] says whether trying again may help.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), larkfeed_client::Error> {
//! # let server = larkfeed_client::testing::TestServer::start().await;
//! # let app = &server.world().apps[0];
//! # let (my_app_id, my_app_secret, url) = (app.app_id.clone(), app.app_secret.clone(), server.base_url().to_string());
//! # let alice = server.open_id(0, 0);
//! use larkfeed_client::Client;
//! use larkfeed_model::feed_card::{CreateAppFeedCardRequest, Link, OpenAppFeedCard};
//! use larkfeed_model::UserIdType;
//!
//! let client = Client::builder()
//!     .app_id(my_app_id)
//!     .app_secret(my_app_secret)
//!     .base_url(url) // a larkfeed server; leave out for open.feishu.cn
//!     .build()?;
//! let card = OpenAppFeedCard {
//!     title: Some("Order 42".into()),
//!     link: Some(Link { link: Some("https://www.feishu.cn/".into()) }),
//!     ..Default::default()
//! };
//! let req = CreateAppFeedCardRequest { app_feed_card: Some(card), user_ids: Some(vec![alice]) };
//! let created = client.create_app_feed_card(&req, UserIdType::OpenId).await?;
//! assert!(created.failed_cards.is_empty());
//! # Ok(()) }
//! ```
//!
//! The method groups: feed cards, buttons and pins (`create_app_feed_card`,
//! `update_app_feed_cards`, `delete_app_feed_cards`, `update_chat_button`,
//! `set_feed_card_time_sensitive`, `set_bot_time_sensitive`); messages (`send_message`,
//! `reply_message`, `get_message`, `patch_message`, `recall_message`, `delayed_card_update`);
//! chats
//! (`create_chat`, `get_chat`, `add_chat_members`, `list_chat_members`, `is_in_chat`); tokens ([`Client::tenant_access_token`], [`Client::fetch_token`]).
//!
//! With the `testing` feature, `testing::TestServer` starts a larkfeed server inside your test
//! and hands you a `Client` pointed at it; with the `admin` feature, `admin::Admin` acts as a
//! user on a larkfeed server (clicks, messages) and waits for what follows.

#[cfg(feature = "admin")]
pub mod admin;
pub mod api;
mod client;
mod error;
mod retry;
#[cfg(feature = "testing")]
pub mod testing;

pub use client::{
    Client, ClientBuilder, Part, PreparedRequest, RawCall, FEISHU, LARK, RENEW_EARLY,
};
pub use error::Error;
pub use larkfeed_model as model;
pub use retry::RetryPolicy;
