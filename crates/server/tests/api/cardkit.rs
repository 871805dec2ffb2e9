//! CardKit card entities (`/open-apis/cardkit/v1/cards…`): each rule of the reference pages
//! cardkit-v1/card/create, update, settings, batch_update and card-element/create, update,
//! patch, delete, content (collected in BOTS.md, "CardKit"), with its exact code.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

const CARDS: &str = "/open-apis/cardkit/v1/cards";
const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

fn streaming_card(text: &str) -> Value {
    json!({
        "schema": "2.0",
        "config": {"streaming_mode": true, "summary": {"content": "[Generating...]"}},
        "body": {"elements": [
            {"tag": "markdown", "element_id": "md", "content": text},
            {"tag": "button", "element_id": "btn", "text": {"tag": "plain_text", "content": "OK"}}
        ]}
    })
}

async fn create(t: &TestApp, a: usize, card: &Value) -> Answer {
    let body = json!({"type": "card_json", "data": card.to_string()});
    t.post(a, CARDS, body).await
}

async fn create_ok(t: &TestApp, a: usize, card: &Value) -> String {
    let answer = create(t, a, card).await;
    answer.assert_ok()["card_id"].as_str().unwrap().to_string()
}

async fn content(t: &TestApp, a: usize, card_id: &str, element: &str, body: Value) -> Answer {
    let path = format!("{CARDS}/{card_id}/elements/{element}/content");
    t.call(a, Method::PUT, &path, Some(body)).await
}

async fn settings(t: &TestApp, a: usize, card_id: &str, settings: Value, seq: i64) -> Answer {
    let path = format!("{CARDS}/{card_id}/settings");
    let body = json!({"settings": settings.to_string(), "sequence": seq});
    t.call(a, Method::PATCH, &path, Some(body)).await
}

/// Sends the entity to user 0 from app `a`.
async fn send_entity(t: &TestApp, a: usize, card_id: &str) -> Answer {
    let body = json!({
        "receive_id": t.open_id(a, 0),
        "msg_type": "interactive",
        "content": json!({"type": "card", "data": {"card_id": card_id}}).to_string(),
    });
    t.post(a, "/open-apis/im/v1/messages?receive_id_type=open_id", body)
        .await
}

