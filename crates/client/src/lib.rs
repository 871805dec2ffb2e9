//! A typed async client for the Feishu (Lark) IM APIs that larkfeed serves: app feed cards, chat
//! buttons and card messages. It works the same against the real platform and a larkfeed server.
//!
//! This is the start of the SDK (its own issue grows it): a builder, a cached tenant token, one
//! typed method per seed endpoint, local validation with the `model` crate's rules (so a bad
//! request fails before it is sent, with the same field message), and one error type.
//!
//! ```no_run
//! # async fn demo() -> Result<(), larkfeed_client::Error> {
//! use larkfeed_client::Client;
//! use larkfeed_model::feed_card::{CreateAppFeedCardRequest, Link, OpenAppFeedCard};
//!
//! let client = Client::builder()
//!     .app_id("cli_5d1b57cf70d4d822")
//!     .app_secret("e2cd1f3bbe10e6301189396b94612167")
//!     .base_url("http://127.0.0.1:8980")
//!     .build()?;
//! let card = OpenAppFeedCard {
//!     title: Some("Order 42".into()),
//!     link: Some(Link { link: Some("https://www.feishu.cn/".into()) }),
//!     ..Default::default()
//! };
//! let req = CreateAppFeedCardRequest { app_feed_card: Some(card), user_ids: Some(vec!["ou_…".into()]) };
//! let created = client.create_app_feed_card(&req, Default::default()).await?;
//! println!("biz_id {}", created.biz_id);
//! # Ok(()) }
//! ```

use larkfeed_model::error::Envelope;
use larkfeed_model::feed_card::{
    CreateAppFeedCardRequest, CreateAppFeedCardResponse, UpdateChatButtonRequest,
    UpdateChatButtonResponse,
};
use larkfeed_model::message::{Message, PatchMessageRequest, SendMessageRequest};
use larkfeed_model::token::{TokenRequest, TokenResponse};
use larkfeed_model::{ErrorCode, FieldError, ReceiveIdType, UserIdType};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The Feishu platform.
pub const FEISHU: &str = "https://open.feishu.cn";
/// The Lark (international) platform.
pub const LARK: &str = "https://open.larksuite.com";

/// Everything that can go wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The platform answered with a non-zero code.
    #[error("API error {code}: {msg} (log id {log_id:?})")]
    Api {
        code: i64,
        msg: String,
        log_id: Option<String>,
    },
    /// The request broke a rule and was not sent.
    #[error("invalid request: {0}")]
    Validation(#[from] FieldError),
    /// The request could not be sent or its answer not read.
    #[error("HTTP error: {0}")]
    Http(#[from] reqwest::Error),
    /// The answer was not the JSON expected.
    #[error("cannot decode the answer: {0}")]
    Decode(String),
    /// The client was built without something it needs.
    #[error("client configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether the same call may succeed later (rate limits, server faults, network errors).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { code, .. } => {
                ErrorCode::from_code(*code).is_some_and(ErrorCode::is_retryable)
            }
            Error::Http(e) => e.is_timeout() || e.is_connect(),
            _ => false,
        }
    }
}

#[derive(Debug, Default)]
pub struct ClientBuilder {
    app_id: Option<String>,
    app_secret: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
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
    /// `FEISHU` (the default), `LARK`, or any URL such as a larkfeed server.
    pub fn base_url(mut self, v: impl Into<String>) -> Self {
        self.base_url = Some(v.into());
        self
    }
    pub fn timeout(mut self, v: Duration) -> Self {
        self.timeout = Some(v);
        self
    }
    pub fn build(self) -> Result<Client, Error> {
        let app_id = self
            .app_id
            .ok_or_else(|| Error::Config("app_id is required".into()))?;
        let app_secret = self
            .app_secret
            .ok_or_else(|| Error::Config("app_secret is required".into()))?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout.unwrap_or(Duration::from_secs(30)))
            .user_agent(concat!("larkfeed-client/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let base_url = self
            .base_url
            .unwrap_or_else(|| FEISHU.to_string())
            .trim_end_matches('/')
            .to_string();
        Ok(Client {
            inner: Arc::new(Inner {
                app_id,
                app_secret,
                base_url,
                http,
                token: Mutex::new(None),
            }),
        })
    }
}

/// A client for one app. Cheap to clone; clones share the token cache.
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
    /// The cached token and when to stop using it. The lock is held while fetching, so many tasks
    /// asking at once cause one fetch.
    token: Mutex<Option<(String, Instant)>>,
}

