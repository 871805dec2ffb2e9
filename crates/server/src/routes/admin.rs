//! larkfeed's own admin API under `/_larkfeed/` (no token).

use crate::error::ApiError;
use crate::extract::{JsonBody, Params, PathId};
use crate::service::feed;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use larkfeed_model::feed::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use larkfeed_model::{ErrorCode, FieldError};

/// The world: apps with credentials and scopes, and each app's view of every user.
pub async fn world(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.world.describe())
}

/// `GET /_larkfeed/stats`: counters since the server started.
pub async fn stats(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.stats.describe())
}

pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// `GET /_larkfeed/clock`: the server's time.
pub async fn clock(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(describe_clock(&state))
}

fn describe_clock(state: &AppState) -> serde_json::Value {
    serde_json::json!({"now_ms": state.clock.now_ms(), "frozen": state.clock.is_frozen()})
}

/// What `POST /_larkfeed/clock` takes: any of these, applied in this order.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockChange {
    /// Set the time to this instant (Unix milliseconds).
    set_ms: Option<i64>,
    /// Move the time forward (or back, if negative) by this much.
    advance_ms: Option<i64>,
    /// Stop (true) or restart (false) the clock.
    frozen: Option<bool>,
}

/// `POST /_larkfeed/clock`: set, advance, freeze or resume the server's time, so the 14-day
/// window, token expiry and the uuid window can be crossed in a second.
pub async fn set_clock(
    State(state): State<AppState>,
    JsonBody(change): JsonBody<ClockChange>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let clock = &state.clock;
    // Checked before anything moves, so a refused change changes nothing.
    let out_of_range = |field: &str| {
        ApiError::field(
            ErrorCode::ImInvalidParam,
            FieldError::new(
                field,
                format!(
                    "would put the clock outside 1970-01-01 to 9999-12-31 (0 to {MAX_CLOCK_MS} ms)"
                ),
            ),
        )
    };
    let mut at = clock.now_ms();
    if let Some(set) = change.set_ms {
        if !(0..=MAX_CLOCK_MS).contains(&set) {
            return Err(out_of_range("set_ms"));
        }
        at = set;
    }
    if let Some(ms) = change.advance_ms {
        if !at
            .checked_add(ms)
            .is_some_and(|t| (0..=MAX_CLOCK_MS).contains(&t))
        {
            return Err(out_of_range("advance_ms"));
        }
    }
    if let Some(at) = change.set_ms {
        clock.set_ms(at);
    }
    if let Some(ms) = change.advance_ms {
        clock.advance_ms(ms);
    }
    match change.frozen {
        Some(true) => clock.freeze(),
        Some(false) => clock.resume(),
        None => {}
    }
    tracing::info!(
        now_ms = clock.now_ms(),
        frozen = clock.is_frozen(),
        "clock changed"
    );
    Ok(Json(describe_clock(&state)))
}

/// The latest instant the admin clock may be set to: the end of the year 9999.
pub const MAX_CLOCK_MS: i64 = 253_402_300_799_999;

/// `GET /_larkfeed/users/:id/feed`: one user's feed, named by any of their ids (an open_id of any
/// app, a union_id, the user_id or the email).
/// Paged as the platform's list APIs are: `page_size` (1–100, default 20) and the `page_token`
/// of the previous page.
pub async fn user_feed(
    State(state): State<AppState>,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = state.world.find_user(&id).ok_or_else(|| {
        ApiError::with_msg(ErrorCode::NotFound, format!("no user has the id {id:?}"))
    })?;
    let page_size = params
        .number("page_size", 1, MAX_PAGE_SIZE)?
        .unwrap_or(DEFAULT_PAGE_SIZE);
    let after = params
        .get("page_token")
        .map(feed::parse_page_token)
        .transpose()?;
    Ok(super::success(
        feed::of_user(&state, user, page_size, after).await?,
    ))
}
