//! `GET /_larkfeed/users/:id/feed`: what each user's feed holds, in order.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn the_feed_shows_cards_chats_buttons_and_pins_in_order() {
    let t = spawn_app().await;
    t.clock.freeze();
    let start = t.clock.now_ms();
    let user = t.open_id(0, 0);
    // A card at +0, a group at +1 s with a message at +3 s, a second card at +2 s.
    let mut first = seed_feed_card(std::slice::from_ref(&user));
    first["app_feed_card"]["biz_id"] = json!("first");
    t.post(0, "/open-apis/im/v2/app_feed_card", first)
        .await
        .assert_ok();
    t.clock.advance_ms(1000);
    let chat = t.group(0, &[0, 1]).await;
    t.clock.advance_ms(1000);
    let mut second = seed_feed_card(std::slice::from_ref(&user));
    second["app_feed_card"]["biz_id"] = json!("second");
    second["app_feed_card"]["notify"] = json!({"close_notify": false});
    t.post(0, "/open-apis/im/v2/app_feed_card", second)
        .await
        .assert_ok();
    t.clock.advance_ms(1000);
    t.send_to_chat(0, &chat, "text", r#"{"text":"hi"}"#)
        .await
        .assert_ok();
    t.call(
        0,
        Method::PUT,
        "/open-apis/im/v2/chat_button",
        Some(json!({"chat_id": chat, "user_ids": [user], "buttons": {"buttons": [seed_button()]}})),
    )
    .await
    .assert_ok();

    let feed = t.feed(&user).await;
    let order: Vec<_> = feed
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["sort_time"].as_i64().unwrap() - start,
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("chat", 3000),
            ("app_feed_card", 2000),
            ("app_feed_card", 0)
        ]
    );
    assert_eq!(feed[0]["chat_id"], json!(chat));
    assert_eq!(feed[0]["chat_type"], "group");
    assert_eq!(feed[0]["name"], "team");
    assert_eq!(
        feed[0]["buttons"],
        json!([{"app_id": t.app(0).app_id, "buttons": [seed_button()]}])
    );
    assert_eq!(feed[1]["biz_id"], "second");
    assert_eq!(feed[1]["app_name"], "Demo Bot");
    assert_eq!(feed[1]["unread_notifications"], 1, "notify was left open");
    assert_eq!(
        feed[2]["unread_notifications"], 0,
        "the seed card closes notify"
    );
    // Buttons are per user: the other member sees none.
    let other = t.feed(&t.open_id(0, 1)).await;
    assert_eq!(other[0]["buttons"], json!([]));

    // A time-sensitive card goes to the top.
    let pin = json!({"feed_cards": [{"app_feed_card": {"biz_id": "first", "time_sensitive": true},
                     "user_id": user, "update_fields": ["13"]}]});
    t.call(
        0,
        Method::PUT,
        "/open-apis/im/v2/app_feed_card/batch",
        Some(pin),
    )
    .await
    .assert_ok();
    let feed = t.feed(&user).await;
    assert_eq!(
        (&feed[0]["biz_id"], &feed[0]["time_sensitive"]),
        (&json!("first"), &json!(true))
    );
}

#[tokio::test]
async fn a_user_is_found_by_any_of_their_ids() {
    let t = spawn_app().await;
    t.call(
        0,
        Method::POST,
        "/open-apis/im/v2/app_feed_card",
        Some(seed_feed_card(&[t.open_id(0, 0)])),
    )
    .await
    .assert_ok();
    let email = t.world().users[0].email.clone();
    for id in [
        t.open_id(0, 0),
        t.open_id(1, 0),
        t.union_id(0, 0),
        t.user_id(0),
        email,
    ] {
        let answer = t.admin_get(&format!("/_larkfeed/users/{id}/feed")).await;
        let data = answer.assert_ok();
        assert_eq!(data["user"]["user_id"], json!(t.user_id(0)), "{id}");
        assert_eq!(data["entries"].as_array().unwrap().len(), 1, "{id}");
    }
    let answer = t.admin_get("/_larkfeed/users/ou_nobody/feed").await;
    answer.assert_error(404, 99991201, "ou_nobody");
}

