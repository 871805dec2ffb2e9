//! The router: every Open API endpoint the model describes, each served by its service's
//! [`Serve`] through one handler (`open_api`); the admin routes; the log-id middleware; and the
//! envelope answers for unknown paths, wrong methods and panics.

mod act;
mod admin;
mod auth;
pub mod openapi;
mod resources;
mod ui;

use crate::error::{ApiError, JsonAnswer, LogId, LOG_ID};
use crate::extract::{parse_json, Params};
use crate::platform::PlatformState;
use crate::service::call::{Call, FromPath, FromQuery, Serve};
use crate::service::caller::Caller;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::{Json, Router};
use larkfeed_model::endpoint::{self as ep, Endpoint, Method, Parse};
use larkfeed_model::{Envelope, ErrorCode, FieldError};
use serde::Serialize;
use std::time::Instant;

/// Routes every endpoint the model lists (`every_endpoint!`) at its method and path: an endpoint
/// without a route, or without a service, does not compile.
macro_rules! route_every {
    ($($endpoint:path),*) => {
        fn open_apis(router: Router<PlatformState>) -> Router<PlatformState> {
            router $(.route(<$endpoint as Endpoint>::PATH, <$endpoint as Route>::route()))*
        }
    };
}
larkfeed_model::every_endpoint!(route_every);

pub fn router(state: PlatformState) -> Router {
    open_apis(Router::new())
        .route("/_larkfeed/world", get(admin::world))
        .route("/_larkfeed/health", get(admin::health))
        .route("/_larkfeed/stats", get(admin::stats))
        .route("/_larkfeed/users/{id}/feed", get(admin::user_feed))
        .route("/_larkfeed/clock", get(admin::clock).post(admin::set_clock))
        .route("/_larkfeed/act/card_action", post(act::card_action))
        .route(
            "/_larkfeed/act/feed_card_button",
            post(act::feed_card_button),
        )
        .route("/_larkfeed/act/chat_button", post(act::chat_button))
        .route("/_larkfeed/act/send_message", post(act::send_message))
        .route("/_larkfeed/act/react", post(act::react))
        .route("/_larkfeed/act/add_bot", post(act::add_bot))
        .route("/_larkfeed/act/remove_bot", post(act::remove_bot))
        .route("/_larkfeed/act/read", post(act::read))
        .route("/_larkfeed/act/recall", post(act::recall))
        .route(
            "/_larkfeed/act/upload",
            post(act::upload).layer(axum::extract::DefaultBodyLimit::max(
                resources::UPLOAD_MAX_BODY * 4 / 3 + 1024,
            )),
        )
        .route(
            "/_larkfeed/apps/{app_id}",
            get(admin::app_endpoints).put(admin::set_app_endpoints),
        )
        .route("/_larkfeed/deliveries", get(admin::deliveries))
        .route("/_larkfeed/requests", get(admin::requests))
        .route(
            "/_larkfeed/faults",
            get(admin::faults)
                .post(admin::add_fault)
                .delete(admin::clear_faults),
        )
        .route("/_larkfeed/reset", post(admin::reset))
        .route(
            "/_larkfeed/tenants",
            get(admin::list_tenants).post(admin::create_tenant),
        )
        .route("/_larkfeed/tenants/{key}", delete(admin::delete_tenant))
        .route("/_larkfeed/tenants/{key}/reset", post(admin::reset_tenant))
        .route("/_larkfeed/state", get(admin::state).put(admin::load_state))
        .route("/_larkfeed/events", get(admin::events))
        .route("/_larkfeed/metrics", get(admin::metrics))
        .route("/_larkfeed/uploads/{key}", get(admin::upload))
        .route("/_larkfeed/openapi.json", get(openapi::openapi))
        .route(
            "/_larkfeed/chats/{chat_id}/messages",
            get(admin::chat_messages),
        )
        .route("/", get(ui::page))
        .route("/_larkfeed/ui", get(ui::page))
        .route("/_larkfeed/ui/{file}", get(ui::asset))
        .route(
            crate::platform::ws::ENDPOINT_PATH,
            post(crate::platform::ws::endpoint),
        )
        .route(
            crate::platform::ws::CONNECT_PATH,
            get(crate::platform::ws::connect),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), front))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .with_state(state)
}

/// How an endpoint is routed: through [`open_api`] to its service, but for the two token
/// endpoints, which take no token and answer outside the envelope.
trait Route {
    fn route() -> MethodRouter<PlatformState>;
}

impl<E: Serve> Route for E {
    fn route() -> MethodRouter<PlatformState> {
        on::<E, _, _>(open_api::<E>)
    }
}

