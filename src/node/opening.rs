//! When and how an adapter's store is opened, and which adapters share one.
//!
//! - **Opened on first use.** `RustAdapter(config)` only reads and checks the configuration
//!   (a bad option throws at once); the SQLite file is opened, created and migrated by the
//!   adapter's first call. `next build` evaluates `auth.ts` without calling the adapter, so it
//!   neither creates the file nor needs its folder. An open that fails (a folder that does not
//!   exist yet, a read-only mount, a file that is not ours) rejects that call with its code and
//!   is not remembered: the next call tries again, so a volume mounted later, or a permission
//!   fixed, is picked up without a restart.
//! - **One store per file per JavaScript thread.** Adapters whose configurations agree on
//!   every option and name the same file (after resolving links and relative paths) share one
//!   store: one writer connection, one writer thread, one sweeper. Each adapter holds a counted
//!   share; `close()` (or the adapter being garbage-collected) gives one back, and the last one
//!   really closes the file. `next dev`, which re-evaluates `auth.ts` on every edit, thus keeps
//!   one store however often it reloads. Adapters whose options differ (another `secret`,
//!   `synchronous`, ...) open a store of their own, as before. Stores are not shared across
//!   worker threads: a store's inline reads and writes run on the thread that calls it.
//!
//! `":memory:"` databases are private to their adapter (a second connection would see another,
//! empty database) and PostgreSQL stores connect on first use by themselves: neither is shared.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::ThreadId;

use tokio::sync::oneshot;

use crate::core::config::{Backend, Config};
use crate::core::error::{AdapterError, Result};
use crate::core::secrets::Secrets;
use crate::core::store::Store;

/// One shared store and how many adapters hold it.
struct Entry {
    thread: ThreadId,
    /// The file, as `fs::canonicalize` names it.
    path: PathBuf,
    /// The configuration, its filename left out (the path above stands for it).
    config: Config,
    store: Arc<dyn Store>,
    holders: usize,
}

/// The shared stores of this process.
static SHARED: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn shared() -> MutexGuard<'static, Vec<Entry>> {
    SHARED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The configuration as sharing compares it: every option but the filename.
fn sharing_key(config: &Config) -> Config {
    Config {
        filename: String::new(),
        ..config.clone()
    }
}

/// Whether stores of this configuration may be shared (an SQLite file).
fn shareable(config: &Config) -> bool {
    matches!(config.backend, Backend::Sqlite) && !config.is_memory()
}

/// Opens the store `config` names, or takes a share of the one already open on its file.
fn claim(config: &Config) -> Result<Arc<dyn Store>> {
    if !shareable(config) {
        return open(config);
    }
    let thread = std::thread::current().id();
    let key = sharing_key(config);
    if let Ok(path) = std::fs::canonicalize(&config.filename) {
        let mut entries = shared();
        if let Some(entry) = entries
            .iter_mut()
            .find(|e| e.thread == thread && e.path == path && e.config == key)
        {
            entry.holders += 1;
            return Ok(entry.store.clone());
        }
    }
    // Opened without the lock held: only this thread could share what it opens, and this
    // thread is here.
    let store = open(config)?;
    if let Ok(path) = std::fs::canonicalize(&config.filename) {
        shared().push(Entry {
            thread,
            path,
            config: key,
            store: store.clone(),
            holders: 1,
        });
    }
    Ok(store)
}

/// Gives back one share of `store`; closes it when that was the last (or it was never shared).
fn release(store: &Arc<dyn Store>) -> Option<oneshot::Receiver<Result<()>>> {
    let mut entries = shared();
    match entries.iter().position(|e| Arc::ptr_eq(&e.store, store)) {
        Some(at) => {
            entries[at].holders -= 1;
            if entries[at].holders > 0 {
                return None;
            }
            let entry = entries.swap_remove(at);
            drop(entries);
            Some(entry.store.close())
        }
        None => {
            drop(entries);
            Some(store.close())
        }
    }
}

