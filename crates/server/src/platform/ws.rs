//! The SDKs' long connection ("WebSocket mode"): `POST /callback/ws/endpoint` hands an app a
//! connection URL and client settings; the WebSocket at that URL carries protobuf frames
//! (`pbbp2.Frame`). Control frames: the client's `ping`, answered `pong` with the client settings.
//! Data frames: each event or card callback as `type: event`, with `message_id`, `trace_id`,
//! `sum` and `seq` (a payload over [`MAX_CHUNK`] is split), answered by the client with the same
//! frame carrying `{"code", "data": base64(answer)}`.
//!
//! An app with an open connection gets everything over it (one of its connections per delivery,
//! in turn); otherwise over HTTP.

use super::PlatformState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use prost::Message as _;
use rand::Rng;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The endpoint's path, as the SDKs call it.
pub const ENDPOINT_PATH: &str = "/callback/ws/endpoint";
/// The WebSocket's path.
pub const CONNECT_PATH: &str = "/ws/v2";
/// Payload bytes per data frame; a longer payload is split into `sum` frames.
pub const MAX_CHUNK: usize = 32 * 1024;
/// Settings for a local server: ping every 5 s, reconnect at once (within 1 s of jitter) and
/// every second after, for ever. The platform's are minutes.
pub const PING_INTERVAL_SECS: u64 = 5;
const RECONNECT_INTERVAL_SECS: u64 = 1;
const RECONNECT_NONCE_SECS: u64 = 1;
/// A connection that sends no frame of the protocol (not even a ping) for this long is dropped.
/// WebSocket-level pings do not count: the SDKs ping in frames of their own.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(3 * PING_INTERVAL_SECS);
/// A frame the client has not taken within this long (it stopped reading) drops the connection.
const SEND_WITHIN: Duration = Duration::from_secs(5);
/// The largest frame or message a client may send; one larger closes the connection with 1009
/// (message too big).
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;
/// How long a connection URL's ticket may wait to be used.
const TICKET_TTL: Duration = Duration::from_secs(300);

// Codes the SDKs know (their `ws/const`): 0 ok, 403 forbidden, 514 auth failed,
// 1000040344 no credential.
const NO_CREDENTIAL: i64 = 1_000_040_344;
const AUTH_FAILED: i64 = 514;
const FORBIDDEN: i64 = 403;

/// One protobuf header (`pbbp2.Header`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Header {
    #[prost(string, required, tag = "1")]
    pub key: String,
    #[prost(string, required, tag = "2")]
    pub value: String,
}

/// One frame (`pbbp2.Frame`), field for field.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Frame {
    #[prost(uint64, required, tag = "1")]
    pub seq_id: u64,
    #[prost(uint64, required, tag = "2")]
    pub log_id: u64,
    #[prost(int32, required, tag = "3")]
    pub service: i32,
    /// 0 control, 1 data.
    #[prost(int32, required, tag = "4")]
    pub method: i32,
    #[prost(message, repeated, tag = "5")]
    pub headers: Vec<Header>,
    #[prost(string, optional, tag = "6")]
    pub payload_encoding: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub payload_type: Option<String>,
    #[prost(bytes = "vec", optional, tag = "8")]
    pub payload: Option<Vec<u8>>,
    #[prost(string, optional, tag = "9")]
    pub log_id_new: Option<String>,
}

impl Frame {
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.key == key)
            .map(|h| h.value.as_str())
    }
}

fn header(key: &str, value: impl Into<String>) -> Header {
    Header {
        key: key.into(),
        value: value.into(),
    }
}

fn client_config() -> serde_json::Value {
    serde_json::json!({
        "ReconnectCount": -1,
        "ReconnectInterval": RECONNECT_INTERVAL_SECS,
        "ReconnectNonce": RECONNECT_NONCE_SECS,
        "PingInterval": PING_INTERVAL_SECS,
    })
}

/// What the client answered to one data frame.
#[derive(Debug)]
pub struct WsAnswer {
    pub code: i64,
    pub data: Option<serde_json::Value>,
}

