//! Extractors that answer in the Feishu envelope instead of axum's plain-text rejections:
//! [`JsonBody`] (a JSON body, any or no Content-Type), [`Params`] (the query string) and
//! [`Caller`] (the app behind the bearer token).

use crate::error::ApiError;
use crate::state::AppState;
use crate::strict::Strict;
use crate::world::App;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use larkfeed_model::endpoint::{invalid_param_code, Endpoint};
use larkfeed_model::{ErrorCode, FieldError, UserIdType};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Arc;

/// A JSON body parsed with the path of any field of the wrong type. An empty body reads as `{}`,
/// so a missing body is reported as its first missing required field.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let code = invalid_param_code(req.uri().path());
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::field(code, FieldError::new("body", crate::body::rejection(&e)))
        })?;
        parse_json(&bytes)
            .map(JsonBody)
            .map_err(|f| ApiError::field(code, f))
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, FieldError> {
    let bytes: &[u8] = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => b"{}",
        Some(b'{') => bytes,
        Some(_) => return Err(FieldError::new("body", "must be a JSON object")),
    };
    // One pass over the text, strictly (an array never stands in for an object), and nothing but
    // white space after the object.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    if let Ok(parsed) = T::deserialize(Strict(&mut de)).and_then(|t| de.end().map(|()| t)) {
        return Ok(parsed);
    }
    // A body that does not read is read again as a whole, as the platform does, so that what it
    // says is the same whatever the order of the body's fields: malformed JSON anywhere first,
    // then the first field of the wrong type (in key order), with its path.
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        FieldError::new("body", format!("malformed JSON: {}", without_position(&e)))
    })?;
    serde_path_to_error::deserialize(Strict(value)).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        FieldError::new(field, without_position(e.inner()))
    })
}

/// serde's message without its own position (the field path says where).
fn without_position(e: &serde_json::Error) -> String {
    let rule = e.to_string();
    rule.split(" at line ").next().unwrap_or(&rule).to_string()
}

/// The query string as a map, with the endpoint's invalid-parameter code for bad values.
pub struct Params {
    map: HashMap<String, String>,
    code: ErrorCode,
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Params::read(parts.uri.query(), invalid_param_code(parts.uri.path()))
    }
}

impl Params {
    /// The query string, with `code` for values the endpoint does not take.
    pub fn read(query: Option<&str>, code: ErrorCode) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| ApiError::field(code, FieldError::new("query", e.to_string())))?;
        Ok(Params {
            map: pairs.into_iter().collect(),
            code,
        })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn invalid(&self, name: &str, rule: impl Into<String>) -> ApiError {
        ApiError::field(self.code, FieldError::new(name, rule))
    }

    /// Parses an optional parameter, naming it when the value is not one the endpoint takes.
    pub fn parse<T: std::str::FromStr<Err = String>>(
        &self,
        name: &str,
    ) -> Result<Option<T>, ApiError> {
        self.get(name)
            .map(|v| v.parse::<T>().map_err(|rule| self.invalid(name, rule)))
            .transpose()
    }

    pub fn number(&self, name: &str, min: u32, max: u32) -> Result<Option<u32>, ApiError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match raw.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(self.invalid(
                name,
                format!("must be a number from {min} to {max}, got {raw:?}"),
            )),
        }
    }
}

/// The app calling, from its tenant access token. Checks run in the platform's order:
/// missing token (99991661), token format (99991671), user tokens (99991668), unknown or
/// expired token (99991663).
pub struct Caller {
    pub app: Arc<App>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
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
        let app = crate::service::tokens::app_of(state, token)
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

/// The one path parameter of a route, answered in the envelope if it cannot be read.
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|e| {
                    let code = invalid_param_code(parts.uri.path());
                    ApiError::field(code, FieldError::new("path", e.body_text()))
                })?;
        Ok(PathId(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Inner {
        #[expect(dead_code, reason = "only parsed")]
        n: Option<u32>,
    }
    #[derive(serde::Deserialize, Debug)]
    struct Outer {
        #[expect(dead_code, reason = "only parsed")]
        list: Option<Vec<Inner>>,
    }

    #[test]
    fn wrong_types_are_named_by_path() {
        let err = parse_json::<Outer>(br#"{"list":[{"n":1},{"n":"x"}]}"#).unwrap_err();
        assert_eq!(err.field, "list[1].n");
        assert!(err.rule.contains("invalid type"), "{}", err.rule);
        let err = parse_json::<Outer>(b"{not json").unwrap_err();
        assert_eq!(err.field, "body");
        let err = parse_json::<Outer>(b"[1,2]").unwrap_err();
        assert_eq!(err.field, "body");
        assert!(parse_json::<Outer>(b"").is_ok());
        assert!(parse_json::<Outer>(b"{\"list\":[]} \n").is_ok());
        let err = parse_json::<Outer>(b"{\"list\":[]}}}} not json").unwrap_err();
        assert_eq!(err.field, "body");
        assert!(err.rule.contains("trailing characters"), "{}", err.rule);
        let err = parse_json::<Outer>(br#"{"list":[{"n":1},[2]]}"#).unwrap_err();
        assert_eq!(err.field, "list[1]");
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Pair {
        a: Option<String>,
        b: Option<u32>,
    }

    /// The one-pass read gives way to a whole read wherever the two could differ.
    #[test]
    fn a_body_reads_as_a_whole_document_would() {
        // A repeated key: the last one counts (serde alone would refuse the duplicate field).
        let pair = parse_json::<Pair>(br#"{"a":"first","a":"last"}"#).unwrap();
        assert_eq!(pair.a.as_deref(), Some("last"));
        // Malformed JSON anywhere comes before a wrong field earlier in the text.
        let err = parse_json::<Pair>(br#"{"b":"not a number","a":"#).unwrap_err();
        assert_eq!(err.field, "body");
        assert!(err.rule.starts_with("malformed JSON"), "{}", err.rule);
        // Of two wrong fields, the one first in key order is named, whatever the text's order.
        let err = parse_json::<Pair>(br#"{"b":"x","a":1}"#).unwrap_err();
        assert_eq!(err.field, "a");
    }
}
