//! The embedded SQLite store (rusqlite, SQLite compiled in).
//!
//! - **Writes** go to one thread that owns the write connection and commits many callers'
//!   writes in one transaction (`writer`); a caller hears back after the commit.
//! - **Reads** run on a small pool of read-only connections, straight on the calling task: WAL
//!   readers see the last commit and never wait for the writer. Reads are point lookups or
//!   bounded pages, so they take microseconds.
//! - **Checkpoints** are copied and synced by a thread of their own, off the write path, until
//!   a copy finds few new frames; past `CHECKPOINT_PAGES` pages it asks the writer to copy the
//!   last few between two batches, after which the writer's next transaction starts the WAL
//!   again from its beginning.
//! - **Durability:** WAL with `synchronous = NORMAL` by default: an acknowledged write is in the
//!   WAL file and survives the process being killed; a power loss may lose the writes since the
//!   last checkpoint (a fraction of a second) but never corrupts the file. [`Durability::Full`]
//!   syncs the WAL at every commit, so acknowledged writes survive a power loss too.
//! - **Memory:** [`Location::Memory`] is the same engine on SQLite's in-process memory file
//!   system (`memdb`): no files, no system calls, gone when the store is dropped. It has no WAL
//!   (a rollback journal in memory), so a read may wait for the memory copy of a commit, a few
//!   microseconds, but never for a write's work.

mod migrate;
mod platform;
mod writer;

use super::*;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use writer::Writer;

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    /// Nothing on disk: a RAM file system, discarded when the server stops.
    Memory,
}

impl Location {
    /// `memory`, `sqlite::memory:`, `sqlite://path`, `sqlite:path` or a plain path.
    pub fn parse(database: &str) -> Location {
        match database {
            "memory" | ":memory:" | "sqlite::memory:" | "sqlite://:memory:" => Location::Memory,
            other => {
                let path = other
                    .strip_prefix("sqlite://")
                    .or_else(|| other.strip_prefix("sqlite:"))
                    .unwrap_or(other);
                Location::File(PathBuf::from(path))
            }
        }
    }
}

/// How hard a commit tries to reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Survives the process being killed (WAL, `synchronous = NORMAL`).
    #[default]
    Normal,
    /// Also survives a power loss (`synchronous = FULL`: the WAL is synced at each commit).
    Full,
}

/// Read connections kept open between reads.
const IDLE_READERS: usize = 8;
/// WAL pages after which the WAL starts again from its beginning (about 4 MB). Without a
/// restart a busy WAL would grow without end; a small WAL is overwritten in place, so the writer
/// never waits for the file system to find it new blocks.
const CHECKPOINT_PAGES: i64 = 1_000;
/// How often the checkpointer thread copies the WAL back into a database file. Often, so each
/// copy and sync is small; off the write path, so no write waits for it. (Measured at 1,000
/// creates/s: the writer checkpointing for itself every 10,000 pages put p99 near 40 ms; this
/// thread with a 4 MB WAL, near 6 ms.)
const CHECKPOINT_EVERY: Duration = Duration::from_millis(30);
/// The writer copies the WAL's last frames itself (see [`finish_copy`]), so before asking it
/// the checkpointer copies again and again while each copy still finds more than this many new
/// frames (at most `CATCH_UP_COPIES` times: a writer faster than the copy is not chased).
/// Measured at 1,000 creates/s: a restart right after one copy (`wal_checkpoint(RESTART)` from
/// the checkpointer) held the writer for every frame written during that copy, 6 to 7 ms once in
/// every 50 ms, and p99 was 7.4 ms; copying until caught up brought it to 1.6 ms.
const CATCH_UP_FRAMES: i64 = 32;
const CATCH_UP_COPIES: usize = 10;

pub struct SqliteStore {
    writer: Writer,
    readers: Readers,
    checkpoints: Arc<Checkpoints>,
}

/// What the checkpointer thread and the writer share.
#[derive(Default)]
struct Checkpoints {
    /// Tells the checkpointer thread to stop.
    stop: AtomicBool,
    /// The checkpointer has copied nearly all of a long WAL: the writer is to copy the rest.
    finish: AtomicBool,
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl From<rusqlite::Error> for StoreError {
    /// A value that could not be read back as its type (an id of the wrong kind, an unknown chat
    /// type, broken JSON) is corrupt data; anything else is the database's own failure.
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::FromSqlConversionFailure(..) => corrupt(e),
            e => backend(e),
        }
    }
}

