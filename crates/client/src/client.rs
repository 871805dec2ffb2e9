//! The builder, the token cache and the one place calls are sent, checked and retried.

use crate::retry::RetryPolicy;
use crate::Error;
use larkfeed_model::endpoint::{Check, Endpoint, PathParams, Query};
use larkfeed_model::error::Envelope;
use larkfeed_model::token::{TokenRequest, TokenResponse};
use larkfeed_model::FieldError;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The Feishu platform (the default base URL).
pub const FEISHU: &str = "https://open.feishu.cn";
/// The Lark (international) platform.
pub const LARK: &str = "https://open.larksuite.com";

/// Renew a token this long before the platform says it expires.
pub const RENEW_EARLY: Duration = Duration::from_secs(180);

/// Builds a [`Client`]. Only `app_id` and `app_secret` are required.
#[derive(Debug, Default)]
pub struct ClientBuilder {
    app_id: Option<String>,
    app_secret: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    user_agent: Option<String>,
    retry: Option<RetryPolicy>,
}

impl ClientBuilder {
    pub fn app_id(mut self, v: impl Into<String>) -> Self {
        self.app_id = Some(v.into());
        self
    }
    pub fn app_secret(mut self, v: impl Into<String>) -> Self {
        self.app_secret = Some(v.into());
        self
    }
    /// [`FEISHU`] (the default), [`LARK`], or any URL such as a larkfeed server.
    pub fn base_url(mut self, v: impl Into<String>) -> Self {
        self.base_url = Some(v.into());
        self
    }
    /// The Lark (international) platform: the same as `base_url(LARK)`.
    pub fn lark(self) -> Self {
        self.base_url(LARK)
    }
    /// Time limit of one HTTP attempt (default 30 s).
    pub fn timeout(mut self, v: Duration) -> Self {
        self.timeout = Some(v);
        self
    }
    /// The `User-Agent` header (default `larkfeed-client/<version>`).
    pub fn user_agent(mut self, v: impl Into<String>) -> Self {
        self.user_agent = Some(v.into());
        self
    }
    /// How retryable failures are retried (default [`RetryPolicy::default`]: 3 retries).
    pub fn retry(mut self, v: RetryPolicy) -> Self {
        self.retry = Some(v);
        self
    }
    pub fn build(self) -> Result<Client, Error> {
        let app_id = self
            .app_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::Config("app_id is required".into()))?;
        let app_secret = self
            .app_secret
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::Config("app_secret is required".into()))?;
        let base_url = self
            .base_url
            .unwrap_or_else(|| FEISHU.to_string())
            .trim_end_matches('/')
            .to_string();
        if !base_url.starts_with("http://") && !base_url.starts_with("https://") {
            return Err(Error::Config(format!(
                "base_url must start with http:// or https://, got {base_url:?}"
            )));
        }
        let http =
            reqwest::Client::builder()
                .timeout(self.timeout.unwrap_or(Duration::from_secs(30)))
                .user_agent(self.user_agent.unwrap_or_else(|| {
                    concat!("larkfeed-client/", env!("CARGO_PKG_VERSION")).into()
                }))
                .build()?;
        Ok(Client {
            inner: Arc::new(Inner {
                app_id,
                app_secret,
                base_url,
                http,
                retry: self.retry.unwrap_or_default(),
                token: Mutex::new(None),
            }),
        })
    }
}

/// A client for one app. Cheap to clone; clones share the connection pool and the token cache,
/// so one client can serve every task of a program.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    app_id: String,
    app_secret: String,
    base_url: String,
    http: reqwest::Client,
    retry: RetryPolicy,
    /// The cached token and when to stop using it. The lock is held while fetching, so many tasks
    /// asking at once cause one fetch (single-flight).
    token: Mutex<Option<(String, Instant)>>,
}

