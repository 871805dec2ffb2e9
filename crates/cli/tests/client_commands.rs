//! The client commands as real processes against a larkfeed server started in this test.

use assert_cmd::Command;
use larkfeed_server::state::AppState;
use larkfeed_server::world::World;
use larkfeed_server::{Application, Config};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

struct Server {
    base: String,
    state: AppState,
    dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(world: World) -> Server {
        Server::start_with(world, true)
    }

    fn start_with(world: World, rate_limits: bool) -> Server {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path().join("s.db").display().to_string());
        config.port = 0;
        config.world = world;
        config.rate_limits = rate_limits;
        let app = rt.block_on(Application::bind(config)).unwrap();
        let (base, state) = (app.base_url(), app.state().clone());
        rt.spawn(app.run());
        Server {
            base,
            state,
            dir,
            _rt: rt,
        }
    }

    fn open_id(&self, u: usize) -> String {
        let w = &self.state.world;
        w.open_id(&w.apps[0], &w.users[u])
    }

    /// `larkfeed` with this server's first app in the environment.
    fn cli(&self) -> Command {
        let app = &self.state.world.apps[0];
        let mut cmd = Command::cargo_bin("larkfeed").unwrap();
        cmd.env_clear()
            .env("LARKFEED_BASE_URL", &self.base)
            .env("LARKFEED_APP_ID", app.app_id.as_str())
            .env("LARKFEED_APP_SECRET", &app.app_secret)
            .env("LARKFEED_LOG", "warn");
        cmd
    }

    /// `larkfeed` with the arguments of a command line, quoted as a shell would quote them;
    /// `{user}` stands for the first user's open_id.
    fn line(&self, line: &str) -> Command {
        let line = line.replace("{user}", &self.open_id(0));
        let mut cmd = self.cli();
        cmd.args(shlex::split(&line).expect("a well-quoted command line"));
        cmd
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn api_requests(&self) -> u64 {
        self.state.stats.api_requests.load(Ordering::Relaxed)
    }
}

/// The JSON summary a command prints when some users failed (exit code 5).
fn partial_summary(cmd: &mut Command) -> Value {
    let out = cmd.assert().code(5).get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

fn json_out(cmd: &mut Command) -> Value {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out)))
}

/// `feed-card broadcast` of a card to the users in a file.
fn broadcast<'a>(users_file: &'a str, card: &'a str) -> [&'a str; 6] {
    [
        "feed-card",
        "broadcast",
        "--users",
        users_file,
        "--card",
        card,
    ]
}

const CARD: &str = r#"{"elements":[{"tag":"markdown","content":"v1"}]}"#;

