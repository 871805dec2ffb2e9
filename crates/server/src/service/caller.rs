//! The app calling an Open API endpoint, found from its tenant access token, and what is checked
//! of it before its service runs: scopes, the `user_id` field scope, rate limits.

use crate::error::ApiError;
use crate::extract::Params;
use crate::state::AppState;
use crate::world::App;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use larkfeed_model::endpoint::Endpoint;
use larkfeed_model::{ErrorCode, UserIdType};
use std::sync::Arc;

/// The app calling, from its tenant access token. Checks run in the platform's order:
/// missing token (99991661), token format (99991671), user tokens (99991668), unknown or
/// expired token (99991663).
pub struct Caller {
    pub app: Arc<App>,
}

/// Any state that holds the services' state (the router's): read in place, not cloned, since a
/// clone per call is a reference count both cores would fight over.
impl<S: AsRef<AppState> + Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state: &AppState = state.as_ref();
        state
            .stats
            .api_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = header
            .map(str::trim)
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::new(ErrorCode::MissingToken))?;
        if token.starts_with("u-") {
            return Err(ApiError::new(ErrorCode::UserTokenInvalid));
        }
        if !token.starts_with("t-") {
            return Err(ApiError::new(ErrorCode::BadTokenFormat));
        }
        let app = super::tokens::app_of(state, token)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::TenantTokenInvalid))?;
        Ok(Caller { app })
    }
}

impl Caller {
    /// 99991672 unless the app holds one of `scopes`.
    pub fn require(&self, scopes: &[&str]) -> Result<(), ApiError> {
        if self.app.has_any_scope(scopes) {
            Ok(())
        } else {
            Err(ApiError::scopes(scopes))
        }
    }

    /// `user_id_type` from the query (default `open_id`); `user_id` needs its field scope.
    pub fn user_id_type(&self, params: &Params, name: &str) -> Result<UserIdType, ApiError> {
        let id_type = params.parse::<UserIdType>(name)?.unwrap_or_default();
        if id_type == UserIdType::UserId {
            self.require(&[USER_ID_SCOPE])?;
        }
        Ok(id_type)
    }

    /// Counts this call against the app's limits for endpoint `E`: 99991400 when one is full.
    pub async fn limit<E: Endpoint>(&self, state: &AppState) -> Result<(), ApiError> {
        if !state.limits.enabled() || E::LIMITS.is_empty() {
            return Ok(());
        }
        let keys: Vec<(String, u32, i64)> = E::LIMITS
            .iter()
            .map(|per| {
                let (n, window_ms) = per.window();
                // `app|api|window`, without `format!`'s machinery on every call.
                let window = window_ms.to_string();
                let mut key =
                    String::with_capacity(self.app.app_id.len() + E::NAME.len() + window.len() + 2);
                for part in [&*self.app.app_id, "|", E::NAME, "|", &window] {
                    key.push_str(part);
                }
                (key, n, window_ms)
            })
            .collect();
        let keys: Vec<(&str, u32, i64)> =
            keys.iter().map(|(k, n, w)| (k.as_str(), *n, *w)).collect();
        state
            .limits
            .count_all(&keys, state.clock.now_ms())
            .await
            .map_err(|e| ApiError::rate_limited(ErrorCode::RateLimited, e.limit, e.reset_secs))
    }
}

pub const USER_ID_SCOPE: &str = "contact:user.employee_id:readonly";
