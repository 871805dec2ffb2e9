//! Images and files (the reference pages im-v1/image/create and get, im-v1/file/create and get,
//! im-v1/message-resource/get): uploads as multipart forms with their limits and codes, the
//! app's own downloads, and a bot reading the image a user sent.

use crate::helpers::*;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::json;

/// The smallest PNG a reader takes: its signature and a few bytes.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];

async fn upload(t: &TestApp, a: usize, path: &str, form: Form) -> Answer {
    let token = t.token(a).await;
    let req = t
        .http
        .post(format!("{}{path}", t.base))
        .bearer_auth(token)
        .multipart(form);
    Answer::of(req).await
}

fn image_form(bytes: Vec<u8>) -> Form {
    Form::new()
        .text("image_type", "message")
        .part("image", Part::bytes(bytes).file_name("a.png"))
}

async fn download(t: &TestApp, a: usize, path: &str) -> reqwest::Response {
    let token = t.token(a).await;
    t.http
        .get(format!("{}{path}", t.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_image_uploads_downloads_and_sends_and_an_unknown_key_is_refused() {
    let t = spawn_app().await;
    let up = upload(&t, 0, "/open-apis/im/v1/images", image_form(PNG.to_vec())).await;
    let key = up.assert_ok()["image_key"].as_str().unwrap().to_string();
    assert!(key.starts_with("img_v3_"), "{key}");
    let got = download(&t, 0, &format!("/open-apis/im/v1/images/{key}")).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
    // Another app's upload is not this app's to read.
    let theirs = t.get(1, &format!("/open-apis/im/v1/images/{key}")).await;
    theirs.assert_invalid(234001, "image_key");
    // Sent in a message; an unknown key is refused, in a card with the platform's sub-code.
    let send = |content: serde_json::Value, msg_type: &str| {
        let body = json!({"receive_id": t.open_id(0, 0), "msg_type": msg_type, "content": content.to_string()});
        let t = &t;
        async move {
            t.post(0, "/open-apis/im/v1/messages?receive_id_type=open_id", body)
                .await
        }
    };
    send(json!({"image_key": key}), "image").await.assert_ok();
    send(json!({"image_key": "img_v3_nobody"}), "image")
        .await
        .assert_invalid(230001, "content");
    let card = json!({"elements": [{"tag": "img", "img_key": "img_v3_nobody", "alt": {"tag": "plain_text", "content": ""}}]});
    send(card, "interactive")
        .await
        .assert_error(400, 230099, "ErrCode: 200570");
}

#[tokio::test]
async fn an_upload_breaking_a_rule_gets_its_code() {
    let t = spawn_app().await;
    let path = "/open-apis/im/v1/images";
    upload(&t, 0, path, image_form(Vec::new()))
        .await
        .assert_code(400, 234010);
    upload(&t, 0, path, image_form(b"%PDF-1.7".to_vec()))
        .await
        .assert_code(400, 234011);
    let mut big = PNG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    upload(&t, 0, path, image_form(big))
        .await
        .assert_code(400, 234006);
    let no_type = Form::new().part("image", Part::bytes(PNG.to_vec()).file_name("a.png"));
    upload(&t, 0, path, no_type)
        .await
        .assert_invalid(234001, "image_type");
    let json_body = t.post(0, path, json!({"image_type": "message"})).await;
    json_body.assert_invalid(234001, "body");
    // A file.
    let file = Form::new()
        .text("file_type", "pdf")
        .text("file_name", "report.pdf")
        .part(
            "file",
            Part::bytes(b"%PDF-1.7 report".to_vec()).file_name("report.pdf"),
        );
    let up = upload(&t, 0, "/open-apis/im/v1/files", file).await;
    let key = up.assert_ok()["file_key"].as_str().unwrap().to_string();
    let got = download(&t, 0, &format!("/open-apis/im/v1/files/{key}")).await;
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert!(got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("report.pdf"));
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"%PDF-1.7 report");
    let bad = Form::new()
        .text("file_type", "exe")
        .text("file_name", "x")
        .part("file", Part::bytes(vec![1]).file_name("x"));
    upload(&t, 0, "/open-apis/im/v1/files", bad)
        .await
        .assert_invalid(234001, "file_type");
}

#[tokio::test]
async fn a_bot_reads_the_image_a_user_sent() {
    let t = spawn_app().await;
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(PNG);
    let up = t
        .act(
            "upload",
            json!({"user": t.user_id(0), "type": "image", "data": data}),
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    let key = up.body["image_key"].as_str().unwrap().to_string();
    let sent = t
        .act(
            "send_message",
            json!({
                "user": t.user_id(0), "to_app": t.app(0).app_id.as_str(), "msg_type": "image",
                "content": json!({"image_key": key}).to_string(),
            }),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let message_id = sent.body["applied"]["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/open-apis/im/v1/messages/{message_id}/resources/{key}");
    let got = download(&t, 0, &format!("{path}?type=image")).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
    // Not through the app's own image download: it did not upload it.
    t.get(0, &format!("/open-apis/im/v1/images/{key}"))
        .await
        .assert_invalid(234001, "image_key");
    t.get(0, &format!("{path}?type=file"))
        .await
        .assert_invalid(234001, "type");
    t.get(0, &path).await.assert_invalid(234001, "type");
    let other = format!("/open-apis/im/v1/messages/{message_id}/resources/img_v3_else?type=image");
    t.get(0, &other).await.assert_invalid(234001, "file_key");
    // The app's bot that is not in the chat reads nothing of it.
    t.get(1, &format!("{path}?type=image"))
        .await
        .assert_code(400, 230002);
}

#[tokio::test]
async fn a_card_entity_names_only_uploaded_images() {
    let t = spawn_app().await;
    let cards = "/open-apis/cardkit/v1/cards";
    let key = upload(&t, 0, "/open-apis/im/v1/images", image_form(PNG.to_vec())).await;
    let key = key.assert_ok()["image_key"].as_str().unwrap().to_string();
    let image = |key: &str, id: &str| json!({"tag": "img", "element_id": id, "img_key": key, "alt": {"tag": "plain_text", "content": ""}});
    let card = |key: &str| json!({"schema": "2.0", "body": {"elements": [image(key, "pic")]}});
    let create = |card: serde_json::Value| {
        let t = &t;
        async move {
            t.post(
                0,
                cards,
                json!({"type": "card_json", "data": card.to_string()}),
            )
            .await
        }
    };
    create(card("img_v3_nobody"))
        .await
        .assert_error(400, 200220, "ErrCode: 200570");
    let made = create(card(&key)).await;
    let card_id = made.assert_ok()["card_id"].as_str().unwrap().to_string();
    // Each write that carries elements is checked: adding, replacing, patching, the whole card.
    let elements = format!("{cards}/{card_id}/elements");
    let add = json!({"type": "append", "sequence": 1,
        "elements": json!([image("img_v3_nobody", "more")]).to_string()});
    t.post(0, &elements, add)
        .await
        .assert_error(400, 200220, "ErrCode: 200570");
    let patch =
        json!({"sequence": 2, "partial_element": json!({"img_key": "img_v3_nobody"}).to_string()});
    let token = t.token(0).await;
    t.raw(
        Method::PATCH,
        &format!("{elements}/pic"),
        Some(&token),
        Some(patch),
    )
    .await
    .assert_error(400, 200220, "ErrCode: 200570");
    let whole = json!({"sequence": 3, "card": {"type": "card_json", "data": card("img_v3_nobody").to_string()}});
    t.raw(
        Method::PUT,
        &format!("{cards}/{card_id}"),
        Some(&token),
        Some(whole),
    )
    .await
    .assert_error(400, 200220, "ErrCode: 200570");
    // An uploaded one is taken.
    let add = json!({"type": "append", "sequence": 4,
        "elements": json!([image(&key, "again")]).to_string()});
    t.post(0, &elements, add).await.assert_ok();
}
