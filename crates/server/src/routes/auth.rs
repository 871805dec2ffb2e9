use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::service::tokens;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use larkfeed_model::token::{TokenRequest, TokenResponse};

pub async fn tenant_access_token(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let issued = tokens::issue(&state, &req).await?;
    Ok(Json(TokenResponse {
        code: 0,
        msg: "ok".into(),
        app_access_token: None,
        tenant_access_token: Some(issued.token),
        expire: issued.expire_secs,
    }))
}

/// For a self-built app the app token and the tenant token are the same token.
pub async fn app_access_token(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let issued = tokens::issue(&state, &req).await?;
    Ok(Json(TokenResponse {
        code: 0,
        msg: "ok".into(),
        app_access_token: Some(issued.token.clone()),
        tenant_access_token: Some(issued.token),
        expire: issued.expire_secs,
    }))
}
