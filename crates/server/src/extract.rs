//! Extractors that answer in the Feishu envelope instead of axum's plain-text rejections:
//! [`JsonBody`] (a JSON body, any or no Content-Type), [`Params`] (the query string) and
//! [`PathId`] (a route's one path parameter). The app behind the bearer token is the service's
//! to find: `service::caller::Caller`.

use crate::error::ApiError;
use crate::strict::Strict;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use larkfeed_model::endpoint::invalid_param_code;
use larkfeed_model::{ErrorCode, FieldError};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

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
    /// Every pair in its order, for a parameter given once per value (`user_ids`).
    pairs: Vec<(String, String)>,
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
            map: pairs.iter().cloned().collect(),
            pairs,
            code,
        })
    }

    /// Each non-empty value of a parameter given once per value, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
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