/// One open long connection.
pub struct Conn {
    /// The server's own name for it (`c1`, `c2`, …): the client's `device_id` is the client's to
    /// choose, and two sockets may send the same one.
    pub id: String,
    /// What the client called itself.
    pub device_id: String,
    pub app_id: String,
    pub since_ms: i64,
    service_id: i32,
    tx: mpsc::Sender<Vec<u8>>,
    pending: Mutex<HashMap<String, oneshot::Sender<WsAnswer>>>,
}

impl Conn {
    /// Sends one event (split as needed) and waits up to `within` for the client's answer.
    pub async fn deliver(
        &self,
        hub: &WsHub,
        body: &serde_json::Value,
        within: Duration,
    ) -> Result<WsAnswer, String> {
        let payload = body.to_string().into_bytes();
        let message_id = uuid::Uuid::new_v4().simple().to_string();
        let trace_id = uuid::Uuid::new_v4().simple().to_string();
        let chunks: Vec<&[u8]> = payload.chunks(MAX_CHUNK).collect();
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(message_id.clone(), tx);
        for (seq, chunk) in chunks.iter().enumerate() {
            let frame = Frame {
                seq_id: hub.next.fetch_add(1, Ordering::Relaxed),
                log_id: 0,
                service: self.service_id,
                method: 1,
                headers: vec![
                    header("type", "event"),
                    header("message_id", message_id.clone()),
                    header("trace_id", trace_id.clone()),
                    header("sum", chunks.len().to_string()),
                    header("seq", seq.to_string()),
                ],
                payload: Some(chunk.to_vec()),
                ..Frame::default()
            };
            if self.tx.send(frame.encode_to_vec()).await.is_err() {
                self.forget(&message_id);
                return Err("the long connection closed".into());
            }
        }
        let answer = tokio::time::timeout(within, rx).await;
        self.forget(&message_id);
        match answer {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err("the long connection closed before the app answered".into()),
            Err(_) => Err(format!(
                "the app did not answer within {} s over its long connection",
                within.as_secs()
            )),
        }
    }

    fn forget(&self, message_id: &str) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(message_id);
    }

    fn answered(&self, frame: &Frame) {
        let Some(message_id) = frame.header("message_id") else {
            return;
        };
        let Some(waiting) = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(message_id)
        else {
            return;
        };
        let body: serde_json::Value = frame
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_slice(p).ok())
            .unwrap_or_default();
        let data = body["data"].as_str().and_then(|d| {
            let bytes = base64::engine::general_purpose::STANDARD.decode(d).ok()?;
            Some(
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned().into()),
            )
        });
        let _ = waiting.send(WsAnswer {
            code: body["code"].as_i64().unwrap_or(0),
            data,
        });
    }
}

/// The long connections open now, and the tickets handed out for new ones.
#[derive(Default)]
pub struct WsHub {
    tickets: Mutex<HashMap<String, (String, std::time::Instant)>>,
    conns: Mutex<HashMap<String, Vec<Arc<Conn>>>>,
    /// Frame sequence numbers.
    next: AtomicU64,
    /// Whose turn it is among an app's connections.
    turn: AtomicU64,
    /// The last connection's number.
    opened: AtomicU64,
}

impl WsHub {
    /// One of the app's connections, in turn; none if it has none open.
    pub fn pick(&self, app_id: &str) -> Option<Arc<Conn>> {
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        let open = conns.get(app_id).filter(|c| !c.is_empty())?;
        let n = self.turn.fetch_add(1, Ordering::Relaxed) as usize;
        Some(open[n % open.len()].clone())
    }

    /// How many long connections are open now, of every app.
    pub fn open(&self) -> usize {
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        conns.values().map(Vec::len).sum()
    }

