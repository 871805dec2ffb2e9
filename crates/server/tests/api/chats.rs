use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_created_chat_holds_the_bot_and_the_users() {
    let t = spawn_app().await;
    let a = t
        .call(
            0,
            Method::POST,
            "/open-apis/im/v1/chats",
            Some(json!({"name": "ops", "user_id_list": [t.open_id(0, 0), t.open_id(0, 1)]})),
        )
        .await;
    let data = a.assert_ok();
    let chat = data["chat_id"].as_str().unwrap();
    assert!(chat.starts_with("oc_"));
    assert_eq!(data["name"], "ops");
    assert_eq!(data["owner_id_type"], "app_id");
    let m = t
        .get(0, &format!("/open-apis/im/v1/chats/{chat}/members"))
        .await;
    let data = m.assert_ok();
    assert_eq!(data["member_total"], 2);
    assert_eq!(data["items"][0]["member_id"], json!(t.open_id(0, 0)));
    assert_eq!(data["items"][0]["name"], "Alice Zhang");
    assert_eq!(data["items"][0]["member_id_type"], "open_id");
    assert_eq!(data["has_more"], false);
}

#[tokio::test]
async fn members_page_and_come_in_the_asked_id_type() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1, 2, 3, 4]).await;
    let path = format!("/open-apis/im/v1/chats/{chat}/members?member_id_type=union_id&page_size=2");
    let first = t.get(0, &path).await;
    let d = first.assert_ok();
    assert_eq!(d["items"].as_array().unwrap().len(), 2);
    assert_eq!(d["has_more"], true);
    assert_eq!(d["member_total"], 5);
    assert_eq!(d["items"][0]["member_id"], json!(t.union_id(0, 0)));
    let token = d["page_token"].as_str().unwrap();
    let mut seen = 2;
    let mut next = token.to_string();
    while !next.is_empty() {
        let page = t.get(0, &format!("{path}&page_token={next}")).await;
        let d = page.assert_ok();
        seen += d["items"].as_array().unwrap().len();
        next = d["page_token"].as_str().unwrap().to_string();
    }
    assert_eq!(seen, 5);
}

#[tokio::test]
async fn adding_members_reports_invalid_and_unknown_ids() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0]).await;
    let a = t
        .call(
            0,
            Method::POST,
            &format!("/open-apis/im/v1/chats/{chat}/members?member_id_type=open_id"),
            Some(json!({"id_list": [t.open_id(0, 1), "not-an-open-id", "ou_unknown", "ou_"]})),
        )
        .await;
    let d = a.assert_ok();
    assert_eq!(d["invalid_id_list"], json!(["not-an-open-id", "ou_"]));
    assert_eq!(d["not_existed_id_list"], json!(["ou_unknown"]));
    let m = t
        .get(0, &format!("/open-apis/im/v1/chats/{chat}/members"))
        .await;
    assert_eq!(m.assert_ok()["member_total"], 2);
}

#[tokio::test]
async fn chat_errors_use_the_232_range() {
    let t = spawn_app().await;
    let a = t.get(0, "/open-apis/im/v1/chats/oc_missing/members").await;
    a.assert_code(400, 232006);
    let chat = t.group(1, &[0]).await;
    let b = t
        .get(0, &format!("/open-apis/im/v1/chats/{chat}/members"))
        .await;
    b.assert_code(400, 232011);
    let c = t
        .get(
            1,
            &format!("/open-apis/im/v1/chats/{chat}/members?page_size=101"),
        )
        .await;
    c.assert_invalid(232001, "page_size");
    let d = t
        .call(
            0,
            Method::POST,
            "/open-apis/im/v1/chats",
            Some(json!({"user_id_list": vec!["ou_x"; 51]})),
        )
        .await;
    d.assert_invalid(232001, "user_id_list");
    let e = t
        .call(
            0,
            Method::POST,
            "/open-apis/im/v1/chats",
            Some(json!({"user_id_list": ["ou_nobody"]})),
        )
        .await;
    e.assert_invalid(232001, "user_id_list[0]");
    let f = t
        .call(
            0,
            Method::POST,
            &format!("/open-apis/im/v1/chats/{chat}/members"),
            Some(json!({})),
        )
        .await;
    f.assert_invalid(232001, "id_list");
}

