use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

const SEND: &str = "/open-apis/im/v1/messages?receive_id_type=open_id";
const DAY: i64 = 24 * 3600 * 1000;

fn card(content: &str) -> Value {
    json!({"receive_id": "", "msg_type": "interactive", "content": content})
}

/// Sends an interactive card from app `a` to user `u`; returns the message id.
async fn send_card(t: &TestApp, a: usize, u: usize) -> String {
    let mut body = card(SEED_CARD);
    body["receive_id"] = json!(t.open_id(a, u));
    let answer = t.post(a, SEND, body).await;
    answer.assert_ok()["message_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_text_message_to_a_user_goes_to_the_bots_one_to_one_chat() {
    let t = spawn_app().await;
    let body = json!({"receive_id": t.open_id(0, 0), "msg_type": "text", "content": "{\"text\":\"hello\"}"});
    let a = t.post(0, SEND, body.clone()).await;
    let m = a.assert_ok().clone();
    assert!(m["message_id"].as_str().unwrap().starts_with("om_"));
    assert!(m["chat_id"].as_str().unwrap().starts_with("oc_"));
    assert_eq!(m["msg_type"], "text");
    assert_eq!(
        m["sender"],
        json!({"id": t.app(0).app_id, "id_type": "app_id", "sender_type": "app", "tenant_key": t.world().tenant.tenant_key})
    );
    assert_eq!(m["body"]["content"], "{\"text\":\"hello\"}");
    assert_eq!(m["deleted"], false);
    assert!(m["create_time"].as_str().unwrap().parse::<i64>().is_ok());
    let again = t.post(0, SEND, body).await;
    assert_eq!(
        again.assert_ok()["chat_id"],
        m["chat_id"],
        "one p2p chat per (bot, user)"
    );
}

#[tokio::test]
async fn sending_follows_the_platform_rules() {
    let t = spawn_app().await;
    // User outside the app's availability.
    let a = t.call(0, Method::POST, SEND, Some(json!({"receive_id": t.open_id(0, 5), "msg_type": "text", "content": "{\"text\":\"x\"}"}))).await;
    a.assert_code(400, 230013);
    // receive_id_type is required.
    let b = t.call(0, Method::POST, "/open-apis/im/v1/messages", Some(json!({"receive_id": t.open_id(0, 0), "msg_type": "text", "content": "{\"text\":\"x\"}"}))).await;
    b.assert_invalid(230001, "receive_id_type");
    // Unknown msg_type, missing content, text content without text.
    let c = t
        .call(
            0,
            Method::POST,
            SEND,
            Some(json!({"receive_id": t.open_id(0, 0), "msg_type": "video", "content": "{}"})),
        )
        .await;
    c.assert_invalid(230001, "msg_type");
    let d = t
        .call(
            0,
            Method::POST,
            SEND,
            Some(json!({"receive_id": t.open_id(0, 0), "msg_type": "text"})),
        )
        .await;
    d.assert_invalid(230001, "content");
    let e = t.call(0, Method::POST, SEND, Some(json!({"receive_id": t.open_id(0, 0), "msg_type": "text", "content": "{\"txt\":\"x\"}"}))).await;
    e.assert_invalid(230001, "content.text");
    // Text over 150 KB.
    let big = json!({"text": "a".repeat(150 * 1024)}).to_string();
    let f = t
        .call(
            0,
            Method::POST,
            SEND,
            Some(json!({"receive_id": t.open_id(0, 0), "msg_type": "text", "content": big})),
        )
        .await;
    f.assert_code(400, 230025);
    // A card the platform cannot build.
    let g = t.call(0, Method::POST, SEND, Some(json!({"receive_id": t.open_id(0, 0), "msg_type": "interactive", "content": "{\"hello\":1}"}))).await;
    g.assert_error(400, 230099, "ErrCode: 200631");
    // A chat the bot is not in.
    let chat = t.group(1, &[0]).await;
    let h = t.send_to_chat(0, &chat, "text", r#"{"text":"x"}"#).await;
    h.assert_code(400, 230002);
    // uuid longer than 50.
    let i = t.call(0, Method::POST, SEND, Some(json!({"receive_id": t.open_id(0, 0), "msg_type": "text", "content": "{\"text\":\"x\"}", "uuid": "u".repeat(51)}))).await;
    i.assert_invalid(230001, "uuid");
}

#[tokio::test]
async fn an_app_without_bot_ability_gets_230006() {
    let t = spawn_with(restricted_world(), true).await;
    let a = t.call(1, Method::POST, SEND, Some(json!({"receive_id": t.open_id(1, 0), "msg_type": "text", "content": "{\"text\":\"x\"}"}))).await;
    a.assert_code(400, 230006);
}

#[tokio::test]
async fn the_same_uuid_within_an_hour_returns_the_first_message() {
    let t = spawn_app().await;
    let body = json!({"receive_id": t.open_id(0, 0), "msg_type": "text", "content": "{\"text\":\"x\"}", "uuid": "order-1"});
    let first = t.post(0, SEND, body.clone()).await.assert_ok()["message_id"].clone();
    let second = t.post(0, SEND, body.clone()).await.assert_ok()["message_id"].clone();
    assert_eq!(first, second);
    t.clock.advance_ms(3600 * 1000 + 1);
    let third = t.post(0, SEND, body).await.assert_ok()["message_id"].clone();
    assert_ne!(first, third);
}

#[tokio::test]
async fn messages_can_be_sent_to_a_chat_and_read_back() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1]).await;
    let a = t
        .send_to_chat(0, &chat, "text", r#"{"text":"hi all"}"#)
        .await;
    let id = a.assert_ok()["message_id"].as_str().unwrap().to_string();
    let g = t.get_message(0, &id).await;
    let items = g.assert_ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["chat_id"], json!(chat));
    assert_eq!(items[0]["body"]["content"], "{\"text\":\"hi all\"}");
    t.get_message(1, &id).await.assert_code(400, 230002);
    t.get_message(0, "om_missing")
        .await
        .assert_invalid(230001, "message_id");
}

