//! Rules that must hold when many callers arrive at once: each race releases 50 requests
//! together with a barrier, over real HTTP.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;

/// Sends `n` requests at once (released together) and returns their answers.
async fn race(
    t: &TestApp,
    n: usize,
    req: impl Fn(usize) -> (Method, String, Option<String>, Value),
) -> Vec<Answer> {
    let requests = (0..n)
        .map(|i| {
            let (method, path, token, body) = req(i);
            t.request(method, &path, token.as_deref(), Some(body))
        })
        .collect();
    crate::helpers::race(requests).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_token_requests_at_once_get_one_token() {
    let t = spawn_app().await;
    let app = t.app(0).clone();
    let creds = json!({"app_id": app.app_id, "app_secret": app.app_secret});
    let answers = race(&t, 50, |_| {
        (
            Method::POST,
            "/open-apis/auth/v3/tenant_access_token/internal".into(),
            None,
            creds.clone(),
        )
    })
    .await;
    let tokens: HashSet<&str> = answers
        .iter()
        .map(|a| a.body["tenant_access_token"].as_str().unwrap())
        .collect();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sends_with_one_uuid_at_once_give_one_message() {
    let t = spawn_with(larkfeed_server::world::World::default_world(), false).await;
    let token = t.token(0).await;
    let to = t.open_id(0, 1);
    let answers = race(&t, 50, |_| {
        (
            Method::POST,
            "/open-apis/im/v1/messages?receive_id_type=open_id".into(),
            Some(token.clone()),
            json!({"receive_id": to, "msg_type": "text", "content": "{\"text\":\"once\"}", "uuid": "race-1"}),
        )
    })
    .await;
    let ids: HashSet<&str> = answers
        .iter()
        .map(|a| a.assert_ok()["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let feed = t.feed(&t.user_id(1)).await;
    assert_eq!(feed.len(), 1, "one one-to-one chat: {feed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sends_refused_by_the_limit_leave_nothing_behind() {
    let t = spawn_app().await;
    t.freeze_at_a_minute();
    let token = t.token(0).await;
    let to = t.open_id(0, 2);
    let answers = race(&t, 50, |i| {
        (
            Method::POST,
            "/open-apis/im/v1/messages?receive_id_type=open_id".into(),
            Some(token.clone()),
            json!({"receive_id": to, "msg_type": "text", "content": "{\"text\":\"hi\"}", "uuid": format!("u-{i}")}),
        )
    })
    .await;
    let sent: Vec<&Value> = answers
        .iter()
        .filter(|a| a.code() == 0)
        .map(|a| &a.body)
        .collect();
    assert_eq!(sent.len(), 5, "5 sends a second to one user");
    for a in answers.iter().filter(|a| a.code() != 0) {
        a.assert_code(400, 230020);
    }
    let chats: HashSet<&str> = sent
        .iter()
        .map(|b| b["data"]["chat_id"].as_str().unwrap())
        .collect();
    assert_eq!(chats.len(), 1, "one chat was opened");
    assert_eq!(t.feed(&t.user_id(2)).await.len(), 1);
    // A refused send kept no claim on its uuid: the next second it sends a new message.
    let refused_uuid = answers
        .iter()
        .enumerate()
        .find(|(_, a)| a.code() != 0)
        .map(|(i, _)| format!("u-{i}"))
        .unwrap();
    t.clock.advance_ms(1000);
    let again = t
        .call(
            0,
            Method::POST,
            "/open-apis/im/v1/messages?receive_id_type=open_id",
            Some(json!({"receive_id": to, "msg_type": "text", "content": "{\"text\":\"hi\"}", "uuid": refused_uuid})),
        )
        .await;
    let id = again.assert_ok()["message_id"].as_str().unwrap();
    assert!(
        sent.iter().all(|b| b["data"]["message_id"] != id),
        "a new message, not one of the five"
    );
}
