//! One description per Open API endpoint: method, path template, query parameters, request and
//! answer types, scopes and rate limits. The server's router and handlers, the SDK, the CLI and
//! the OpenAPI document all read these, so an endpoint is described once and cannot drift.
//!
//! ```
//! use larkfeed_model::endpoint::{CreateAppFeedCard, Endpoint, Method};
//!
//! assert_eq!(CreateAppFeedCard::METHOD, Method::Post);
//! assert_eq!(CreateAppFeedCard::PATH, "/open-apis/im/v2/app_feed_card");
//! assert_eq!(CreateAppFeedCard::SCOPES, ["im:app_feed_card:write"]);
//! ```

use crate::validate::Checked;
use crate::{
    bot, card, cardkit, chat, contact, feed_card, message, reaction, resource, token, Empty,
    ErrorCode, FieldError,
};
use crate::{MemberIdType, ReceiveIdType, UserIdType};
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// An HTTP method an endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The method as HTTP spells it (`GET`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// A request limit of one API, per app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    Second(u32),
    Minute(u32),
}

impl Per {
    /// How many calls, in a window of how many milliseconds.
    pub const fn window(self) -> (u32, i64) {
        match self {
            Per::Second(n) => (n, 1000),
            Per::Minute(n) => (n, 60_000),
        }
    }
}

/// A query parameter an endpoint reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    /// What it takes, for documentation.
    pub about: &'static str,
}

impl Param {
    pub const fn required(name: &'static str, about: &'static str) -> Param {
        Param {
            name,
            required: true,
            about,
        }
    }

    pub const fn optional(name: &'static str, about: &'static str) -> Param {
        Param {
            name,
            required: false,
            about,
        }
    }
}

/// The query parameters of an endpoint as one type: what the server reads from the query string
/// and hands the service, what the SDK writes into the URL, and the parameters the documentation
/// lists.
pub trait Query {
    const PARAMS: &'static [Param];
    /// The parameters as the URL's query carries them, named as [`Self::PARAMS`] names them
    /// (an optional one left out is not written).
    fn pairs(&self) -> Vec<(&'static str, String)>;
}

/// `user_id_type`: the one place its name is written.
pub const USER_ID_TYPE: Param = Param::optional(
    "user_id_type",
    "open_id (default), union_id or user_id: the type of user ids in the request and the answer",
);
/// `receive_id_type`: what a message's `receive_id` is.
pub const RECEIVE_ID_TYPE: Param = Param::required(
    "receive_id_type",
    "open_id, union_id, user_id, email or chat_id: what receive_id is",
);
/// `member_id_type`: the type of a chat's member ids.
pub const MEMBER_ID_TYPE: Param = Param::optional(
    "member_id_type",
    "open_id (default), union_id, user_id or app_id",
);
/// `page_size` of a list.
pub const PAGE_SIZE: Param = Param::optional("page_size", "1 to 100, default 20");
/// `page_token`: where the next page starts.
pub const PAGE_TOKEN: Param = Param::optional("page_token", "the page_token of the previous page");
/// `reaction_type`: only reactions of this emoji type.
pub const REACTION_TYPE: Param =
    Param::optional("reaction_type", "an emoji_type: only the reactions of it");

/// A page of the calling bot's groups: the type of owners' ids, the page size (20 when absent,
/// at most 100) and the previous page's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatPage {
    pub id_type: UserIdType,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

impl Query for ChatPage {
    const PARAMS: &'static [Param] = &[USER_ID_TYPE, PAGE_SIZE, PAGE_TOKEN];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![(USER_ID_TYPE.name, self.id_type.as_str().into())];
        paged(&mut pairs, self.page_size, &self.page_token);
        pairs
    }
}

/// Which messages a list reads: a chat's (its thread replies left out) or one thread's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Chat,
    Thread,
}

/// `GET /open-apis/im/v1/messages`: the container, a time range in seconds (chat only), the
/// order, the page size (20 when absent, at most 50) and the previous page's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    pub container: Container,
    pub container_id: String,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// `ByCreateTimeDesc`: the latest first.
    pub newest_first: bool,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

const CONTAINER_ID_TYPE: Param = Param::required("container_id_type", "chat or thread");
const CONTAINER_ID: Param = Param::required(
    "container_id",
    "the chat's chat_id or the thread's thread_id",
);
const START_TIME: Param = Param::optional(
    "start_time",
    "seconds: messages created at or after it (chat only)",
);
const END_TIME: Param = Param::optional(
    "end_time",
    "seconds: messages created at or before it (chat only)",
);
const SORT_TYPE: Param =
    Param::optional("sort_type", "ByCreateTimeAsc (default) or ByCreateTimeDesc");

impl Query for MessagePage {
    const PARAMS: &'static [Param] = &[
        CONTAINER_ID_TYPE,
        CONTAINER_ID,
        START_TIME,
        END_TIME,
        SORT_TYPE,
        Param {
            about: "1 to 50, default 20",
            ..PAGE_SIZE
        },
        PAGE_TOKEN,
    ];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let kind = match self.container {
            Container::Chat => "chat",
            Container::Thread => "thread",
        };
        let mut pairs = vec![
            (CONTAINER_ID_TYPE.name, kind.to_string()),
            (CONTAINER_ID.name, self.container_id.clone()),
        ];
        if let Some(t) = self.start_time {
            pairs.push((START_TIME.name, t.to_string()));
        }
        if let Some(t) = self.end_time {
            pairs.push((END_TIME.name, t.to_string()));
        }
        let sort = if self.newest_first {
            "ByCreateTimeDesc"
        } else {
            "ByCreateTimeAsc"
        };
        pairs.push((SORT_TYPE.name, sort.into()));
        paged(&mut pairs, self.page_size, &self.page_token);
        pairs
    }
}

/// One page of a message's reactions: of one emoji type or all, the page size (20 when absent,
/// at most 50), the previous page's token, and the type of the users' ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionPage {
    pub reaction_type: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
    pub id_type: UserIdType,
}

impl Query for ReactionPage {
    const PARAMS: &'static [Param] = &[
        REACTION_TYPE,
        Param {
            about: "1 to 50, default 20",
            ..PAGE_SIZE
        },
        PAGE_TOKEN,
        USER_ID_TYPE,
    ];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(kind) = &self.reaction_type {
            pairs.push((REACTION_TYPE.name, kind.clone()));
        }
        paged(&mut pairs, self.page_size, &self.page_token);
        pairs.push((USER_ID_TYPE.name, self.id_type.as_str().into()));
        pairs
    }
}