#[tokio::test]
async fn a_deleted_card_and_a_recalled_message_leave_the_feed_as_it_was() {
    let t = spawn_app().await;
    t.clock.freeze();
    let start = t.clock.now_ms();
    let user = t.open_id(0, 0);
    let chat = t.group(0, &[0]).await;
    t.clock.advance_ms(1000);
    let sent = t.send_to_chat(0, &chat, "text", r#"{"text":"hi"}"#).await;
    let id = sent.assert_ok()["message_id"].as_str().unwrap().to_string();
    assert_eq!(t.feed(&user).await[0]["sort_time"], start + 1000);
    t.recall_message(0, &id).await.assert_ok();
    assert_eq!(t.feed(&user).await[0]["sort_time"], start);
}

#[tokio::test]
async fn the_feed_comes_a_page_at_a_time_newest_first() {
    let t = spawn_with(larkfeed_server::world::World::default_world(), false).await;
    t.freeze_at_a_minute();
    let user = t.open_id(0, 0);
    for i in 0..45 {
        t.clock.advance_ms(if i % 3 == 0 { 1 } else { 0 }); // ties in sort time, too
        let mut body = seed_feed_card(std::slice::from_ref(&user));
        body["app_feed_card"]["biz_id"] = json!(format!("page-{i:02}"));
        t.post(0, "/open-apis/im/v2/app_feed_card", body)
            .await
            .assert_ok();
    }
    t.group(0, &[0]).await; // a chat joins the feed, newest of all
    let mut seen: Vec<Value> = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let path = match token.as_str() {
            "" => format!("/_larkfeed/users/{user}/feed?page_size=20"),
            t => format!("/_larkfeed/users/{user}/feed?page_size=20&page_token={t}"),
        };
        let a = t.admin_get(&path).await;
        let data = a.assert_ok().clone();
        pages += 1;
        let entries = data["entries"].as_array().unwrap();
        assert!(entries.len() <= 20);
        seen.extend(entries.iter().cloned());
        if !data["has_more"].as_bool().unwrap() {
            assert_eq!(data["page_token"], "");
            break;
        }
        token = data["page_token"].as_str().unwrap().to_string();
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 46, "45 cards and the chat, each once");
    assert_eq!(seen[0]["kind"], "chat", "the newest entry first");
    let times: Vec<i64> = seen
        .iter()
        .map(|e| e["sort_time"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let ids: std::collections::HashSet<String> = seen
        .iter()
        .map(|e| format!("{}{}", e["biz_id"], e["chat_id"]))
        .collect();
    assert_eq!(ids.len(), 46);
}

#[tokio::test]
async fn feed_paging_parameters_are_checked() {
    let t = spawn_app().await;
    let user = t.user_id(0);
    for bad in ["page_size=0", "page_size=101", "page_size=x"] {
        t.admin_get(&format!("/_larkfeed/users/{user}/feed?{bad}"))
            .await
            .assert_invalid(230001, "page_size");
    }
    t.admin_get(&format!("/_larkfeed/users/{user}/feed?page_token=zz"))
        .await
        .assert_invalid(230001, "page_token");
}

/// A chat's entry shows its last message (sender and one line) and how many messages of others
/// came since the user last read it; reading the chat (opening it, as `?reader=`) clears the
/// count, and the user's own messages never count.
#[tokio::test]
async fn a_chat_entry_shows_its_last_message_and_unread_count_until_read() {
    let t = spawn_app().await;
    t.clock.freeze();
    let alice = t.user_id(0);
    let bot_says = |text: &str| {
        let body = json!({"receive_id": t.open_id(0, 0), "msg_type": "text",
                          "content": json!({"text": text}).to_string()});
        t.call(
            0,
            Method::POST,
            "/open-apis/im/v1/messages?receive_id_type=open_id",
            Some(body),
        )
    };
    let first = bot_says("first").await;
    let chat_id = first.assert_ok()["chat_id"].as_str().unwrap().to_string();
    t.clock.advance_ms(1000);
    bot_says("second\nline").await.assert_ok();
    let entry = |entries: Vec<Value>| {
        entries
            .into_iter()
            .find(|e| e["chat_id"] == json!(chat_id))
            .expect("the bot chat is in the feed")
    };
    let before = entry(t.feed(&alice).await);
    assert_eq!(before["unread"], 2, "{before}");
    assert_eq!(before["last_message"]["text"], "second line", "{before}");
    assert_eq!(
        before["last_message"]["sender_name"], "Demo Bot",
        "{before}"
    );
    t.admin_get(&format!(
        "/_larkfeed/chats/{chat_id}/messages?reader={alice}"
    ))
    .await;
    assert_eq!(entry(t.feed(&alice).await)["unread"], 0);
    // Alice answers (not unread for her), then the bot writes again (unread).
    t.clock.advance_ms(1000);
    let acted = t
        .act(
            "send_message",
            json!({"user": alice, "chat_id": chat_id, "msg_type": "text",
                        "content": json!({"text": "thanks"}).to_string()}),
        )
        .await;
    assert_eq!(acted.status, 200, "{}", acted.body);
    let after_own = entry(t.feed(&alice).await);
    assert_eq!(after_own["unread"], 0, "{after_own}");
    assert_eq!(after_own["last_message"]["text"], "thanks");
    assert_eq!(after_own["last_message"]["sender_name"], "Alice Zhang");
    t.clock.advance_ms(1000);
    bot_says("third").await.assert_ok();
    let after = entry(t.feed(&alice).await);
    assert_eq!(after["unread"], 1, "{after}");
    assert_eq!(after["last_message"]["text"], "third");
    // An unknown reader is refused, naming the parameter.
    let unknown = t
        .admin_get(&format!(
            "/_larkfeed/chats/{chat_id}/messages?reader=nobody"
        ))
        .await;
    unknown.assert_invalid(230001, "reader");
}
