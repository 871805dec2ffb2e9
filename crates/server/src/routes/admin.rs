//! larkfeed's own admin API under `/_larkfeed/` (open on loopback; behind the admin token when
//! one is set).

use crate::error::ApiError;
use crate::extract::{JsonBody, Params, PathId};
use crate::platform::endpoints;
use crate::platform::faults::FaultSpec;
use crate::platform::PlatformState;
use crate::service::feed;
use axum::extract::State;
use axum::Json;
use larkfeed_model::feed::{UserFeed, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use larkfeed_model::{ErrorCode, FieldError};

/// The world: apps with credentials and scopes, and each app's view of every user.
pub async fn world(State(state): State<PlatformState>) -> Json<serde_json::Value> {
    Json(state.world.describe())
}

/// `GET /_larkfeed/stats`: counters since the server started.
pub async fn stats(State(state): State<PlatformState>) -> Json<serde_json::Value> {
    Json(state.stats.describe())
}

/// `GET /_larkfeed/metrics`: counters, latencies and gauges for Prometheus: OpenMetrics text to
/// a scraper whose `Accept` names it (Prometheus does), else the classic text format 0.0.4 (curl,
/// older scrapers). The database is checked as `/_larkfeed/health` checks it.
pub async fn metrics(
    State(state): State<PlatformState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let check = tokio::time::timeout(std::time::Duration::from_secs(3), state.store.meta("world"));
    let database_up = matches!(check.await, Ok(Ok(_)));
    let tenants_open = state.platform.tenants.get().map_or(0, |t| t.open_here());
    let text = state
        .platform
        .metrics
        .render(state.platform.ws.open(), database_up, tenants_open);
    let openmetrics = headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let (content_type, text) = if openmetrics {
        (
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            text,
        )
    } else {
        (
            "text/plain; version=0.0.4; charset=utf-8",
            crate::platform::metrics::classic_text(&text),
        )
    };
    ([(axum::http::header::CONTENT_TYPE, content_type)], text).into_response()
}

/// `GET /_larkfeed/health`: the server answers, and whether its database does (HTTP 503 with
/// the envelope's code 1500 when it does not, so a load balancer takes the instance out).
pub async fn health(State(state): State<PlatformState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let started = std::time::Instant::now();
    let check = tokio::time::timeout(std::time::Duration::from_secs(3), state.store.meta("world"));
    match check.await {
        Ok(Ok(_)) => Json(serde_json::json!({
            "status": "ok",
            "database": {"status": "ok", "latency_ms": started.elapsed().as_millis() as u64},
        }))
        .into_response(),
        failed => {
            let why = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer within 3 s".to_string(),
            };
            tracing::warn!(error = %why, "health check: the database does not answer");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({
                    "code": ErrorCode::InternalError.code(),
                    "msg": format!("system busy: the database does not answer ({why})"),
                    "data": {},
                    "status": "unavailable",
                    "database": {"status": "unavailable", "error": why},
                })),
            )
                .into_response()
        }
    }
}

/// `GET /_larkfeed/clock`: the server's time.
pub async fn clock(State(state): State<PlatformState>) -> Json<serde_json::Value> {
    Json(describe_clock(&state))
}

fn describe_clock(state: &PlatformState) -> serde_json::Value {
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
    State(state): State<PlatformState>,
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
    tracing::debug!(
        now_ms = clock.now_ms(),
        frozen = clock.is_frozen(),
        "clock changed"
    );
    if state.platform.cluster.get().is_some() {
        // Kept for instances that start later, and sent to those running now.
        let settings = clock.settings();
        state
            .store
            .set_meta(
                "clock",
                &serde_json::to_string(&settings).unwrap_or_default(),
            )
            .await?;
        state
            .platform
            .share("clock", serde_json::to_value(settings).unwrap_or_default());
    }
    Ok(Json(describe_clock(&state)))
}

/// The latest instant the admin clock may be set to: the end of the year 9999.
pub const MAX_CLOCK_MS: i64 = 253_402_300_799_999;

