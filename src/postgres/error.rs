//! PostgreSQL failures as [`AdapterError`]s: the backend's half of the error codes.

use crate::core::error::{AdapterError, ErrorCode};
use crate::core::fields::js_field_of_column;

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
                .map(|c| js_field_of_column(c.trim()))
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
        // What an operator must fix on the server, each with its own code (as on SQLite):
        // 25006 read_only_sql_transaction (a standby, or default_transaction_read_only),
        // 53100 disk_full, 42501 insufficient_privilege.
        let operator = match code.code() {
            "25006" => Some((ErrorCode::ReadOnly, "the server accepts reads only")),
            "53100" => Some((ErrorCode::DiskFull, "the server's disk is full")),
            "42501" => Some((
                ErrorCode::PermissionDenied,
                "the database role lacks a privilege",
            )),
            // A file the server could not grow for another reason than ENOSPC (EFBIG under a
            // file-size limit, a quota) comes as an internal or I/O error whose hint, or the
            // operating system's words, say the same thing: the operator must make room.
            "XX000" | "58030" if Self::out_of_space(db) => {
                Some((ErrorCode::DiskFull, "the server's disk is full"))
            }
            _ => None,
        };
        if let Some((code, what)) = operator {
            return Self::new(code, format!("{entity}: {what}: {}", db.message()));
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

    /// Whether the server says it ran out of room for a file: its "Check free disk space."
    /// hint, or the operating system's ENOSPC / EFBIG words in the message.
    fn out_of_space(db: &tokio_postgres::error::DbError) -> bool {
        db.hint() == Some("Check free disk space.")
            || ["No space left on device", "File too large"]
                .iter()
                .any(|words| db.message().contains(words))
    }
}
