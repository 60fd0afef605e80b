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
                C::DatabaseBusy
                | C::DatabaseLocked
                | C::CannotOpen
                | C::SystemIoFailure
                | C::DiskFull => Self::new(ErrorCode::DbUnavailable, format!("{entity}: {err}")),
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