/// `GET /_larkfeed/users/:id/feed`: one user's feed, named by any of their ids (an open_id of any
/// app, a union_id, the user_id or the email).
/// Paged as the platform's list APIs are: `page_size` (1–100, default 20) and the `page_token`
/// of the previous page.
pub async fn user_feed(
    State(state): State<PlatformState>,
    PathId(id): PathId,
    params: Params,
) -> super::Answer<UserFeed> {
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

/// `GET /_larkfeed/apps/:app_id`: the app's endpoints now (keys shown only as set or not).
pub async fn app_endpoints(
    State(state): State<PlatformState>,
    PathId(app_id): PathId,
) -> Result<Json<serde_json::Value>, ApiError> {
    let app = known_app(&state, &app_id)?;
    let ends = endpoints::of_app(&state, &app).await?;
    let mut view = describe_endpoints(&app.app_id, &ends);
    view["connections"] = state.platform.ws.connections(&app.app_id).into();
    Ok(Json(view))
}

fn known_app(
    state: &PlatformState,
    app_id: &str,
) -> Result<std::sync::Arc<crate::world::App>, ApiError> {
    state.world.app(app_id).cloned().ok_or_else(|| {
        ApiError::with_msg(ErrorCode::NotFound, format!("no app has the id {app_id:?}"))
    })
}

fn describe_endpoints(app_id: &str, ends: &endpoints::Endpoints) -> serde_json::Value {
    serde_json::json!({
        "app_id": app_id,
        "event_url": ends.event_url,
        "callback_url": ends.callback_url,
        "encrypt_key_set": ends.encrypt_key.as_deref().is_some_and(|k| !k.is_empty()),
        "verification_token_set": ends.verification_token.as_deref().is_some_and(|k| !k.is_empty()),
    })
}

/// `PUT /_larkfeed/apps/:app_id`: change any of `event_url`, `callback_url`, `encrypt_key`,
/// `verification_token` (`null` clears one). A new URL must pass the URL check first.
pub async fn set_app_endpoints(
    State(state): State<PlatformState>,
    PathId(app_id): PathId,
    JsonBody(change): JsonBody<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let app = known_app(&state, &app_id)?;
    let ends = endpoints::change(&state, &app, change).await?;
    Ok(Json(describe_endpoints(&app.app_id, &ends)))
}

/// How many log records one call returns unless it says otherwise, and at most.
const LOG_PAGE: u32 = 100;
const LOG_PAGE_MAX: u32 = 1_000;

/// What both logs are read by: how many entries (`limit`), and of which app (`app_id`).
fn log_filter(params: &Params) -> Result<(usize, Option<&str>), ApiError> {
    let limit = params.number("limit", 1, LOG_PAGE_MAX)?.unwrap_or(LOG_PAGE);
    Ok((limit as usize, params.get("app_id")))
}

/// `GET /_larkfeed/deliveries?app_id=&event_type=&kind=&limit=`: callbacks, events and URL checks
/// sent, newest first. `kind` takes a comma-separated list of `callback`, `event`,
/// `url_verification`.
pub async fn deliveries(
    State(state): State<PlatformState>,
    params: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (limit, app_id) = log_filter(&params)?;
    let event_type = params.get("event_type");
    let kinds: Option<Vec<&str>> = params.get("kind").map(|k| k.split(',').collect());
    let items = state.platform.deliveries.newest(limit, |d| {
        app_id.is_none_or(|a| d.app_id == a)
            && event_type.is_none_or(|t| d.event_type == t)
            && kinds.as_ref().is_none_or(|k| k.contains(&d.kind))
    });
    Ok(Json(serde_json::json!({ "items": items })))
}

/// `GET /_larkfeed/requests?app_id=&path=&code=&limit=`: Open API calls, newest first, with
/// tokens and secrets redacted. `path` ending in `*` matches a prefix.
pub async fn requests(
    State(state): State<PlatformState>,
    params: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (limit, app_id) = log_filter(&params)?;
    let path = params.get("path");
    let code = params
        .get("code")
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| params.invalid("code", format!("must be a number, got {c:?}")))
        })
        .transpose()?;
    let items = state.platform.requests.newest(limit, |r| {
        app_id.is_none_or(|a| r.app_id.as_deref() == Some(a))
            && path.is_none_or(|p| match p.strip_suffix('*') {
                Some(prefix) => r.path().starts_with(prefix),
                None => r.path() == p,
            })
            && code.is_none_or(|c| r.code == Some(c))
    });
    Ok(Json(serde_json::json!({ "items": items })))
}

/// `POST /_larkfeed/faults`: matching Open API calls fail (or wait) until it is spent or cleared.
pub async fn add_fault(
    State(state): State<PlatformState>,
    JsonBody(spec): JsonBody<FaultSpec>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if let Some(problem) = spec.problem() {
        let (field, rule) = problem.split_once(": ").unwrap_or(("body", &problem));
        return Err(ApiError::field(
            ErrorCode::ImInvalidParam,
            FieldError::new(field, rule.to_string()),
        ));
    }
    let fault = state.platform.faults.add(spec);
    state.platform.share_faults();
    tracing::debug!(id = fault.id, path = %fault.spec.path, "fault added");
    Ok(Json(
        serde_json::to_value(fault).map_err(ApiError::internal)?,
    ))
}

pub async fn faults(State(state): State<PlatformState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "items": state.platform.faults.list() }))
}

pub async fn clear_faults(State(state): State<PlatformState>) -> Json<serde_json::Value> {
    state.platform.faults.clear();
    state.platform.share_faults();
    Json(serde_json::json!({ "items": [] }))
}

/// `POST /_larkfeed/reset`: every table of state emptied in one step, the logs and faults
/// forgotten, pending retries dropped. Issued access tokens stay valid.
pub async fn reset(
    State(state): State<PlatformState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    crate::platform::saved::reset(&state).await?;
    Ok(Json(serde_json::json!({ "reset": true })))
}

/// The tenants made at run time: reached from the server's own tenant only.
fn tenants(state: &PlatformState) -> Result<&dyn crate::platform::TenantControl, ApiError> {
    state
        .platform
        .tenants
        .get()
        .map(|t| t.as_ref())
        .ok_or_else(|| {
            ApiError::with_msg(
            ErrorCode::NotFound,
            "tenants are made, emptied and deleted on the server's own tenant (without ?tenant=)",
        )
        })
}