fn configure(conn: &Connection, sync: &str, cache_kib: u32) -> rusqlite::Result<()> {
    conn.busy_handler(Some(|tries| {
        std::thread::sleep(Duration::from_micros(100));
        tries < 100_000
    }))?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {sync}; PRAGMA cache_size = -{cache_kib}; PRAGMA temp_store = MEMORY;"
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub fn open(location: &Location, durability: Durability) -> anyhow::Result<SqliteStore> {
        let (path, memory, sync) = match location {
            Location::File(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    if !dir.is_dir() {
                        anyhow::bail!(
                            "cannot open the database {}: the folder {} does not exist",
                            path.display(),
                            dir.display()
                        );
                    }
                }
                let sync = match durability {
                    Durability::Normal => "NORMAL",
                    Durability::Full => "FULL",
                };
                (path.clone(), false, sync)
            }
            // A name of its own, so that several stores in one process stay apart.
            Location::Memory => (
                PathBuf::from(format!("file:/larkfeed-{}?vfs=memdb", uuid::Uuid::new_v4())),
                true,
                "OFF",
            ),
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags)
            .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", path.display()))?;
        conn.pragma_update(None, "journal_mode", if memory { "MEMORY" } else { "WAL" })?;
        configure(&conn, sync, 16 * 1024)?;
        // The checkpointer thread (below) copies the WAL back, off the write path.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        migrate::run(&conn)?;
        let checkpoints = Arc::new(Checkpoints::default());
        if !memory {
            start_checkpointer(&path, checkpoints.clone())?;
        }
        let asked = checkpoints.clone();
        Ok(SqliteStore {
            writer: Writer::start(conn, move |conn| finish_copy(conn, &asked.finish))?,
            readers: Readers {
                path,
                sync,
                idle: Mutex::new(Vec::new()),
            },
            checkpoints,
        })
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self.readers.take()?;
        let result = f(&conn);
        self.readers.give_back(conn);
        result
    }

    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.writer.write(f).await
    }
}

fn start_checkpointer(path: &Path, shared: Arc<Checkpoints>) -> std::io::Result<()> {
    let path = path.to_path_buf();
    std::thread::Builder::new()
        .name("larkfeed-checkpoint".into())
        .spawn(move || {
            let Ok(conn) = Connection::open(&path) else {
                return;
            };
            while !shared.stop.load(Ordering::Relaxed) {
                std::thread::sleep(CHECKPOINT_EVERY);
                match checkpoint_round(&conn) {
                    Ok(true) => shared.finish.store(true, Ordering::Relaxed),
                    Ok(false) => {}
                    Err(e) => tracing::debug!(error = %e, "checkpoint put off"),
                }
            }
        })
        .map(|_| ())
}

/// Copies the WAL back into the database file while the writer goes on, until a copy finds
/// few new frames. True when the WAL has grown past `CHECKPOINT_PAGES`: time for the writer to
/// copy the rest, so that the WAL starts again.
fn checkpoint_round(conn: &Connection) -> rusqlite::Result<bool> {
    // Frames in the WAL, as the last checkpoint found it.
    let checkpoint = |mode: &str| {
        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
            r.get::<_, i64>(1)
        })
    };
    let mut frames = 0;
    for _ in 0..CATCH_UP_COPIES {
        let before = frames;
        frames = checkpoint("PASSIVE")?;
        if frames - before <= CATCH_UP_FRAMES {
            break;
        }
    }
    Ok(frames >= CHECKPOINT_PAGES)
}

/// Run by the writer between two batches: when the checkpointer asks, copies the WAL's last
/// frames back. Nothing writes meanwhile, so the copy is complete (unless a reader still reads an
/// older frame), and the writer's next transaction starts the WAL again from its beginning. No
/// one waits for anyone: a restart from another connection (`wal_checkpoint(RESTART)`) would
/// hold the write lock while it waited for a gap between batches, and under a steady load found
/// one too seldom: the WAL grew to 104-110 MB at 6,500 creates/s, against 52 MB this way.
fn finish_copy(conn: &Connection, asked: &AtomicBool) {
    if asked.swap(false, Ordering::Relaxed) {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::debug!(error = %e, "checkpoint put off");
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpoints.stop.store(true, Ordering::Relaxed);
    }
}

struct Readers {
    path: PathBuf,
    sync: &'static str,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    fn take(&self) -> StoreResult<Connection> {
        if let Some(conn) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn, self.sync, 2 * 1024)?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
    }
}

// ---- rows ----

// The columns a row type is read from, as literals, so that a statement is one `concat!` at
// compile time (a `format!` per call cost a string and its hashing in the statement cache).
macro_rules! chat_columns {
    () => {
        "chat_id, name, description, chat_type, owner_user, owner_app, creator_app, p2p_key, \
         p2p_user, dissolved, created_at"
    };
}
macro_rules! message_columns {
    () => {
        "message_id, chat_id, sender_app, msg_type, content, uuid, create_time, update_time, \
         updated, recalled, deleted, sender_user, mentions"
    };
}
macro_rules! card_columns {
    () => {
        "f.app_id, f.user_id, f.biz_id, c.card, f.created_at, f.updated_at, f.display_time, \
         f.sort_time, f.unread"
    };
}
/// `SELECT` of card rows (a card joined to its content), then `$rest` (`WHERE …`).
macro_rules! select_cards {
    ($rest:literal) => {
        concat!(
            "SELECT ",
            card_columns!(),
            " FROM feed_cards f JOIN feed_card_contents c ON c.content_id = f.content_id ",
            $rest
        )
    };
}
const CHAT_COLUMNS: &str = chat_columns!();

