//! The platform's limits on the message and chat APIs: 50 a second and 1000 a minute per app and
//! API (99991400, HTTP 429), and 5 sends a second per chat and per user (230020).

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

const SEND_TO_USER: &str = "/open-apis/im/v1/messages?receive_id_type=open_id";

fn text(to: &str) -> serde_json::Value {
    json!({"receive_id": to, "msg_type": "text", "content": "{\"text\":\"hi\"}"})
}

/// A text sent with `token` to the user with open_id `to`.
async fn send_text(t: &TestApp, token: &str, to: &str) -> Answer {
    t.raw(Method::POST, SEND_TO_USER, Some(token), Some(text(to)))
        .await
}

#[tokio::test]
async fn message_apis_take_50_a_second_and_1000_a_minute() {
    let t = spawn_app().await;
    let token = t.token(0).await;
    let sent = t
        .call(0, Method::POST, SEND_TO_USER, Some(text(&t.open_id(0, 0))))
        .await;
    let id = sent.assert_ok()["message_id"].as_str().unwrap().to_string();
    let path = format!("/open-apis/im/v1/messages/{id}");
    t.freeze_at_a_minute();
    for second in 0..20 {
        let mut ok = 0;
        for _ in 0..51 {
            let a = t.raw(Method::GET, &path, Some(&token), None).await;
            if a.code() == 0 {
                ok += 1;
            } else {
                a.assert_code(429, 99991400);
                assert_eq!(a.headers["x-ogw-ratelimit-limit"], "50");
            }
        }
        assert_eq!(ok, 50, "second {second}");
        t.clock.advance_ms(1000);
    }
    // 1000 in this minute: the next is refused until the minute ends, 40 s from now.
    let a = t.raw(Method::GET, &path, Some(&token), None).await;
    a.assert_code(429, 99991400);
    assert_eq!(a.headers["x-ogw-ratelimit-limit"], "1000");
    assert_eq!(a.headers["x-ogw-ratelimit-reset"], "40");
    // Sending is another API with its own budget.
    send_text(&t, &token, &t.open_id(0, 1)).await.assert_ok();
    t.clock.advance_ms(40_000);
    t.raw(Method::GET, &path, Some(&token), None)
        .await
        .assert_ok();
}

#[tokio::test]
async fn chat_apis_take_50_a_second() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0]).await;
    let token = t.token(0).await;
    t.freeze_at_a_minute();
    let path = format!("/open-apis/im/v1/chats/{chat}/members");
    let answers = {
        let mut v = Vec::new();
        for _ in 0..52 {
            v.push(t.raw(Method::GET, &path, Some(&token), None).await);
        }
        v
    };
    assert_eq!(answers.iter().filter(|a| a.code() == 0).count(), 50);
    answers[51].assert_code(429, 99991400);
    assert_eq!(answers[51].headers["x-ogw-ratelimit-limit"], "50");
}

#[tokio::test]
async fn five_sends_a_second_to_one_user_and_to_one_chat() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1]).await;
    let token = t.token(0).await;
    t.freeze_at_a_minute();
    let alice = t.open_id(0, 0);
    for i in 0..6 {
        let a = send_text(&t, &token, &alice).await;
        if i < 5 {
            a.assert_ok();
        } else {
            a.assert_code(400, 230020);
            assert_eq!(a.headers["x-ogw-ratelimit-limit"], "5");
        }
    }
    // Another user is another budget; so is the group.
    send_text(&t, &token, &t.open_id(0, 1)).await.assert_ok();
    let to_chat = "/open-apis/im/v1/messages?receive_id_type=chat_id";
    for i in 0..6 {
        let a = t
            .raw(Method::POST, to_chat, Some(&token), Some(text(&chat)))
            .await;
        if i < 5 {
            a.assert_ok();
        } else {
            a.assert_code(400, 230020);
        }
    }
    // The same user named by union_id is the same user.
    let by_union = "/open-apis/im/v1/messages?receive_id_type=union_id";
    t.raw(
        Method::POST,
        by_union,
        Some(&token),
        Some(text(&t.union_id(0, 0))),
    )
    .await
    .assert_code(400, 230020);
    t.clock.advance_ms(1000);
    send_text(&t, &token, &alice).await.assert_ok();
}
