//! Embedded SQLite storage: connections, threading, and the per-model queries.
//!
//! Threading model (the one place that decides which thread runs what):
//! - **Reads** run synchronously on the JavaScript thread (an indexed point read costs less
//!   than a hop to another thread): on the writer's connection while the writer thread is
//!   idle, whose page cache survives its own commits, else on a dedicated read-only WAL
//!   connection, which never waits behind the writer.
//! - **Writes** go to one writer thread over a channel. Writes that arrive together share one
//!   transaction (group commit); each runs inside its own savepoint so that one failing write
//!   does not undo its neighbours, and each caller is answered only after the transaction
//!   that holds its write has committed.
//! - **A write that arrives alone** (the JavaScript face marks a write issued with no other
//!   beside it) runs on the JavaScript thread instead, in its own transaction, when the
//!   writer thread is idle and no other process holds the write lock: two thread hops cost
//!   more than the write. A write of one statement (the session and verification-token
//!   writes) is that transaction by itself, in SQLite's autocommit mode. It never waits;
//!   otherwise it is queued.
//! - **Sweeping** expired sessions and verification tokens runs on a small Rust thread that
//!   queues a prune on the writer every `sweepInterval`; it never keeps Node's event loop alive
//!   and stops when the store closes or is dropped.
//!
//! A `":memory:"` database has a single connection shared by both sides (a second
//! connection would see a different, empty database).

pub mod accounts;
pub mod authenticators;
mod connection;
mod error;
mod portable;
pub mod replica;
pub mod schema;
pub mod sessions;
mod side_files;
mod sweeper;
pub mod tokens;
pub mod users;
mod wal_index;
mod writer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::core::config::Config;
use crate::core::error::{AdapterError, Result};
use crate::core::model::{
    Account, Authenticator, Millis, Session, SessionInfo, SessionOrigin, SessionPatch, User,
    UserPatch, VerificationToken,
};
use crate::core::secrets::Secrets;
use crate::core::store::{Answer, Arrival, Store};

use crate::core::store::{now_millis, Pruned};
use connection::{lock, SharedConnection};
use sweeper::prune;

/// The SQLite store behind one `RustAdapter`.
pub struct SqliteStore {
    reader: SharedConnection,
    writer: Arc<writer::Writer>,
    secrets: Arc<Secrets>,
    closed: AtomicBool,
    sweeper: Mutex<Option<sweeper::Sweeper>>,
    /// `config.inlineWrites`.
    inline_writes: bool,
    /// Set between `reads_together(true)` and `reads_together(false)`: reads share a snapshot.
    together: AtomicBool,
    /// The file's WAL-index header, to see other connections' commits (`None` in memory).
    wal_index: Option<wal_index::WalIndex>,
    /// For the writer's and the reader's connection: what the store looked like when the read
    /// snapshot open on it began.
    snapshots: Mutex<[Option<SnapshotMark>; 2]>,
}

/// What a read snapshot has seen: this store's commit count and the WAL-index header.
#[derive(Clone, Copy, PartialEq, Eq)]
struct SnapshotMark {
    commits: u64,
    header: Option<wal_index::Header>,
}

/// Which connection a read runs on (index into `SqliteStore::snapshots`).
#[derive(Clone, Copy)]
enum ReadOn {
    Writer = 0,
    Reader = 1,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database, and starts the writer thread.
    pub fn open(config: &Config) -> Result<Self> {
        let secrets = Arc::new(Secrets::new(
            config.secret.as_deref(),
            &config.encryption_keys,
        )?);
        let write_conn = connection::open_writer(config)
            .and_then(|conn| schema::migrate(&conn, &secrets).map(|()| conn))
            .map_err(|e| connection::explain_open_failure(config, e))?;
        // A WAL left behind (a close() on a full disk could not truncate it) is folded back
        // now; the file is only read when it is there.
        let side_files = if config.is_memory() {
            None
        } else {
            connection::fold_leftover_wal(&write_conn, config);
            side_files::SideFiles::of(&config.filename)
        };
        let wal_index = if config.is_memory() {
            None
        } else {
            wal_index::WalIndex::of(&write_conn)
        };
        let write_slot: SharedConnection = Arc::new(Mutex::new(Some(write_conn)));
        let reader = if config.is_memory() {
            write_slot.clone()
        } else {
            Arc::new(Mutex::new(Some(connection::open_reader(config)?)))
        };
        let writer = Arc::new(writer::Writer::start(
            write_slot,
            std::time::Duration::from_millis(u64::from(config.busy_timeout_ms)),
            side_files,
        )?);
        let sweeper = (config.sweep_interval_ms > 0).then(|| {
            sweeper::Sweeper::start(
                std::time::Duration::from_millis(u64::from(config.sweep_interval_ms)),
                Arc::downgrade(&writer),
            )
        });
        Ok(SqliteStore {
            reader,
            writer,
            secrets,
            closed: AtomicBool::new(false),
            sweeper: Mutex::new(sweeper.transpose()?),
            inline_writes: config.inline_writes,
            together: AtomicBool::new(false),
            wal_index,
            snapshots: Mutex::new([None, None]),
        })
    }

