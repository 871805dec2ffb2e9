//! Reactions on messages (the reference pages im-v1/message-reaction/create, delete, list, and
//! the emoji types of emojis-introduce): each rule with its code, and a user's reaction (an act)
//! reaching the app as `im.message.reaction.created_v1`.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

fn reactions(message_id: &str) -> String {
    format!("/open-apis/im/v1/messages/{message_id}/reactions")
}

fn emoji(kind: &str) -> Value {
    json!({"reaction_type": {"emoji_type": kind}})
}

/// A text from app 0 in a group of app 0's bot and users 0 and 1: its id and the chat's.
async fn message_in_group(t: &TestApp) -> (String, String) {
    let chat = t.group(0, &[0, 1]).await;
    let body = json!({"receive_id": chat, "msg_type": "text", "content": json!({"text": "deploy?"}).to_string()});
    let sent = t
        .post(0, "/open-apis/im/v1/messages?receive_id_type=chat_id", body)
        .await;
    let id = sent.assert_ok()["message_id"].as_str().unwrap().to_string();
    (id, chat)
}

#[tokio::test]
async fn the_bot_reacts_lists_and_takes_its_reaction_back() {
    let t = spawn_app().await;
    let (message, _) = message_in_group(&t).await;
    let added = t.post(0, &reactions(&message), emoji("Typing")).await;
    let r = added.assert_ok().clone();
    let reaction_id = r["reaction_id"].as_str().unwrap().to_string();
    assert_eq!(
        r["operator"],
        json!({"operator_id": t.app(0).app_id.as_str(), "operator_type": "app"})
    );
    assert_eq!(r["reaction_type"], json!({"emoji_type": "Typing"}));
    assert!(r["action_time"].as_str().unwrap().parse::<i64>().unwrap() > 1_600_000_000_000);
    // The same emoji again is the same reaction.
    let again = t.post(0, &reactions(&message), emoji("Typing")).await;
    assert_eq!(again.assert_ok()["reaction_id"], json!(reaction_id));
    t.post(0, &reactions(&message), emoji("THUMBSUP"))
        .await
        .assert_ok();
    let list = t.get(0, &reactions(&message)).await;
    let list = list.assert_ok();
    let kinds: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reaction_type"]["emoji_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Typing", "THUMBSUP"]);
    assert_eq!(list["has_more"], false);
    let only = t
        .get(
            0,
            &format!("{}?reaction_type=Typing&page_size=50", reactions(&message)),
        )
        .await;
    assert_eq!(only.assert_ok()["items"].as_array().unwrap().len(), 1);
    let path = format!("{}/{reaction_id}", reactions(&message));
    let removed = t.call(0, Method::DELETE, &path, None).await;
    assert_eq!(removed.assert_ok()["reaction_id"], json!(reaction_id));
    t.call(0, Method::DELETE, &path, None)
        .await
        .assert_code(400, 231011);
    let left = t.get(0, &reactions(&message)).await;
    assert_eq!(left.assert_ok()["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn every_reaction_rule_has_its_code() {
    let t = spawn_app().await;
    let (message, _) = message_in_group(&t).await;
    t.post(0, &reactions(&message), emoji("TYPING"))
        .await
        .assert_error(400, 231001, "TYPING");
    t.post(0, &reactions(&message), json!({}))
        .await
        .assert_invalid(230001, "reaction_type");
    t.post(0, &reactions("om_nothing"), emoji("OK"))
        .await
        .assert_code(400, 231003);
    // App 1's bot is not in the chat.
    t.post(1, &reactions(&message), emoji("OK"))
        .await
        .assert_code(400, 231002);
    t.get(1, &reactions(&message))
        .await
        .assert_code(400, 231002);
    // Only the app's own reactions come off.
    let user = t.user_id(0);
    let acted = t
        .act(
            "react",
            json!({"user": user, "message_id": message, "emoji_type": "LGTM"}),
        )
        .await;
    assert_eq!(acted.status, 200, "{}", acted.body);
    let theirs = acted.body["applied"]["reaction"]["reaction_id"]
        .as_str()
        .unwrap()
        .to_string();
    t.call(
        0,
        Method::DELETE,
        &format!("{}/{theirs}", reactions(&message)),
        None,
    )
    .await
    .assert_code(400, 231007);
    // A reaction of another message.
    let (other, _) = message_in_group(&t).await;
    t.call(
        0,
        Method::DELETE,
        &format!("{}/{theirs}", reactions(&other)),
        None,
    )
    .await
    .assert_code(400, 231010);
    t.get(0, &format!("{}?page_token=nonsense", reactions(&message)))
        .await
        .assert_code(400, 231012);
    t.get(0, &format!("{}?page_size=51", reactions(&message)))
        .await
        .assert_invalid(230001, "page_size");
    t.get(0, &format!("{}?reaction_type=Nope", reactions(&message)))
        .await
        .assert_code(400, 231001);
    // A recalled message takes no reactions.
    t.recall_message(0, &message).await.assert_ok();
    t.post(0, &reactions(&message), emoji("OK"))
        .await
        .assert_code(400, 231003);
}

#[tokio::test]
async fn a_list_pages_through_every_reaction_once() {
    let t = spawn_app().await;
    let (message, _) = message_in_group(&t).await;
    for kind in ["OK", "THUMBSUP", "DONE", "SMILE", "LGTM"] {
        t.post(0, &reactions(&message), emoji(kind))
            .await
            .assert_ok();
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let q = match &token {
            Some(tok) => format!("?page_size=2&page_token={tok}"),
            None => "?page_size=2".into(),
        };
        let page = t.get(0, &format!("{}{q}", reactions(&message))).await;
        let page = page.assert_ok().clone();
        for item in page["items"].as_array().unwrap() {
            seen.push(
                item["reaction_type"]["emoji_type"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        if page["has_more"] == false {
            break;
        }
        token = Some(page["page_token"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, ["OK", "THUMBSUP", "DONE", "SMILE", "LGTM"]);
}

#[tokio::test]
async fn a_users_reaction_reaches_the_app_and_lists_under_the_users_id() {
    let t = spawn_app().await;
    let (message, _) = message_in_group(&t).await;
    let app = FakeApp::start(Mode::Answer(json!({}))).await;
    let path = format!("/_larkfeed/apps/{}", t.app(0).app_id);
    let set = t
        .raw(
            Method::PUT,
            &path,
            None,
            Some(json!({"event_url": app.url})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let mut feed = t.change_feed().await;
    let acted = t
        .act(
            "react",
            json!({"user": t.open_id(0, 1), "message_id": message, "emoji_type": "THUMBSUP"}),
        )
        .await;
    assert_eq!(acted.status, 200, "{}", acted.body);
    until_event(&mut feed, "reaction.created").await;
    let events = acted.body["applied"]["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        1,
        "app 0's bot is in the chat: {}",
        acted.body
    );
    let list = t
        .get(0, &format!("{}?user_id_type=union_id", reactions(&message)))
        .await;
    let item = &list.assert_ok()["items"][0];
    assert_eq!(
        item["operator"],
        json!({"operator_id": t.union_id(0, 1), "operator_type": "user"})
    );
    // What the app was sent.
    let seen = app.seen();
    let body = seen.last().unwrap();
    assert_eq!(
        body["header"]["event_type"], "im.message.reaction.created_v1",
        "{body}"
    );
    let event = &body["event"];
    assert_eq!(event["message_id"], json!(message));
    assert_eq!(event["reaction_type"]["emoji_type"], "THUMBSUP");
    assert_eq!(event["operator_type"], "user");
    assert_eq!(event["user_id"]["open_id"], json!(t.open_id(0, 1)));
    assert!(event["action_time"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .is_ok());
    // Taken back: deleted_v1, and the list is empty.
    let removed = t
        .act("react", json!({"user": t.open_id(0, 1), "message_id": message, "emoji_type": "THUMBSUP", "remove": true}))
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    let last = app.seen().last().unwrap().clone();
    assert_eq!(
        last["header"]["event_type"],
        "im.message.reaction.deleted_v1"
    );
    let list = t.get(0, &reactions(&message)).await;
    assert!(list.assert_ok()["items"].as_array().unwrap().is_empty());
    // A user outside the chat cannot react.
    let outsider = t
        .act(
            "react",
            json!({"user": t.user_id(2), "message_id": message, "emoji_type": "OK"}),
        )
        .await;
    assert_eq!(outsider.body["code"], 230001, "{}", outsider.body);
}