/// A list's `page_size` and `page_token`, when given, added to its query.
fn paged(pairs: &mut Vec<(&'static str, String)>, size: Option<u32>, token: &Option<String>) {
    if let Some(size) = size {
        pairs.push((PAGE_SIZE.name, size.to_string()));
    }
    if let Some(token) = token {
        pairs.push((PAGE_TOKEN.name, token.clone()));
    }
}

/// `user_id_type`: the type of user ids in the request and the answer (`open_id` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserIds(pub UserIdType);

/// `user_ids`, repeated once per user (`?user_ids=a&user_ids=b`), and their `user_id_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserBatch {
    pub user_ids: Vec<String>,
    pub id_type: UserIdType,
}

/// `user_ids`: one user's id; the parameter is repeated for each user.
pub const USER_IDS: Param = Param::required(
    "user_ids",
    "a user's id, of the type user_id_type names; repeated for each user, 1 to 50 of them",
);

impl Query for UserBatch {
    const PARAMS: &'static [Param] = &[USER_IDS, USER_ID_TYPE];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<_> = self
            .user_ids
            .iter()
            .map(|id| (USER_IDS.name, id.clone()))
            .collect();
        pairs.push((USER_ID_TYPE.name, self.id_type.as_str().into()));
        pairs
    }
}

/// `user_id_type`, which the endpoint requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequiredUserIds(pub UserIdType);

/// `receive_id_type`, required: what a message's `receive_id` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveIds(pub ReceiveIdType);

/// `member_id_type` of the members to add (`open_id` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberIds(pub MemberIdType);

/// One page of a chat's members: their id type, the page size (the server's default when
/// absent) and the previous page's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPage {
    pub id_type: UserIdType,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

impl Query for () {
    const PARAMS: &'static [Param] = &[];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

impl Query for UserIds {
    const PARAMS: &'static [Param] = &[USER_ID_TYPE];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![(USER_ID_TYPE.name, self.0.as_str().into())]
    }
}

impl Query for RequiredUserIds {
    const PARAMS: &'static [Param] = &[Param {
        required: true,
        about: "open_id, union_id or user_id: the type of the user ids",
        ..USER_ID_TYPE
    }];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![(USER_ID_TYPE.name, self.0.as_str().into())]
    }
}

impl Query for ReceiveIds {
    const PARAMS: &'static [Param] = &[RECEIVE_ID_TYPE];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![(RECEIVE_ID_TYPE.name, self.0.as_str().into())]
    }
}

impl Query for MemberIds {
    const PARAMS: &'static [Param] = &[MEMBER_ID_TYPE];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![(MEMBER_ID_TYPE.name, self.0.as_str().into())]
    }
}

impl Query for MemberPage {
    const PARAMS: &'static [Param] = &[
        Param {
            about: "open_id (default), union_id or user_id",
            ..MEMBER_ID_TYPE
        },
        PAGE_SIZE,
        PAGE_TOKEN,
    ];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![(MEMBER_ID_TYPE.name, self.id_type.as_str().into())];
        paged(&mut pairs, self.page_size, &self.page_token);
        pairs
    }
}

/// The one parameter of a path (`{message_id}`, `{chat_id}`, …) as the caller wrote it: whether
/// it names anything is the service's answer, in the endpoint's own code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathParam(pub String);

/// How many `{…}` parameters a path type stands for, and their values in order.
pub trait PathParams {
    const COUNT: usize;
    fn values(&self) -> Vec<&str>;
}

impl PathParams for () {
    const COUNT: usize = 0;
    fn values(&self) -> Vec<&str> {
        Vec::new()
    }
}

impl PathParams for PathParam {
    const COUNT: usize = 1;
    fn values(&self) -> Vec<&str> {
        vec![&self.0]
    }
}

/// A path type with two parameters, in the order the path names them.
macro_rules! two_params {
    ($(#[$doc:meta])* $name:ident { $first:ident, $second:ident }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            pub $first: String,
            pub $second: String,
        }

        impl PathParams for $name {
            const COUNT: usize = 2;
            fn values(&self) -> Vec<&str> {
                vec![&self.$first, &self.$second]
            }
        }

        impl $name {
            pub fn new($first: impl Into<String>, $second: impl Into<String>) -> $name {
                $name {
                    $first: $first.into(),
                    $second: $second.into(),
                }
            }
        }

        impl From<(String, String)> for $name {
            fn from(($first, $second): (String, String)) -> $name {
                $name { $first, $second }
            }
        }
    };
}

two_params!(
    /// The two parameters of a card element's path: `{card_id}` and `{element_id}`.
    ElementPath { card_id, element_id }
);
two_params!(
    /// The two parameters of a reaction's path: `{message_id}` and `{reaction_id}`.
    ReactionPath { message_id, reaction_id }
);
two_params!(
    /// The two parameters of a message resource's path: `{message_id}` and `{file_key}`.
    ResourcePath { message_id, file_key }
);

/// `type` of a message resource: an image or a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    pub image: bool,
}

const RESOURCE_TYPE: Param = Param::required("type", "image or file: what the key names");

impl Query for ResourceType {
    const PARAMS: &'static [Param] = &[RESOURCE_TYPE];
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let kind = if self.image { "image" } else { "file" };
        vec![(RESOURCE_TYPE.name, kind.into())]
    }
}

impl PathParam {
    /// The parameter as given (an id, usually).
    pub fn new(value: impl Into<String>) -> PathParam {
        PathParam(value.into())
    }
}

/// The rules a request body passes before it is sent (by the SDK) or served.
pub trait Check {
    fn check(&self) -> Checked;
}

/// An endpoint without a body.
impl Check for () {
    fn check(&self) -> Checked {
        Ok(())
    }
}

/// A request body read by the model's rules into the type the server's services take, whose
/// required fields are not `Option`s: or the first broken field.
pub trait Parse {
    type Valid;
    fn parse(self) -> Result<Self::Valid, FieldError>;
}

/// An endpoint without a body.
impl Parse for () {
    type Valid = ();
    fn parse(self) -> Result<(), FieldError> {
        Ok(())
    }
}

