//! The OpenAPI document: well-formed, complete, and in step with the router.

use crate::helpers::*;
use reqwest::Method;
use serde_json::Value;

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_lists_every_route_the_router_serves_and_they_all_answer() {
    let t = spawn_app().await;
    let doc = t.admin_get("/_larkfeed/openapi.json").await.body;
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    // Every $ref points at a schema of the document.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in &all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} is not defined"
        );
    }
    assert!(
        doc["components"]["schemas"]["CreateAppFeedCardRequest"]["properties"]["user_ids"]
            .is_object()
    );
    assert!(doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .contains(&Value::from(230001)));
    // The document lists each endpoint the model describes once (the router routes every one
    // of them by construction: `every_endpoint!`; the loop below checks that each answers).
    let router = include_str!("../../src/routes/mod.rs");
    let documented: usize = paths
        .values()
        .map(|ops| ops.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, larkfeed_model::endpoint::ALL.len());
    assert!(
        !router.contains("\"/open-apis/im"),
        "an Open API path is written in the router instead of the model's endpoint"
    );
    // Every documented route is served: it answers anything but "no such path" or "wrong method".
    let token = t.token(0).await;
    for (path, ops) in paths {
        let concrete = path
            .replace("{message_id}", "om_x")
            .replace("{chat_id}", "oc_x")
            .replace("{feed_card_id}", "oc_x");
        for method in ops.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let a = t.raw(m, &concrete, Some(&token), None).await;
            assert!(
                ![99991201, 99991301].contains(&a.code()),
                "{method} {path}: {}",
                a.body
            );
        }
    }
}

/// What the document says a body needs is what the server asks for: an empty body is refused
/// naming one of the fields the document marks required, and an endpoint whose document marks
/// none does not refuse it for a missing field. A success's `code` is 0 and an error's is in the
/// error table.
#[tokio::test]
async fn required_fields_and_codes_in_the_document_match_the_server() {
    let t = spawn_app().await;
    let doc = t.admin_get("/_larkfeed/openapi.json").await.body;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Success"]["properties"]["code"]["enum"],
        serde_json::json!([0])
    );
    assert!(!schemas["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .contains(&Value::from(0)));
    let token = t.token(0).await;
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let Some(body) = op.get("requestBody") else {
                continue;
            };
            // An upload's form is checked by its own tests (tests/api/resources.rs).
            if body["content"].get("application/json").is_none() {
                continue;
            }
            let schema = &body["content"]["application/json"]["schema"];
            let name = schema["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
            let required: Vec<&str> = schemas[name]["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(
                body["required"],
                Value::from(!required.is_empty()),
                "{method} {path}"
            );
            let concrete = format!(
                "{}?user_id_type=open_id&receive_id_type=open_id&member_id_type=open_id",
                path.replace("{message_id}", "om_x")
                    .replace("{chat_id}", "oc_x")
                    .replace("{feed_card_id}", "oc_x")
                    .replace("{card_id}", "7000000000000000001")
                    .replace("{element_id}", "md")
            );
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let auth = op.get("security").map(|_| token.as_str());
            let a = t.raw(m, &concrete, auth, Some(serde_json::json!({}))).await;
            let field = a.body["error"]["field_violations"][0]["field"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let missing = a.msg().contains("required");
            if required.is_empty() {
                assert!(!missing, "{method} {path}: {}", a.body);
            } else {
                assert!(
                    missing && required.contains(&field.as_str()),
                    "{method} {path} requires {required:?}: {}",
                    a.body
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} bodies checked");
}
