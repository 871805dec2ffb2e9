use super::{success, Answer};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params, PathId, Per};
use crate::service::messages;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use larkfeed_model::message::{
    GetMessageResponse, Message, PatchMessageRequest, SendMessageRequest,
};
use larkfeed_model::{Empty, Envelope, ReceiveIdType, UserIdType};

const SEND_SCOPES: &[&str] = &["im:message", "im:message:send_as_bot"];
const READ_SCOPES: &[&str] = &["im:message", "im:message:readonly"];
const PATCH_SCOPES: &[&str] = &["im:message", "im:message:send_as_bot", "im:message:update"];
/// 50 a second and 1000 a minute, per app and per API.
const LIMITS: &[Per] = &[Per::Second(50), Per::Minute(1000)];

pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Result<JsonBody<SendMessageRequest>, ApiError>,
) -> Answer<Message> {
    caller.require(SEND_SCOPES)?;
    let receive_id_type = params
        .parse::<ReceiveIdType>("receive_id_type")?
        .ok_or_else(|| params.invalid("receive_id_type", "is required"))?;
    if receive_id_type == ReceiveIdType::User(UserIdType::UserId) {
        caller.user_id_type(&params, "receive_id_type")?;
    }
    caller.limit(&state, "messages.send", LIMITS).await?;
    let JsonBody(req) = body?;
    Ok(success(
        messages::send(&state, &caller.app, receive_id_type, &req).await?,
    ))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(message_id): PathId,
) -> Answer<GetMessageResponse> {
    caller.require(READ_SCOPES)?;
    caller.limit(&state, "messages.get", LIMITS).await?;
    let message = messages::get(&state, &caller.app, &message_id).await?;
    Ok(success(GetMessageResponse {
        items: vec![message],
    }))
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    PathId(message_id): PathId,
    body: Result<JsonBody<PatchMessageRequest>, ApiError>,
) -> Answer<Empty> {
    caller.require(PATCH_SCOPES)?;
    caller.limit(&state, "messages.patch", LIMITS).await?;
    let JsonBody(req) = body?;
    messages::patch(&state, &caller.app, &message_id, &req).await?;
    // The platform answers this one with "ok".
    Ok(Json(Envelope {
        msg: "ok".to_string(),
        ..Envelope::success(Empty {})
    }))
}

pub async fn recall(
    State(state): State<AppState>,
    caller: Caller,
    PathId(message_id): PathId,
) -> Answer<Empty> {
    caller.require(SEND_SCOPES)?;
    caller.limit(&state, "messages.recall", LIMITS).await?;
    messages::recall(&state, &caller.app, &message_id).await?;
    Ok(success(Empty {}))
}