/// One Open API endpoint.
pub trait Endpoint {
    /// The endpoint's name in rate-limit keys and logs (`app_feed_card.create`).
    const NAME: &'static str;
    const METHOD: Method;
    /// The path, with `{name}` for each path parameter.
    const PATH: &'static str;
    /// One line on what it does.
    const SUMMARY: &'static str;
    /// The app needs one of these scopes (empty: no scope is checked).
    const SCOPES: &'static [&'static str];
    /// Calls allowed per app.
    const LIMITS: &'static [Per];
    /// Whether a tenant access token is required.
    const TOKEN: bool = true;
    /// Whether the request has a JSON body (`Request` is then not `()`).
    const BODY: bool = true;
    /// Whether the answer is the `{code, msg, data}` envelope around `Response` (the token
    /// endpoints answer their fields at the top level).
    const ENVELOPED: bool = true;
    /// The `msg` of a successful answer.
    const MSG: &'static str = "success";
    /// Whether the request is a `multipart/form-data` form (an upload) rather than JSON.
    const MULTIPART: bool = false;
    /// Whether a successful answer is the bytes themselves (a download) rather than JSON.
    const BINARY: bool = false;
    /// What a successful call changes, as the change feed and the inspector name it
    /// (`message.sent`); `None` for a call that changes no state a user sees.
    const CHANGE: Option<&'static str>;
    /// The code of a request this endpoint cannot read (a bad query, body or field): its API
    /// family's invalid-parameter code.
    const INVALID: ErrorCode;
    /// The JSON body (`()` when there is none).
    type Request: Serialize + DeserializeOwned + JsonSchema + Check + Parse + Send + Sync + 'static;
    /// The answer's `data` (or the whole answer when not enveloped).
    type Response: Serialize + DeserializeOwned + JsonSchema + Send + 'static;
    /// The path's parameter: [`PathParam`], or `()` when the path has none.
    type Path: PathParams + Send + 'static;
    /// The query parameters ([`Query`]).
    type Query: Query + Send + 'static;
}

/// What the OpenAPI document needs of an endpoint, without its types.
#[derive(Clone, Copy)]
pub struct Described {
    /// The endpoint's type in this module (`SendMessage`).
    pub type_name: &'static str,
    pub name: &'static str,
    pub method: Method,
    pub path: &'static str,
    pub summary: &'static str,
    pub query: &'static [Param],
    /// How many parameters the path type takes (each `{…}` of `path` needs one).
    pub path_params: usize,
    pub scopes: &'static [&'static str],
    pub token: bool,
    pub enveloped: bool,
    /// The request is a `multipart/form-data` form.
    pub multipart: bool,
    /// A successful answer is bytes.
    pub binary: bool,
    pub change: Option<&'static str>,
    pub invalid: ErrorCode,
    pub request: Option<fn(&mut SchemaGenerator) -> Schema>,
    pub response: fn(&mut SchemaGenerator) -> Schema,
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// The description of `E`, whose type is named `type_name`.
pub const fn describe<E: Endpoint>(type_name: &'static str) -> Described {
    Described {
        type_name,
        name: E::NAME,
        method: E::METHOD,
        path: E::PATH,
        summary: E::SUMMARY,
        query: <E::Query as Query>::PARAMS,
        path_params: <E::Path as PathParams>::COUNT,
        scopes: E::SCOPES,
        token: E::TOKEN,
        enveloped: E::ENVELOPED,
        multipart: E::MULTIPART,
        binary: E::BINARY,
        change: E::CHANGE,
        invalid: E::INVALID,
        request: if E::BODY {
            Some(schema::<E::Request>)
        } else {
            None
        },
        response: schema::<E::Response>,
    }
}

const FEED_CARD_SCOPES: &[&str] = &["im:app_feed_card:write"];
const TIME_SENSITIVE_SCOPES: &[&str] = &["im:datasync.feed_card.time_sensitive:write"];
const CHAT_SCOPES: &[&str] = &["im:chat"];
const CARDKIT_SCOPES: &[&str] = &["cardkit:card:write"];
const RESOURCE_SCOPES: &[&str] = &["im:resource", "im:resource:upload"];
const REACTION_WRITE_SCOPES: &[&str] = &["im:message", "im:message.reactions:write_only"];
/// Reading users: any one of these.
const CONTACT_READ_SCOPES: &[&str] = &[
    "contact:contact.base:readonly",
    "contact:contact:access_as_app",
    "contact:contact:readonly",
    "contact:contact:readonly_as_app",
];
/// 50 a second and 1000 a minute: the messages and chats APIs.
const IM_LIMITS: &[Per] = &[Per::Second(50), Per::Minute(1000)];

/// The value given, or the default: for the description's optional fields.
macro_rules! given_or {
    ($given:expr ; $default:expr) => {
        $given
    };
    ( ; $default:expr) => {
        $default
    };
}

/// The type given, or the default.
macro_rules! given_type_or {
    ($given:ty ; $default:ty) => {
        $given
    };
    ( ; $default:ty) => {
        $default
    };
}

// In a description, `path_param`, `query`, `scopes`, `limits`, `change` and `invalid` may be
// left out: no path parameter, no query parameters, no scope checked, no limit, no change shown,
// the IM family's invalid-parameter code (230001).
macro_rules! endpoints {
    ($d:tt $(
        $(#[$doc:meta])*
        $name:ident {
            name: $api:literal,
            method: $method:ident,
            path: $path:literal,
            summary: $summary:literal,
            $(path_param: $path_param:ty,)?
            $(query: $query:ty,)?
            $(scopes: $scopes:expr,)?
            $(limits: $limits:expr,)?
            $(change: $change:literal,)?
            $(invalid: $invalid:ident,)?
            request: $req:ty,
            response: $resp:ty
            $(, $flag:ident: $flag_type:ty = $value:expr)* $(,)?
        }
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
            pub struct $name;

            impl Endpoint for $name {
                const NAME: &'static str = $api;
                const METHOD: Method = Method::$method;
                const PATH: &'static str = $path;
                const SUMMARY: &'static str = $summary;
                const SCOPES: &'static [&'static str] = given_or!($($scopes)? ; &[]);
                const LIMITS: &'static [Per] = given_or!($($limits)? ; &[]);
                const CHANGE: Option<&'static str> = given_or!($(Some($change))? ; None);
                const INVALID: ErrorCode = given_or!($(ErrorCode::$invalid)? ; ErrorCode::ImInvalidParam);
                $(const $flag: $flag_type = $value;)*
                type Request = $req;
                type Response = $resp;
                type Path = given_type_or!($($path_param)? ; ());
                type Query = given_type_or!($($query)? ; ());
            }
        )*

        /// Every Open API endpoint larkfeed serves, in the order of the README's API table.
        pub const ALL: &[Described] = &[$(describe::<$name>(stringify!($name))),*];

        /// Calls the macro named with the path of every endpoint, in the order of [`ALL`]:
        /// `every_endpoint!(m)` is `m!(larkfeed_model::endpoint::TenantAccessToken, …)`. The
        /// server's router is built this way, so an endpoint described here is routed.
        #[macro_export]
        macro_rules! every_endpoint {
            ($d m:ident) => {
                $d m! { $($d crate::endpoint::$name),* }
            };
        }
    };
}

