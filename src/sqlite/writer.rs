//! The single writer thread with group commit.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, MutexGuard, TryLockError};
use std::thread;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::connection::{lock, SharedConnection};
use super::side_files::SideFiles;
use crate::core::error::{AdapterError, ErrorCode, Result};

/// Most writes folded into one transaction.
const MAX_BATCH: usize = 256;

/// Called after the batch's COMMIT with its outcome; answers the caller.
type Completion = Box<dyn FnOnce(std::result::Result<(), &AdapterError>) + Send>;
/// One queued write: given the connection (or why there is none), runs and returns its completion.
type Job = Box<dyn FnOnce(std::result::Result<&Connection, AdapterError>) -> Completion + Send>;

enum Message {
    Job(Job),
    Close(oneshot::Sender<Result<()>>),
}

/// Handle to the writer thread.
pub struct Writer {
    tx: mpsc::Sender<Message>,
    slot: SharedConnection,
    /// Writes queued or running on the thread; 0 means the thread is idle.
    queued: Arc<AtomicUsize>,
    /// Transactions committed so far (by the writer thread or inline), counted before any
    /// of their writes is answered: reads compare it to tell a stale snapshot.
    commits: Arc<AtomicU64>,
    /// The connection's busy timeout, restored after an inline write's non-waiting BEGIN.
    busy_timeout: Duration,
    /// The file's `-wal` and `-shm`, checked after every commit (`None` in memory).
    side_files: Option<Arc<SideFiles>>,
}

/// Turns a received write result into the caller's result.
pub fn settle<T>(received: std::result::Result<Result<T>, oneshot::error::RecvError>) -> Result<T> {
    received.unwrap_or_else(|_| {
        Err(AdapterError::new(
            ErrorCode::DbError,
            "the write was dropped by the writer thread (internal error)",
        ))
    })
}

impl Writer {
    /// Starts the thread that owns `slot` for writing; `busy_timeout` is the connection's.
    pub fn start(
        slot: SharedConnection,
        busy_timeout: Duration,
        side_files: Option<SideFiles>,
    ) -> Result<Self> {
        let (tx, rx) = mpsc::channel();
        let thread_slot = slot.clone();
        let commits = Arc::new(AtomicU64::new(0));
        let thread_commits = commits.clone();
        let side_files = side_files.map(Arc::new);
        let thread_side_files = side_files.clone();
        thread::Builder::new()
            .name("authjs-sqlite-writer".into())
            .spawn(move || run(thread_slot, thread_commits, thread_side_files, rx))
            .map_err(|e| {
                AdapterError::new(
                    ErrorCode::DbError,
                    format!("cannot start the writer thread: {e}"),
                )
            })?;
        Ok(Writer {
            tx,
            slot,
            queued: Arc::new(AtomicUsize::new(0)),
            commits,
            busy_timeout,
            side_files,
        })
    }

    /// The connection slot the writer uses.
    pub fn slot(&self) -> &SharedConnection {
        &self.slot
    }

    /// How many transactions have committed so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Queues `f`; the receiver gets its result after commit.
    pub fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> oneshot::Receiver<Result<T>> {
        let (reply, rx) = oneshot::channel();
        self.submit_with(f, move |result| {
            let _ = reply.send(result);
        });
        rx
    }