/// The card a message shows now, as JSON.
async fn shown(t: &TestApp, message_id: &str) -> Value {
    let read = t.get_message(0, message_id).await;
    let content = read.assert_ok()["items"][0]["body"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    serde_json::from_str(&content).unwrap()
}

#[tokio::test]
async fn a_streamed_answer_reads_back_whole_in_the_message() {
    let t = spawn_app().await;
    let card_id = create_ok(&t, 0, &streaming_card("Thinking...")).await;
    assert!(
        card_id.len() == 19 && card_id.chars().all(|c| c.is_ascii_digit()),
        "{card_id}"
    );
    let sent = send_entity(&t, 0, &card_id).await;
    let message_id = sent.assert_ok()["message_id"].as_str().unwrap().to_string();
    assert_eq!(
        shown(&t, &message_id).await["body"]["elements"][0]["content"],
        "Thinking..."
    );
    let mut text = String::new();
    for (i, word) in ["The ", "answer ", "is ", "42."].iter().enumerate() {
        text.push_str(word);
        let seq = i as i64 + 1;
        let body = json!({"content": text, "sequence": seq, "uuid": format!("c_{card_id}_{seq}")});
        content(&t, 0, &card_id, "md", body).await.assert_ok();
    }
    let done = json!({"config": {"streaming_mode": false, "summary": {"content": "The answer"}}});
    settings(&t, 0, &card_id, done, 5).await.assert_ok();
    let card = shown(&t, &message_id).await;
    assert_eq!(card["body"]["elements"][0]["content"], "The answer is 42.");
    assert_eq!(card["config"]["streaming_mode"], false);
    assert_eq!(card["config"]["summary"]["content"], "The answer");
    let read = t.get_message(0, &message_id).await;
    assert_eq!(read.assert_ok()["items"][0]["updated"], true);
}

#[tokio::test]
async fn a_card_entity_is_json_2_and_every_refusal_has_its_code() {
    let t = spawn_app().await;
    let code = |card: Value| {
        let t = &t;
        async move { create(t, 0, &card).await }
    };
    code(json!({"elements": []}))
        .await
        .assert_error(400, 300303, "2.0");
    code(json!({"schema": "2.0", "config": {"update_multi": false}, "body": {}}))
        .await
        .assert_code(400, 300302);
    code(json!({"schema": "2.0", "body": {"elements": [
        {"tag": "markdown", "element_id": "a", "content": "x"},
        {"tag": "markdown", "element_id": "a", "content": "y"}]}}))
    .await
    .assert_error(400, 300301, "element_id");
    let many: Vec<Value> = (0..201).map(|_| json!({"tag": "hr"})).collect();
    code(json!({"schema": "2.0", "body": {"elements": many}}))
        .await
        .assert_code(400, 300305);
    let big = "x".repeat(31 * 1024);
    code(json!({"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": big}]}}))
        .await
        .assert_code(400, 200860);
    code(json!({})).await.assert_code(400, 300307);
    let note =
        code(json!({"schema": "2.0", "body": {"elements": [{"tag": "note", "elements": []}]}}))
            .await;
    note.assert_error(400, 200220, "ErrCode: 200861; ErrMsg: ");
    assert!(
        note.msg()
            .contains("ErrPath: ROOT -> body -> elements -> 0"),
        "{}",
        note.msg()
    );
    assert!(
        note.msg()
            .starts_with("Failed to generate card content, ext="),
        "{}",
        note.msg()
    );
    code(json!({"schema": "2.0", "body": {}, "colour": "red"}))
        .await
        .assert_error(400, 200220, "colour");
    let parse = t
        .post(0, CARDS, json!({"type": "card_json", "data": "{not json"}))
        .await;
    parse.assert_error(400, 200220, "ErrCode: 200621");
    t.post(0, CARDS, json!({"data": "{}"}))
        .await
        .assert_invalid(10002, "type");
    t.post(0, CARDS, json!({"type": "card_json"}))
        .await
        .assert_invalid(10002, "data");
    t.post(0, CARDS, json!({"type": "html", "data": "{}"}))
        .await
        .assert_invalid(10002, "type");
}

#[tokio::test]
async fn the_sequence_rises_across_every_write_of_a_card() {
    let t = spawn_app().await;
    let card_id = create_ok(&t, 0, &streaming_card("")).await;
    let write = |seq: i64| json!({"content": format!("v{seq}"), "sequence": seq});
    content(&t, 0, &card_id, "md", write(3)).await.assert_ok();
    content(&t, 0, &card_id, "md", write(3))
        .await
        .assert_error(400, 300317, "sequence");
    content(&t, 0, &card_id, "md", write(2))
        .await
        .assert_code(400, 300317);
    // Settings and element writes share the one sequence.
    settings(
        &t,
        0,
        &card_id,
        json!({"config": {"summary": {"content": "s"}}}),
        3,
    )
    .await
    .assert_code(400, 300317);
    settings(
        &t,
        0,
        &card_id,
        json!({"config": {"summary": {"content": "s"}}}),
        4,
    )
    .await
    .assert_ok();
    content(&t, 0, &card_id, "md", write(4))
        .await
        .assert_code(400, 300317);
    content(&t, 0, &card_id, "md", write(2_147_483_647))
        .await
        .assert_ok();
    for bad in [json!(0), json!(-1), json!(2_147_483_648i64)] {
        content(
            &t,
            0,
            &card_id,
            "md",
            json!({"content": "x", "sequence": bad}),
        )
        .await
        .assert_invalid(10002, "sequence");
    }
    content(&t, 0, &card_id, "md", json!({"content": "x"}))
        .await
        .assert_invalid(10002, "sequence");
    content(
        &t,
        0,
        &card_id,
        "md",
        json!({"content": "x", "sequence": "one"}),
    )
    .await
    .assert_code(400, 10002);
}