/// A request as it would be sent: what `--dry-run` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreparedRequest {
    pub method: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The tenant access token: fetched on first use, cached, and renewed [`RENEW_EARLY`] before
    /// it expires. However many tasks ask at once, one request is made.
    pub async fn tenant_access_token(&self) -> Result<String, Error> {
        let mut cached = self.inner.token.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let answer = self.fetch_token().await?;
        let token = answer.tenant_access_token.unwrap_or_default();
        let ttl = Duration::from_secs(answer.expire.max(0) as u64).saturating_sub(RENEW_EARLY);
        *cached = Some((token.clone(), Instant::now() + ttl));
        Ok(token)
    }

    /// Forgets the cached token; the next call fetches a new one.
    pub async fn invalidate_token(&self) {
        *self.inner.token.lock().await = None;
    }

    /// `POST /open-apis/auth/v3/tenant_access_token/internal`, uncached: the whole answer.
    pub async fn fetch_token(&self) -> Result<TokenResponse, Error> {
        let req = TokenRequest {
            app_id: Some(self.inner.app_id.clone()),
            app_secret: Some(self.inner.app_secret.clone()),
        };
        let url = format!(
            "{}/open-apis/auth/v3/tenant_access_token/internal",
            self.inner.base_url
        );
        let resp = self.inner.http.post(url).json(&req).send().await?;
        let (log_id, retry_after) = headers(&resp);
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let answer: TokenResponse =
            serde_json::from_str(&text).map_err(|e| decode(status, e, &text))?;
        match (answer.code, &answer.tenant_access_token) {
            (0, Some(_)) => Ok(answer),
            (code, _) => Err(Error::Api {
                code,
                msg: answer.msg,
                log_id,
                retry_after,
            }),
        }
    }

    /// Calls endpoint `E` as the model describes it: `path` fills the path's `{…}` parameters
    /// (each must be non-empty, and is percent-encoded), `query` is written as the model names its
    /// parameters, and the body is checked by the model's rules first, so an invalid request
    /// fails here with the server's field message.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), larkfeed_client::Error> {
    /// # let server = larkfeed_client::testing::TestServer::start().await;
    /// # let client = server.client();
    /// use larkfeed_model::chat::CreateChatRequest;
    /// use larkfeed_model::endpoint::{CreateChat, ListChatMembers, MemberPage, PathParam, UserIds};
    /// use larkfeed_model::UserIdType;
    ///
    /// let req = CreateChatRequest { name: Some("Ops".into()), ..Default::default() };
    /// let chat = client.send::<CreateChat>(&(), &UserIds(UserIdType::OpenId), &req).await?;
    /// let page = MemberPage { id_type: UserIdType::OpenId, page_size: Some(10), page_token: None };
    /// let page = client
    ///     .send::<ListChatMembers>(&PathParam::new(chat.chat_id), &page, &())
    ///     .await?;
    /// assert!(page.items.len() <= 10);
    /// # Ok(()) }
    /// ```
    pub async fn send<E: Endpoint>(
        &self,
        path: &E::Path,
        query: &E::Query,
        body: &E::Request,
    ) -> Result<E::Response, Error> {
        body.check()?;
        let path = fill(E::PATH, &path.values())?;
        let pairs = query.pairs();
        self.call(RawCall {
            method: method(E::METHOD),
            path: &path,
            query: &borrowed(&pairs),
            body: E::BODY.then_some(body),
        })
        .await
    }

    /// Uploads a `multipart/form-data` form to endpoint `E` (an image, a file): its answer.
    /// A refused token is renewed once; an upload is not retried otherwise.
    pub async fn upload<E: Endpoint>(&self, parts: &[Part]) -> Result<E::Response, Error> {
        let mut renewed = false;
        loop {
            let mut form = reqwest::multipart::Form::new();
            for part in parts {
                form = match part {
                    Part::Text(name, value) => form.text(*name, value.clone()),
                    Part::Bytes(name, bytes, file_name) => form.part(
                        *name,
                        reqwest::multipart::Part::bytes(bytes.clone()).file_name(file_name.clone()),
                    ),
                };
            }
            let token = self.tenant_access_token().await?;
            let url = format!("{}{}", self.inner.base_url, E::PATH);
            let req = self.inner.http.post(url).bearer_auth(token).multipart(form);
            let (envelope, text, log_id, retry_after) =
                read::<Envelope<serde_json::Value>>(req.send().await?).await?;
            if envelope.code != 0 {
                let err = Error::Api {
                    code: envelope.code,
                    msg: envelope.msg,
                    log_id,
                    retry_after,
                };
                if err.is_token_rejected() && !renewed {
                    self.invalidate_token().await;
                    renewed = true;
                    continue;
                }
                return Err(err);
            }
            let data = envelope
                .data
                .ok_or_else(|| Error::Decode(format!("no data in {text}")))?;
            return serde_json::from_value(data).map_err(|e| Error::Decode(format!("{e}: {text}")));
        }
    }

    /// Downloads from endpoint `E` (an image, a file, a message's resource): the bytes. An
    /// answer in the JSON envelope is the error it carries.
    pub async fn download<E: Endpoint>(
        &self,
        path: &E::Path,
        query: &E::Query,
    ) -> Result<Vec<u8>, Error> {
        let path = fill(E::PATH, &path.values())?;
        let pairs = query.pairs();
        let mut renewed = false;
        loop {
            let token = self.tenant_access_token().await?;
            let url = format!("{}{path}", self.inner.base_url);
            let resp = self
                .inner
                .http
                .get(url)
                .bearer_auth(token)
                .query(&borrowed(&pairs))
                .send()
                .await?;
            let json = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("application/json"));
            if !json {
                return Ok(resp.bytes().await?.to_vec());
            }
            let (envelope, text, log_id, retry_after) =
                read::<Envelope<serde_json::Value>>(resp).await?;
            let err = if envelope.code == 0 {
                Error::Decode(format!("expected bytes, got {text}"))
            } else {
                Error::Api {
                    code: envelope.code,
                    msg: envelope.msg,
                    log_id,
                    retry_after,
                }
            };
            if err.is_token_rejected() && !renewed {
                self.invalidate_token().await;
                renewed = true;
                continue;
            }
            return Err(err);
        }
    }

    /// What [`Client::send`] would send, without sending it (no token is fetched).
    pub fn prepare_send<E: Endpoint>(
        &self,
        path: &E::Path,
        query: &E::Query,
        body: &E::Request,
    ) -> Result<PreparedRequest, Error> {
        body.check()?;
        let path = fill(E::PATH, &path.values())?;
        let pairs = query.pairs();
        self.prepare(&RawCall {
            method: method(E::METHOD),
            path: &path,
            query: &borrowed(&pairs),
            body: E::BODY.then_some(body),
        })
    }

    /// What a call would send, without sending it (no token is fetched).
    pub fn prepare<B: Serialize>(&self, call: &RawCall<'_, B>) -> Result<PreparedRequest, Error> {
        let RawCall {
            method,
            path,
            query,
            body,
        } = call;
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.inner.base_url))
            .map_err(|e| Error::Config(e.to_string()))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(*query);
        }
        let body = body
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(PreparedRequest {
            method: method.to_string(),
            url: url.to_string(),
            body,
        })
    }

    /// Sends a call with the cached token; a refused token is dropped and the call made once more
    /// with a new one; retryable failures are retried by the client's [`RetryPolicy`].
    pub async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        call: RawCall<'_, B>,
    ) -> Result<T, Error> {
        let mut retries = 0;
        let mut renewed = false;
        loop {
            let err = match self.attempt(&call).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if err.is_token_rejected() && !renewed {
                self.invalidate_token().await;
                renewed = true;
                continue;
            }
            if !err.is_retryable() {
                return Err(err);
            }
            let Some(wait) = self.inner.retry.delay(retries, err.retry_after()) else {
                return Err(err);
            };
            tracing::debug!(error = %err, retry = retries + 1, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }

    async fn attempt<B: Serialize, T: DeserializeOwned>(
        &self,
        call: &RawCall<'_, B>,
    ) -> Result<T, Error> {
        let token = self.tenant_access_token().await?;
        let url = format!("{}{}", self.inner.base_url, call.path);
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), url)
            .bearer_auth(token)
            .query(call.query);
        if let Some(b) = call.body {
            req = req.json(b);
        }
        // The envelope first, with `data` left as JSON: an error's `data` is `{}`, which is not
        // the success type.
        let (envelope, text, log_id, retry_after) =
            read::<Envelope<serde_json::Value>>(req.send().await?).await?;
        if envelope.code != 0 {
            return Err(Error::Api {
                code: envelope.code,
                msg: envelope.msg,
                log_id,
                retry_after,
            });
        }
        // The few older APIs that answer beside `code` (`bot/v3/info`) are read whole.
        let data = match envelope.data {
            Some(data) => data,
            None => serde_json::from_str(&text).map_err(|e| Error::Decode(e.to_string()))?,
        };
        serde_json::from_value(data).map_err(|e| Error::Decode(format!("{e}: {text}")))
    }
}

