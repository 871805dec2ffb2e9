//! Types and rules of the Feishu (Lark) Open Platform IM APIs that larkfeed serves and its SDK calls.
//!
//! No IO lives here: only serde types, the validation each request must pass, and the one table of
//! platform error codes. The server uses it to parse and answer; the client uses it to send, to fail
//! early with the same field messages, and to classify errors.
//!
//! - [`error`]: the error-code table ([`ErrorCode`]) and the wire envelope ([`Envelope`]).
//! - [`validate`]: [`FieldError`] (a field path and the rule it broke) and the small checks the
//!   request types share.
//! - [`ids`]: id newtypes that check their prefix once ([`ChatId`], [`MessageId`], …) and the
//!   id-type query parameters (`user_id_type`, `receive_id_type`, `member_id_type`).
//! - [`endpoint`]: one description per Open API endpoint (method, path, types, scopes, limits),
//!   read by the server's router, the SDK, the CLI and the OpenAPI document.
//! - [`token`], [`chat`], [`message`], [`feed_card`]: one module per endpoint group.
//! - [`feed`]: what one user's feed holds, for larkfeed's admin view.
//! - [`admin`]: larkfeed's own admin API (what a user does, and its answer).
//! - [`card`]: the structural check of interactive card JSON (code 230099 with a sub-code).
//! - [`cardkit`]: CardKit card entities: their requests, rules and edits (streaming text).

pub mod admin;
pub mod bot;
pub mod card;
pub mod cardkit;
pub mod chat;
pub mod contact;
pub mod endpoint;
pub mod error;
pub mod feed;
pub mod feed_card;
pub mod ids;
pub mod message;
pub mod reaction;
pub mod resource;
pub mod token;
pub mod validate;

pub use error::{Empty, Envelope, ErrorCode};
pub use ids::{
    AppId, BizId, CardId, ChatId, MemberIdType, MessageId, OpenId, ReceiveIdType, ThreadId,
    UnionId, UserId, UserIdType,
};
pub use validate::FieldError;
