//! larkfeed's admin API (feature `admin`): act as a user (click a card or a button, send a
//! message), watch what the server delivered and was asked, inject faults, reset, and save or
//! restore the whole state. Only a larkfeed server has these routes.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), larkfeed_client::Error> {
//! # let server = larkfeed_client::testing::TestServer::start().await;
//! use larkfeed_client::admin::Admin;
//! use larkfeed_model::admin::SendMessage;
//!
//! let admin = Admin::new(server.base_url(), None)?;
//! let mut changes = admin.changes().await?;
//! let alice = server.open_id(0, 0);
//! let acted = admin
//!     .send_message(&SendMessage {
//!         user: alice,
//!         chat_id: None,
//!         to_app: Some(server.world().apps[0].app_id.clone()),
//!         msg_type: "text".into(),
//!         content: r#"{"text":"hi"}"#.into(),
//!         reply_to: None,
//!         in_thread: None,
//!     })
//!     .await?;
//! let stored = acted.applied["message_id"].as_str().unwrap();
//! let change = changes.wait_for("message.sent", std::time::Duration::from_secs(5)).await?;
//! assert_eq!(change["message_id"], stored);
//! admin.reset().await?;
//! # Ok(()) }
//! ```

use crate::Error;
use larkfeed_model::admin::{
    Acted, AddBot, CardAction, ChatButton, FeedCardButton, React, Read, Recall, SendMessage,
};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// A handle on one larkfeed server's admin API.
#[derive(Debug, Clone)]
pub struct Admin {
    http: reqwest::Client,
    base_url: String,
    token: Option<String>,
    /// The tenant made at run time every call is narrowed to (`?tenant=`), if any.
    tenant: Option<String>,
}

impl Admin {
    /// `token`: the server's `--admin-token`, if it has one.
    pub fn new(base_url: impl Into<String>, token: Option<String>) -> Result<Admin, Error> {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        reqwest::Url::parse(&base_url).map_err(|e| Error::Config(format!("base URL: {e}")))?;
        Ok(Admin {
            http: reqwest::Client::new(),
            base_url,
            token,
            tenant: None,
        })
    }

    /// The same server's admin API, narrowed to a tenant made at run time (`?tenant=KEY` on
    /// every call).
    pub fn in_tenant(&self, key: impl Into<String>) -> Admin {
        Admin {
            tenant: Some(key.into()),
            ..self.clone()
        }
    }

