//! Posting to an app: one attempt ([`post`]), an event with the platform's retries
//! ([`send_event`]), and the schema 2.0 envelope both are wrapped in ([`envelope`]).
//!
//! The body is compact JSON (so an SDK that re-serialises the parsed body before hashing, as the
//! Node SDK does, computes the same signature). With an encrypt key it becomes
//! `{"encrypt": …}` and is signed; every attempt is recorded in the delivery log, decrypted.

use super::endpoints::Endpoints;
use super::PlatformState;
use super::{crypto, Platform};
use crate::world::App;
use rand::Rng;
use serde::Serialize;
use std::time::{Duration, Instant};

/// An app must answer HTTP 200 within this time.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(3);
/// When a failed event is sent again, after the failure before: 15 s, 5 min, 1 h, 6 h (then it
/// is given up), measured on the server's clock, so a test can move the clock instead of waiting.
pub const RETRY_AFTER_MS: [i64; 4] = [15_000, 300_000, 3_600_000, 21_600_000];

/// One attempt to reach an app, as `GET /_larkfeed/deliveries` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub id: u64,
    pub at_ms: i64,
    pub app_id: String,
    /// `event`, `callback` or `url_verification`.
    pub kind: &'static str,
    pub event_type: String,
    pub event_id: Option<String>,
    pub url: String,
    /// `http`, or `long_connection` when the app's SDK holds a long connection.
    pub via: &'static str,
    /// 1 for the first try; retries count on.
    pub attempt: u32,
    pub delivered: bool,
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub encrypted: bool,
    /// What was sent, before encryption.
    pub body: serde_json::Value,
    /// The app's answer: JSON when it parsed, else its text; null when empty or none.
    pub response: Option<serde_json::Value>,
    pub error: Option<String>,
}

/// What one attempt came to.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    pub delivered: bool,
    pub status: Option<u16>,
    pub response: Option<serde_json::Value>,
    pub error: Option<String>,
}

impl Outcome {
    pub fn not_sent(why: impl Into<String>) -> Outcome {
        Outcome {
            error: Some(why.into()),
            ..Outcome::default()
        }
    }
}

/// The schema 2.0 envelope: `header` (event id, verification token, time, type, tenant, app)
/// and the event.
pub fn envelope(
    state: &PlatformState,
    app: &App,
    ends: &Endpoints,
    event_type: &str,
    create_time: String,
    event: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "schema": "2.0",
        "header": {
            "event_id": uuid::Uuid::new_v4().simple().to_string(),
            "token": ends.verification_token.clone().unwrap_or_default(),
            "create_time": create_time,
            "event_type": event_type,
            "tenant_key": state.world.tenant.tenant_key,
            "app_id": app.app_id,
        },
        "event": event,
    })
}

/// One POST of `body` to `url`, signed and encrypted with the app's keys, recorded.
pub async fn post(
    state: &PlatformState,
    app_id: &str,
    ends: &Endpoints,
    url: &str,
    kind: &'static str,
    body: &serde_json::Value,
    attempt: u32,
) -> Outcome {
    let platform: &Platform = &state.platform;
    let plain = body.to_string();
    let key = ends.encrypt_key.as_deref().filter(|k| !k.is_empty());
    let payload = match key {
        Some(key) => {
            serde_json::json!({"encrypt": crypto::encrypt(key, plain.as_bytes())}).to_string()
        }
        None => plain,
    };
    let timestamp = (state.clock.now_ms() / 1000).to_string();
    let nonce = hex::encode(rand::thread_rng().gen::<[u8; 8]>());
    let mut request = platform
        .http()
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-lark-request-timestamp", &timestamp)
        .header("x-lark-request-nonce", &nonce)
        .header("user-agent", "larkfeed");
    if let Some(key) = key {
        request = request.header(
            "x-lark-signature",
            crypto::signature(&timestamp, &nonce, key, payload.as_bytes()),
        );
    }
    let started = Instant::now();
    let outcome = match request.body(payload).send().await {
        Err(e) => Outcome::not_sent(if e.is_timeout() {
            format!(
                "the app did not answer within {} s",
                ANSWER_WITHIN.as_secs()
            )
        } else if e.is_connect() {
            format!("the app could not be reached at {url}")
        } else {
            format!("posting to {url} failed: {e}")
        }),
        Ok(answer) => outcome_of(answer).await,
    };
    record(
        state,
        app_id,
        kind,
        ("http", url),
        attempt,
        ends,
        body,
        started,
        outcome,
    )
}

/// What the app's HTTP answer says: delivered on a 200, its body parsed when it is JSON (kept as
/// text when not); not delivered when it did not finish within the time limit.
async fn outcome_of(answer: reqwest::Response) -> Outcome {
    let status = answer.status().as_u16();
    let text = match answer.text().await {
        Ok(text) => text,
        Err(e) if e.is_timeout() => {
            return Outcome {
                status: Some(status),
                ..Outcome::not_sent(format!(
                    "the app did not finish its answer within {} s",
                    ANSWER_WITHIN.as_secs()
                ))
            };
        }
        Err(e) => format!("(unreadable answer: {e})"),
    };
    let response = match text.trim() {
        "" => None,
        t => Some(serde_json::from_str(t).unwrap_or(serde_json::Value::String(text))),
    };
    Outcome {
        delivered: status == 200,
        status: Some(status),
        error: (status != 200).then(|| format!("the app answered HTTP {status}")),
        response,
    }
}