/// An id column, its kind checked as it is read.
fn id<T: std::str::FromStr<Err = larkfeed_model::ids::IdError>>(
    r: &Row,
    at: usize,
) -> rusqlite::Result<T> {
    let text: String = r.get(at)?;
    text.parse().map_err(|e: larkfeed_model::ids::IdError| {
        rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, e.into())
    })
}

fn opt_id<T: std::str::FromStr<Err = larkfeed_model::ids::IdError>>(
    r: &Row,
    at: usize,
) -> rusqlite::Result<Option<T>> {
    match r.get_ref(at)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => id(r, at).map(Some),
    }
}

fn chat_row(r: &Row, at: usize) -> rusqlite::Result<ChatRow> {
    let chat_type: String = r.get(at + 3)?;
    Ok(ChatRow {
        chat_id: id(r, at)?,
        name: r.get(at + 1)?,
        description: r.get(at + 2)?,
        chat_type: ChatType::parse(&chat_type).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                at + 3,
                rusqlite::types::Type::Text,
                format!("unknown chat type {chat_type:?}").into(),
            )
        })?,
        owner_user: r.get(at + 4)?,
        owner_app: opt_id(r, at + 5)?,
        creator_app: id(r, at + 6)?,
        p2p_key: r.get(at + 7)?,
        p2p_user: r.get(at + 8)?,
        dissolved: r.get::<_, i64>(at + 9)? != 0,
        created_at_ms: r.get(at + 10)?,
    })
}

fn message_row(r: &Row) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        message_id: id(r, 0)?,
        chat_id: id(r, 1)?,
        sender_app: r.get(2)?,
        msg_type: r.get(3)?,
        content: r.get(4)?,
        uuid: r.get(5)?,
        create_time_ms: r.get(6)?,
        update_time_ms: r.get(7)?,
        updated: r.get::<_, i64>(8)? != 0,
        recalled: r.get::<_, i64>(9)? != 0,
        deleted: r.get::<_, i64>(10)? != 0,
        sender_user: r.get(11)?,
        mentions: {
            let json: String = r.get(12)?;
            serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(12, rusqlite::types::Type::Text, e.into())
            })?
        },
    })
}

/// A card row with its content still as JSON (parsed by [`parse_card`]).
fn card_row(r: &Row) -> rusqlite::Result<(FeedCardRow, String)> {
    Ok((
        FeedCardRow {
            app_id: id(r, 0)?,
            user_id: r.get(1)?,
            biz_id: id(r, 2)?,
            card: OpenAppFeedCard::default(),
            created_at_ms: r.get(4)?,
            updated_at_ms: r.get(5)?,
            display_time_ms: r.get(6)?,
            sort_time_ms: r.get(7)?,
            unread: r.get(8)?,
        },
        r.get(3)?,
    ))
}

fn parse_card((mut row, json): (FeedCardRow, String)) -> StoreResult<FeedCardRow> {
    row.card = serde_json::from_str(&json).map_err(corrupt)?;
    Ok(row)
}

// ---- writes shared by several operations (run inside the writer's transaction) ----

fn insert_chat_row(conn: &Connection, chat: &ChatRow) -> rusqlite::Result<()> {
    conn.prepare_cached(concat!(
        "INSERT INTO chats (",
        chat_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))?
    .execute(params![
        chat.chat_id.as_str(),
        chat.name,
        chat.description,
        chat.chat_type.as_str(),
        chat.owner_user,
        chat.owner_app.as_deref(),
        chat.creator_app.as_str(),
        chat.p2p_key,
        chat.p2p_user,
        chat.dissolved as i64,
        chat.created_at_ms,
    ])?;
    Ok(())
}

fn insert_members(
    conn: &Connection,
    chat_id: &str,
    members: &[Member],
    now_ms: i64,
) -> rusqlite::Result<u64> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO chat_members (chat_id, member_kind, member_id, joined_at, position) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )?;
    let mut added = 0;
    for (position, (kind, id)) in members.iter().enumerate() {
        added += stmt.execute(params![chat_id, kind.as_str(), id, now_ms, position as i64])? as u64;
    }
    Ok(added)
}

fn p2p_chat_by_key(conn: &Connection, key: &str) -> rusqlite::Result<Option<ChatRow>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        chat_columns!(),
        " FROM chats WHERE p2p_key = ?"
    ))?
    .query_row([key], |r| chat_row(r, 0))
    .optional()
}

/// The one-to-one chat `new` describes: the stored one, or `new` itself, stored now with its bot
/// and user as members.
fn open_p2p_chat(conn: &Connection, new: &ChatRow) -> StoreResult<ChatRow> {
    let key = new
        .p2p_key
        .as_deref()
        .ok_or_else(|| StoreError::Corrupt("a one-to-one chat without a key".into()))?;
    if let Some(existing) = p2p_chat_by_key(conn, key)? {
        return Ok(existing);
    }
    let user = new
        .p2p_user
        .clone()
        .ok_or_else(|| StoreError::Corrupt("a one-to-one chat without a user".into()))?;
    insert_chat_row(conn, new)?;
    insert_members(
        conn,
        &new.chat_id,
        &[
            (MemberKind::Bot, new.creator_app.to_string()),
            (MemberKind::User, user),
        ],
        new.created_at_ms,
    )?;
    Ok(new.clone())
}

