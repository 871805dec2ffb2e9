//! `GET /_larkfeed/metrics`, scraped as Prometheus scrapes it: calls by endpoint and code with
//! their latencies, deliveries by outcome, long connections, group commits, database health.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

/// The value of the sample named exactly `series` (name and labels), if the text has it.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The `Accept` header Prometheus sends when it scrapes.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

#[tokio::test]
async fn a_scrape_counts_calls_by_endpoint_and_code_and_deliveries_by_outcome() {
    let t = spawn_app().await;
    let send = |text: &str| json!({"receive_id": t.open_id(0, 0), "msg_type": "text", "content": json!({"text": text}).to_string()});
    let path = "/open-apis/im/v1/messages?receive_id_type=open_id";
    t.post(0, path, send("one")).await.assert_ok();
    t.post(0, path, send("two")).await.assert_ok();
    let bad = json!({"receive_id": t.open_id(0, 0), "msg_type": "text"});
    t.post(0, path, bad).await.assert_code(400, 230001);
    t.get(0, "/open-apis/im/v1/no-such-thing").await;
    // A URL check no app answers (a failed delivery), then an event an app takes.
    let refused = t
        .set_app(0, json!({"event_url": "http://127.0.0.1:9/nobody"}))
        .await;
    assert_eq!(refused.body["code"], 230001, "{}", refused.body);
    let app = FakeApp::start(Mode::Answer(json!({}))).await;
    let set = t.set_app(0, json!({"event_url": app.url})).await;
    assert_eq!(set.status, 200, "{}", set.body);
    let said = t
        .act("send_message", json!({"user": t.user_id(0), "to_app": t.app(0).app_id.as_str(), "msg_type": "text", "content": json!({"text": "hi"}).to_string()}))
        .await;
    assert_eq!(said.body["delivered"], true, "{}", said.body);

    // Asked as Prometheus asks: OpenMetrics.
    let scrape = t
        .http
        .get(format!("{}/_larkfeed/metrics", t.base))
        .header("accept", PROMETHEUS_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(scrape.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = scrape.text().await.unwrap();
    let calls = |labels: &str| sample(&text, &format!("larkfeed_requests_total{{{labels}}}"));
    assert_eq!(
        calls(r#"endpoint="messages.send",code="0""#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        calls(r#"endpoint="messages.send",code="230001""#),
        Some(1.0),
        "{text}"
    );
    assert!(
        calls(r#"endpoint="unknown",code="404""#).is_some()
            || text.contains(r#"endpoint="unknown""#),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"larkfeed_request_duration_seconds_count{endpoint="messages.send"}"#
        ),
        Some(3.0),
        "{text}"
    );
    let delivered = |labels: &str| sample(&text, &format!("larkfeed_deliveries_total{{{labels}}}"));
    assert_eq!(
        delivered(r#"kind="url_verification",via="http",outcome="failed""#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        delivered(r#"kind="event",via="http",outcome="delivered""#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "larkfeed_long_connections"), Some(0.0));
    assert_eq!(sample(&text, "larkfeed_database_up"), Some(1.0));
    if std::env::var("LARKFEED_TEST_BACKEND").as_deref() != Ok("postgres") {
        // SQLite commits writes in groups: each message was in one.
        assert!(
            sample(&text, "larkfeed_store_commit_batch_size_count").is_some_and(|n| n >= 2.0),
            "{text}"
        );
    }
    assert!(text.ends_with("# EOF\n"));
}

/// A scrape that does not ask for OpenMetrics (curl, an older scraper) reads the classic text
/// format, with the same samples.
#[tokio::test]
async fn a_plain_scrape_reads_the_classic_text_format() {
    let t = spawn_app().await;
    t.get(0, "/open-apis/im/v1/chats").await.assert_ok();
    let scrape = t
        .http
        .get(format!("{}/_larkfeed/metrics", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        scrape.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = scrape.text().await.unwrap();
    assert!(
        text.contains("# TYPE larkfeed_requests_total counter\n"),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"larkfeed_requests_total{endpoint="chats.list",code="0"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains("# EOF"), "{text}");
}

/// The server's own scrape counts the tenants made at run time open here; a tenant's own scrape
/// (`?tenant=KEY`) has no such series.
#[tokio::test]
async fn the_servers_scrape_counts_the_tenants_made_at_run_time() {
    let t = spawn_app().await;
    let scrape = |path: String| {
        let t = &t;
        async move {
            t.http
                .get(format!("{}{path}", t.base))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let before = scrape("/_larkfeed/metrics".into()).await;
    assert_eq!(sample(&before, "larkfeed_tenants"), Some(0.0), "{before}");
    let made = t.raw(Method::POST, "/_larkfeed/tenants", None, None).await;
    let key = made.body["tenant_key"].as_str().unwrap().to_string();
    let during = scrape("/_larkfeed/metrics".into()).await;
    assert_eq!(sample(&during, "larkfeed_tenants"), Some(1.0), "{during}");
    let theirs = scrape(format!("/_larkfeed/metrics?tenant={key}")).await;
    assert_eq!(sample(&theirs, "larkfeed_tenants"), None, "{theirs}");
    assert_eq!(
        sample(&theirs, "larkfeed_database_up"),
        Some(1.0),
        "{theirs}"
    );
    t.delete_tenant(&key).await;
    let after = scrape("/_larkfeed/metrics".into()).await;
    assert_eq!(sample(&after, "larkfeed_tenants"), Some(0.0), "{after}");
}
