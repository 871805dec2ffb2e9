use super::{success, Answer};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params, PathId, Per};
use crate::service::feed_cards;
use crate::state::AppState;
use axum::extract::State;
use larkfeed_model::feed_card::{
    AppFeedCardBatchResponse, BotTimeSentiveRequest, CreateAppFeedCardRequest,
    CreateAppFeedCardResponse, DeleteAppFeedCardBatchRequest, PatchFeedCardRequest,
    TimeSensitiveResponse, UpdateAppFeedCardBatchRequest, UpdateChatButtonRequest,
    UpdateChatButtonResponse,
};

pub const SCOPES: &[&str] = &["im:app_feed_card:write"];
pub const TIME_SENSITIVE_SCOPES: &[&str] = &["im:datasync.feed_card.time_sensitive:write"];
const CARD_LIMITS: &[Per] = &[Per::Second(10)];
const TIME_SENSITIVE_LIMITS: &[Per] = &[Per::Second(50)];

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Result<JsonBody<CreateAppFeedCardRequest>, ApiError>,
) -> Answer<CreateAppFeedCardResponse> {
    caller.require(SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller
        .limit(&state, "app_feed_card.create", CARD_LIMITS)
        .await?;
    let JsonBody(req) = body?;
    Ok(success(
        feed_cards::create(&state, &caller.app, id_type, &req).await?,
    ))
}

pub async fn update_batch(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Result<JsonBody<UpdateAppFeedCardBatchRequest>, ApiError>,
) -> Answer<AppFeedCardBatchResponse> {
    caller.require(SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller
        .limit(&state, "app_feed_card.batch_update", CARD_LIMITS)
        .await?;
    let JsonBody(req) = body?;
    Ok(success(
        feed_cards::update_batch(&state, &caller.app, id_type, &req).await?,
    ))
}

pub async fn delete_batch(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Result<JsonBody<DeleteAppFeedCardBatchRequest>, ApiError>,
) -> Answer<AppFeedCardBatchResponse> {
    caller.require(SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller
        .limit(&state, "app_feed_card.batch_delete", CARD_LIMITS)
        .await?;
    let JsonBody(req) = body?;
    Ok(success(
        feed_cards::delete_batch(&state, &caller.app, id_type, &req).await?,
    ))
}

pub async fn update_chat_buttons(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Result<JsonBody<UpdateChatButtonRequest>, ApiError>,
) -> Answer<UpdateChatButtonResponse> {
    caller.require(SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit(&state, "chat_button", CARD_LIMITS).await?;
    let JsonBody(req) = body?;
    Ok(success(
        feed_cards::update_chat_buttons(&state, &caller.app, id_type, &req).await?,
    ))
}

/// `PATCH /open-apis/im/v2/feed_cards/:feed_card_id`. The platform requires `user_id_type` here.
pub async fn patch_chat(
    State(state): State<AppState>,
    caller: Caller,
    PathId(feed_card_id): PathId,
    params: Params,
    body: Result<JsonBody<PatchFeedCardRequest>, ApiError>,
) -> Answer<TimeSensitiveResponse> {
    caller.require(TIME_SENSITIVE_SCOPES)?;
    if params.get("user_id_type").is_none() {
        return Err(params.invalid("user_id_type", "is required"));
    }
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller
        .limit(&state, "feed_cards.patch", TIME_SENSITIVE_LIMITS)
        .await?;
    let JsonBody(req) = body?;
    Ok(success(
        feed_cards::set_chat_time_sensitive(&state, &caller.app, id_type, &feed_card_id, &req)
            .await?,
    ))
}

/// `PATCH /open-apis/im/v2/feed_cards/bot_time_sentive` (the platform's spelling).
pub async fn bot_time_sentive(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Result<JsonBody<BotTimeSentiveRequest>, ApiError>,
) -> Answer<TimeSensitiveResponse> {
    caller.require(TIME_SENSITIVE_SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller
        .limit(&state, "feed_cards.bot_time_sentive", TIME_SENSITIVE_LIMITS)
        .await?;
    let JsonBody(req) = body?;
    Ok(success(
        feed_cards::set_bot_time_sensitive(&state, &caller.app, id_type, &req).await?,
    ))
}
