use crate::error::{ApiError, JsonAnswer};
use crate::extract::JsonBody;
use crate::platform::PlatformState;
use crate::service::tokens;
use axum::extract::State;
use larkfeed_model::endpoint::{AppAccessToken, Endpoint, TenantAccessToken};
use larkfeed_model::token::{TokenRequest, TokenResponse};

pub async fn tenant_access_token(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<TokenRequest>,
) -> Result<JsonAnswer<TokenResponse>, ApiError> {
    answer::<TenantAccessToken>(&state, req, false).await
}

pub async fn app_access_token(
    State(state): State<PlatformState>,
    JsonBody(req): JsonBody<TokenRequest>,
) -> Result<JsonAnswer<TokenResponse>, ApiError> {
    answer::<AppAccessToken>(&state, req, true).await
}

/// For a self-built app the app token and the tenant token are the same token; the app endpoint
/// names it under both fields.
async fn answer<E: Endpoint>(
    state: &PlatformState,
    req: TokenRequest,
    app_token: bool,
) -> Result<JsonAnswer<TokenResponse>, ApiError> {
    state
        .stats
        .token_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let issued = tokens::issue(state, req.parse().map_err(super::invalid::<E>)?).await?;
    Ok(JsonAnswer(TokenResponse {
        code: 0,
        msg: "ok".into(),
        app_access_token: app_token.then(|| issued.token.clone()),
        tenant_access_token: Some(issued.token),
        expire: issued.expire_secs,
    }))
}
