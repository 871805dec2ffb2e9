//! `PUT` and `DELETE /open-apis/im/v2/app_feed_card/batch`.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

const CREATE: &str = "/open-apis/im/v2/app_feed_card";
const BATCH: &str = "/open-apis/im/v2/app_feed_card/batch";
const BIZ: &str = "096e2927-40a6-41a3-9562-314d641d09ae";

async fn create_seed_card(t: &TestApp, users: &[usize]) {
    let ids: Vec<String> = users.iter().map(|&u| t.open_id(0, u)).collect();
    let a = t
        .call(0, Method::POST, CREATE, Some(seed_feed_card(&ids)))
        .await;
    assert_eq!(a.assert_ok()["failed_cards"], json!([]));
}

fn update(user: &str, card: Value, fields: &[&str]) -> Value {
    json!({"feed_cards": [{"app_feed_card": card, "user_id": user, "update_fields": fields}]})
}

/// The app feed card entry `biz_id` of a user's feed.
async fn card_entry(t: &TestApp, user: &str, biz_id: &str) -> Option<Value> {
    t.feed(user)
        .await
        .into_iter()
        .find(|e| e["kind"] == "app_feed_card" && e["biz_id"] == biz_id)
}

#[tokio::test]
async fn only_the_fields_named_in_update_fields_change() {
    let t = spawn_app().await;
    create_seed_card(&t, &[0, 1]).await;
    let user = t.open_id(0, 0);
    let card = json!({
        "biz_id": BIZ, "title": "新标题", "preview": "not named, so not changed",
        "status_label": {"text": "已完成", "type": "success"},
    });
    let a = t
        .call(
            0,
            Method::PUT,
            BATCH,
            Some(update(&user, card, &["1", "10"])),
        )
        .await;
    assert_eq!(a.assert_ok(), &json!({"failed_cards": []}));
    let entry = card_entry(&t, &user, BIZ).await.unwrap();
    assert_eq!(entry["card"]["title"], "新标题");
    assert_eq!(entry["card"]["preview"], "预览信息");
    assert_eq!(
        entry["card"]["status_label"],
        json!({"text": "已完成", "type": "success"})
    );
    assert_eq!(
        entry["card"]["buttons"]["buttons"][0]["text"]["text"],
        "文本"
    );
    // The other user's card is another card: untouched.
    let other = card_entry(&t, &t.open_id(0, 1), BIZ).await.unwrap();
    assert_eq!(other["card"]["title"], "主标题");
}

#[tokio::test]
async fn buttons_link_and_time_sensitive_are_replaced_when_named() {
    let t = spawn_app().await;
    create_seed_card(&t, &[0]).await;
    let user = t.open_id(0, 0);
    let card = json!({
        "biz_id": BIZ, "buttons": {"buttons": []},
        "link": {"link": "https://example.com/order/1"}, "time_sensitive": true,
    });
    t.call(
        0,
        Method::PUT,
        BATCH,
        Some(update(&user, card, &["11", "12", "13"])),
    )
    .await
    .assert_ok();
    let entry = card_entry(&t, &user, BIZ).await.unwrap();
    assert_eq!(entry["card"]["buttons"], json!({"buttons": []}));
    assert_eq!(entry["card"]["link"]["link"], "https://example.com/order/1");
    assert_eq!(entry["time_sensitive"], true);
}

