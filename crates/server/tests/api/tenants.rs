//! Tenants made at run time (`/_larkfeed/tenants`): each a platform of its own, reached by its
//! credentials and `?tenant=`, invisible to the others; eight workers at once, each in its own
//! tenant, with the per-app rate limits holding inside each.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Barrier;

/// A new tenant of the server's world file, as `POST /_larkfeed/tenants` answers.
async fn new_tenant(t: &TestApp) -> Value {
    let made = t.raw(Method::POST, "/_larkfeed/tenants", None, None).await;
    assert_eq!(made.status, 200, "{}", made.body);
    made.body
}

/// A tenant access token for the tenant's first app, asked for as an SDK asks.
async fn tenant_token(t: &TestApp, tenant: &Value) -> String {
    let app = &tenant["apps"][0];
    let body = json!({"app_id": app["app_id"], "app_secret": app["app_secret"]});
    let answer = t
        .raw(
            Method::POST,
            "/open-apis/auth/v3/tenant_access_token/internal",
            None,
            Some(body),
        )
        .await;
    assert_eq!(answer.body["code"], 0, "{}", answer.body);
    answer.body["tenant_access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn text_to(open_id: &Value, text: &str) -> Value {
    json!({"receive_id": open_id, "msg_type": "text", "content": json!({"text": text}).to_string()})
}

const SEND: &str = "/open-apis/im/v1/messages?receive_id_type=open_id";

/// A text to `open_id`, sent with `token` (a tenant's app's).
async fn send_as(t: &TestApp, token: &str, open_id: &Value, text: &str) -> Answer {
    t.raw(
        Method::POST,
        SEND,
        Some(token),
        Some(text_to(open_id, text)),
    )
    .await
}

#[tokio::test]
async fn a_tenant_has_its_own_ids_and_data_and_is_reset_and_deleted_alone() {
    let t = spawn_app().await;
    let tenant = new_tenant(&t).await;
    let key = tenant["tenant_key"].as_str().unwrap().to_string();
    let app = &tenant["apps"][0];
    // New ids and secrets; the same people and apps by name.
    assert_ne!(app["app_id"], json!(t.app(0).app_id.as_str()));
    assert_ne!(app["app_secret"], json!(t.app(0).app_secret));
    assert_eq!(app["name"], json!(t.app(0).name));
    assert_eq!(
        tenant["apps"].as_array().unwrap().len(),
        t.world().apps.len()
    );
    let alice = &app["users"][0]["open_id"];
    assert_ne!(alice, &json!(t.open_id(0, 0)));
    let token = tenant_token(&t, &tenant).await;
    assert!(token.starts_with(&format!("t-{key}_")), "{token}");

    // The tenant's app sends to its own user; the server's own app cannot name that user, and
    // the tenant's app cannot name the server's.
    let sent = send_as(&t, &token, alice, "hello").await;
    assert_eq!(sent.body["code"], 0, "{}", sent.body);
    let crossed = t.post(0, SEND, text_to(alice, "across")).await;
    assert_ne!(crossed.body["code"], 0, "{}", crossed.body);
    let other_way = t
        .raw(
            Method::POST,
            SEND,
            Some(&token),
            Some(text_to(&json!(t.open_id(0, 0)), "x")),
        )
        .await;
    assert_ne!(other_way.body["code"], 0, "{}", other_way.body);

    // Its logs and views are its own.
    let app_id = app["app_id"].as_str().unwrap();
    let theirs = t
        .admin_get(&format!("/_larkfeed/requests?tenant={key}"))
        .await
        .body;
    let text = theirs.to_string();
    assert!(text.contains(app_id), "{text}");
    assert!(!text.contains(t.app(0).app_id.as_str()), "{text}");
    let ours = t.admin_get("/_larkfeed/requests").await.body.to_string();
    assert!(!ours.contains(app_id), "{ours}");
    let feed_path = |user: &Value| {
        format!(
            "/_larkfeed/users/{}/feed?tenant={key}",
            user.as_str().unwrap()
        )
    };
    let feed = t.admin_get(&feed_path(alice)).await.body;
    assert_eq!(
        feed["data"]["entries"].as_array().unwrap().len(),
        1,
        "{feed}"
    );

    // Listed, by key and app ids, without secrets.
    let listed = t.admin_get("/_larkfeed/tenants").await.body;
    assert_eq!(listed["items"][0]["tenant_key"], json!(key), "{listed}");
    assert_eq!(listed["items"][0]["apps"][0]["app_id"], app["app_id"]);
    assert_eq!(
        listed["items"][0]["users"],
        json!(t.world().users.len()),
        "{listed}"
    );
    assert!(
        !listed
            .to_string()
            .contains(app["app_secret"].as_str().unwrap()),
        "{listed}"
    );

    // The tenants' own routes ignore `?tenant=`: they are the server's.
    let listed_inside = t
        .admin_get(&format!("/_larkfeed/tenants?tenant={key}"))
        .await
        .body;
    assert_eq!(listed_inside, listed, "{listed_inside}");

    // Emptied alone.
    t.post(0, SEND, text_to(&json!(t.open_id(0, 0)), "ours"))
        .await
        .assert_ok();
    let reset = t
        .raw(
            Method::POST,
            &format!("/_larkfeed/tenants/{key}/reset"),
            None,
            None,
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    let feed = t.admin_get(&feed_path(alice)).await.body;
    assert_eq!(
        feed["data"]["entries"].as_array().unwrap().len(),
        0,
        "{feed}"
    );
    let own_feed = t
        .admin_get(&format!("/_larkfeed/users/{}/feed", t.open_id(0, 0)))
        .await
        .body;
    assert!(
        !own_feed["data"]["entries"].as_array().unwrap().is_empty(),
        "{own_feed}"
    );

    // Deleted: its key names nothing, its token nothing.
    let deleted = t.delete_tenant(&key).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let gone = t
        .raw(
            Method::GET,
            &format!("/_larkfeed/requests?tenant={key}"),
            None,
            None,
        )
        .await;
    assert_eq!(gone.status, 404, "{}", gone.body);
    let listed = t.admin_get("/_larkfeed/tenants").await.body;
    assert_eq!(listed["items"], json!([]), "{listed}");
    assert!(
        gone.body["msg"].as_str().unwrap().contains(&key),
        "{}",
        gone.body
    );
    let stale = send_as(&t, &token, alice, "hello").await;
    stale.assert_code(400, 99991663);
    let again = t.delete_tenant(&key).await;
    assert_eq!(again.status, 404, "{}", again.body);
}

#[tokio::test]
async fn a_tenant_of_a_body_in_the_world_files_shape() {
    let t = spawn_app().await;
    let world = json!({
        "tenant": {"name": "Acme"},
        "users": [{"name": "Ada"}, {"name": "Bo"}],
        "apps": [{"name": "Helper", "availability": ["Ada"]}],
    });
    let made = t
        .raw(Method::POST, "/_larkfeed/tenants", None, Some(world))
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(made.body["apps"][0]["name"], "Helper");
    assert_eq!(made.body["apps"].as_array().unwrap().len(), 1);
    let key = made.body["tenant_key"].as_str().unwrap();
    let bad = t
        .raw(
            Method::POST,
            "/_larkfeed/tenants",
            None,
            Some(json!({"tenant": {}})),
        )
        .await;
    assert_eq!(bad.body["code"], 230001, "{}", bad.body);
    assert!(
        bad.body["msg"].as_str().unwrap().contains("name"),
        "{}",
        bad.body
    );
    t.delete_tenant(key).await;
}

/// Eight workers, each with a tenant of its own, run one scenario at once: none sees another's
/// calls or messages, and each app's 50-a-second limit holds inside each tenant.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_workers_each_in_a_tenant_run_at_once_without_cross_talk() {
    const WORKERS: usize = 8;
    let t = Arc::new(spawn_app().await);
    let start = Arc::new(Barrier::new(WORKERS));
    let mut runs = Vec::new();
    for w in 0..WORKERS {
        let (t, start) = (t.clone(), start.clone());
        runs.push(tokio::spawn(async move {
            let tenant = new_tenant(&t).await;
            let key = tenant["tenant_key"].as_str().unwrap().to_string();
            // The tenant's clock stands still: the burst below falls in one second.
            let frozen = t
                .raw(
                    Method::POST,
                    &format!("/_larkfeed/clock?tenant={key}"),
                    None,
                    Some(json!({"frozen": true})),
                )
                .await;
            assert_eq!(frozen.status, 200, "{}", frozen.body);
            let token = tenant_token(&t, &tenant).await;
            let alice = tenant["apps"][0]["users"][0]["open_id"].clone();
            start.wait().await;
            let note = format!("worker {w}");
            let sent = send_as(&t, &token, &alice, &note).await;
            assert_eq!(sent.body["code"], 0, "{}", sent.body);
            let id = sent.body["data"]["message_id"]
                .as_str()
                .unwrap()
                .to_string();
            let path = format!("/open-apis/im/v1/messages/{id}");
            let reads = futures_util::future::join_all(
                (0..55).map(|_| t.raw(Method::GET, &path, Some(&token), None)),
            )
            .await;
            let ok = reads.iter().filter(|a| a.body["code"] == 0).count();
            let limited = reads.iter().filter(|a| a.body["code"] == 99991400).count();
            (tenant, key, note, ok, limited)
        }));
    }
    let mut done = Vec::new();
    for run in runs {
        done.push(run.await.unwrap());
    }
    for (tenant, key, note, ok, limited) in &done {
        assert_eq!((*ok, *limited), (50, 5), "tenant {key}");
        let requests = t
            .admin_get(&format!("/_larkfeed/requests?tenant={key}&limit=100"))
            .await
            .body
            .to_string();
        let app_id = tenant["apps"][0]["app_id"].as_str().unwrap();
        assert!(requests.contains(app_id));
        let alice = tenant["apps"][0]["users"][0]["open_id"].as_str().unwrap();
        let feed = t
            .admin_get(&format!("/_larkfeed/users/{alice}/feed?tenant={key}"))
            .await
            .body;
        let items = feed["data"]["entries"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{feed}");
        assert!(feed.to_string().contains(note.as_str()), "{feed}");
        for (other, other_key, other_note, ..) in &done {
            if other_key == key {
                continue;
            }
            let other_app = other["apps"][0]["app_id"].as_str().unwrap();
            assert!(
                !requests.contains(other_app),
                "{key} shows {other_key}'s calls"
            );
            assert!(!feed.to_string().contains(other_note.as_str()));
        }
    }
    for (_, key, ..) in &done {
        let deleted = t.delete_tenant(key).await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
    }
}

#[tokio::test]
async fn a_fault_set_in_a_tenant_fails_only_that_tenants_calls() {
    let t = spawn_app().await;
    let tenant = new_tenant(&t).await;
    let key = tenant["tenant_key"].as_str().unwrap().to_string();
    let token = tenant_token(&t, &tenant).await;
    let alice = &tenant["apps"][0]["users"][0]["open_id"];
    let set = t
        .raw(
            Method::POST,
            &format!("/_larkfeed/faults?tenant={key}"),
            None,
            Some(json!({"method": "POST", "path": "/open-apis/im/v1/messages", "code": 230020})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);

    // The tenant's app is failed; the server's own app sends as before and sees no fault.
    send_as(&t, &token, alice, "x")
        .await
        .assert_code(400, 230020);
    t.post(0, SEND, text_to(&json!(t.open_id(0, 0)), "ours"))
        .await
        .assert_ok();
    let ours = t.admin_get("/_larkfeed/faults").await.body;
    assert_eq!(ours["items"], json!([]), "{ours}");
    let theirs = t
        .admin_get(&format!("/_larkfeed/faults?tenant={key}"))
        .await
        .body;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1, "{theirs}");

    // Cleared in the tenant, its app sends again.
    let cleared = t
        .raw(
            Method::DELETE,
            &format!("/_larkfeed/faults?tenant={key}"),
            None,
            None,
        )
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    send_as(&t, &token, alice, "x").await.assert_ok();
}
