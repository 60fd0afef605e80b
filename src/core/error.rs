//! One error type for the whole adapter, with stable string codes.
//!
//! Every error that reaches JavaScript has a message of the form `CODE: detail`, where
//! `CODE` is one of [`ErrorCode`]; the JavaScript face copies it into `error.code`.

use std::fmt;

/// Stable machine-readable error codes, also documented in `docs/errors.md`.
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
    /// The file is an SQLite database of another application (or not SQLite at all); it was
    /// left unchanged.
    NotOurDatabase,
    /// The file is damaged (a page that does not parse, a truncated file).
    Corrupt,
    /// The file, its directory or its mount (or the PostgreSQL server) accepts reads only.
    ReadOnly,
    /// The disk (or a quota, or the process's file-size limit) is full.
    DiskFull,
    /// The process (or the system) has no file descriptor left to open the file.
    TooManyOpenFiles,
    /// The operating system (or the PostgreSQL server) denied access to the file.
    PermissionDenied,
    /// A side file (`-wal` or `-shm`) was deleted or replaced while the adapter had it open.
    SideFileGone,
}

impl ErrorCode {
    /// Every code (the docs' table and `index.d.ts` list the same; a test checks it).
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::UniqueViolation,
        ErrorCode::NotFound,
        ErrorCode::InvalidInput,
        ErrorCode::DbUnavailable,
        ErrorCode::Closed,
        ErrorCode::SchemaTooNew,
        ErrorCode::DbError,
        ErrorCode::DecryptFailed,
        ErrorCode::Unauthorized,
        ErrorCode::NotOurDatabase,
        ErrorCode::Corrupt,
        ErrorCode::ReadOnly,
        ErrorCode::DiskFull,
        ErrorCode::TooManyOpenFiles,
        ErrorCode::PermissionDenied,
        ErrorCode::SideFileGone,
    ];

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
            ErrorCode::NotOurDatabase => "NOT_OUR_DATABASE",
            ErrorCode::Corrupt => "CORRUPT",
            ErrorCode::ReadOnly => "READ_ONLY",
            ErrorCode::DiskFull => "DISK_FULL",
            ErrorCode::TooManyOpenFiles => "TOO_MANY_OPEN_FILES",
            ErrorCode::PermissionDenied => "PERMISSION_DENIED",
            ErrorCode::SideFileGone => "SIDE_FILE_GONE",
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
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl std::error::Error for AdapterError {}