endpoints! {
    $
    /// A tenant access token for a self-built app.
    TenantAccessToken {
        name: "auth.tenant_access_token",
        method: Post,
        path: "/open-apis/auth/v3/tenant_access_token/internal",
        summary: "A tenant access token for a self-built app (2 hours; the same token while 30 minutes or more are left)",
        invalid: AuthInvalidParam,
        request: token::TokenRequest,
        response: token::TokenResponse,
        TOKEN: bool = false,
        ENVELOPED: bool = false,
    }
    /// An app access token for a self-built app.
    AppAccessToken {
        name: "auth.app_access_token",
        method: Post,
        path: "/open-apis/auth/v3/app_access_token/internal",
        summary: "An app access token for a self-built app",
        invalid: AuthInvalidParam,
        request: token::TokenRequest,
        response: token::TokenResponse,
        TOKEN: bool = false,
        ENVELOPED: bool = false,
    }
    /// Seed 003: one card for up to 20 users.
    CreateAppFeedCard {
        name: "app_feed_card.create",
        method: Post,
        path: "/open-apis/im/v2/app_feed_card",
        summary: "Create an app feed card for up to 20 users",
        query: UserIds,
        scopes: FEED_CARD_SCOPES,
        limits: &[Per::Second(10)],
        change: "feed_card.created",
        request: feed_card::CreateAppFeedCardRequest,
        response: feed_card::CreateAppFeedCardResponse,
    }
    /// Changes the fields each item's `update_fields` names.
    UpdateAppFeedCards {
        name: "app_feed_card.batch_update",
        method: Put,
        path: "/open-apis/im/v2/app_feed_card/batch",
        summary: "Update users' app feed cards, only the fields named in update_fields",
        query: UserIds,
        scopes: FEED_CARD_SCOPES,
        limits: &[Per::Second(10)],
        change: "feed_card.updated",
        request: feed_card::UpdateAppFeedCardBatchRequest,
        response: feed_card::AppFeedCardBatchResponse,
    }
    /// Removes (card, user) pairs.
    DeleteAppFeedCards {
        name: "app_feed_card.batch_delete",
        method: Delete,
        path: "/open-apis/im/v2/app_feed_card/batch",
        summary: "Delete users' app feed cards",
        query: UserIds,
        scopes: FEED_CARD_SCOPES,
        limits: &[Per::Second(10)],
        change: "feed_card.deleted",
        request: feed_card::DeleteAppFeedCardBatchRequest,
        response: feed_card::AppFeedCardBatchResponse,
    }
    /// Pins or unpins the bot's one-to-one chat (the platform's spelling).
    BotTimeSentive {
        name: "feed_cards.bot_time_sentive",
        method: Patch,
        path: "/open-apis/im/v2/feed_cards/bot_time_sentive",
        summary: "Pin or unpin the bot's one-to-one chat at the top of users' feeds",
        query: UserIds,
        scopes: TIME_SENSITIVE_SCOPES,
        limits: &[Per::Second(50)],
        change: "feed.pinned",
        request: feed_card::BotTimeSentiveRequest,
        response: feed_card::TimeSensitiveResponse,
    }
    /// Pins or unpins a group's feed entry; `feed_card_id` is the chat's id.
    PatchFeedCard {
        name: "feed_cards.patch",
        method: Patch,
        path: "/open-apis/im/v2/feed_cards/{feed_card_id}",
        summary: "Pin or unpin a group's feed entry for its members (feed_card_id is the chat_id)",
        path_param: PathParam,
        query: RequiredUserIds,
        scopes: TIME_SENSITIVE_SCOPES,
        limits: &[Per::Second(50)],
        change: "feed.pinned",
        request: feed_card::PatchFeedCardRequest,
        response: feed_card::TimeSensitiveResponse,
    }
    /// Seeds 000/001: the quick-action buttons of a chat's feed entry.
    UpdateChatButton {
        name: "chat_button",
        method: Put,
        path: "/open-apis/im/v2/chat_button",
        summary: "Set the quick-action buttons of a chat's feed entry for users",
        query: UserIds,
        scopes: FEED_CARD_SCOPES,
        limits: &[Per::Second(10)],
        change: "chat_button.updated",
        request: feed_card::UpdateChatButtonRequest,
        response: feed_card::UpdateChatButtonResponse,
    }
    /// To a user (the bot's one-to-one chat), an email or a chat.
    SendMessage {
        name: "messages.send",
        method: Post,
        path: "/open-apis/im/v1/messages",
        summary: "Send a message to a user (the bot's one-to-one chat), an email or a chat",
        query: ReceiveIds,
        scopes: &["im:message", "im:message:send_as_bot"],
        limits: IM_LIMITS,
        change: "message.sent",
        request: message::SendMessageRequest,
        response: message::Message,
    }
    /// A reply to a message, in its chat, quoted or in a thread under it.
    ReplyMessage {
        name: "messages.reply",
        method: Post,
        path: "/open-apis/im/v1/messages/{message_id}/reply",
        summary: "Reply to a message in its chat, quoting it or in a thread under it",
        path_param: PathParam,
        scopes: &["im:message", "im:message:send_as_bot", "im:message:send"],
        limits: IM_LIMITS,
        change: "message.sent",
        request: message::ReplyMessageRequest,
        response: message::Message,
    }
    /// A chat's history, or a thread's.
    ListMessages {
        name: "messages.list",
        method: Get,
        path: "/open-apis/im/v1/messages",
        summary: "A chat's messages (thread replies left out) or a thread's, in either order, paged",
        query: MessagePage,
        scopes: &["im:message", "im:message:readonly", "im:message.history:readonly"],
        limits: IM_LIMITS,
        request: (),
        response: message::MessageList,
        BODY: bool = false,
    }
    /// Edits a text or post the app sent (20 times at most).
    UpdateMessage {
        name: "messages.update",
        method: Put,
        path: "/open-apis/im/v1/messages/{message_id}",
        summary: "Edit a text or post message the app sent (at most 20 times)",
        path_param: PathParam,
        scopes: &["im:message", "im:message:send_as_bot", "im:message:update"],
        limits: IM_LIMITS,
        change: "message.updated",
        request: message::UpdateMessageRequest,
        response: message::Message,
    }
    /// A copy of a message, sent on by the app.
    ForwardMessage {
        name: "messages.forward",
        method: Post,
        path: "/open-apis/im/v1/messages/{message_id}/forward",
        summary: "Forward a message the bot can see to a user or a chat",
        path_param: PathParam,
        query: ReceiveIds,
        scopes: &["im:message", "im:message:send_as_bot"],
        limits: IM_LIMITS,
        change: "message.sent",
        request: message::ForwardMessageRequest,
        response: message::Message,
    }
    /// An in-app urgent alert to users of the message's chat.
    UrgentApp {
        name: "messages.urgent_app",
        method: Patch,
        path: "/open-apis/im/v1/messages/{message_id}/urgent_app",
        summary: "Alert users of the chat to a message the app sent (in-app urgent)",
        path_param: PathParam,
        query: RequiredUserIds,
        scopes: &["im:message", "im:message.urgent"],
        limits: IM_LIMITS,
        change: "message.urgent",
        request: message::UrgentRequest,
        response: message::UrgentResponse,
    }
    /// Who has read a message the app sent.
    MessageReadUsers {
        name: "messages.read_users",
        method: Get,
        path: "/open-apis/im/v1/messages/{message_id}/read_users",
        summary: "Who has read a message the app sent, and when",
        path_param: PathParam,
        query: RequiredUserIds,
        scopes: &["im:message", "im:message:readonly"],
        limits: IM_LIMITS,
        request: (),
        response: message::ReadUsers,
        BODY: bool = false,
    }
    GetMessage {
        name: "messages.get",
        method: Get,
        path: "/open-apis/im/v1/messages/{message_id}",
        summary: "Get a message",
        path_param: PathParam,
        scopes: &["im:message", "im:message:readonly"],
        limits: IM_LIMITS,
        request: (),
        response: message::GetMessageResponse,
        BODY: bool = false,
    }
    /// Replaces a card the app sent.
    PatchMessage {
        name: "messages.patch",
        method: Patch,
        path: "/open-apis/im/v1/messages/{message_id}",
        summary: "Update a card message the app sent",
        path_param: PathParam,
        scopes: &["im:message", "im:message:send_as_bot", "im:message:update"],
        limits: IM_LIMITS,
        change: "message.updated",
        request: message::PatchMessageRequest,
        response: Empty,
        MSG: &'static str = "ok",
    }
    RecallMessage {
        name: "messages.recall",
        method: Delete,
        path: "/open-apis/im/v1/messages/{message_id}",
        summary: "Recall a message the app sent",
        path_param: PathParam,
        scopes: &["im:message", "im:message:send_as_bot"],
        limits: IM_LIMITS,
        change: "message.recalled",
        request: (),
        response: Empty,
        BODY: bool = false,
    }
    CreateChat {
        name: "chats.create",
        method: Post,
        path: "/open-apis/im/v1/chats",
        summary: "Create a group chat with the calling bot in it",
        query: UserIds,
        scopes: CHAT_SCOPES,
        limits: IM_LIMITS,
        change: "chat.created",
        invalid: ChatInvalidParam,
        request: chat::CreateChatRequest,
        response: chat::Chat,
    }
    /// The groups the calling bot is in.
    ListChats {
        name: "chats.list",
        method: Get,
        path: "/open-apis/im/v1/chats",
        summary: "The groups the calling bot is in, oldest first, paged (1 to 100, default 20)",
        query: ChatPage,
        scopes: &["im:chat", "im:chat:readonly"],
        limits: IM_LIMITS,
        invalid: ChatInvalidParam,
        request: (),
        response: chat::ChatList,
        BODY: bool = false,
    }
    GetChat {
        name: "chats.get",
        method: Get,
        path: "/open-apis/im/v1/chats/{chat_id}",
        summary: "A chat the calling bot is in: name, owner, type, and how many users and bots",
        path_param: PathParam,
        query: UserIds,
        scopes: &["im:chat", "im:chat:readonly"],
        limits: IM_LIMITS,
        invalid: ChatInvalidParam,
        request: (),
        response: chat::ChatInfo,
        BODY: bool = false,
    }
    AddChatMembers {
        name: "chats.members.add",
        method: Post,
        path: "/open-apis/im/v1/chats/{chat_id}/members",
        summary: "Add members to a chat",
        path_param: PathParam,
        query: MemberIds,
        scopes: CHAT_SCOPES,
        limits: IM_LIMITS,
        change: "chat.members_added",
        invalid: ChatInvalidParam,
        request: chat::AddMembersRequest,
        response: chat::AddMembersResponse,
    }
    ListChatMembers {
        name: "chats.members.list",
        method: Get,
        path: "/open-apis/im/v1/chats/{chat_id}/members",
        summary: "List a chat's members (bots are not listed)",
        path_param: PathParam,
        query: MemberPage,
        scopes: CHAT_SCOPES,
        limits: IM_LIMITS,
        invalid: ChatInvalidParam,
        request: (),
        response: chat::ListMembersResponse,
        BODY: bool = false,
    }
    /// The bots of a chat the calling bot is in.
    ListChatBots {
        name: "chats.members.bots",
        method: Get,
        path: "/open-apis/im/v1/chats/{chat_id}/members/bots",
        summary: "The bots in a chat the calling bot is in, by their open_id as it sees them",
        path_param: PathParam,
        scopes: &["im:chat", "im:chat:readonly"],
        limits: IM_LIMITS,
        invalid: ChatInvalidParam,
        request: (),
        response: chat::ChatBots,
        BODY: bool = false,
    }
    IsInChat {
        name: "chats.members.is_in_chat",
        method: Get,
        path: "/open-apis/im/v1/chats/{chat_id}/members/is_in_chat",
        summary: "Whether the calling bot is in a chat (not an error when it is not)",
        path_param: PathParam,
        scopes: &["im:chat", "im:chat:readonly"],
        limits: IM_LIMITS,
        invalid: ChatInvalidParam,
        request: (),
        response: chat::InChat,
        BODY: bool = false,
    }
    /// The delayed update of a card, with the token of its callback.
    DelayedCardUpdate {
        name: "interactive.card_update",
        method: Post,
        path: "/open-apis/interactive/v1/card/update",
        summary: "The delayed card update, with the token of a card callback (30 minutes, two uses)",
        limits: IM_LIMITS,
        change: "message.updated",
        request: card::DelayedUpdateRequest,
        response: Empty,
    }
    /// The app's bot reacts to a message with an emoji.
    CreateReaction {
        name: "messages.reactions.create",
        method: Post,
        path: "/open-apis/im/v1/messages/{message_id}/reactions",
        summary: "React to a message with an emoji (the app's bot is the operator)",
        path_param: PathParam,
        scopes: REACTION_WRITE_SCOPES,
        limits: IM_LIMITS,
        change: "reaction.created",
        request: reaction::CreateReactionRequest,
        response: reaction::Reaction,
    }
    /// Only the app's own reactions.
    DeleteReaction {
        name: "messages.reactions.delete",
        method: Delete,
        path: "/open-apis/im/v1/messages/{message_id}/reactions/{reaction_id}",
        summary: "Remove one of the app's reactions from a message",
        path_param: ReactionPath,
        scopes: REACTION_WRITE_SCOPES,
        limits: IM_LIMITS,
        change: "reaction.deleted",
        request: (),
        response: reaction::Reaction,
        BODY: bool = false,
    }
    ListReactions {
        name: "messages.reactions.list",
        method: Get,
        path: "/open-apis/im/v1/messages/{message_id}/reactions",
        summary: "A message's reactions, oldest first, of one emoji type or all",
        path_param: PathParam,
        query: ReactionPage,
        scopes: &["im:message", "im:message:readonly", "im:message.reactions:read"],
        limits: IM_LIMITS,
        request: (),
        response: reaction::ReactionList,
        BODY: bool = false,
    }
    /// An image for messages (or an avatar): a multipart form, 10 MB at most.
    UploadImage {
        name: "images.create",
        method: Post,
        path: "/open-apis/im/v1/images",
        summary: "Upload an image (multipart: image_type, image; 10 MB at most) for messages and cards",
        scopes: RESOURCE_SCOPES,
        limits: IM_LIMITS,
        change: "resource.uploaded",
        invalid: ResourceInvalidParam,
        request: resource::ImageForm,
        response: resource::ImageKey,
        MULTIPART: bool = true,
    }
    /// The bytes of an image the app uploaded.
    GetImage {
        name: "images.get",
        method: Get,
        path: "/open-apis/im/v1/images/{image_key}",
        summary: "Download an image the app uploaded (its bytes)",
        path_param: PathParam,
        scopes: RESOURCE_SCOPES,
        limits: IM_LIMITS,
        invalid: ResourceInvalidParam,
        request: (),
        response: resource::Bytes,
        BODY: bool = false,
        BINARY: bool = true,
    }
    /// A file for messages: a multipart form, 30 MB at most.
    UploadFile {
        name: "files.create",
        method: Post,
        path: "/open-apis/im/v1/files",
        summary: "Upload a file (multipart: file_type, file_name, duration, file; 30 MB at most)",
        scopes: RESOURCE_SCOPES,
        limits: IM_LIMITS,
        change: "resource.uploaded",
        invalid: ResourceInvalidParam,
        request: resource::FileForm,
        response: resource::FileKey,
        MULTIPART: bool = true,
    }
    /// The bytes of a file the app uploaded.
    GetFile {
        name: "files.get",
        method: Get,
        path: "/open-apis/im/v1/files/{file_key}",
        summary: "Download a file the app uploaded (its bytes)",
        path_param: PathParam,
        scopes: RESOURCE_SCOPES,
        limits: IM_LIMITS,
        invalid: ResourceInvalidParam,
        request: (),
        response: resource::Bytes,
        BODY: bool = false,
        BINARY: bool = true,
    }
    /// An image or file inside a message, whoever sent it: how a bot reads what a user sent.
    GetMessageResource {
        name: "messages.resources.get",
        method: Get,
        path: "/open-apis/im/v1/messages/{message_id}/resources/{file_key}",
        summary: "Download an image or file of a message in a chat the bot is in (its bytes)",
        path_param: ResourcePath,
        query: ResourceType,
        scopes: &["im:message", "im:message:readonly", "im:resource"],
        limits: IM_LIMITS,
        invalid: ResourceInvalidParam,
        request: (),
        response: resource::Bytes,
        BODY: bool = false,
        BINARY: bool = true,
    }
    /// A user of the tenant, within the app's contact range.
    GetUser {
        name: "contact.users.get",
        method: Get,
        path: "/open-apis/contact/v3/users/{user_id}",
        summary: "A user of the tenant (name, ids as the app sees them), within its contact range",
        path_param: PathParam,
        query: UserIds,
        scopes: CONTACT_READ_SCOPES,
        limits: IM_LIMITS,
        invalid: ContactInvalidParam,
        request: (),
        response: contact::GetUserResponse,
        BODY: bool = false,
    }
    /// Several users of the tenant at once; those the app may not see are left out.
    BatchGetUsers {
        name: "contact.users.batch",
        method: Get,
        path: "/open-apis/contact/v3/users/batch",
        summary: "Up to 50 users of the tenant (name, ids as the app sees them), within its contact range",
        query: UserBatch,
        scopes: CONTACT_READ_SCOPES,
        limits: IM_LIMITS,
        invalid: ContactInvalidParam,
        request: (),
        response: contact::BatchUsersResponse,
        BODY: bool = false,
    }
    /// The calling app's bot: its name and its open_id (an older API: `bot` beside `code`).
    BotInfo {
        name: "bot.info",
        method: Get,
        path: "/open-apis/bot/v3/info",
        summary: "The calling app's bot: name, avatar, open_id (answered outside the data envelope)",
        limits: IM_LIMITS,
        request: (),
        response: bot::BotInfoResponse,
        BODY: bool = false,
        ENVELOPED: bool = false,
    }
    /// CardKit: a card entity from card JSON 2.0, to send by its `card_id` and then update.
    CreateCard {
        name: "cardkit.card.create",
        method: Post,
        path: "/open-apis/cardkit/v1/cards",
        summary: "Create a card entity from card JSON 2.0 (14 days; sent once)",
        scopes: CARDKIT_SCOPES,
        limits: IM_LIMITS,
        change: "card.created",
        invalid: CardKitInvalidParam,
        request: cardkit::CreateCardRequest,
        response: cardkit::CardIdResponse,
    }
    /// The entity of a card message (or a new entity for a JSON 2.0 card sent as content).
    ConvertCardId {
        name: "cardkit.card.id_convert",
        method: Post,
        path: "/open-apis/cardkit/v1/cards/id_convert",
        summary: "The card entity of a card message the app sent",
        scopes: CARDKIT_SCOPES,
        limits: IM_LIMITS,
        change: "card.created",
        invalid: CardKitInvalidParam,
        request: cardkit::IdConvertRequest,
        response: cardkit::CardIdResponse,
    }
    UpdateCard {
        name: "cardkit.card.update",
        method: Put,
        path: "/open-apis/cardkit/v1/cards/{card_id}",
        summary: "Replace a card entity's whole card",
        path_param: PathParam,
        scopes: CARDKIT_SCOPES,
        limits: IM_LIMITS,
        change: "card.updated",
        invalid: CardKitInvalidParam,
        request: cardkit::UpdateCardRequest,
        response: Empty,
    }
    /// Streaming mode on or off, its print settings, the card's link.
    CardSettings {
        name: "cardkit.card.settings",
        method: Patch,
        path: "/open-apis/cardkit/v1/cards/{card_id}/settings",
        summary: "Change a card entity's config (streaming_mode, streaming_config, summary) and card_link",
        path_param: PathParam,
        scopes: CARDKIT_SCOPES,
        limits: IM_LIMITS,
        change: "card.updated",
        invalid: CardKitInvalidParam,
        request: cardkit::CardSettingsRequest,
        response: Empty,
    }
    BatchUpdateCard {
        name: "cardkit.card.batch_update",
        method: Post,
        path: "/open-apis/cardkit/v1/cards/{card_id}/batch_update",
        summary: "Several changes to a card entity's settings and elements, in order, at once",
        path_param: PathParam,
        scopes: CARDKIT_SCOPES,
        limits: IM_LIMITS,
        change: "card.updated",
        invalid: CardKitInvalidParam,
        request: cardkit::BatchUpdateCardRequest,
        response: Empty,
    }
    CreateCardElements {
        name: "cardkit.card_element.create",
        method: Post,
        path: "/open-apis/cardkit/v1/cards/{card_id}/elements",
        summary: "Add elements to a card entity: before or after an element, or at the end",
        path_param: PathParam,
        scopes: CARDKIT_SCOPES,
        limits: IM_LIMITS,
        change: "card.updated",
        invalid: CardKitInvalidParam,
        request: cardkit::CreateElementsRequest,
        response: Empty,
    }
    UpdateCardElement {
        name: "cardkit.card_element.update",
        method: Put,
        path: "/open-apis/cardkit/v1/cards/{card_id}/elements/{element_id}",
        summary: "Replace one element of a card entity",
        path_param: ElementPath,
        scopes: CARDKIT_SCOPES,
        limits: IM_LIMITS,
        change: "card.updated",
        invalid: CardKitInvalidParam,
        request: cardkit::UpdateElementRequest,
        response: Empty,
    }
    PatchCardElement {
        name: "cardkit.card_element.patch",
        method: Patch,
        path: "/open-apis/cardkit/v1/cards/{card_id}/elements/{element_id}",
        summary: "Change properties of one element of a card entity (not its tag)",
        path_param: ElementPath,
        scopes: CARDKIT_SCOPES,
        limits: IM_LIMITS,
        change: "card.updated",
        invalid: CardKitInvalidParam,
        request: cardkit::PatchElementRequest,
        response: Empty,
    }
    DeleteCardElement {
        name: "cardkit.card_element.delete",
        method: Delete,
        path: "/open-apis/cardkit/v1/cards/{card_id}/elements/{element_id}",
        summary: "Delete one element of a card entity",
        path_param: ElementPath,
        scopes: CARDKIT_SCOPES,
        limits: IM_LIMITS,
        change: "card.updated",
        invalid: CardKitInvalidParam,
        request: cardkit::DeleteElementRequest,
        response: Empty,
    }
    /// The streaming write: the whole text of a `plain_text` or `markdown` element, while
    /// streaming mode is on. Not counted against the API's own limit (streaming writes are
    /// not); 10 writes a second per entity.
    StreamCardElement {
        name: "cardkit.card_element.content",
        method: Put,
        path: "/open-apis/cardkit/v1/cards/{card_id}/elements/{element_id}/content",
        summary: "Stream the whole text of a text element of a card entity (streaming mode only)",
        path_param: ElementPath,
        scopes: CARDKIT_SCOPES,
        change: "card.updated",
        invalid: CardKitInvalidParam,
        request: cardkit::ElementContentRequest,
        response: Empty,
    }
}

