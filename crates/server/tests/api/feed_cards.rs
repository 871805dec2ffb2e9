use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

const PATH: &str = "/open-apis/im/v2/app_feed_card";

#[tokio::test]
async fn the_seed_example_creates_a_card_for_each_user() {
    let t = spawn_app().await;
    let users = [t.open_id(0, 0), t.open_id(0, 1)];
    let a = t
        .call(
            0,
            Method::POST,
            &format!("{PATH}?user_id_type=open_id"),
            Some(seed_feed_card(&users)),
        )
        .await;
    let data = a.assert_ok();
    assert_eq!(a.msg(), "success");
    assert_eq!(data["biz_id"], "096e2927-40a6-41a3-9562-314d641d09ae");
    assert_eq!(data["failed_cards"], json!([]));
    for u in [0, 1] {
        let cards = t
            .state
            .store
            .feed_cards_of_user(&t.app(0).app_id, &t.user_key(u))
            .await
            .unwrap();
        assert_eq!(cards.len(), 1);
        let card: Value = serde_json::to_value(&cards[0].card).unwrap();
        assert_eq!(card["title"], "主标题");
        assert_eq!(card["buttons"]["buttons"][0]["action_map"]["foo"], "bar");
    }
}

#[tokio::test]
async fn a_biz_id_is_generated_when_absent() {
    let t = spawn_app().await;
    let mut body = seed_feed_card(&[t.open_id(0, 0)]);
    body["app_feed_card"]
        .as_object_mut()
        .unwrap()
        .remove("biz_id");
    let a = t.post(0, PATH, body.clone()).await;
    let first = a.assert_ok()["biz_id"].as_str().unwrap().to_string();
    assert_eq!(first.len(), 36);
    let b = t.post(0, PATH, body).await;
    let second = b.assert_ok()["biz_id"].as_str().unwrap().to_string();
    // UUIDs in the platform's text form, time-ordered (v7) so later cards sort later.
    for id in [&first, &second] {
        let dashes: Vec<usize> = id.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [8, 13, 18, 23], "{id}");
        assert_eq!(&id[14..15], "7", "{id}");
    }
    assert!(first < second, "{first} then {second}");
}