fn set_pin(
    conn: &Connection,
    app_id: &str,
    chat_id: &str,
    user_id: &str,
    pinned: bool,
    now_ms: i64,
) -> rusqlite::Result<()> {
    if pinned {
        conn.prepare_cached(
            "INSERT INTO feed_pins (chat_id, user_id, app_id, updated_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (chat_id, user_id) DO UPDATE SET app_id = excluded.app_id, \
             updated_at = excluded.updated_at",
        )?
        .execute(params![chat_id, user_id, app_id, now_ms])?;
    } else {
        conn.prepare_cached("DELETE FROM feed_pins WHERE chat_id = ? AND user_id = ?")?
            .execute(params![chat_id, user_id])?;
    }
    Ok(())
}

/// Adds `delta` references to each content and removes contents nobody refers to any more.
fn adjust_refs(conn: &Connection, deltas: HashMap<i64, i64>) -> rusqlite::Result<()> {
    let mut adjust = conn.prepare_cached(
        "UPDATE feed_card_contents SET refs = refs + ? WHERE content_id = ? RETURNING refs",
    )?;
    let mut remove = conn.prepare_cached("DELETE FROM feed_card_contents WHERE content_id = ?")?;
    for (content_id, delta) in deltas {
        if delta == 0 {
            continue;
        }
        let left: Option<i64> = adjust
            .query_row(params![delta, content_id], |r| r.get(0))
            .optional()?;
        if left.is_some_and(|n| n <= 0) {
            remove.execute([content_id])?;
        }
    }
    Ok(())
}

fn insert_content(conn: &Connection, json: &str, refs: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached("INSERT INTO feed_card_contents (card, refs) VALUES (?, ?)")?
        .execute(params![json, refs])?;
    Ok(conn.last_insert_rowid())
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn issue_token(&self, fresh: TokenRow, reuse_ms: i64) -> StoreResult<TokenRow> {
        let now_ms = fresh.issued_at_ms;
        self.write(move |conn| {
            let current = conn
                .prepare_cached(
                    "SELECT token_hash, app_id, issued_at, expires_at, sealed FROM access_tokens \
                     WHERE app_id = ? AND expires_at > ? ORDER BY expires_at DESC LIMIT 1",
                )?
                .query_row(params![fresh.app_id, now_ms], token_row)
                .optional()?;
            if let Some(current) = current.filter(|t| t.expires_at_ms - now_ms >= reuse_ms) {
                return Ok(current);
            }
            conn.prepare_cached(
                "INSERT INTO access_tokens (token_hash, app_id, issued_at, expires_at, sealed) \
                 VALUES (?, ?, ?, ?, ?)",
            )?
            .execute(params![
                fresh.token_hash,
                fresh.app_id,
                fresh.issued_at_ms,
                fresh.expires_at_ms,
                fresh.sealed
            ])?;
            Ok(fresh.clone())
        })
        .await
    }

    async fn find_token(&self, token_hash: &str) -> StoreResult<Option<TokenRow>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT token_hash, app_id, issued_at, expires_at, sealed FROM access_tokens \
                     WHERE token_hash = ?",
                )?
                .query_row([token_hash], token_row)
                .optional()?)
        })
    }
}

fn token_row(r: &Row) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        token_hash: r.get(0)?,
        app_id: r.get(1)?,
        issued_at_ms: r.get(2)?,
        expires_at_ms: r.get(3)?,
        sealed: r.get(4)?,
    })
}

#[async_trait]
impl ChatStore for SqliteStore {
    async fn insert_chat(&self, chat: &ChatRow, members: &[Member]) -> StoreResult<()> {
        let (chat, members) = (chat.clone(), members.to_vec());
        self.write(move |conn| {
            insert_chat_row(conn, &chat)?;
            insert_members(conn, &chat.chat_id, &members, chat.created_at_ms)?;
            Ok(())
        })
        .await
    }

    async fn get_chat(&self, chat_id: &str) -> StoreResult<Option<ChatRow>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(concat!(
                    "SELECT ",
                    chat_columns!(),
                    " FROM chats WHERE chat_id = ?"
                ))?
                .query_row([chat_id], |r| chat_row(r, 0))
                .optional()?)
        })
    }

    async fn find_p2p_chat(&self, p2p_key: &str) -> StoreResult<Option<ChatRow>> {
        self.read(|conn| Ok(p2p_chat_by_key(conn, p2p_key)?))
    }

    async fn add_members(&self, chat_id: &str, members: &[Member], at_ms: i64) -> StoreResult<u64> {
        let (chat_id, members) = (chat_id.to_string(), members.to_vec());
        self.write(move |conn| Ok(insert_members(conn, &chat_id, &members, at_ms)?))
            .await
    }

    async fn are_members(&self, of: Members<'_>, ids: &[String]) -> StoreResult<Vec<bool>> {
        let Members { chat_id, kind } = of;
        let wanted = to_json(&ids)?;
        let found: HashSet<String> = self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT member_id FROM chat_members WHERE chat_id = ? AND member_kind = ? \
                 AND member_id IN (SELECT value FROM json_each(?))",
            )?;
            let rows = stmt.query_map(params![chat_id, kind.as_str(), wanted], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        Ok(ids.iter().map(|id| found.contains(id)).collect())
    }

    async fn list_members(&self, slice: MemberSlice<'_>) -> StoreResult<(Vec<String>, i64)> {
        let MemberSlice { of, offset, limit } = slice;
        let Members { chat_id, kind } = of;
        self.read(|conn| {
            let ids = conn
                .prepare_cached(
                    "SELECT member_id FROM chat_members WHERE chat_id = ? AND member_kind = ? \
                     ORDER BY joined_at, position LIMIT ? OFFSET ?",
                )?
                .query_map(
                    params![chat_id, kind.as_str(), i64::from(limit), i64::from(offset)],
                    |r| r.get(0),
                )?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let total: i64 = conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM chat_members WHERE chat_id = ? AND member_kind = ?",
                )?
                .query_row(params![chat_id, kind.as_str()], |r| r.get(0))?;
            Ok((ids, total))
        })
    }
}