impl Route for ep::TenantAccessToken {
    fn route() -> MethodRouter<PlatformState> {
        on::<Self, _, _>(auth::tenant_access_token)
    }
}

/// Uploads take a form of up to 30 MB.
fn upload_route<H: Handler<T, PlatformState>, T: 'static>(
    handler: H,
) -> MethodRouter<PlatformState> {
    post(handler).layer(axum::extract::DefaultBodyLimit::max(
        resources::UPLOAD_MAX_BODY,
    ))
}

impl Route for ep::UploadImage {
    fn route() -> MethodRouter<PlatformState> {
        upload_route(resources::upload_image)
    }
}

impl Route for ep::UploadFile {
    fn route() -> MethodRouter<PlatformState> {
        upload_route(resources::upload_file)
    }
}

impl Route for ep::GetImage {
    fn route() -> MethodRouter<PlatformState> {
        on::<Self, _, _>(resources::get_image)
    }
}

impl Route for ep::GetFile {
    fn route() -> MethodRouter<PlatformState> {
        on::<Self, _, _>(resources::get_file)
    }
}

impl Route for ep::GetMessageResource {
    fn route() -> MethodRouter<PlatformState> {
        on::<Self, _, _>(resources::get_message_resource)
    }
}

impl Route for ep::BotInfo {
    fn route() -> MethodRouter<PlatformState> {
        on::<Self, _, _>(auth::bot_info)
    }
}

impl Route for ep::AppAccessToken {
    fn route() -> MethodRouter<PlatformState> {
        on::<Self, _, _>(auth::app_access_token)
    }
}

/// `handler` at `E`'s method.
fn on<E: Endpoint + 'static, H: Handler<T, PlatformState>, T: 'static>(
    handler: H,
) -> MethodRouter<PlatformState> {
    match E::METHOD {
        Method::Get => get(handler),
        Method::Post => post(handler),
        Method::Put => put(handler),
        Method::Patch => patch(handler),
        Method::Delete => delete(handler),
    }
}

/// An Open API call, in the platform's order: the token (the [`Caller`] extractor), a query
/// string that parses, the endpoint's scopes, its query parameters, its rate limits, then its
/// body by the model's rules; the service's answer in the envelope, serialised once.
async fn open_api<E: Serve>(
    // The router's own state, cloned as it is anyway (one reference count per call); the
    // services' part is borrowed from it.
    State(state): State<PlatformState>,
    caller: Caller,
    QueryOf(params, _): QueryOf<E>,
    PathOf(path): PathOf<E>,
    body: Result<Bytes, BytesRejection>,
) -> Answer<E::Response> {
    if !E::SCOPES.is_empty() {
        caller.require(E::SCOPES)?;
    }
    let query = E::Query::read(&caller, &params)?;
    caller.limit::<E>(&state).await?;
    let request: E::Request = if E::BODY {
        let bytes =
            body.map_err(|e| invalid::<E>(FieldError::new("body", crate::body::rejection(&e))))?;
        parse_json(&bytes).map_err(invalid::<E>)?
    } else {
        // `()`, which JSON's null is.
        serde_json::from_value(serde_json::Value::Null)
            .map_err(|e| invalid::<E>(FieldError::new("body", e.to_string())))?
    };
    let valid = request.parse().map_err(invalid::<E>)?;
    let call = Call {
        path,
        query,
        body: valid,
    };
    let data = E::serve(&state, &caller.app, call).await?;
    Ok(JsonAnswer(Envelope {
        msg: E::MSG.to_string(),
        ..Envelope::success(data)
    }))
}

/// The query string of a call of endpoint `E`, read in place (no copy of its text), with `E`'s
/// invalid-parameter code for what does not parse.
struct QueryOf<E: Endpoint + ?Sized>(Params, std::marker::PhantomData<E>);

impl<E: Endpoint> FromRequestParts<PlatformState> for QueryOf<E> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &PlatformState) -> Result<Self, ApiError> {
        let params = Params::read(parts.uri.query(), E::INVALID)?;
        Ok(QueryOf(params, std::marker::PhantomData))
    }
}

/// The path's parameter of endpoint `E`, as its service takes it.
struct PathOf<E: Endpoint + ?Sized>(E::Path);

impl<E: Serve> FromRequestParts<PlatformState> for PathOf<E> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &PlatformState,
    ) -> Result<Self, ApiError> {
        E::Path::read(parts, &state.app).await.map(PathOf)
    }
}

