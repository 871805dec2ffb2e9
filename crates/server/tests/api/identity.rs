//! Who is who: `GET /open-apis/contact/v3/users/:user_id` (the reference page contact-v3/user/get)
//! and `…/users/batch`,
//! and a user adding a bot to a group (`/_larkfeed/act/add_bot`, `im.chat.member.bot.added_v1`).

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_user_reads_with_the_apps_ids_inside_its_contact_range() {
    let t = spawn_app().await;
    let alice = t.open_id(0, 0);
    let got = t
        .get(0, &format!("/open-apis/contact/v3/users/{alice}"))
        .await;
    let user = &got.assert_ok()["user"];
    assert_eq!(user["open_id"], json!(alice));
    assert_eq!(user["union_id"], json!(t.union_id(0, 0)));
    assert_eq!(user["user_id"], json!(t.user_id(0)));
    assert_eq!(user["name"], t.world().users[0].name.as_str());
    // By another id type.
    let by_union = t
        .get(
            0,
            &format!(
                "/open-apis/contact/v3/users/{}?user_id_type=union_id",
                t.union_id(0, 0)
            ),
        )
        .await;
    assert_eq!(by_union.assert_ok()["user"]["open_id"], json!(alice));
    // Another app's open_id names nobody here; a user outside the app's range is refused.
    t.get(
        0,
        &format!("/open-apis/contact/v3/users/{}", t.open_id(1, 0)),
    )
    .await
    .assert_code(400, 41012);
    t.get(
        0,
        &format!("/open-apis/contact/v3/users/{}", t.open_id(0, 5)),
    )
    .await
    .assert_code(400, 41050);
    t.get(
        0,
        &format!("/open-apis/contact/v3/users/{alice}?user_id_type=phone"),
    )
    .await
    .assert_invalid(40001, "user_id_type");
}

#[tokio::test]
async fn a_batch_names_users_once_each_and_leaves_out_those_the_app_may_not_see() {
    let t = spawn_app().await;
    let (alice, bob) = (t.open_id(0, 0), t.open_id(0, 1));
    // Another app's open_id, and a user outside the app's range, are left out; a repeat once.
    let path = format!(
        "/open-apis/contact/v3/users/batch?user_ids={bob}&user_ids={alice}&user_ids={}&user_ids={}&user_ids={bob}",
        t.open_id(1, 2),
        t.open_id(0, 5)
    );
    let got = t.get(0, &path).await;
    let items = got.assert_ok()["items"].as_array().unwrap().clone();
    let ids: Vec<_> = items.iter().map(|u| u["open_id"].clone()).collect();
    assert_eq!(ids, vec![json!(bob), json!(alice)]);
    assert_eq!(items[1]["name"], t.world().users[0].name.as_str());
    assert_eq!(items[1]["union_id"], json!(t.union_id(0, 0)));
    // By user_id.
    let by_user_id = t
        .get(
            0,
            &format!(
                "/open-apis/contact/v3/users/batch?user_id_type=user_id&user_ids={}",
                t.user_id(1)
            ),
        )
        .await;
    assert_eq!(by_user_id.assert_ok()["items"][0]["open_id"], json!(bob));
    // None, or more than 50, names the parameter.
    t.get(0, "/open-apis/contact/v3/users/batch")
        .await
        .assert_invalid(40001, "user_ids");
    let many: String = (0..51).map(|_| format!("user_ids={alice}&")).collect();
    t.get(0, &format!("/open-apis/contact/v3/users/batch?{many}"))
        .await
        .assert_invalid(40001, "user_ids");
    t.get(
        0,
        &format!("/open-apis/contact/v3/users/batch?user_ids={alice}&user_id_type=phone"),
    )
    .await
    .assert_invalid(40001, "user_id_type");
}

