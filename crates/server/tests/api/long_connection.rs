//! The long connection's socket as a client sees it: connections are told apart by the server,
//! whatever `device_id` the client sends, and a message over the limit closes with 1009.

use crate::helpers::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A long connection of app `a` that calls itself `device_id`.
async fn open(t: &TestApp, a: usize, device_id: &str) -> Socket {
    let app = t.app(a);
    let answer: Value = t
        .http
        .post(format!("{}/callback/ws/endpoint", t.base))
        .json(&json!({"AppID": app.app_id.to_string(), "AppSecret": app.app_secret}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = answer["data"]["URL"].as_str().unwrap();
    let (before, after) = url.split_once("device_id=").unwrap();
    let rest = after.split_once('&').map(|(_, r)| r).unwrap_or("");
    let url = format!("{before}device_id={device_id}&{rest}");
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn connections(t: &TestApp, a: usize) -> Vec<Value> {
    let path = format!("/_larkfeed/apps/{}", t.app(a).app_id);
    let answer = t.admin_get(&path).await;
    answer.body["connections"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn until_connections(t: &TestApp, a: usize, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let now = connections(t, a).await;
        if now.len() == n {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("never {n} connections: {:?}", connections(t, a).await)
}

#[tokio::test]
async fn two_sockets_with_one_device_id_are_two_connections() {
    let t = spawn_app().await;
    let mut first = open(&t, 1, "same-device").await;
    let second = open(&t, 1, "same-device").await;
    let both = until_connections(&t, 1, 2).await;
    assert_ne!(both[0]["id"], both[1]["id"], "{both:?}");
    first.close(None).await.unwrap();
    let left = until_connections(&t, 1, 1).await;
    // Still there a moment later: the close took only its own socket out.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let left_later = connections(&t, 1).await;
    assert_eq!(left_later, left);
    assert_eq!(left[0]["device_id"], "same-device");
    drop(second);
}

#[tokio::test]
async fn a_message_over_16_mib_closes_with_1009() {
    let t = spawn_app().await;
    let mut socket = open(&t, 1, "big").await;
    until_connections(&t, 1, 1).await;
    let big = vec![0u8; 16 * 1024 * 1024 + 1];
    // The server may close before the client has written it all.
    let _ = socket.send(Message::Binary(big.into())).await;
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = socket.next().await {
            if let Ok(Message::Close(frame)) = frame {
                return frame;
            }
        }
        None
    })
    .await
    .expect("closed within 10 s")
    .expect("with a close frame");
    assert_eq!(closed.code, CloseCode::Size, "{closed:?}");
    until_connections(&t, 1, 0).await;
}
