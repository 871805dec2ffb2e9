//! `PATCH /open-apis/im/v2/feed_cards/:feed_card_id` and `/feed_cards/bot_time_sentive`.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

const BOT: &str = "/open-apis/im/v2/feed_cards/bot_time_sentive";

fn chat_path(chat_id: &str) -> String {
    format!("/open-apis/im/v2/feed_cards/{chat_id}?user_id_type=open_id")
}

/// The chat entry `chat_id` of a user's feed, and its position.
async fn chat_entry(t: &TestApp, user: &str, chat_id: &str) -> (usize, Value) {
    let feed = t.feed(user).await;
    feed.iter()
        .enumerate()
        .find(|(_, e)| e["kind"] == "chat" && e["chat_id"] == chat_id)
        .map(|(i, e)| (i, e.clone()))
        .unwrap_or_else(|| panic!("{chat_id} not in {feed:?}"))
}

#[tokio::test]
async fn a_group_entry_is_pinned_for_the_named_members_only() {
    let t = spawn_app().await;
    let first = t.group(0, &[0, 1]).await;
    let second = t.group(0, &[0, 1]).await; // newer, so above `first` until `first` is pinned
    let body = json!({"time_sensitive": true, "user_ids": [t.open_id(0, 0), t.open_id(0, 2), "ou_nobody"]});
    let a = t
        .call(0, Method::PATCH, &chat_path(&first), Some(body))
        .await;
    assert_eq!(
        a.assert_ok()["failed_user_reasons"],
        json!([
            {"error_code": 0, "error_message": "The user is not in the chat", "user_id": t.open_id(0, 2)},
            {"error_code": 0, "error_message": "The user does not exist", "user_id": "ou_nobody"},
        ])
    );
    let (pos, entry) = chat_entry(&t, &t.open_id(0, 0), &first).await;
    assert_eq!((pos, &entry["time_sensitive"]), (0, &json!(true)));
    assert_eq!(entry["pinned_by"], json!(t.app(0).app_id));
    let (_, entry) = chat_entry(&t, &t.open_id(0, 1), &first).await;
    assert_eq!(entry["time_sensitive"], false, "not named, not pinned");
    let _ = second;

    // Unpinning puts it back in time order.
    let body = json!({"time_sensitive": false, "user_ids": [t.open_id(0, 0)]});
    t.call(0, Method::PATCH, &chat_path(&first), Some(body))
        .await
        .assert_ok();
    let (_, entry) = chat_entry(&t, &t.open_id(0, 0), &first).await;
    assert_eq!(entry["time_sensitive"], false);
}

#[tokio::test]
async fn the_bot_must_be_in_the_chat_and_the_chat_must_exist() {
    let t = spawn_app().await;
    let chat = t.group(1, &[0]).await; // app 0's bot is not in it
    let body = json!({"time_sensitive": true, "user_ids": [t.open_id(0, 0)]});
    let a = t
        .call(0, Method::PATCH, &chat_path(&chat), Some(body.clone()))
        .await;
    a.assert_code(400, 230027);
    let a = t
        .call(0, Method::PATCH, &chat_path("oc_unknown"), Some(body))
        .await;
    a.assert_invalid(230001, "feed_card_id");
}

#[tokio::test]
async fn every_feed_cards_rule_is_230001_naming_the_field() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0]).await;
    let token = t.token(0).await;
    let user = t.open_id(0, 0);
    let many: Vec<String> = (0..51).map(|i| format!("ou_{i}")).collect();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"user_ids": [user]}), "time_sensitive"),
        (
            json!({"time_sensitive": "yes", "user_ids": [user]}),
            "time_sensitive",
        ),
        (json!({"time_sensitive": true}), "user_ids"),
        (json!({"time_sensitive": true, "user_ids": []}), "user_ids"),
        (
            json!({"time_sensitive": true, "user_ids": many}),
            "user_ids",
        ),
    ];
    for (body, field) in cases {
        for path in [chat_path(&chat), format!("{BOT}?user_id_type=open_id")] {
            let a = t
                .raw(Method::PATCH, &path, Some(&token), Some(body.clone()))
                .await;
            a.assert_invalid(230001, field);
        }
    }
    // The group endpoint requires user_id_type in the query.
    let body = json!({"time_sensitive": true, "user_ids": [user]});
    let path = format!("/open-apis/im/v2/feed_cards/{chat}");
    let a = t
        .raw(Method::PATCH, &path, Some(&token), Some(body.clone()))
        .await;
    a.assert_invalid(230001, "user_id_type");
    // 50 users is the most, and works.
    let fifty: Vec<String> = (0..50).map(|i| format!("ou_{i}")).collect();
    let a = t
        .raw(
            Method::PATCH,
            BOT,
            Some(&token),
            Some(json!({"time_sensitive": true, "user_ids": fifty})),
        )
        .await;
    assert_eq!(
        a.assert_ok()["failed_user_reasons"]
            .as_array()
            .unwrap()
            .len(),
        50
    );
}