/// How many adapters hold the store open on `filename` in this thread (0 when none): for tests.
pub fn holders_of(filename: &str) -> usize {
    let Ok(path) = std::fs::canonicalize(filename) else {
        return 0;
    };
    let thread = std::thread::current().id();
    shared()
        .iter()
        .filter(|e| e.thread == thread && e.path == path)
        .map(|e| e.holders)
        .sum()
}

/// Opens the store the configuration names.
fn open(config: &Config) -> Result<Arc<dyn Store>> {
    Ok(match &config.backend {
        Backend::Sqlite => Arc::new(crate::sqlite::SqliteStore::open(config)?),
        Backend::Postgres(_) => Arc::new(crate::postgres::PgStore::open(config)?),
        Backend::Replica(_) => Arc::new(crate::replica::ReplicaStore::open(config)?),
    })
}

/// One adapter's store: opened on its first call (SQLite) or given open (PostgreSQL, a
/// replica's adapter).
pub struct Lazy {
    /// What to open on first use; `None` when the store was given open.
    config: Option<Config>,
    opened: OnceLock<Arc<dyn Store>>,
    closed: AtomicBool,
    groups_calls: bool,
}

impl Lazy {
    /// An adapter for `config`. Everything about the configuration is checked now (the keys
    /// too, as opening would); SQLite files are opened by the first call, PostgreSQL stores
    /// now (they connect on first use by themselves).
    pub fn new(config: Config) -> Result<Self> {
        if !matches!(config.backend, Backend::Sqlite) {
            return Ok(Self::given(open(&config)?));
        }
        Secrets::new(config.secret.as_deref(), &config.encryption_keys)?;
        Ok(Lazy {
            config: Some(config),
            opened: OnceLock::new(),
            closed: AtomicBool::new(false),
            // Every SQLite store groups calls (`SqliteStore::groups_calls`).
            groups_calls: true,
        })
    }

    /// An adapter over a store already open, which it closes on `close()`.
    pub fn given(store: Arc<dyn Store>) -> Self {
        let groups_calls = store.groups_calls();
        Lazy {
            config: None,
            opened: OnceLock::from(store),
            closed: AtomicBool::new(false),
            groups_calls,
        }
    }

    /// The store, opened now if this is the first call; `CLOSED` after `close()`.
    #[inline]
    pub fn get(&self) -> Result<&Arc<dyn Store>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(AdapterError::closed());
        }
        match self.opened.get() {
            Some(store) => Ok(store),
            None => self.open_now(),
        }
    }

    #[cold]
    fn open_now(&self) -> Result<&Arc<dyn Store>> {
        let config = self
            .config
            .as_ref()
            .expect("a store given open is set from the start");
        let store = claim(config)?;
        if let Err(store) = self.opened.set(store) {
            // Opened twice at once (a handle is only used by its own thread: not expected).
            drop(release(&store));
        }
        Ok(self.opened.get().expect("set above"))
    }

    /// The store if it is open (no call opens it).
    pub fn if_open(&self) -> Option<&Arc<dyn Store>> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        self.opened.get()
    }

    /// Whether the store groups calls (`Store::groups_calls`), known before it is opened.
    pub fn groups_calls(&self) -> bool {
        self.groups_calls
    }

    /// Closes this adapter: later calls fail with `CLOSED`. Gives back its share; the
    /// receiver fires once the store is closed when this was the last one (`None` when
    /// nothing was left to close: never opened, already closed, or others still hold it).
    pub fn close(&self) -> Option<oneshot::Receiver<Result<()>>> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return None;
        }
        let store = self.opened.get()?;
        if self.config.is_some() {
            release(store)
        } else {
            Some(store.close())
        }
    }
}

impl Drop for Lazy {
    /// An adapter dropped without `close()` (garbage-collected) gives back its share at once,
    /// so the last one's file, threads and connections go with it.
    fn drop(&mut self) {
        if self.config.is_some() && !self.closed.load(Ordering::Acquire) {
            if let Some(store) = self.opened.get() {
                drop(release(store));
            }
        }
    }
}
