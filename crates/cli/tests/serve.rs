//! The `larkfeed serve` process itself: start-up output, and durability across `kill -9`.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    base: String,
    first_lines: Vec<String>,
}

fn start(db: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["serve", "--port", "0", "--database"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("larkfeed starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first
        .strip_prefix("larkfeed listening on ")
        .expect("first line names the URL")
        .to_string();
    let first_lines = std::iter::once(first)
        .chain(lines.take(5).map(Result::unwrap))
        .collect();
    Server {
        child,
        base,
        first_lines,
    }
}

async fn post(base: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("larkfeed.db");
    let mut first = start(&db);
    let banner = first.first_lines.join("\n");
    assert!(
        banner.contains("app_id=cli_") && banner.contains("app_secret="),
        "{banner}"
    );

    let world: Value = reqwest::get(format!("{}/_larkfeed/world", first.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app = &world["apps"][0];
    let creds = json!({"app_id": app["app_id"], "app_secret": app["app_secret"]});
    let token_answer = post(
        &first.base,
        "/open-apis/auth/v3/tenant_access_token/internal",
        None,
        creds,
    )
    .await;
    let token = token_answer["tenant_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let users: Vec<Value> = (0..3).map(|i| app["users"][i]["open_id"].clone()).collect();
    let card = json!({
        "app_feed_card": {"biz_id": "kill-9", "title": "kept", "link": {"link": "https://www.feishu.cn/"}},
        "user_ids": users,
    });
    let created = post(
        &first.base,
        "/open-apis/im/v2/app_feed_card",
        Some(&token),
        card.clone(),
    )
    .await;
    assert_eq!(created["code"], 0, "{created}");
    assert_eq!(created["data"]["failed_cards"], json!([]));

    first.child.kill().unwrap(); // SIGKILL: no shutdown, no checkpoint
    first.child.wait().unwrap();

    let mut second = start(&db);
    let again = post(
        &second.base,
        "/open-apis/im/v2/app_feed_card",
        Some(&token),
        card,
    )
    .await;
    assert_eq!(again["code"], 0, "the token survived: {again}");
    let reasons: Vec<&str> = again["data"]["failed_cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, vec!["DUPLICATED"; 3], "every card survived");
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}