#[tokio::test]
async fn a_recalled_message_reads_as_deleted_and_cannot_be_recalled_again() {
    let t = spawn_app().await;
    let id = send_card(&t, 0, 0).await;
    let r = t.recall_message(0, &id).await;
    r.assert_ok();
    assert_eq!(r.msg(), "success");
    let g = t.get_message(0, &id).await;
    let item = &g.assert_ok()["items"][0];
    assert_eq!(item["deleted"], true);
    assert_eq!(item["body"]["content"], "");
    t.recall_message(0, &id).await.assert_code(400, 230011);
}

#[tokio::test]
async fn the_seed_patch_updates_the_card() {
    let t = spawn_app().await;
    let id = send_card(&t, 0, 0).await;
    let new_card = r#"{"elements":[{"tag":"div","text":{"content":"Updated","tag":"plain_text"}}],"header":{"template":"green","title":{"content":"Done","tag":"plain_text"}}}"#;
    let a = t.patch_message(0, &id, new_card).await;
    assert_eq!(a.body, json!({"code": 0, "data": {}, "msg": "ok"}));
    let item = t.get_message(0, &id).await.body["data"]["items"][0].clone();
    assert_eq!(item["body"]["content"], new_card);
    assert_eq!(item["updated"], true);
}

#[tokio::test]
async fn only_the_sending_app_may_patch_and_only_cards() {
    let t = spawn_app().await;
    let id = send_card(&t, 0, 0).await;
    t.patch_message(1, &id, SEED_CARD)
        .await
        .assert_code(400, 230027);
    let text = t.call(0, Method::POST, SEND, Some(json!({"receive_id": t.open_id(0, 0), "msg_type": "text", "content": "{\"text\":\"x\"}"}))).await;
    let text_id = text.assert_ok()["message_id"].as_str().unwrap().to_string();
    t.patch_message(0, &text_id, SEED_CARD)
        .await
        .assert_invalid(230001, "message_id");
    t.patch_message(0, "om_missing", SEED_CARD)
        .await
        .assert_invalid(230001, "message_id");
    let empty = t
        .call(
            0,
            Method::PATCH,
            &format!("/open-apis/im/v1/messages/{id}"),
            Some(json!({})),
        )
        .await;
    empty.assert_invalid(230001, "content");
}