fn message_by_uuid(conn: &Connection, key: UuidKey) -> rusqlite::Result<Option<MessageRow>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages WHERE sender_app = ? AND uuid = ? \
         AND create_time >= ? ORDER BY create_time LIMIT 1"
    ))?
    .query_row(params![key.app_id, key.uuid, key.since_ms], message_row)
    .optional()
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn send_message(&self, msg: NewMessage) -> StoreResult<Sent> {
        self.write(move |conn| {
            let mut row = msg.row.clone();
            if let Some(uuid) = &row.uuid {
                let key = UuidKey {
                    app_id: &row.sender_app,
                    uuid,
                    since_ms: msg.uuid_since_ms,
                };
                if let Some(first) = message_by_uuid(conn, key)? {
                    return Ok(Sent::Duplicate(first));
                }
            }
            row.chat_id = match &msg.to {
                Destination::Chat(chat_id) => chat_id.clone(),
                Destination::P2p(chat) => open_p2p_chat(conn, chat)?.chat_id,
            };
            let mentions = serde_json::to_string(&row.mentions)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
            conn.prepare_cached(concat!(
                "INSERT INTO messages (",
                message_columns!(),
                ") \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ))?
            .execute(params![
                row.message_id.as_str(),
                row.chat_id.as_str(),
                row.sender_app,
                row.msg_type,
                row.content,
                row.uuid,
                row.create_time_ms,
                row.update_time_ms,
                row.updated as i64,
                row.recalled as i64,
                row.deleted as i64,
                row.sender_user,
                mentions,
            ])?;
            Ok(Sent::New(row))
        })
        .await
    }

    async fn get_message(&self, message_id: &str) -> StoreResult<Option<MessageRow>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM messages WHERE message_id = ?"
                ))?
                .query_row([message_id], message_row)
                .optional()?)
        })
    }

    async fn message_by_uuid(&self, key: UuidKey<'_>) -> StoreResult<Option<MessageRow>> {
        self.read(|conn| Ok(message_by_uuid(conn, key)?))
    }

    async fn update_message_content(&self, edit: ContentEdit<'_>) -> StoreResult<bool> {
        let (message_id, content) = (edit.message_id.to_string(), edit.content.to_string());
        let now_ms = edit.now_ms;
        self.write(move |conn| {
            let n = conn
                .prepare_cached(
                    "UPDATE messages SET content = ?, update_time = ?, updated = 1 \
                     WHERE message_id = ? AND recalled = 0",
                )?
                .execute(params![content, now_ms, message_id])?;
            Ok(n == 1)
        })
        .await
    }

    async fn chat_messages(&self, chat_id: &str, limit: u32) -> StoreResult<Vec<MessageRow>> {
        self.read(|conn| {
            let mut rows = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM messages WHERE chat_id = ? \
                     ORDER BY create_time DESC, message_id DESC LIMIT ?"
                ))?
                .query_map(params![chat_id, i64::from(limit)], message_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.reverse();
            Ok(rows)
        })
    }

    async fn recall_message(&self, message_id: &str, now_ms: i64) -> StoreResult<bool> {
        let message_id = message_id.to_string();
        self.write(move |conn| {
            let n = conn
                .prepare_cached(
                    "UPDATE messages SET recalled = 1, update_time = ? \
                     WHERE message_id = ? AND recalled = 0",
                )?
                .execute(params![now_ms, message_id])?;
            Ok(n == 1)
        })
        .await
    }
}

