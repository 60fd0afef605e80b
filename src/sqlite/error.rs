//! SQLite failures as [`AdapterError`]s: the backend's half of the error codes.

use crate::core::error::{AdapterError, ErrorCode};
use crate::core::fields::js_field_of_column;

impl AdapterError {
    /// Maps a SQLite error raised while writing `entity` (e.g. `"user"`).
    ///
    /// Unique and foreign-key failures become `UNIQUE_VIOLATION` / `NOT_FOUND` naming the
    /// JavaScript field; busy, locked and I/O failures become `DB_UNAVAILABLE`.
    pub fn from_sqlite(err: rusqlite::Error, entity: &str) -> Self {
        use rusqlite::ffi::ErrorCode as C;
        if let rusqlite::Error::SqliteFailure(ffi, msg) = &err {
            let msg = msg.clone().unwrap_or_default();
            match ffi.extended_code {
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    let field = unique_field(&msg);
                    return Self::new(
                        ErrorCode::UniqueViolation,
                        format!(
                            "{entity}.{field} already exists: another row has the same {field}"
                        ),
                    );
                }
                rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
                    return Self::not_found(format!(
                        "{entity}.userId does not refer to an existing user"
                    ));
                }
                _ => {}
            }
            return match ffi.code {
                C::DatabaseBusy | C::DatabaseLocked | C::CannotOpen | C::SystemIoFailure => {
                    Self::new(ErrorCode::DbUnavailable, format!("{entity}: {err}"))
                }
                C::ReadOnly => Self::new(
                    ErrorCode::ReadOnly,
                    format!("{entity}: the database file, its directory or its mount accepts reads only for this process ({err})"),
                ),
                C::DiskFull => Self::new(
                    ErrorCode::DiskFull,
                    format!("{entity}: the disk holding the database is full ({err}); nothing was written"),
                ),
                C::PermissionDenied => Self::new(
                    ErrorCode::PermissionDenied,
                    format!("{entity}: access to the database file was denied ({err})"),
                ),
                C::NotADatabase => Self::new(
                    ErrorCode::NotOurDatabase,
                    format!("{entity}: the file is not an SQLite database ({err}); it was left unchanged"),
                ),
                C::DatabaseCorrupt => Self::new(
                    ErrorCode::Corrupt,
                    format!("{entity}: the database file is damaged ({err})"),
                ),
                C::TooBig => Self::invalid(entity, "is too large to store"),
                _ => Self::new(ErrorCode::DbError, format!("{entity}: {err}")),
            };
        }
        Self::new(ErrorCode::DbError, format!("{entity}: {err}"))
    }
}

/// Turns SQLite's `UNIQUE constraint failed: table.col, table.col2` into JavaScript field names.
fn unique_field(msg: &str) -> String {
    let cols = msg.rsplit(':').next().unwrap_or("").trim();
    let fields: Vec<&str> = cols
        .split(',')
        .map(|c| {
            let col = c.trim().rsplit('.').next().unwrap_or("");
            js_field_of_column(col)
        })
        .collect();
    fields.join("+")
}

impl AdapterError {
    /// [`AdapterError::from_sqlite`] for a failure on `conn`, refined by the operating
    /// system's own error behind it (`sqlite3_system_errno`): an `I/O error` or `unable to open`
    /// that was really a full disk, a read-only mount, a denied permission or no descriptor
    /// left gets the code an operator can act on.
    pub fn from_sqlite_on(conn: &rusqlite::Connection, err: rusqlite::Error, entity: &str) -> Self {
        let mapped = Self::from_sqlite(err, entity);
        if !matches!(
            mapped.code,
            ErrorCode::DbUnavailable | ErrorCode::ReadOnly | ErrorCode::DbError
        ) {
            return mapped;
        }
        // SAFETY: `conn` is open; the call only reads the errno its last failing system call left.
        let errno = unsafe { rusqlite::ffi::sqlite3_system_errno(conn.handle()) };
        match os_error_code(&std::io::Error::from_raw_os_error(errno)) {
            Some(code) if errno != 0 => Self::new(
                code,
                format!(
                    "{} ({})",
                    mapped.detail,
                    std::io::Error::from_raw_os_error(errno)
                ),
            ),
            _ => mapped,
        }
    }

    /// An operating-system failure on `path` while opening it, with the code an operator can act on.
    pub fn from_os(err: &std::io::Error, path: &str, doing: &str) -> Self {
        let code = os_error_code(err).unwrap_or(ErrorCode::DbUnavailable);
        let hint = match code {
            ErrorCode::TooManyOpenFiles => {
                "; raise the open-file limit (ulimit -n) or close adapters that are no longer used"
            }
            ErrorCode::PermissionDenied => {
                "; give the process's user access to the file and its directory"
            }
            ErrorCode::ReadOnly => "; the file system is mounted read-only",
            ErrorCode::DiskFull => "; free space on the disk",
            _ => "",
        };
        Self::new(
            code,
            format!("config.filename: cannot {doing} {path:?}: {err}{hint}"),
        )
    }
}

/// The code for an operating-system error an operator can fix, if it is one.
pub(crate) fn os_error_code(err: &std::io::Error) -> Option<ErrorCode> {
    use std::io::ErrorKind as K;
    if matches!(err.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) {
        return Some(ErrorCode::TooManyOpenFiles);
    }
    match err.kind() {
        K::StorageFull | K::FileTooLarge | K::QuotaExceeded => Some(ErrorCode::DiskFull),
        K::ReadOnlyFilesystem => Some(ErrorCode::ReadOnly),
        K::PermissionDenied => Some(ErrorCode::PermissionDenied),
        _ => None,
    }
}
