//! The streaming benchmark's load (`bench/run --streams`): many CardKit cards streamed at once,
//! as an AI-heavy tenant does. Each card gets a content write every `1000 / rate` ms carrying its
//! whole text so far, growing to `--chars` characters by the end of the run; the writes of all
//! cards are spread evenly over each interval. Prints one JSON line: the writes answered, the
//! achieved rate, write latency percentiles and, with `--events`, the delay from sending a write
//! to its `card.updated` event on `/_larkfeed/events`.
//!
//! ```text
//! stream_load --base URL --token T --cards FILE [--rate 10] [--secs 10] [--chars 4000] [--events]
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    base: String,
    token: String,
    cards: Vec<String>,
    rate: u64,
    secs: u64,
    chars: usize,
    events: bool,
}

fn args() -> Args {
    let mut a = Args {
        base: String::new(),
        token: String::new(),
        cards: Vec::new(),
        rate: 10,
        secs: 10,
        chars: 4000,
        events: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect("a value after each flag");
        match flag.as_str() {
            "--base" => a.base = value(),
            "--token" => a.token = value(),
            "--cards" => {
                let text = std::fs::read_to_string(value()).expect("the cards file reads");
                a.cards = text
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect();
            }
            "--rate" => a.rate = value().parse().expect("--rate is a number"),
            "--secs" => a.secs = value().parse().expect("--secs is a number"),
            "--chars" => a.chars = value().parse().expect("--chars is a number"),
            "--events" => a.events = true,
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        !a.base.is_empty() && !a.cards.is_empty(),
        "--base and --cards are needed"
    );
    a
}

/// When each write was sent, by (card, sequence): read by the event listener.
type Sent = Arc<Mutex<HashMap<(String, i64), Instant>>>;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Reads the change feed, timing each `card.updated` against the write it reports.
async fn listen(base: String, sent: Sent, delays: Arc<Mutex<Vec<f64>>>) {
    let client = reqwest::Client::new();
    let Ok(mut resp) = client.get(format!("{base}/_larkfeed/events")).send().await else {
        return;
    };
    let mut buf = String::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let now = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if !event.contains("event: card.updated") {
                continue;
            }
            let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(data) else {
                continue;
            };
            let path = v["path"].as_str().unwrap_or("");
            let card = path.split('/').nth(5).unwrap_or("").to_string();
            let Some(seq) = v["request"]["sequence"].as_i64() else {
                continue;
            };
            if let Some(at) = sent.lock().unwrap().remove(&(card, seq)) {
                delays
                    .lock()
                    .unwrap()
                    .push(now.duration_since(at).as_secs_f64() * 1000.0);
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.cards.len())
        .build()
        .expect("a client builds");
    let sent: Sent = Arc::default();
    let delays = Arc::new(Mutex::new(Vec::new()));
    if a.events {
        tokio::spawn(listen(a.base.clone(), sent.clone(), delays.clone()));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let text: String = "流式回答 streaming answer, word by word. "
        .chars()
        .cycle()
        .take(a.chars)
        .collect();
    let text = Arc::new(text.chars().collect::<Vec<char>>());
    let every = Duration::from_millis(1000 / a.rate);
    let ticks = a.secs * a.rate;
    let started = Instant::now();
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(
        (ticks as usize) * a.cards.len(),
    )));
    let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    let n = a.cards.len() as u32;
    for (i, card) in a.cards.iter().enumerate() {
        let (client, text, sent, latencies, failed) = (
            client.clone(),
            text.clone(),
            sent.clone(),
            latencies.clone(),
            failed.clone(),
        );
        let url = format!(
            "{}/open-apis/cardkit/v1/cards/{card}/elements/md/content",
            a.base
        );
        let auth = format!("Bearer {}", a.token);
        let card = card.clone();
        let events = a.events;
        let offset = every / n * i as u32;
        tasks.push(tokio::spawn(async move {
            let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + offset, every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            for tick in 1..=ticks {
                interval.tick().await;
                let len = ((text.len() as u64 * tick) / ticks).max(1) as usize;
                let content: String = text[..len].iter().collect();
                let seq = tick as i64;
                let body = serde_json::json!({"content": content, "sequence": seq, "uuid": format!("c_{card}_{seq}")});
                let at = Instant::now();
                if events {
                    sent.lock().unwrap().insert((card.clone(), seq), at);
                }
                let ok = match client
                    .put(&url)
                    .header("authorization", &auth)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let bytes = resp.bytes().await.unwrap_or_default();
                        status == 200 && bytes.starts_with(b"{\"code\":0")
                    }
                    Err(_) => false,
                };
                let ms = at.elapsed().as_secs_f64() * 1000.0;
                latencies.lock().unwrap().push(ms);
                if !ok {
                    failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("a stream task ran");
    }
    let elapsed = started.elapsed().as_secs_f64();
    if a.events {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort_by(|x, y| x.total_cmp(y));
    let mut ev = delays.lock().unwrap().clone();
    ev.sort_by(|x, y| x.total_cmp(y));
    let failed = failed.load(std::sync::atomic::Ordering::Relaxed);
    let out = serde_json::json!({
        "writes": lat.len(),
        "failed": failed,
        "rate": (lat.len() as u64 - failed) as f64 / elapsed,
        "p50_ms": percentile(&lat, 0.5),
        "p99_ms": percentile(&lat, 0.99),
        "max_ms": lat.last().copied().unwrap_or(0.0),
        "events": ev.len(),
        "event_p50_ms": percentile(&ev, 0.5),
        "event_p99_ms": percentile(&ev, 0.99),
    });
    println!("{out}");
}