/// One call as it goes on the wire: the method, the path with its parameters filled in, the
/// query and the JSON body, if any.
#[derive(Debug, Clone)]
pub struct RawCall<'a, B> {
    pub method: Method,
    pub path: &'a str,
    pub query: &'a [(&'a str, &'a str)],
    pub body: Option<&'a B>,
}

fn method(m: larkfeed_model::endpoint::Method) -> Method {
    use larkfeed_model::endpoint::Method as M;
    match m {
        M::Get => Method::GET,
        M::Post => Method::POST,
        M::Put => Method::PUT,
        M::Patch => Method::PATCH,
        M::Delete => Method::DELETE,
    }
}

/// `template` with each `{…}` replaced by the next of `values`, percent-encoded.
/// A query's pairs as [`RawCall`] takes them.
fn borrowed<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn fill(template: &str, values: &[&str]) -> Result<String, Error> {
    let mut values = values.iter();
    let mut path = String::with_capacity(template.len() + 32);
    for (i, part) in template.split('/').enumerate() {
        if i > 0 {
            path.push('/');
        }
        if part.starts_with('{') && part.ends_with('}') {
            let value = values.next().ok_or_else(|| {
                Error::Validation(FieldError::new(
                    part.trim_matches(['{', '}']),
                    "is required in the path",
                ))
            })?;
            path.push_str(&segment(part.trim_matches(['{', '}']), value)?);
        } else {
            path.push_str(part);
        }
    }
    Ok(path)
}