#[tokio::test]
async fn a_recalled_message_cannot_be_patched() {
    let t = spawn_app().await;
    let id = send_card(&t, 0, 0).await;
    t.recall_message(0, &id).await.assert_ok();
    t.patch_message(0, &id, SEED_CARD)
        .await
        .assert_code(400, 230011);
}

#[tokio::test]
async fn a_card_can_be_patched_for_14_days_and_not_after() {
    let t = spawn_app().await;
    t.clock.freeze();
    let id = send_card(&t, 0, 0).await;
    t.clock.advance_ms(14 * DAY);
    t.patch_message(0, &id, SEED_CARD).await.assert_ok();
    t.clock.advance_ms(1);
    // A fresh token: the first one expired long ago.
    t.patch_message(0, &id, SEED_CARD)
        .await
        .assert_code(400, 230031);
}

#[tokio::test]
async fn a_patch_over_30_kb_is_230025() {
    let t = spawn_app().await;
    let id = send_card(&t, 0, 0).await;
    let text = "a".repeat(30 * 1024);
    let big = json!({"elements": [{"tag": "markdown", "content": text}]}).to_string();
    t.patch_message(0, &id, &big).await.assert_code(400, 230025);
    let fits = json!({"elements": [{"tag": "markdown", "content": "a".repeat(30 * 1024 - 60)}]})
        .to_string();
    assert!(fits.len() <= 30 * 1024);
    t.patch_message(0, &id, &fits).await.assert_ok();
}

#[tokio::test]
async fn content_that_is_not_a_card_is_230099_with_a_sub_code() {
    let t = spawn_app().await;
    let id = send_card(&t, 0, 0).await;
    let a = t.patch_message(0, &id, "this is not json").await;
    a.assert_error(400, 230099, "200621");
    let b = t.patch_message(0, &id, "{\"text\":\"plain\"}").await;
    b.assert_code(400, 230099);
    let c = t
        .patch_message(
            0,
            &id,
            r#"{"schema":"2.0","body":{"elements":[]},"unknown":1}"#,
        )
        .await;
    c.assert_error(400, 230099, "unknown");
}

#[tokio::test]
async fn a_card_in_a_group_must_be_shared_to_be_patched() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1]).await;
    let shared =
        r#"{"config":{"update_multi":true},"elements":[{"tag":"markdown","content":"v1"}]}"#;
    let a = t.send_to_chat(0, &chat, "interactive", shared).await;
    let id = a.assert_ok()["message_id"].as_str().unwrap().to_string();
    let not_shared = t.patch_message(0, &id, SEED_CARD).await;
    not_shared.assert_code(400, 230099);
    assert!(not_shared.msg().contains("update_multi"));
    t.patch_message(0, &id, shared).await.assert_ok();
    t.patch_message(
        0,
        &id,
        r#"{"schema":"2.0","body":{"elements":[{"tag":"markdown","content":"v2"}]}}"#,
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn a_message_takes_at_most_5_updates_a_second() {
    let t = spawn_app().await;
    let id = send_card(&t, 0, 0).await;
    let token = t.token(0).await;
    t.clock.freeze();
    let mut codes = Vec::new();
    for _ in 0..7 {
        let a = t
            .raw(
                Method::PATCH,
                &format!("/open-apis/im/v1/messages/{id}"),
                Some(&token),
                Some(json!({"content": SEED_CARD})),
            )
            .await;
        codes.push(a.code());
    }
    assert_eq!(codes, vec![0, 0, 0, 0, 0, 230020, 230020]);
    t.clock.advance_ms(1000);
    t.raw(
        Method::PATCH,
        &format!("/open-apis/im/v1/messages/{id}"),
        Some(&token),
        Some(json!({"content": SEED_CARD})),
    )
    .await
    .assert_ok();
}
