//! The inspector: a page that shows each user's feed and chats as the Feishu client would, and
//! acts as them. Its files are compiled into the binary; it needs no network and no build step.
//! A Content-Security-Policy keeps it to its own origin.

use crate::error::ApiError;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use larkfeed_model::ErrorCode;

const INDEX: &str = include_str!("../../ui/index.html");
const SCRIPT: &str = include_str!("../../ui/app.js");
const STYLE: &str = include_str!("../../ui/style.css");

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

fn file(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `GET /` and `GET /_larkfeed/ui`.
pub async fn page() -> Response {
    file(INDEX, "text/html; charset=utf-8")
}

/// `GET /_larkfeed/ui/:file`: the page's script and style sheet.
pub async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match name.as_str() {
        "app.js" => file(SCRIPT, "text/javascript; charset=utf-8"),
        "style.css" => file(STYLE, "text/css; charset=utf-8"),
        _ => ApiError::new(ErrorCode::NotFound).into_response(),
    }
}
