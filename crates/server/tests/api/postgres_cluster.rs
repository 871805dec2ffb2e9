//! Several instances on one PostgreSQL database behave as one platform: tokens, cards, the
//! clock, rate limits, uuid de-duplication, faults, reset and the event stream are shared. These
//! tests need PostgreSQL (`LARKFEED_TEST_POSTGRES`); `scripts/test` leaves them out, saying so,
//! when none answers.

use crate::helpers::*;
use larkfeed_server::clock::Clock;
use larkfeed_server::store::postgres::TestSchema;
use larkfeed_server::world::World;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

/// `n` instances on one fresh schema, each with a clock of its own.
async fn instances(n: usize, rate_limits: bool) -> Vec<TestApp> {
    let schema = Arc::new(TestSchema::new());
    let mut apps = Vec::new();
    for _ in 0..n {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let mut app = spawn_on(
            World::default_world(),
            rate_limits,
            &schema.database(),
            dir,
            Clock::system(),
        )
        .await;
        app._schema = Some(schema.clone());
        apps.push(app);
    }
    apps
}

async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} never happened");
}

#[tokio::test]
async fn postgres_tokens_cards_and_the_clock_are_one_across_instances() {
    let nodes = instances(2, true).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let token = a.token(0).await;
    let body = seed_feed_card(&[a.open_id(0, 0)]);
    b.raw(
        Method::POST,
        "/open-apis/im/v2/app_feed_card?user_id_type=open_id",
        Some(&token),
        Some(body),
    )
    .await
    .assert_ok();
    let update = json!({"feed_cards": [{
        "app_feed_card": {"biz_id": "096e2927-40a6-41a3-9562-314d641d09ae", "title": "from a"},
        "user_id": a.open_id(0, 0), "update_fields": ["1"],
    }]});
    a.raw(
        Method::PUT,
        "/open-apis/im/v2/app_feed_card/batch?user_id_type=open_id",
        Some(&token),
        Some(update),
    )
    .await
    .assert_ok();
    let feed = b.feed(&b.user_id(0)).await;
    assert_eq!(feed[0]["card"]["title"], "from a");

    a.admin_post(
        "/_larkfeed/clock",
        json!({"advance_ms": 86_400_000i64 * 20}),
    )
    .await;
    let target = a.clock.now_ms();
    eventually("the clock move reaching the other instance", || async {
        (b.clock.now_ms() - target).abs() < 5_000
    })
    .await;
    // A third instance started later takes the moved clock too.
    let c = spawn_on(
        World::default_world(),
        true,
        &b.db_path,
        b._dir.clone(),
        Clock::system(),
    )
    .await;
    assert!((c.clock.now_ms() - a.clock.now_ms()).abs() < 5_000);
}

