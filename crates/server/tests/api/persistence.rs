use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn cards_chats_messages_and_tokens_survive_a_restart() {
    let t = spawn_app().await;
    let token = t.token(0).await;
    t.seed_card_with(&token, 0).await.assert_ok();
    let chat = t.group(0, &[0, 1]).await;
    let sent = t
        .raw(
            Method::POST,
            "/open-apis/im/v1/messages?receive_id_type=chat_id",
            Some(&token),
            Some(json!({"receive_id": chat, "msg_type": "text", "content": "{\"text\":\"kept\"}"})),
        )
        .await;
    let message_id = sent.assert_ok()["message_id"].as_str().unwrap().to_string();

    let again = t.restart().await;
    assert_ne!(again.base, t.base);
    let dup = again
        .raw(
            Method::POST,
            "/open-apis/im/v2/app_feed_card",
            Some(&token),
            Some(seed_feed_card(&[t.open_id(0, 0)])),
        )
        .await;
    assert_eq!(
        dup.assert_ok()["failed_cards"][0]["reason"],
        "DUPLICATED",
        "the token and the card survived"
    );
    let got = again.get_message_with(&token, &message_id).await;
    assert_eq!(
        got.assert_ok()["items"][0]["body"]["content"],
        "{\"text\":\"kept\"}"
    );
    let members = again
        .raw(
            Method::GET,
            &format!("/open-apis/im/v1/chats/{chat}/members"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(members.assert_ok()["member_total"], 2);
}

#[tokio::test]
async fn concurrent_creates_of_one_card_store_it_once() {
    let t = spawn_with(larkfeed_server::world::World::default_world(), false).await;
    let token = t.token(0).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (http, base, token) = (t.http.clone(), t.base.clone(), token.clone());
        let body = seed_feed_card(&[t.open_id(0, 0)]);
        tasks.push(tokio::spawn(async move {
            let resp = http
                .post(format!("{base}/open-apis/im/v2/app_feed_card"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            resp.json::<serde_json::Value>().await.unwrap()
        }));
    }
    let mut created = 0;
    for task in tasks {
        let v = task.await.unwrap();
        assert_eq!(v["code"], 0, "{v}");
        if v["data"]["failed_cards"].as_array().unwrap().is_empty() {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(t.stored_cards(0, 0).await, 1);
}
