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
mod writer;

use super::core::Core;
use super::db::{Db, Engine, Op};
use super::*;
use rusqlite::{Connection, OpenFlags};
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

/// The embedded store: the core's operations on SQLite.
pub type SqliteStore = Core<Lite>;

/// How SQLite runs the core's work: the writer thread, the readers, the checkpointer.
pub struct Lite {
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

impl Core<Lite> {
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
        Ok(Core(Lite {
            writer: Writer::start(conn, move |conn| finish_copy(conn, &asked.finish))?,
            readers: Readers {
                path,
                sync,
                idle: Mutex::new(Vec::new()),
            },
            checkpoints,
        }))
    }
}

impl Lite {
    /// Runs `f` on a read connection, on the calling task.
    fn read_on<T>(&self, f: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.readers.take()?;
        let result = f(&mut conn);
        self.readers.give_back(conn);
        result
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

impl Drop for Lite {
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

#[async_trait]
impl Store for SqliteStore {
    async fn close(&self) -> StoreResult<()> {
        self.0.checkpoints.stop.store(true, Ordering::Relaxed);
        self.0.writer.close().await
    }

    fn commit_batches(&self) -> Option<prometheus_client::metrics::histogram::Histogram> {
        Some(self.0.writer.batches.clone())
    }
}

impl Engine for Lite {
    async fn write<A, T>(&self, args: A, op: Op<A, T>) -> StoreResult<T>
    where
        A: Send + Sync + 'static,
        T: Send + 'static,
    {
        self.writer
            .write(move |conn| at_once(op(&mut Db::Lite(conn), &args)))
            .await
    }

    async fn read<A, T>(&self, args: A, op: Op<A, T>) -> StoreResult<T>
    where
        A: Send + Sync,
        T: Send,
    {
        self.read_on(|conn| at_once(op(&mut Db::Lite(conn), &args)))
    }

    async fn read_together<A, T>(&self, args: A, op: Op<A, T>) -> StoreResult<T>
    where
        A: Send + Sync,
        T: Send,
    {
        self.read_on(|conn| {
            // One read transaction, so the queries agree.
            conn.prepare_cached("BEGIN")?.execute([])?;
            let result = at_once(op(&mut Db::Lite(conn), &args));
            let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
            conn.prepare_cached(end)?.execute([])?;
            result
        })
    }
}

/// The result of work on a SQLite connection, which never waits: its future is ready when
/// first polled.
fn at_once<T>(work: futures_util::future::BoxFuture<'_, StoreResult<T>>) -> StoreResult<T> {
    futures_util::FutureExt::now_or_never(work).unwrap_or_else(|| {
        Err(StoreError::Backend(
            "work on a SQLite connection waited, which it never should".into(),
        ))
    })
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
            .0
            .writer
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
                            .0
                            .writer
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
            .0
            .read_on(|conn| Ok(conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
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
