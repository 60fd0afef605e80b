//! The state every call of one PostgreSQL store shares: its pool, its statements and table
//! names, its secrets, and the runtime its work runs on. A replica
//! (`crate::replica`) talks to its hub through this type.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};
use tokio::sync::{Notify, OnceCell};

use super::sql;
use crate::core::error::{AdapterError, ErrorCode};
use crate::core::secrets::Secrets;

/// The runtime of a PostgreSQL adapter's calls, shared by every such adapter of the process:
/// one thread that runs the calls, drives their connections' sockets and settles their
/// Promises.
///
/// One thread, not a pool of workers: a call is a few microseconds of work between two waits
/// (for the server's answer, and for JavaScript's next call), and on a multi-threaded runtime
/// each wait ended with the workers waking one another to share out the task and its socket,
/// about 4.5 futex calls and a third `epoll_wait` per call on top of the hops a call must make
/// (JavaScript to this thread, and back). See docs/performance.md, "PostgreSQL: sequential
/// calls".
pub fn calls_runtime() -> &'static Handle {
    static RUNTIME: OnceLock<Handle> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the PostgreSQL runtime could not start (out of threads?)");
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("authjs-postgres".into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .expect("the PostgreSQL runtime could not start (out of threads?)");
        handle
    })
}

/// The runtime of local-first replicas (`crate::replica`): their hub calls, and their
/// background tasks (listening, pulling, pushing), two worker threads shared by every replica
/// of the process. A replica's task also writes its SQLite file, which may wait for the disk;
/// a second worker keeps the other calls going meanwhile.
pub fn runtime() -> &'static Handle {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("authjs-replica")
                .enable_all()
                .build()
                .expect("the PostgreSQL runtime could not start (out of threads?)")
        })
        .handle()
}

/// What every call of one store shares.
pub struct Hub {
    /// The runtime its calls, connections and sweeper run on.
    pub(crate) runtime: &'static Handle,
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