    /// The secrets used to hash session tokens and seal OAuth tokens.
    pub fn secrets(&self) -> &Arc<Secrets> {
        &self.secrets
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(AdapterError::closed())
        } else {
            Ok(())
        }
    }

    /// Runs a read on the calling thread: on the writer's connection when the writer thread is
    /// idle, else on the reader connection. SQLite drops a connection's whole page cache when
    /// another connection has changed the file, so the reader's cache went cold after every
    /// write; the writer's own commits leave its cache warm.
    ///
    /// Reads issued together (see [`Store::reads_together`]: the face marks a lease of a few
    /// milliseconds, across turns of the event loop) share one read transaction per connection instead of each
    /// starting and ending its own: in WAL mode that is two `fcntl` lock calls and often an
    /// `fstat` per read, a fifth of a point read. The snapshot is only reused while it is
    /// still the latest state of the file: while no write of this store has committed (the
    /// count moves before a write is answered) and the WAL-index header, which every commit of
    /// any process rewrites, is unchanged. Otherwise the read starts a new snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.check_open()?;
        if let Some(guard) = self.writer.idle() {
            if let Some(conn) = guard.as_ref() {
                return self.read_on(conn, ReadOn::Writer, f);
            }
        }
        let guard = lock(&self.reader);
        match guard.as_ref() {
            Some(conn) => self.read_on(conn, ReadOn::Reader, f),
            None => Err(AdapterError::closed()),
        }
    }

    fn read_on<T>(
        &self,
        conn: &Connection,
        on: ReadOn,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        if self.together.load(Ordering::Relaxed) {
            self.share_snapshot(conn, on)
                .map_err(|e| AdapterError::from_sqlite(e, "read"))?;
        }
        f(conn)
    }

    /// Leaves a read transaction open on `conn` that has seen every commit so far, reusing the
    /// one already open when nothing has committed since it began.
    fn share_snapshot(&self, conn: &Connection, on: ReadOn) -> rusqlite::Result<()> {
        let Some(now) = self.snapshot_mark() else {
            // Other processes' commits cannot be seen from here: one transaction per read.
            return writer::end_read_snapshot(conn);
        };
        let mut snapshots = self
            .snapshots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let began = &mut snapshots[on as usize];
        if !conn.is_autocommit() {
            if *began == Some(now) {
                return Ok(());
            }
            writer::end_read_snapshot(conn)?;
        }
        conn.prepare_cached("BEGIN")?.execute([])?;
        *began = Some(now);
        Ok(())
    }

    /// The state a snapshot starting now would see, read before it starts (a commit in between
    /// only makes the snapshot newer than its mark, and the next read renew it). `None` when
    /// the file's WAL-index cannot be read, or a commit is rewriting its header right now.
    fn snapshot_mark(&self) -> Option<SnapshotMark> {
        let commits = self.writer.commits();
        let header = match &self.wal_index {
            Some(index) => Some(index.header()?),
            // In memory: no other connection can write, this store's commits are the only ones.
            None if Arc::ptr_eq(&self.reader, self.writer.slot()) => None,
            None => return None,
        };
        Some(SnapshotMark { commits, header })
    }

    /// Ends the shared read transactions (see [`SqliteStore::read`]).
    fn end_snapshots(&self) {
        self.together.store(false, Ordering::Relaxed);
        // The writer thread ends a snapshot left on its connection before it writes, so a
        // connection it holds right now needs nothing from here (and must not be waited for).
        if let Ok(guard) = self.writer.slot().try_lock() {
            if let Some(conn) = guard.as_ref() {
                let _ = writer::end_read_snapshot(conn);
            }
        }
        if !Arc::ptr_eq(&self.reader, self.writer.slot()) {
            if let Some(conn) = lock(&self.reader).as_ref() {
                let _ = writer::end_read_snapshot(conn);
            }
        }
    }

    /// Queues a write for the writer thread. The receiver yields the result once the
    /// transaction holding the write has committed (or failed).
    pub fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<oneshot::Receiver<Result<T>>> {
        self.check_open()?;
        Ok(self.writer.submit(f))
    }

    /// Runs a write at once on the calling thread when the writer thread is idle and the write
    /// lock is free (see [`writer::Writer::run_inline`]); hands `f` back otherwise.
    pub fn write_inline<T, F>(&self, f: F) -> std::result::Result<Result<T>, F>
    where
        F: FnOnce(&Connection) -> Result<T>,
    {
        if !self.may_write_inline() {
            return Err(f);
        }
        self.writer.run_inline(f)
    }

    /// [`Self::write_inline`] for a write of exactly one statement, which runs in autocommit
    /// mode (see [`writer::Writer::run_statement_inline`]).
    pub fn write_statement_inline<T, F>(&self, f: F) -> std::result::Result<Result<T>, F>
    where
        F: Fn(&Connection) -> Result<T>,
    {
        if !self.may_write_inline() {
            return Err(f);
        }
        self.writer.run_statement_inline(f)
    }

    /// Whether a lone write may run on the calling thread (configured so, and not closed).
    fn may_write_inline(&self) -> bool {
        self.inline_writes && self.check_open().is_ok()
    }

    /// Queues a write; resolves once the transaction holding it has committed (for async
    /// Rust callers such as the replica's sync tasks).
    pub async fn write_async<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let rx = self.write(f)?;
        writer::settle(rx.await)
    }

    /// Queues a write and blocks the calling thread until it committed (for Rust callers and tests).
    pub fn write_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let rx = self.write(f)?;
        writer::settle(rx.blocking_recv())
    }

    /// Stops accepting calls, lets queued writes finish, and closes every connection.
    /// The receiver fires once the writer thread has closed its connection.
    pub fn close(&self) -> oneshot::Receiver<Result<()>> {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        self.sweeper
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if first && !Arc::ptr_eq(&self.reader, self.writer.slot()) {
            lock(&self.reader).take();
        }
        self.writer.close()
    }
}

