use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

const PATH: &str = "/open-apis/im/v2/chat_button";

async fn buttons_of(t: &TestApp, chat_id: &str, user: usize) -> Option<Value> {
    let user_id = t.user_key(user);
    let chat_id = chat_id.parse().unwrap();
    let entry = larkfeed_server::store::ChatEntry {
        chat_id: &chat_id,
        user_id: &user_id,
    };
    let stored = t.state.store.chat_buttons(entry).await.unwrap();
    stored
        .into_iter()
        .find(|(app_id, _, _)| *app_id == t.app(0).app_id)
        .map(|(_, _, buttons)| serde_json::to_value(buttons).unwrap())
}

fn seed_body(chat_id: &str, users: &[String]) -> Value {
    json!({"user_ids": users, "chat_id": chat_id, "buttons": {"buttons": [seed_button()]}})
}

#[tokio::test]
async fn the_seed_example_sets_the_buttons_for_the_user() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1]).await;
    let a = t
        .call(
            0,
            Method::PUT,
            &format!("{PATH}?user_id_type=open_id"),
            Some(seed_body(&chat, &[t.open_id(0, 0)])),
        )
        .await;
    assert_eq!(a.assert_ok()["failed_user_reasons"], json!([]));
    assert_eq!(a.msg(), "success");
    assert_eq!(
        buttons_of(&t, &chat, 0).await.unwrap()[0]["text"]["text"],
        "文本"
    );
    assert_eq!(buttons_of(&t, &chat, 1).await, None);
}

#[tokio::test]
async fn buttons_are_replaced_whole_and_an_empty_list_removes_them() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0]).await;
    let users = [t.open_id(0, 0)];
    let mut two = seed_body(&chat, &users);
    two["buttons"]["buttons"] = json!([seed_button(), seed_button()]);
    two["buttons"]["buttons"][1]["text"]["text"] = json!("second");
    t.call(0, Method::PUT, PATH, Some(two)).await.assert_ok();
    assert_eq!(
        buttons_of(&t, &chat, 0)
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    t.call(0, Method::PUT, PATH, Some(seed_body(&chat, &users)))
        .await
        .assert_ok();
    let now = buttons_of(&t, &chat, 0).await.unwrap();
    assert_eq!(now.as_array().unwrap().len(), 1);
    assert_eq!(now[0]["text"]["text"], "文本");
    let mut empty = seed_body(&chat, &users);
    empty["buttons"]["buttons"] = json!([]);
    t.call(0, Method::PUT, PATH, Some(empty)).await.assert_ok();
    assert_eq!(buttons_of(&t, &chat, 0).await.unwrap(), json!([]));
    // Leaving `buttons` out shows no buttons either.
    t.call(0, Method::PUT, PATH, Some(seed_body(&chat, &users)))
        .await
        .assert_ok();
    t.call(
        0,
        Method::PUT,
        PATH,
        Some(json!({"chat_id": chat, "user_ids": users})),
    )
    .await
    .assert_ok();
    assert_eq!(buttons_of(&t, &chat, 0).await.unwrap(), json!([]));
}

#[tokio::test]
async fn users_outside_the_chat_are_reported_and_the_others_served() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0]).await;
    let outsider = t.open_id(0, 2);
    let a = t
        .call(
            0,
            Method::PUT,
            PATH,
            Some(seed_body(
                &chat,
                &[t.open_id(0, 0), outsider.clone(), "ou_ghost".into()],
            )),
        )
        .await;
    let failed = a.assert_ok()["failed_user_reasons"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["user_id"], json!(outsider));
    assert_eq!(failed[0]["error_message"], "The user is not in the chat");
    assert_eq!(failed[1]["user_id"], "ou_ghost");
    assert!(buttons_of(&t, &chat, 0).await.is_some());
    assert!(buttons_of(&t, &chat, 2).await.is_none());
}

