//! The PostgreSQL store (`--database postgres://…`): the same tables and the same promises as the
//! SQLite store, for several larkfeed instances sharing one database.
//!
//! - **Pool:** `deadpool-postgres`, sized by `--pool-size`; statements are prepared once per
//!   connection (`prepare_cached`).
//! - **Atomic rules:** each write method is one transaction at READ COMMITTED. Where a rule is a
//!   check before an insert with no row to lock yet (one live token per app, one message per
//!   uuid), the transaction first takes a transaction-scoped advisory lock on the key, so racing
//!   callers on any instance queue for it; everything else rests on primary keys and
//!   `ON CONFLICT`.
//! - **Batches:** a card given to many users is one `INSERT … SELECT FROM unnest($1) … ON
//!   CONFLICT DO NOTHING RETURNING`.
//! - **Schema:** `migrations/postgres/`, applied at start-up under an advisory lock, so several
//!   instances starting at once apply each migration once. A `schema=NAME` parameter in the URL
//!   puts larkfeed's tables in that schema (created if missing), as the tests do.

use super::*;
use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use tokio_postgres::{types::ToSql, NoTls, Row};

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_schema",
        include_str!("../../../migrations/postgres/0001_schema.sql"),
    ),
    (
        "0002_cluster",
        include_str!("../../../migrations/postgres/0002_cluster.sql"),
    ),
    (
        "0003_read",
        include_str!("../../../migrations/postgres/0003_read.sql"),
    ),
];

/// The advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x6c61_726b_6665_6564; // "larkfeed"

