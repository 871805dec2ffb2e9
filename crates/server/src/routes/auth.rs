use crate::error::{ApiError, JsonAnswer};
use crate::extract::JsonBody;
use crate::platform::PlatformState;
use crate::service::caller::Caller;
use crate::service::tokens;
use axum::extract::State;
use larkfeed_model::bot::{BotInfo, BotInfoResponse};
use larkfeed_model::endpoint::{self as ep, AppAccessToken, Endpoint, TenantAccessToken};
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

/// `GET /open-apis/bot/v3/info`: `bot` beside `code` and `msg`, as the platform answers it.
pub async fn bot_info(
    State(state): State<PlatformState>,
    caller: Caller,
) -> Result<JsonAnswer<BotInfoResponse>, ApiError> {
    caller.limit::<ep::BotInfo>(&state).await?;
    let app = &caller.app;
    Ok(JsonAnswer(BotInfoResponse {
        code: 0,
        msg: "ok".into(),
        bot: BotInfo {
            activate_status: if app.bot { 2 } else { 0 },
            app_name: app.name.clone(),
            avatar_url: String::new(),
            ip_white_list: Vec::new(),
            open_id: state.world.bot_open_id(app, &app.app_id),
        },
    }))
}
