use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn an_unknown_path_is_99991201_in_the_envelope_with_a_log_id() {
    let t = spawn_app().await;
    let a = t.admin_get("/open-apis/im/v9/nothing").await;
    a.assert_code(404, 99991201);
    let header = a.headers.get("x-tt-logid").unwrap().to_str().unwrap();
    assert_eq!(a.body["error"]["log_id"], json!(header));
}

#[tokio::test]
async fn a_wrong_method_is_99991301() {
    let t = spawn_app().await;
    t.raw(Method::DELETE, "/open-apis/im/v2/app_feed_card", None, None)
        .await
        .assert_code(405, 99991301);
    t.admin_get("/open-apis/im/v2/chat_button")
        .await
        .assert_code(405, 99991301);
}

#[tokio::test]
async fn every_success_carries_a_log_id_too() {
    let t = spawn_app().await;
    let a = t.admin_get("/_larkfeed/world").await;
    assert!(a.headers.get("x-tt-logid").is_some());
}

#[tokio::test]
async fn a_malformed_body_is_230001_naming_the_body() {
    let t = spawn_app().await;
    let token = t.token(0).await;
    let resp = t
        .http
        .post(format!("{}/open-apis/im/v2/app_feed_card", t.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"user_ids\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["code"], 230001);
    assert!(v["msg"].as_str().unwrap().contains("body"));
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_named_by_its_path() {
    let t = spawn_app().await;
    let mut body = seed_feed_card(&[t.open_id(0, 0)]);
    body["app_feed_card"]["title"] = json!(42);
    let a = t.post(0, "/open-apis/im/v2/app_feed_card", body).await;
    a.assert_invalid(230001, "app_feed_card.title");
    let mut body = seed_feed_card(&[t.open_id(0, 0)]);
    body["app_feed_card"]["buttons"]["buttons"][0]["text"] = json!("文本");
    let a = t.post(0, "/open-apis/im/v2/app_feed_card", body).await;
    a.assert_invalid(230001, "app_feed_card.buttons.buttons[0].text");
    let a = t
        .call(
            0,
            Method::PUT,
            "/open-apis/im/v2/chat_button",
            Some(json!({"chat_id": ["oc_1"]})),
        )
        .await;
    a.assert_invalid(230001, "chat_id");
    let a = t
        .call(
            0,
            Method::POST,
            "/open-apis/im/v1/chats",
            Some(json!({"user_id_list": "ou_1"})),
        )
        .await;
    a.assert_invalid(232001, "user_id_list");
}

#[tokio::test]
async fn an_oversized_body_is_answered_in_the_envelope() {
    let t = spawn_app().await;
    let token = t.token(0).await;
    let big = format!("{{\"content\":\"{}\"}}", "a".repeat(3 * 1024 * 1024));
    let a = t
        .post_text(
            "/open-apis/im/v1/messages?receive_id_type=open_id",
            Some(&token),
            big,
        )
        .await;
    a.assert_invalid(230001, "body");
}

#[tokio::test]
async fn a_bad_user_id_type_is_230001_naming_the_parameter() {
    let t = spawn_app().await;
    let a = t
        .call(
            0,
            Method::POST,
            "/open-apis/im/v2/app_feed_card?user_id_type=email",
            Some(seed_feed_card(&[t.open_id(0, 0)])),
        )
        .await;
    a.assert_invalid(230001, "user_id_type");
}

#[tokio::test]
async fn the_world_lists_apps_with_credentials_and_each_apps_view_of_users() {
    let t = spawn_app().await;
    let a = t.admin_get("/_larkfeed/world").await;
    let apps = a.body["apps"].as_array().unwrap();
    assert!(apps.len() >= 2);
    assert_eq!(apps[0]["app_id"], json!(t.app(0).app_id));
    assert_eq!(apps[0]["app_secret"], json!(t.app(0).app_secret));
    let users = apps[0]["users"].as_array().unwrap();
    assert!(users.len() >= 5);
    assert_eq!(users[0]["open_id"], json!(t.open_id(0, 0)));
    assert_ne!(
        apps[0]["users"][0]["open_id"],
        apps[1]["users"][0]["open_id"]
    );
    assert_eq!(
        apps[0]["users"][0]["user_id"],
        apps[1]["users"][0]["user_id"]
    );
    assert!(users.iter().any(|u| u["available"] == json!(false)));
}

#[tokio::test]
async fn the_admin_clock_reads_advances_and_freezes_server_time() {
    let t = spawn_app().await;
    let before = t.admin_get("/_larkfeed/clock").await.body["now_ms"]
        .as_i64()
        .unwrap();
    let day = 24 * 3600 * 1000;
    let a = t
        .raw(
            Method::POST,
            "/_larkfeed/clock",
            None,
            Some(json!({"advance_ms": 15 * day, "frozen": true})),
        )
        .await;
    let now = a.body["now_ms"].as_i64().unwrap();
    assert!(now >= before + 15 * day);
    assert_eq!(a.body["frozen"], true);
    assert_eq!(
        t.clock.now_ms(),
        now,
        "the server's rules see the same time"
    );
    let bad = t
        .raw(
            Method::POST,
            "/_larkfeed/clock",
            None,
            Some(json!({"advance": 1})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["code"], 230001);
}

#[tokio::test]
async fn a_message_becomes_unpatchable_after_the_admin_clock_moves_14_days() {
    let t = spawn_app().await;
    let sent = t
        .call(0, Method::POST, "/open-apis/im/v1/messages?receive_id_type=open_id", Some(json!({"receive_id": t.open_id(0, 0), "msg_type": "interactive", "content": SEED_CARD})))
        .await;
    let id = sent.assert_ok()["message_id"].as_str().unwrap().to_string();
    t.raw(
        Method::POST,
        "/_larkfeed/clock",
        None,
        Some(json!({"advance_ms": 14 * 24 * 3600 * 1000 + 1000})),
    )
    .await;
    let a = t.patch_message(0, &id, SEED_CARD).await;
    a.assert_code(400, 230031);
}

#[tokio::test]
async fn the_admin_clock_refuses_a_time_it_cannot_hold_and_stays_put() {
    let t = spawn_app().await;
    t.clock.freeze();
    let before = t.clock.now_ms();
    for (body, field) in [
        (json!({"set_ms": i64::MAX}), "set_ms"),
        (json!({"set_ms": -1}), "set_ms"),
        (json!({"advance_ms": i64::MAX}), "advance_ms"),
        (json!({"advance_ms": i64::MIN}), "advance_ms"),
        (json!({"set_ms": 0, "advance_ms": -1}), "advance_ms"),
    ] {
        t.raw(Method::POST, "/_larkfeed/clock", None, Some(body))
            .await
            .assert_invalid(230001, field);
        assert_eq!(t.clock.now_ms(), before, "nothing moved");
    }
    let end = t
        .raw(
            Method::POST,
            "/_larkfeed/clock",
            None,
            Some(json!({"set_ms": 253_402_300_799_999i64})),
        )
        .await;
    assert_eq!(end.body["now_ms"], 253_402_300_799_999i64);
}

#[tokio::test]
async fn bytes_after_the_json_body_are_refused_everywhere() {
    let t = spawn_app().await;
    let app = t.app(0).clone();
    let token_body = format!(
        "{{\"app_id\":\"{}\",\"app_secret\":\"{}\"}}}}}}}} not json",
        app.app_id, app.app_secret
    );
    let a = t
        .post_text(
            "/open-apis/auth/v3/tenant_access_token/internal",
            None,
            token_body,
        )
        .await;
    a.assert_invalid(10003, "body");

    let token = t.token(0).await;
    let mut card = seed_feed_card(&[t.open_id(0, 0)]).to_string();
    card.push_str("}}}} not json");
    let a = t
        .post_text("/open-apis/im/v2/app_feed_card", Some(&token), card)
        .await;
    a.assert_invalid(230001, "body");
    assert!(t.feed(&t.user_id(0)).await.is_empty(), "no card was stored");
}

#[tokio::test]
async fn an_array_where_an_object_belongs_is_refused_naming_the_field() {
    let t = spawn_app().await;
    let body = json!({
        "app_feed_card": ["arr-1", "array card", null, null, null, null, {"link": "https://x.cn/"}],
        "user_ids": [t.open_id(0, 0)],
    });
    t.post(0, "/open-apis/im/v2/app_feed_card", body)
        .await
        .assert_invalid(230001, "app_feed_card");
    let nested = json!({
        "app_feed_card": {"title": "t", "link": ["https://x.cn/"]},
        "user_ids": [t.open_id(0, 0)],
    });
    t.post(0, "/open-apis/im/v2/app_feed_card", nested)
        .await
        .assert_invalid(230001, "app_feed_card.link");
    assert!(t.feed(&t.user_id(0)).await.is_empty(), "no card was stored");
}