#[tokio::test]
async fn a_user_adds_a_bot_to_a_group_and_the_app_hears_of_it() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1]).await;
    let app = FakeApp::start(Mode::Answer(json!({}))).await;
    let path = format!("/_larkfeed/apps/{}", t.app(1).app_id);
    let set = t
        .raw(
            Method::PUT,
            &path,
            None,
            Some(json!({"event_url": app.url})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let add = |user: String| {
        let t = &t;
        let chat = chat.clone();
        async move {
            t.act(
                "add_bot",
                json!({"user": user, "chat_id": chat, "app_id": t.app(1).app_id.as_str()}),
            )
            .await
        }
    };
    let acted = add(t.user_id(0)).await;
    assert_eq!(
        (acted.status, &acted.body["delivered"]),
        (200, &json!(true)),
        "{}",
        acted.body
    );
    let event = app.seen().last().unwrap().clone();
    assert_eq!(event["header"]["event_type"], "im.chat.member.bot.added_v1");
    assert_eq!(event["event"]["chat_id"], json!(chat));
    assert_eq!(
        event["event"]["operator_id"]["open_id"],
        json!(t.open_id(1, 0))
    );
    assert_eq!(event["event"]["name"], "team");
    // App 1's bot is in the chat now: it reads the chat.
    t.get(1, &format!("/open-apis/im/v1/chats/{chat}"))
        .await
        .assert_ok();
    // The chat's bots, as each app sees them: its own under its bot/v3/info open_id.
    let bots = t
        .get(1, &format!("/open-apis/im/v1/chats/{chat}/members/bots"))
        .await;
    let items = bots.assert_ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{items:?}");
    let me = t.get(1, "/open-apis/bot/v3/info").await.body["bot"]["open_id"].clone();
    assert!(
        items
            .iter()
            .any(|b| b["bot_id"] == me && b["bot_name"] == t.app(1).name.as_str()),
        "{items:?}"
    );
    t.get(2, &format!("/open-apis/im/v1/chats/{chat}/members/bots"))
        .await
        .assert_code(400, 232011);
    // Again: nothing changes, nothing is sent.
    let again = add(t.user_id(0)).await;
    assert_eq!(again.body["applied"]["added"], false, "{}", again.body);
    // Someone outside the chat cannot add a bot to it.
    let outsider = add(t.user_id(2)).await;
    assert_eq!(outsider.body["code"], 230001, "{}", outsider.body);
    // Taken out again: the app hears of it, and its bot reads the chat no more.
    let removed = t
        .act(
            "remove_bot",
            json!({"user": t.user_id(1), "chat_id": chat, "app_id": t.app(1).app_id.as_str()}),
        )
        .await;
    assert_eq!(removed.body["delivered"], true, "{}", removed.body);
    let event = app.seen().last().unwrap().clone();
    assert_eq!(
        event["header"]["event_type"],
        "im.chat.member.bot.deleted_v1"
    );
    assert_eq!(event["event"]["chat_id"], json!(chat));
    t.get(1, &format!("/open-apis/im/v1/chats/{chat}"))
        .await
        .assert_code(400, 232011);
    let body = json!({"receive_id": chat, "msg_type": "text", "content": json!({"text": "still here?"}).to_string()});
    t.post(1, "/open-apis/im/v1/messages?receive_id_type=chat_id", body)
        .await
        .assert_code(400, 230002);
}

#[tokio::test]
async fn the_bot_lists_its_groups_oldest_first_and_paged() {
    let t = spawn_app().await;
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(t.group(0, &[0]).await);
        t.clock.advance_ms(10);
    }
    // A one-to-one chat is not listed.
    let body = json!({"receive_id": t.open_id(0, 1), "msg_type": "text", "content": json!({"text": "hi"}).to_string()});
    t.post(0, "/open-apis/im/v1/messages?receive_id_type=open_id", body)
        .await
        .assert_ok();
    let first = t.get(0, "/open-apis/im/v1/chats?page_size=2").await;
    let first = first.assert_ok().clone();
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["chat_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&first), made[..2]);
    assert_eq!(first["has_more"], true);
    assert_eq!(
        first["items"][0]["owner_id"],
        t.app(0).app_id.as_str(),
        "the app made it"
    );
    assert_eq!(first["items"][0]["chat_status"], "normal");
    let token = first["page_token"].as_str().unwrap();
    let rest = t
        .get(
            0,
            &format!("/open-apis/im/v1/chats?page_size=2&page_token={token}"),
        )
        .await;
    let rest = rest.assert_ok().clone();
    assert_eq!(ids(&rest), made[2..]);
    assert_eq!(rest["has_more"], false);
    // App 1's bot is in none of them.
    let none = t.get(1, "/open-apis/im/v1/chats").await;
    assert!(none.assert_ok()["items"].as_array().unwrap().is_empty());
    t.get(0, "/open-apis/im/v1/chats?page_token=x")
        .await
        .assert_invalid(232001, "page_token");
}
