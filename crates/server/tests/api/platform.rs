//! The platform's side: deliveries to an app (a plain axum app on loopback, no encrypt key: the
//! signed and encrypted path is checked by the official SDKs in `conformance/`), the act routes,
//! the delayed card update, and the admin API a test suite uses.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

impl TestApp {
    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.raw(method, path, None, body).await
    }

    async fn point_app_at(&self, a: usize, url: &str) {
        let answer = self
            .admin(
                Method::PUT,
                &format!("/_larkfeed/apps/{}", self.app(a).app_id),
                Some(json!({"callback_url": url, "event_url": url})),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }

    async fn send_card(&self, a: usize, user: usize) -> String {
        let card = json!({"config": {"update_multi": true}, "elements": []}).to_string();
        let answer = self
            .call(
                a,
                Method::POST,
                "/open-apis/im/v1/messages?receive_id_type=open_id",
                Some(json!({"receive_id": self.open_id(a, user), "msg_type": "interactive", "content": card})),
            )
            .await;
        answer.assert_ok()["message_id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn click(&self, user: usize, message_id: &str) -> Answer {
        self.admin(
            Method::POST,
            "/_larkfeed/act/card_action",
            Some(json!({"user": self.user_id(user), "message_id": message_id,
                        "action": {"tag": "button", "value": {"k": "v"}}})),
        )
        .await
    }

    /// The message as app `a` reads it through the messages API.
    async fn message(&self, a: usize, id: &str) -> Value {
        let got = self.get_message(a, id).await;
        got.assert_ok()["items"][0].clone()
    }

    async fn deliveries(&self) -> Vec<Value> {
        // The URL checks made when the app was pointed here are left out.
        let answer = self
            .admin(
                Method::GET,
                "/_larkfeed/deliveries?kind=callback,event",
                None,
            )
            .await;
        answer.body["items"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn a_click_carries_the_platform_fields_and_an_answered_card_replaces_the_message() {
    let t = spawn_app().await;
    let app = FakeApp::start(Mode::Answer(json!({
        "toast": {"type": "info", "content": "ok"},
        "card": {"type": "raw", "data": {"elements": [{"tag": "markdown", "content": "done"}]}},
    })))
    .await;
    t.point_app_at(0, &app.url).await;
    let message_id = t.send_card(0, 0).await;
    let acted = t.click(0, &message_id).await;
    assert_eq!(acted.status, 200, "{}", acted.body);
    assert_eq!(acted.body["delivered"], true);
    assert_eq!(acted.body["applied"]["card_updated"], true);
    assert_eq!(acted.body["applied"]["toast"]["content"], "ok");
    let body = &app.seen()[0];
    assert_eq!(body["schema"], "2.0");
    let header = &body["header"];
    assert_eq!(header["event_type"], "card.action.trigger");
    assert_eq!(header["app_id"], json!(t.app(0).app_id));
    assert_eq!(header["tenant_key"], json!(t.world().tenant.tenant_key));
    assert_eq!(
        header["create_time"].as_str().unwrap().len(),
        16,
        "microseconds"
    );
    let op = &body["event"]["operator"];
    assert_eq!(op["open_id"], json!(t.open_id(0, 0)));
    assert_eq!(op["union_id"], json!(t.union_id(0, 0)));
    assert_eq!(
        op["user_id"],
        json!(t.user_id(0)),
        "app 0 holds the employee-id scope"
    );
    assert_eq!(
        body["event"]["context"]["open_message_id"],
        json!(message_id)
    );
    assert_eq!(body["event"]["host"], "im_message");
    let item = t.message(0, &message_id).await;
    assert_eq!(item["updated"], true);
    assert!(item["body"]["content"].as_str().unwrap().contains("done"));
}

#[tokio::test]
async fn a_slow_a_failing_and_an_absent_app_each_get_a_clear_record_and_the_server_keeps_serving() {
    let t = spawn_app().await;
    let slow = FakeApp::start(Mode::Answer(json!({}))).await;
    t.point_app_at(0, &slow.url).await;
    slow.set(Mode::Slow(Duration::from_millis(3_500)));
    let message_id = t.send_card(0, 0).await;
    let acted = t.click(0, &message_id).await;
    assert_eq!(acted.body["delivered"], false, "{}", acted.body);
    assert!(acted.body["error"].as_str().unwrap().contains("within 3 s"));
    assert_eq!(acted.body["applied"]["toast"]["type"], "error");

    slow.set(Mode::Status(500));
    let acted = t.click(0, &message_id).await;
    assert_eq!(
        (
            acted.body["delivered"].clone(),
            acted.body["status"].clone()
        ),
        (json!(false), json!(500))
    );

    // An app that is gone: its port closed.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    t.set_app(0, json!({"callback_url": null})).await;
    // Set without the URL check: the world-file route, as an operator whose app went down.
    t.state
        .store
        .set_app_settings(&t.app(0).app_id, &json!({"callback_url": gone}).to_string())
        .await
        .unwrap();
    let acted = t.click(0, &message_id).await;
    assert!(
        acted.body["error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{}",
        acted.body
    );

    let records = t.deliveries().await;
    assert_eq!(records.len(), 3, "newest first, one per attempt");
    assert_eq!(records[1]["status"], 500);
    assert!(records[2]["latency_ms"].as_u64().unwrap() >= 2_900);
    assert_eq!(records[0]["kind"], "callback");
    assert_eq!(
        records[0]["body"]["header"]["event_type"],
        "card.action.trigger"
    );
    // No retry for a card callback: past the first retry's time, nothing waits or runs.
    t.advance_and_settle(20_000).await;
    assert!(t.platform.platform.timers.is_empty());
    assert_eq!(t.deliveries().await.len(), 3);
    t.admin(Method::GET, "/_larkfeed/health", None).await;
    t.token(0).await;
}

#[tokio::test]
async fn a_failed_event_is_retried_on_the_platforms_schedule_by_the_servers_clock() {
    let t = spawn_app().await;
    let app = FakeApp::start(Mode::Answer(json!({}))).await;
    t.point_app_at(0, &app.url).await;
    app.set(Mode::Status(503));
    let acted = t
        .admin(
            Method::POST,
            "/_larkfeed/act/send_message",
            Some(json!({"user": t.open_id(1, 0), "to_app": t.app(0).app_id,
                        "msg_type": "text", "content": "{\"text\":\"hi\"}"})),
        )
        .await;
    assert_eq!(acted.body["delivered"], false, "{}", acted.body);
    assert_eq!(t.deliveries().await.len(), 1);
    t.advance_and_settle(14_000).await;
    assert_eq!(t.deliveries().await.len(), 1, "not before 15 s");
    t.advance_and_settle(1_000).await;
    let mut records = t.deliveries().await;
    assert_eq!(records[0]["attempt"], 2, "{records:?}");
    assert_eq!(
        records[0]["body"]["header"]["event_id"],
        records[1]["body"]["header"]["event_id"]
    );
    app.set(Mode::Answer(json!({})));
    t.advance_and_settle(300_000).await;
    records = t.deliveries().await;
    assert_eq!(
        (
            records[0]["attempt"].clone(),
            records[0]["delivered"].clone()
        ),
        (json!(3), json!(true))
    );
    t.advance_and_settle(3_600_000).await;
    assert!(
        t.platform.platform.timers.is_empty(),
        "delivered: no more retries"
    );
    assert_eq!(t.deliveries().await.len(), 3, "delivered: no more retries");
    assert_eq!(app.seen().len(), 3);
}

#[tokio::test]
async fn a_url_that_does_not_echo_the_challenge_is_refused_and_nothing_is_stored() {
    let t = spawn_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let router = axum::Router::new().route(
        "/",
        axum::routing::post(|| async { "{\"challenge\":\"no\"}" }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let answer = t.set_app(0, json!({"event_url": url})).await;
    answer.assert_invalid(230001, "event_url");
    assert!(
        answer.msg().contains("url_verification"),
        "{}",
        answer.msg()
    );
    let now = t
        .admin(
            Method::GET,
            &format!("/_larkfeed/apps/{}", t.app(0).app_id),
            None,
        )
        .await;
    assert_eq!(now.body["event_url"], Value::Null);
    let bad = t.set_app(0, json!({"event_url": "ftp://x"})).await;
    bad.assert_invalid(230001, "event_url");
    let bad = t.set_app(0, json!({"colour": "red"})).await;
    bad.assert_invalid(230001, "colour");
}

#[tokio::test]
async fn feed_card_buttons_open_their_url_or_send_their_action_map() {
    let t = spawn_app().await;
    let app = FakeApp::start(Mode::Answer(
        json!({"toast": {"type": "success", "content": "yes"}}),
    ))
    .await;
    t.point_app_at(0, &app.url).await;
    let mut body = seed_feed_card(&[t.open_id(0, 0)]);
    let mut webhook = seed_button();
    webhook["action_type"] = json!("webhook");
    webhook["action_map"] = json!({"order": "7"});
    body["app_feed_card"]["buttons"]["buttons"] = json!([seed_button(), webhook]);
    t.post(
        0,
        "/open-apis/im/v2/app_feed_card?user_id_type=open_id",
        body,
    )
    .await
    .assert_ok();
    let press = |button: usize| {
        json!({"user": t.open_id(0, 0), "app_id": t.app(0).app_id,
               "biz_id": "096e2927-40a6-41a3-9562-314d641d09ae", "button": button})
    };
    let url = t
        .admin(
            Method::POST,
            "/_larkfeed/act/feed_card_button",
            Some(press(0)),
        )
        .await;
    assert_eq!(
        url.body["applied"]["open_url"], "https://www.feishu.cn/",
        "{}",
        url.body
    );
    assert_eq!(url.body["delivered"], false);
    let hook = t
        .admin(
            Method::POST,
            "/_larkfeed/act/feed_card_button",
            Some(press(1)),
        )
        .await;
    assert_eq!(hook.body["delivered"], true, "{}", hook.body);
    assert_eq!(hook.body["applied"]["toast"]["content"], "yes");
    let sent = &app.seen()[0]["event"];
    assert_eq!(sent["host"], "app_feed_card");
    assert_eq!(sent["action"]["value"], json!({"order": "7"}));
    assert_eq!(
        sent["context"]["biz_id"],
        "096e2927-40a6-41a3-9562-314d641d09ae"
    );
    let missing = t
        .admin(
            Method::POST,
            "/_larkfeed/act/feed_card_button",
            Some(press(2)),
        )
        .await;
    missing.assert_invalid(230001, "button");
}

#[tokio::test]
async fn a_chat_button_webhook_is_sent_to_the_app() {
    let t = spawn_app().await;
    let app = FakeApp::start(Mode::Answer(json!({}))).await;
    t.point_app_at(0, &app.url).await;
    let chat = t.group(0, &[0, 1]).await;
    let mut button = seed_button();
    button["action_type"] = json!("webhook");
    t.call(
        0,
        Method::PUT,
        "/open-apis/im/v2/chat_button?user_id_type=open_id",
        Some(json!({"chat_id": chat, "user_ids": [t.open_id(0, 0)], "buttons": {"buttons": [button]}})),
    )
    .await
    .assert_ok();
    let acted = t
        .admin(
            Method::POST,
            "/_larkfeed/act/chat_button",
            Some(json!({"user": t.user_id(0), "chat_id": chat, "button": 0})),
        )
        .await;
    assert_eq!(acted.body["delivered"], true, "{}", acted.body);
    let sent = &app.seen()[0]["event"];
    assert_eq!(
        (
            sent["host"].clone(),
            sent["context"]["open_chat_id"].clone()
        ),
        (json!("im_chat"), json!(chat))
    );
    assert_eq!(sent["action"]["value"], json!({"foo": "bar"}));
    let nobody = t
        .admin(
            Method::POST,
            "/_larkfeed/act/chat_button",
            Some(json!({"user": t.user_id(1), "chat_id": chat, "button": 0})),
        )
        .await;
    nobody.assert_invalid(230001, "chat_id");
}

#[tokio::test]
async fn group_messages_reach_bots_by_their_scopes_and_mentions() {
    let world = larkfeed_server::world::World::from_toml(
        r#"
[tenant]
name = "Scopes"
[[users]]
name = "Ann"
[[users]]
name = "Ben"
[[apps]]
name = "Mentions Only"
scopes = ["im:chat", "im:message", "im:message.group_at_msg:readonly"]
[[apps]]
name = "Every Message"
"#,
    )
    .unwrap();
    let t = spawn_with(world, true).await;
    let (only, every) = (
        FakeApp::start(Mode::Answer(json!({}))).await,
        FakeApp::start(Mode::Answer(json!({}))).await,
    );
    t.point_app_at(0, &only.url).await;
    t.point_app_at(1, &every.url).await;
    let chat = t.group(0, &[0, 1]).await;
    t.call(
        0,
        Method::POST,
        &format!("/open-apis/im/v1/chats/{chat}/members?member_id_type=app_id"),
        Some(json!({"id_list": [t.app(1).app_id]})),
    )
    .await
    .assert_ok();
    let say = |text: String| {
        json!({"user": t.user_id(0), "chat_id": chat, "msg_type": "text",
               "content": json!({"text": text}).to_string()})
    };
    t.admin(
        Method::POST,
        "/_larkfeed/act/send_message",
        Some(say("morning".into())),
    )
    .await;
    assert_eq!((only.seen().len(), every.seen().len()), (0, 1));
    let mention = format!(
        "<at user_id=\"{}\">bot</at> please, and <at user_id=\"{}\">Ben</at>",
        t.app(0).app_id,
        t.user_id(1)
    );
    let acted = t
        .admin(
            Method::POST,
            "/_larkfeed/act/send_message",
            Some(say(mention)),
        )
        .await;
    assert_eq!(acted.body["delivered"], true, "{}", acted.body);
    assert_eq!((only.seen().len(), every.seen().len()), (1, 2));
    let message = &only.seen()[0]["event"]["message"];
    assert_eq!(message["chat_type"], "group");
    assert_eq!(
        message["content"],
        json!({"text": "@_user_1 please, and @_user_2"}).to_string()
    );
    assert_eq!(
        message["mentions"][1]["id"]["open_id"],
        json!(t.open_id(0, 1))
    );
    assert_eq!(
        message["mentions"][1]["id"].get("user_id"),
        None,
        "no employee-id scope"
    );
    assert_eq!(message["mentions"][0]["name"], "bot");
    // Read back through the messages API: sent by the user, with the mentions.
    let id = message["message_id"].as_str().unwrap();
    let item = t.message(1, id).await;
    assert_eq!(item["sender"]["sender_type"], "user");
    assert_eq!(item["sender"]["id"], json!(t.open_id(1, 0)));
    assert_eq!(item["mentions"][1]["id"], json!(t.open_id(1, 1)));
    // Someone outside the chat cannot speak in it; nor can an unknown user.
    let outsider = t.admin(Method::POST, "/_larkfeed/act/send_message",
        Some(json!({"user": "nobody", "chat_id": chat, "msg_type": "text", "content": "{\"text\":\"x\"}"}))).await;
    outsider.assert_invalid(230001, "user");
}

#[tokio::test]
async fn the_delayed_update_takes_a_live_token_twice_and_an_exclusive_card_names_open_ids() {
    let (t, app, message_id, token) = clicked_card().await;
    let update = |card: Value, token: &str| json!({"token": token, "card": card});
    let v1 = json!({"open_ids": [t.open_id(0, 0)], "elements": []});
    let path = "/open-apis/interactive/v1/card/update";
    t.call(
        0,
        Method::POST,
        path,
        Some(update(json!({"elements": []}), &token)),
    )
    .await
    .assert_code(400, 300090);
    // An exclusive card says so in the same way when it names no one.
    t.call(
        0,
        Method::POST,
        path,
        Some(update(
            json!({"config": {"update_multi": false}, "open_ids": [], "elements": []}),
            &token,
        )),
    )
    .await
    .assert_code(400, 300090);
    t.call(1, Method::POST, path, Some(update(v1.clone(), &token)))
        .await
        .assert_code(400, 300040);
    t.call(
        0,
        Method::POST,
        path,
        Some(update(
            json!({"schema": "2.0", "body": {"elements": []}}),
            &token,
        )),
    )
    .await
    .assert_ok();
    t.call(0, Method::POST, path, Some(update(v1.clone(), &token)))
        .await
        .assert_ok();
    let used_up = t
        .call(0, Method::POST, path, Some(update(v1.clone(), &token)))
        .await;
    used_up.assert_error(400, 300040, "twice");
    t.click(0, &message_id).await;
    let token = app.seen()[1]["event"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    t.clock.advance_ms(30 * 60 * 1000 + 1);
    let expired = t
        .call(0, Method::POST, path, Some(update(v1.clone(), &token)))
        .await;
    expired.assert_error(400, 300040, "30 minutes");
    t.call(0, Method::POST, path, Some(json!({"card": v1})))
        .await
        .assert_invalid(230001, "token");
    t.call(0, Method::POST, path, None)
        .await
        .assert_invalid(230001, "token");
}

/// A server, an app answering callbacks, a card it sent and the token of one click on it.
async fn clicked_card() -> (TestApp, FakeApp, String, String) {
    let t = spawn_app().await;
    let app = FakeApp::start(Mode::Answer(json!({}))).await;
    t.point_app_at(0, &app.url).await;
    let message_id = t.send_card(0, 0).await;
    t.click(0, &message_id).await;
    let token = app.seen()[0]["event"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    (t, app, message_id, token)
}

/// A shared card (`config.update_multi: true`) is the same for everyone: the delayed update takes
/// it without `open_ids` and every reader sees the new card.
#[tokio::test]
async fn the_delayed_update_takes_a_shared_card_without_open_ids() {
    let (t, _app, message_id, token) = clicked_card().await;
    let shared = json!({
        "config": {"update_multi": true},
        "elements": [{"tag": "div", "text": {"tag": "plain_text", "content": "shared, updated"}}],
    });
    t.call(
        0,
        Method::POST,
        "/open-apis/interactive/v1/card/update",
        Some(json!({"token": token, "card": shared})),
    )
    .await
    .assert_ok();
    let item = t.message(0, &message_id).await;
    let content = item["body"]["content"].as_str().unwrap();
    assert!(content.contains("shared, updated"), "{content}");
}

#[tokio::test]
async fn faults_fail_matching_calls_as_the_platform_would() {
    let t = spawn_app().await;
    let token = t.token(0).await;
    let fault = t
        .admin(
            Method::POST,
            "/_larkfeed/faults",
            Some(json!({"method": "POST", "path": "/open-apis/im/v2/*", "code": 99991400, "times": 2})),
        )
        .await;
    assert_eq!(fault.status, 200, "{}", fault.body);
    let body = seed_feed_card(&[t.open_id(0, 0)]);
    let path = "/open-apis/im/v2/app_feed_card?user_id_type=open_id";
    for _ in 0..2 {
        let hit = t
            .raw(Method::POST, path, Some(&token), Some(body.clone()))
            .await;
        hit.assert_code(429, 99991400);
        assert!(hit.headers.contains_key("x-ogw-ratelimit-reset"));
        assert!(hit.headers.contains_key("x-tt-logid"));
    }
    t.raw(Method::POST, path, Some(&token), Some(body.clone()))
        .await
        .assert_ok();
    let listed = t.admin(Method::GET, "/_larkfeed/faults", None).await;
    assert_eq!(listed.body["items"], json!([]), "spent faults are gone");
    t.admin(
        Method::POST,
        "/_larkfeed/faults",
        Some(json!({"path": "/open-apis/im/v1/messages", "delay_ms": 400})),
    )
    .await;
    let started = std::time::Instant::now();
    let chat = t.group(0, &[0]).await;
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "other paths are not slowed"
    );
    let started = std::time::Instant::now();
    t.raw(
        Method::POST,
        "/open-apis/im/v1/messages?receive_id_type=chat_id",
        Some(&token),
        Some(json!({"receive_id": chat, "msg_type": "text", "content": "{\"text\":\"x\"}"})),
    )
    .await
    .assert_ok();
    assert!(started.elapsed() >= Duration::from_millis(400));
    t.admin(Method::DELETE, "/_larkfeed/faults", None).await;
    assert_eq!(
        t.admin(Method::GET, "/_larkfeed/faults", None).await.body["items"],
        json!([])
    );
    let bad = t
        .admin(
            Method::POST,
            "/_larkfeed/faults",
            Some(json!({"path": "nope", "code": 1})),
        )
        .await;
    bad.assert_invalid(230001, "path");
    let bad = t
        .admin(
            Method::POST,
            "/_larkfeed/faults",
            Some(json!({"path": "/x", "code": 1, "ratio": 2.0})),
        )
        .await;
    bad.assert_invalid(230001, "ratio");
}

#[tokio::test]
async fn the_request_log_keeps_calls_without_tokens_or_secrets() {
    let t = spawn_app().await;
    let token = t.token(0).await;
    t.raw(
        Method::POST,
        "/open-apis/im/v2/app_feed_card?user_id_type=open_id",
        Some(&token),
        Some(json!({"user_ids": []})),
    )
    .await
    .assert_code(400, 230001);
    let log = t
        .admin(Method::GET, "/_larkfeed/requests?limit=10", None)
        .await;
    let text = log.body.to_string();
    assert!(!text.contains(&token), "no token in the log");
    assert!(!text.contains(&t.app(0).app_secret), "no secret in the log");
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items[0]["code"], 230001);
    assert_eq!(items[0]["app_id"], json!(t.app(0).app_id));
    assert_eq!(items[0]["http_status"], 400);
    assert_eq!(items[0]["method"], "POST");
    assert_eq!(items[0]["path"], "/open-apis/im/v2/app_feed_card");
    assert_eq!(items[0]["query"], "user_id_type=open_id");
    assert_eq!(items[0]["log_id"].as_str().unwrap().len(), 29);
    assert_eq!(items[1]["query"], json!(null));
    assert_eq!(
        items[1]["path"],
        "/open-apis/auth/v3/tenant_access_token/internal"
    );
    assert_eq!(items[1]["request"]["app_secret"], "<redacted>");
    assert_eq!(items[1]["response"]["tenant_access_token"], "<redacted>");
    let only = t
        .admin(Method::GET, "/_larkfeed/requests?code=230001", None)
        .await;
    assert_eq!(only.body["items"].as_array().unwrap().len(), 1);
    let by_path = t
        .admin(
            Method::GET,
            "/_larkfeed/requests?path=/open-apis/auth/*",
            None,
        )
        .await;
    assert_eq!(by_path.body["items"].as_array().unwrap().len(), 1);
    t.admin(Method::GET, "/_larkfeed/requests?limit=0", None)
        .await
        .assert_invalid(230001, "limit");
}

#[tokio::test]
async fn reset_empties_the_state_and_a_saved_state_comes_back_identical() {
    let t = spawn_app().await;
    t.call(
        0,
        Method::POST,
        "/open-apis/im/v2/app_feed_card?user_id_type=open_id",
        Some(seed_feed_card(&[t.open_id(0, 0)])),
    )
    .await
    .assert_ok();
    let message_id = t.send_card(0, 1).await;
    let saved = t.admin(Method::GET, "/_larkfeed/state", None).await.body;
    assert_eq!(saved["tables"]["feed_cards"].as_array().unwrap().len(), 1);
    let feed_before = t.feed(&t.user_id(0)).await;
    let token = t.token(0).await;

    t.admin(Method::POST, "/_larkfeed/reset", None).await;
    assert!(t.feed(&t.user_id(0)).await.is_empty());
    let gone = t.get_message_with(&token, &message_id).await;
    gone.assert_invalid(230001, "message_id");
    let empty = t.admin(Method::GET, "/_larkfeed/state", None).await.body;
    assert!(empty["tables"]
        .as_object()
        .unwrap()
        .values()
        .all(|rows| rows.as_array().unwrap().is_empty()));

    let loaded = t
        .admin(Method::PUT, "/_larkfeed/state", Some(saved.clone()))
        .await;
    assert_eq!(loaded.status, 200, "{}", loaded.body);
    assert_eq!(
        t.admin(Method::GET, "/_larkfeed/state", None).await.body,
        saved
    );
    assert_eq!(t.feed(&t.user_id(0)).await, feed_before);
    // The token issued before the reset still works, and the message is back.
    t.get_message_with(&token, &message_id).await.assert_ok();
    // A document naming a table larkfeed does not have changes nothing.
    let mut bad = saved.clone();
    bad["tables"]["nope"] = json!([]);
    t.admin(Method::PUT, "/_larkfeed/state", Some(bad))
        .await
        .assert_invalid(230001, "tables");
    let mut bad = saved.clone();
    bad["tables"]["chats"][0]["colour"] = json!("red");
    t.admin(Method::PUT, "/_larkfeed/state", Some(bad))
        .await
        .assert_invalid(230001, "tables");
    assert_eq!(
        t.admin(Method::GET, "/_larkfeed/state", None).await.body,
        saved
    );
}

#[tokio::test]
async fn the_change_feed_streams_one_event_per_change() {
    let t = spawn_app().await;
    let mut stream = t.change_feed().await;
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    t.seed_card_for(0, 0).await.assert_ok();
    let text = until_event(&mut stream, "feed_card.created").await;
    assert!(
        text.contains("096e2927-40a6-41a3-9562-314d641d09ae"),
        "{text}"
    );
    // Each call's change is named by its endpoint's description, path parameters and all.
    let chat = t.group(0, &[1]).await;
    until_event(&mut stream, "chat.created").await;
    let path = format!("/open-apis/im/v1/chats/{chat}/members");
    let add = json!({"id_list": [t.open_id(0, 2)]});
    t.call(0, Method::POST, &path, Some(add)).await.assert_ok();
    let text = until_event(&mut stream, "chat.members_added").await;
    assert!(text.contains(&chat), "{text}");
    // A read changes nothing: the next event is the next write's.
    let path = format!("/open-apis/im/v1/chats/{chat}");
    t.call(0, Method::GET, &path, None).await.assert_ok();
    t.call(
        0,
        Method::PATCH,
        &format!("/open-apis/im/v2/feed_cards/{chat}?user_id_type=open_id"),
        Some(json!({"time_sensitive": true, "user_ids": [t.open_id(0, 1)]})),
    )
    .await
    .assert_ok();
    let text = until_event(&mut stream, "feed.pinned").await;
    assert!(!text.contains("event: chat.get"), "{text}");
    assert_eq!(text.matches("event: ").count(), 1, "{text}");
}

#[tokio::test]
async fn with_an_admin_token_every_admin_call_needs_it() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut config = larkfeed_server::Config::new(dir.path().join("db").display().to_string());
    config.port = 0;
    config.host = "0.0.0.0".into();
    let refused = larkfeed_server::Application::bind(config.clone()).await;
    let err = refused
        .err()
        .expect("no admin token off loopback")
        .to_string();
    assert!(err.contains("--admin-token"), "{err}");
    config.admin_token = Some("s3cret-admin".into());
    let app = larkfeed_server::Application::bind(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run());
    let http = reqwest::Client::new();
    let get = |path: &str, token: Option<&str>| {
        let req = http.get(format!("{base}{path}"));
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        async move { req.send().await.unwrap() }
    };
    let without = get("/_larkfeed/world", None).await;
    assert_eq!(without.status(), 401);
    let body: Value = without.json().await.unwrap();
    assert!(body["msg"].as_str().unwrap().contains("admin token"));
    let status = |path: &'static str, token: Option<&'static str>| {
        let answer = get(path, token);
        async move { answer.await.status() }
    };
    assert_eq!(status("/_larkfeed/world", Some("nope")).await, 401);
    assert_eq!(status("/_larkfeed/world", Some("s3cret-admin")).await, 200);
    assert_eq!(
        status("/_larkfeed/health", None).await,
        200,
        "the health check stays open"
    );
    assert_eq!(
        status("/_larkfeed/ui", None).await,
        200,
        "the inspector's files are open; its data is not"
    );
    // An EventSource cannot send headers: the token may come in the query.
    assert_eq!(
        status("/_larkfeed/events?admin_token=s3cret-admin", None).await,
        200
    );
    assert_eq!(
        status("/_larkfeed/events?admin_token=wrong", None).await,
        401
    );
    // Elsewhere a header can be sent, so the token is not taken from the query, where proxies'
    // access logs would keep it.
    for path in [
        "/_larkfeed/world?admin_token=s3cret-admin",
        "/_larkfeed/requests?admin_token=s3cret-admin",
        "/_larkfeed/state?admin_token=s3cret-admin",
    ] {
        assert_eq!(status(path, None).await, 401, "{path}");
    }
}

#[tokio::test]
async fn the_inspector_is_served_with_a_content_security_policy() {
    let t = spawn_app().await;
    for path in [
        "/",
        "/_larkfeed/ui",
        "/_larkfeed/ui/app.js",
        "/_larkfeed/ui/style.css",
    ] {
        let resp = t
            .http
            .get(format!("{}{path}", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    }
    let page = t
        .http
        .get(format!("{}/", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/_larkfeed/ui/app.js"));
    t.admin(Method::GET, "/_larkfeed/ui/nope.js", None)
        .await
        .assert_code(404, 99991201);
}

#[tokio::test]
async fn a_chats_messages_are_listed_oldest_first_with_their_senders() {
    let t = spawn_app().await;
    let first = t.send_card(0, 0).await;
    let acted = t
        .admin(
            Method::POST,
            "/_larkfeed/act/send_message",
            Some(json!({"user": t.user_id(0), "to_app": t.app(0).app_id,
                        "msg_type": "text", "content": "{\"text\":\"thanks\"}"})),
        )
        .await;
    let chat = acted.body["applied"]["chat_id"].as_str().unwrap();
    let listed = t
        .admin(
            Method::GET,
            &format!("/_larkfeed/chats/{chat}/messages"),
            None,
        )
        .await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", listed.body);
    assert_eq!(items[0]["message_id"], json!(first));
    assert_eq!(items[0]["sender"]["name"], json!(t.app(0).name));
    assert_eq!(items[1]["sender"]["kind"], "user");
    assert_eq!(listed.body["chat"]["chat_type"], "p2p");
    t.admin(Method::GET, "/_larkfeed/chats/oc_nope/messages", None)
        .await
        .assert_code(404, 99991201);
}

/// An app's `encrypt_key` and `verification_token` are kept sealed with its secret, and a card
/// callback's token as its digest: neither the saved state nor the database file holds them, and
/// both still work (a restart keeps the keys; the token takes the delayed update).
#[tokio::test]
async fn keys_are_sealed_and_card_tokens_kept_as_digests() {
    let (t, _app, message_id, token) = clicked_card().await;
    let (key, verification) = ("ek-5ea1ed-s3cret", "vt-5ea1ed-s3cret");
    let app_path = format!("/_larkfeed/apps/{}", t.app(0).app_id);
    let set = t
        .admin(
            Method::PUT,
            &app_path,
            Some(json!({"encrypt_key": key, "verification_token": verification})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let state = t.admin_get("/_larkfeed/state").await.body.to_string();
    for secret in [key, verification, token.as_str()] {
        assert!(!state.contains(secret), "{secret} in the saved state");
    }
    if t._schema.is_none() {
        let mut stored = std::fs::read(&t.db_path).unwrap();
        stored.extend(std::fs::read(format!("{}-wal", t.db_path)).unwrap_or_default());
        for secret in [key, verification, token.as_str()] {
            assert!(
                !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in the database file"
            );
        }
    }
    // The token works; the keys open again after a restart.
    let card = json!({"config": {"update_multi": true}, "elements": []});
    t.call(
        0,
        Method::POST,
        "/open-apis/interactive/v1/card/update",
        Some(json!({"token": token, "card": card})),
    )
    .await
    .assert_ok();
    let again = t.restart().await;
    let shown = again.admin_get(&app_path).await.body;
    assert_eq!(shown["encrypt_key_set"], true, "{shown}");
    assert_eq!(shown["verification_token_set"], true, "{shown}");
    let _ = message_id;
}
