use larkfeed_server::clock::Clock;
use larkfeed_server::state::AppState;
use larkfeed_server::world::{App, World};
use larkfeed_server::{Application, Config};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;

pub struct TestApp {
    /// With `LARKFEED_TEST_BACKEND=postgres`: the schema this test's data lives in.
    pub _schema: Option<Arc<larkfeed_server::store::postgres::TestSchema>>,
    pub base: String,
    pub http: reqwest::Client,
    pub state: AppState,
    /// The platform's side: deliveries, timers, long connections.
    pub platform: larkfeed_server::platform::PlatformState,
    pub clock: Clock,
    pub db_path: String,
    pub _dir: Arc<tempfile::TempDir>,
}

/// The answer to one call: status, headers and the JSON body.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Sends the request and reads its answer, which must be JSON.
    pub async fn of(req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("request reaches the server");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn code(&self) -> i64 {
        self.body["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no code in {}", self.body))
    }
    pub fn msg(&self) -> &str {
        self.body["msg"].as_str().unwrap_or_default()
    }
    #[track_caller]
    pub fn assert_ok(&self) -> &Value {
        assert_eq!((self.status, self.code()), (200, 0), "{}", self.body);
        &self.body["data"]
    }
    /// Asserts the code, the HTTP 400 status, and that the message names `field`.
    #[track_caller]
    pub fn assert_invalid(&self, code: i64, field: &str) {
        assert_eq!((self.status, self.code()), (400, code), "{}", self.body);
        assert!(
            self.msg().contains(field),
            "message {:?} does not name {field}",
            self.msg()
        );
        assert_eq!(
            self.body["error"]["field_violations"][0]["field"],
            json!(field),
            "{}",
            self.body
        );
    }
    #[track_caller]
    pub fn assert_code(&self, status: u16, code: i64) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.body);
    }

    /// The answer is this error, and its message mentions `what`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: i64, what: &str) {
        self.assert_code(status, code);
        assert!(
            self.msg().contains(what),
            "{what:?} not in {:?}",
            self.msg()
        );
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(World::default_world(), true).await
}

/// Where a test's data lives: a fresh SQLite file, or with `LARKFEED_TEST_BACKEND=postgres` a
/// fresh schema on the test PostgreSQL (one switch for every API test).
fn fresh_database(
    dir: &tempfile::TempDir,
) -> (
    String,
    Option<Arc<larkfeed_server::store::postgres::TestSchema>>,
) {
    if std::env::var("LARKFEED_TEST_BACKEND").as_deref() == Ok("postgres") {
        let schema = larkfeed_server::store::postgres::TestSchema::new();
        (schema.database(), Some(Arc::new(schema)))
    } else {
        (dir.path().join("test.db").display().to_string(), None)
    }
}

pub async fn spawn_with(world: World, rate_limits: bool) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let (db_path, schema) = fresh_database(&dir);
    let mut app = spawn_on(world, rate_limits, &db_path, dir, Clock::system()).await;
    app._schema = schema;
    app
}

pub async fn spawn_on(
    world: World,
    rate_limits: bool,
    db_path: &str,
    dir: Arc<tempfile::TempDir>,
    clock: Clock,
) -> TestApp {
    spawn_configured(world, rate_limits, db_path, dir, clock, Default::default()).await
}

/// A server with the given connection limits (timeouts, connection cap).
pub async fn spawn_limited(limits: larkfeed_server::startup::ConnectionLimits) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let (db_path, schema) = fresh_database(&dir);
    let world = World::default_world();
    let mut app = spawn_configured(world, true, &db_path, dir, Clock::system(), limits).await;
    app._schema = schema;
    app
}

async fn spawn_configured(
    world: World,
    rate_limits: bool,
    db_path: &str,
    dir: Arc<tempfile::TempDir>,
    clock: Clock,
    limits: larkfeed_server::startup::ConnectionLimits,
) -> TestApp {
    let mut config = Config::new(db_path);
    config.limits = limits;
    config.port = 0;
    config.world = world;
    config.rate_limits = rate_limits;
    config.clock = clock.clone();
    let app = Application::bind(config).await.expect("server starts");
    let base = app.base_url();
    let state = app.state().clone();
    let platform = app.platform_state().clone();
    tokio::spawn(app.run());
    TestApp {
        _schema: None,
        base,
        http: reqwest::Client::new(),
        state,
        platform,
        clock,
        db_path: db_path.to_string(),
        _dir: dir,
    }
}

impl TestApp {
    /// Moves the server's clock by `ms` and waits until every timer then due (an event's
    /// retries) has run: what did not happen by then will not happen at this time.
    pub async fn advance_and_settle(&self, ms: i64) {
        self.clock.advance_ms(ms);
        self.platform.platform.timers.settled(&self.clock).await;
    }

