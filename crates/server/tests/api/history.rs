//! A chat's history and edits: `GET /open-apis/im/v1/messages` (the reference page
//! im-v1/message/list) and `PUT /open-apis/im/v1/messages/:message_id` (im-v1/message/update).

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

fn text(s: &str) -> String {
    json!({ "text": s }).to_string()
}

async fn say(t: &TestApp, chat: &str, s: &str) -> String {
    let body = json!({"receive_id": chat, "msg_type": "text", "content": text(s)});
    let sent = t
        .post(0, "/open-apis/im/v1/messages?receive_id_type=chat_id", body)
        .await;
    sent.assert_ok()["message_id"].as_str().unwrap().to_string()
}

fn contents(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let c: Value =
                serde_json::from_str(m["body"]["content"].as_str().unwrap()).unwrap_or(Value::Null);
            c["text"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| m["body"]["content"].as_str().unwrap().to_string())
        })
        .collect()
}

#[tokio::test]
async fn a_chats_history_lists_in_either_order_pages_and_leaves_thread_replies_out() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1]).await;
    let first = say(&t, &chat, "one").await;
    t.clock.advance_ms(1000);
    say(&t, &chat, "two").await;
    t.clock.advance_ms(1000);
    let third = say(&t, &chat, "three").await;
    // A thread under the first message: its reply is not in the chat's list.
    let reply =
        json!({"msg_type": "text", "content": text("in the thread"), "reply_in_thread": true});
    let threaded = t
        .post(
            0,
            &format!("/open-apis/im/v1/messages/{first}/reply"),
            reply,
        )
        .await;
    let thread_id = threaded.assert_ok()["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    t.recall_message(0, &third).await.assert_ok();

    let list = |q: String| {
        let t = &t;
        async move { t.get(0, &format!("/open-apis/im/v1/messages?{q}")).await }
    };
    let all = list(format!("container_id_type=chat&container_id={chat}")).await;
    let all = all.assert_ok().clone();
    assert_eq!(contents(&all), ["one", "two", "This message was recalled"]);
    assert_eq!(all["items"][2]["deleted"], true);
    assert_eq!(all["has_more"], false);
    let newest = list(format!(
        "container_id_type=chat&container_id={chat}&sort_type=ByCreateTimeDesc"
    ))
    .await;
    assert_eq!(
        contents(newest.assert_ok()),
        ["This message was recalled", "two", "one"]
    );
    // Paged two at a time, each message once.
    let page = list(format!(
        "container_id_type=chat&container_id={chat}&page_size=2"
    ))
    .await;
    let page = page.assert_ok().clone();
    assert_eq!(
        (contents(&page).len(), &page["has_more"]),
        (2, &json!(true))
    );
    let token = page["page_token"].as_str().unwrap();
    let rest = list(format!(
        "container_id_type=chat&container_id={chat}&page_size=2&page_token={token}"
    ))
    .await;
    assert_eq!(contents(rest.assert_ok()), ["This message was recalled"]);
    // A time range in seconds.
    let second_of_two = t.get_message(0, &first).await.assert_ok()["items"][0]["create_time"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .unwrap()
        / 1000
        + 1;
    let ranged = list(format!(
        "container_id_type=chat&container_id={chat}&start_time={second_of_two}&end_time={second_of_two}"
    ))
    .await;
    assert_eq!(contents(ranged.assert_ok()), ["two"]);
    // The thread: its root and its reply.
    let thread = list(format!("container_id_type=thread&container_id={thread_id}")).await;
    assert_eq!(contents(thread.assert_ok()), ["one", "in the thread"]);
}

#[tokio::test]
async fn a_list_refuses_what_it_cannot_read_with_its_code() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0]).await;
    let get = |a: usize, q: &str| {
        let t = &t;
        let q = q.to_string();
        async move { t.get(a, &format!("/open-apis/im/v1/messages?{q}")).await }
    };
    get(0, &format!("container_id={chat}"))
        .await
        .assert_invalid(230001, "container_id_type");
    get(0, "container_id_type=group&container_id=oc_x")
        .await
        .assert_invalid(230001, "container_id_type");
    get(0, "container_id_type=chat")
        .await
        .assert_invalid(230001, "container_id");
    get(0, "container_id_type=chat&container_id=oc_nothing")
        .await
        .assert_invalid(230001, "container_id");
    get(0, "container_id_type=thread&container_id=omt_nothing")
        .await
        .assert_invalid(230001, "container_id");
    get(
        0,
        &format!("container_id_type=chat&container_id={chat}&page_size=51"),
    )
    .await
    .assert_invalid(230001, "page_size");
    get(
        0,
        &format!("container_id_type=chat&container_id={chat}&sort_type=Random"),
    )
    .await
    .assert_invalid(230001, "sort_type");
    get(
        0,
        &format!("container_id_type=chat&container_id={chat}&start_time=yesterday"),
    )
    .await
    .assert_invalid(230001, "start_time");
    get(
        0,
        &format!("container_id_type=chat&container_id={chat}&page_token=bogus"),
    )
    .await
    .assert_invalid(230001, "page_token");
    // App 1's bot is not in the chat.
    get(1, &format!("container_id_type=chat&container_id={chat}"))
        .await
        .assert_code(400, 230002);
}