/// The invalid-param code of `E`'s family (230001, 232001, 10003) naming the broken field.
fn invalid<E: Endpoint>(field: FieldError) -> ApiError {
    ApiError::field(E::INVALID, field)
}

/// What an Open API handler answers: the model's envelope around `T`, serialised once, or an
/// error.
pub(crate) type Answer<T> = Result<JsonAnswer<Envelope<T>>, ApiError>;

/// `{"code":0,"msg":"success","data":…}`.
pub(crate) fn success<T: Serialize>(data: T) -> JsonAnswer<Envelope<T>> {
    JsonAnswer(Envelope::success(data))
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound)
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed)
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    ApiError::new(ErrorCode::InternalError).into_response()
}

/// In front of every call, as one layer (each layer costs an allocation and a clone per call):
/// a log id (in `X-Tt-Logid` and in error bodies) and a log line, then [`guarded`].
async fn front(
    axum::extract::State(state): axum::extract::State<PlatformState>,
    req: Request,
    next: Next,
) -> Response {
    let id = LogId::now();
    let started = Instant::now();
    // A body that stalls is cut off, as stalled headers are.
    let req = req.map(|body| crate::body::timed(body, state.header_timeout, state.request_timeout));
    // The fields are written only when the span is enabled.
    let span = tracing::info_span!("request", log_id = %id, method = %req.method(), path = req.uri().path());
    let mut response = LOG_ID
        .scope(
            id,
            tracing::Instrument::instrument(guarded(state, req, next), span.clone()),
        )
        .await;
    let status = response.status();
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!(
                status = status.as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "answered"
            );
        } else {
            tracing::info!(
                status = status.as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "answered"
            );
        }
    });
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert("x-tt-logid", value.clone());
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The admin token check, then the Open API call log with its injected faults
/// ([`crate::platform::requests::observe`]), then the handler within its time limit.
async fn guarded(state: PlatformState, req: Request, next: Next) -> Response {
    if let Some(refusal) = admin_refusal(&state, &req) {
        return refusal;
    }
    if req.uri().path().starts_with("/open-apis/") {
        crate::platform::requests::observe(&state, req, next).await
    } else {
        crate::deadline::within(&state, next.run(req)).await
    }
}

/// Every `/_larkfeed/` call but the health check needs the admin token, when one is set: the
/// refusal when it is missing or wrong.
fn admin_refusal(state: &PlatformState, req: &Request) -> Option<Response> {
    let path = req.uri().path();
    // The health check and the inspector's own files are open; what they show comes from
    // guarded calls.
    let guarded = path.starts_with("/_larkfeed/")
        && path != "/_larkfeed/health"
        && path != "/_larkfeed/ui"
        && !path.starts_with("/_larkfeed/ui/");
    if let (true, Some(expected)) = (guarded, state.admin_token.as_deref()) {
        let given = req
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .map(str::to_string)
            // An EventSource and an <img> cannot send headers: the change feed's and an
            // upload's token may come as `admin_token=`. Nowhere else, so that it stays out of
            // proxies' access logs.
            .or_else(|| {
                if path != "/_larkfeed/events" && !path.starts_with("/_larkfeed/uploads/") {
                    return None;
                }
                let query = req.uri().query().unwrap_or("");
                serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                    .ok()?
                    .into_iter()
                    .find(|(k, _)| k == "admin_token")
                    .map(|(_, v)| v)
            });
        let matches = given.as_deref().is_some_and(|g| {
            use sha2::Digest;
            sha2::Sha256::digest(g.as_bytes()) == sha2::Sha256::digest(expected.as_bytes())
        });
        if !matches {
            let body = serde_json::json!({
                "code": ErrorCode::MissingToken.code(),
                "msg": "the admin API needs Authorization: Bearer <admin token> (--admin-token)",
                "data": {},
                "error": {"log_id": crate::error::current_log_id()},
            });
            return Some((axum::http::StatusCode::UNAUTHORIZED, Json(body)).into_response());
        }
    }
    None
}

/// Answers a connection over the limit with the envelope (1500, HTTP 503) and closes it.
pub(crate) async fn turn_away(mut stream: tokio::net::TcpStream, limit: usize) {
    use tokio::io::AsyncWriteExt;
    let log_id = LogId::now();
    let body = serde_json::json!({
        "code": ErrorCode::InternalError.code(),
        "msg": format!("server busy: {limit} connections are open, the most it takes; try again"),
        "error": {"log_id": log_id},
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n\
         X-Tt-Logid: {log_id}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tracing::warn!(limit, "a connection over the limit was turned away");
    let write = stream.write_all(response.as_bytes());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), write).await;
    let _ = stream.shutdown().await;
}
