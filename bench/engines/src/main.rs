//! `engines <rusqlite|sqlx> <database file> <seconds> [users]`: writes what one larkfeed feed-card
//! create writes (the card's content once, a row per user, the content's reference count), one
//! transaction per create, as fast as one thread can, with larkfeed's schema and settings (WAL,
//! `synchronous = NORMAL`), and prints `creates/s`.

use std::time::{Duration, Instant};

const MIGRATIONS: &[&str] = &[
    include_str!("../../../crates/server/migrations/0001_init.sql"),
    include_str!("../../../crates/server/migrations/0002_feed.sql"),
    include_str!("../../../crates/server/migrations/0003_store.sql"),
];

const CARD: &str = r#"{"biz_id":"B","title":"主标题","preview":"预览信息","status_label":{"text":"标签文字","type":"primary"},"buttons":{"buttons":[{"multi_url":{"url":"https://www.feishu.cn/"},"action_type":"url_page","text":{"text":"文本"},"button_type":"default","action_map":{"foo":"bar"}}]},"link":{"link":"https://www.feishu.cn/"}}"#;
const INSERT_CONTENT: &str = "INSERT INTO feed_card_contents (card, refs) VALUES (?, 0)";
const INSERT_ROWS: &str = "INSERT INTO feed_cards (user_id, app_id, biz_id, content_id, time_sensitive, \
     created_at, updated_at, display_time, sort_time, unread) \
     SELECT value, ?1, ?2, ?3, 0, ?4, ?4, ?4, ?4, 1 FROM json_each(?5) WHERE true \
     ON CONFLICT DO NOTHING RETURNING user_id";
const SET_REFS: &str = "UPDATE feed_card_contents SET refs = refs + ? WHERE content_id = ?";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (engine, path, secs) = (&args[1], &args[2], args[3].parse::<u64>().unwrap());
    let users: Vec<String> = (0..args.get(4).map_or(20, |n| n.parse().unwrap()))
        .map(|i| format!("user{i:04}"))
        .collect();
    let users = serde_json::to_string(&users).unwrap();
    let run_for = Duration::from_secs(secs);
    let n = match engine.as_str() {
        "rusqlite" => with_rusqlite(path, &users, run_for),
        "sqlx" => tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(with_sqlx(path, &users, run_for)),
        other => panic!("unknown engine {other}"),
    };
    println!("{:.0}", n as f64 / secs as f64);
}

fn with_rusqlite(path: &str, users: &str, run_for: Duration) -> u64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384; \
         PRAGMA wal_autocheckpoint = 10000;",
    )
    .unwrap();
    for m in MIGRATIONS {
        conn.execute_batch(m).unwrap();
    }
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < run_for {
        let tx = conn.unchecked_transaction().unwrap();
        tx.prepare_cached(INSERT_CONTENT)
            .unwrap()
            .execute([CARD])
            .unwrap();
        let content = tx.last_insert_rowid();
        let biz = format!("biz-{n}");
        let made = tx
            .prepare_cached(INSERT_ROWS)
            .unwrap()
            .query_map(
                rusqlite::params!["cli_bench", biz, content, n as i64, users],
                |r| r.get::<_, String>(0),
            )
            .unwrap()
            .count();
        tx.prepare_cached(SET_REFS)
            .unwrap()
            .execute(rusqlite::params![made as i64, content])
            .unwrap();
        tx.commit().unwrap();
        n += 1;
    }
    n
}

async fn with_sqlx(path: &str, users: &str, run_for: Duration) -> u64 {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::{Connection, Row};
    use std::str::FromStr;
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .pragma("cache_size", "-16384")
        .pragma("wal_autocheckpoint", "10000");
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
    for m in MIGRATIONS {
        sqlx::raw_sql(m).execute(&mut conn).await.unwrap();
    }
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < run_for {
        let mut tx = conn.begin().await.unwrap();
        let content = sqlx::query(INSERT_CONTENT)
            .bind(CARD)
            .execute(&mut *tx)
            .await
            .unwrap()
            .last_insert_rowid();
        let made = sqlx::query(INSERT_ROWS)
            .bind("cli_bench")
            .bind(format!("biz-{n}"))
            .bind(content)
            .bind(n as i64)
            .bind(users)
            .fetch_all(&mut *tx)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .count();
        sqlx::query(SET_REFS)
            .bind(made as i64)
            .bind(content)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        n += 1;
    }
    n
}
