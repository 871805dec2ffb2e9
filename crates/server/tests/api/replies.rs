//! `POST /open-apis/im/v1/messages/:message_id/reply`: into the replied message's chat, quoting
//! it or in a thread under it (BOTS.md, "Replies, threads, lists, edits"; the reference page
//! `im-v1/message/reply`).

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

fn text(s: &str) -> Value {
    json!({"msg_type": "text", "content": json!({"text": s}).to_string()})
}

fn reply_path(message_id: &str) -> String {
    format!("/open-apis/im/v1/messages/{message_id}/reply")
}

/// A text from app 0 in a group of app 0's bot and users 0 and 1; its id and the chat's.
async fn first_message(t: &TestApp) -> (String, String) {
    let chat = t.group(0, &[0, 1]).await;
    let path = "/open-apis/im/v1/messages?receive_id_type=chat_id";
    let mut body = text("what broke?");
    body["receive_id"] = json!(chat);
    let sent = t.post(0, path, body).await;
    let id = sent.assert_ok()["message_id"].as_str().unwrap().to_string();
    (id, chat)
}

async fn reply(t: &TestApp, to: &str, body: Value) -> Answer {
    t.post(0, &reply_path(to), body).await
}

#[tokio::test]
async fn a_reply_quotes_its_message_in_the_same_chat() {
    let t = spawn_app().await;
    let (root, chat) = first_message(&t).await;
    let answer = reply(&t, &root, text("the disk")).await;
    let m = answer.assert_ok().clone();
    assert!(m["message_id"].as_str().unwrap().starts_with("om_"));
    assert_ne!(m["message_id"], json!(root));
    assert_eq!(m["chat_id"], json!(chat));
    assert_eq!(
        (&m["root_id"], &m["parent_id"]),
        (&json!(root), &json!(root))
    );
    assert!(m.get("thread_id").is_none(), "not in a thread: {m}");
    assert_eq!(m["body"]["content"], "{\"text\":\"the disk\"}");
    // A reply to the reply: the same root, the reply as its parent.
    let second = reply(&t, m["message_id"].as_str().unwrap(), text("which one?")).await;
    let second = second.assert_ok();
    assert_eq!(
        (&second["root_id"], &second["parent_id"]),
        (&json!(root), &m["message_id"])
    );
    // Read back, a reply keeps where it stands.
    let read = t
        .get(
            0,
            &format!(
                "/open-apis/im/v1/messages/{}",
                m["message_id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(read.assert_ok()["items"][0]["parent_id"], json!(root));
}

#[tokio::test]
async fn a_reply_in_a_thread_opens_one_and_later_replies_stay_in_it() {
    let t = spawn_app().await;
    let (root, _) = first_message(&t).await;
    let mut body = text("let's talk here");
    body["reply_in_thread"] = json!(true);
    let first = reply(&t, &root, body).await.assert_ok().clone();
    let thread = first["thread_id"].as_str().unwrap().to_string();
    assert!(thread.starts_with("omt_"), "{first}");
    assert_eq!(first["root_id"], json!(root));
    // The root is in the thread now.
    let read = t.get(0, &format!("/open-apis/im/v1/messages/{root}")).await;
    assert_eq!(read.assert_ok()["items"][0]["thread_id"], json!(thread));
    // A reply to a message in the thread stays in it, even without reply_in_thread.
    let inside = reply(&t, first["message_id"].as_str().unwrap(), text("ok")).await;
    let inside = inside.assert_ok();
    assert_eq!(inside["thread_id"], json!(thread));
    assert_eq!(inside["root_id"], json!(root));
    // So does a reply to the root, and asking for a thread again opens no second one.
    let mut again = text("me too");
    again["reply_in_thread"] = json!(true);
    let again = reply(&t, &root, again).await;
    assert_eq!(again.assert_ok()["thread_id"], json!(thread));
}

#[tokio::test]
async fn the_same_uuid_replies_once() {
    let t = spawn_app().await;
    let (root, _) = first_message(&t).await;
    let mut body = text("once");
    body["uuid"] = json!("reply-1");
    let first = reply(&t, &root, body.clone()).await.assert_ok().clone();
    let second = reply(&t, &root, body).await.assert_ok().clone();
    assert_eq!(first["message_id"], second["message_id"]);
}

#[tokio::test]
async fn a_reply_follows_the_platform_rules() {
    let t = spawn_app().await;
    let (root, _) = first_message(&t).await;
    // An unknown message is 230001 naming message_id.
    reply(&t, "om_nothing", text("x"))
        .await
        .assert_invalid(230001, "message_id");
    // The body's rules are the send's: msg_type and content are required, msg_type is known.
    reply(&t, &root, json!({"content": "{\"text\":\"x\"}"}))
        .await
        .assert_invalid(230001, "msg_type");
    reply(&t, &root, json!({"msg_type": "text"}))
        .await
        .assert_invalid(230001, "content");
    reply(&t, &root, json!({"msg_type": "nope", "content": "{}"}))
        .await
        .assert_invalid(230001, "msg_type");
    let mut long = text("x");
    long["uuid"] = json!("u".repeat(51));
    reply(&t, &root, long).await.assert_invalid(230001, "uuid");
    // A text over 150 KB is 230025.
    reply(&t, &root, text(&"x".repeat(160 * 1024)))
        .await
        .assert_code(400, 230025);
    // A bot outside the chat cannot reply in it.
    t.call(1, Method::POST, &reply_path(&root), Some(text("x")))
        .await
        .assert_code(400, 230002);
    // A recalled message cannot be replied to.
    t.call(
        0,
        Method::DELETE,
        &format!("/open-apis/im/v1/messages/{root}"),
        None,
    )
    .await
    .assert_ok();
    reply(&t, &root, text("x")).await.assert_code(400, 230011);
}

#[tokio::test]
async fn racing_replies_in_a_thread_open_one_thread() {
    let t = std::sync::Arc::new(spawn_app().await);
    let (root, _) = first_message(&t).await;
    // Four, so that with the first message they stay inside the chat's 5 sends a second.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(4));
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let (t, root, barrier) = (t.clone(), root.clone(), barrier.clone());
            tokio::spawn(async move {
                let mut body = text(&format!("reply {i}"));
                body["reply_in_thread"] = json!(true);
                barrier.wait().await;
                let answer = reply(&t, &root, body).await;
                answer.assert_ok()["thread_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
        })
        .collect();
    let mut threads = std::collections::HashSet::new();
    for task in tasks {
        threads.insert(task.await.unwrap());
    }
    assert_eq!(threads.len(), 1, "{threads:?}");
}

#[tokio::test]
async fn a_user_replies_in_a_thread_and_the_app_reads_where_it_stands() {
    let t = spawn_app().await;
    let (root, chat) = first_message(&t).await;
    let acted = t
        .act(
            "send_message",
            json!({
                "user": t.user_id(1), "chat_id": chat, "msg_type": "text",
                "content": json!({"text": "me too"}).to_string(),
                "reply_to": root, "in_thread": true,
            }),
        )
        .await;
    assert_eq!(acted.status, 200, "{}", acted.body);
    let id = acted.body["applied"]["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let m = t.get(0, &format!("/open-apis/im/v1/messages/{id}")).await;
    let m = m.assert_ok()["items"][0].clone();
    assert!(m["thread_id"].as_str().unwrap().starts_with("omt_"), "{m}");
    assert_eq!(
        (&m["root_id"], &m["parent_id"]),
        (&json!(root), &json!(root))
    );
    // A reply to a message of another chat is refused.
    let other = t.group(0, &[1]).await;
    let wrong = t
        .act(
            "send_message",
            json!({
                "user": t.user_id(1), "chat_id": other, "msg_type": "text",
                "content": json!({"text": "x"}).to_string(), "reply_to": root,
            }),
        )
        .await;
    assert_eq!(wrong.body["code"], 230001, "{}", wrong.body);
}

#[tokio::test]
async fn a_user_recalls_their_message_and_the_bot_hears_of_it() {
    let t = spawn_app().await;
    let (_, chat) = first_message(&t).await;
    let app = FakeApp::start(Mode::Answer(json!({}))).await;
    let set = t.set_app(0, json!({"event_url": app.url})).await;
    assert_eq!(set.status, 200, "{}", set.body);
    let sent = t
        .act(
            "send_message",
            json!({
                "user": t.user_id(1), "chat_id": chat, "msg_type": "text",
                "content": json!({"text": "wrong chat"}).to_string(),
            }),
        )
        .await;
    let id = sent.body["applied"]["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Only its sender recalls it.
    let other = t
        .act("recall", json!({"user": t.user_id(0), "message_id": id}))
        .await;
    assert_eq!(other.body["code"], 230001, "{}", other.body);
    let recalled = t
        .act("recall", json!({"user": t.user_id(1), "message_id": id}))
        .await;
    assert_eq!(recalled.body["delivered"], true, "{}", recalled.body);
    let event = app.seen().last().unwrap().clone();
    assert_eq!(event["header"]["event_type"], "im.message.recalled_v1");
    assert_eq!(event["event"]["message_id"], json!(id));
    assert_eq!(event["event"]["chat_id"], json!(chat));
    assert_eq!(event["event"]["recall_type"], "message_owner");
    let read = t.get(0, &format!("/open-apis/im/v1/messages/{id}")).await;
    assert_eq!(read.assert_ok()["items"][0]["deleted"], true);
    let again = t
        .act("recall", json!({"user": t.user_id(1), "message_id": id}))
        .await;
    assert_eq!(again.body["code"], 230011, "{}", again.body);
}
