use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

const TENANT: &str = "/open-apis/auth/v3/tenant_access_token/internal";
const APP_TOKEN: &str = "/open-apis/auth/v3/app_access_token/internal";

/// A token endpoint asked without a token, as apps ask it.
async fn ask(t: &TestApp, path: &str, body: serde_json::Value) -> Answer {
    t.raw(Method::POST, path, None, Some(body)).await
}

/// A token endpoint asked with app `a`'s own credentials.
async fn ask_as(t: &TestApp, path: &str, a: usize) -> Answer {
    let app = t.app(a);
    let credentials = json!({"app_id": app.app_id, "app_secret": app.app_secret});
    ask(t, path, credentials).await
}

/// Any call that needs a token, made with `token`.
async fn create_chat_with(t: &TestApp, token: &str) -> Answer {
    t.raw(
        Method::POST,
        "/open-apis/im/v1/chats",
        Some(token),
        Some(json!({})),
    )
    .await
}
const MINUTE: i64 = 60_000;

#[tokio::test]
async fn a_tenant_token_lives_two_hours_and_has_no_data_wrapper() {
    let t = spawn_app().await;
    let a = ask_as(&t, TENANT, 0).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["code"], 0);
    assert_eq!(a.body["expire"], 7200);
    assert!(a.body["tenant_access_token"]
        .as_str()
        .unwrap()
        .starts_with("t-"));
    assert!(a.body.get("data").is_none());
}

#[tokio::test]
async fn the_same_token_comes_back_while_30_minutes_or_more_remain() {
    let t = spawn_app().await;
    t.clock.freeze();
    let first = t.token(0).await;
    t.clock.advance_ms(90 * MINUTE);
    let a = ask_as(&t, TENANT, 0).await;
    assert_eq!(a.body["tenant_access_token"], json!(first));
    assert_eq!(a.body["expire"], 1800);
}

#[tokio::test]
async fn a_new_token_comes_with_less_than_30_minutes_left_and_the_old_one_still_works() {
    let t = spawn_app().await;
    t.clock.freeze();
    let first = t.token(0).await;
    t.clock.advance_ms(91 * MINUTE);
    let second = t.token(0).await;
    assert_ne!(first, second);
    let chat = create_chat_with(&t, &first).await;
    chat.assert_ok();
    t.clock.advance_ms(30 * MINUTE);
    let expired = create_chat_with(&t, &first).await;
    expired.assert_code(400, 99991663);
    create_chat_with(&t, &second).await.assert_ok();
}

#[tokio::test]
async fn the_app_token_endpoint_returns_the_app_token() {
    let t = spawn_app().await;
    let a = ask_as(&t, APP_TOKEN, 0).await;
    assert_eq!(a.body["code"], 0);
    assert!(a.body["app_access_token"]
        .as_str()
        .unwrap()
        .starts_with("t-"));
    assert_eq!(a.body["expire"], 7200);
}

#[tokio::test]
async fn a_wrong_secret_is_10015_and_an_unknown_app_is_10014() {
    let t = spawn_app().await;
    let app = t.app(0);
    let wrong = ask(
        &t,
        TENANT,
        json!({"app_id": app.app_id, "app_secret": "nope"}),
    )
    .await;
    wrong.assert_code(400, 10015);
    assert!(wrong.body.get("tenant_access_token").is_none());
    let unknown = ask(&t, TENANT, json!({"app_id": "cli_0000", "app_secret": "x"})).await;
    unknown.assert_code(400, 10014);
    let missing = ask(&t, TENANT, json!({"app_id": app.app_id})).await;
    missing.assert_invalid(10003, "app_secret");
}

#[tokio::test]
async fn a_token_request_without_content_type_is_accepted() {
    // The Python SDK sends its token request with no Content-Type at all.
    let t = spawn_app().await;
    let app = t.app(0);
    let body = json!({"app_id": app.app_id, "app_secret": app.app_secret}).to_string();
    assert_eq!(t.post_text(TENANT, None, body).await.code(), 0);
}

#[tokio::test]
async fn endpoints_check_the_token() {
    let t = spawn_app().await;
    let path = "/open-apis/im/v2/app_feed_card";
    t.raw(Method::POST, path, None, Some(json!({})))
        .await
        .assert_code(400, 99991661);
    t.raw(Method::POST, path, Some("abc"), Some(json!({})))
        .await
        .assert_code(400, 99991671);
    t.raw(Method::POST, path, Some("t-unknown"), Some(json!({})))
        .await
        .assert_code(400, 99991663);
    t.raw(Method::POST, path, Some("u-user"), Some(json!({})))
        .await
        .assert_code(400, 99991668);
}

#[tokio::test]
async fn an_app_without_the_scope_gets_99991672_naming_it() {
    let t = spawn_with(restricted_world(), true).await;
    let a = t
        .call(
            0,
            Method::POST,
            "/open-apis/im/v2/app_feed_card",
            Some(seed_feed_card(&[t.open_id(0, 0)])),
        )
        .await;
    a.assert_code(400, 99991672);
    assert_eq!(
        a.body["error"]["permission_violations"][0]["subject"],
        "im:app_feed_card:write"
    );
    let b = t
        .call(
            0,
            Method::PUT,
            "/open-apis/im/v2/chat_button",
            Some(json!({"chat_id": "oc_x"})),
        )
        .await;
    b.assert_code(400, 99991672);
    let c = t
        .call(
            0,
            Method::POST,
            "/open-apis/im/v1/messages?receive_id_type=open_id",
            Some(json!({})),
        )
        .await;
    c.assert_code(400, 99991672);
}

#[tokio::test]
async fn user_id_type_user_id_needs_the_employee_id_scope() {
    let world = larkfeed_server::world::World::from_toml(
        "[tenant]\nname='t'\n[[users]]\nname='a'\n[[apps]]\nname='x'\nscopes=['im:app_feed_card:write']\n",
    )
    .unwrap();
    let t = spawn_with(world, true).await;
    let body = seed_feed_card(&[t.user_id(0)]);
    let a = t
        .post(
            0,
            "/open-apis/im/v2/app_feed_card?user_id_type=user_id",
            body,
        )
        .await;
    a.assert_code(400, 99991672);
    assert_eq!(
        a.body["error"]["permission_violations"][0]["subject"],
        "contact:user.employee_id:readonly"
    );
}

#[tokio::test]
async fn the_database_file_holds_no_token_that_works() {
    let t = spawn_app().await;
    let tokens = [t.token(0).await, t.token(1).await];
    // After a restart the same token is handed out again (the 30-minute rule)...
    let again = t.restart().await;
    assert_eq!(again.token(0).await, tokens[0]);
    // ...yet neither the database nor its write-ahead log holds it.
    let stored = t.stored_token_bytes().await;
    assert!(!stored.is_empty());
    for token in &tokens {
        let secret_part = &token.as_bytes()[3..];
        assert!(
            !stored.windows(secret_part.len()).any(|w| w == secret_part),
            "{token} is readable in the database file"
        );
    }
}