impl Described {
    /// Whether `path` (without its query) is this endpoint's path template with each `{…}` filled
    /// by one non-empty segment.
    pub fn matches_path(&self, path: &str) -> bool {
        let path = path.strip_suffix('/').unwrap_or(path);
        let mut given = path.split('/');
        let mut template = self.path.split('/');
        loop {
            match (template.next(), given.next()) {
                (None, None) => return true,
                (Some(t), Some(g)) if t.starts_with('{') => {
                    if g.is_empty() {
                        return false;
                    }
                }
                (Some(t), Some(g)) if t == g => {}
                _ => return false,
            }
        }
    }
}

/// The endpoint a request is for: its method and a path that fills its template. A literal
/// segment wins over a parameter (`…/members/is_in_chat` is not `…/members/{id}`, which no
/// endpoint has, but the rule keeps it so).
pub fn find(method: &str, path: &str) -> Option<&'static Described> {
    ALL.iter()
        .filter(|e| e.method.as_str() == method && e.matches_path(path))
        .min_by_key(|e| e.path_params)
}

/// The invalid-parameter code of the API family `path` belongs to, whatever the method (a
/// path no endpoint has is the IM family's).
pub fn invalid_param_code(path: &str) -> ErrorCode {
    ALL.iter()
        .filter(|e| e.matches_path(path))
        .min_by_key(|e| e.path_params)
        .map_or(ErrorCode::ImInvalidParam, |e| e.invalid)
}

