//! One error type for the whole adapter, with stable string codes.
//!
//! Every error that reaches JavaScript has a message of the form `CODE: detail`, where
//! `CODE` is one of [`ErrorCode`]; the JavaScript face copies it into `error.code`.

use std::fmt;

/// Stable machine-readable error codes, also documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A unique rule was broken (email, provider account, session token, credential ID, token).
    UniqueViolation,
    /// The row to update does not exist, or a referenced user does not exist.
    NotFound,
    /// An argument has the wrong type, is missing, or is out of range.
    InvalidInput,
    /// The database could not be reached in time (locked, I/O error, cannot open).
    DbUnavailable,
    /// The adapter was closed with `close()`.
    Closed,
    /// The file was written by a newer version of this library.
    SchemaTooNew,
    /// Any other database failure.
    DbError,
    /// A stored encrypted value could not be decrypted (wrong or missing key, or tampering).
    DecryptFailed,
    /// A replica's pubsub token is missing, expired or no longer known to the hub.
    Unauthorized,
}

impl ErrorCode {
    /// The code as JavaScript sees it in `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UniqueViolation => "UNIQUE_VIOLATION",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::DbUnavailable => "DB_UNAVAILABLE",
            ErrorCode::Closed => "CLOSED",
            ErrorCode::SchemaTooNew => "SCHEMA_TOO_NEW",
            ErrorCode::DbError => "DB_ERROR",
            ErrorCode::DecryptFailed => "DECRYPT_FAILED",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
        }
    }
}

/// An adapter failure: a code and a human-readable detail that names the field involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterError {
    /// Stable code.
    pub code: ErrorCode,
    /// What went wrong, naming the field where there is one.
    pub detail: String,
}

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, AdapterError>;

impl AdapterError {
    /// Builds an error from a code and a detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        AdapterError {
            code,
            detail: detail.into(),
        }
    }

    /// `INVALID_INPUT` for `field`.
    pub fn invalid(field: impl fmt::Display, what: impl fmt::Display) -> Self {
        Self::new(ErrorCode::InvalidInput, format!("{field} {what}"))
    }

    /// `NOT_FOUND` with a detail.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, detail)
    }

    /// `CLOSED`: the adapter was closed.
    pub fn closed() -> Self {
        Self::new(
            ErrorCode::Closed,
            "the adapter was closed with close(); create a new RustAdapter to use the database again",
        )
    }

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

impl AdapterError {
    /// Maps a PostgreSQL error raised while working on `entity` (e.g. `"user"`), with the
    /// same codes as SQLite: unique and foreign-key failures name the JavaScript field; a
    /// server that cannot be reached, restarts or drops the connection is `DB_UNAVAILABLE`.
    pub fn from_postgres(err: &tokio_postgres::Error, entity: &str) -> Self {
        use tokio_postgres::error::SqlState;
        let Some(db) = err.as_db_error() else {
            // No answer from the server: connection refused, reset, closed, timed out.
            // The driver's own message is short ("error performing TLS handshake"); its
            // sources say why (refused, reset, which certificate check failed).
            let mut why = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                why.push_str(": ");
                why.push_str(&cause.to_string());
                source = cause.source();
            }
            return Self::new(
                ErrorCode::DbUnavailable,
                format!("{entity}: PostgreSQL cannot be reached: {why}"),
            );
        };
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION {
            // The detail reads `Key (col, col2)=(values) already exists.`; keep only the columns.
            let columns = db
                .detail()
                .and_then(|d| d.strip_prefix("Key ("))
                .and_then(|d| d.split_once(")=").map(|(cols, _)| cols))
                .unwrap_or("");
            let field = columns
                .split(',')
                .map(|c| crate::store::sqlite::schema::js_field_of_column(c.trim()))
                .collect::<Vec<_>>()
                .join("+");
            return Self::new(
                ErrorCode::UniqueViolation,
                format!("{entity}.{field} already exists: another row has the same {field}"),
            );
        }
        if *code == SqlState::FOREIGN_KEY_VIOLATION {
            return Self::not_found(format!(
                "{entity}.userId does not refer to an existing user"
            ));
        }
        if *code == SqlState::PROGRAM_LIMIT_EXCEEDED
            || *code == SqlState::STRING_DATA_RIGHT_TRUNCATION
        {
            return Self::invalid(entity, "is too large to store");
        }
        if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE
            || *code == SqlState::UNTRANSLATABLE_CHARACTER
        {
            return Self::invalid(
                entity,
                "has a text with a NUL character (\\u0000), which PostgreSQL cannot store",
            );
        }
        let class = code.code().get(..2).unwrap_or("");
        // 08: connection exception; 57: operator intervention (shutdown, restart);
        // 53: insufficient resources (too many connections); 28: authentication; 3D: no database.
        if matches!(class, "08" | "57" | "53" | "28" | "3D") {
            return Self::new(
                ErrorCode::DbUnavailable,
                format!("{entity}: PostgreSQL is not available: {}", db.message()),
            );
        }
        Self::new(
            ErrorCode::DbError,
            format!(
                "{entity}: PostgreSQL error {}: {}",
                code.code(),
                db.message()
            ),
        )
    }
}

/// Turns SQLite's `UNIQUE constraint failed: table.col, table.col2` into JavaScript field names.
fn unique_field(msg: &str) -> String {
    let cols = msg.rsplit(':').next().unwrap_or("").trim();
    let fields: Vec<&str> = cols
        .split(',')
        .map(|c| {
            let col = c.trim().rsplit('.').next().unwrap_or("");
            crate::store::sqlite::schema::js_field_of_column(col)
        })
        .collect();
    fields.join("+")
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl std::error::Error for AdapterError {}

impl From<AdapterError> for napi::Error {
    fn from(e: AdapterError) -> Self {
        napi::Error::new(napi::Status::GenericFailure, e.to_string())
    }
}
