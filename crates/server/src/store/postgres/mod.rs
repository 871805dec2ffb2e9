//! The PostgreSQL store (`--database postgres://…`): the store core's operations (`store::core`)
//! for several larkfeed instances sharing one database.
//!
//! - **Pool:** `deadpool-postgres`, sized by `--pool-size`; statements are prepared once per
//!   connection (`prepare_cached`).
//! - **Atomic rules:** each write is one transaction at READ COMMITTED; where a rule is a check
//!   before an insert with no row to lock yet (one live token per app, one message per uuid, one
//!   one-to-one chat), the core takes a transaction-scoped advisory lock on the key, so racing
//!   callers on any instance queue for it. A feed page or an export reads one snapshot.
//! - **Schema:** made from `store::schema` at start-up under an advisory lock, so instances
//!   starting at once make it once; databases of older versions are adopted, and later
//!   migrations applied. A `schema=NAME` parameter in the URL puts larkfeed's tables in that
//!   schema (created if missing), as the tests do.

use super::core::Core;
use super::db::{Db, Engine, Op};
use super::*;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use tokio_postgres::NoTls;

/// The name a database made from the schema's description records.
const BASELINE: &str = "0001_baseline";
/// What databases made by older versions recorded, from their own migration files.
const LEGACY: &[&str] = &[
    "0001_schema",
    "0002_cluster",
    "0003_read",
    "0004_byte_order",
];

/// The advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x6c61_726b_6665_6564; // "larkfeed"

/// The shared store: the core's operations on PostgreSQL.
pub type PgStore = Core<Pg>;

/// How PostgreSQL runs the core's work: a transaction (or a plain connection, for reads) from
/// the pool.
pub struct Pg {
    pool: Pool,
    /// How to open a connection of its own (the notification listener's).
    config: tokio_postgres::Config,
    /// The schema larkfeed's tables are in, if one was named.
    schema: Option<String>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Splits larkfeed's own `schema=` parameter off a PostgreSQL URL.
fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("schema=") {
            Some(name) => {
                schema = Some(name.to_string());
                false
            }
            None => true,
        })
        .collect();
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, schema)
}

