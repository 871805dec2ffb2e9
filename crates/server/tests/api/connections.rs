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

fn post_head(path: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    )
}

/// A body that stops coming is cut off after the header timeout (here 1 s) with the envelope,
/// on the Open API, the admin API and the long-connection endpoint alike; other clients are
/// answered meanwhile.
#[tokio::test]
async fn a_body_that_stops_coming_is_cut_off_after_the_header_timeout() {
    let t = spawn_limited(limits(1_000, 60_000, 100)).await;
    let part = [b' '; 1000];
    for (path, code) in [
        ("/open-apis/auth/v3/tenant_access_token/internal", 10003),
        ("/open-apis/im/v1/messages?receive_id_type=open_id", 230001),
        ("/_larkfeed/act/send_message", 230001),
        ("/callback/ws/endpoint", 0),
    ] {
        let stalled = tokio::spawn({
            let t_base = t.base.clone();
            let head = post_head(path, 3000);
            async move {
                let t = TestAppAddr(t_base);
                stall_at(&t, &head, &part, Duration::from_secs(10)).await
            }
        });
        // Others are served while it stalls.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let health = reqwest::get(format!("{}/_larkfeed/health", t.base))
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        let (answer, after) = stalled.await.unwrap();
        assert!(
            after < Duration::from_secs(5),
            "{path}: cut off after {after:?}"
        );
        if code == 0 {
            // The long-connection endpoint answers in the SDKs' own shape.
            assert!(answer.contains("stopped coming"), "{path}: {answer}");
            continue;
        }
        assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
        assert!(answer.contains("X-Tt-Logid: "), "{path}: {answer}");
        let body = envelope_of(&answer);
        assert_eq!(body["code"], code, "{path}: {answer}");
        assert_eq!(body["error"]["field_violations"][0]["field"], "body");
        let said = body["msg"].as_str().unwrap();
        assert!(said.contains("stopped coming"), "{path}: {said}");
        assert!(body["error"]["log_id"].is_string(), "{answer}");
    }
}

/// A body that trickles a byte at a time never trips the silence, but must be whole within the
/// request timeout.
#[tokio::test]
async fn a_body_that_trickles_is_cut_off_at_the_request_timeout() {
    let t = spawn_limited(limits(1_000, 2_000, 100)).await;
    let mut conn = TcpStream::connect(addr(&t)).await.unwrap();
    conn.write_all(post_head("/open-apis/auth/v3/tenant_access_token/internal", 3000).as_bytes())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (mut read, mut write) = conn.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if write.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut got = Vec::new();
    let read_all = tokio::time::timeout(Duration::from_secs(8), read.read_to_end(&mut got)).await;
    trickle.abort();
    assert!(read_all.is_ok(), "still open after 8 s");
    let after = started.elapsed();
    assert!(
        after >= Duration::from_millis(1_500) && after < Duration::from_secs(5),
        "cut off after {after:?}"
    );
    let answer = String::from_utf8_lossy(&got).to_string();
    let body = envelope_of(&answer);
    assert_eq!(body["code"], 10003, "{answer}");
    assert!(
        body["msg"].as_str().unwrap().contains("too slowly"),
        "{answer}"
    );
}

/// As many stalled bodies as the server takes connections do not shut it out for long: each is
/// cut off after the header timeout and new clients are served again.
#[tokio::test]
async fn stalled_bodies_free_their_connections() {
    let t = spawn_limited(limits(1_000, 60_000, 3)).await;
    let mut stalled = Vec::new();
    for _ in 0..3 {
        let head = post_head("/open-apis/auth/v3/tenant_access_token/internal", 3000);
        let base = t.base.clone();
        stalled.push(tokio::spawn(async move {
            stall_at(&TestAppAddr(base), &head, b"{", Duration::from_secs(10)).await
        }));
    }
    for s in stalled {
        let (_, after) = s.await.unwrap();
        assert!(after < Duration::from_secs(5), "cut off after {after:?}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let health = reqwest::get(format!("{}/_larkfeed/health", t.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

/// A client that hangs up half-way through its body, or sends malformed chunked framing, is told
/// (and logged) what happened, not that its body was too large.
#[tokio::test]
async fn a_broken_body_is_named_for_what_happened() {
    let t = spawn_limited(limits(5_000, 60_000, 100)).await;
    // Half-close after part of the body: the server reads the end of the stream mid-body, and
    // the client can still read the answer.
    let mut conn = TcpStream::connect(addr(&t)).await.unwrap();
    conn.write_all(post_head("/open-apis/auth/v3/tenant_access_token/internal", 3000).as_bytes())
        .await
        .unwrap();
    conn.write_all(b"{\"app_id\":").await.unwrap();
    conn.shutdown().await.unwrap();
    let answer = closed_within(&mut conn, Duration::from_secs(5))
        .await
        .expect("answered and closed");
    let answer = String::from_utf8_lossy(&answer).to_string();
    let body = envelope_of(&answer);
    assert_eq!(body["code"], 10003, "{answer}");
    let said = body["msg"].as_str().unwrap();
    assert!(said.contains("closed the connection"), "{said}");
    assert!(!said.contains("larger than"), "{said}");

    let chunked = "POST /open-apis/auth/v3/tenant_access_token/internal HTTP/1.1\r\nHost: x\r\n\
                   Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n";
    let answer = raw_exchange(&t, chunked.as_bytes()).await;
    let body = envelope_of(&answer);
    assert_eq!(body["code"], 10003, "{answer}");
    let said = body["msg"].as_str().unwrap();
    assert!(said.contains("chunked"), "{said}");
    assert!(!said.contains("larger than"), "{said}");
}

/// A WebSocket upgrade whose request never finishes is closed after the header timeout; one
/// that completes and then says nothing is dropped after the long connection's silence limit.
#[tokio::test]
async fn a_websocket_upgrade_that_never_completes_is_closed() {
    let t = spawn_limited(limits(1_000, 60_000, 100)).await;
    let mut conn = TcpStream::connect(addr(&t)).await.unwrap();
    conn.write_all(
        b"GET /ws/v2?ticket=x HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    closed_within(&mut conn, Duration::from_secs(5))
        .await
        .expect("closed after the header timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Only the address of a running server, for tasks that outlive a borrow of the [`TestApp`].
struct TestAppAddr(String);

/// Sends `head` and `part` of a body, then nothing (the connection stays open); returns what the
/// server answered and how long until it closed, or panics if it is still open after `wait`.
async fn stall_at(t: &TestAppAddr, head: &str, part: &[u8], wait: Duration) -> (String, Duration) {
    let mut conn = TcpStream::connect(t.0.trim_start_matches("http://"))
        .await
        .unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(part).await.unwrap();
    let started = std::time::Instant::now();
    let answer = closed_within(&mut conn, wait)
        .await
        .unwrap_or_else(|| panic!("{head:?}: still open after {wait:?}"));
    (
        String::from_utf8_lossy(&answer).to_string(),
        started.elapsed(),
    )
}