    /// `(connection id, since)` of each of the app's open connections.
    pub fn connections(&self, app_id: &str) -> Vec<serde_json::Value> {
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        conns
            .get(app_id)
            .map(|c| {
                c.iter()
                    .map(|c| {
                        serde_json::json!({"id": c.id, "device_id": c.device_id, "since_ms": c.since_ms})
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn add(&self, conn: Arc<Conn>) {
        let mut conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        conns.entry(conn.app_id.clone()).or_default().push(conn);
    }

    fn remove(&self, conn: &Conn) {
        let mut conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = conns.get_mut(&conn.app_id) {
            list.retain(|c| !std::ptr::eq(c.as_ref(), conn));
        }
    }

    fn take_ticket(&self, ticket: &str) -> Option<String> {
        let mut tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        tickets.retain(|_, (_, at)| at.elapsed() < TICKET_TTL);
        tickets.remove(ticket).map(|(app, _)| app)
    }
}

fn endpoint_error(code: i64, msg: &str) -> Response {
    Json(serde_json::json!({"code": code, "msg": msg, "data": {}})).into_response()
}

/// `POST /callback/ws/endpoint` `{"AppID", "AppSecret"}`: the connection URL and client settings.
pub async fn endpoint(
    State(state): State<PlatformState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let (Some(app_id), Some(secret)) = (body["AppID"].as_str(), body["AppSecret"].as_str()) else {
        return endpoint_error(NO_CREDENTIAL, "AppID and AppSecret are required");
    };
    let Some(app) = state.world.app(app_id) else {
        return endpoint_error(FORBIDDEN, &format!("no app has the id {app_id:?}"));
    };
    if app.app_secret != secret {
        return endpoint_error(AUTH_FAILED, "auth failed: the AppSecret is not this app's");
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let ticket = uuid::Uuid::new_v4().simple().to_string();
    state
        .platform
        .ws
        .tickets
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            ticket.clone(),
            (app.app_id.to_string(), std::time::Instant::now()),
        );
    let device_id = uuid::Uuid::new_v4().simple().to_string();
    let service_id = rand::thread_rng().gen_range(1..i32::MAX);
    // `service_id` after `device_id`: the Node SDK reads both with a query-string parser run on
    // the whole URL, which would fold the first parameter into the address.
    let mut url = format!(
        "ws://{host}{CONNECT_PATH}?fpid=1&device_id={device_id}&service_id={service_id}&ticket={ticket}"
    );
    // A tenant made at run time: the server routes the connection to it by this.
    if state.world.tenant.made_at_run_time {
        url.push_str(&format!("&tenant={}", state.world.tenant.tenant_key));
    }
    tracing::debug!(app_id = %app.app_id, "long connection endpoint handed out");
    Json(serde_json::json!({
        "code": 0,
        "msg": "ok",
        "data": {"URL": url, "ClientConfig": client_config()},
    }))
    .into_response()
}

#[derive(Debug, serde::Deserialize)]
pub struct ConnectQuery {
    #[serde(default)]
    device_id: String,
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    ticket: String,
}

/// `GET /ws/v2`: the WebSocket, for a ticket from [`endpoint`].
pub async fn connect(
    State(state): State<PlatformState>,
    Query(q): Query<ConnectQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(app_id) = state.platform.ws.take_ticket(&q.ticket) else {
        let mut refused =
            (StatusCode::FORBIDDEN, "unknown or used connection ticket").into_response();
        let h = refused.headers_mut();
        h.insert("handshake-status", FORBIDDEN.into());
        h.insert(
            "handshake-msg",
            axum::http::HeaderValue::from_static(
                "unknown or used ticket: ask /callback/ws/endpoint again",
            ),
        );
        return refused;
    };
    let service_id = q.service_id.parse().unwrap_or(0);
    upgrade
        .max_frame_size(MAX_MESSAGE)
        .max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve(socket, state, app_id, q.device_id, service_id))
}

async fn serve(
    mut socket: WebSocket,
    state: PlatformState,
    app_id: String,
    device_id: String,
    service_id: i32,
) {
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(256);
    let hub = &state.platform.ws;
    let id = format!("c{}", hub.opened.fetch_add(1, Ordering::Relaxed) + 1);
    let conn = Arc::new(Conn {
        id: id.clone(),
        device_id,
        app_id: app_id.clone(),
        since_ms: state.clock.now_ms(),
        service_id,
        tx,
        pending: Mutex::new(HashMap::new()),
    });
    hub.add(conn.clone());
    tracing::info!(%app_id, connection = %id, device_id = %conn.device_id, "long connection opened");
    state.platform.publish(
        "connection.opened",
        state.clock.now_ms(),
        serde_json::json!({"app_id": app_id, "connection": id, "device_id": conn.device_id}),
    );
    let mut close = None;
    let mut last_heard = tokio::time::Instant::now();
    let why = loop {
        tokio::select! {
            // First, so that neither a stream of frames to send nor one arriving can put it off.
            biased;
            () = tokio::time::sleep_until(last_heard + SILENCE_LIMIT) => {
                break "the client stopped pinging";
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(bytes))) => {
                    last_heard = tokio::time::Instant::now();
                    let Ok(frame) = Frame::decode(bytes.as_ref()) else {
                        tracing::debug!(connection = %id, "a frame that is not pbbp2 was ignored");
                        continue;
                    };
                    if frame.method == 0 {
                        if frame.header("type") == Some("ping") {
                            let pong = Frame {
                                seq_id: 0,
                                log_id: 0,
                                service: frame.service,
                                method: 0,
                                headers: vec![header("type", "pong")],
                                payload: Some(client_config().to_string().into_bytes()),
                                ..Frame::default()
                            };
                            if !send_within(&mut socket, Message::Binary(pong.encode_to_vec().into())).await {
                                break "the pong could not be sent";
                            }
                        }
                    } else {
                        conn.answered(&frame);
                    }
                }
                Some(Ok(Message::Close(_))) | None => break "the client closed it",
                // WebSocket pings (answered by the socket itself), pongs and text frames.
                Some(Ok(_)) => {}
                Some(Err(e)) if too_big(&e) => {
                    close = Some(CloseFrame {
                        code: axum::extract::ws::close_code::SIZE,
                        reason: "message too big: at most 16 MiB".into(),
                    });
                    break "the client sent a message over 16 MiB";
                }
                Some(Err(_)) => break "the connection failed",
            },
            outgoing = rx.recv() => match outgoing {
                Some(bytes) => {
                    if !send_within(&mut socket, Message::Binary(bytes.into())).await {
                        break "a frame could not be sent";
                    }
                }
                None => break "the server is stopping",
            },
        }
    };
    hub.remove(&conn);
    send_within(&mut socket, Message::Close(close)).await;
    tracing::info!(%app_id, connection = %id, why, "long connection closed");
    state.platform.publish(
        "connection.closed",
        state.clock.now_ms(),
        serde_json::json!({"app_id": app_id, "connection": id, "why": why}),
    );
}

/// Whether a read failed because the client's frame or message was over [`MAX_MESSAGE`].
fn too_big(e: &axum::Error) -> bool {
    std::iter::successors(Some(e as &(dyn std::error::Error + 'static)), |c| {
        c.source()
    })
    .any(|c| matches!(c.downcast_ref(), Some(tungstenite::Error::Capacity(_))))
}

/// Sends one frame; false if it failed or the client did not take it within [`SEND_WITHIN`].
async fn send_within(socket: &mut WebSocket, frame: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_WITHIN, socket.send(frame)).await,
        Ok(Ok(()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_match_the_sdks_pbbp2_encoding() {
        // The bytes lark-oapi's own pbbp2 module gives for a ping of service 7 (SeqID 0, LogID 0,
        // method 0, one header type=ping).
        let ping = Frame {
            service: 7,
            headers: vec![header("type", "ping")],
            ..Frame::default()
        };
        assert_eq!(
            ping.encode_to_vec(),
            b"\x08\x00\x10\x00\x18\x07\x20\x00\x2a\x0c\x0a\x04type\x12\x04ping".to_vec()
        );
        let back = Frame::decode(ping.encode_to_vec().as_slice()).unwrap();
        assert_eq!(back.header("type"), Some("ping"));
    }
}