impl SqliteStore {
    /// A read, answered at once on this thread.
    fn read_now<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Answer<T> {
        Answer::Now(self.read(f))
    }

    /// A write: run at once when it arrived alone and the writer is free, else queued to the
    /// writer thread (group commit), answered after its transaction committed.
    fn write_answer<T: Send + 'static>(
        &self,
        arrival: Arrival,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Answer<T> {
        self.alone_or_queued(arrival, f, Self::write_inline)
    }

    /// [`Self::write_answer`] for a write of exactly one statement, stepped to completion: run
    /// alone, it needs no transaction of its own (see [`writer::Writer::run_statement_inline`]).
    fn statement_answer<T: Send + 'static>(
        &self,
        arrival: Arrival,
        f: impl Fn(&Connection) -> Result<T> + Send + 'static,
    ) -> Answer<T> {
        self.alone_or_queued(arrival, f, Self::write_statement_inline)
    }

    /// Runs `f` with `inline` when it arrived alone; queues it when it did not, or when
    /// `inline` handed it back.
    fn alone_or_queued<T: Send + 'static, F>(
        &self,
        arrival: Arrival,
        f: F,
        inline: impl FnOnce(&Self, F) -> std::result::Result<Result<T>, F>,
    ) -> Answer<T>
    where
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let f = if arrival == Arrival::Alone {
            match inline(self, f) {
                Ok(done) => return Answer::Now(done),
                Err(f) => f,
            }
        } else {
            f
        };
        self.queued_answer(f)
    }

    /// A write queued to the writer thread, answered after its transaction committed.
    fn queued_answer<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Answer<T> {
        if let Err(closed) = self.check_open() {
            return Answer::Now(Err(closed));
        }
        let writer = self.writer.clone();
        Answer::Later(Box::new(move |reply| writer.submit_with(f, reply)))
    }
}

impl Store for SqliteStore {
    fn groups_calls(&self) -> bool {
        true
    }

    fn maintenance(&self) -> Option<&dyn crate::core::store::Maintenance> {
        Some(self)
    }

    fn reads_together(&self, together: bool) {
        if together {
            self.together.store(true, Ordering::Relaxed);
        } else {
            self.end_snapshots();
        }
    }

    fn create_user(&self, user: User, arrival: Arrival) -> Answer<User> {
        self.statement_answer(arrival, move |c| users::insert(c, &user))
    }

    fn get_user(&self, id: String) -> Answer<Option<User>> {
        self.read_now(|c| users::by_id(c, &id))
    }

    fn get_user_by_email(&self, email: String) -> Answer<Option<User>> {
        self.read_now(|c| users::by_email(c, &email))
    }

    fn get_user_by_account(
        &self,
        provider: String,
        provider_account_id: String,
    ) -> Answer<Option<User>> {
        self.read_now(|c| users::by_account(c, &provider, &provider_account_id))
    }

    fn update_user(&self, patch: UserPatch, arrival: Arrival) -> Answer<User> {
        self.write_answer(arrival, move |c| users::update(c, &patch))
    }

