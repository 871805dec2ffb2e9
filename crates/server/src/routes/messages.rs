use super::{parsed, success, Body, Reply};
use crate::extract::{Caller, Params, PathId};
use crate::service::messages;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use larkfeed_model::endpoint::{self, Endpoint, GetMessage, PatchMessage, RecallMessage};
use larkfeed_model::message::GetMessageResponse;
use larkfeed_model::{Empty, Envelope, ReceiveIdType, UserIdType};

pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Body<endpoint::SendMessage>,
) -> Reply<endpoint::SendMessage> {
    caller.require(endpoint::SendMessage::SCOPES)?;
    let receive_id_type = params
        .parse::<ReceiveIdType>("receive_id_type")?
        .ok_or_else(|| params.invalid("receive_id_type", "is required"))?;
    if receive_id_type == ReceiveIdType::User(UserIdType::UserId) {
        caller.user_id_type(&params, "receive_id_type")?;
    }
    caller.limit::<endpoint::SendMessage>(&state).await?;
    let req = parsed::<endpoint::SendMessage, _>(body?.0.parse())?;
    Ok(success(
        messages::send(&state, &caller.app, receive_id_type, req).await?,
    ))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(message_id): PathId,
) -> Reply<GetMessage> {
    caller.require(GetMessage::SCOPES)?;
    caller.limit::<GetMessage>(&state).await?;
    let message = messages::get(&state, &caller.app, &message_id).await?;
    Ok(success(GetMessageResponse {
        items: vec![message],
    }))
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    PathId(message_id): PathId,
    body: Body<PatchMessage>,
) -> Reply<PatchMessage> {
    caller.require(PatchMessage::SCOPES)?;
    caller.limit::<PatchMessage>(&state).await?;
    let req = parsed::<PatchMessage, _>(body?.0.parse())?;
    messages::patch(&state, &caller.app, &message_id, req).await?;
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
) -> Reply<RecallMessage> {
    caller.require(RecallMessage::SCOPES)?;
    caller.limit::<RecallMessage>(&state).await?;
    messages::recall(&state, &caller.app, &message_id).await?;
    Ok(success(Empty {}))
}