pub struct PgStore {
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

impl PgStore {
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
        let store = PgStore {
            pool,
            config,
            schema: schema.clone(),
        };
        let mut client = store
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
        let known: HashSet<&str> = MIGRATIONS.iter().map(|(n, _)| *n).collect();
        if let Some(newer) = applied.iter().find(|a| !known.contains(a.as_str())) {
            anyhow::bail!(
                "the database has migration {newer}, newer than this larkfeed knows; use a newer \
                 larkfeed or another --database"
            );
        }
        for (name, sql) in MIGRATIONS {
            if !applied.contains(*name) {
                tx.batch_execute(sql)
                    .await
                    .map_err(|e| anyhow::anyhow!("migration {name} failed: {e}"))?;
                tx.execute(
                    "INSERT INTO larkfeed_migrations (name) VALUES ($1)",
                    &[name],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(store)
    }

    /// The notification channel of this database (and schema): instances on the same tables
    /// hear each other, and no one else.
    pub fn channel(&self) -> String {
        format!("larkfeed_{}", self.schema.as_deref().unwrap_or("public"))
    }

    /// Sends `payload` to every instance listening on [`PgStore::channel`].
    pub async fn notify(&self, payload: &str) -> StoreResult<()> {
        let c = self.client().await?;
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
        let (client, mut conn) = self.config.connect(NoTls).await?;
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

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(backend)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        backend(e)
    }
}

// ---- rows ----

const CHAT_COLUMNS: &str = "chat_id, name, description, chat_type, owner_user, owner_app, \
     creator_app, p2p_key, p2p_user, dissolved, created_at";
const MESSAGE_COLUMNS: &str = "message_id, chat_id, sender_app, msg_type, content, uuid, \
     create_time, update_time, updated, recalled, deleted, sender_user, mentions";
const CARD_COLUMNS: &str = "f.app_id, f.user_id, f.biz_id, c.card, f.created_at, f.updated_at, \
     f.display_time, f.sort_time, f.unread";

/// An id column, its kind checked as it is read.
fn id<T: std::str::FromStr<Err = larkfeed_model::ids::IdError>>(
    r: &Row,
    at: usize,
) -> StoreResult<T> {
    r.get::<_, &str>(at).parse().map_err(corrupt)
}

fn opt_id<T: std::str::FromStr<Err = larkfeed_model::ids::IdError>>(
    r: &Row,
    at: usize,
) -> StoreResult<Option<T>> {
    r.get::<_, Option<&str>>(at)
        .map(|text| text.parse().map_err(corrupt))
        .transpose()
}

fn chat_row(r: &Row, at: usize) -> StoreResult<ChatRow> {
    let chat_type: String = r.get(at + 3);
    Ok(ChatRow {
        chat_id: id(r, at)?,
        name: r.get(at + 1),
        description: r.get(at + 2),
        chat_type: ChatType::parse(&chat_type)
            .ok_or_else(|| corrupt(format!("unknown chat type {chat_type:?}")))?,
        owner_user: r.get(at + 4),
        owner_app: opt_id(r, at + 5)?,
        creator_app: id(r, at + 6)?,
        p2p_key: r.get(at + 7),
        p2p_user: r.get(at + 8),
        dissolved: r.get::<_, i64>(at + 9) != 0,
        created_at_ms: r.get(at + 10),
    })
}

fn message_row(r: &Row) -> StoreResult<MessageRow> {
    let mentions: String = r.get(12);
    Ok(MessageRow {
        message_id: id(r, 0)?,
        chat_id: id(r, 1)?,
        sender_app: r.get(2),
        msg_type: r.get(3),
        content: r.get(4),
        uuid: r.get(5),
        create_time_ms: r.get(6),
        update_time_ms: r.get(7),
        updated: r.get::<_, i64>(8) != 0,
        recalled: r.get::<_, i64>(9) != 0,
        deleted: r.get::<_, i64>(10) != 0,
        sender_user: r.get(11),
        mentions: serde_json::from_str(&mentions).map_err(corrupt)?,
    })
}

fn card_row(r: &Row) -> StoreResult<FeedCardRow> {
    let card: String = r.get(3);
    Ok(FeedCardRow {
        app_id: id(r, 0)?,
        user_id: r.get(1),
        biz_id: id(r, 2)?,
        card: serde_json::from_str(&card).map_err(corrupt)?,
        created_at_ms: r.get(4),
        updated_at_ms: r.get(5),
        display_time_ms: r.get(6),
        sort_time_ms: r.get(7),
        unread: r.get(8),
    })
}

fn token_row(r: &Row) -> TokenRow {
    TokenRow {
        token_hash: r.get(0),
        app_id: r.get(1),
        issued_at_ms: r.get(2),
        expires_at_ms: r.get(3),
        sealed: r.get(4),
    }
}

/// One statement, prepared once per connection: the row it found, if any, mapped.
async fn opt<T>(
    c: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    map: impl Fn(&Row) -> StoreResult<T> + Send,
) -> StoreResult<Option<T>> {
    let stmt = c.prepare_cached(sql).await?;
    c.query_opt(&stmt, params)
        .await?
        .map(|r| map(&r))
        .transpose()
}

/// One statement, prepared once per connection: every row it found, mapped.
async fn all<T>(
    c: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    map: impl Fn(&Row) -> StoreResult<T> + Send,
) -> StoreResult<Vec<T>> {
    let stmt = c.prepare_cached(sql).await?;
    c.query(&stmt, params).await?.iter().map(map).collect()
}

/// One statement, prepared once per connection: how many rows it changed.
async fn run(
    c: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<u64> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.execute(&stmt, params).await?)
}

/// A read-only transaction on one snapshot of the data, so that its queries agree.
async fn snapshot(
    c: &mut deadpool_postgres::Object,
) -> StoreResult<deadpool_postgres::Transaction<'_>> {
    Ok(c.build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

/// The first column, as it is.
fn first<T: for<'a> tokio_postgres::types::FromSql<'a>>(r: &Row) -> StoreResult<T> {
    Ok(r.get(0))
}

/// A transaction-scoped advisory lock on a text key: racing writers of one key queue here.
async fn lock_key(c: &impl GenericClient, key: &str) -> StoreResult<()> {
    c.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&key],
    )
    .await?;
    Ok(())
}

// ---- writes shared by several operations ----

async fn insert_chat_row(c: &impl GenericClient, chat: &ChatRow) -> StoreResult<()> {
    let stmt = c
        .prepare_cached(&format!(
            "INSERT INTO chats ({CHAT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .await?;
    c.execute(
        &stmt,
        &[
            &chat.chat_id.as_str(),
            &chat.name,
            &chat.description,
            &chat.chat_type.as_str(),
            &chat.owner_user,
            &chat.owner_app.as_deref(),
            &chat.creator_app.as_str(),
            &chat.p2p_key,
            &chat.p2p_user,
            &i64::from(chat.dissolved),
            &chat.created_at_ms,
        ],
    )
    .await?;
    Ok(())
}

async fn insert_members(
    c: &impl GenericClient,
    chat_id: &str,
    members: &[Member],
    now_ms: i64,
) -> StoreResult<u64> {
    if members.is_empty() {
        return Ok(0);
    }
    let kinds: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    let ids: Vec<&str> = members.iter().map(|(_, id)| id.as_str()).collect();
    let stmt = c
        .prepare_cached(
            "INSERT INTO chat_members (chat_id, member_kind, member_id, joined_at, position) \
             SELECT $1, k, i, $2, p - 1 FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS m(k, i, p) \
             ON CONFLICT DO NOTHING",
        )
        .await?;
    Ok(c.execute(&stmt, &[&chat_id, &now_ms, &kinds, &ids]).await?)
}

async fn p2p_chat_by_key(c: &impl GenericClient, key: &str) -> StoreResult<Option<ChatRow>> {
    let sql = format!("SELECT {CHAT_COLUMNS} FROM chats WHERE p2p_key = $1");
    opt(c, &sql, &[&key], |r| chat_row(r, 0)).await
}

async fn open_p2p_chat(c: &impl GenericClient, new: &ChatRow) -> StoreResult<ChatRow> {
    let key = new
        .p2p_key
        .as_deref()
        .ok_or_else(|| StoreError::Corrupt("a one-to-one chat without a key".into()))?;
    lock_key(c, &format!("p2p|{key}")).await?;
    if let Some(existing) = p2p_chat_by_key(c, key).await? {
        return Ok(existing);
    }
    let user = new
        .p2p_user
        .clone()
        .ok_or_else(|| StoreError::Corrupt("a one-to-one chat without a user".into()))?;
    insert_chat_row(c, new).await?;
    insert_members(
        c,
        &new.chat_id,
        &[
            (MemberKind::Bot, new.creator_app.to_string()),
            (MemberKind::User, user),
        ],
        new.created_at_ms,
    )
    .await?;
    Ok(new.clone())
}

async fn set_pin(c: &impl GenericClient, at: &ChatUsers, pinned: bool) -> StoreResult<()> {
    if pinned {
        run(
            c,
            "INSERT INTO feed_pins (chat_id, user_id, app_id, updated_at) \
             SELECT $1, u, $2, $3 FROM unnest($4::text[]) AS u \
             ON CONFLICT (chat_id, user_id) DO UPDATE SET app_id = excluded.app_id, \
             updated_at = excluded.updated_at",
            &[&at.chat_id, &at.app_id, &at.now_ms, &at.user_ids],
        )
        .await?;
    } else {
        run(
            c,
            "DELETE FROM feed_pins WHERE chat_id = $1 AND user_id = ANY($2)",
            &[&at.chat_id, &at.user_ids],
        )
        .await?;
    }
    Ok(())
}

async fn adjust_refs(c: &impl GenericClient, deltas: HashMap<i64, i64>) -> StoreResult<()> {
    let (ids, changes): (Vec<i64>, Vec<i64>) = deltas.into_iter().filter(|(_, d)| *d != 0).unzip();
    if ids.is_empty() {
        return Ok(());
    }
    let stmt = c
        .prepare_cached(
            "UPDATE feed_card_contents SET refs = refs + d.delta \
             FROM unnest($1::bigint[], $2::bigint[]) AS d(id, delta) WHERE content_id = d.id",
        )
        .await?;
    c.execute(&stmt, &[&ids, &changes]).await?;
    let stmt = c
        .prepare_cached("DELETE FROM feed_card_contents WHERE content_id = ANY($1) AND refs <= 0")
        .await?;
    c.execute(&stmt, &[&ids]).await?;
    Ok(())
}

async fn insert_content(c: &impl GenericClient, json: &str, refs: i64) -> StoreResult<i64> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO feed_card_contents (card, refs) VALUES ($1, $2) RETURNING content_id",
        )
        .await?;
    Ok(c.query_one(&stmt, &[&json, &refs]).await?.get(0))
}

#[async_trait]
impl TokenStore for PgStore {
    async fn issue_token(&self, fresh: TokenRow, reuse_ms: i64) -> StoreResult<TokenRow> {
        let now_ms = fresh.issued_at_ms;
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        lock_key(&tx, &format!("token|{}", fresh.app_id)).await?;
        let current = tx
            .query_opt(
                "SELECT token_hash, app_id, issued_at, expires_at, sealed FROM access_tokens \
                 WHERE app_id = $1 AND expires_at > $2 ORDER BY expires_at DESC LIMIT 1",
                &[&fresh.app_id, &now_ms],
            )
            .await?
            .map(|r| token_row(&r));
        if let Some(current) = current.filter(|t| t.expires_at_ms - now_ms >= reuse_ms) {
            tx.commit().await?;
            return Ok(current);
        }
        tx.execute(
            "INSERT INTO access_tokens (token_hash, app_id, issued_at, expires_at, sealed) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &fresh.token_hash,
                &fresh.app_id,
                &fresh.issued_at_ms,
                &fresh.expires_at_ms,
                &fresh.sealed,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(fresh)
    }

    async fn find_token(&self, token_hash: &str) -> StoreResult<Option<TokenRow>> {
        let c = self.client().await?;
        opt(
            &c,
            "SELECT token_hash, app_id, issued_at, expires_at, sealed FROM access_tokens \
             WHERE token_hash = $1",
            &[&token_hash],
            |r| Ok(token_row(r)),
        )
        .await
    }
}

#[async_trait]
impl ChatStore for PgStore {
    async fn insert_chat(&self, chat: &ChatRow, members: &[Member]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        insert_chat_row(&tx, chat).await?;
        insert_members(&tx, &chat.chat_id, members, chat.created_at_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_chat(&self, chat_id: &str) -> StoreResult<Option<ChatRow>> {
        let c = self.client().await?;
        let sql = format!("SELECT {CHAT_COLUMNS} FROM chats WHERE chat_id = $1");
        opt(&c, &sql, &[&chat_id], |r| chat_row(r, 0)).await
    }

    async fn find_p2p_chat(&self, p2p_key: &str) -> StoreResult<Option<ChatRow>> {
        let c = self.client().await?;
        p2p_chat_by_key(&c, p2p_key).await
    }

    async fn add_members(&self, chat_id: &str, members: &[Member], at_ms: i64) -> StoreResult<u64> {
        let c = self.client().await?;
        insert_members(&c, chat_id, members, at_ms).await
    }

    async fn are_members(&self, of: Members<'_>, ids: &[String]) -> StoreResult<Vec<bool>> {
        let (chat_id, kind) = (of.chat_id, of.kind);
        let c = self.client().await?;
        let found: HashSet<String> = all(
            &c,
            "SELECT member_id FROM chat_members WHERE chat_id = $1 AND member_kind = $2 \
             AND member_id = ANY($3)",
            &[&chat_id, &kind.as_str(), &ids],
            first,
        )
        .await?
        .into_iter()
        .collect();
        Ok(ids.iter().map(|id| found.contains(id)).collect())
    }

    async fn list_members(&self, slice: MemberSlice<'_>) -> StoreResult<(Vec<String>, i64)> {
        let (chat_id, kind) = (slice.of.chat_id, slice.of.kind.as_str());
        let c = self.client().await?;
        let ids = all(
            &c,
            "SELECT member_id FROM chat_members WHERE chat_id = $1 AND member_kind = $2 \
             ORDER BY joined_at, position LIMIT $3 OFFSET $4",
            &[
                &chat_id,
                &kind,
                &i64::from(slice.limit),
                &i64::from(slice.offset),
            ],
            first,
        )
        .await?;
        let total = opt(
            &c,
            "SELECT COUNT(*) FROM chat_members WHERE chat_id = $1 AND member_kind = $2",
            &[&chat_id, &kind],
            first,
        )
        .await?;
        Ok((ids, total.unwrap_or(0)))
    }
}

async fn message_by_uuid(
    c: &impl GenericClient,
    key: UuidKey<'_>,
) -> StoreResult<Option<MessageRow>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE sender_app = $1 AND uuid = $2 \
         AND create_time >= $3 ORDER BY create_time LIMIT 1"
    );
    let params: [&(dyn ToSql + Sync); 3] = [&key.app_id, &key.uuid, &key.since_ms];
    opt(c, &sql, &params, message_row).await
}

#[async_trait]
impl MessageStore for PgStore {
    async fn send_message(&self, msg: NewMessage) -> StoreResult<Sent> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let mut row = msg.row;
        if let Some(uuid) = &row.uuid {
            lock_key(&tx, &format!("uuid|{}|{uuid}", row.sender_app)).await?;
            let key = UuidKey {
                app_id: &row.sender_app,
                uuid,
                since_ms: msg.uuid_since_ms,
            };
            if let Some(first) = message_by_uuid(&tx, key).await? {
                tx.commit().await?;
                return Ok(Sent::Duplicate(first));
            }
        }
        row.chat_id = match &msg.to {
            Destination::Chat(chat_id) => chat_id.clone(),
            Destination::P2p(chat) => open_p2p_chat(&tx, chat).await?.chat_id,
        };
        let mentions = to_json(&row.mentions)?;
        let stmt = tx
            .prepare_cached(&format!(
                "INSERT INTO messages ({MESSAGE_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ))
            .await?;
        tx.execute(
            &stmt,
            &[
                &row.message_id.as_str(),
                &row.chat_id.as_str(),
                &row.sender_app,
                &row.msg_type,
                &row.content,
                &row.uuid,
                &row.create_time_ms,
                &row.update_time_ms,
                &i64::from(row.updated),
                &i64::from(row.recalled),
                &i64::from(row.deleted),
                &row.sender_user,
                &mentions,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Sent::New(row))
    }

    async fn get_message(&self, message_id: &str) -> StoreResult<Option<MessageRow>> {
        let c = self.client().await?;
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE message_id = $1");
        opt(&c, &sql, &[&message_id], message_row).await
    }

    async fn message_by_uuid(&self, key: UuidKey<'_>) -> StoreResult<Option<MessageRow>> {
        let c = self.client().await?;
        message_by_uuid(&c, key).await
    }

    async fn update_message_content(&self, edit: ContentEdit<'_>) -> StoreResult<bool> {
        let c = self.client().await?;
        let changed = run(
            &c,
            "UPDATE messages SET content = $1, update_time = $2, updated = 1 \
             WHERE message_id = $3 AND recalled = 0",
            &[&edit.content, &edit.now_ms, &edit.message_id],
        )
        .await?;
        Ok(changed == 1)
    }

    async fn chat_messages(&self, chat_id: &str, limit: u32) -> StoreResult<Vec<MessageRow>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 \
             ORDER BY create_time DESC, message_id DESC LIMIT $2"
        );
        let mut rows = all(&c, &sql, &[&chat_id, &i64::from(limit)], message_row).await?;
        rows.reverse();
        Ok(rows)
    }

