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
    start_with(db.as_os_str(), &[])
}

fn start_with(db: &std::ffi::OsStr, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["serve", "--port", "0", "--database"])
        .arg(db)
        .args(extra)
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
        .chain(lines.take(6).map(Result::unwrap))
        .collect();
    Server {
        child,
        base,
        first_lines,
    }
}

/// `larkfeed serve` on a memory database logging at `level`, both outputs piped; its banner (the
/// first seven lines) read.
fn serve_logging(level: &str) -> (Child, Vec<String>) {
    serve_memory(&[], Some(level))
}

/// `larkfeed serve` on a memory database with `extra` flags, its banner (the first seven lines)
/// read; its logs piped at `level`, or dropped.
fn serve_memory(extra: &[&str], level: Option<&str>) -> (Child, Vec<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_larkfeed"));
    command
        .args(["serve", "--port", "0", "--database", "memory"])
        .args(extra)
        .stdout(Stdio::piped());
    match level {
        Some(level) => command.env("LARKFEED_LOG", level).stderr(Stdio::piped()),
        None => command.stderr(Stdio::null()),
    };
    let mut child = command.spawn().unwrap();
    let out = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = out.take(7).map(Result::unwrap).collect();
    (child, banner)
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

    let (token, users) = first_app(&first.base).await;
    let users = &users[..3];
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

/// The server's world, as `GET /_larkfeed/world` shows it.
async fn world(base: &str) -> Value {
    let answer = reqwest::get(format!("{base}/_larkfeed/world")).await;
    answer.unwrap().json().await.unwrap()
}

/// The answer to a tenant token request with these credentials.
async fn token_answer(base: &str, app_id: &Value, app_secret: &Value) -> Value {
    let creds = json!({"app_id": app_id, "app_secret": app_secret});
    post(base, TOKEN_PATH, None, creds).await
}

const TOKEN_PATH: &str = "/open-apis/auth/v3/tenant_access_token/internal";

async fn first_app(base: &str) -> (String, Vec<String>) {
    let world = world(base).await;
    let app = &world["apps"][0];
    let answer = token_answer(base, &app["app_id"], &app["app_secret"]).await;
    let users = (0..5)
        .map(|i| app["users"][i]["open_id"].as_str().unwrap().to_string())
        .collect();
    (
        answer["tenant_access_token"].as_str().unwrap().to_string(),
        users,
    )
}

/// `one_card` created through the API; the answer as it is.
async fn create_card(base: &str, token: &str, biz_id: &str, user: &str) -> Value {
    post(
        base,
        "/open-apis/im/v2/app_feed_card",
        Some(token),
        one_card(biz_id, user),
    )
    .await
}

fn one_card(biz_id: &str, user: &str) -> Value {
    json!({
        "app_feed_card": {"biz_id": biz_id, "title": "t", "link": {"link": "https://www.feishu.cn/"}},
        "user_ids": [user],
    })
}

/// Eight writers at once, killed mid-stream: every write that was acknowledged is there after a
/// restart (each group commit answers its callers only once it is in the WAL).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_of_concurrent_writers_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("larkfeed.db");
    let mut first = start_with(db.as_os_str(), &["--rate-limits", "off"]);
    let (token, users) = first_app(&first.base).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (base, token, user) = (first.base.clone(), token.clone(), users[w % 5].clone());
            let stop = stop.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut acked = Vec::new();
                for i in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let biz = format!("w{w}-{i}");
                    let sent = http
                        .post(format!("{base}/open-apis/im/v2/app_feed_card"))
                        .bearer_auth(&token)
                        .json(&one_card(&biz, &user))
                        .send()
                        .await;
                    let Ok(resp) = sent else { break };
                    let Ok(body) = resp.json::<Value>().await else {
                        break;
                    };
                    if body["code"] == 0 && body["data"]["failed_cards"] == json!([]) {
                        acked.push((biz, user.clone()));
                    }
                }
                acked
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    first.child.kill().unwrap(); // SIGKILL while the writers are mid-request
    first.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    assert!(
        acked.len() > 50,
        "only {} writes were acknowledged",
        acked.len()
    );

    let mut second = start_with(db.as_os_str(), &["--rate-limits", "off"]);
    let http = reqwest::Client::new();
    for (biz, user) in &acked {
        let again: Value = http
            .post(format!("{}/open-apis/im/v2/app_feed_card", second.base))
            .bearer_auth(&token)
            .json(&one_card(biz, user))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            again["data"]["failed_cards"][0]["reason"], "DUPLICATED",
            "acknowledged card {biz} was lost: {again}"
        );
    }
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