#[tokio::test]
async fn users_outside_availability_or_unknown_are_no_permission_and_the_rest_are_served() {
    let t = spawn_app().await;
    let outside = t.open_id(0, 5); // Frank is outside the first app's availability
    let other_app = t.open_id(1, 0); // an open_id of another app names nobody here
    let users = [
        t.open_id(0, 0),
        outside.clone(),
        other_app.clone(),
        "ou_nobody".to_string(),
    ];
    let a = t
        .call(0, Method::POST, PATH, Some(seed_feed_card(&users)))
        .await;
    let failed = a.assert_ok()["failed_cards"].as_array().unwrap().clone();
    let reasons: Vec<(String, String)> = failed
        .iter()
        .map(|f| {
            (
                f["user_id"].as_str().unwrap().to_string(),
                f["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            (outside, "NO_PERMISSION".into()),
            (other_app, "NO_PERMISSION".into()),
            ("ou_nobody".into(), "NO_PERMISSION".into())
        ]
    );
    assert_eq!(failed[0]["biz_id"], "096e2927-40a6-41a3-9562-314d641d09ae");
    assert_eq!(t.stored_cards(0, 0).await, 1);
}

#[tokio::test]
async fn a_second_card_with_the_same_biz_id_is_duplicated() {
    let t = spawn_app().await;
    t.call(
        0,
        Method::POST,
        PATH,
        Some(seed_feed_card(&[t.open_id(0, 0)])),
    )
    .await
    .assert_ok();
    let a = t
        .call(
            0,
            Method::POST,
            PATH,
            Some(seed_feed_card(&[t.open_id(0, 0), t.open_id(0, 1)])),
        )
        .await;
    let failed = &a.assert_ok()["failed_cards"];
    assert_eq!(failed.as_array().unwrap().len(), 1);
    assert_eq!(failed[0]["user_id"], json!(t.open_id(0, 0)));
    assert_eq!(failed[0]["reason"], "DUPLICATED");
}

#[tokio::test]
async fn union_ids_and_user_ids_name_users_and_come_back_as_given() {
    let t = spawn_app().await;
    let a = t
        .call(
            0,
            Method::POST,
            &format!("{PATH}?user_id_type=union_id"),
            Some(seed_feed_card(&[t.union_id(0, 0), t.union_id(0, 5)])),
        )
        .await;
    assert_eq!(
        a.assert_ok()["failed_cards"][0]["user_id"],
        json!(t.union_id(0, 5))
    );
    let mut body = seed_feed_card(&[t.user_id(1)]);
    body["app_feed_card"]["biz_id"] = json!("by-user-id");
    let b = t
        .call(
            0,
            Method::POST,
            &format!("{PATH}?user_id_type=user_id"),
            Some(body),
        )
        .await;
    assert_eq!(b.assert_ok()["failed_cards"], json!([]));
}

/// Every rule of the card object (FACTS §2) through HTTP: 230001 and the field in the message.
#[tokio::test]
async fn every_card_rule_is_230001_naming_the_field() {
    // Rate limits count refused calls too; this table is about the rules.
    let t = spawn_with(larkfeed_server::world::World::default_world(), false).await;
    let token = t.token(0).await;
    type Edit = Box<dyn Fn(&mut Value)>;
    let long_url = format!("https://www.feishu.cn/{}", "a".repeat(700));
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|b| b["app_feed_card"]["biz_id"] = json!("b".repeat(201))),
            "app_feed_card.biz_id",
        ),
        (
            Box::new(|b| b["app_feed_card"]["title"] = json!("题".repeat(61))),
            "app_feed_card.title",
        ),
        (
            Box::new(|b| b["app_feed_card"]["avatar_key"] = json!("k".repeat(101))),
            "app_feed_card.avatar_key",
        ),
        (
            Box::new(|b| b["app_feed_card"]["preview"] = json!("览".repeat(121))),
            "app_feed_card.preview",
        ),
        (
            Box::new(|b| b["app_feed_card"]["status_label"]["text"] = json!("")),
            "app_feed_card.status_label.text",
        ),
        (
            Box::new(|b| b["app_feed_card"]["status_label"]["text"] = json!("签".repeat(21))),
            "app_feed_card.status_label.text",
        ),
        (
            Box::new(|b| b["app_feed_card"]["status_label"]["type"] = json!("info")),
            "app_feed_card.status_label.type",
        ),
        (
            Box::new(|b| b["app_feed_card"]["status_label"] = json!({"text": "x"})),
            "app_feed_card.status_label.type",
        ),
        (
            Box::new(|b| b["app_feed_card"]["buttons"] = json!({})),
            "app_feed_card.buttons.buttons",
        ),
        (
            Box::new(|b| {
                b["app_feed_card"]["buttons"]["buttons"] =
                    json!([seed_button(), seed_button(), seed_button()])
            }),
            "app_feed_card.buttons.buttons[2]",
        ),
        (
            Box::new(|b| {
                b["app_feed_card"]["buttons"]["buttons"][0]["multi_url"]["url"] =
                    json!("http://www.feishu.cn/")
            }),
            "app_feed_card.buttons.buttons[0].multi_url.url",
        ),
        (
            Box::new(move |b| {
                b["app_feed_card"]["buttons"]["buttons"][0]["multi_url"]["ios_url"] =
                    json!(long_url.clone())
            }),
            "app_feed_card.buttons.buttons[0].multi_url.ios_url",
        ),
        (
            Box::new(|b| {
                b["app_feed_card"]["buttons"]["buttons"][0]["action_type"] = json!("open")
            }),
            "app_feed_card.buttons.buttons[0].action_type",
        ),
        (
            Box::new(|b| {
                b["app_feed_card"]["buttons"]["buttons"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("action_type");
            }),
            "app_feed_card.buttons.buttons[0].action_type",
        ),
        (
            Box::new(|b| {
                b["app_feed_card"]["buttons"]["buttons"][0]["text"]["text"] = json!("字".repeat(31))
            }),
            "app_feed_card.buttons.buttons[0].text.text",
        ),
        (
            Box::new(|b| b["app_feed_card"]["buttons"]["buttons"][0]["text"]["text"] = json!("")),
            "app_feed_card.buttons.buttons[0].text.text",
        ),
        (
            Box::new(|b| {
                b["app_feed_card"]["buttons"]["buttons"][0]["button_type"] = json!("danger")
            }),
            "app_feed_card.buttons.buttons[0].button_type",
        ),
        (
            Box::new(|b| b["app_feed_card"]["link"]["link"] = json!("http://www.feishu.cn/")),
            "app_feed_card.link.link",
        ),
        (
            Box::new(|b| {
                b["app_feed_card"].as_object_mut().unwrap().remove("link");
            }),
            "app_feed_card.link",
        ),
        (
            Box::new(|b| {
                b["app_feed_card"]["notify"]["custom_sound_text"] = json!("音".repeat(21))
            }),
            "app_feed_card.notify.custom_sound_text",
        ),
        (Box::new(|b| b["user_ids"] = json!([])), "user_ids"),
        (
            Box::new(|b| {
                b["user_ids"] = json!((0..21).map(|i| format!("ou_{i}")).collect::<Vec<_>>())
            }),
            "user_ids",
        ),
        (
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("user_ids");
            }),
            "user_ids",
        ),
        (
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("app_feed_card");
            }),
            "app_feed_card",
        ),
    ];
    for (edit, field) in cases {
        let mut body = seed_feed_card(&[t.open_id(0, 0)]);
        edit(&mut body);
        let a = t.raw(Method::POST, PATH, Some(&token), Some(body)).await;
        a.assert_invalid(230001, field);
    }
    // Nothing was written by any refused call.
    assert!(t
        .state
        .store
        .feed_cards_of_user(&t.app(0).app_id, &t.user_key(0))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn limits_count_characters_so_20_users_and_60_chinese_characters_pass() {
    let t = spawn_app().await;
    let mut body = seed_feed_card(&(0..20).map(|i| format!("ou_{i}")).collect::<Vec<_>>());
    body["app_feed_card"]["title"] = json!("题".repeat(60));
    body["app_feed_card"]["buttons"]["buttons"] = json!([seed_button(), seed_button()]);
    body["app_feed_card"]["buttons"]["buttons"][1]["action_type"] = json!("webhook");
    let a = t.post(0, PATH, body).await;
    assert_eq!(a.assert_ok()["failed_cards"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn the_rate_limit_is_10_per_second_per_app_with_platform_headers() {
    let t = spawn_app().await;
    let token = t.token(0).await;
    t.clock.freeze();
    let mut codes = Vec::new();
    let mut limited = None;
    for i in 0..12 {
        let mut body = seed_feed_card(&[t.open_id(0, 0)]);
        body["app_feed_card"]["biz_id"] = json!(format!("burst-{i}"));
        let a = t.raw(Method::POST, PATH, Some(&token), Some(body)).await;
        codes.push(a.code());
        if a.code() != 0 {
            limited = Some(a);
        }
    }
    assert_eq!(codes.iter().filter(|&&c| c == 0).count(), 10);
    let a = limited.unwrap();
    a.assert_code(429, 99991400);
    assert_eq!(a.headers["x-ogw-ratelimit-limit"], "10");
    assert_eq!(a.headers["x-ogw-ratelimit-reset"], "1");
    // Another app has its own budget, and the next second brings a new one.
    let other = t
        .call(
            1,
            Method::POST,
            PATH,
            Some(seed_feed_card(&[t.open_id(1, 0)])),
        )
        .await;
    other.assert_ok();
    t.clock.advance_ms(1000);
    let mut body = seed_feed_card(&[t.open_id(0, 0)]);
    body["app_feed_card"]["biz_id"] = json!("next-second");
    t.raw(Method::POST, PATH, Some(&token), Some(body))
        .await
        .assert_ok();
}

#[tokio::test]
async fn rate_limits_can_be_switched_off() {
    let t = spawn_with(larkfeed_server::world::World::default_world(), false).await;
    let token = t.token(0).await;
    t.clock.freeze();
    for i in 0..15 {
        let mut body = seed_feed_card(&[t.open_id(0, 0)]);
        body["app_feed_card"]["biz_id"] = json!(format!("off-{i}"));
        t.raw(Method::POST, PATH, Some(&token), Some(body))
            .await
            .assert_ok();
    }
}
