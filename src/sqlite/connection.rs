//! Opening SQLite connections with the pragmas every connection needs.

use std::time::{Duration, Instant};

use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags};

use super::schema;
use crate::core::config::Config;
use crate::core::error::{AdapterError, ErrorCode, Result};

/// How many prepared statements each connection keeps ready.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// The read connection's page cache, at most (KiB): see [`open_raw`].
const READER_CACHE_KIB: u32 = 2048;

/// WAL pages after which a commit of the writer's connection checkpoints (copies the WAL back
/// into the file, so that it can start again from its beginning): 16 MiB of 4 KiB pages.
///
/// SQLite's default is 1,000. The commit that takes the WAL past the threshold does the
/// checkpoint before it returns: it copies every page the WAL holds and syncs the file, two
/// more syncs than a plain commit. At 1,000 pages that was one sign-up chain in about eighty
/// in the bench (createUser, linkAccount, createSession on a file of 10,000 users), 4.6-6 ms
/// against a median of 0.5 ms, which made those chains the p99. At 4,000 a quarter as many
/// writes pay for one, each about 1.8 times as long (11-12 ms): a page rewritten by several
/// commits is copied once, and the syncs cost the same whatever the size, so less work is
/// done in all. The price is a WAL file of up to 16 MiB on disk, read whole by the first
/// connection after a crash, and longer WAL-index hash chains for a page that every commit
/// rewrites (about 2.4 µs a commit for the token table's one leaf; 1.5% of a synced write).
/// Measurements: docs/performance.md, "Checkpoints".
pub(crate) const WAL_CHECKPOINT_PAGES: u32 = 4000;

/// SQLite's file header: the first 16 bytes of every SQLite 3 database.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Looks at the file before SQLite does, reading only: an operating-system failure gets its
/// own code (no descriptor left, permission denied, ...), and a file that is not SQLite at
/// all is refused as `NOT_OUR_DATABASE`. A missing or empty file is fine: it becomes a new
/// database.
fn inspect_file(path: &str) -> Result<()> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(AdapterError::from_os(&e, path, "open")),
    };
    let mut head = Vec::with_capacity(SQLITE_HEADER.len());
    (&mut file)
        .take(SQLITE_HEADER.len() as u64)
        .read_to_end(&mut head)
        .map_err(|e| AdapterError::from_os(&e, path, "read"))?;
    if !head.is_empty() && head.as_slice() != SQLITE_HEADER {
        return Err(AdapterError::new(
            ErrorCode::NotOurDatabase,
            format!("config.filename: {path:?} is not an SQLite database (its first bytes are not SQLite's header); point config.filename at a new file or at one this adapter created (the file was left unchanged)"),
        ));
    }
    Ok(())
}

fn open_raw(config: &Config, read_only: bool) -> Result<Connection> {
    if !config.is_memory() {
        inspect_file(&config.filename)?;
    }
    let conn = if config.is_memory() {
        Connection::open_in_memory()
    } else {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Connection::open_with_flags(&config.filename, flags)
    }
    .map_err(|e| {
        // SQLite does not say why; the operating system does, asked the same question.
        match std::fs::OpenOptions::new()
            .read(true)
            .write(!read_only)
            .create(false)
            .open(&config.filename)
        {
            Err(os) if os.kind() != std::io::ErrorKind::NotFound => {
                AdapterError::from_os(&os, &config.filename, "open")
            }
            _ => AdapterError::new(
                ErrorCode::DbUnavailable,
                format!("config.filename: cannot open {:?}: {e}", config.filename),
            ),
        }
    })?;
    let sqlite = |e| AdapterError::from_sqlite_on(&conn, e, "connection");
    conn.busy_timeout(Duration::from_millis(u64::from(config.busy_timeout_ms)))
        .map_err(sqlite)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    // Query-planner stability: without it SQLite re-plans a cached statement whenever a bound
    // value changes (every new session token), which made the session join cost 4x more.
    // Every lookup here is on a unique key, so the first plan is always the right one.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(sqlite)?;
    // Checked before anything writes to the file, so a foreign or newer file stays untouched.
    schema::refuse_foreign_or_newer(&conn)?;
    // The read connection answers only while the writer thread holds the writer's
    // connection, and SQLite empties its page cache whenever it sees another connection's
    // commit, so a large cache there mostly holds pages for nothing (resident memory).
    let cache_kib = if read_only {
        config.cache_size_kib.min(READER_CACHE_KIB)
    } else {
        config.cache_size_kib
    };
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = {};
         PRAGMA cache_size = -{};
         PRAGMA mmap_size = {};
         PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;",
        config.synchronous.pragma(),
        cache_kib,
        config.mmap_size_bytes
    ))
    .map_err(sqlite)?;
    if read_only {
        conn.execute_batch("PRAGMA query_only = ON")
            .map_err(sqlite)?;
    } else {
        checkpoint_every(&conn, WAL_CHECKPOINT_PAGES).map_err(sqlite)?;
    }
    Ok(conn)
}