    /// Queues `f`; `reply` is called with its result on the writer thread, after commit
    /// (or at once with `CLOSED` when the thread is gone). Used to settle JavaScript
    /// Promises straight from the writer, without a hop through another thread.
    pub fn submit_with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
        reply: impl FnOnce(Result<T>) + Send + 'static,
    ) {
        let queued = self.queued.clone();
        queued.fetch_add(1, Ordering::AcqRel);
        let job: Job = Box::new(move |conn| {
            let outcome = match conn {
                Ok(conn) => in_savepoint(conn, f),
                Err(e) => Err(e),
            };
            Box::new(move |commit: std::result::Result<(), &AdapterError>| {
                // Counted out first: a caller answered below may write again at once.
                queued.fetch_sub(1, Ordering::AcqRel);
                reply(match (commit, outcome) {
                    (Ok(()), outcome) => outcome,
                    // The write itself failed: its own error explains more than the commit's.
                    (Err(_), Err(own)) => Err(own),
                    (Err(e), Ok(_)) => Err(e.clone()),
                });
            })
        });
        if let Err(mpsc::SendError(Message::Job(job))) = self.tx.send(Message::Job(job)) {
            job(Err(AdapterError::closed()))(Ok(()));
        }
    }

    /// The writer's connection slot, when the thread has nothing queued or running and the
    /// slot is free; `None` otherwise (never waits).
    pub fn idle(&self) -> Option<MutexGuard<'_, Option<Connection>>> {
        if self.queued.load(Ordering::Acquire) != 0 {
            return None;
        }
        match self.slot.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// Runs `f` at once on the calling thread, in its own transaction, when the writer thread
    /// is idle and the database's write lock is free; hands `f` back otherwise (queue it then).
    ///
    /// A write that arrives alone is answered without two thread hops, which cost more than
    /// the write itself; it never waits: not behind queued writes, not for another process.
    pub fn run_inline<T, F>(&self, f: F) -> std::result::Result<Result<T>, F>
    where
        F: FnOnce(&Connection) -> Result<T>,
    {
        let Some(guard) = self.idle() else {
            return Err(f);
        };
        // A closed store: the queued path gives the CLOSED error.
        let Some(conn) = guard.as_ref() else {
            return Err(f);
        };
        if let Err(gone) = refuse_if_gone(self.side_files.as_deref()) {
            return Ok(Err(gone));
        }
        if !begin_without_waiting(conn, self.busy_timeout) {
            return Err(f);
        }
        // Alone in its transaction, the write needs no savepoint: failing, it rolls back whole.
        let outcome = guarded(conn, f);
        if outcome.is_err() {
            let _ = control(conn, "ROLLBACK");
            return Ok(outcome);
        }
        let committed = commit(conn);
        if committed.is_ok() {
            self.commits.fetch_add(1, Ordering::AcqRel);
        }
        let kept = committed.and_then(|()| check_after_commit(self.side_files.as_deref(), conn));
        Ok(kept.and(outcome))
    }

    /// Runs `f`, a write of exactly one SQL statement, at once on the calling thread in
    /// SQLite's autocommit mode, when the writer thread is idle; hands `f` back when it is not,
    /// or when another connection held the write lock (a busy statement changed nothing).
    ///
    /// The statement is its own transaction: no BEGIN or COMMIT statement around it, and no
    /// statement journal, which SQLite keeps for a write inside an explicit transaction
    /// (with the two statements, about 4.5k of the 55k instructions of a lone session write).
    /// `f` must step its statement to completion, so that a failed commit is its error (see
    /// [`super::connection::returned_row`]).
    pub fn run_statement_inline<T, F>(&self, f: F) -> std::result::Result<Result<T>, F>
    where
        F: Fn(&Connection) -> Result<T>,
    {
        let Some(guard) = self.idle() else {
            return Err(f);
        };
        // A closed store: the queued path gives the CLOSED error.
        let Some(conn) = guard.as_ref() else {
            return Err(f);
        };
        if let Err(gone) = refuse_if_gone(self.side_files.as_deref()) {
            return Ok(Err(gone));
        }
        // Outside a transaction, the statement commits by itself; with no busy timeout, it
        // fails at once instead of waiting for a lock held by another process.
        if end_read_snapshot(conn).is_err() || conn.busy_timeout(Duration::ZERO).is_err() {
            return Err(f);
        }
        let outcome = guarded(conn, &f);
        // Counted whatever the outcome: a statement can commit and fail afterwards (mapping
        // its RETURNING row), and a count too many only makes shared reads renew their snapshot.
        self.commits.fetch_add(1, Ordering::AcqRel);
        let busy = outcome
            .as_ref()
            .is_err_and(|e| e.code == ErrorCode::DbUnavailable && last_error_was_busy(conn));
        // Without the timeout back, the writer thread would stop waiting for other processes.
        // The same value was set when the connection opened, so this cannot fail; and once the
        // statement ran, its outcome is what the caller must hear.
        let _ = conn.busy_timeout(self.busy_timeout);
        if busy {
            return Err(f);
        }
        if outcome.is_ok() {
            if let Err(gone) = check_after_commit(self.side_files.as_deref(), conn) {
                return Ok(Err(gone));
            }
        }
        Ok(outcome)
    }

    /// Asks the thread to finish queued writes and close the connection.
    /// The receiver gets `DISK_FULL` (or another error) when the WAL could not be folded
    /// back into the main file and truncated.
    pub fn close(&self) -> oneshot::Receiver<Result<()>> {
        let (ack, rx) = oneshot::channel();
        if let Err(mpsc::SendError(Message::Close(ack))) = self.tx.send(Message::Close(ack)) {
            let _ = ack.send(Ok(()));
        }
        rx
    }
}

/// Runs one transaction-control statement, prepared once per connection.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Runs `f`, turning a panic into an error so it never crosses into JavaScript.
fn guarded<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(|| f(conn))).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(AdapterError::new(
            ErrorCode::DbError,
            format!("internal error while writing (the write was undone): {what}"),
        ))
    })
}

/// Runs `f` inside a savepoint, undoing only its own changes when it fails or panics.
fn in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let sqlite = |e| AdapterError::from_sqlite_on(conn, e, "transaction");
    control(conn, "SAVEPOINT write_job").map_err(sqlite)?;
    let outcome = guarded(conn, f);
    if outcome.is_err() {
        let _ = control(conn, "ROLLBACK TO write_job");
    }
    control(conn, "RELEASE write_job").map_err(sqlite)?;
    outcome
}

/// Commits the open transaction, rolling it back when the commit fails.
fn commit(conn: &Connection) -> Result<()> {
    control(conn, "COMMIT").map_err(|e| {
        let err = AdapterError::from_sqlite_on(conn, e, "commit");
        let _ = control(conn, "ROLLBACK");
        err
    })
}