fn no_tenant(key: &str) -> ApiError {
    ApiError::with_msg(
        ErrorCode::NotFound,
        format!("no tenant has the key {key:?}"),
    )
}

/// `GET /_larkfeed/tenants`: the tenants made at run time (on any instance), without secrets.
pub async fn list_tenants(
    State(state): State<PlatformState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let items = tenants(&state)?.list().await?;
    Ok(Json(serde_json::json!({ "items": items })))
}

/// `POST /_larkfeed/tenants`: a new tenant, of the world file (no body) or of a body in the
/// world file's shape (as JSON); new keys, ids and secrets either way.
pub async fn create_tenant(
    State(state): State<PlatformState>,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let file = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let file = crate::extract::parse_json::<crate::world::WorldFile>(&body)
            .map_err(|f| ApiError::field(ErrorCode::ImInvalidParam, f))?;
        Some(file)
    };
    Ok(Json(tenants(&state)?.create(file).await?))
}

/// `DELETE /_larkfeed/tenants/:key`: the tenant and all its data.
pub async fn delete_tenant(
    State(state): State<PlatformState>,
    PathId(key): PathId,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !tenants(&state)?.delete(&key).await? {
        return Err(no_tenant(&key));
    }
    Ok(Json(serde_json::json!({ "deleted": true })))
}

/// `POST /_larkfeed/tenants/:key/reset`: the tenant's state emptied, the tenant kept.
pub async fn reset_tenant(
    State(state): State<PlatformState>,
    PathId(key): PathId,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !tenants(&state)?.reset(&key).await? {
        return Err(no_tenant(&key));
    }
    Ok(Json(serde_json::json!({ "reset": true })))
}

/// `GET /_larkfeed/state`: the whole state as one JSON document.
pub async fn state(
    State(state): State<PlatformState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(crate::platform::saved::export(&state).await?))
}

/// `PUT /_larkfeed/state`: replaces the whole state with a document `GET` gave.
pub async fn load_state(
    State(state): State<PlatformState>,
    JsonBody(doc): JsonBody<crate::platform::saved::StateDocument>,
) -> Result<Json<serde_json::Value>, ApiError> {
    crate::platform::saved::load(&state, doc).await?;
    tracing::debug!("state loaded");
    Ok(Json(serde_json::json!({ "loaded": true })))
}

/// `GET /_larkfeed/events`: server-sent events, one per change, named by its kind.
pub async fn events(
    State(state): State<PlatformState>,
) -> axum::response::sse::Sse<
    impl tokio_stream::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
> {
    use tokio_stream::StreamExt;
    // Ends when the server stops (so a listener does not hold up its shutdown) or the tenant
    // is deleted.
    let closed = state.platform.closed();
    let stream = tokio_stream::wrappers::BroadcastStream::new(state.platform.subscribe())
        .filter_map(|change| {
            let change = change.ok()?;
            axum::response::sse::Event::default()
                .event(change.kind.clone())
                .json_data(&change)
                .ok()
                .map(Ok)
        });
    let stream = futures_util::StreamExt::take_until(stream, closed);
    axum::response::sse::Sse::new(stream).keep_alive(axum::response::sse::KeepAlive::default())
}

/// `GET /_larkfeed/chats/:chat_id/messages?limit=`: the chat's latest messages, oldest first.
pub async fn chat_messages(
    State(state): State<PlatformState>,
    PathId(chat_id): PathId,
    params: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = params.number("limit", 1, LOG_PAGE_MAX)?.unwrap_or(LOG_PAGE);
    let messages = feed::chat_messages(&state, &chat_id, limit).await?;
    // `?reader=` (a user's id of any kind): the chat is read as that user, as opening it in the
    // client reads it; its entry in their feed shows no unread messages after this.
    if let Some(reader) = params.get("reader") {
        let user = state
            .world
            .find_user(reader)
            .ok_or_else(|| params.invalid("reader", format!("no user has the id {reader:?}")))?;
        let chat_id = larkfeed_model::ChatId::parse(chat_id.as_str())
            .map_err(|e| params.invalid("chat_id", e.to_string()))?;
        state
            .store
            .read_chat(
                crate::store::ChatEntry {
                    chat_id: &chat_id,
                    user_id: &user.user_id,
                },
                state.clock.now_ms(),
            )
            .await?;
    }
    Ok(Json(messages))
}

/// `GET /_larkfeed/uploads/:key`: an uploaded image's or file's bytes, whoever uploaded them (the
/// inspector shows images with it, on its own origin).
pub async fn upload(
    State(state): State<PlatformState>,
    PathId(key): PathId,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let row = state.store.upload(&key).await?.ok_or_else(|| {
        ApiError::with_msg(
            ErrorCode::NotFound,
            format!("nothing was uploaded with the key {key:?}"),
        )
    })?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, row.media_type)],
        row.bytes,
    )
        .into_response())
}