macro_rules! checked_by_validate {
    ($($t:ty),* $(,)?) => {
        $(impl Check for $t {
            fn check(&self) -> Checked {
                self.validate()
            }
        })*
    };
}

checked_by_validate!(
    token::TokenRequest,
    feed_card::CreateAppFeedCardRequest,
    feed_card::UpdateAppFeedCardBatchRequest,
    feed_card::DeleteAppFeedCardBatchRequest,
    feed_card::BotTimeSentiveRequest,
    feed_card::PatchFeedCardRequest,
    feed_card::UpdateChatButtonRequest,
    message::SendMessageRequest,
    message::ReplyMessageRequest,
    message::PatchMessageRequest,
    message::UpdateMessageRequest,
    message::ForwardMessageRequest,
    message::UrgentRequest,
    chat::CreateChatRequest,
    chat::AddMembersRequest,
    reaction::CreateReactionRequest,
    resource::ImageForm,
    resource::FileForm,
    cardkit::CreateCardRequest,
    cardkit::IdConvertRequest,
    cardkit::UpdateCardRequest,
    cardkit::CardSettingsRequest,
    cardkit::BatchUpdateCardRequest,
    cardkit::CreateElementsRequest,
    cardkit::UpdateElementRequest,
    cardkit::PatchElementRequest,
    cardkit::DeleteElementRequest,
    cardkit::ElementContentRequest,
);