    async fn recall_message(&self, message_id: &str, now_ms: i64) -> StoreResult<bool> {
        let c = self.client().await?;
        let changed = run(
            &c,
            "UPDATE messages SET recalled = 1, update_time = $1 \
             WHERE message_id = $2 AND recalled = 0",
            &[&now_ms, &message_id],
        )
        .await?;
        Ok(changed == 1)
    }
}

#[async_trait]
impl FeedCardStore for PgStore {
    async fn insert_feed_cards(&self, new: NewFeedCards, json: String) -> StoreResult<Vec<bool>> {
        let time_sensitive = i64::from(new.card.time_sensitive.unwrap_or(false));
        let wanted = new.user_ids.len() as i64;
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let content_id = insert_content(&tx, &json, wanted).await?;
        // One statement gives the card to every user who does not have it yet.
        let stmt = tx
            .prepare_cached(
                "INSERT INTO feed_cards (user_id, app_id, biz_id, content_id, time_sensitive, \
                 created_at, updated_at, display_time, sort_time, unread) \
                 SELECT u, $1, $2, $3, $4, $5, $5, $5, $5, $6 FROM unnest($7::text[]) AS u \
                 ON CONFLICT DO NOTHING RETURNING user_id",
            )
            .await?;
        let created: HashSet<String> = tx
            .query(
                &stmt,
                &[
                    &new.app_id.as_str(),
                    &new.biz_id.as_str(),
                    &content_id,
                    &time_sensitive,
                    &new.now_ms,
                    &new.unread,
                    &new.user_ids,
                ],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let inserted = created.len() as i64;
        if inserted != wanted {
            adjust_refs(&tx, HashMap::from([(content_id, inserted - wanted)])).await?;
        }
        tx.commit().await?;
        Ok(new.user_ids.iter().map(|u| created.contains(u)).collect())
    }

    async fn feed_card(&self, key: CardKey<'_>) -> StoreResult<Option<FeedCardRow>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM feed_cards f \
             JOIN feed_card_contents c ON c.content_id = f.content_id \
             WHERE f.user_id = $1 AND f.app_id = $2 AND f.biz_id = $3"
        );
        let params: [&(dyn ToSql + Sync); 3] = [&key.user_id, &key.app_id, &key.biz_id];
        opt(&c, &sql, &params, card_row).await
    }