/// Makes the commit that takes `conn`'s WAL past `pages` pages checkpoint it (SQLite's
/// automatic checkpoint): [`WAL_CHECKPOINT_PAGES`] normally, more while an import writes.
pub(crate) fn checkpoint_every(conn: &Connection, pages: u32) -> rusqlite::Result<()> {
    conn.pragma_update(None, "wal_autocheckpoint", pages)
}

/// Opens the writer connection and switches the file to WAL mode.
pub fn open_writer(config: &Config) -> Result<Connection> {
    let conn = open_raw(config, false)?;
    if !config.is_memory() {
        let mode = switch_to_wal(
            &conn,
            Duration::from_millis(u64::from(config.busy_timeout_ms)),
        )
        .map_err(|e| AdapterError::from_sqlite_on(&conn, e, "connection"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(AdapterError::new(
                ErrorCode::DbUnavailable,
                format!(
                    "config.filename: could not switch {:?} to WAL mode (got {mode})",
                    config.filename
                ),
            ));
        }
    }
    Ok(conn)
}

/// `PRAGMA journal_mode = WAL`, tried again while it fails with `SQLITE_BUSY`, for up to
/// `timeout`; answers the journal mode the file ended up in.
///
/// Two processes switching a brand-new file at the same moment both read its header inside a
/// read transaction and both try to upgrade it to a write; SQLite gives the second `BUSY` at
/// once instead of calling the busy handler (waiting there could deadlock). Tried again after
/// the first has finished, the switch finds the file already in WAL mode.
fn switch_to_wal(conn: &Connection, timeout: Duration) -> rusqlite::Result<String> {
    let deadline = Instant::now() + timeout;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            answer => return answer,
        }
    }
}

/// Says why a file-backed database could not be opened, when SQLite only said `unable to open
/// database file` (its last system error is often the fallback's, e.g. `ENOENT` for a `-shm`
/// it tried to open read-only after `EROFS`): asks the operating system, without writing,
/// whether the file and its directory (where `-wal` and `-shm` live) may be written.
pub fn explain_open_failure(config: &Config, err: AdapterError) -> AdapterError {
    if err.code != ErrorCode::DbUnavailable || config.is_memory() {
        return err;
    }
    let file = std::path::Path::new(&config.filename);
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    for (path, what) in [
        (file, "the database file"),
        (dir, "its directory, where SQLite creates -wal and -shm,"),
    ] {
        if let Some(os) = not_writable(path) {
            let code = match super::error::os_error_code(&os) {
                Some(ErrorCode::PermissionDenied) | None => ErrorCode::ReadOnly,
                Some(code) => code,
            };
            return AdapterError::new(
                code,
                format!(
                    "config.filename: {what} {} cannot be written by this process ({os}): {}",
                    path.display(),
                    err.detail
                ),
            );
        }
    }
    err
}

/// The reason `path` may not be written by this process, if it may not (`access(2)`).
#[cfg(unix)]
fn not_writable(path: &std::path::Path) -> Option<std::io::Error> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: a NUL-terminated path; access(2) only reads it.
    let denied = unsafe { libc::access(c_path.as_ptr(), libc::W_OK) } != 0;
    let why = std::io::Error::last_os_error();
    (denied && why.kind() != std::io::ErrorKind::NotFound).then_some(why)
}

#[cfg(not(unix))]
fn not_writable(path: &std::path::Path) -> Option<std::io::Error> {
    let readonly = std::fs::metadata(path).ok()?.permissions().readonly();
    readonly.then(|| std::io::Error::from(std::io::ErrorKind::PermissionDenied))
}

/// Folds a WAL that a previous process left (its `close()` could not truncate it, on a full
/// disk) back into the main file, so deleted sessions do not linger in it. Best effort, and
/// without waiting: while another process reads it, it stays, and SQLite's own checkpoints
/// fold it later.
pub fn fold_leftover_wal(conn: &Connection, config: &Config) {
    let leftover = std::fs::metadata(format!("{}-wal", config.filename)).is_ok_and(|m| m.len() > 0);
    if leftover && conn.busy_timeout(Duration::ZERO).is_ok() {
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        let _ = conn.busy_timeout(Duration::from_millis(u64::from(config.busy_timeout_ms)));
    }
}

/// Opens a read-only connection (used on the JavaScript thread for point reads).
pub fn open_reader(config: &Config) -> Result<Connection> {
    open_raw(config, true)
}

/// Runs a write statement that returns at most one row (`... RETURNING ...`) and maps that row
/// with `f`, stepping the statement to its end: a statement run in autocommit mode commits in
/// its last step, so a failed commit is reported here instead of being lost in the reset that
/// `query_row` leaves to `Drop`.
pub(crate) fn returned_row<T>(
    stmt: &mut rusqlite::Statement,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let mut rows = stmt.query(params)?;
    let found = match rows.next()? {
        Some(row) => Some(f(row)?),
        None => None,
    };
    while rows.next()?.is_some() {}
    Ok(found)
}

/// A connection slot shared with the writer thread; `None` once closed.
pub(crate) type SharedConnection = Arc<Mutex<Option<Connection>>>;

/// Locks a connection slot, recovering from a poisoned lock (a panic is already reported
/// to its caller as an error; the connection itself stays usable).
pub(crate) fn lock(slot: &SharedConnection) -> MutexGuard<'_, Option<Connection>> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