#[async_trait]
impl FeedCardStore for SqliteStore {
    async fn insert_feed_cards(&self, new: NewFeedCards, json: String) -> StoreResult<Vec<bool>> {
        let users = to_json(&new.user_ids)?;
        let time_sensitive = i64::from(new.card.time_sensitive.unwrap_or(false));
        self.write(move |conn| {
            let wanted = new.user_ids.len() as i64;
            let content_id = insert_content(conn, &json, wanted)?;
            // One statement gives the card to every user who does not have it yet.
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO feed_cards (user_id, app_id, biz_id, content_id, time_sensitive, \
                     created_at, updated_at, display_time, sort_time, unread) \
                     SELECT value, ?1, ?2, ?3, ?4, ?5, ?5, ?5, ?5, ?6 FROM json_each(?7) WHERE true \
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    new.app_id.as_str(),
                    new.biz_id.as_str(),
                    content_id,
                    time_sensitive,
                    new.now_ms,
                    new.unread,
                    users
                ])? as i64;
            if inserted == wanted {
                return Ok(vec![true; new.user_ids.len()]);
            }
            // Some users had the card already: theirs point at an older content.
            adjust_refs(conn, HashMap::from([(content_id, inserted - wanted)]))?;
            let created: HashSet<String> = conn
                .prepare_cached(
                    "SELECT user_id FROM feed_cards WHERE app_id = ? AND biz_id = ? AND content_id = ?",
                )?
                .query_map(params![new.app_id.as_str(), new.biz_id.as_str(), content_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(new.user_ids.iter().map(|u| created.contains(u)).collect())
        })
        .await
    }

    async fn feed_card(&self, key: CardKey<'_>) -> StoreResult<Option<FeedCardRow>> {
        let CardKey {
            app_id,
            user_id,
            biz_id,
        } = key;
        let row = self.read(|conn| {
            Ok(conn
                .prepare_cached(select_cards!(
                    "WHERE f.user_id = ? AND f.app_id = ? AND f.biz_id = ?"
                ))?
                .query_row(params![user_id, app_id, biz_id], card_row)
                .optional()?)
        })?;
        row.map(parse_card).transpose()
    }