    async fn feed_cards_of_user(
        &self,
        app_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<FeedCardRow>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM feed_cards f \
             JOIN feed_card_contents c ON c.content_id = f.content_id \
             WHERE f.user_id = $1 AND f.app_id = $2 ORDER BY f.sort_time DESC, f.biz_id"
        );
        all(&c, &sql, &[&user_id, &app_id], card_row).await
    }

    async fn update_feed_cards(&self, batch: FeedCardEdits) -> StoreResult<Vec<bool>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let select = tx
            .prepare_cached(
                "SELECT f.content_id, c.card FROM feed_cards f \
                 JOIN feed_card_contents c ON c.content_id = f.content_id \
                 WHERE f.user_id = $1 AND f.app_id = $2 AND f.biz_id = $3 FOR UPDATE OF f",
            )
            .await?;
        let update = tx
            .prepare_cached(
                "UPDATE feed_cards SET content_id = $1, time_sensitive = $2, updated_at = $3, \
                 display_time = CASE WHEN $4 THEN $3 ELSE display_time END, \
                 sort_time = CASE WHEN $5 THEN $3 ELSE sort_time END, unread = unread + $6 \
                 WHERE user_id = $7 AND app_id = $8 AND biz_id = $9",
            )
            .await?;
        let mut found = Vec::with_capacity(batch.edits.len());
        let mut regrouping = Regrouping::default();
        for edit in &batch.edits {
            let Some(row) = tx
                .query_opt(
                    &select,
                    &[&edit.user_id, &batch.app_id, &edit.biz_id.as_str()],
                )
                .await?
            else {
                found.push(false);
                continue;
            };
            let old_id: i64 = row.get(0);
            let (card, effects, placed) =
                regrouping.merge(old_id, row.get(1), edit, batch.merge)?;
            let new_id = match placed {
                Placed::At(id) => id,
                Placed::New(json) => {
                    let id = insert_content(&tx, &json, 0).await?;
                    regrouping.stored(json, id);
                    id
                }
            };
            regrouping.moved(old_id, new_id);
            tx.execute(
                &update,
                &[
                    &new_id,
                    &i64::from(card.time_sensitive.unwrap_or(false)),
                    &batch.now_ms,
                    &effects.display_time,
                    &effects.sort_time,
                    &i64::from(effects.notify),
                    &edit.user_id,
                    &batch.app_id,
                    &edit.biz_id.as_str(),
                ],
            )
            .await?;
            found.push(true);
        }
        adjust_refs(&tx, regrouping.deltas).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn delete_feed_cards(
        &self,
        app_id: &str,
        keys: Vec<(String, String)>,
    ) -> StoreResult<Vec<bool>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let delete = tx
            .prepare_cached(
                "DELETE FROM feed_cards WHERE user_id = $1 AND app_id = $2 AND biz_id = $3 \
                 RETURNING content_id",
            )
            .await?;
        let mut deltas: HashMap<i64, i64> = HashMap::new();
        let mut found = Vec::with_capacity(keys.len());
        for (user_id, biz_id) in &keys {
            let gone = tx.query_opt(&delete, &[user_id, &app_id, biz_id]).await?;
            if let Some(row) = &gone {
                *deltas.entry(row.get(0)).or_default() -= 1;
            }
            found.push(gone.is_some());
        }
        adjust_refs(&tx, deltas).await?;
        tx.commit().await?;
        Ok(found)
    }
}