/// Checked by the server only: whether a token is live is not known before sending.
impl Check for card::DelayedUpdateRequest {
    fn check(&self) -> Checked {
        Ok(())
    }
}

macro_rules! parsed_into {
    ($($t:ty => $valid:ty),* $(,)?) => {
        $(impl Parse for $t {
            type Valid = $valid;
            fn parse(self) -> Result<$valid, FieldError> {
                <$t>::parse(self)
            }
        })*
    };
}

parsed_into!(
    token::TokenRequest => token::Credentials,
    feed_card::CreateAppFeedCardRequest => feed_card::NewCard,
    feed_card::UpdateAppFeedCardBatchRequest => Vec<feed_card::CardUpdate>,
    feed_card::DeleteAppFeedCardBatchRequest => Vec<feed_card::CardKey>,
    feed_card::BotTimeSentiveRequest => feed_card::Pins,
    feed_card::PatchFeedCardRequest => feed_card::Pins,
    feed_card::UpdateChatButtonRequest => feed_card::ChatButtons,
    message::SendMessageRequest => message::Outgoing,
    message::ReplyMessageRequest => message::Reply,
    message::PatchMessageRequest => String,
    message::UpdateMessageRequest => message::Edit,
    message::ForwardMessageRequest => String,
    message::UrgentRequest => Vec<String>,
    chat::CreateChatRequest => chat::NewChat,
    chat::AddMembersRequest => Vec<String>,
    reaction::CreateReactionRequest => String,
    resource::ImageForm => resource::ImageForm,
    resource::FileForm => resource::FileForm,
    cardkit::CreateCardRequest => String,
    cardkit::IdConvertRequest => String,
    cardkit::UpdateCardRequest => cardkit::Write<String>,
    cardkit::CardSettingsRequest => cardkit::Write<serde_json::Map<String, serde_json::Value>>,
    cardkit::BatchUpdateCardRequest => cardkit::Write<Vec<cardkit::Edit>>,
    cardkit::CreateElementsRequest => cardkit::Write<cardkit::Edit>,
    cardkit::UpdateElementRequest => cardkit::Write<serde_json::Value>,
    cardkit::PatchElementRequest => cardkit::Write<serde_json::Map<String, serde_json::Value>>,
    cardkit::DeleteElementRequest => cardkit::Write<()>,
    cardkit::ElementContentRequest => cardkit::Write<String>,
);