impl Core<Pg> {
    /// Connects, creates the schema if asked for one, and applies the migrations.
    pub async fn connect(url: &str, pool_size: usize) -> anyhow::Result<PgStore> {
        let (url, schema) = split_schema(url);
        if let Some(s) = &schema {
            if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                anyhow::bail!("schema={s:?}: a schema name is letters, digits and _");
            }
        }
        let mut config = tokio_postgres::Config::from_str(&url)
            .map_err(|e| anyhow::anyhow!("{url} is not a PostgreSQL URL: {e}"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(5));
        }
        if let Some(s) = &schema {
            config.options(format!("-c search_path={s}"));
        }
        if config.get_application_name().is_none() {
            // Names the instance's connections in pg_stat_activity (with the schema, if any).
            config.application_name(match &schema {
                Some(s) => format!("larkfeed:{s}"),
                None => "larkfeed".to_string(),
            });
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .wait_timeout(Some(std::time::Duration::from_secs(5)))
            .create_timeout(Some(std::time::Duration::from_secs(5)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()?;
        let store = Core(Pg {
            pool,
            config,
            schema: schema.clone(),
        });
        let mut client = store
            .0
            .pool
            .get()
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL at {url}: {e}"))?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        if let Some(s) = &schema {
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {s}"))
                .await?;
        }
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS larkfeed_migrations (name TEXT PRIMARY KEY, applied_at \
             TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await?;
        let applied: HashSet<String> = tx
            .query("SELECT name FROM larkfeed_migrations", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let since = super::schema::SINCE_BASELINE;
        if let Some(newer) = applied.iter().find(|a| {
            a.as_str() != BASELINE
                && !LEGACY.contains(&a.as_str())
                && !since.iter().any(|(n, _)| n == a)
        }) {
            anyhow::bail!(
                "the database has migration {newer}, newer than this larkfeed knows; use a newer \
                 larkfeed or another --database"
            );
        }
        let record = "INSERT INTO larkfeed_migrations (name) VALUES ($1) ON CONFLICT DO NOTHING";
        if applied.is_empty() {
            for statement in super::schema::create_all(true) {
                tx.batch_execute(&statement)
                    .await
                    .map_err(|e| anyhow::anyhow!("making the schema failed: {e}"))?;
            }
            // A new database has every later migration already.
            for (name, _) in since {
                tx.execute(record, &[name]).await?;
            }
        } else if !applied.contains(BASELINE) {
            adopt(&tx, &applied).await?;
        }
        tx.execute(record, &[&BASELINE]).await?;
        for (name, sql) in since {
            if !applied.is_empty() && !applied.contains(*name) {
                tx.batch_execute(sql)
                    .await
                    .map_err(|e| anyhow::anyhow!("migration {name} failed: {e}"))?;
                tx.execute(record, &[name]).await?;
                tracing::info!(migration = name, "database schema migrated");
            }
        }
        tx.commit().await?;
        Ok(store)
    }

    /// The notification channel of this database (and schema): instances on the same tables
    /// hear each other, and no one else.
    pub fn channel(&self) -> String {
        format!("larkfeed_{}", self.0.schema.as_deref().unwrap_or("public"))
    }

    /// Sends `payload` to every instance listening on [`PgStore::channel`].
    pub async fn notify(&self, payload: &str) -> StoreResult<()> {
        let c = self.0.client().await?;
        c.execute("SELECT pg_notify($1, $2)", &[&self.channel(), &payload])
            .await?;
        Ok(())
    }

    /// A connection of its own, outside the pool, and the task that drives it; its
    /// notifications come out of the returned receiver.
    pub async fn listen(
        &self,
    ) -> StoreResult<(
        tokio_postgres::Client,
        tokio::sync::mpsc::UnboundedReceiver<String>,
    )> {
        use futures_util::StreamExt;
        let (client, mut conn) = self.0.config.connect(NoTls).await?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
            while let Some(Ok(message)) = messages.next().await {
                if let tokio_postgres::AsyncMessage::Notification(n) = message {
                    if tx.send(n.payload().to_string()).is_err() {
                        return;
                    }
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {}", self.channel()))
            .await?;
        Ok((client, rx))
    }
}

/// Brings a database made by an older larkfeed (from its own migration files) to the schema's
/// description: what its last migrations would have added, then the baseline's name in place of
/// theirs.
async fn adopt(
    tx: &deadpool_postgres::Transaction<'_>,
    applied: &HashSet<String>,
) -> anyhow::Result<()> {
    if !applied.contains("0002_cluster") {
        let windows = super::schema::TABLES
            .iter()
            .find(|t| t.name == "rate_windows")
            .ok_or_else(|| anyhow::anyhow!("no rate_windows in the schema"))?;
        for statement in super::schema::create_table(windows, true) {
            tx.batch_execute(&statement).await?;
        }
    }
    tx.batch_execute(
        "ALTER TABLE chat_members ADD COLUMN IF NOT EXISTS read_until BIGINT NOT NULL DEFAULT 0;
         ALTER TABLE feed_cards ALTER COLUMN biz_id TYPE TEXT COLLATE \"C\";
         ALTER TABLE feed_cards ALTER COLUMN app_id TYPE TEXT COLLATE \"C\";
         ALTER TABLE chat_buttons ALTER COLUMN app_id TYPE TEXT COLLATE \"C\";
         ALTER TABLE chat_buttons ALTER COLUMN chat_id TYPE TEXT COLLATE \"C\";",
    )
    .await?;
    tx.execute(
        "DELETE FROM larkfeed_migrations WHERE name = ANY($1)",
        &[&LEGACY],
    )
    .await?;
    tracing::info!("a database made by an older larkfeed was brought to the current schema");
    Ok(())
}

impl Pg {
    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(backend)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        backend(e)
    }
}

impl Engine for Pg {
    async fn write<A, T>(&self, args: A, op: Op<A, T>) -> StoreResult<T>
    where
        A: Send + Sync + 'static,
        T: Send + 'static,
    {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let out = op(&mut Db::PgTx(&tx), &args).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn read<A, T>(&self, args: A, op: Op<A, T>) -> StoreResult<T>
    where
        A: Send + Sync,
        T: Send,
    {
        let c = self.client().await?;
        op(&mut Db::Pg(&c), &args).await
    }

    async fn read_together<A, T>(&self, args: A, op: Op<A, T>) -> StoreResult<T>
    where
        A: Send + Sync,
        T: Send,
    {
        let mut c = self.client().await?;
        // One snapshot, so the queries agree.
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let out = op(&mut Db::PgTx(&tx), &args).await?;
        tx.commit().await?;
        Ok(out)
    }
}

#[async_trait]
impl crate::ratelimit::SharedCounters for PgStore {
    async fn count_all(
        &self,
        limits: &[(String, u32, i64)],
        now_ms: i64,
    ) -> Result<Option<(u32, i64)>, String> {
        let run = async {
            let mut c = self.0.client().await?;
            let tx = c.transaction().await?;
            let keys: Vec<&str> = limits.iter().map(|(k, _, _)| k.as_str()).collect();
            let wins: Vec<i64> = limits
                .iter()
                .map(|(_, _, w)| now_ms.div_euclid(*w))
                .collect();
            // Every instance takes the keys' locks in the same order, so none waits in a circle.
            tx.execute(
                "SELECT pg_advisory_xact_lock(h) FROM \
                 (SELECT hashtextextended(k, 1) AS h FROM unnest($1::text[]) AS k ORDER BY 1) s",
                &[&keys],
            )
            .await?;
            let used: HashMap<(String, i64), i64> = tx
                .query(
                    "SELECT r.key, r.win, r.count FROM rate_windows r \
                     JOIN unnest($1::text[], $2::bigint[]) AS w(key, win) \
                     ON r.key = w.key AND r.win = w.win",
                    &[&keys, &wins],
                )
                .await?
                .iter()
                .map(|r| ((r.get(0), r.get(1)), r.get(2)))
                .collect();
            for ((key, limit, window_ms), win) in limits.iter().zip(&wins) {
                let n = used.get(&(key.clone(), *win)).copied().unwrap_or(0);
                if n >= i64::from(*limit) {
                    tx.commit().await?;
                    return Ok(Some((*limit, (win + 1) * window_ms - now_ms)));
                }
            }
            let ends: Vec<i64> = limits
                .iter()
                .zip(&wins)
                .map(|((_, _, w), win)| (win + 1) * w)
                .collect();
            tx.execute(
                "INSERT INTO rate_windows (key, win, count, ends_at) \
                 SELECT k, w, 1, e FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(k, w, e) \
                 ON CONFLICT (key, win) DO UPDATE SET count = rate_windows.count + 1",
                &[&keys, &wins, &ends],
            )
            .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(None)
        };
        run.await.map_err(|e| e.to_string())
    }

    async fn purge(&self, now_ms: i64) -> Result<(), String> {
        let c = self.0.client().await.map_err(|e| e.to_string())?;
        c.execute("DELETE FROM rate_windows WHERE ends_at < $1", &[&now_ms])
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

#[async_trait]
impl Store for PgStore {
    async fn close(&self) -> StoreResult<()> {
        self.0.pool.close();
        Ok(())
    }

    async fn destroy(&self) -> StoreResult<()> {
        if let Some(schema) = &self.0.schema {
            let client = self.0.pool.get().await.map_err(backend)?;
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .await
                .map_err(backend)?;
        }
        self.close().await
    }
}

/// The PostgreSQL the tests use: `LARKFEED_TEST_POSTGRES`, else the local server's `test`
/// database.
#[cfg(any(test, feature = "contract"))]
pub fn test_url() -> String {
    std::env::var("LARKFEED_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A schema of its own for one test, dropped (with everything in it) when this is dropped.
#[cfg(any(test, feature = "contract"))]
pub struct TestSchema {
    pub url: String,
    pub name: String,
}

#[cfg(any(test, feature = "contract"))]
impl TestSchema {
    pub fn new() -> TestSchema {
        TestSchema {
            url: test_url(),
            name: format!("lf_t_{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// The database URL that puts larkfeed's tables in this schema.
    pub fn database(&self) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}schema={}", self.url, self.name)
    }
}

#[cfg(any(test, feature = "contract"))]
impl Default for TestSchema {
    fn default() -> Self {
        TestSchema::new()
    }
}

#[cfg(any(test, feature = "contract"))]
impl Drop for TestSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // A runtime of its own: drop may run inside or outside one.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&url, NoTls).await.ok()?;
                tokio::spawn(conn);
                client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database an older larkfeed made (its first migration only, ids in the default order)
    /// is brought to the described schema, with its rows.
    #[tokio::test]
    async fn a_database_made_by_an_older_larkfeed_is_adopted() {
        let schema = TestSchema::new();
        let (client, conn) = tokio_postgres::connect(&schema.url, NoTls).await.unwrap();
        tokio::spawn(conn);
        let name = &schema.name;
        client
            .batch_execute(&format!("CREATE SCHEMA {name}; SET search_path = {name};"))
            .await
            .unwrap();
        for statement in super::super::schema::create_all(true) {
            let old = statement.replace(" COLLATE \"C\"", "");
            if !old.contains("rate_windows") {
                client.batch_execute(&old).await.unwrap();
            }
        }
        client
            .batch_execute(
                "ALTER TABLE chat_members DROP COLUMN read_until;
                 ALTER TABLE messages DROP COLUMN root_id, DROP COLUMN parent_id, \
                 DROP COLUMN thread_id, DROP COLUMN edits;
                 DROP TABLE card_entities, card_writes, reactions, uploads;
                 CREATE TABLE larkfeed_migrations (name TEXT PRIMARY KEY, applied_at \
                 TIMESTAMPTZ NOT NULL DEFAULT now());
                 INSERT INTO larkfeed_migrations (name) VALUES ('0001_schema');
                 INSERT INTO meta (key, value) VALUES ('kept', 'yes');",
            )
            .await
            .unwrap();
        let store = PgStore::connect(&schema.database(), 2).await.unwrap();
        assert_eq!(store.meta("kept").await.unwrap().as_deref(), Some("yes"));
        let names: Vec<String> = client
            .query("SELECT name FROM larkfeed_migrations", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut expected = vec![BASELINE];
        expected.extend(super::super::schema::SINCE_BASELINE.iter().map(|(n, _)| *n));
        let mut names = names;
        names.sort();
        assert_eq!(names, expected);
        let collation: Option<String> = client
            .query_one(
                "SELECT collation_name::text FROM information_schema.columns \
                 WHERE table_schema = $1 AND table_name = 'feed_cards' AND column_name = 'biz_id'",
                &[name],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(collation.as_deref(), Some("C"));
        for table in ["rate_windows", "chat_members"] {
            client
                .query(&format!("SELECT * FROM {table} LIMIT 1"), &[])
                .await
                .unwrap();
        }
        client
            .query("SELECT read_until FROM chat_members LIMIT 1", &[])
            .await
            .unwrap();
        client
            .query("SELECT thread_id FROM messages LIMIT 1", &[])
            .await
            .unwrap();
        store.close().await.unwrap();
    }

    #[test]
    fn the_schema_parameter_is_taken_off_the_url() {
        assert_eq!(
            split_schema("postgres://u@h/db?schema=t1&sslmode=disable"),
            (
                "postgres://u@h/db?sslmode=disable".to_string(),
                Some("t1".to_string())
            )
        );
        assert_eq!(
            split_schema("postgres://h/db"),
            ("postgres://h/db".to_string(), None)
        );
        assert_eq!(
            split_schema("postgres://h/db?schema=x"),
            ("postgres://h/db".to_string(), Some("x".to_string()))
        );
    }
}