/// `--database memory`: the start-up says so, the API works, nothing is written where the
/// server runs, and SIGTERM ends it cleanly.
#[tokio::test]
async fn a_memory_database_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["serve", "--port", "0", "--database", "memory"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .take(7) // the whole banner, before the pipe closes
        .map(Result::unwrap)
        .collect();
    let base = lines[0].strip_prefix("larkfeed listening on ").unwrap();
    assert!(lines[1].contains("in memory"), "{lines:?}");
    let (token, users) = first_app(base).await;
    let created = create_card(base, &token, "m-1", &users[0]).await;
    assert_eq!(created["code"], 0, "{created}");
    stop_with_term(&mut child);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written where the server ran"
    );
}

/// Logs written to a pipe carry no colour codes, and SIGTERM is logged as a clean shutdown.
#[test]
fn logs_to_a_pipe_are_plain_text() {
    let (child, _banner) = serve_logging("info");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let logs = String::from_utf8(output.stderr).unwrap();
    assert!(logs.contains("shutting down"), "{logs}");
    assert!(logs.contains("SIGTERM"), "{logs}");
    assert!(!logs.contains('\u{1b}'), "colour codes in {logs:?}");
}

/// `LARKFEED_LOG_FORMAT=json`: every log line is one JSON object, a request's line too.
#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["serve", "--port", "0", "--database", "memory"])
        .env("LARKFEED_LOG", "info")
        .env("LARKFEED_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let banner: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .take(7)
        .map(Result::unwrap)
        .collect();
    let base = banner[0].strip_prefix("larkfeed listening on ").unwrap();
    let (token, _) = first_app(base).await;
    assert!(!token.is_empty());
    stop_with_term(&mut child);
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert!(lines.len() >= 3, "{logs}");
    assert!(lines
        .iter()
        .all(|l| l["level"].is_string() && l["timestamp"].is_string()));
    assert!(
        logs.contains("tenant_access_token"),
        "the request has its line: {logs}"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["signal"] == "SIGTERM"),
        "{logs}"
    );
}

#[test]
fn start_up_failures_name_the_problem_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder").join("x.db");
    let out = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["serve", "--port", "0", "--database"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-folder") && err.contains("does not exist"),
        "{err}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let db = dir.path().join("never.db");
    let out = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["serve", "--port", &port, "--database"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&port), "{err}");
    assert!(
        !db.exists(),
        "a server that could not listen made a database"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["serve", "--port", "0", "--host", "0.0.0.0", "--database"])
        .arg(&db)
        .env_remove("LARKFEED_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--admin-token") && err.contains("0.0.0.0"),
        "{err}"
    );

    // An export file that could not be written when the server stops stops it at the start.
    let out = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args([
            "serve",
            "--port",
            "0",
            "--database",
            "memory",
            "--export-on-exit",
        ])
        .arg(dir.path().join("no-such-folder").join("state.json"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-folder") && err.contains("when the server stops"),
        "{err}"
    );
}

/// A database reopened with another world says which apps and users are gone.
#[test]
fn reopening_a_database_with_another_world_says_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("larkfeed.db");
    let mut first = start(&db);
    assert!(
        !first.first_lines.join("\n").contains("world changed"),
        "a new database has nothing to compare"
    );
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let world = dir.path().join("other.toml");
    std::fs::write(
        &world,
        "[tenant]\nname = \"Demo\"\n[[apps]]\nname = \"Solo\"\n[[users]]\nname = \"Zed\"\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["serve", "--port", "0", "--database"])
        .arg(&db)
        .arg("--world")
        .arg(&world)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let banner: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .take_while(|l| {
            l.as_ref()
                .is_ok_and(|l| !l.contains("every app and user id"))
        })
        .map(Result::unwrap)
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    let text = banner.join("\n");
    assert!(
        text.contains("world changed since this database was made"),
        "{text}"
    );
    assert!(
        text.contains("users of the database's world are gone"),
        "{text}"
    );
    assert!(text.contains("1 users are new (Zed)"), "{text}");
}

