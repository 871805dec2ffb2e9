//! `/_larkfeed/act/…`: what a user does, delivered to the app.

use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::platform::act;
use crate::platform::PlatformState;
use axum::extract::State;
use axum::Json;
use larkfeed_model::admin::{
    Acted, AddBot, CardAction, ChatButton, FeedCardButton, React, Read, Recall, SendMessage, Upload,
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

/// A user's upload: `{"image_key"}` or `{"file_key"}`.
pub async fn upload(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<Upload>,
) -> Result<Json<serde_json::Value>, ApiError> {
    use base64::Engine;
    let user = act::user(&state, &req.user)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(req.data.trim())
        .map_err(|e| {
            ApiError::field(
                larkfeed_model::ErrorCode::ImInvalidParam,
                larkfeed_model::FieldError::new("data", format!("must be base64: {e}")),
            )
        })?;
    let who = crate::store::Actor::User(user.user_id.clone());
    let answer = match req.kind.as_str() {
        "image" => {
            let key = crate::service::resources::store_image(&state, who, "message", bytes).await?;
            serde_json::json!({ "image_key": key })
        }
        "file" => {
            let name = if req.file_name.is_empty() {
                "file"
            } else {
                req.file_name.as_str()
            };
            let key =
                crate::service::resources::store_file(&state, who, "stream", name, None, bytes)
                    .await?;
            serde_json::json!({ "file_key": key })
        }
        _ => {
            return Err(ApiError::field(
                larkfeed_model::ErrorCode::ImInvalidParam,
                larkfeed_model::FieldError::new("type", "must be image or file"),
            ))
        }
    };
    Ok(Json(answer))
}

pub async fn read(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<Read>,
) -> Result<Json<Acted>, ApiError> {
    Ok(Json(act::read(&state, req).await?))
}

pub async fn recall(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<Recall>,
) -> Result<Json<Acted>, ApiError> {
    Ok(Json(act::recall(&state, req).await?))
}

pub async fn remove_bot(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<AddBot>,
) -> Result<Json<Acted>, ApiError> {
    Ok(Json(act::remove_bot(&state, req).await?))
}
