//! Embedded SQLite storage: connections, threading, and the per-model queries.
//!
//! Threading model (the one place that decides which thread runs what):
//! - **Reads** run synchronously on a dedicated reader connection owned by the store and
//!   used from the JavaScript thread. A WAL reader never waits behind the writer, and an
//!   indexed point read costs less than a hop to another thread.
//! - **Writes** go to one writer thread over a channel. Writes that arrive together share one
//!   transaction (group commit); each runs inside its own savepoint so that one failing write
//!   does not undo its neighbours, and each caller is answered only after the transaction
//!   that holds its write has committed.
//!
//! A `":memory:"` database has a single connection shared by both sides (a second
//! connection would see a different, empty database).

pub mod accounts;
pub mod authenticators;
mod connection;
pub mod schema;
pub mod sessions;
pub mod tokens;
pub mod users;
mod writer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::config::Config;
use crate::error::{AdapterError, Result};

/// A connection slot shared with the writer thread; `None` once closed.
pub(crate) type SharedConnection = Arc<Mutex<Option<Connection>>>;

/// Locks a connection slot, recovering from a poisoned lock (a panic is already reported
/// to its caller as an error; the connection itself stays usable).
pub(crate) fn lock(slot: &SharedConnection) -> MutexGuard<'_, Option<Connection>> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The SQLite store behind one `RustAdapter`.
pub struct SqliteStore {
    reader: SharedConnection,
    writer: writer::Writer,
    closed: AtomicBool,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database, and starts the writer thread.
    pub fn open(config: &Config) -> Result<Self> {
        let write_conn = connection::open_writer(config)?;
        schema::migrate(&write_conn)?;
        let write_slot: SharedConnection = Arc::new(Mutex::new(Some(write_conn)));
        let reader = if config.is_memory() {
            write_slot.clone()
        } else {
            Arc::new(Mutex::new(Some(connection::open_reader(config)?)))
        };
        let writer = writer::Writer::start(write_slot)?;
        Ok(SqliteStore {
            reader,
            writer,
            closed: AtomicBool::new(false),
        })
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(AdapterError::closed())
        } else {
            Ok(())
        }
    }

    /// Runs a read on the reader connection, on the calling thread.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.check_open()?;
        let guard = lock(&self.reader);
        match guard.as_ref() {
            Some(conn) => f(conn),
            None => Err(AdapterError::closed()),
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
    pub fn close(&self) -> oneshot::Receiver<()> {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        if first && !Arc::ptr_eq(&self.reader, self.writer.slot()) {
            lock(&self.reader).take();
        }
        self.writer.close()
    }
}

pub(crate) use writer::settle;

#[cfg(test)]
mod tests;