/// Delivers `body` the way the app listens: over one of its long connections if it holds any
/// (no encryption or signature there: the connection is the app's own), else by HTTP to
/// `url`. Recorded either way.
pub async fn deliver(
    state: &PlatformState,
    app_id: &str,
    ends: &Endpoints,
    url: Option<&str>,
    kind: &'static str,
    body: &serde_json::Value,
    attempt: u32,
) -> Outcome {
    if let Some(conn) = state.platform.ws.pick(app_id) {
        let started = Instant::now();
        let outcome = match conn.deliver(&state.platform.ws, body, ANSWER_WITHIN).await {
            Ok(answer) => Outcome {
                delivered: answer.code == 200,
                status: Some(u16::try_from(answer.code).unwrap_or(0)),
                error: (answer.code != 200).then(|| {
                    format!(
                        "the app answered code {} over its long connection",
                        answer.code
                    )
                }),
                response: answer.data,
            },
            Err(why) => Outcome::not_sent(why),
        };
        let url = format!("long connection {}", conn.id);
        let plain = Endpoints {
            encrypt_key: None,
            ..ends.clone()
        };
        return record(
            state,
            app_id,
            kind,
            ("long_connection", &url),
            attempt,
            &plain,
            body,
            started,
            outcome,
        );
    }
    match url {
        Some(url) => post(state, app_id, ends, url, kind, body, attempt).await,
        None => Outcome::not_sent(match kind {
            "event" => "the app has no event_url and no long connection",
            _ => "the app has no callback_url or event_url and no long connection",
        }),
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    state: &PlatformState,
    app_id: &str,
    kind: &'static str,
    (via, url): (&'static str, &str),
    attempt: u32,
    ends: &Endpoints,
    body: &serde_json::Value,
    started: Instant,
    outcome: Outcome,
) -> Outcome {
    let platform = &state.platform;
    let event_type = body["header"]["event_type"]
        .as_str()
        .or_else(|| body["type"].as_str())
        .unwrap_or_default()
        .to_string();
    let rec = DeliveryRecord {
        id: platform.delivery_id(),
        at_ms: state.clock.now_ms(),
        app_id: app_id.to_string(),
        kind,
        event_id: body["header"]["event_id"].as_str().map(str::to_string),
        event_type,
        url: url.to_string(),
        via,
        attempt,
        delivered: outcome.delivered,
        status: outcome.status,
        latency_ms: started.elapsed().as_millis() as u64,
        encrypted: ends.encrypt_key.as_deref().is_some_and(|k| !k.is_empty()),
        body: without_verification_token(body),
        response: outcome.response.clone(),
        error: outcome.error.clone(),
    };
    if outcome.delivered {
        tracing::debug!(app_id, kind, event_type = %rec.event_type, attempt, "delivered");
    } else {
        tracing::warn!(app_id, kind, event_type = %rec.event_type, attempt,
            error = outcome.error.as_deref().unwrap_or_default(), "delivery failed");
    }
    platform.publish(
        "delivery",
        rec.at_ms,
        serde_json::json!({
            "delivery_id": rec.id, "app_id": rec.app_id, "delivery_kind": kind,
            "event_type": rec.event_type, "attempt": attempt, "delivered": outcome.delivered,
        }),
    );
    platform.metrics.delivery(kind, via, outcome.delivered);
    platform.deliveries.push(rec);
    outcome
}

/// The body as the log keeps it: the app's verification token (in `header.token`, or `token`
/// of a URL check) is a secret of the app, shown only by `/_larkfeed/world`.
fn without_verification_token(body: &serde_json::Value) -> serde_json::Value {
    let mut kept = body.clone();
    for at in ["/header/token", "/token"] {
        if let Some(token) = kept.pointer_mut(at) {
            if token.as_str().is_some_and(|t| !t.is_empty()) {
                *token = super::requests::REDACTED.into();
            }
        }
    }
    kept
}

/// Sends an event to the app's `event_url`; if the first attempt fails, tries again on the
/// platform's schedule in the background. Answers the first attempt's outcome.
pub async fn send_event(
    state: &PlatformState,
    app_id: &str,
    ends: &Endpoints,
    body: serde_json::Value,
) -> Outcome {
    let url = ends.event_url.clone();
    let first = deliver(state, app_id, ends, url.as_deref(), "event", &body, 1).await;
    if first.status.is_none() && url.is_none() && state.platform.ws.pick(app_id).is_none() {
        return first; // nowhere to send it: nothing to retry
    }
    if !first.delivered {
        let (state, app_id, ends) = (state.clone(), app_id.to_string(), ends.clone());
        let generation = state.platform.generation();
        let timer = state.platform.timers.start();
        tokio::spawn(async move {
            let mut failed_at = state.clock.now_ms();
            for (n, after) in RETRY_AFTER_MS.iter().enumerate() {
                timer.wait(&state.clock, failed_at + after).await;
                if state.platform.generation() != generation {
                    return;
                }
                let outcome = deliver(
                    &state,
                    &app_id,
                    &ends,
                    url.as_deref(),
                    "event",
                    &body,
                    n as u32 + 2,
                )
                .await;
                if outcome.delivered {
                    return;
                }
                failed_at = state.clock.now_ms();
            }
            tracing::warn!(app_id, "an event was given up after every retry");
        });
    }
    first
}
