//! How an Open API call reaches its service. Each endpoint's service is an `impl Serve for` the
//! model's endpoint; the router routes every endpoint the model describes to its `Serve`, through
//! one handler that checks the token, the endpoint's scopes, its query, its rate limits and its
//! body, in the platform's order. Adding an endpoint is its description in the model and its
//! `Serve` here: nothing in the router.

use crate::error::ApiError;
use crate::extract::{Params, PathId};
use crate::service::caller::{Caller, USER_ID_SCOPE};
use crate::state::AppState;
use crate::world::App;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use larkfeed_model::chat::MAX_PAGE_SIZE;
use larkfeed_model::endpoint::{
    ChatPage, Container, ElementPath, Endpoint, MemberIds, MemberPage, MessagePage, Parse,
    PathParam, ReactionPage, ReactionPath, ReceiveIds, RequiredUserIds, UserBatch, UserIds,
    MEMBER_ID_TYPE, PAGE_SIZE, PAGE_TOKEN, REACTION_TYPE, RECEIVE_ID_TYPE, USER_IDS, USER_ID_TYPE,
};
use larkfeed_model::{MemberIdType, ReceiveIdType, UserIdType};
use std::future::Future;

/// The body of endpoint `E` once the model's rules have read it.
pub type Valid<E> = <<E as Endpoint>::Request as Parse>::Valid;

/// What a service answers: endpoint `E`'s `data`, or an error.
pub type Reply<E> = Result<<E as Endpoint>::Response, ApiError>;

/// One call of endpoint `E`, read: the path's parameter, the query and the body, each as the
/// model types it.
pub struct Call<E: Endpoint + ?Sized> {
    pub path: E::Path,
    pub query: E::Query,
    pub body: Valid<E>,
}

/// The service of endpoint `Self`: what it does once the call is known to be allowed and read.
pub trait Serve: Endpoint<Path: FromPath, Query: FromQuery> + Send + 'static {
    fn serve(
        state: &AppState,
        app: &App,
        call: Call<Self>,
    ) -> impl Future<Output = Reply<Self>> + Send;
}

/// A path's parameter read from the request.
pub trait FromPath: Sized {
    fn read(
        parts: &mut Parts,
        state: &AppState,
    ) -> impl Future<Output = Result<Self, ApiError>> + Send;
}

/// A path without parameters.
impl FromPath for () {
    async fn read(_: &mut Parts, _: &AppState) -> Result<(), ApiError> {
        Ok(())
    }
}

/// A path with two parameters, read as the path names them.
macro_rules! from_two_params {
    ($($t:ty),*) => {$(
        impl FromPath for $t {
            async fn read(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
                let axum::extract::Path(pair) =
                    axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                        .await
                        .map_err(|e| {
                            let code = larkfeed_model::endpoint::invalid_param_code(parts.uri.path());
                            ApiError::field(code, larkfeed_model::FieldError::new("path", e.body_text()))
                        })?;
                Ok(<$t>::from(pair))
            }
        }
    )*};
}

from_two_params!(ElementPath, ReactionPath);

impl FromPath for PathParam {
    async fn read(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let PathId(id) = PathId::from_request_parts(parts, state).await?;
        Ok(PathParam(id))
    }
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

/// `user_id` needs its field scope.
impl FromQuery for UserIds {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        caller.user_id_type(params, USER_ID_TYPE.name).map(UserIds)
    }
}

/// `user_ids` once per user, 1 to 50 of them.
impl FromQuery for UserBatch {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        let user_ids: Vec<String> = params
            .all(USER_IDS.name)
            .into_iter()
            .map(str::to_string)
            .collect();
        if user_ids.is_empty() {
            return Err(params.invalid(USER_IDS.name, "is required: one user_ids per user"));
        }
        if user_ids.len() > larkfeed_model::contact::MAX_BATCH {
            return Err(params.invalid(
                USER_IDS.name,
                format!(
                    "names {} users; one batch takes at most {}",
                    user_ids.len(),
                    larkfeed_model::contact::MAX_BATCH
                ),
            ));
        }
        Ok(UserBatch {
            user_ids,
            id_type: caller.user_id_type(params, USER_ID_TYPE.name)?,
        })
    }
}