#[tokio::test]
async fn codes_101_102_move_the_times_to_now_and_103_notifies() {
    let t = spawn_app().await;
    t.clock.freeze();
    let created = t.clock.now_ms();
    create_seed_card(&t, &[0]).await;
    let user = t.open_id(0, 0);
    let entry = card_entry(&t, &user, BIZ).await.unwrap();
    // The seed card closes its notification: nothing unread.
    assert_eq!(
        (
            &entry["display_time"],
            &entry["sort_time"],
            &entry["unread_notifications"]
        ),
        (&json!(created), &json!(created), &json!(0))
    );

    t.clock.advance_ms(5_000);
    let card = json!({"biz_id": BIZ});
    t.call(
        0,
        Method::PUT,
        BATCH,
        Some(update(&user, card.clone(), &["102"])),
    )
    .await
    .assert_ok();
    let entry = card_entry(&t, &user, BIZ).await.unwrap();
    assert_eq!(entry["display_time"], created);
    assert_eq!(entry["sort_time"], created + 5_000);

    t.clock.advance_ms(5_000);
    t.call(
        0,
        Method::PUT,
        BATCH,
        Some(update(&user, card.clone(), &["101", "103"])),
    )
    .await
    .assert_ok();
    let entry = card_entry(&t, &user, BIZ).await.unwrap();
    assert_eq!(entry["display_time"], created + 10_000);
    assert_eq!(entry["sort_time"], created + 5_000);
    assert_eq!(entry["unread_notifications"], 1);
    assert_eq!(
        entry["card"]["title"], "主标题",
        "no content field was named"
    );
}

#[tokio::test]
async fn a_card_that_was_never_created_is_not_created_and_unknown_users_no_permission() {
    let t = spawn_app().await;
    create_seed_card(&t, &[0]).await;
    let frank = t.open_id(0, 5); // outside Demo Bot's availability
    let body = json!({"feed_cards": [
        {"app_feed_card": {"biz_id": BIZ, "title": "x"}, "user_id": t.open_id(0, 0), "update_fields": ["1"]},
        {"app_feed_card": {"biz_id": "never", "title": "x"}, "user_id": t.open_id(0, 0), "update_fields": ["1"]},
        {"app_feed_card": {"biz_id": BIZ, "title": "x"}, "user_id": t.open_id(0, 1), "update_fields": ["1"]},
        {"app_feed_card": {"biz_id": BIZ, "title": "x"}, "user_id": "ou_nobody", "update_fields": ["1"]},
        {"app_feed_card": {"biz_id": BIZ, "title": "x"}, "user_id": frank, "update_fields": ["1"]},
    ]});
    let a = t.call(0, Method::PUT, BATCH, Some(body)).await;
    let mut failed = a.assert_ok()["failed_cards"].as_array().unwrap().clone();
    failed.sort_by_key(|f| {
        f["user_id"].as_str().unwrap().to_string() + f["biz_id"].as_str().unwrap()
    });
    let mut expected = vec![
        json!({"biz_id": "never", "user_id": t.open_id(0, 0), "reason": "NOT_CREATED"}),
        json!({"biz_id": BIZ, "user_id": t.open_id(0, 1), "reason": "NOT_CREATED"}),
        json!({"biz_id": BIZ, "user_id": "ou_nobody", "reason": "NO_PERMISSION"}),
        json!({"biz_id": BIZ, "user_id": frank, "reason": "NO_PERMISSION"}),
    ];
    expected.sort_by_key(|f| {
        f["user_id"].as_str().unwrap().to_string() + f["biz_id"].as_str().unwrap()
    });
    assert_eq!(failed, expected);
    // The one card that exists was updated.
    let entry = card_entry(&t, &t.open_id(0, 0), BIZ).await.unwrap();
    assert_eq!(entry["card"]["title"], "x");
}

#[tokio::test]
async fn another_apps_card_is_not_created_for_this_app() {
    let t = spawn_app().await;
    create_seed_card(&t, &[0]).await;
    let body = update(
        &t.open_id(1, 0),
        json!({"biz_id": BIZ, "title": "x"}),
        &["1"],
    );
    let a = t.call(1, Method::PUT, BATCH, Some(body)).await;
    assert_eq!(a.assert_ok()["failed_cards"][0]["reason"], "NOT_CREATED");
}