    async fn feed_cards_of_user(
        &self,
        app_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<FeedCardRow>> {
        let rows = self.read(|conn| {
            Ok(conn
                .prepare_cached(select_cards!(
                    "WHERE f.user_id = ? AND f.app_id = ? ORDER BY f.sort_time DESC, f.biz_id"
                ))?
                .query_map(params![user_id, app_id], card_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        rows.into_iter().map(parse_card).collect()
    }

    async fn update_feed_cards(&self, batch: FeedCardEdits) -> StoreResult<Vec<bool>> {
        self.write(move |conn| {
            let mut found = Vec::with_capacity(batch.edits.len());
            let mut regrouping = Regrouping::default();
            let mut select = conn.prepare_cached(
                "SELECT f.content_id, c.card FROM feed_cards f \
                 JOIN feed_card_contents c ON c.content_id = f.content_id \
                 WHERE f.user_id = ? AND f.app_id = ? AND f.biz_id = ?",
            )?;
            let mut update = conn.prepare_cached(
                "UPDATE feed_cards SET content_id = ?, time_sensitive = ?, updated_at = ?, \
                 display_time = CASE WHEN ? THEN ? ELSE display_time END, \
                 sort_time = CASE WHEN ? THEN ? ELSE sort_time END, unread = unread + ? \
                 WHERE user_id = ? AND app_id = ? AND biz_id = ?",
            )?;
            for edit in &batch.edits {
                let current: Option<(i64, String)> = select
                    .query_row(
                        params![edit.user_id, batch.app_id, edit.biz_id.as_str()],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let Some((old_id, json)) = current else {
                    found.push(false);
                    continue;
                };
                let (card, effects, placed) = regrouping.merge(old_id, json, edit, batch.merge)?;
                let new_id = match placed {
                    Placed::At(id) => id,
                    Placed::New(json) => {
                        let id = insert_content(conn, &json, 0)?;
                        regrouping.stored(json, id);
                        id
                    }
                };
                regrouping.moved(old_id, new_id);
                update.execute(params![
                    new_id,
                    i64::from(card.time_sensitive.unwrap_or(false)),
                    batch.now_ms,
                    effects.display_time,
                    batch.now_ms,
                    effects.sort_time,
                    batch.now_ms,
                    i64::from(effects.notify),
                    edit.user_id,
                    batch.app_id,
                    edit.biz_id.as_str(),
                ])?;
                found.push(true);
            }
            adjust_refs(conn, regrouping.deltas)?;
            Ok(found)
        })
        .await
    }

    async fn delete_feed_cards(
        &self,
        app_id: &str,
        keys: Vec<(String, String)>,
    ) -> StoreResult<Vec<bool>> {
        let app_id = app_id.to_string();
        self.write(move |conn| {
            let mut delete = conn.prepare_cached(
                "DELETE FROM feed_cards WHERE user_id = ? AND app_id = ? AND biz_id = ? \
                 RETURNING content_id",
            )?;
            let mut deltas: HashMap<i64, i64> = HashMap::new();
            let mut found = Vec::with_capacity(keys.len());
            for (user_id, biz_id) in &keys {
                let gone: Option<i64> = delete
                    .query_row(params![user_id, app_id, biz_id], |r| r.get(0))
                    .optional()?;
                if let Some(content_id) = gone {
                    *deltas.entry(content_id).or_default() -= 1;
                }
                found.push(gone.is_some());
            }
            drop(delete);
            adjust_refs(conn, deltas)?;
            Ok(found)
        })
        .await
    }
}

#[async_trait]
impl FeedStore for SqliteStore {
    async fn set_pins(&self, at: ChatUsers, pinned: bool) -> StoreResult<()> {
        self.write(move |conn| {
            for user_id in &at.user_ids {
                set_pin(conn, &at.app_id, &at.chat_id, user_id, pinned, at.now_ms)?;
            }
            Ok(())
        })
        .await
    }

    async fn pin_p2p_chats(&self, pins: P2pPins) -> StoreResult<()> {
        self.write(move |conn| {
            for new in &pins.chats {
                let chat = open_p2p_chat(conn, new)?;
                let user = chat.p2p_user.as_deref().unwrap_or_default();
                set_pin(
                    conn,
                    &pins.app_id,
                    &chat.chat_id,
                    user,
                    pins.pinned,
                    pins.now_ms,
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn feed_page(&self, slice: FeedSlice<'_>) -> StoreResult<FeedRows> {
        let (cards, chats, buttons) = self.read(|conn| {
            // One read transaction, so the three lists agree.
            conn.prepare_cached("BEGIN")?.execute([])?;
            let result = feed_rows(conn, slice);
            let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
            conn.prepare_cached(end)?.execute([])?;
            result
        })?;
        let cards = cards
            .into_iter()
            .map(parse_card)
            .collect::<StoreResult<_>>()?;
        FeedRows::with_buttons(cards, chats, buttons)
    }

    async fn set_chat_buttons(&self, at: ChatUsers, buttons: &[Button]) -> StoreResult<()> {
        let json = to_json(&buttons)?;
        self.write(move |conn| {
            let mut stmt = conn.prepare_cached(
                "INSERT INTO chat_buttons (app_id, chat_id, user_id, buttons, updated_at) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id, chat_id, user_id) \
                 DO UPDATE SET buttons = excluded.buttons, updated_at = excluded.updated_at",
            )?;
            for user_id in &at.user_ids {
                stmt.execute(params![at.app_id, at.chat_id, user_id, json, at.now_ms])?;
            }
            Ok(())
        })
        .await
    }

    async fn read_chat(&self, entry: ChatEntry<'_>, at_ms: i64) -> StoreResult<()> {
        let (chat_id, user_id) = (entry.chat_id.to_string(), entry.user_id.to_string());
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE chat_members SET read_until = MAX(read_until, ?3) \
                 WHERE chat_id = ?1 AND member_kind = 'user' AND member_id = ?2",
            )?
            .execute(params![chat_id, user_id, at_ms])?;
            Ok(())
        })
        .await
    }

    async fn chat_buttons(&self, entry: ChatEntry<'_>) -> StoreResult<Vec<AppButtons>> {
        let rows = self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT app_id, chat_id, buttons FROM chat_buttons \
                     WHERE chat_id = ? AND user_id = ? ORDER BY app_id",
                )?
                .query_map(params![entry.chat_id, entry.user_id], |r| {
                    Ok((id(r, 0)?, id(r, 1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        read_buttons(rows)
    }
}

/// A user's cards in feed order, `?1` the user and `?2` the limit, narrowed by `filter`.
fn feed_cards_where(
    conn: &Connection,
    filter: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<(FeedCardRow, String)>> {
    conn.prepare_cached(&format!(
        "SELECT {} FROM feed_cards f \
         JOIN feed_card_contents c ON c.content_id = f.content_id WHERE f.user_id = ?1 {filter} \
         ORDER BY f.time_sensitive DESC, f.sort_time DESC, f.biz_id, f.app_id LIMIT ?2",
        card_columns!()
    ))?
    .query_map(params, card_row)?
    .collect()
}

type RawFeed = (
    Vec<(FeedCardRow, String)>,
    Vec<FeedChatRow>,
    Vec<StoredButtons>,
);

fn feed_rows(conn: &Connection, slice: FeedSlice) -> StoreResult<RawFeed> {
    let FeedSlice {
        user_id,
        after,
        limit,
    } = slice;
    let cards = match after {
        None => feed_cards_where(conn, "", params![user_id, i64::from(limit)])?,
        Some(c) => {
            // Three seeks along the feed-order index instead of one OR, which SQLite could
            // only answer by scanning the user's cards from the top: the rest of the cursor's
            // sort time, then the older cards of its kind, then (after the time-sensitive
            // cards) every other card.
            let ts = i64::from(c.time_sensitive);
            let mut cards = feed_cards_where(
                conn,
                "AND f.time_sensitive = ?3 AND f.sort_time = ?4 \
                 AND (f.biz_id > ?5 OR (f.biz_id = ?5 AND f.app_id > ?6))",
                params![
                    user_id,
                    i64::from(limit),
                    ts,
                    c.sort_time_ms,
                    c.key,
                    c.app_id
                ],
            )?;
            let left = |cards: &Vec<_>| i64::from(limit) - cards.len() as i64;
            if left(&cards) > 0 {
                let more = feed_cards_where(
                    conn,
                    "AND f.time_sensitive = ?3 AND f.sort_time < ?4",
                    params![user_id, left(&cards), ts, c.sort_time_ms],
                )?;
                cards.extend(more);
            }
            if c.time_sensitive && left(&cards) > 0 {
                let more = feed_cards_where(
                    conn,
                    "AND f.time_sensitive = 0",
                    params![user_id, left(&cards)],
                )?;
                cards.extend(more);
            }
            cards
        }
    };
    let chat_columns = CHAT_COLUMNS
        .split(", ")
        .map(|c| format!("c.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let chats = conn
        .prepare_cached(&format!(
            "SELECT {chat_columns}, m.joined_at, p.app_id, {FEED_CHAT_EXTRA} \
             WHERE m.member_kind = 'user' AND m.member_id = ?1 AND c.dissolved = 0"
        ))?
        .query_map([user_id], |r| {
            Ok(FeedChatRow {
                chat: chat_row(r, 0)?,
                joined_at_ms: r.get(11)?,
                pinned_by: opt_id(r, 12)?,
                last_message_ms: r.get(13)?,
                last_message: match (r.get(14)?, r.get(15)?, r.get(17)?) {
                    (Some(msg_type), Some(content), Some(sender_app)) => Some(LastMessage {
                        msg_type,
                        content,
                        sender_user: r.get(16)?,
                        sender_app,
                    }),
                    _ => None,
                },
                unread: r.get(18)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let buttons = conn
        .prepare_cached(
            "SELECT app_id, chat_id, buttons FROM chat_buttons WHERE user_id = ? AND buttons <> '[]'",
        )?
        .query_map([user_id], |r| Ok((id(r, 0)?, id(r, 1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((cards, chats, buttons))
}

#[async_trait]
impl MetaStore for SqliteStore {
    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT value FROM meta WHERE key = ?")?
                .query_row([key], |r| r.get(0))
                .optional()?)
        })
    }

    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?, ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, value])?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn close(&self) -> StoreResult<()> {
        self.checkpoints.stop.store(true, Ordering::Relaxed);
        self.writer.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_wal(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn
    }

    /// The store as it runs: its checkpointer thread and its writer together keep the WAL small
    /// while many callers write at once (the writer always has a batch waiting), and every
    /// acknowledged write is there.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_store_keeps_its_wal_small_under_a_steady_load() {
        const CALLERS: i64 = 16;
        const WRITES: i64 = 2_000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store =
            Arc::new(SqliteStore::open(&Location::File(path.clone()), Durability::Normal).unwrap());
        store
            .write(|conn| {
                Ok(conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)")?)
            })
            .await
            .unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(CALLERS as usize));
        let callers: Vec<_> = (0..CALLERS)
            .map(|_| {
                let (store, start) = (store.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    for _ in 0..WRITES {
                        store
                            .write(|conn| {
                                conn.execute("INSERT INTO t (data) VALUES (zeroblob(3000))", [])?;
                                Ok(())
                            })
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap();
        }

        let wal = std::fs::metadata(dir.path().join("db-wal")).unwrap().len();
        let written = (CALLERS * WRITES) as u64 * 4096;
        assert!(
            wal < written / 2,
            "a WAL of {wal} bytes after {} writes of a page or more",
            CALLERS * WRITES
        );
        let rows: i64 = store
            .read(|conn| Ok(conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(rows, CALLERS * WRITES);
    }

    /// Checkpoint rounds, with the writer finishing each copy between its commits, keep up with
    /// a writer that never pauses: the WAL starts again instead of growing by every page
    /// written, and nothing written is lost.
    #[test]
    fn checkpoint_rounds_keep_the_wal_small_while_a_writer_goes_on() {
        const ROWS: i64 = 6 * CHECKPOINT_PAGES;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        open_wal(&path)
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
            .unwrap();
        let start = Arc::new(std::sync::Barrier::new(2));
        let shared = Arc::new(Checkpoints::default());
        let writer = {
            let (start, shared, path) = (start.clone(), shared.clone(), path.clone());
            std::thread::spawn(move || {
                let conn = open_wal(&path);
                start.wait();
                // A row of 3,000 bytes: at least one page of the WAL per commit.
                for _ in 0..ROWS {
                    conn.execute("INSERT INTO t (data) VALUES (zeroblob(3000))", [])
                        .unwrap();
                    finish_copy(&conn, &shared.finish);
                }
                shared.stop.store(true, Ordering::Relaxed);
            })
        };
        let checkpointer = open_wal(&path);
        start.wait();
        let mut rounds = 0;
        while !shared.stop.load(Ordering::Relaxed) {
            std::thread::sleep(CHECKPOINT_EVERY);
            if checkpoint_round(&checkpointer).unwrap() {
                shared.finish.store(true, Ordering::Relaxed);
            }
            rounds += 1;
        }
        writer.join().unwrap();

        // The WAL file keeps the size it grew to; it is overwritten from its start after a
        // restart.
        let wal = std::fs::metadata(dir.path().join("db-wal")).unwrap().len();
        let written = ROWS as u64 * 4096;
        assert!(
            wal < written / 2,
            "a WAL of {wal} bytes after {rounds} rounds and {ROWS} commits of a page or more"
        );
        let rows: i64 = open_wal(&path)
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, ROWS);
    }
}