impl FromQuery for RequiredUserIds {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        let name = USER_ID_TYPE.name;
        if params.get(name).is_none() {
            return Err(params.invalid(name, "is required"));
        }
        caller.user_id_type(params, name).map(RequiredUserIds)
    }
}

/// `user_id` needs its field scope.
impl FromQuery for ReceiveIds {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        let id_type = params
            .parse::<ReceiveIdType>(RECEIVE_ID_TYPE.name)?
            .ok_or_else(|| params.invalid(RECEIVE_ID_TYPE.name, "is required"))?;
        if id_type == ReceiveIdType::User(UserIdType::UserId) {
            caller.require(&[USER_ID_SCOPE])?;
        }
        Ok(ReceiveIds(id_type))
    }
}

/// `user_id` needs its field scope.
impl FromQuery for MemberIds {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        let id_type = params
            .parse::<MemberIdType>(MEMBER_ID_TYPE.name)?
            .unwrap_or(MemberIdType::User(UserIdType::OpenId));
        if id_type == MemberIdType::User(UserIdType::UserId) {
            caller.require(&[USER_ID_SCOPE])?;
        }
        Ok(MemberIds(id_type))
    }
}

impl FromQuery for MemberPage {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        Ok(MemberPage {
            id_type: caller.user_id_type(params, MEMBER_ID_TYPE.name)?,
            page_size: params.number(PAGE_SIZE.name, 1, MAX_PAGE_SIZE)?,
            page_token: params.get(PAGE_TOKEN.name).map(str::to_string),
        })
    }
}

impl FromQuery for ReactionPage {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        Ok(ReactionPage {
            reaction_type: params.get(REACTION_TYPE.name).map(str::to_string),
            page_size: params.number(PAGE_SIZE.name, 1, larkfeed_model::reaction::MAX_PAGE_SIZE)?,
            page_token: params.get(PAGE_TOKEN.name).map(str::to_string),
            id_type: caller.user_id_type(params, USER_ID_TYPE.name)?,
        })
    }
}

impl FromQuery for MessagePage {
    fn read(_: &Caller, params: &Params) -> Result<Self, ApiError> {
        let container = match params.get("container_id_type") {
            Some("chat") => Container::Chat,
            Some("thread") => Container::Thread,
            Some(_) => return Err(params.invalid("container_id_type", "must be chat or thread")),
            None => return Err(params.invalid("container_id_type", "is required")),
        };
        let container_id = params
            .get("container_id")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| params.invalid("container_id", "is required"))?
            .to_string();
        let seconds = |name: &str| -> Result<Option<i64>, ApiError> {
            params
                .get(name)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| params.invalid(name, "must be seconds since the epoch"))
                })
                .transpose()
        };
        let newest_first = match params.get("sort_type") {
            None | Some("ByCreateTimeAsc") => false,
            Some("ByCreateTimeDesc") => true,
            Some(_) => {
                return Err(
                    params.invalid("sort_type", "must be ByCreateTimeAsc or ByCreateTimeDesc")
                )
            }
        };
        Ok(MessagePage {
            container,
            container_id,
            start_time: seconds("start_time")?,
            end_time: seconds("end_time")?,
            newest_first,
            page_size: params.number(
                PAGE_SIZE.name,
                1,
                larkfeed_model::message::LIST_MAX_PAGE_SIZE,
            )?,
            page_token: params.get(PAGE_TOKEN.name).map(str::to_string),
        })
    }
}

impl FromQuery for ChatPage {
    fn read(caller: &Caller, params: &Params) -> Result<Self, ApiError> {
        Ok(ChatPage {
            id_type: caller.user_id_type(params, USER_ID_TYPE.name)?,
            page_size: params.number(PAGE_SIZE.name, 1, MAX_PAGE_SIZE)?,
            page_token: params.get(PAGE_TOKEN.name).map(str::to_string),
        })
    }
}