    fn delete_user(&self, id: String, arrival: Arrival) -> Answer<Option<User>> {
        self.write_answer(arrival, move |c| users::delete(c, &id))
    }

    fn link_account(&self, account: Account, arrival: Arrival) -> Answer<Account> {
        let secrets = self.secrets.clone();
        self.statement_answer(arrival, move |c| accounts::insert(c, &secrets, &account))
    }

    fn unlink_account(
        &self,
        provider: String,
        provider_account_id: String,
        arrival: Arrival,
    ) -> Answer<Option<Account>> {
        let secrets = self.secrets.clone();
        self.write_answer(arrival, move |c| {
            accounts::delete(c, &secrets, &provider, &provider_account_id)
        })
    }

    fn get_account(
        &self,
        provider: String,
        provider_account_id: String,
    ) -> Answer<Option<Account>> {
        self.read_now(|c| accounts::get(c, &self.secrets, &provider, &provider_account_id))
    }

    fn create_session(
        &self,
        session: Session,
        origin: SessionOrigin,
        arrival: Arrival,
    ) -> Answer<Session> {
        let secrets = self.secrets.clone();
        self.statement_answer(arrival, move |c| {
            sessions::insert(c, &secrets, &session, &origin, now_millis())
        })
    }

    fn get_session_and_user(&self, session_token: String) -> Answer<Option<(Session, User)>> {
        self.read_now(|c| sessions::with_user(c, &self.secrets, &session_token))
    }

    fn update_session(&self, patch: SessionPatch, arrival: Arrival) -> Answer<Option<Session>> {
        let secrets = self.secrets.clone();
        self.statement_answer(arrival, move |c| {
            sessions::update(c, &secrets, &patch, now_millis())
        })
    }

    fn delete_session(&self, session_token: String, arrival: Arrival) -> Answer<Option<Session>> {
        let secrets = self.secrets.clone();
        self.statement_answer(arrival, move |c| {
            sessions::delete(c, &secrets, &session_token)
        })
    }

    fn list_sessions(
        &self,
        user_id: String,
        current: Option<String>,
        now: Millis,
    ) -> Answer<Vec<SessionInfo>> {
        self.read_now(|c| sessions::list(c, &self.secrets, &user_id, current.as_deref(), now))
    }

    fn revoke_session(
        &self,
        user_id: String,
        id: String,
        arrival: Arrival,
    ) -> Answer<Option<SessionInfo>> {
        self.statement_answer(arrival, move |c| sessions::revoke(c, &user_id, &id))
    }

    fn revoke_user_sessions(
        &self,
        user_ids: Vec<String>,
        except: Option<String>,
        arrival: Arrival,
    ) -> Answer<u64> {
        let secrets = self.secrets.clone();
        self.write_answer(arrival, move |c| {
            sessions::revoke_all(c, &secrets, &user_ids, except.as_deref())
        })
    }

    fn create_verification_token(
        &self,
        token: VerificationToken,
        arrival: Arrival,
    ) -> Answer<VerificationToken> {
        self.statement_answer(arrival, move |c| tokens::insert(c, &token))
    }

    fn use_verification_token(
        &self,
        identifier: String,
        token: String,
        arrival: Arrival,
    ) -> Answer<Option<VerificationToken>> {
        self.statement_answer(arrival, move |c| tokens::take(c, &identifier, &token))
    }

    fn peek_verification_token(
        &self,
        identifier: String,
        token: String,
    ) -> Answer<Option<VerificationToken>> {
        self.read_now(|c| tokens::peek(c, &identifier, &token))
    }

    fn create_authenticator(
        &self,
        authenticator: Authenticator,
        arrival: Arrival,
    ) -> Answer<Authenticator> {
        self.write_answer(arrival, move |c| authenticators::insert(c, &authenticator))
    }

    fn get_authenticator(&self, credential_id: String) -> Answer<Option<Authenticator>> {
        self.read_now(|c| authenticators::get(c, &credential_id))
    }

    fn list_authenticators_by_user_id(&self, user_id: String) -> Answer<Vec<Authenticator>> {
        self.read_now(|c| authenticators::by_user(c, &user_id))
    }

    fn update_authenticator_counter(
        &self,
        credential_id: String,
        counter: i64,
        arrival: Arrival,
    ) -> Answer<Authenticator> {
        self.write_answer(arrival, move |c| {
            authenticators::update_counter(c, &credential_id, counter)
        })
    }

    fn prune(&self, arrival: Arrival) -> Answer<Pruned> {
        self.write_answer(arrival, |c| prune(c, now_millis()))
    }

    fn close(&self) -> oneshot::Receiver<Result<()>> {
        SqliteStore::close(self)
    }
}

#[cfg(test)]
use writer::settle;

#[cfg(test)]
mod tests;
