//! What a slow, idle or greedy client gets: connections that send half a request or sit idle are
//! closed, a request that takes too long is answered 1500, and connections over the cap are
//! answered with the envelope and closed.

use crate::helpers::*;
use larkfeed_server::startup::ConnectionLimits;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn limits(header_ms: u64, request_ms: u64, max: usize) -> ConnectionLimits {
    ConnectionLimits {
        header_timeout: Duration::from_millis(header_ms),
        request_timeout: Duration::from_millis(request_ms),
        max_connections: max,
    }
}

fn addr(t: &TestApp) -> String {
    t.base.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection (or `wait` passes: then None).
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(wait, read).await.ok().map(|()| got)
}

#[tokio::test]
async fn half_a_request_line_is_not_held_forever() {
    let t = spawn_limited(limits(300, 30_000, 100)).await;
    let mut slow = TcpStream::connect(addr(&t)).await.unwrap();
    slow.write_all(b"GET /open-apis/im/v1/mess").await.unwrap();
    assert!(
        closed_within(&mut slow, Duration::from_secs(5))
            .await
            .is_some(),
        "the server closed the half-sent request"
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_header_timeout() {
    let t = spawn_limited(limits(300, 30_000, 100)).await;
    let mut conn = TcpStream::connect(addr(&t)).await.unwrap();
    conn.write_all(b"GET /_larkfeed/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_within(&mut conn, Duration::from_secs(5))
        .await
        .expect("closed once idle");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_answered_1500() {
    let t = spawn_limited(limits(30_000, 300, 100)).await;
    let token = t.token(0).await;
    // Another client holds the database's write lock, so the write cannot finish in time.
    let other = t.block_writes().await;
    let a = t.seed_card_with(&token, 0).await;
    other.release().await;
    a.assert_code(500, 1500);
    assert!(a.msg().contains("timed out"), "{}", a.body);
    assert!(a.headers.contains_key("x-tt-logid"));
}

#[tokio::test]
async fn connections_over_the_cap_get_the_envelope_and_are_closed() {
    let t = spawn_limited(limits(30_000, 30_000, 2)).await;
    let _a = TcpStream::connect(addr(&t)).await.unwrap();
    let _b = TcpStream::connect(addr(&t)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await; // both accepted
    let mut third = TcpStream::connect(addr(&t)).await.unwrap();
    let answer = closed_within(&mut third, Duration::from_secs(5))
        .await
        .expect("answered and closed");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("X-Tt-Logid: "), "{text}");
    let body: serde_json::Value =
        serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["code"], 1500);
    assert!(body["msg"].as_str().unwrap().contains("2 connections"));
    // Once one closes, a new connection is served again.
    drop(_a);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let health = reqwest::get(format!("{}/_larkfeed/health", t.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

/// Sends raw bytes and returns the whole answer (the server closes after these).
async fn raw_exchange(t: &TestApp, request: &[u8]) -> String {
    let mut conn = TcpStream::connect(addr(t)).await.unwrap();
    conn.write_all(request).await.unwrap();
    let answer = closed_within(&mut conn, Duration::from_secs(5))
        .await
        .expect("answered and closed");
    String::from_utf8_lossy(&answer).to_string()
}

fn envelope_of(answer: &str) -> serde_json::Value {
    serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON body ({e}) in {answer:?}"))
}

#[tokio::test]
async fn requests_refused_before_the_router_still_get_the_envelope() {
    let t = spawn_app().await;
    let long_path = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100_000));
    let mut many_headers = String::from("GET /_larkfeed/health HTTP/1.1\r\nHost: x\r\n");
    for i in 0..120 {
        many_headers.push_str(&format!("X-H-{i}: v\r\n"));
    }
    many_headers.push_str("\r\n");
    for (request, status) in [
        (b"NOT A REQUEST LINE\r\n\r\n".to_vec(), "400"),
        (long_path.into_bytes(), "414"),
        (many_headers.into_bytes(), "431"),
    ] {
        let answer = raw_exchange(&t, &request).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer}"
        );
        assert!(answer.contains("X-Tt-Logid: "), "{answer}");
        let body = envelope_of(&answer);
        assert_eq!(body["code"], 230001, "{answer}");
        assert_eq!(body["error"]["field_violations"][0]["field"], "request");
        assert!(body["error"]["log_id"].is_string());
    }
    // An ordinary answer is untouched.
    let ok = raw_exchange(
        &t,
        b"GET /_larkfeed/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
}
