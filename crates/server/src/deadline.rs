//! The request time limit: a call not answered in time gets the envelope with 1500, whoever runs
//! it (the router's front layer, or the Open API log around a call).

use crate::error::ApiError;
use crate::state::AppState;
use axum::response::{IntoResponse, Response};
use larkfeed_model::ErrorCode;

/// Answers 1500 if the request is not answered within the configured time.
pub async fn within(
    state: &AppState,
    answer: impl std::future::Future<Output = Response>,
) -> Response {
    let limit = state.request_timeout;
    match tokio::time::timeout(limit, answer).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_ms = limit.as_millis() as u64, "request timed out");
            ApiError::with_msg(
                ErrorCode::InternalError,
                format!(
                    "request timed out: not answered within {} ms; try again",
                    limit.as_millis()
                ),
            )
            .into_response()
        }
    }
}