#[tokio::test]
async fn every_batch_update_rule_is_230001_naming_the_field() {
    // More cases than the 10/s limit allows.
    let t = spawn_with(larkfeed_server::world::World::default_world(), false).await;
    let token = t.token(0).await;
    let user = t.open_id(0, 0);
    let item = |card: Value, fields: Value| json!({"app_feed_card": card, "user_id": user, "update_fields": fields});
    let ok_card = json!({"biz_id": BIZ, "title": "t"});
    let many: Vec<Value> = (0..21)
        .map(|_| item(ok_card.clone(), json!(["1"])))
        .collect();
    let fields: Vec<&str> = std::iter::repeat_n("1", 21).collect();
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "feed_cards"),
        (json!({"feed_cards": []}), "feed_cards"),
        (json!({"feed_cards": many}), "feed_cards"),
        (
            json!({"feed_cards": [{"user_id": user, "update_fields": ["1"]}]}),
            "feed_cards[0].app_feed_card",
        ),
        (
            json!({"feed_cards": [item(json!({"title": "t"}), json!(["1"]))]}),
            "feed_cards[0].app_feed_card.biz_id",
        ),
        (
            json!({"feed_cards": [{"app_feed_card": ok_card, "update_fields": ["1"]}]}),
            "feed_cards[0].user_id",
        ),
        (
            json!({"feed_cards": [{"app_feed_card": ok_card, "user_id": user}]}),
            "feed_cards[0].update_fields",
        ),
        (
            json!({"feed_cards": [item(ok_card.clone(), json!([]))]}),
            "feed_cards[0].update_fields",
        ),
        (
            json!({"feed_cards": [item(ok_card.clone(), json!(fields))]}),
            "feed_cards[0].update_fields",
        ),
        (
            json!({"feed_cards": [item(ok_card.clone(), json!(["1", "4"]))]}),
            "feed_cards[0].update_fields[1]",
        ),
        (
            json!({"feed_cards": [item(ok_card.clone(), json!(["3"]))]}),
            "feed_cards[0].app_feed_card.preview",
        ),
        (
            json!({"feed_cards": [item(ok_card.clone(), json!(["12"]))]}),
            "feed_cards[0].app_feed_card.link.link",
        ),
        (
            json!({"feed_cards": [item(json!({"biz_id": BIZ, "title": "标".repeat(61)}), json!(["1"]))]}),
            "feed_cards[0].app_feed_card.title",
        ),
        (
            json!({"feed_cards": [item(json!({"biz_id": BIZ, "link": {"link": "http://a.cn"}}), json!(["12"]))]}),
            "feed_cards[0].app_feed_card.link.link",
        ),
        (
            json!({"feed_cards": [item(json!({"biz_id": BIZ, "status_label": {"text": "t", "type": "warn"}}), json!(["10"]))]}),
            "feed_cards[0].app_feed_card.status_label.type",
        ),
        (
            json!({"feed_cards": [item(json!({"biz_id": BIZ, "buttons": {"buttons": [{"action_type": "url_page"}]}}), json!(["11"]))]}),
            "feed_cards[0].app_feed_card.buttons.buttons[0].text.text",
        ),
        (
            json!({"feed_cards": [item(ok_card.clone(), json!([1]))]}),
            "feed_cards[0].update_fields[0]",
        ),
    ];
    for (body, field) in cases {
        let a = t
            .raw(Method::PUT, BATCH, Some(&token), Some(body.clone()))
            .await;
        a.assert_invalid(230001, field);
    }
    // update_fields are strings, and the wrong JSON type is named by its path.
    let a = t
        .raw(
            Method::PUT,
            &format!("{BATCH}?user_id_type=email"),
            Some(&token),
            Some(json!({})),
        )
        .await;
    a.assert_invalid(230001, "user_id_type");
}

