//! The state every call of one PostgreSQL store shares: its pool, its statements and table
//! names, its secrets, and the runtime all PostgreSQL work runs on. A replica
//! (`crate::replica`) talks to its hub through this type.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::sync::{Notify, OnceCell};

use super::sql;
use crate::core::error::{AdapterError, ErrorCode};
use crate::core::secrets::Secrets;

/// The runtime of every PostgreSQL call in this process.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("authjs-postgres")
            .enable_all()
            .build()
            .expect("the PostgreSQL runtime could not start (out of threads?)")
    })
}

/// What every call of one store shares.
pub struct Hub {
    pub(crate) pool: deadpool_postgres::Pool,
    pub(crate) sql: sql::Statements,
    pub(crate) names: sql::Names,
    pub(crate) secrets: Arc<Secrets>,
    pub(crate) timeout: Duration,
    /// Set once the schema is known to be current.
    pub(crate) ready: OnceCell<()>,
    /// Set once the replication tables are known to exist (replicas only).
    pub(crate) replication: OnceCell<()>,
    /// Opens connections outside the pool.
    pub(crate) listen_config: tokio_postgres::Config,
    pub(crate) tls: tokio_postgres_rustls::MakeRustlsConnect,
    pub(crate) closed: AtomicBool,
    /// Calls started and not yet answered.
    pub(crate) in_flight: AtomicUsize,
    /// Woken when `in_flight` drops to zero.
    pub(crate) drained: Notify,
}

impl Hub {
    pub(crate) fn finish_one(&self) {
        if self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.drained.notify_waiters();
        }
    }

    pub(crate) fn timed_out(&self, entity: &str) -> AdapterError {
        AdapterError::new(
            ErrorCode::DbUnavailable,
            format!(
                "{entity}: PostgreSQL did not answer within {} ms (busyTimeout)",
                self.timeout.as_millis()
            ),
        )
    }
}