/// Debug logs of token requests, API calls, failures and deliveries never hold a token, an app
/// secret or an encrypt key.
#[tokio::test]
async fn logs_hold_no_token_secret_or_key() {
    let (child, banner) = serve_logging("debug");
    let base = banner[0]
        .strip_prefix("larkfeed listening on ")
        .unwrap()
        .to_string();
    let world = world(&base).await;
    let app = &world["apps"][0];
    let (app_id, secret) = (
        app["app_id"].as_str().unwrap(),
        app["app_secret"].as_str().unwrap(),
    );
    let answer = token_answer(&base, &app["app_id"], &app["app_secret"]).await;
    let token = answer["tenant_access_token"].as_str().unwrap().to_string();
    token_answer(&base, &app["app_id"], &json!("wrong")).await;
    post(
        &base,
        "/open-apis/im/v2/app_feed_card",
        Some(&token),
        json!({"user_ids": "x"}),
    )
    .await;
    let down = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    reqwest::Client::new()
        .put(format!("{base}/_larkfeed/apps/{app_id}"))
        .json(
            &json!({"callback_url": format!("http://{down}/"), "encrypt_key": "key-never-logged"}),
        )
        .send()
        .await
        .unwrap();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let logs = String::from_utf8(output.stderr).unwrap();
    assert!(
        logs.contains("url_verification") || logs.contains("delivery failed"),
        "{logs}"
    );
    for secret in [token.as_str(), secret, "key-never-logged"] {
        assert!(!logs.contains(secret), "{secret:?} is in the logs:\n{logs}");
    }
}

#[test]
fn serve_help_lists_the_servers_options_only() {
    let out = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("--database") && help.contains("--admin-token"),
        "{help}"
    );
    for client_only in [
        "--app-id",
        "--app-secret",
        "--retries",
        "--format",
        "--dry-run",
        "--base-url",
    ] {
        assert!(
            !help.contains(client_only),
            "{client_only} in serve --help:\n{help}"
        );
    }
}

#[test]
fn a_missing_flag_is_named_without_making_credentials_look_required() {
    let out = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["feed-card", "create", "--title", "x"])
        .env_remove("LARKFEED_APP_ID")
        .env_remove("LARKFEED_APP_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--user"), "{err}");
    assert!(
        !err.contains("--app-id") && !err.contains("--app-secret"),
        "{err}"
    );
}