#[test]
fn every_command_works_against_the_server() {
    let s = Server::start(World::default_world());
    let token = json_out(s.cli().arg("token"));
    assert!(token["tenant_access_token"]
        .as_str()
        .unwrap()
        .starts_with("t-"));

    let created = json_out(&mut s.line(
        "feed-card create --user {user} --title 'Order 42' --link https://example.com/42 \
         --biz-id o-42",
    ));
    assert_eq!(created, json!({"biz_id": "o-42", "failed_cards": []}));
    let updated = json_out(
        &mut s.line("feed-card update --user {user} --biz-id o-42 --title Shipped --bump"),
    );
    assert_eq!(updated, json!({"failed_cards": []}));
    let deleted = json_out(s.cli().args([
        "feed-card",
        "delete",
        "--biz-id",
        "o-42",
        "--user",
        &s.open_id(0),
    ]));
    assert_eq!(deleted, json!({"failed_cards": []}));

    let chat = json_out(
        s.cli()
            .args(["chat", "create", "--name", "ops", "--user", &s.open_id(0)]),
    );
    let chat_id = chat["chat_id"].as_str().unwrap().to_string();
    json_out(
        s.cli()
            .args(["chat", "add-members", &chat_id, "--member", &s.open_id(1)]),
    );
    let members = json_out(s.cli().args(["chat", "members", &chat_id]));
    assert_eq!(members["member_total"], 2);
    let page = json_out(
        s.cli()
            .args(["chat", "members", &chat_id, "--page-size", "1"]),
    );
    assert_eq!(
        (page["items"].as_array().unwrap().len(), &page["has_more"]),
        (1, &json!(true))
    );
    let inside = json_out(s.cli().args(["chat", "is-in-chat", &chat_id]));
    assert_eq!(inside, json!({"is_in_chat": true}));
    let pinned =
        json_out(
            s.cli()
                .args(["feed-card", "pin-chat", &chat_id, "--user", &s.open_id(1)]),
        );
    assert_eq!(pinned["failed_user_reasons"], json!([]));
    let unpinned =
        json_out(
            s.cli()
                .args(["feed-card", "pin-bot", "--user", &s.open_id(1), "--off"]),
        );
    assert_eq!(unpinned["failed_user_reasons"], json!([]));
    let info = json_out(s.cli().args(["chat", "get", &chat_id]));
    assert_eq!(
        (&info["name"], &info["user_count"], &info["bot_count"]),
        (&json!("ops"), &json!("2"), &json!("1"))
    );
    let table = s
        .cli()
        .args(["chat", "members", &chat_id, "--format", "table"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(table).unwrap();
    assert!(
        table.contains("member_total  2") && table.contains("Alice Zhang"),
        "{table}"
    );

    let buttons = s.file("buttons.json", r#"[{"action_type":"url_page","text":{"text":"Open"},"multi_url":{"url":"https://example.com"}}]"#);
    let answer = json_out(s.cli().args([
        "chat-button",
        "update",
        "--chat",
        &chat_id,
        "--user",
        &s.open_id(0),
        "--buttons",
        &buttons,
    ]));
    assert_eq!(answer, json!({"failed_user_reasons": []}));

    let text =
        json_out(
            s.cli()
                .args(["message", "send", "--to", &s.open_id(0), "--text", "hello"]),
        );
    assert_eq!(text["msg_type"], "text");
    let card = s.file("card.json", CARD);
    let sent = json_out(s.cli().args([
        "message",
        "send",
        "--to",
        &chat_id,
        "--to-type",
        "chat_id",
        "--card",
        &card,
    ]));
    let id = sent["message_id"].as_str().unwrap().to_string();
    let v2 = s.file(
        "v2.json",
        r#"{"config":{"update_multi":true},"elements":[{"tag":"markdown","content":"v2"}]}"#,
    );
    json_out(s.cli().args(["message", "patch", &id, "--card", &v2]));
    let read = json_out(s.cli().args(["message", "get", &id]));
    assert_eq!(read["items"][0]["updated"], true);
    // A token no callback gave is refused by the server, with its code.
    s.cli()
        .args(["message", "update-card", "--token", "c-nope", "--card", &v2])
        .assert()
        .failure()
        .stderr(predicates::str::contains("token"));
    json_out(s.cli().args(["message", "recall", &id]));
    let read = json_out(s.cli().args(["message", "get", &id]));
    assert_eq!(read["items"][0]["deleted"], true);
}

#[test]
fn a_whole_body_comes_from_a_file_or_standard_input() {
    let s = Server::start(World::default_world());
    let body = json!({"app_feed_card": {"biz_id": "stdin", "title": "t", "link": {"link": "https://a.cn"}},
                      "user_ids": [s.open_id(1)]});
    let answer = json_out(
        s.cli()
            .args(["feed-card", "create", "--json", "-"])
            .write_stdin(body.to_string()),
    );
    assert_eq!(answer["biz_id"], "stdin");
    let path = s.file(
        "delete.json",
        &json!({"feed_cards": [{"biz_id": "stdin", "user_id": s.open_id(1)}]}).to_string(),
    );
    let answer = json_out(s.cli().args(["feed-card", "delete", "--json", &path]));
    assert_eq!(answer, json!({"failed_cards": []}));
}

#[test]
fn a_dry_run_prints_the_request_and_sends_nothing() {
    let s = Server::start(World::default_world());
    let plan = json_out(s.cli().args([
        "--dry-run",
        "feed-card",
        "create",
        "--user",
        "ou_x",
        "--title",
        "T",
        "--link",
        "https://a.cn",
    ]));
    assert_eq!(plan["method"], "POST");
    assert_eq!(
        plan["url"],
        format!(
            "{}/open-apis/im/v2/app_feed_card?user_id_type=open_id",
            s.base
        )
    );
    assert_eq!(
        plan["body"],
        json!({"app_feed_card": {"title": "T", "link": {"link": "https://a.cn"}}, "user_ids": ["ou_x"]})
    );
    let plan = json_out(s.cli().args(["message", "recall", "om_1", "--dry-run"]));
    assert_eq!(plan["method"], "DELETE");
    assert_eq!(s.api_requests(), 0);
    assert_eq!(s.state.stats.token_requests.load(Ordering::Relaxed), 0);
}

#[test]
fn exit_codes_tell_what_went_wrong() {
    let s = Server::start(World::default_world());
    // 3: breaks a rule, not sent.
    let long = "题".repeat(61);
    s.cli()
        .args([
            "feed-card",
            "create",
            "--user",
            "ou_x",
            "--title",
            &long,
            "--link",
            "https://a.cn",
        ])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("app_feed_card.title"));
    assert_eq!(s.api_requests(), 0);
    // 1: the API refused, with the code and log id.
    s.cli()
        .args(["message", "get", "om_unknown"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("230001").and(predicates::str::contains("log id")));
    // 5: done, but some users failed.
    let out = s
        .cli()
        .args([
            "feed-card",
            "create",
            "--user",
            "ou_nobody",
            "--link",
            "https://a.cn",
        ])
        .assert()
        .code(5)
        .get_output()
        .stdout
        .clone();
    let answer: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(answer["failed_cards"][0]["reason"], "NO_PERMISSION");
    // 6: no credentials.
    Command::cargo_bin("larkfeed")
        .unwrap()
        .env_clear()
        .args(["token"])
        .assert()
        .code(6)
        .stderr(predicates::str::contains("LARKFEED_APP_ID"));
    // 4: nobody listening.
    s.cli()
        .args([
            "--base-url",
            "http://127.0.0.1:9",
            "--retries",
            "0",
            "token",
        ])
        .assert()
        .code(4);
    // 2: a bad command line.
    s.cli().args(["feed-card", "frobnicate"]).assert().code(2);
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn a_profile_file_supplies_what_flags_and_environment_leave_out() {
    let s = Server::start(World::default_world());
    let app = &s.state.world.apps[1];
    let profiles = s.file(
        "profiles.toml",
        &format!(
            "[other]\nbase_url = \"{}\"\napp_id = \"{}\"\napp_secret = \"{}\"\n",
            s.base, app.app_id, app.app_secret
        ),
    );
    let mut cmd = Command::cargo_bin("larkfeed").unwrap();
    cmd.env_clear().env("LARKFEED_LOG", "warn").args([
        "--profiles",
        &profiles,
        "--profile",
        "other",
        "token",
    ]);
    let token = json_out(&mut cmd);
    assert!(token["tenant_access_token"]
        .as_str()
        .unwrap()
        .starts_with("t-"));
    // A missing profile is a configuration error.
    Command::cargo_bin("larkfeed")
        .unwrap()
        .env_clear()
        .args(["--profiles", &profiles, "--profile", "nope", "token"])
        .assert()
        .code(6)
        .stderr(predicates::str::contains("no profile [nope]"));
}

fn many_users(n: usize) -> World {
    let mut toml = String::from("[tenant]\nname = \"Broadcast\"\n[[apps]]\nname = \"Sender\"\n");
    for i in 0..n {
        toml += &format!("[[users]]\nname = \"User {i}\"\n");
    }
    World::from_toml(&toml).unwrap()
}

#[test]
fn a_broadcast_killed_midway_resumes_without_a_second_card() {
    // Rate limits off: the unpaced resume would otherwise meet the 10-a-second limit and retry,
    // and the request count below is about chunks sent twice, not about refused ones.
    let s = Server::start_with(many_users(300), false);
    let mut users: Vec<String> = (0..300).map(|u| s.open_id(u)).collect();
    users.push("ou_nobody".into());
    let users_file = s.file(
        "users.csv",
        &format!("open_id,name\n{}\n", users.join(",x\n")),
    );
    let card = s.file(
        "card.json",
        r#"{"title":"Maintenance tonight","link":{"link":"https://example.com/m"}}"#,
    );
    let app = &s.state.world.apps[0];
    let args = broadcast(&users_file, &card);

    // First run: stopped with SIGKILL after a few chunks.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("larkfeed"))
        .env("LARKFEED_BASE_URL", &s.base)
        .env("LARKFEED_APP_ID", app.app_id.as_str())
        .env("LARKFEED_APP_SECRET", &app.app_secret)
        .args(args)
        .args(["--rate", "4"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1300));
    child.kill().unwrap();
    child.wait().unwrap();
    let sent_before = s.api_requests();
    assert!(
        (2..16).contains(&sent_before),
        "killed midway, after {sent_before} requests"
    );

    // Second run: resumes from the journal, unpaced.
    // (Exit code 5: one user failed, ou_nobody.)
    let summary = partial_summary(s.cli().args(args).args(["--rate", "0"]));
    assert_eq!(summary["users"], 301);
    let earlier = summary["done_in_an_earlier_run"].as_u64().unwrap();
    let (created, dup) = (
        summary["created"].as_u64().unwrap(),
        summary["already_had_it"].as_u64().unwrap(),
    );
    assert!(earlier > 0, "{summary}");
    assert_eq!(earlier + created + dup + 1, 301, "{summary}");
    assert_eq!(summary["failed"], json!({"NO_PERMISSION": ["ou_nobody"]}));
    // 16 chunks in all; at most one was sent twice (the one in flight at the kill).
    assert!(s.api_requests() <= 17, "{} requests", s.api_requests());

    // Every user has exactly one card, with the journal's biz_id.
    let biz_id = summary["biz_id"].as_str().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for u in 0..300 {
        let user_id = s.state.world.users[u].user_id.clone();
        let cards = rt
            .block_on(s.state.store.feed_cards_of_user(&app.app_id, &user_id))
            .unwrap();
        assert_eq!(cards.len(), 1, "user {u}");
        assert_eq!(cards[0].biz_id, biz_id);
    }
    // A third run finds nothing left to do.
    let again = partial_summary(s.cli().args(args));
    assert_eq!(again["done_in_an_earlier_run"], 301);
    assert_eq!(again["created"], 0);
}

#[test]
fn a_broadcast_with_requests_in_parallel_gives_everyone_one_card() {
    let s = Server::start_with(many_users(300), false);
    let users: Vec<String> = (0..300).map(|u| s.open_id(u)).collect();
    let users_file = s.file("users.txt", &users.join("\n"));
    let card = s.file(
        "card.json",
        r#"{"title":"t","link":{"link":"https://example.com/m"}}"#,
    );
    let out = s
        .cli()
        .args(broadcast(&users_file, &card))
        .args(["--rate", "0", "--concurrency", "8"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let summary: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(summary["created"], 300, "{summary}");
    assert_eq!(s.api_requests(), 15, "each chunk once");
    let journal = std::fs::read_to_string(format!("{users_file}.journal")).unwrap();
    assert_eq!(journal.lines().count(), 16, "a header and a line per chunk");
    let app_id = s.state.world.apps[0].app_id.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for u in 0..300 {
        let user_id = s.state.world.users[u].user_id.clone();
        let cards = rt
            .block_on(s.state.store.feed_cards_of_user(&app_id, &user_id))
            .unwrap();
        assert_eq!(cards.len(), 1, "user {u}");
    }
}

#[test]
fn a_broadcast_dry_run_shows_the_plan() {
    let s = Server::start(World::default_world());
    let users = s.file("u.txt", "ou_a\nou_b\n\n# comment\nou_a\n");
    let card = s.file(
        "c.json",
        r#"{"biz_id":"b-1","link":{"link":"https://a.cn"}}"#,
    );
    let plan = json_out(s.cli().args([
        "feed-card",
        "broadcast",
        "--users",
        &users,
        "--card",
        &card,
        "--dry-run",
    ]));
    assert_eq!(plan["users"], 2);
    assert_eq!(plan["requests"], 1);
    assert_eq!(
        plan["first_request"]["body"]["user_ids"],
        json!(["ou_a", "ou_b"])
    );
    assert_eq!(s.api_requests(), 0);
}

#[test]
fn the_cli_talks_to_the_local_server_unless_told_otherwise() {
    let dry_run_url = |extra: &[&str]| {
        let out = Command::cargo_bin("larkfeed")
            .unwrap()
            .env_clear()
            .env("LARKFEED_APP_ID", "cli_x")
            .env("LARKFEED_APP_SECRET", "s")
            .args(extra)
            .args(["token", "--dry-run"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let plan: Value = serde_json::from_slice(&out).unwrap();
        plan["url"].as_str().unwrap().to_string()
    };
    assert!(dry_run_url(&[]).starts_with("http://127.0.0.1:8980/"));
    assert!(dry_run_url(&["--base-url", "feishu"]).starts_with("https://open.feishu.cn/"));
    assert!(dry_run_url(&["--base-url", "lark"]).starts_with("https://open.larksuite.com/"));
    // Nobody listening: the message says so and what to do.
    Command::cargo_bin("larkfeed")
        .unwrap()
        .env_clear()
        .args(["--base-url", "http://127.0.0.1:9", "--retries", "0"])
        .args(["--app-id", "cli_x", "--app-secret", "s", "token"])
        .assert()
        .code(4)
        .stderr(
            predicates::str::contains("cannot reach the server at http://127.0.0.1:9")
                .and(predicates::str::contains("larkfeed serve")),
        );
}

#[test]
fn the_admin_commands_act_log_fault_save_load_and_reset() {
    let s = Server::start(World::default_world());
    let app_id = s.state.world.apps[0].app_id.clone();
    let sent = json_out(&mut s.line(&format!(
        "act send-message --user {{user}} --to-app {app_id} --text hello"
    )));
    // No event_url: stored, nothing delivered.
    assert_eq!(sent["delivered"], false, "{sent}");
    let message_id = sent["applied"]["message_id"].as_str().unwrap().to_string();
    assert!(message_id.starts_with("om_"));

    let fault = json_out(s.cli().args([
        "faults",
        "add",
        "--path",
        "/open-apis/im/v1/messages/*",
        "--code",
        "230110",
        "--times",
        "1",
    ]));
    assert_eq!(fault["times"], 1);
    let listed = json_out(s.cli().args(["faults", "list"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    s.cli()
        .args(["message", "get", &message_id, "--retries", "0"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("230110"));
    json_out(s.cli().args(["message", "get", &message_id]));
    let logged = json_out(s.cli().args([
        "requests",
        "--path",
        "/open-apis/im/v1/messages/*",
        "--limit",
        "5",
    ]));
    let codes: Vec<_> = logged
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].clone())
        .collect();
    assert_eq!(codes, vec![json!(0), json!(230110)]);

    let saved = s.dir.path().join("state.json");
    s.cli()
        .args(["state", "save", saved.to_str().unwrap()])
        .assert()
        .success();
    s.cli().arg("reset").assert().success();
    s.cli()
        .args(["message", "get", &message_id, "--retries", "0"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("230001"));
    s.cli()
        .args(["state", "load", saved.to_str().unwrap()])
        .assert()
        .success();
    let got = json_out(s.cli().args(["message", "get", &message_id]));
    assert_eq!(got["items"][0]["sender"]["sender_type"], "user", "{got}");

    let bad = s.file("bad.json", "{\"version\": 1, \"tables\": {\"nope\": []}}");
    s.cli()
        .args(["state", "load", &bad])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("nope"));
}

/// Running a finished broadcast again says that nothing was sent and why; `--fresh` starts over.
#[test]
fn a_broadcast_run_again_says_it_sent_nothing_and_fresh_starts_over() {
    let s = Server::start_with(many_users(30), false);
    let users: Vec<String> = (0..30).map(|u| s.open_id(u)).collect();
    let users_file = s.file("users.txt", &users.join("\n"));
    let card = s.file(
        "card.json",
        r#"{"title":"t","link":{"link":"https://example.com/m"}}"#,
    );
    let args = broadcast(&users_file, &card);
    let first = json_out(s.cli().args(args).args(["--rate", "0"]));
    assert_eq!(first["created"], 30, "{first}");
    assert_eq!(first["resumed"], Value::Null, "{first}");
    let out = s
        .cli()
        .args(args)
        .args(["--rate", "0"])
        .assert()
        .success()
        .get_output()
        .clone();
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["created"], 0, "{again}");
    let note = again["resumed"].as_str().unwrap_or_default();
    assert!(
        note.contains("nothing was sent") && note.contains("--fresh"),
        "{again}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was sent"));
    let fresh = json_out(s.cli().args(args).args(["--rate", "0", "--fresh"]));
    assert_eq!(fresh["created"], 30, "{fresh}");
    assert_eq!(fresh["done_in_an_earlier_run"], 0, "{fresh}");
    assert_ne!(fresh["biz_id"], first["biz_id"], "a new card");
}

/// `larkfeed tenant create|reset|delete`, and `--tenant KEY` pointing the admin commands at it;
/// the tenant's app works with its own credentials and nothing else.
#[test]
fn a_tenant_is_made_used_and_deleted_from_the_cli() {
    let s = Server::start(World::default_world());
    let made = json_out(s.cli().args(["tenant", "create"]));
    let key = made["tenant_key"].as_str().unwrap().to_string();
    let app = &made["apps"][0];
    let alice = app["users"][0]["open_id"].as_str().unwrap();
    let sent = json_out(
        s.cli()
            .env("LARKFEED_APP_ID", app["app_id"].as_str().unwrap())
            .env("LARKFEED_APP_SECRET", app["app_secret"].as_str().unwrap())
            .args(["message", "send", "--to", alice, "--text", "hi"]),
    );
    assert!(
        sent["message_id"].as_str().unwrap().starts_with("om_"),
        "{sent}"
    );
    let theirs = json_out(s.cli().args(["--tenant", &key, "requests"]));
    assert!(
        theirs.to_string().contains(app["app_id"].as_str().unwrap()),
        "{theirs}"
    );
    let ours = json_out(s.cli().args(["requests"]));
    assert!(!ours.to_string().contains(app["app_id"].as_str().unwrap()));
    let listed = json_out(s.cli().args(["tenant", "list"]));
    assert_eq!(listed["items"][0]["tenant_key"], json!(key), "{listed}");
    let table = s
        .cli()
        .args(["tenant", "list", "--format", "table"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains(&key) && table.contains(app["app_id"].as_str().unwrap()),
        "{table}"
    );
    s.cli().args(["tenant", "reset", &key]).assert().success();
    s.cli().args(["tenant", "delete", &key]).assert().success();
    let listed = json_out(s.cli().args(["tenant", "list"]));
    assert_eq!(listed["items"], json!([]), "{listed}");
    s.cli()
        .args(["--tenant", &key, "requests"])
        .assert()
        .failure();
}

/// `larkfeed act remove-bot` and `act add-bot`: a member takes the app's bot out of a group, the
/// app no longer sees the group, and puts it back.
#[test]
fn a_member_takes_the_bot_out_of_a_group_and_puts_it_back() {
    let s = Server::start(World::default_world());
    let app_id = s.state.world.apps[0].app_id.clone();
    let chat = json_out(
        s.cli()
            .args(["chat", "create", "--name", "ops", "--user", &s.open_id(0)]),
    );
    let chat_id = chat["chat_id"].as_str().unwrap().to_string();
    let removed = json_out(&mut s.line(&format!(
        "act remove-bot --user {{user}} --chat-id {chat_id} --app {app_id}"
    )));
    assert_eq!(removed["applied"]["removed"], true, "{removed}");
    s.cli()
        .args(["chat", "get", &chat_id, "--retries", "0"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("232011"));
    let added = json_out(&mut s.line(&format!(
        "act add-bot --user {{user}} --chat-id {chat_id} --app {app_id}"
    )));
    assert_eq!(added["applied"]["added"], true, "{added}");
    let inside = json_out(s.cli().args(["chat", "is-in-chat", &chat_id]));
    assert_eq!(inside, json!({"is_in_chat": true}));
    // The other acts' `--app` reads as the app named, beside the connection's own app id.
    let clicked = s
        .line(&format!(
            "act chat-button --user {{user}} --chat-id {chat_id} --app {app_id}"
        ))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&clicked.stderr);
    assert!(!said.contains("panicked"), "{said}");
    assert_eq!(clicked.status.code(), Some(1), "{said}");
}
