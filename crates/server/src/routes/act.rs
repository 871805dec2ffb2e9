//! `/_larkfeed/act/…`: what a user does, delivered to the app.

use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::platform::act;
use crate::platform::PlatformState;
use axum::extract::State;
use axum::Json;
use larkfeed_model::admin::{
    Acted, AddBot, CardAction, ChatButton, FeedCardButton, React, SendMessage,
};

pub async fn card_action(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<CardAction>,
) -> Result<Json<Acted>, ApiError> {
    Ok(Json(act::card_action(&state, req).await?))
}

pub async fn feed_card_button(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<FeedCardButton>,
) -> Result<Json<Acted>, ApiError> {
    Ok(Json(act::feed_card_button(&state, req).await?))
}

pub async fn chat_button(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<ChatButton>,
) -> Result<Json<Acted>, ApiError> {
    Ok(Json(act::chat_button(&state, req).await?))
}

pub async fn send_message(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<SendMessage>,
) -> Result<Json<Acted>, ApiError> {
    Ok(Json(act::send_message(&state, req).await?))
}

pub async fn react(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<React>,
) -> Result<Json<Acted>, ApiError> {
    Ok(Json(act::react(&state, req).await?))
}

pub async fn add_bot(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<AddBot>,
) -> Result<Json<Acted>, ApiError> {
    Ok(Json(act::add_bot(&state, req).await?))
}
