//! What a client parses, kept as snapshots (`insta`): the OpenAPI document, and one error
//! envelope of each code family. A change shows as a diff to review (`cargo insta review`), not
//! as a silent drift.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

#[test]
fn the_openapi_document() {
    insta::assert_json_snapshot!("openapi", larkfeed_server::routes::openapi::document());
}

#[tokio::test]
async fn one_error_envelope_per_code_family() {
    let t = spawn_app().await;
    let token = t.token(0).await;
    let cases = [
        // The token endpoints' own family.
        (
            "auth_10003",
            Method::POST,
            "/open-apis/auth/v3/tenant_access_token/internal",
            None,
            Some(json!({"app_id": t.app(0).app_id})),
        ),
        // The gateway: a token it does not know.
        (
            "gateway_99991663",
            Method::GET,
            "/open-apis/im/v1/messages/om_x",
            Some("t-unknown"),
            None,
        ),
        (
            "gateway_99991201",
            Method::GET,
            "/open-apis/im/v1/nothing",
            Some(token.as_str()),
            None,
        ),
        // IM: a field that breaks a rule.
        (
            "im_230001",
            Method::POST,
            "/open-apis/im/v2/app_feed_card?user_id_type=open_id",
            Some(token.as_str()),
            Some(json!({"app_feed_card": {"title": "t"}})),
        ),
        // Chats: a query value out of range.
        (
            "chat_232001",
            Method::GET,
            "/open-apis/im/v1/chats/oc_x/members?page_size=0",
            Some(token.as_str()),
            None,
        ),
        // Cards: a delayed update with a token no callback gave.
        (
            "card_300040",
            Method::POST,
            "/open-apis/interactive/v1/card/update",
            Some(token.as_str()),
            Some(
                json!({"token": "c-nope", "card": {"config": {"update_multi": true}, "elements": []}}),
            ),
        ),
    ];
    for (name, method, path, bearer, body) in cases {
        let answer = t.raw(method, path, bearer, body).await;
        insta::assert_json_snapshot!(name, answer.body, {".error.log_id" => "[log_id]"});
    }
}