#[tokio::test]
async fn a_uuid_makes_a_write_idempotent() {
    let t = spawn_app().await;
    let card_id = create_ok(&t, 0, &streaming_card("")).await;
    let message_id = send_entity(&t, 0, &card_id).await.assert_ok()["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = json!({"content": "first", "sequence": 1, "uuid": "u-1"});
    content(&t, 0, &card_id, "md", first.clone())
        .await
        .assert_ok();
    content(
        &t,
        0,
        &card_id,
        "md",
        json!({"content": "second", "sequence": 2}),
    )
    .await
    .assert_ok();
    // The retry of the first write answers as it did, and changes nothing.
    content(&t, 0, &card_id, "md", first).await.assert_ok();
    assert_eq!(
        shown(&t, &message_id).await["body"]["elements"][0]["content"],
        "second"
    );
    content(
        &t,
        0,
        &card_id,
        "md",
        json!({"content": "x", "sequence": 3, "uuid": "u-1"}),
    )
    .await
    .assert_code(400, 200770);
    content(
        &t,
        0,
        &card_id,
        "md",
        json!({"content": "x", "sequence": 3, "uuid": "u".repeat(65)}),
    )
    .await
    .assert_invalid(10002, "uuid");
}

#[tokio::test]
async fn streaming_turns_itself_off_ten_minutes_after_it_was_turned_on() {
    let t = spawn_app().await;
    let plain = json!({"schema": "2.0", "body": {"elements": [{"tag": "plain_text", "element_id": "txt", "content": ""}]}});
    let card_id = create_ok(&t, 0, &plain).await;
    // Not streaming: a content write is refused.
    content(
        &t,
        0,
        &card_id,
        "txt",
        json!({"content": "a", "sequence": 1}),
    )
    .await
    .assert_code(400, 300309);
    settings(
        &t,
        0,
        &card_id,
        json!({"config": {"streaming_mode": true}}),
        2,
    )
    .await
    .assert_ok();
    content(
        &t,
        0,
        &card_id,
        "txt",
        json!({"content": "a", "sequence": 3}),
    )
    .await
    .assert_ok();
    // The server's clock crosses the 10 minutes (through the admin clock, as a user would).
    let moved = t
        .raw(
            Method::POST,
            "/_larkfeed/clock",
            None,
            Some(json!({"advance_ms": 10 * MINUTE})),
        )
        .await;
    assert_eq!(moved.status, 200);
    content(
        &t,
        0,
        &card_id,
        "txt",
        json!({"content": "ab", "sequence": 4}),
    )
    .await
    .assert_error(400, 300309, "10 minutes");
    // Turned on again, it streams for another 10 minutes.
    settings(
        &t,
        0,
        &card_id,
        json!({"config": {"streaming_mode": true}}),
        5,
    )
    .await
    .assert_ok();
    t.clock.advance_ms(9 * MINUTE);
    content(
        &t,
        0,
        &card_id,
        "txt",
        json!({"content": "abc", "sequence": 6}),
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn only_text_elements_take_a_content_write() {
    let t = spawn_app().await;
    let card_id = create_ok(&t, 0, &streaming_card("")).await;
    content(
        &t,
        0,
        &card_id,
        "btn",
        json!({"content": "x", "sequence": 1}),
    )
    .await
    .assert_code(400, 300310);
    content(
        &t,
        0,
        &card_id,
        "nothing",
        json!({"content": "x", "sequence": 2}),
    )
    .await
    .assert_error(400, 300313, "nothing");
    content(
        &t,
        0,
        &card_id,
        &"e".repeat(21),
        json!({"content": "x", "sequence": 3}),
    )
    .await
    .assert_invalid(10002, "element_id");
    content(&t, 0, &card_id, "md", json!({"content": "", "sequence": 4}))
        .await
        .assert_invalid(10002, "content");
    let long = "字".repeat(100_001);
    content(
        &t,
        0,
        &card_id,
        "md",
        json!({"content": long, "sequence": 5}),
    )
    .await
    .assert_invalid(10002, "content");
}

#[tokio::test]
async fn only_the_app_that_created_an_entity_writes_to_it_or_sends_it() {
    let t = spawn_app().await;
    let card_id = create_ok(&t, 0, &streaming_card("")).await;
    content(
        &t,
        1,
        &card_id,
        "md",
        json!({"content": "x", "sequence": 1}),
    )
    .await
    .assert_code(400, 300311);
    send_entity(&t, 1, &card_id)
        .await
        .assert_error(400, 230099, "ErrCode: 300311");
    content(
        &t,
        0,
        &card_id,
        "md",
        json!({"content": "x", "sequence": 1}),
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn an_entity_is_sent_once_and_lives_14_days() {
    let t = spawn_app().await;
    let card_id = create_ok(&t, 0, &streaming_card("")).await;
    send_entity(&t, 0, &card_id).await.assert_ok();
    send_entity(&t, 0, &card_id)
        .await
        .assert_error(400, 230099, "ErrCode: 11310");
    let unknown = "7000000000000000000";
    send_entity(&t, 0, unknown)
        .await
        .assert_error(400, 230099, "ErrCode: 200740");
    content(&t, 0, unknown, "md", json!({"content": "x", "sequence": 1}))
        .await
        .assert_code(400, 200740);
    let later = create_ok(&t, 0, &streaming_card("")).await;
    t.clock.advance_ms(14 * DAY);
    content(
        &t,
        0,
        &card_id,
        "md",
        json!({"content": "x", "sequence": 1}),
    )
    .await
    .assert_code(400, 200750);
    send_entity(&t, 0, &later)
        .await
        .assert_error(400, 230099, "ErrCode: 200750");
    let path = format!("{CARDS}/{}/settings", "1".repeat(21));
    t.call(
        0,
        Method::PATCH,
        &path,
        Some(json!({"settings": "{}", "sequence": 1})),
    )
    .await
    .assert_invalid(10002, "card_id");
}

#[tokio::test]
async fn an_entity_takes_ten_writes_a_second_and_streaming_writes_skip_the_api_limit() {
    let t = spawn_app().await;
    let cards: Vec<String> = {
        let mut v = Vec::new();
        for _ in 0..6 {
            v.push(create_ok(&t, 0, &streaming_card("")).await);
        }
        v
    };
    t.clock.freeze();
    // 60 content writes in one second: 10 on each of 6 cards, over the API's own 50.
    for card_id in &cards {
        for seq in 1..=10 {
            content(
                &t,
                0,
                card_id,
                "md",
                json!({"content": format!("{seq}"), "sequence": seq}),
            )
            .await
            .assert_ok();
        }
    }
    let eleventh = content(
        &t,
        0,
        &cards[0],
        "md",
        json!({"content": "11", "sequence": 11}),
    )
    .await;
    eleventh.assert_code(429, 99991400);
    t.clock.advance_ms(1000);
    content(
        &t,
        0,
        &cards[0],
        "md",
        json!({"content": "11", "sequence": 11}),
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn elements_are_added_changed_and_deleted_in_the_sent_card() {
    // More than 10 writes within a second: the per-card limit is tested on its own.
    let t = spawn_with(larkfeed_server::world::World::default_world(), false).await;
    let card_id = create_ok(&t, 0, &streaming_card("hello")).await;
    let message_id = send_entity(&t, 0, &card_id).await.assert_ok()["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let elements = |t: &str| format!("{CARDS}/{card_id}/elements{t}");
    let add = |place: &str, target: Option<&str>, id: &str, seq: i64| {
        let mut body = json!({"type": place, "sequence": seq,
            "elements": json!([{"tag": "markdown", "element_id": id, "content": id}]).to_string()});
        if let Some(target) = target {
            body["target_element_id"] = json!(target);
        }
        body
    };
    t.post(0, &elements(""), add("insert_before", Some("md"), "top", 1))
        .await
        .assert_ok();
    t.post(0, &elements(""), add("insert_after", Some("md"), "mid", 2))
        .await
        .assert_ok();
    t.post(0, &elements(""), add("append", None, "end", 3))
        .await
        .assert_ok();
    t.post(0, &elements(""), add("insert_after", Some("gone"), "x", 4))
        .await
        .assert_code(400, 300315);
    t.post(0, &elements(""), add("insert_after", None, "x", 4))
        .await
        .assert_invalid(10002, "target_element_id");
    t.post(0, &elements(""), add("append", None, "md", 4))
        .await
        .assert_code(400, 300301);
    let ids = |card: &Value| -> Vec<String> {
        card["body"]["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["element_id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        ids(&shown(&t, &message_id).await),
        ["top", "md", "mid", "btn", "end"]
    );
    let patch =
        json!({"partial_element": json!({"content": "patched"}).to_string(), "sequence": 5});
    t.call(0, Method::PATCH, &elements("/mid"), Some(patch))
        .await
        .assert_ok();
    let retag = json!({"partial_element": json!({"tag": "hr"}).to_string(), "sequence": 6});
    t.call(0, Method::PATCH, &elements("/mid"), Some(retag))
        .await
        .assert_code(400, 300312);
    let update = json!({"element": json!({"tag": "hr"}).to_string(), "sequence": 7});
    t.call(0, Method::PUT, &elements("/top"), Some(update))
        .await
        .assert_ok();
    t.call(
        0,
        Method::DELETE,
        &elements("/end"),
        Some(json!({"sequence": 8})),
    )
    .await
    .assert_ok();
    t.call(
        0,
        Method::DELETE,
        &elements("/end"),
        Some(json!({"sequence": 9})),
    )
    .await
    .assert_code(400, 300314);
    let card = shown(&t, &message_id).await;
    assert_eq!(ids(&card), ["top", "md", "mid", "btn"]);
    assert_eq!(
        card["body"]["elements"][0],
        json!({"tag": "hr", "element_id": "top"})
    );
    assert_eq!(card["body"]["elements"][2]["content"], "patched");
    // batch_update: several changes, in order, as one write.
    let actions = json!([
        {"action": "delete_elements", "params": {"element_ids": ["top"]}},
        {"action": "partial_update_element", "params": {"element_id": "md", "partial_element": {"content": "batched"}}},
        {"action": "partial_update_setting", "params": {"settings": {"config": {"streaming_mode": false}}}}
    ]);
    let batch = json!({"sequence": 10, "actions": actions.to_string()});
    t.post(0, &format!("{CARDS}/{card_id}/batch_update"), batch)
        .await
        .assert_ok();
    let card = shown(&t, &message_id).await;
    assert_eq!(ids(&card), ["md", "mid", "btn"]);
    assert_eq!(card["body"]["elements"][0]["content"], "batched");
    assert_eq!(card["config"]["streaming_mode"], false);
    // A whole card, replaced.
    let whole = json!({"schema": "2.0", "body": {"elements": [{"tag": "markdown", "element_id": "md", "content": "final"}]}});
    let put = json!({"card": {"type": "card_json", "data": whole.to_string()}, "sequence": 11});
    t.call(0, Method::PUT, &format!("{CARDS}/{card_id}"), Some(put))
        .await
        .assert_ok();
    assert_eq!(shown(&t, &message_id).await, whole);
}

#[tokio::test]
async fn a_card_message_converts_to_an_entity_and_patch_keeps_working() {
    let t = spawn_app().await;
    let card = streaming_card("from a message");
    let body = json!({"receive_id": t.open_id(0, 0), "msg_type": "interactive", "content": card.to_string()});
    let sent = t
        .post(0, "/open-apis/im/v1/messages?receive_id_type=open_id", body)
        .await;
    let message_id = sent.assert_ok()["message_id"].as_str().unwrap().to_string();
    let convert = json!({"message_id": message_id});
    let card_id = t
        .post(0, &format!("{CARDS}/id_convert"), convert.clone())
        .await
        .assert_ok()["card_id"]
        .as_str()
        .unwrap()
        .to_string();
    let again = t
        .post(0, &format!("{CARDS}/id_convert"), convert.clone())
        .await;
    assert_eq!(
        again.assert_ok()["card_id"],
        json!(card_id),
        "one entity per message"
    );
    t.post(1, &format!("{CARDS}/id_convert"), convert)
        .await
        .assert_code(400, 300311);
    content(
        &t,
        0,
        &card_id,
        "md",
        json!({"content": "streamed", "sequence": 1}),
    )
    .await
    .assert_ok();
    assert_eq!(
        shown(&t, &message_id).await["body"]["elements"][0]["content"],
        "streamed"
    );
    // The message's own update replaces the card, and the entity with it.
    let patched = json!({"schema": "2.0", "body": {"elements": [{"tag": "markdown", "element_id": "md", "content": "patched"}]}});
    t.patch_message(0, &message_id, &patched.to_string())
        .await
        .assert_ok();
    let settings_on = json!({"config": {"streaming_mode": true}});
    settings(&t, 0, &card_id, settings_on, 2).await.assert_ok();
    content(
        &t,
        0,
        &card_id,
        "md",
        json!({"content": "patched, then streamed", "sequence": 3}),
    )
    .await
    .assert_ok();
    let card = shown(&t, &message_id).await;
    assert_eq!(
        card["body"]["elements"][0]["content"],
        "patched, then streamed"
    );
    t.post(
        0,
        &format!("{CARDS}/id_convert"),
        json!({"message_id": "om_nothing"}),
    )
    .await
    .assert_invalid(10002, "message_id");
}

#[tokio::test]
async fn interactive_messages_get_the_card_json_2_checks_with_sub_codes() {
    let t = spawn_app().await;
    let send = |card: Value| {
        let t = &t;
        async move {
            let body = json!({"receive_id": t.open_id(0, 0), "msg_type": "interactive", "content": card.to_string()});
            t.post(0, "/open-apis/im/v1/messages?receive_id_type=open_id", body)
                .await
        }
    };
    let note = send(json!({"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": "x"}, {"tag": "note"}]}})).await;
    note.assert_error(400, 230099, "ErrCode: 200861; ErrMsg: ");
    assert!(
        note.msg()
            .starts_with("Failed to create card content, ext=ErrCode: 200861"),
        "{}",
        note.msg()
    );
    assert!(
        note.msg()
            .ends_with("ErrPath: ROOT -> body -> elements -> 1"),
        "{}",
        note.msg()
    );
    send(json!({"schema": "2.0", "body": {"elements": [{"tag": "action", "actions": []}]}}))
        .await
        .assert_error(400, 230099, "ErrCode: 200861");
    send(json!({"schema": "2.0", "body": {"elements": [
        {"tag": "markdown", "element_id": "a", "content": "x"},
        {"tag": "markdown", "element_id": "a", "content": "y"}]}}))
    .await
    .assert_error(400, 230099, "ErrCode: 300301");
    let many: Vec<Value> = (0..201).map(|_| json!({"tag": "hr"})).collect();
    send(json!({"schema": "2.0", "body": {"elements": many}}))
        .await
        .assert_error(400, 230099, "ErrCode: 11310");
    send(json!({"schema": "2.0", "body": {}, "elements": []}))
        .await
        .assert_error(400, 230099, "unknown property");
    let parse = t
        .post(
            0,
            "/open-apis/im/v1/messages?receive_id_type=open_id",
            json!({"receive_id": t.open_id(0, 0), "msg_type": "interactive", "content": "{oops"}),
        )
        .await;
    parse.assert_error(400, 230099, "ErrCode: 200621");
}

#[tokio::test]
async fn each_write_is_one_change_event_and_a_logged_request_with_its_sequence() {
    let t = spawn_app().await;
    let card_id = create_ok(&t, 0, &streaming_card("")).await;
    let mut feed = t.change_feed().await;
    for seq in 1..=3 {
        content(
            &t,
            0,
            &card_id,
            "md",
            json!({"content": "x".repeat(seq as usize), "sequence": seq}),
        )
        .await
        .assert_ok();
    }
    let mut seen = String::new();
    while seen.matches("event: card.updated").count() < 3 {
        seen.push_str(&until_event(&mut feed, "card.updated").await);
    }
    assert_eq!(seen.matches("event: card.updated").count(), 3, "{seen}");
    assert!(seen.contains(&card_id), "{seen}");
    let log = t.admin_get("/_larkfeed/requests?limit=20").await;
    let items = log.body["items"].as_array().cloned().unwrap_or_default();
    let sequences: Vec<i64> = items
        .iter()
        .filter(|r| r["path"].as_str().unwrap_or("").ends_with("/content"))
        .filter_map(|r| r["request"]["sequence"].as_i64())
        .collect();
    assert_eq!(sequences, [3, 2, 1], "{}", log.body);
}