#[tokio::test]
async fn bot_time_sentive_pins_the_bots_one_to_one_chat() {
    let t = spawn_app().await;
    let user = t.open_id(0, 0);
    let frank = t.open_id(0, 5); // outside availability
    let body = json!({"time_sensitive": true, "user_ids": [user, frank, "ou_nobody"]});
    let a = t.call(0, Method::PATCH, BOT, Some(body)).await;
    assert_eq!(
        a.assert_ok()["failed_user_reasons"],
        json!([
            {"error_code": 0, "error_message": "The user is outside the app's availability", "user_id": frank},
            {"error_code": 0, "error_message": "The user does not exist", "user_id": "ou_nobody"},
        ])
    );
    let feed = t.feed(&user).await;
    assert_eq!(feed[0]["kind"], "chat");
    assert_eq!(feed[0]["chat_type"], "p2p");
    assert_eq!(feed[0]["app_id"], json!(t.app(0).app_id));
    assert_eq!(feed[0]["name"], "Demo Bot");
    assert_eq!(feed[0]["time_sensitive"], true);

    // The pinned chat is the one messages go to.
    let sent = t
        .call(
            0,
            Method::POST,
            "/open-apis/im/v1/messages?receive_id_type=open_id",
            Some(json!({"receive_id": user, "msg_type": "text", "content": "{\"text\":\"hi\"}"})),
        )
        .await;
    assert_eq!(sent.assert_ok()["chat_id"], feed[0]["chat_id"]);

    t.call(
        0,
        Method::PATCH,
        BOT,
        Some(json!({"time_sensitive": false, "user_ids": [user]})),
    )
    .await
    .assert_ok();
    assert_eq!(t.feed(&user).await[0]["time_sensitive"], false);
}

#[tokio::test]
async fn union_ids_and_user_ids_name_users_in_both_endpoints() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0]).await;
    let path = format!("/open-apis/im/v2/feed_cards/{chat}?user_id_type=union_id");
    let body = json!({"time_sensitive": true, "user_ids": [t.union_id(0, 0)]});
    let a = t.call(0, Method::PATCH, &path, Some(body)).await;
    assert_eq!(a.assert_ok()["failed_user_reasons"], json!([]));
    let body = json!({"time_sensitive": true, "user_ids": [t.user_id(1)]});
    let a = t
        .call(
            0,
            Method::PATCH,
            &format!("{BOT}?user_id_type=user_id"),
            Some(body),
        )
        .await;
    assert_eq!(a.assert_ok()["failed_user_reasons"], json!([]));
    assert_eq!(t.feed(&t.user_id(1)).await[0]["time_sensitive"], true);
}

#[tokio::test]
async fn both_endpoints_need_the_time_sensitive_scope() {
    let t = spawn_with(restricted_world(), true).await;
    let body = json!({"time_sensitive": true, "user_ids": [t.open_id(0, 0)]});
    for path in [chat_path("oc_x"), BOT.to_string()] {
        let a = t.call(0, Method::PATCH, &path, Some(body.clone())).await;
        a.assert_code(400, 99991672);
        assert_eq!(
            a.body["error"]["permission_violations"][0]["subject"],
            "im:datasync.feed_card.time_sensitive:write"
        );
    }
}

#[tokio::test]
async fn both_endpoints_take_50_a_second_per_app() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0]).await;
    let token = t.token(0).await;
    t.freeze_at_a_minute();
    t.clock.advance_ms(400);
    let body = json!({"time_sensitive": true, "user_ids": [t.open_id(0, 0)]});
    for path in [chat_path(&chat), BOT.to_string()] {
        let mut ok = 0;
        let mut last = None;
        for _ in 0..53 {
            let a = t
                .raw(Method::PATCH, &path, Some(&token), Some(body.clone()))
                .await;
            if a.code() == 0 {
                ok += 1;
            } else {
                last = Some(a);
            }
        }
        assert_eq!(ok, 50);
        let last = last.unwrap();
        last.assert_code(429, 99991400);
        assert_eq!(last.headers["x-ogw-ratelimit-limit"], "50");
        assert_eq!(last.headers["x-ogw-ratelimit-reset"], "1");
    }
}