#[tokio::test]
async fn without_user_ids_every_member_gets_the_buttons() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1, 2]).await;
    let a = t
        .call(
            0,
            Method::PUT,
            PATH,
            Some(json!({"chat_id": chat, "buttons": {"buttons": [seed_button()]}})),
        )
        .await;
    a.assert_ok();
    for u in [0, 1, 2] {
        assert!(buttons_of(&t, &chat, u).await.is_some(), "user {u}");
    }
    assert!(buttons_of(&t, &chat, 3).await.is_none());
}

#[tokio::test]
async fn a_bot_outside_the_chat_gets_230027() {
    let t = spawn_app().await;
    let chat = t.group(1, &[0]).await; // created by the second app, without the first
    let a = t
        .call(
            0,
            Method::PUT,
            PATH,
            Some(seed_body(&chat, &[t.open_id(0, 0)])),
        )
        .await;
    a.assert_code(400, 230027);
}

#[tokio::test]
async fn every_chat_button_rule_is_230001_naming_the_field() {
    // Rate limits count refused calls too; this table is about the rules.
    let t = spawn_with(larkfeed_server::world::World::default_world(), false).await;
    let chat = t.group(0, &[0]).await;
    let token = t.token(0).await;
    let users = [t.open_id(0, 0)];
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("chat_id");
            }),
            "chat_id",
        ),
        (
            Box::new(|b| b["chat_id"] = json!("oc_doesnotexist")),
            "chat_id",
        ),
        // Not a chat id at all (a message id): refused before any lookup.
        (Box::new(|b| b["chat_id"] = json!("om_1")), "chat_id"),
        (Box::new(|b| b["user_ids"] = json!([])), "user_ids"),
        (
            Box::new(|b| {
                b["user_ids"] = json!((0..21).map(|i| format!("ou_{i}")).collect::<Vec<_>>())
            }),
            "user_ids",
        ),
        (Box::new(|b| b["buttons"] = json!({})), "buttons.buttons"),
        (
            Box::new(|b| {
                b["buttons"]["buttons"] = json!([seed_button(), seed_button(), seed_button()])
            }),
            "buttons.buttons[2]",
        ),
        (
            Box::new(|b| b["buttons"]["buttons"][0]["multi_url"]["pc_url"] = json!("ftp://x")),
            "buttons.buttons[0].multi_url.pc_url",
        ),
        (
            Box::new(|b| {
                b["buttons"]["buttons"][0]["multi_url"]["android_url"] =
                    json!(format!("https://a.cn/{}", "x".repeat(700)))
            }),
            "buttons.buttons[0].multi_url.android_url",
        ),
        (
            Box::new(|b| b["buttons"]["buttons"][0]["action_type"] = json!("click")),
            "buttons.buttons[0].action_type",
        ),
        (
            Box::new(|b| b["buttons"]["buttons"][0]["text"] = json!({})),
            "buttons.buttons[0].text.text",
        ),
        (
            Box::new(|b| b["buttons"]["buttons"][0]["text"]["text"] = json!("x".repeat(31))),
            "buttons.buttons[0].text.text",
        ),
        (
            Box::new(|b| b["buttons"]["buttons"][0]["button_type"] = json!("big")),
            "buttons.buttons[0].button_type",
        ),
        (
            Box::new(|b| b["buttons"]["buttons"][0]["action_map"] = json!({"n": 1})),
            "buttons.buttons[0].action_map.n",
        ),
    ];
    for (edit, field) in cases {
        let mut body = seed_body(&chat, &users);
        edit(&mut body);
        t.raw(Method::PUT, PATH, Some(&token), Some(body))
            .await
            .assert_invalid(230001, field);
    }
    assert!(
        buttons_of(&t, &chat, 0).await.is_none(),
        "a refused call changes nothing"
    );
}

#[tokio::test]
async fn chat_button_is_limited_to_10_per_second() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0]).await;
    let token = t.token(0).await;
    t.clock.freeze();
    let mut ok = 0;
    for _ in 0..11 {
        let a = t
            .raw(
                Method::PUT,
                PATH,
                Some(&token),
                Some(seed_body(&chat, &[t.open_id(0, 0)])),
            )
            .await;
        if a.code() == 0 {
            ok += 1;
        } else {
            a.assert_code(429, 99991400);
        }
    }
    assert_eq!(ok, 10);
}