/// With credentials in the environment, a missing flag is still named alone: the usage line shows
/// the command's `[OPTIONS]`, not the environment's credentials as required flags.
#[test]
fn a_missing_flag_is_named_alone_when_the_environment_has_credentials() {
    let out = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args([
            "feed-card",
            "create",
            "--title",
            "T",
            "--link",
            "https://x.cn/",
        ])
        .env("LARKFEED_APP_ID", "cli_x")
        .env("LARKFEED_APP_SECRET", "s")
        .env("LARKFEED_BASE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("not provided:\n  --user <USERS>"), "{err}");
    let usage = err
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .unwrap_or_else(|| panic!("no usage line in {err}"));
    assert!(
        usage.contains("larkfeed feed-card create [OPTIONS]"),
        "{usage}"
    );
    assert!(usage.contains("--user <USERS>"), "{usage}");
    for credential in ["--app-id", "--app-secret", "--base-url"] {
        assert!(!usage.contains(credential), "{usage}");
    }
}

/// A client whose body stopped coming does not hold the server after SIGTERM: its body is cut
/// off after the header timeout (1 s here) and the server exits cleanly.
#[test]
fn sigterm_is_not_held_up_by_a_stalled_body() {
    use std::io::Write;
    let (mut child, banner) = serve_memory(&["--header-timeout", "1"], None);
    let addr = banner[0]
        .strip_prefix("larkfeed listening on http://")
        .unwrap()
        .to_string();
    let mut stalled = std::net::TcpStream::connect(&addr).unwrap();
    stalled
        .write_all(
            b"POST /open-apis/auth/v3/tenant_access_token/internal HTTP/1.1\r\nHost: x\r\n\
              Content-Length: 3000\r\n\r\n{\"app_id\":",
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let asked = std::time::Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if asked.elapsed() > std::time::Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("still running 10 s after SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    drop(stalled);
}

/// Sends the server `signal` (`TERM`, `INT`) and checks that it ends cleanly.
fn stop_with(child: &mut Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(
        exit.success(),
        "SIG{signal} ends the server cleanly: {exit:?}"
    );
}

fn stop_with_term(child: &mut Child) {
    stop_with(child, "TERM");
}

/// `--export-on-exit` writes the morning's state when the server is stopped; `--import` brings
/// it back into a fresh database, also when the file is older and lacks later tables and
/// columns; a file of another format version is refused, naming both versions.
#[tokio::test]
async fn the_state_is_exported_on_exit_and_imported_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("morning.json");
    let saved_arg = saved.to_str().unwrap();
    let (mut first, banner) = serve_memory(&["--export-on-exit", saved_arg], None);
    let base = banner[0].strip_prefix("larkfeed listening on ").unwrap();
    let (token, users) = first_app(base).await;
    let created = create_card(base, &token, "kept-1", &users[0]).await;
    assert_eq!(created["code"], 0, "{created}");
    let text = json!({"receive_id": users[1], "msg_type": "text", "content": "{\"text\":\"hi\"}"});
    let sent = post(
        base,
        "/open-apis/im/v1/messages?receive_id_type=open_id",
        Some(&token),
        text,
    )
    .await;
    assert_eq!(sent["code"], 0, "{sent}");
    assert!(
        !saved.exists(),
        "nothing is written before the server stops"
    );
    stop_with_term(&mut first);
    let doc: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(doc["version"], 1);
    assert!(doc.to_string().contains("kept-1"), "{doc}");
    assert!(!dir.path().join("morning.json.partial").exists());

    // Loaded into a fresh database: the card is there (creating it again is a duplicate).
    let (mut second, banner) = serve_memory(&["--import", saved_arg], None);
    let base = banner[0].strip_prefix("larkfeed listening on ").unwrap();
    let (token, users) = first_app(base).await;
    let again = create_card(base, &token, "kept-1", &users[0]).await;
    assert_eq!(
        again["data"]["failed_cards"][0]["reason"], "DUPLICATED",
        "{again}"
    );
    stop_with_term(&mut second);

    // An older file: without the tables and columns later versions added. It loads.
    let mut older = doc.clone();
    let tables = older["tables"].as_object_mut().unwrap();
    for later in ["uploads", "reactions", "card_entities", "card_writes"] {
        tables.remove(later);
    }
    for row in tables["messages"].as_array_mut().unwrap() {
        row.as_object_mut().unwrap().remove("edits");
    }
    let older_path = dir.path().join("older.json");
    std::fs::write(&older_path, older.to_string()).unwrap();
    let (mut third, banner) = serve_memory(&["--import", older_path.to_str().unwrap()], None);
    let base = banner[0].strip_prefix("larkfeed listening on ").unwrap();
    let (token, _) = first_app(base).await;
    let message_id = sent["data"]["message_id"].as_str().unwrap();
    let got = reqwest::Client::new()
        .get(format!("{base}/open-apis/im/v1/messages/{message_id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(got["code"], 0, "{got}");
    stop_with_term(&mut third);

    // Another format version: refused, saying which.
    let mut other = doc.clone();
    other["version"] = json!(7);
    let other_path = dir.path().join("other.json");
    std::fs::write(&other_path, other.to_string()).unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["serve", "--port", "0", "--database", "memory", "--import"])
        .arg(&other_path)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("version 1") && said.contains("version 7") && said.contains("other.json"),
        "{said}"
    );
}

/// A listener on the change feed (the inspector, a test helper) does not hold up SIGTERM: its
/// stream ends and the server exits at once.
#[test]
fn sigterm_ends_the_change_feeds_streams() {
    use std::io::{Read, Write};
    let (mut child, banner) = serve_memory(&[], None);
    let addr = banner[0]
        .strip_prefix("larkfeed listening on http://")
        .unwrap()
        .to_string();
    let mut feed = std::net::TcpStream::connect(&addr).unwrap();
    feed.write_all(b"GET /_larkfeed/events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 12];
    feed.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let asked = std::time::Instant::now();
    stop_with_term(&mut child);
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );
}

/// Ctrl-C (SIGINT) exports too, as a developer stops a server in a terminal.
#[tokio::test]
async fn sigint_exports_the_state_as_sigterm_does() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("ctrl-c.json");
    let (mut child, banner) = serve_memory(&["--export-on-exit", saved.to_str().unwrap()], None);
    let base = banner[0].strip_prefix("larkfeed listening on ").unwrap();
    let (token, users) = first_app(base).await;
    let created = create_card(base, &token, "kept-on-ctrl-c", &users[0]).await;
    assert_eq!(created["code"], 0, "{created}");
    stop_with(&mut child, "INT");
    let doc: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert!(doc.to_string().contains("kept-on-ctrl-c"), "{doc}");
}

/// `larkfeed exec -- COMMAND`: the command runs with LARKFEED_URL and LARKFEED_BASE_URL naming a
/// server of its own (here the CLI itself makes a tenant on it), larkfeed exits with the
/// command's status, and `--export-on-exit` writes the state once the command has ended.
#[test]
fn exec_runs_a_command_beside_a_server_of_its_own() {
    let bin = env!("CARGO_BIN_EXE_larkfeed");
    let made = Command::new(bin)
        .args(["exec", "--", bin, "tenant", "create"])
        .env_remove("LARKFEED_BASE_URL")
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let tenant: Value = serde_json::from_slice(&made.stdout).unwrap();
    assert!(tenant["tenant_key"].is_string(), "{tenant}");
    let said = String::from_utf8_lossy(&made.stderr);
    assert!(
        said.contains("larkfeed: serving http://127.0.0.1:"),
        "{said}"
    );

    let url = Command::new(bin)
        .args([
            "exec",
            "--",
            "sh",
            "-c",
            "echo \"$LARKFEED_URL $LARKFEED_BASE_URL\"; exit 7",
        ])
        .output()
        .unwrap();
    assert_eq!(url.status.code(), Some(7), "{url:?}");
    let urls = String::from_utf8_lossy(&url.stdout);
    let (a, b) = urls.trim().split_once(' ').unwrap();
    assert!(a.starts_with("http://127.0.0.1:") && a == b, "{urls}");

    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("after.json");
    let exported = Command::new(bin)
        .args(["exec", "--export-on-exit"])
        .arg(&saved)
        .args(["--", "true"])
        .output()
        .unwrap();
    assert!(exported.status.success(), "{exported:?}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(doc["version"], 1, "{doc}");

    let missing = Command::new(bin)
        .args(["exec", "--", "/nonexistent/command"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot run /nonexistent/command"),
        "{missing:?}"
    );
}

/// SIGTERM to `larkfeed exec` is passed on to its command; larkfeed ends with the command's
/// status (143, killed by SIGTERM) at once, not when the command would have finished.
#[test]
fn exec_passes_sigterm_on_to_its_command() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_larkfeed"))
        .args(["exec", "--", "sleep", "30"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The banner says the command has started.
    let mut banner = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stderr.as_mut().unwrap()),
        &mut banner,
    )
    .unwrap();
    assert!(banner.contains("serving"), "{banner}");
    let asked = std::time::Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(143), "{exit:?}");
    assert!(asked.elapsed() < std::time::Duration::from_secs(5));
}