/// Renew a token this long before the platform says it expires.
const RENEW_EARLY: Duration = Duration::from_secs(180);

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The tenant access token, fetched on first use and renewed ahead of expiry.
    pub async fn tenant_access_token(&self) -> Result<String, Error> {
        let mut cached = self.inner.token.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let req = TokenRequest {
            app_id: Some(self.inner.app_id.clone()),
            app_secret: Some(self.inner.app_secret.clone()),
        };
        let url = format!(
            "{}/open-apis/auth/v3/tenant_access_token/internal",
            self.inner.base_url
        );
        let resp = self.inner.http.post(url).json(&req).send().await?;
        let log_id = log_id(&resp);
        let answer: TokenResponse = resp
            .json()
            .await
            .map_err(|e| Error::Decode(e.to_string()))?;
        let token = match (answer.code, answer.tenant_access_token) {
            (0, Some(token)) => token,
            (code, _) => {
                return Err(Error::Api {
                    code,
                    msg: answer.msg,
                    log_id,
                })
            }
        };
        let ttl = Duration::from_secs(answer.expire.max(0) as u64).saturating_sub(RENEW_EARLY);
        *cached = Some((token.clone(), Instant::now() + ttl));
        Ok(token)
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<T, Error> {
        let token = self.tenant_access_token().await?;
        let mut req = self
            .inner
            .http
            .request(method, format!("{}{path}", self.inner.base_url))
            .bearer_auth(token)
            .query(query);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await?;
        let log_id = log_id(&resp);
        let text = resp.text().await?;
        let envelope: Envelope<T> =
            serde_json::from_str(&text).map_err(|e| Error::Decode(format!("{e}: {text}")))?;
        if envelope.code != 0 {
            if matches!(envelope.code, 99991663 | 99991664 | 99991671) {
                *self.inner.token.lock().await = None;
            }
            return Err(Error::Api {
                code: envelope.code,
                msg: envelope.msg,
                log_id,
            });
        }
        envelope
            .data
            .ok_or_else(|| Error::Decode(format!("no data in {text}")))
    }

    /// `POST /open-apis/im/v2/app_feed_card`: one card for up to 20 users.
    pub async fn create_app_feed_card(
        &self,
        req: &CreateAppFeedCardRequest,
        user_id_type: UserIdType,
    ) -> Result<CreateAppFeedCardResponse, Error> {
        req.validate()?;
        let q = [("user_id_type", user_id_type.as_str())];
        self.call(
            reqwest::Method::POST,
            "/open-apis/im/v2/app_feed_card",
            &q,
            Some(req),
        )
        .await
    }

    /// `PUT /open-apis/im/v2/chat_button`: replace the buttons of a chat's feed entry.
    pub async fn update_chat_button(
        &self,
        req: &UpdateChatButtonRequest,
        user_id_type: UserIdType,
    ) -> Result<UpdateChatButtonResponse, Error> {
        req.validate()?;
        let q = [("user_id_type", user_id_type.as_str())];
        self.call(
            reqwest::Method::PUT,
            "/open-apis/im/v2/chat_button",
            &q,
            Some(req),
        )
        .await
    }

    /// `POST /open-apis/im/v1/messages`.
    pub async fn send_message(
        &self,
        req: &SendMessageRequest,
        receive_id_type: ReceiveIdType,
    ) -> Result<Message, Error> {
        req.validate()?;
        let q = [("receive_id_type", receive_id_type.as_str())];
        self.call(
            reqwest::Method::POST,
            "/open-apis/im/v1/messages",
            &q,
            Some(req),
        )
        .await
    }

    /// `PATCH /open-apis/im/v1/messages/:message_id`: replace a card the app sent.
    pub async fn patch_message(
        &self,
        message_id: &str,
        req: &PatchMessageRequest,
    ) -> Result<(), Error> {
        req.validate()?;
        let path = format!("/open-apis/im/v1/messages/{message_id}");
        let _: serde_json::Value = self
            .call(reqwest::Method::PATCH, &path, &[], Some(req))
            .await?;
        Ok(())
    }
}

fn log_id(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get("x-tt-logid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