/// `BEGIN IMMEDIATE` that gives up at once when another connection holds the write lock.
fn begin_without_waiting(conn: &Connection, busy_timeout: Duration) -> bool {
    if end_read_snapshot(conn).is_err() || conn.busy_timeout(Duration::ZERO).is_err() {
        return false;
    }
    let begun = control(conn, "BEGIN IMMEDIATE").is_ok();
    // Without the timeout back, the writer thread would stop waiting for other processes.
    if conn.busy_timeout(busy_timeout).is_err() {
        if begun {
            let _ = control(conn, "ROLLBACK");
        }
        return false;
    }
    begun
}

/// Whether the last failure on `conn` was SQLite's `BUSY` or `LOCKED` (another connection
/// held a lock the statement needed).
fn last_error_was_busy(conn: &Connection) -> bool {
    // SAFETY: `conn` is open; the call only reads its last error code.
    let code = unsafe { rusqlite::ffi::sqlite3_extended_errcode(conn.handle()) } & 0xff;
    code == rusqlite::ffi::SQLITE_BUSY || code == rusqlite::ffi::SQLITE_LOCKED
}

/// Ends the read transaction a batch of reads left open on `conn` (see `SqliteStore::read`),
/// if any: a write transaction cannot begin inside it, and it would hide later commits.
pub(super) fn end_read_snapshot(conn: &Connection) -> rusqlite::Result<()> {
    if conn.is_autocommit() {
        Ok(())
    } else {
        control(conn, "ROLLBACK")
    }
}

/// `SIDE_FILE_GONE` once a side file was found gone (see [`SideFiles`]).
fn refuse_if_gone(side_files: Option<&SideFiles>) -> Result<()> {
    side_files.map_or(Ok(()), SideFiles::refuse_if_gone)
}

/// After a commit, before it is acknowledged: the side files are still the ones opened.
fn check_after_commit(side_files: Option<&SideFiles>, conn: &Connection) -> Result<()> {
    side_files.map_or(Ok(()), |files| files.check_after_commit(conn))
}

fn run(
    slot: SharedConnection,
    commits: Arc<AtomicU64>,
    side_files: Option<Arc<SideFiles>>,
    rx: mpsc::Receiver<Message>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = Vec::new();
        let mut close = None;
        match first {
            Message::Job(job) => batch.push(job),
            Message::Close(ack) => close = Some(ack),
        }
        while close.is_none() && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Message::Job(job)) => batch.push(job),
                Ok(Message::Close(ack)) => close = Some(ack),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            run_batch(&slot, &commits, side_files.as_deref(), batch);
        }
        if let Some(ack) = close {
            let closed = shut_down(&slot, rx);
            let _ = ack.send(closed);
            return;
        }
    }
    // Every handle is gone (the adapter was garbage-collected): close quietly.
    lock(&slot).take();
}

fn shut_down(slot: &SharedConnection, rx: mpsc::Receiver<Message>) -> Result<()> {
    let mut closed = Ok(());
    if let Some(conn) = lock(slot).take() {
        // Folds the WAL back into the main file; the last connection's close removes it.
        // Another process reading keeps it (not a failure); a full disk or an I/O error is
        // reported, and the next open folds it back (`connection::fold_leftover_wal`).
        let _ = end_read_snapshot(&conn);
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
            let e = AdapterError::from_sqlite_on(&conn, e, "close");
            closed = Err(AdapterError::new(
                e.code,
                format!(
                    "{}; the adapter is closed, but the WAL could not be folded back into the file and truncated: the next open does it",
                    e.detail
                ),
            ));
        }
        let _ = conn.close();
    }
    // Anything queued after close() fails cleanly instead of hanging.
    for message in rx.try_iter() {
        match message {
            Message::Job(job) => job(Err(AdapterError::closed()))(Ok(())),
            Message::Close(ack) => {
                let _ = ack.send(Ok(()));
            }
        }
    }
    closed
}

fn run_batch(
    slot: &SharedConnection,
    commits: &AtomicU64,
    side_files: Option<&SideFiles>,
    batch: Vec<Job>,
) {
    let guard = lock(slot);
    let Some(conn) = guard.as_ref() else {
        for job in batch {
            job(Err(AdapterError::closed()))(Ok(()));
        }
        return;
    };
    let begun = refuse_if_gone(side_files).and_then(|()| {
        end_read_snapshot(conn)
            .and_then(|()| control(conn, "BEGIN IMMEDIATE"))
            .map_err(|e| AdapterError::from_sqlite_on(conn, e, "transaction"))
    });
    if let Err(err) = begun {
        for job in batch {
            job(Err(err.clone()))(Ok(()));
        }
        return;
    }
    let completions: Vec<Completion> = batch.into_iter().map(|job| job(Ok(conn))).collect();
    let commit = commit(conn);
    if commit.is_ok() {
        commits.fetch_add(1, Ordering::AcqRel);
    }
    let commit = commit.and_then(|()| check_after_commit(side_files, conn));
    drop(guard);
    for complete in completions {
        complete(commit.as_ref().map(|_| ()));
    }
}