#[tokio::test]
async fn the_sender_edits_a_text_or_post_twenty_times() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0]).await;
    let id = say(&t, &chat, "draft").await;
    let path = format!("/open-apis/im/v1/messages/{id}");
    let edit = |s: &str| json!({"msg_type": "text", "content": text(s)});
    let edited = t.call(0, Method::PUT, &path, Some(edit("final"))).await;
    let m = edited.assert_ok();
    assert_eq!(m["body"]["content"], text("final"));
    assert_eq!(m["updated"], true);
    let read = t.get_message(0, &id).await;
    assert_eq!(
        read.assert_ok()["items"][0]["body"]["content"],
        text("final")
    );
    // A post too.
    let post =
        json!({"zh_cn": {"title": "T", "content": [[{"tag": "text", "text": "p"}]]}}).to_string();
    t.call(
        0,
        Method::PUT,
        &path,
        Some(json!({"msg_type": "post", "content": post})),
    )
    .await
    .assert_ok();
    for n in 3..=20 {
        t.call(0, Method::PUT, &path, Some(edit(&format!("v{n}"))))
            .await
            .assert_ok();
    }
    t.call(0, Method::PUT, &path, Some(edit("v21")))
        .await
        .assert_error(400, 230072, "20");
    // Rules.
    let other = say(&t, &chat, "mine").await;
    let other_path = format!("/open-apis/im/v1/messages/{other}");
    t.call(
        0,
        Method::PUT,
        &other_path,
        Some(json!({"msg_type": "interactive", "content": "{}"})),
    )
    .await
    .assert_invalid(230001, "msg_type");
    t.call(0, Method::PUT, &other_path, Some(json!({"msg_type": "text", "content": json!({"text": "x".repeat(151 * 1024)}).to_string()})))
        .await
        .assert_code(400, 230025);
    let card = json!({"receive_id": chat, "msg_type": "interactive",
        "content": json!({"config": {"update_multi": true}, "elements": []}).to_string()});
    let card_id = t
        .post(0, "/open-apis/im/v1/messages?receive_id_type=chat_id", card)
        .await;
    let card_id = card_id.assert_ok()["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    t.call(
        0,
        Method::PUT,
        &format!("/open-apis/im/v1/messages/{card_id}"),
        Some(edit("x")),
    )
    .await
    .assert_code(400, 230054);
    // Another app cannot edit it.
    t.call(1, Method::PUT, &other_path, Some(edit("theirs")))
        .await
        .assert_code(400, 230071);
    t.recall_message(0, &other).await.assert_ok();
    t.call(0, Method::PUT, &other_path, Some(edit("late")))
        .await
        .assert_code(400, 230011);
}

#[tokio::test]
async fn a_users_read_reaches_the_sender_and_lists_in_read_users() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1]).await;
    let id = say(&t, &chat, "please review").await;
    let path = format!("/open-apis/im/v1/messages/{id}/read_users?user_id_type=open_id");
    let none = t.get(0, &path).await;
    assert!(none.assert_ok()["items"].as_array().unwrap().is_empty());
    let app = FakeApp::start(Mode::Answer(json!({}))).await;
    let set = t.set_app(0, json!({"event_url": app.url})).await;
    assert_eq!(set.status, 200, "{}", set.body);
    let read = t
        .act("read", json!({"user": t.user_id(1), "message_id": id}))
        .await;
    assert_eq!(read.body["delivered"], true, "{}", read.body);
    let event = app.seen().last().unwrap().clone();
    assert_eq!(event["header"]["event_type"], "im.message.message_read_v1");
    assert_eq!(event["event"]["message_id_list"], json!([id]));
    assert_eq!(
        event["event"]["reader"]["reader_id"]["open_id"],
        json!(t.open_id(0, 1))
    );
    let readers = t.get(0, &path).await;
    let items = readers.assert_ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["user_id"], json!(t.open_id(0, 1)));
    assert_eq!(items[0]["user_id_type"], "open_id");
    // Only the sender asks; the type of ids is required.
    t.get(1, &path).await.assert_code(400, 230027);
    t.get(0, &format!("/open-apis/im/v1/messages/{id}/read_users"))
        .await
        .assert_invalid(230001, "user_id_type");
}

#[tokio::test]
async fn a_message_forwards_as_a_new_message_and_alerts_only_chat_members() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1]).await;
    let id = say(&t, &chat, "release notes").await;
    let path = format!("/open-apis/im/v1/messages/{id}/forward?receive_id_type=open_id");
    let fwd = t
        .post(0, &path, json!({"receive_id": t.open_id(0, 2)}))
        .await;
    let m = fwd.assert_ok().clone();
    assert_ne!(m["message_id"], json!(id));
    assert_ne!(m["chat_id"], json!(chat), "into the user's one-to-one chat");
    assert_eq!(m["body"]["content"], text("release notes"));
    t.post(0, &path, json!({}))
        .await
        .assert_invalid(230001, "receive_id");
    t.post(0, &path, json!({"receive_id": "ou_nobody"}))
        .await
        .assert_invalid(230001, "receive_id");
    // App 1's bot cannot see the message it would forward.
    t.post(1, &path, json!({"receive_id": t.open_id(1, 2)}))
        .await
        .assert_code(400, 230002);
    // Urgent: to members of the chat; others come back as invalid.
    let urgent = format!("/open-apis/im/v1/messages/{id}/urgent_app?user_id_type=open_id");
    let answer = t
        .call(
            0,
            Method::PATCH,
            &urgent,
            Some(json!({"user_id_list": [t.open_id(0, 1), t.open_id(0, 3)]})),
        )
        .await;
    assert_eq!(
        answer.assert_ok()["invalid_user_id_list"],
        json!([t.open_id(0, 3)])
    );
    t.call(0, Method::PATCH, &urgent, Some(json!({"user_id_list": []})))
        .await
        .assert_invalid(230001, "user_id_list");
    t.call(
        1,
        Method::PATCH,
        &urgent,
        Some(json!({"user_id_list": [t.open_id(1, 1)]})),
    )
    .await
    .assert_code(400, 230027);
}