/// Taken as it comes: whether the token is live is the server's to check.
impl Parse for card::DelayedUpdateRequest {
    type Valid = card::DelayedUpdateRequest;
    fn parse(self) -> Result<Self, FieldError> {
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn each_method_and_path_is_described_once_and_names_are_unique() {
        let mut routes = HashSet::new();
        let mut names = HashSet::new();
        for e in ALL {
            assert!(
                routes.insert((e.method, e.path)),
                "{} {} twice",
                e.method.as_str(),
                e.path
            );
            assert!(names.insert(e.name), "{} twice", e.name);
            assert!(e.path.starts_with("/open-apis/"), "{}", e.path);
            assert_eq!(e.path.matches('{').count(), e.path_params, "{}", e.path);
            if e.method == Method::Get {
                assert!(e.request.is_none(), "{} has a body", e.name);
            }
        }
    }

    /// Calls that write but change nothing a user or the inspector sees: a token is the app's
    /// own credential, not state.
    const CHANGE_NOTHING_SEEN: &[&str] = &["TenantAccessToken", "AppAccessToken"];

    #[test]
    fn every_call_that_writes_names_its_change_and_no_read_does() {
        for e in ALL {
            let writes = e.method != Method::Get;
            if writes && !CHANGE_NOTHING_SEEN.contains(&e.type_name) {
                assert!(e.change.is_some(), "{} writes but shows no change", e.name);
            } else {
                assert!(e.change.is_none(), "{} shows a change", e.name);
            }
        }
    }

    #[test]
    fn a_request_finds_its_endpoint_and_family() {
        let found = |m, p| find(m, p).map(|e| e.type_name);
        assert_eq!(
            found("POST", "/open-apis/im/v1/messages"),
            Some("SendMessage")
        );
        assert_eq!(
            found("POST", "/open-apis/im/v1/messages/"),
            Some("SendMessage")
        );
        assert_eq!(
            found("GET", "/open-apis/im/v1/messages/om_1"),
            Some("GetMessage")
        );
        assert_eq!(
            found("DELETE", "/open-apis/im/v1/messages/om_1"),
            Some("RecallMessage")
        );
        assert_eq!(
            found("GET", "/open-apis/im/v1/chats/oc_1/members/is_in_chat"),
            Some("IsInChat")
        );
        assert_eq!(
            found("GET", "/open-apis/im/v1/chats/oc_1/members"),
            Some("ListChatMembers")
        );
        assert_eq!(
            found("PATCH", "/open-apis/im/v2/feed_cards/bot_time_sentive"),
            Some("BotTimeSentive")
        );
        assert_eq!(
            found("PATCH", "/open-apis/im/v2/feed_cards/oc_1"),
            Some("PatchFeedCard")
        );
        assert_eq!(found("GET", "/open-apis/im/v1/messages//x"), None);
        assert_eq!(found("PUT", "/open-apis/im/v1/messages"), None);
        assert_eq!(
            invalid_param_code("/open-apis/auth/v3/tenant_access_token/internal"),
            ErrorCode::AuthInvalidParam
        );
        assert_eq!(
            invalid_param_code("/open-apis/im/v1/chats/oc_1/members"),
            ErrorCode::ChatInvalidParam
        );
        assert_eq!(
            invalid_param_code("/open-apis/im/v2/app_feed_card"),
            ErrorCode::ImInvalidParam
        );
        assert_eq!(
            invalid_param_code("/open-apis/nothing"),
            ErrorCode::ImInvalidParam
        );
    }

    #[test]
    fn a_query_is_written_with_the_names_it_is_described_by() {
        let page = MemberPage {
            id_type: UserIdType::UnionId,
            page_size: Some(5),
            page_token: None,
        };
        assert_eq!(
            page.pairs(),
            [
                ("member_id_type", "union_id".to_string()),
                ("page_size", "5".into())
            ]
        );
        for (name, _) in page.pairs() {
            assert!(MemberPage::PARAMS.iter().any(|p| p.name == name));
        }
        assert_eq!(
            UserIds(UserIdType::UserId).pairs(),
            [("user_id_type", "user_id".to_string())]
        );
    }
}