#[tokio::test]
async fn postgres_rate_limits_hold_across_three_instances() {
    let nodes = Arc::new(instances(3, true).await);
    nodes[0]
        .admin_post("/_larkfeed/clock", json!({"frozen": true}))
        .await;
    let frozen = nodes[0].clock.now_ms();
    eventually("every instance frozen", || async {
        nodes
            .iter()
            .all(|n| n.clock.is_frozen() && n.clock.now_ms() == frozen)
    })
    .await;
    let token = nodes[0].token(0).await;
    let path = "/open-apis/im/v2/app_feed_card?user_id_type=open_id";
    let requests = (0..50)
        .map(|i| {
            let node = &nodes[i % 3];
            let mut body = seed_feed_card(&[node.open_id(0, 0)]);
            body["app_feed_card"]["biz_id"] = json!(format!("limit-{i}"));
            node.request(Method::POST, path, Some(&token), Some(body))
        })
        .collect();
    let statuses: Vec<u16> = race(requests).await.iter().map(|a| a.status).collect();
    let passed = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(
        passed, 10,
        "10 a second per app, whichever instance: {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 40);
}

#[tokio::test]
async fn postgres_fifty_sends_with_one_uuid_through_two_instances_store_one_message() {
    let nodes = Arc::new(instances(2, false).await);
    let token = nodes[0].token(0).await;
    let path = "/open-apis/im/v1/messages?receive_id_type=open_id";
    let requests = (0..50)
        .map(|i| {
            let node = &nodes[i % 2];
            let body = json!({"receive_id": node.open_id(0, 0), "msg_type": "text",
                              "content": "{\"text\":\"once\"}", "uuid": "one-uuid"});
            node.request(Method::POST, path, Some(&token), Some(body))
        })
        .collect();
    let ids: std::collections::HashSet<String> = race(requests)
        .await
        .iter()
        .map(|a| a.assert_ok()["message_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
}

#[tokio::test]
async fn postgres_a_change_through_one_instance_reaches_the_event_stream_of_another() {
    let nodes = instances(2, true).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut stream = b.change_feed().await;
    a.seed_card_for(0, 0).await.assert_ok();
    until_event(&mut stream, "feed_card.created").await;
}

#[tokio::test]
async fn postgres_faults_and_reset_on_one_instance_hold_on_the_other() {
    let nodes = instances(2, false).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let token = a.token(0).await;
    let path = "/open-apis/im/v1/messages?receive_id_type=open_id";
    let to = a.open_id(0, 0);
    let body = json!({"receive_id": to, "msg_type": "text", "content": "{\"text\":\"hi\"}"});
    // a sends "hi" to its first user.
    let send_hi = async || {
        a.raw(Method::POST, path, Some(&token), Some(body.clone()))
            .await
    };
    // A fault added on b fails a call on a.
    b.admin_post(
        "/_larkfeed/faults",
        json!({"path": "/open-apis/im/v1/messages", "code": 230020, "times": 1}),
    )
    .await;
    eventually("the fault reaching the other instance", || async {
        a.admin_get("/_larkfeed/faults").await.body["items"]
            .as_array()
            .is_some_and(|f| f.len() == 1)
    })
    .await;
    send_hi().await.assert_code(400, 230020);
    // a remembers the one-to-one chat it opens; a reset on b makes it forget.
    let first = send_hi().await;
    let old_chat = first.assert_ok()["chat_id"].as_str().unwrap().to_string();
    assert!(!a.state.caches.p2p_chats.is_empty());
    b.admin_post("/_larkfeed/reset", Value::Null).await;
    eventually("the reset's note reaching the other instance", || async {
        a.state.caches.p2p_chats.is_empty()
    })
    .await;
    let again = send_hi().await;
    let new_chat = again.assert_ok()["chat_id"].as_str().unwrap().to_string();
    assert_ne!(new_chat, old_chat, "the old chat is gone with the reset");
    let feed = a.feed(&a.user_id(0)).await;
    assert!(
        feed.iter().any(|e| e["chat_id"] == json!(new_chat)),
        "{feed:?}"
    );
}

impl TestApp {
    async fn admin_post(&self, path: &str, body: Value) -> Answer {
        let body = if body.is_null() { None } else { Some(body) };
        let a = self.raw(Method::POST, path, None, body).await;
        assert_eq!(a.status, 200, "{}", a.body);
        a
    }
}

#[tokio::test]
async fn postgres_connections_killed_under_load_lose_no_acknowledged_write() {
    let nodes = Arc::new(instances(2, false).await);
    let token = nodes[0].token(0).await;
    let schema = nodes[0]._schema.clone().unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (nodes, token, stop) = (nodes.clone(), token.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let node = &nodes[(w + i) % 2];
                let biz_id = format!("load-{w}-{i}");
                let mut body = seed_feed_card(&[node.open_id(0, 0)]);
                body["app_feed_card"]["biz_id"] = json!(biz_id);
                let a = node
                    .raw(
                        Method::POST,
                        "/open-apis/im/v2/app_feed_card?user_id_type=open_id",
                        Some(&token),
                        Some(body),
                    )
                    .await;
                answers.push((biz_id, a.status, a.body["code"].clone()));
                i += 1;
            }
            answers
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Every connection of these instances is cut, as a database restart would.
    let (killer, conn) = tokio_postgres::connect(&schema.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let killed = killer
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&format!("larkfeed:{}", schema.name)],
        )
        .await
        .unwrap();
    assert!(!killed.is_empty(), "there were connections to cut");
    let cut_at = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(600)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answers = Vec::new();
    for w in writers {
        answers.extend(w.await.unwrap());
    }
    // Every answer is the envelope: success, or 1500 while the connections were gone.
    for (biz_id, status, code) in &answers {
        assert!(
            (*status == 200 && *code == json!(0)) || (*status == 500 && *code == json!(1500)),
            "{biz_id}: HTTP {status} code {code}"
        );
    }
    // Back within 5 s of the cut.
    let mut body = seed_feed_card(&[nodes[1].open_id(0, 0)]);
    body["app_feed_card"]["biz_id"] = json!("after");
    loop {
        let a = nodes[1]
            .raw(
                Method::POST,
                "/open-apis/im/v2/app_feed_card?user_id_type=open_id",
                Some(&token),
                Some(body.clone()),
            )
            .await;
        if a.status == 200 {
            break;
        }
        assert!(
            cut_at.elapsed() < Duration::from_secs(5),
            "not back within 5 s: {}",
            a.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // No acknowledged write is lost.
    let acknowledged: Vec<&String> = answers
        .iter()
        .filter(|(_, s, _)| *s == 200)
        .map(|(b, _, _)| b)
        .collect();
    assert!(
        acknowledged.len() > 10,
        "the load ran: {}",
        acknowledged.len()
    );
    let user = nodes[0].user_key(0);
    for biz_id in acknowledged {
        let biz: larkfeed_model::BizId = biz_id.parse().unwrap();
        let card = nodes[0]
            .state
            .store
            .feed_card(larkfeed_server::store::CardKey {
                app_id: &nodes[0].app(0).app_id,
                user_id: &user,
                biz_id: &biz,
            })
            .await
            .unwrap();
        assert!(card.is_some(), "{biz_id} was acknowledged and is gone");
    }
}

#[tokio::test]
async fn postgres_instances_starting_together_apply_the_schema_once() {
    let schema = Arc::new(TestSchema::new());
    let barrier = Arc::new(Barrier::new(4));
    let mut starts = Vec::new();
    for _ in 0..4 {
        let (schema, barrier) = (schema.clone(), barrier.clone());
        starts.push(tokio::spawn(async move {
            barrier.wait().await;
            larkfeed_server::store::postgres::PgStore::connect(&schema.database(), 2)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }));
    }
    for s in starts {
        s.await.unwrap().expect("every instance starts");
    }
    let (client, conn) = tokio_postgres::connect(&schema.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let applied: i64 = client
        .query_one(
            &format!("SELECT COUNT(*) FROM {}.larkfeed_migrations", schema.name),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let migrations = 1 + larkfeed_server::store::schema::SINCE_BASELINE.len() as i64;
    assert_eq!(
        applied, migrations,
        "the schema made once from its description, with the later migrations it has"
    );
}

#[tokio::test]
async fn postgres_health_reports_the_database_and_answers_503_without_it() {
    let nodes = instances(1, true).await;
    let t = &nodes[0];
    let ok = t.admin_get("/_larkfeed/health").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["database"]["status"], "ok");
    // The pool closed: every database call fails, as with the database gone.
    t.state.store.close().await.unwrap();
    let down = t.admin_get("/_larkfeed/health").await;
    assert_eq!((down.status, down.code()), (503, 1500), "{}", down.body);
    assert_eq!(down.body["database"]["status"], "unavailable");
    assert!(down.headers.contains_key("x-tt-logid"));
}

#[tokio::test]
async fn postgres_a_bot_taken_out_through_one_instance_sends_no_more_through_another() {
    let nodes = instances(2, false).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let chat = a.group(0, &[0, 1]).await;
    let act = |path: &'static str| {
        let body =
            json!({"user": a.user_id(0), "chat_id": chat, "app_id": a.app(1).app_id.as_str()});
        async move { a.raw(Method::POST, path, None, Some(body)).await }
    };
    let added = act("/_larkfeed/act/add_bot").await;
    assert_eq!(added.status, 200, "{}", added.body);
    let send = || {
        let body = json!({"receive_id": chat, "msg_type": "text", "content": json!({"text": "hi"}).to_string()});
        async move {
            b.post(1, "/open-apis/im/v1/messages?receive_id_type=chat_id", body)
                .await
        }
    };
    // Through b, which now remembers the bot is in the chat.
    send().await.assert_ok();
    send().await.assert_ok();
    let removed = act("/_larkfeed/act/remove_bot").await;
    assert_eq!(removed.body["applied"]["removed"], true, "{}", removed.body);
    eventually("b forgetting the bot was in the chat", || async {
        send().await.body["code"] == 230002
    })
    .await;
}

#[tokio::test]
async fn postgres_a_tenant_made_through_one_instance_is_served_and_deleted_on_another() {
    let nodes = instances(2, false).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let made = a.raw(Method::POST, "/_larkfeed/tenants", None, None).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let key = made.body["tenant_key"].as_str().unwrap().to_string();
    let app = &made.body["apps"][0];
    // b has not seen the tenant: it reads it from the database when its app asks for a token.
    let creds = json!({"app_id": app["app_id"], "app_secret": app["app_secret"]});
    let token = b
        .raw(
            Method::POST,
            "/open-apis/auth/v3/tenant_access_token/internal",
            None,
            Some(creds),
        )
        .await;
    assert_eq!(token.body["code"], 0, "{}", token.body);
    let token = token.body["tenant_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let text = json!({"receive_id": app["users"][0]["open_id"], "msg_type": "text", "content": "{\"text\":\"hi\"}"});
    let path = "/open-apis/im/v1/messages?receive_id_type=open_id";
    let sent = a
        .raw(Method::POST, path, Some(&token), Some(text.clone()))
        .await;
    assert_eq!(sent.body["code"], 0, "{}", sent.body);
    let deleted = a.delete_tenant(&key).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    eventually("b forgetting the deleted tenant", || async {
        b.raw(
            Method::GET,
            &format!("/_larkfeed/requests?tenant={key}"),
            None,
            None,
        )
        .await
        .status
            == 404
    })
    .await;
}
