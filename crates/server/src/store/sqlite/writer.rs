//! The one writer: a thread that owns the write connection and commits many callers' writes in
//! one transaction (group commit). Every caller hears back only after the commit, so an
//! acknowledged write is in the WAL. While one batch commits, the next one queues up: the busier
//! the server, the more writes share a commit.
//!
//! If one caller's work fails, the whole batch is rolled back and each caller's work is run
//! again in a transaction of its own, so an error undoes only its own writes. (Savepoints per
//! caller would do the same without the second run, but they copy every page a caller touches,
//! which cost more than the rare re-run.) Work is therefore `Fn`: it may run twice, and sees
//! only what the transaction it ends up in sees.

use super::super::{StoreError, StoreResult};
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

/// Writes taken into one transaction at most. Bounds how long the first caller of a batch
/// waits for the others' work.
const MAX_BATCH: usize = 256;

/// One caller's work: run inside the transaction, answered after the commit.
trait Job: Send {
    /// Runs the work (again, if it ran before); its result is kept until the commit.
    fn run(&mut self, conn: &mut Connection) -> bool;
    /// Answers the caller: with the work's result if the commit succeeded, else `failed`.
    fn finish(self: Box<Self>, failed: Option<StoreError>);
}

struct Work<T, F> {
    f: F,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for Work<T, F>
where
    T: Send,
    F: Fn(&mut Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &mut Connection) -> bool {
        let result = (self.f)(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, failed: Option<StoreError>) {
        let answer = match (failed, self.result) {
            (Some(e), Some(Ok(_))) | (Some(e), None) => Err(e),
            (_, Some(result)) => result,
            (None, None) => Err(StoreError::Closed),
        };
        let _ = self.reply.send(answer);
    }
}

enum Message {
    Job(Box<dyn Job>),
    /// Checkpoint and stop; answered when done.
    Close(oneshot::Sender<StoreResult<()>>),
}

/// The handle callers write through. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Message>,
    /// The size of each group commit.
    pub batches: Histogram,
}

impl Writer {
    /// Starts the writer thread on `conn`; it runs `between` after each batch's commit.
    pub fn start(
        conn: Connection,
        between: impl FnMut(&Connection) + Send + 'static,
    ) -> std::io::Result<Writer> {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        let batches = Histogram::new(exponential_buckets(1.0, 2.0, 9));
        let sizes = batches.clone();
        std::thread::Builder::new()
            .name("larkfeed-writer".into())
            .spawn(move || run(conn, rx, between, sizes))?;
        Ok(Writer { queue, batches })
    }

    /// Runs `f` inside the next group transaction and returns its result after the commit.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Fn(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Work {
            f,
            result: None,
            reply,
        });
        self.queue
            .send(Message::Job(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Lets the queued writes finish, checkpoints the WAL into the database file and stops.
    pub async fn close(&self) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        if self.queue.send(Message::Close(reply)).await.is_err() {
            return Ok(()); // already closed
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Message>,
    mut between: impl FnMut(&Connection),
    sizes: Histogram,
) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        let mut closing = None;
        match first {
            Message::Job(job) => batch.push(job),
            Message::Close(reply) => closing = Some(reply),
        }
        while closing.is_none() && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Message::Job(job)) => batch.push(job),
                Ok(Message::Close(reply)) => closing = Some(reply),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            sizes.observe(batch.len() as f64);
            commit_batch(&mut conn, &mut batch);
            between(&conn);
        }
        if let Some(reply) = closing {
            let done = conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .map_err(super::backend);
            let _ = reply.send(done);
            return;
        }
    }
}

fn commit_batch(conn: &mut Connection, batch: &mut Vec<Box<dyn Job>>) {
    let together = (|| -> rusqlite::Result<bool> {
        exec(conn, "BEGIN IMMEDIATE")?;
        for job in batch.iter_mut() {
            if !job.run(conn) {
                exec(conn, "ROLLBACK")?;
                return Ok(false);
            }
        }
        exec(conn, "COMMIT")?;
        Ok(true)
    })();
    match together {
        Ok(true) => {
            for job in batch.drain(..) {
                job.finish(None);
            }
        }
        // One caller's work failed: each again on its own.
        Ok(false) => {
            for mut job in batch.drain(..) {
                let alone = (|| -> rusqlite::Result<()> {
                    exec(conn, "BEGIN IMMEDIATE")?;
                    let end = if job.run(conn) { "COMMIT" } else { "ROLLBACK" };
                    exec(conn, end)
                })();
                job.finish(alone.err().map(|e| rollback_after(conn, e)));
            }
        }
        Err(e) => {
            let msg = rollback_after(conn, e).to_string();
            for job in batch.drain(..) {
                job.finish(Some(StoreError::Backend(msg.clone())));
            }
        }
    }
}

/// Ends whatever transaction an error left open, and says what went wrong.
fn rollback_after(conn: &Connection, e: rusqlite::Error) -> StoreError {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    super::backend(e)
}

/// Runs a statement without arguments from the connection's statement cache.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}