    /// `POST /_larkfeed/tenants`: a new tenant, of the server's world file or of `world` (the
    /// world file's shape, as JSON); its `tenant_key` and its world with credentials.
    pub async fn create_tenant(
        &self,
        world: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, Error> {
        self.send(Method::POST, "/_larkfeed/tenants", &[], world)
            .await
    }

    /// `GET /_larkfeed/tenants`: the tenants made at run time (`items`: key, name, apps' ids and
    /// names, how many users), without secrets.
    pub async fn list_tenants(&self) -> Result<serde_json::Value, Error> {
        self.send::<(), _>(Method::GET, "/_larkfeed/tenants", &[], None)
            .await
    }

    /// `DELETE /_larkfeed/tenants/:key`: the tenant and all its data.
    pub async fn delete_tenant(&self, key: &str) -> Result<(), Error> {
        let path = format!("/_larkfeed/tenants/{key}");
        let _: serde_json::Value = self.send::<(), _>(Method::DELETE, &path, &[], None).await?;
        Ok(())
    }

    /// `POST /_larkfeed/tenants/:key/reset`: the tenant's state emptied.
    pub async fn reset_tenant(&self, key: &str) -> Result<(), Error> {
        let path = format!("/_larkfeed/tenants/{key}/reset");
        let _: serde_json::Value = self.send::<(), _>(Method::POST, &path, &[], None).await?;
        Ok(())
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let req = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, Error> {
        let mut req = self.request(method, path).query(query);
        if let Some(key) = &self.tenant {
            req = req.query(&[("tenant", key)]);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let log_id = resp
            .headers()
            .get("x-tt-logid")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.text().await?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| Error::Status {
            status,
            body: text.chars().take(500).collect(),
        })?;
        // Admin answers are plain JSON; failures are HTTP errors carrying the envelope's code.
        if status >= 400 {
            let code = value.get("code").and_then(|c| c.as_i64()).unwrap_or(0);
            return Err(Error::Api {
                code,
                msg: value["msg"].as_str().unwrap_or_default().to_string(),
                log_id,
                retry_after: None,
            });
        }
        serde_json::from_value(value).map_err(|e| Error::Decode(e.to_string()))
    }

    /// A click on an interactive card.
    pub async fn card_action(&self, act: &CardAction) -> Result<Acted, Error> {
        self.send(Method::POST, "/_larkfeed/act/card_action", &[], Some(act))
            .await
    }

    /// A click on a feed card's button.
    pub async fn feed_card_button(&self, act: &FeedCardButton) -> Result<Acted, Error> {
        self.send(
            Method::POST,
            "/_larkfeed/act/feed_card_button",
            &[],
            Some(act),
        )
        .await
    }

    /// A click on a chat's quick-action button.
    pub async fn chat_button(&self, act: &ChatButton) -> Result<Acted, Error> {
        self.send(Method::POST, "/_larkfeed/act/chat_button", &[], Some(act))
            .await
    }

    /// A message the user sends to a chat or to an app's bot.
    pub async fn send_message(&self, act: &SendMessage) -> Result<Acted, Error> {
        self.send(Method::POST, "/_larkfeed/act/send_message", &[], Some(act))
            .await
    }

    /// A user recalls a message they sent.
    pub async fn recall(&self, act: &Recall) -> Result<Acted, Error> {
        self.send(Method::POST, "/_larkfeed/act/recall", &[], Some(act))
            .await
    }

    /// A user reads a message (and its chat up to now).
    pub async fn read(&self, act: &Read) -> Result<Acted, Error> {
        self.send(Method::POST, "/_larkfeed/act/read", &[], Some(act))
            .await
    }

    /// A user takes an app's bot out of a group.
    pub async fn remove_bot(&self, act: &AddBot) -> Result<Acted, Error> {
        self.send(Method::POST, "/_larkfeed/act/remove_bot", &[], Some(act))
            .await
    }

    /// A user adds an app's bot to a group.
    pub async fn add_bot(&self, act: &AddBot) -> Result<Acted, Error> {
        self.send(Method::POST, "/_larkfeed/act/add_bot", &[], Some(act))
            .await
    }

    /// A user's reaction to a message (or, with `remove`, taking it back).
    pub async fn react(&self, act: &React) -> Result<Acted, Error> {
        self.send(Method::POST, "/_larkfeed/act/react", &[], Some(act))
            .await
    }

    /// Changes any of an app's `event_url`, `callback_url`, `encrypt_key`,
    /// `verification_token` (`null` clears one); a new URL must pass the URL check.
    pub async fn set_app_endpoints(
        &self,
        app_id: &str,
        change: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        self.send(
            Method::PUT,
            &format!("/_larkfeed/apps/{app_id}"),
            &[],
            Some(change),
        )
        .await
    }

    /// Callbacks and events sent, newest first; `filter` as the query takes it
    /// (`app_id`, `event_type`, `kind`, `limit`).
    pub async fn deliveries(
        &self,
        filter: &[(&str, String)],
    ) -> Result<Vec<serde_json::Value>, Error> {
        let v: serde_json::Value = self
            .send::<(), _>(Method::GET, "/_larkfeed/deliveries", filter, None)
            .await?;
        Ok(items(v))
    }

    /// Open API calls, newest first, redacted; `filter`: `app_id`, `path`, `code`, `limit`.
    pub async fn requests(
        &self,
        filter: &[(&str, String)],
    ) -> Result<Vec<serde_json::Value>, Error> {
        let v: serde_json::Value = self
            .send::<(), _>(Method::GET, "/_larkfeed/requests", filter, None)
            .await?;
        Ok(items(v))
    }

    /// Adds a fault: `{"method", "path", "code", "http_status", "msg", "times" | "ratio", "delay_ms"}`.
    pub async fn add_fault(&self, fault: &serde_json::Value) -> Result<serde_json::Value, Error> {
        self.send(Method::POST, "/_larkfeed/faults", &[], Some(fault))
            .await
    }

    pub async fn faults(&self) -> Result<Vec<serde_json::Value>, Error> {
        let v: serde_json::Value = self
            .send::<(), _>(Method::GET, "/_larkfeed/faults", &[], None)
            .await?;
        Ok(items(v))
    }

    pub async fn clear_faults(&self) -> Result<(), Error> {
        let _: serde_json::Value = self
            .send::<(), _>(Method::DELETE, "/_larkfeed/faults", &[], None)
            .await?;
        Ok(())
    }

    /// Back to the world file's state: every table emptied, logs and faults forgotten.
    pub async fn reset(&self) -> Result<(), Error> {
        let _: serde_json::Value = self
            .send::<(), _>(Method::POST, "/_larkfeed/reset", &[], None)
            .await?;
        Ok(())
    }

    /// The whole state as one JSON document.
    pub async fn state(&self) -> Result<serde_json::Value, Error> {
        self.send::<(), _>(Method::GET, "/_larkfeed/state", &[], None)
            .await
    }

    /// Replaces the whole state with a document [`Admin::state`] gave.
    pub async fn load_state(&self, state: &serde_json::Value) -> Result<(), Error> {
        let _: serde_json::Value = self
            .send(Method::PUT, "/_larkfeed/state", &[], Some(state))
            .await?;
        Ok(())
    }

    /// The change feed from now on (`GET /_larkfeed/events`).
    pub async fn changes(&self) -> Result<Changes, Error> {
        let resp = self
            .request(Method::GET, "/_larkfeed/events")
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(Error::Status {
                status: resp.status().as_u16(),
                body: resp.text().await.unwrap_or_default(),
            });
        }
        Ok(Changes {
            resp,
            buffer: String::new(),
        })
    }
}

fn items(v: serde_json::Value) -> Vec<serde_json::Value> {
    match v.get("items") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    }
}

/// The server's changes as they happen, one JSON object each (with its `kind`).
pub struct Changes {
    resp: reqwest::Response,
    buffer: String,
}

impl Changes {
    /// The next change; `None` when the server closed the stream.
    pub async fn next(&mut self) -> Result<Option<serde_json::Value>, Error> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect::<Vec<_>>()
                    .join("\n");
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                return serde_json::from_str(&data)
                    .map(Some)
                    .map_err(|e| Error::Decode(e.to_string()));
            }
            match self.resp.chunk().await? {
                Some(chunk) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                None => return Ok(None),
            }
        }
    }

    /// Waits for the next change of this kind (`message.sent`, `delivery`, …), skipping others.
    pub async fn wait_for(
        &mut self,
        kind: &str,
        within: Duration,
    ) -> Result<serde_json::Value, Error> {
        let wait = async {
            while let Some(change) = self.next().await? {
                if change["kind"] == kind {
                    return Ok(change);
                }
            }
            Err(Error::Decode("the change feed ended".into()))
        };
        tokio::time::timeout(within, wait).await.map_err(|_| {
            Error::Decode(format!("no {kind} change within {} ms", within.as_millis()))
        })?
    }
}
