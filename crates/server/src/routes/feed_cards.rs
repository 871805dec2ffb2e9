use super::success;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params};
use crate::service::feed_cards;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use larkfeed_model::feed_card::{CreateAppFeedCardRequest, UpdateChatButtonRequest};

pub const SCOPES: &[&str] = &["im:app_feed_card:write"];
const PER_SECOND: u32 = 10;

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Result<JsonBody<CreateAppFeedCardRequest>, ApiError>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit(&state, "app_feed_card.create", PER_SECOND)?;
    let JsonBody(req) = body?;
    Ok(success(
        feed_cards::create(&state, &caller.app, id_type, &req).await?,
    ))
}

pub async fn update_chat_buttons(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Result<JsonBody<UpdateChatButtonRequest>, ApiError>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit(&state, "chat_button", PER_SECOND)?;
    let JsonBody(req) = body?;
    Ok(success(
        feed_cards::update_chat_buttons(&state, &caller.app, id_type, &req).await?,
    ))
}