#[async_trait]
impl FeedStore for PgStore {
    async fn set_pins(&self, at: ChatUsers, pinned: bool) -> StoreResult<()> {
        let c = self.client().await?;
        set_pin(&c, &at, pinned).await
    }

    async fn pin_p2p_chats(&self, pins: P2pPins) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        for new in &pins.chats {
            let chat = open_p2p_chat(&tx, new).await?;
            let at = ChatUsers {
                app_id: pins.app_id.clone(),
                chat_id: chat.chat_id.to_string(),
                user_ids: chat.p2p_user.into_iter().collect(),
                now_ms: pins.now_ms,
            };
            set_pin(&tx, &at, pins.pinned).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn feed_page(&self, slice: FeedSlice<'_>) -> StoreResult<FeedRows> {
        let FeedSlice {
            user_id,
            after,
            limit,
        } = slice;
        let mut c = self.client().await?;
        // One snapshot, so the three lists agree.
        let tx = snapshot(&mut c).await?;
        let limit = i64::from(limit);
        let cards = match after {
            None => {
                tx.query(
                    &format!(
                        "SELECT {CARD_COLUMNS} FROM feed_cards f \
                         JOIN feed_card_contents c ON c.content_id = f.content_id WHERE f.user_id = $1 \
                         ORDER BY f.time_sensitive DESC, f.sort_time DESC, f.biz_id COLLATE \"C\", \
                         f.app_id COLLATE \"C\" LIMIT $2"
                    ),
                    &[&user_id, &limit],
                )
                .await?
            }
            Some(cur) => {
                let ts = i64::from(cur.time_sensitive);
                // Row comparison in feed order: after the cursor means a lower time-sensitive
                // flag, or the same flag and an older sort time, or the same both and a later
                // (biz_id, app_id).
                tx.query(
                    &format!(
                        "SELECT {CARD_COLUMNS} FROM feed_cards f \
                         JOIN feed_card_contents c ON c.content_id = f.content_id WHERE f.user_id = $1 \
                         AND (f.time_sensitive < $3 OR (f.time_sensitive = $3 AND (f.sort_time < $4 \
                         OR (f.sort_time = $4 AND (f.biz_id COLLATE \"C\", f.app_id COLLATE \"C\") > ($5, $6))))) \
                         ORDER BY f.time_sensitive DESC, f.sort_time DESC, f.biz_id COLLATE \"C\", \
                         f.app_id COLLATE \"C\" LIMIT $2"
                    ),
                    &[&user_id, &limit, &ts, &cur.sort_time_ms, &cur.key, &cur.app_id],
                )
                .await?
            }
        };
        let cards = cards
            .iter()
            .map(card_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let chat_columns = CHAT_COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let chats = tx
            .query(
                &format!(
                    "SELECT {chat_columns}, m.joined_at, p.app_id, {FEED_CHAT_EXTRA} \
                     WHERE m.member_kind = 'user' AND m.member_id = $1 AND c.dissolved = 0"
                ),
                &[&user_id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(FeedChatRow {
                    chat: chat_row(r, 0)?,
                    joined_at_ms: r.get(11),
                    pinned_by: opt_id(r, 12)?,
                    last_message_ms: r.get(13),
                    last_message: match (r.get(14), r.get(15), r.get(17)) {
                        (Some(msg_type), Some(content), Some(sender_app)) => Some(LastMessage {
                            msg_type,
                            content,
                            sender_user: r.get(16),
                            sender_app,
                        }),
                        _ => None,
                    },
                    unread: r.get(18),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let buttons = tx
            .query(
                "SELECT app_id, chat_id, buttons FROM chat_buttons WHERE user_id = $1 \
                 ORDER BY chat_id, app_id",
                &[&user_id],
            )
            .await?
            .iter()
            .map(|r| Ok((id(r, 0)?, id(r, 1)?, r.get(2))))
            .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
        FeedRows::with_buttons(cards, chats, buttons)
    }

    async fn set_chat_buttons(&self, at: ChatUsers, buttons: &[Button]) -> StoreResult<()> {
        let json = to_json(&buttons)?;
        let c = self.client().await?;
        run(
            &c,
            "INSERT INTO chat_buttons (app_id, chat_id, user_id, buttons, updated_at) \
             SELECT $1, $2, u, $3, $4 FROM unnest($5::text[]) AS u \
             ON CONFLICT (app_id, chat_id, user_id) \
             DO UPDATE SET buttons = excluded.buttons, updated_at = excluded.updated_at",
            &[&at.app_id, &at.chat_id, &json, &at.now_ms, &at.user_ids],
        )
        .await?;
        Ok(())
    }

    async fn read_chat(&self, entry: ChatEntry<'_>, at_ms: i64) -> StoreResult<()> {
        let c = self.client().await?;
        run(
            &c,
            "UPDATE chat_members SET read_until = GREATEST(read_until, $3) \
             WHERE chat_id = $1 AND member_kind = 'user' AND member_id = $2",
            &[&entry.chat_id, &entry.user_id, &at_ms],
        )
        .await?;
        Ok(())
    }

    async fn chat_buttons(&self, entry: ChatEntry<'_>) -> StoreResult<Vec<AppButtons>> {
        let c = self.client().await?;
        let rows = all(
            &c,
            "SELECT app_id, chat_id, buttons FROM chat_buttons \
             WHERE chat_id = $1 AND user_id = $2 ORDER BY app_id COLLATE \"C\"",
            &[&entry.chat_id, &entry.user_id],
            |r| Ok((id(r, 0)?, id(r, 1)?, r.get(2))),
        )
        .await?;
        read_buttons(rows)
    }
}

#[async_trait]
impl MetaStore for PgStore {
    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        let c = self.client().await?;
        opt(&c, "SELECT value FROM meta WHERE key = $1", &[&key], first).await
    }

    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()> {
        let c = self.client().await?;
        let sql = "INSERT INTO meta (key, value) VALUES ($1, $2) \
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        run(&c, sql, &[&key, &value]).await.map(drop)
    }
}

#[async_trait]
impl PlatformStore for PgStore {
    async fn app_settings(&self, app_id: &str) -> StoreResult<Option<String>> {
        let c = self.client().await?;
        let sql = "SELECT settings FROM app_settings WHERE app_id = $1";
        opt(&c, sql, &[&app_id], first).await
    }

    async fn set_app_settings(&self, app_id: &str, settings: &str) -> StoreResult<()> {
        let c = self.client().await?;
        let sql = "INSERT INTO app_settings (app_id, settings) VALUES ($1, $2) \
                   ON CONFLICT (app_id) DO UPDATE SET settings = excluded.settings";
        run(&c, sql, &[&app_id, &settings]).await.map(drop)
    }

    async fn insert_card_token(&self, row: CardTokenRow) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO card_tokens (token, app_id, message_id, user_id, expires_at, uses) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &row.token,
                &row.app_id,
                &row.message_id,
                &row.user_id,
                &row.expires_at_ms,
                &row.uses,
            ],
        )
        .await?;
        Ok(())
    }

    async fn use_card_token(&self, spend: CardTokenSpend<'_>) -> StoreResult<CardTokenUse> {
        let CardTokenSpend {
            token,
            app_id,
            now_ms,
            max_uses,
        } = spend;
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT token, app_id, message_id, user_id, expires_at, uses FROM card_tokens \
                 WHERE token = $1 FOR UPDATE",
                &[&token],
            )
            .await?
            .map(|r| CardTokenRow {
                token: r.get(0),
                app_id: r.get(1),
                message_id: r.get(2),
                user_id: r.get(3),
                expires_at_ms: r.get(4),
                uses: r.get(5),
            });
        let outcome = match row.filter(|r| r.app_id == app_id) {
            None => CardTokenUse::Unknown,
            Some(r) if r.expires_at_ms <= now_ms => CardTokenUse::Expired,
            Some(r) if r.uses >= max_uses => CardTokenUse::UsedUp,
            Some(mut r) => {
                tx.execute(
                    "UPDATE card_tokens SET uses = uses + 1 WHERE token = $1",
                    &[&token],
                )
                .await?;
                r.uses += 1;
                CardTokenUse::Used(r)
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }
}

/// The columns of a table, with whether each holds integers.
async fn columns(c: &impl GenericClient, table: &str) -> StoreResult<Vec<(String, bool)>> {
    Ok(c.query(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position",
        &[&table],
    )
    .await?
    .iter()
    .map(|r| {
        let data_type: String = r.get(1);
        (r.get(0), data_type == "bigint" || data_type == "integer")
    })
    .collect())
}

async fn empty_all(c: &impl GenericClient) -> StoreResult<()> {
    c.batch_execute(&format!("TRUNCATE {}", STATE_TABLES.join(", ")))
        .await?;
    Ok(())
}

#[async_trait]
impl SnapshotStore for PgStore {
    async fn reset(&self) -> StoreResult<()> {
        let c = self.client().await?;
        empty_all(&c).await
    }

    async fn export(&self) -> StoreResult<Snapshot> {
        let mut c = self.client().await?;
        let tx = snapshot(&mut c).await?;
        let mut out = Snapshot::new();
        for table in STATE_TABLES {
            let cols = columns(&tx, table).await?;
            let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
            let order: Vec<String> = cols
                .iter()
                .map(|(n, int)| {
                    if *int {
                        n.clone()
                    } else {
                        format!("{n} COLLATE \"C\"")
                    }
                })
                .collect();
            let rows = tx
                .query(
                    &format!(
                        "SELECT {} FROM {table} ORDER BY {}",
                        names.join(", "),
                        order.join(", ")
                    ),
                    &[],
                )
                .await?;
            let rows = rows
                .iter()
                .map(|r| {
                    let mut row = serde_json::Map::new();
                    for (i, (name, int)) in cols.iter().enumerate() {
                        let value = if *int {
                            r.get::<_, Option<i64>>(i).map(Into::into)
                        } else {
                            r.get::<_, Option<String>>(i).map(Into::into)
                        };
                        row.insert(name.clone(), value.unwrap_or(serde_json::Value::Null));
                    }
                    row
                })
                .collect();
            out.insert(table.to_string(), rows);
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn import(&self, snapshot: Snapshot) -> StoreResult<()> {
        only_state_tables(&snapshot)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        empty_all(&tx).await?;
        for table in STATE_TABLES {
            let Some(rows) = snapshot.get(*table) else {
                continue;
            };
            let known = columns(&tx, table).await?;
            for (n, row) in rows.iter().enumerate() {
                let refused = |why: String| StoreError::Refused(format!("{table}[{n}]: {why}"));
                let mut names = Vec::new();
                let mut values: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
                for (name, value) in row {
                    let Some((_, int)) = known.iter().find(|(k, _)| k == name) else {
                        return Err(refused(format!("unknown column {name:?}")));
                    };
                    names.push(name.as_str());
                    values.push(match (value, int) {
                        (serde_json::Value::Null, true) => Box::new(None::<i64>),
                        (serde_json::Value::Null, false) => Box::new(None::<String>),
                        (serde_json::Value::Number(v), true) => Box::new(
                            v.as_i64()
                                .ok_or_else(|| refused(format!("{name}: not a whole number")))?,
                        ),
                        (serde_json::Value::Bool(b), true) => Box::new(i64::from(*b)),
                        (serde_json::Value::String(s), false) => Box::new(s.clone()),
                        (other, _) => {
                            return Err(refused(format!(
                                "{name}: {other} is not a value of this column"
                            )))
                        }
                    });
                }
                let sql = format!(
                    "INSERT INTO {table} ({}) VALUES ({})",
                    names.join(", "),
                    (1..=names.len())
                        .map(|i| format!("${i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let params: Vec<&(dyn ToSql + Sync)> = values
                    .iter()
                    .map(|v| v.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                tx.execute(&sql, &params).await.map_err(|e| {
                    refused(
                        e.as_db_error()
                            .map(|d| d.message().to_string())
                            .unwrap_or_else(|| e.to_string()),
                    )
                })?;
            }
        }
        // New contents continue after the loaded ones.
        tx.batch_execute(
            "SELECT setval(pg_get_serial_sequence('feed_card_contents', 'content_id'), \
             COALESCE((SELECT MAX(content_id) FROM feed_card_contents), 0) + 1, false)",
        )
        .await?;
        tx.commit().await?;
        Ok(())
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
            let mut c = self.client().await?;
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
        let c = self.client().await.map_err(|e| e.to_string())?;
        c.execute("DELETE FROM rate_windows WHERE ends_at < $1", &[&now_ms])
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

#[async_trait]
impl Store for PgStore {
    async fn close(&self) -> StoreResult<()> {
        self.pool.close();
        Ok(())
    }
}

/// The PostgreSQL the tests use: `LARKFEED_TEST_POSTGRES`, else the local server's `test`
/// database.
pub fn test_url() -> String {
    std::env::var("LARKFEED_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A schema of its own for one test, dropped (with everything in it) when this is dropped.
pub struct TestSchema {
    pub url: String,
    pub name: String,
}

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

impl Default for TestSchema {
    fn default() -> Self {
        TestSchema::new()
    }
}

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