    /// The same database and clock, served by a new server (a restart).
    pub async fn restart(&self) -> TestApp {
        let mut app = spawn_on(
            (*self.state.world).clone(),
            true,
            &self.db_path,
            self._dir.clone(),
            self.clock.clone(),
        )
        .await;
        app._schema = self._schema.clone();
        app
    }

    pub fn world(&self) -> &World {
        &self.state.world
    }

    pub fn app(&self, i: usize) -> &App {
        &self.state.world.apps[i]
    }

    /// User `u` as app `a` sees them (open_id).
    pub fn open_id(&self, a: usize, u: usize) -> String {
        let w = self.world();
        w.open_id(&w.apps[a], &w.users[u])
    }

    pub fn union_id(&self, a: usize, u: usize) -> String {
        let w = self.world();
        w.union_id(&w.apps[a], &w.users[u])
    }

    pub fn user_id(&self, u: usize) -> String {
        self.world().users[u].user_id.to_string()
    }

    /// User `u` as the store keys them.
    pub fn user_key(&self, u: usize) -> larkfeed_model::UserId {
        self.world().users[u].user_id.clone()
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        Answer::of(self.request(method, path, token, body)).await
    }

    /// A request to this server, not sent yet.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req
    }

    /// App `a` sends a message of `msg_type` to a chat.
    pub async fn send_to_chat(
        &self,
        a: usize,
        chat: &str,
        msg_type: &str,
        content: &str,
    ) -> Answer {
        let body = json!({"receive_id": chat, "msg_type": msg_type, "content": content});
        self.post(a, "/open-apis/im/v1/messages?receive_id_type=chat_id", body)
            .await
    }

    /// App `a` reads a message.
    pub async fn get_message(&self, a: usize, id: &str) -> Answer {
        self.get(a, &format!("/open-apis/im/v1/messages/{id}"))
            .await
    }

    /// A message read with this token (one kept from before a restart or a reset).
    pub async fn get_message_with(&self, token: &str, id: &str) -> Answer {
        let path = format!("/open-apis/im/v1/messages/{id}");
        self.raw(Method::GET, &path, Some(token), None).await
    }

    /// App `a` replaces a card message's content.
    pub async fn patch_message(&self, a: usize, id: &str, content: &str) -> Answer {
        let body = json!({"content": content});
        let path = format!("/open-apis/im/v1/messages/{id}");
        self.call(a, Method::PATCH, &path, Some(body)).await
    }

    /// App `a` recalls a message.
    pub async fn recall_message(&self, a: usize, id: &str) -> Answer {
        let path = format!("/open-apis/im/v1/messages/{id}");
        self.call(a, Method::DELETE, &path, None).await
    }

    /// A GET with no token, as larkfeed's own `/_larkfeed/` routes take it.
    /// Changes app `a`'s settings (callback and event URLs, keys) through the admin API.
    pub async fn set_app(&self, a: usize, settings: Value) -> Answer {
        let path = format!("/_larkfeed/apps/{}", self.app(a).app_id);
        self.raw(Method::PUT, &path, None, Some(settings)).await
    }

    /// `DELETE /_larkfeed/tenants/{key}`, answered as it is.
    pub async fn delete_tenant(&self, key: &str) -> Answer {
        let path = format!("/_larkfeed/tenants/{key}");
        self.raw(Method::DELETE, &path, None, None).await
    }

    /// `POST /_larkfeed/act/<name>`: what a user does.
    pub async fn act(&self, name: &str, body: Value) -> Answer {
        let path = format!("/_larkfeed/act/{name}");
        self.raw(Method::POST, &path, None, Some(body)).await
    }

    pub async fn admin_get(&self, path: &str) -> Answer {
        self.raw(Method::GET, path, None, None).await
    }

    /// A POST of `body` as it is, with no Content-Type (as the Python SDK sends its token
    /// request), and the token when given.
    pub async fn post_text(&self, path: &str, token: Option<&str>, body: String) -> Answer {
        let mut req = self.http.post(format!("{}{path}", self.base)).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Answer::of(req).await
    }

    pub async fn token(&self, a: usize) -> String {
        let app = self.app(a);
        let answer = self
            .raw(
                Method::POST,
                "/open-apis/auth/v3/tenant_access_token/internal",
                None,
                Some(json!({"app_id": app.app_id, "app_secret": app.app_secret})),
            )
            .await;
        assert_eq!(answer.code(), 0, "{}", answer.body);
        answer.body["tenant_access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A call as app `a`, with a fresh token.
    pub async fn call(&self, a: usize, method: Method, path: &str, body: Option<Value>) -> Answer {
        let token = self.token(a).await;
        self.raw(method, path, Some(&token), body).await
    }

    /// A GET as app `a`, with a fresh token.
    pub async fn get(&self, a: usize, path: &str) -> Answer {
        self.call(a, Method::GET, path, None).await
    }

    /// A POST of `body` as app `a`, with a fresh token.
    pub async fn post(&self, a: usize, path: &str, body: Value) -> Answer {
        self.call(a, Method::POST, path, Some(body)).await
    }

    /// Seed 003's card, created by app `a` for user `u` (by open_id).
    pub async fn seed_card_for(&self, a: usize, u: usize) -> Answer {
        let body = seed_feed_card(&[self.open_id(a, u)]);
        self.post(
            a,
            "/open-apis/im/v2/app_feed_card?user_id_type=open_id",
            body,
        )
        .await
    }

    /// Seed 003's card for user `u` (by app 0's open_id), sent with `token`.
    pub async fn seed_card_with(&self, token: &str, u: usize) -> Answer {
        let body = seed_feed_card(&[self.open_id(0, u)]);
        let path = "/open-apis/im/v2/app_feed_card";
        self.raw(Method::POST, path, Some(token), Some(body)).await
    }

    /// How many cards of app `a` the store holds for user `u`.
    pub async fn stored_cards(&self, a: usize, u: usize) -> usize {
        let (app, user) = (&self.app(a).app_id, self.user_key(u));
        self.state
            .store
            .feed_cards_of_user(app, &user)
            .await
            .unwrap()
            .len()
    }

    /// The server's change feed (`/_larkfeed/events`), open.
    pub async fn change_feed(&self) -> reqwest::Response {
        let url = format!("{}/_larkfeed/events", self.base);
        self.http.get(url).send().await.unwrap()
    }

    /// A group chat created by app `a` with the given users (indexes into the world's users).
    pub async fn group(&self, a: usize, users: &[usize]) -> String {
        let ids: Vec<String> = users.iter().map(|&u| self.open_id(a, u)).collect();
        let answer = self
            .call(
                a,
                Method::POST,
                "/open-apis/im/v1/chats",
                Some(json!({"name": "team", "user_id_list": ids})),
            )
            .await;
        answer.assert_ok()["chat_id"].as_str().unwrap().to_string()
    }
}

/// The seed's card (003), for the given users.
pub fn seed_feed_card(user_ids: &[String]) -> Value {
    json!({
        "app_feed_card": {
            "biz_id": "096e2927-40a6-41a3-9562-314d641d09ae",
            "title": "主标题",
            "avatar_key": "v3_0041_007bca9f-67ba-4199-bf00-4031b12cf226",
            "preview": "预览信息",
            "status_label": {"text": "标签文字", "type": "primary"},
            "buttons": {"buttons": [seed_button()]},
            "link": {"link": "https://www.feishu.cn/"},
            "time_sensitive": false,
            "notify": {"close_notify": true, "custom_sound_text": "您有新的订单", "with_custom_sound": true}
        },
        "user_ids": user_ids,
    })
}

pub fn seed_button() -> Value {
    json!({
        "multi_url": {
            "url": "https://www.feishu.cn/",
            "android_url": "https://www.feishu.cn/",
            "ios_url": "https://www.feishu.cn/",
            "pc_url": "https://www.feishu.cn/"
        },
        "action_type": "url_page",
        "text": {"text": "文本"},
        "button_type": "default",
        "action_map": {"foo": "bar"}
    })
}

/// Seed 002's card content.
pub const SEED_CARD: &str = r#"{"elements":[{"tag":"div","text":{"content":"This is the plain text","tag":"plain_text"}}],"header":{"template":"blue","title":{"content":"This is the title","tag":"plain_text"}}}"#;

/// A world where app 0 lacks some scopes and app 1 has its bot off.
pub fn restricted_world() -> World {
    World::from_toml(
        r#"
[tenant]
name = "Restricted"
[[users]]
name = "Ann"
[[users]]
name = "Ben"
[[apps]]
name = "No Scopes"
scopes = ["im:chat"]
[[apps]]
name = "No Bot"
bot = false
"#,
    )
    .unwrap()
}

impl TestApp {
    /// The entries of a user's feed (`GET /_larkfeed/users/:id/feed`).
    pub async fn feed(&self, id: &str) -> Vec<Value> {
        let answer = self.admin_get(&format!("/_larkfeed/users/{id}/feed")).await;
        answer.assert_ok()["entries"].as_array().unwrap().clone()
    }

    /// Freezes the clock at the start of a minute, so per-second and per-minute windows are whole.
    pub fn freeze_at_a_minute(&self) {
        self.clock.freeze();
        let now = self.clock.now_ms();
        self.clock.set_ms(now - now.rem_euclid(60_000) + 60_000);
    }
}

/// Another client holding the database's write lock, until [`WriteBlock::release`].
pub enum WriteBlock {
    Sqlite(rusqlite::Connection),
    Postgres(tokio_postgres::Client),
}

impl WriteBlock {
    pub async fn release(self) {
        match self {
            WriteBlock::Sqlite(c) => c.execute_batch("ROLLBACK").unwrap(),
            WriteBlock::Postgres(c) => c.batch_execute("ROLLBACK").await.unwrap(),
        }
    }
}

impl TestApp {
    /// Opens a second client on this test's database and takes the lock every write needs.
    pub async fn block_writes(&self) -> WriteBlock {
        match &self._schema {
            None => {
                let other = rusqlite::Connection::open(&self.db_path).unwrap();
                other.execute_batch("BEGIN IMMEDIATE").unwrap();
                WriteBlock::Sqlite(other)
            }
            Some(schema) => {
                let (client, conn) = tokio_postgres::connect(&schema.url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                client
                    .batch_execute(&format!(
                        "SET search_path TO {}; BEGIN; \
                         LOCK TABLE feed_card_contents IN ACCESS EXCLUSIVE MODE",
                        schema.name
                    ))
                    .await
                    .unwrap();
                WriteBlock::Postgres(client)
            }
        }
    }

    /// Every byte the database holds about tokens: the SQLite file and its WAL, or the
    /// PostgreSQL `access_tokens` rows.
    pub async fn stored_token_bytes(&self) -> Vec<u8> {
        match &self._schema {
            None => {
                let mut stored = std::fs::read(&self.db_path).unwrap();
                stored.extend(std::fs::read(format!("{}-wal", self.db_path)).unwrap_or_default());
                stored
            }
            Some(schema) => {
                let (client, conn) = tokio_postgres::connect(&schema.url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let rows = client
                    .query(
                        &format!(
                            "SELECT token_hash || app_id || sealed FROM {}.access_tokens",
                            schema.name
                        ),
                        &[],
                    )
                    .await
                    .unwrap();
                rows.iter()
                    .flat_map(|r| r.get::<_, String>(0).into_bytes())
                    .collect()
            }
        }
    }
}

/// Reads a server-sent event stream until an event named `name` has come (within 5 s); the text
/// read so far.
/// Sends the requests at once (a barrier releases them together) and answers in their order.
pub async fn race(requests: Vec<reqwest::RequestBuilder>) -> Vec<Answer> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|req| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                Answer::of(req).await
            })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

pub async fn until_event(stream: &mut reqwest::Response, name: &str) -> String {
    let mut text = String::new();
    while !text.contains(&format!("event: {name}")) {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("{name} within 5 s; read so far: {text}"))
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

// ---- an app that receives deliveries ----

use axum::extract::State;
use axum::Json;
use std::sync::Mutex;
use std::time::Duration;

/// How a [`FakeApp`] answers.
#[derive(Clone)]
pub enum Mode {
    Answer(Value),
    Status(u16),
    Slow(Duration),
}

/// A plain axum app on loopback that answers URL checks and keeps every other body it gets.
#[derive(Clone)]
pub struct FakeApp {
    pub url: String,
    seen: Arc<Mutex<Vec<Value>>>,
    mode: Arc<Mutex<Mode>>,
}

impl FakeApp {
    pub async fn start(mode: Mode) -> FakeApp {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mode = Arc::new(Mutex::new(mode));
        let shared = (seen.clone(), mode.clone());
        let router = axum::Router::new()
            .route("/hook", axum::routing::post(answer))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        FakeApp { url, seen, mode }
    }

    pub fn seen(&self) -> Vec<Value> {
        self.seen.lock().unwrap().clone()
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

type Shared = (Arc<Mutex<Vec<Value>>>, Arc<Mutex<Mode>>);

async fn answer(
    State((seen, mode)): State<Shared>,
    Json(body): Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if body["type"] == "url_verification" {
        return Json(json!({"challenge": body["challenge"]})).into_response();
    }
    seen.lock().unwrap().push(body);
    let mode = mode.lock().unwrap().clone();
    match mode {
        Mode::Answer(v) => Json(v).into_response(),
        Mode::Status(s) => axum::http::StatusCode::from_u16(s).unwrap().into_response(),
        Mode::Slow(d) => {
            tokio::time::sleep(d).await;
            Json(json!({})).into_response()
        }
    }
}
