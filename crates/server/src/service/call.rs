//! How an Open API call reaches its service. Each endpoint's service is an `impl Serve for` the
//! model's endpoint; the router routes every endpoint the model describes to its `Serve`, through
//! one handler that checks the token, the endpoint's scopes, its query, its rate limits and its
//! body, in the platform's order. Adding an endpoint is its description in the model and its
//! `Serve` here: nothing in the router.

use crate::error::ApiError;
use crate::extract::{Caller, Params, USER_ID_SCOPE};
use crate::state::AppState;
use crate::world::App;
use larkfeed_model::chat::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use larkfeed_model::endpoint::{Endpoint, Parse};
use larkfeed_model::{MemberIdType, ReceiveIdType, UserIdType};
use std::future::Future;

/// The body of endpoint `E` once the model's rules have read it.
pub type Valid<E> = <<E as Endpoint>::Request as Parse>::Valid;

/// The service of endpoint `Self`: what it does once the call is known to be allowed and its
/// parts are read.
pub trait Serve: Endpoint + Send + 'static {
    /// The path's one parameter ([`crate::extract::PathId`]), or `()` when it has none.
    type Path: axum::extract::FromRequestParts<AppState> + Send + 'static;
    /// What the query says; read after the scope check, before the rate limit.
    type Query: FromQuery + Send + 'static;

    fn serve(
        state: &AppState,
        app: &App,
        path: Self::Path,
        query: Self::Query,
        body: Valid<Self>,
    ) -> impl Future<Output = Result<Self::Response, ApiError>> + Send;
}

/// A query read for one endpoint: a value it does not take is its invalid-param code naming the
/// parameter.
pub trait FromQuery: Sized {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError>;
}

/// No query parameters.
impl FromQuery for () {
    fn read(_: &Caller, _: &Params) -> Result<(), ApiError> {
        Ok(())
    }
}

/// `user_id_type`: `open_id` when absent; `user_id` needs its field scope.
#[derive(Debug, Clone, Copy)]
pub struct UserIds(pub UserIdType);

impl FromQuery for UserIds {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        caller.user_id_type(params, "user_id_type").map(UserIds)
    }
}

/// `user_id_type`, which this endpoint requires.
#[derive(Debug, Clone, Copy)]
pub struct RequiredUserIds(pub UserIdType);

impl FromQuery for RequiredUserIds {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        if params.get("user_id_type").is_none() {
            return Err(params.invalid("user_id_type", "is required"));
        }
        caller
            .user_id_type(params, "user_id_type")
            .map(RequiredUserIds)
    }
}

/// `receive_id_type`, required; `user_id` needs its field scope.
#[derive(Debug, Clone, Copy)]
pub struct ReceiveIds(pub ReceiveIdType);

impl FromQuery for ReceiveIds {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        let id_type = params
            .parse::<ReceiveIdType>("receive_id_type")?
            .ok_or_else(|| params.invalid("receive_id_type", "is required"))?;
        if id_type == ReceiveIdType::User(UserIdType::UserId) {
            caller.require(&[USER_ID_SCOPE])?;
        }
        Ok(ReceiveIds(id_type))
    }
}

/// `member_id_type` of the members to add: `open_id` when absent, or `app_id`; `user_id` needs
/// its field scope.
#[derive(Debug, Clone, Copy)]
pub struct MemberIds(pub MemberIdType);

impl FromQuery for MemberIds {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        let id_type = params
            .parse::<MemberIdType>("member_id_type")?
            .unwrap_or(MemberIdType::User(UserIdType::OpenId));
        if id_type == MemberIdType::User(UserIdType::UserId) {
            caller.require(&[USER_ID_SCOPE])?;
        }
        Ok(MemberIds(id_type))
    }
}

/// A page of members: `member_id_type` (users only), `page_size` (1 to 100, default 20) and the
/// previous page's `page_token`.
#[derive(Debug, Clone)]
pub struct MemberPage {
    pub id_type: UserIdType,
    pub page_size: u32,
    pub page_token: Option<String>,
}

impl FromQuery for MemberPage {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        Ok(MemberPage {
            id_type: caller.user_id_type(params, "member_id_type")?,
            page_size: params
                .number("page_size", 1, MAX_PAGE_SIZE)?
                .unwrap_or(DEFAULT_PAGE_SIZE),
            page_token: params.get("page_token").map(str::to_string),
        })
    }
}