#[tokio::test]
async fn an_app_without_bot_ability_cannot_create_chats() {
    let t = spawn_with(restricted_world(), true).await;
    t.call(1, Method::POST, "/open-apis/im/v1/chats", Some(json!({})))
        .await
        .assert_code(400, 232025);
}

#[tokio::test]
async fn a_chat_reads_back_with_its_owner_and_member_counts() {
    let t = spawn_app().await;
    let created = t
        .call(
            0,
            Method::POST,
            "/open-apis/im/v1/chats?user_id_type=union_id",
            Some(json!({
                "name": "ops", "description": "night shift",
                "owner_id": t.union_id(0, 1),
                "user_id_list": [t.union_id(0, 0)],
                "bot_id_list": [t.app(1).app_id.as_str()],
            })),
        )
        .await;
    let chat = created.assert_ok()["chat_id"].as_str().unwrap().to_string();
    let path = format!("/open-apis/im/v1/chats/{chat}");
    let got = t.get(0, &format!("{path}?user_id_type=union_id")).await;
    let d = got.assert_ok();
    assert_eq!(d["name"], "ops");
    assert_eq!(d["description"], "night shift");
    assert_eq!(d["owner_id"], json!(t.union_id(0, 1)));
    assert_eq!(d["owner_id_type"], "union_id");
    assert_eq!(d["chat_mode"], "group");
    assert_eq!(d["chat_type"], "private");
    assert_eq!(d["external"], false);
    assert_eq!(
        d["user_count"], "2",
        "counts are strings, as the platform sends them"
    );
    assert_eq!(d["bot_count"], "2");
    assert_eq!(d["tenant_key"], json!(t.world().tenant.tenant_key));
    assert!(d.get("chat_id").is_none(), "the path names the chat: {d}");
    // The other bot in the chat sees the owner under its own open_id (the default id type).
    let other = t.get(1, &path).await;
    assert_eq!(other.assert_ok()["owner_id"], json!(t.open_id(1, 1)));
    // Errors are the chat APIs' own: unknown chat, a bot outside it, a bad id type.
    t.get(0, "/open-apis/im/v1/chats/oc_missing")
        .await
        .assert_code(400, 232006);
    t.get(2, &path).await.assert_code(400, 232011);
    t.get(0, &format!("{path}?user_id_type=email"))
        .await
        .assert_invalid(232001, "user_id_type");
}

#[tokio::test]
async fn a_bot_asks_whether_it_is_in_a_chat() {
    let t = spawn_app().await;
    let chat = t.group(0, &[0, 1]).await;
    let path = format!("/open-apis/im/v1/chats/{chat}/members/is_in_chat");
    assert_eq!(
        *t.get(0, &path).await.assert_ok(),
        json!({"is_in_chat": true})
    );
    // A bot outside the chat gets an answer, not 232011 as on the other chat calls.
    assert_eq!(
        *t.get(1, &path).await.assert_ok(),
        json!({"is_in_chat": false})
    );
    let add = format!("/open-apis/im/v1/chats/{chat}/members?member_id_type=app_id");
    let body = json!({"id_list": [t.app(1).app_id.as_str()]});
    t.call(0, Method::POST, &add, Some(body)).await.assert_ok();
    assert_eq!(
        *t.get(1, &path).await.assert_ok(),
        json!({"is_in_chat": true})
    );
    t.get(0, "/open-apis/im/v1/chats/oc_missing/members/is_in_chat")
        .await
        .assert_code(400, 232006);
}