#[tokio::test]
async fn deleting_removes_the_users_card_and_reports_missing_ones() {
    let t = spawn_app().await;
    create_seed_card(&t, &[0, 1]).await;
    let body = json!({"feed_cards": [
        {"biz_id": BIZ, "user_id": t.open_id(0, 0)},
        {"biz_id": "never", "user_id": t.open_id(0, 1)},
        {"biz_id": BIZ, "user_id": "ou_nobody"},
    ]});
    let a = t.call(0, Method::DELETE, BATCH, Some(body.clone())).await;
    assert_eq!(
        a.assert_ok()["failed_cards"],
        json!([
            {"biz_id": BIZ, "user_id": "ou_nobody", "reason": "NO_PERMISSION"},
            {"biz_id": "never", "user_id": t.open_id(0, 1), "reason": "NOT_CREATED"},
        ])
    );
    assert!(card_entry(&t, &t.open_id(0, 0), BIZ).await.is_none());
    assert!(card_entry(&t, &t.open_id(0, 1), BIZ).await.is_some());
    // A second delete finds nothing; the card can then be created again.
    let a = t
        .call(
            0,
            Method::DELETE,
            BATCH,
            Some(json!({"feed_cards": [{"biz_id": BIZ, "user_id": t.open_id(0, 0)}]})),
        )
        .await;
    assert_eq!(a.assert_ok()["failed_cards"][0]["reason"], "NOT_CREATED");
    create_seed_card(&t, &[0]).await;
}

#[tokio::test]
async fn every_batch_delete_rule_is_230001_naming_the_field() {
    // More cases than the 10/s limit allows.
    let t = spawn_with(larkfeed_server::world::World::default_world(), false).await;
    let token = t.token(0).await;
    let user = t.open_id(0, 0);
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"biz_id": format!("b{i}"), "user_id": user}))
        .collect();
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "feed_cards"),
        (json!({"feed_cards": []}), "feed_cards"),
        (json!({"feed_cards": many}), "feed_cards"),
        (
            json!({"feed_cards": [{"user_id": user}]}),
            "feed_cards[0].biz_id",
        ),
        (
            json!({"feed_cards": [{"biz_id": "", "user_id": user}]}),
            "feed_cards[0].biz_id",
        ),
        (
            json!({"feed_cards": [{"biz_id": "b"}]}),
            "feed_cards[0].user_id",
        ),
        (
            json!({"feed_cards": [{"biz_id": "b", "user_id": 7}]}),
            "feed_cards[0].user_id",
        ),
    ];
    for (body, field) in cases {
        let a = t.raw(Method::DELETE, BATCH, Some(&token), Some(body)).await;
        a.assert_invalid(230001, field);
    }
}

#[tokio::test]
async fn each_batch_endpoint_takes_10_a_second_per_app() {
    let t = spawn_app().await;
    let token = t.token(0).await;
    t.freeze_at_a_minute();
    let delete = json!({"feed_cards": [{"biz_id": "b", "user_id": t.open_id(0, 0)}]});
    let put = update(&t.open_id(0, 0), json!({"biz_id": "b"}), &["102"]);
    for (method, body) in [(Method::DELETE, delete), (Method::PUT, put)] {
        let mut answers = Vec::new();
        for _ in 0..13 {
            answers.push(
                t.raw(method.clone(), BATCH, Some(&token), Some(body.clone()))
                    .await,
            );
        }
        assert_eq!(answers.iter().filter(|a| a.code() == 0).count(), 10);
        let last = answers.last().unwrap();
        last.assert_code(429, 99991400);
        assert_eq!(last.headers["x-ogw-ratelimit-limit"], "10");
        assert_eq!(last.headers["x-ogw-ratelimit-reset"], "1");
    }
    t.clock.advance_ms(1000);
    let body = json!({"feed_cards": [{"biz_id": "b", "user_id": t.open_id(0, 0)}]});
    t.raw(Method::DELETE, BATCH, Some(&token), Some(body))
        .await
        .assert_ok();
}

#[tokio::test]
async fn the_batch_endpoints_need_the_feed_card_scope() {
    let t = spawn_with(restricted_world(), true).await;
    let body = json!({"feed_cards": [{"biz_id": "b", "user_id": t.open_id(0, 0)}]});
    for method in [Method::PUT, Method::DELETE] {
        let a = t.call(0, method, BATCH, Some(body.clone())).await;
        a.assert_code(400, 99991672);
        assert_eq!(
            a.body["error"]["permission_violations"][0]["subject"],
            "im:app_feed_card:write"
        );
    }
}