/// A path segment: an id must be non-empty and is percent-encoded.
fn segment(name: &str, id: &str) -> Result<String, Error> {
    if id.trim().is_empty() {
        return Err(Error::Validation(FieldError::new(
            name,
            "must not be empty",
        )));
    }
    Ok(percent_encoding::utf8_percent_encode(id, UNRESERVED_KEPT).to_string())
}

/// Everything but RFC 3986's unreserved characters is encoded in a path segment.
const UNRESERVED_KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Reads an answer as JSON: the value, the raw text, the log id and the named retry wait.
async fn read<T: DeserializeOwned>(
    resp: reqwest::Response,
) -> Result<(T, String, Option<String>, Option<Duration>), Error> {
    let (log_id, retry_after) = headers(&resp);
    let status = resp.status().as_u16();
    let text = resp.text().await?;
    let value = serde_json::from_str(&text).map_err(|e| decode(status, e, &text))?;
    Ok((value, text, log_id, retry_after))
}

/// An answer that is not the expected JSON: an HTTP error status if there was one.
fn decode(status: u16, e: serde_json::Error, text: &str) -> Error {
    if status >= 400 {
        Error::Status {
            status,
            body: text.chars().take(500).collect(),
        }
    } else {
        Error::Decode(format!(
            "{e}: {}",
            text.chars().take(500).collect::<String>()
        ))
    }
}

fn headers(resp: &reqwest::Response) -> (Option<String>, Option<Duration>) {
    let h = resp.headers();
    let log_id = h
        .get("x-tt-logid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let reset = h
        .get("x-ogw-ratelimit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    (log_id, reset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_template_is_filled_in_order_and_each_value_percent_encoded() {
        assert_eq!(
            fill("/open-apis/im/v1/chats/{chat_id}/members", &["oc_a/b c"]).unwrap(),
            "/open-apis/im/v1/chats/oc_a%2Fb%20c/members"
        );
        assert_eq!(
            fill("/open-apis/im/v1/messages", &[]).unwrap(),
            "/open-apis/im/v1/messages"
        );
    }

    #[test]
    fn a_missing_or_blank_path_value_names_its_parameter() {
        let missing = fill("/open-apis/im/v1/messages/{message_id}", &[]).unwrap_err();
        assert!(matches!(&missing, Error::Validation(f) if f.field == "message_id"));
        let blank = fill("/open-apis/im/v1/messages/{message_id}", &[" "]).unwrap_err();
        assert!(matches!(&blank, Error::Validation(f) if f.field == "message_id"));
    }
}

/// One part of an upload's form ([`Client::upload`]).
#[derive(Debug, Clone)]
pub enum Part {
    /// A text field.
    Text(&'static str, String),
    /// Bytes, with the file name the part carries.
    Bytes(&'static str, Vec<u8>, String),
}
