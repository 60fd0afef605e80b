//! Queries on `verification_tokens`.

use rusqlite::{params, Connection, OptionalExtension};

use super::connection::returned_row;

use crate::core::error::{AdapterError, Result};
use crate::core::model::VerificationToken;

fn sqlite(e: rusqlite::Error) -> AdapterError {
    AdapterError::from_sqlite(e, "verificationToken")
}

/// Reads `(identifier, token, expires)`.
fn from_row(r: &rusqlite::Row) -> rusqlite::Result<VerificationToken> {
    Ok(VerificationToken {
        identifier: r.get(0)?,
        token: r.get(1)?,
        expires: r.get(2)?,
    })
}

/// Stores a verification token and returns it.
pub fn insert(conn: &Connection, token: &VerificationToken) -> Result<VerificationToken> {
    conn.prepare_cached(
        "INSERT INTO verification_tokens (identifier, token, expires) VALUES (?1, ?2, ?3)",
    )
    .and_then(|mut s| s.execute(params![token.identifier, token.token, token.expires]))
    .map_err(sqlite)?;
    Ok(token.clone())
}

/// Deletes the token matching both identifier and token and returns it, in one statement,
/// so of several concurrent callers (even in other processes) exactly one gets it.
pub fn take(conn: &Connection, identifier: &str, token: &str) -> Result<Option<VerificationToken>> {
    conn.prepare_cached(
        "DELETE FROM verification_tokens WHERE identifier = ?1 AND token = ?2
         RETURNING identifier, token, expires",
    )
    .and_then(|mut s| returned_row(&mut s, params![identifier, token], from_row))
    .map_err(sqlite)
}

/// Deletes every verification token that expired before `now`; returns how many.
pub fn delete_expired(conn: &Connection, now: crate::core::model::Millis) -> Result<usize> {
    conn.prepare_cached("DELETE FROM verification_tokens WHERE expires < ?1")
        .and_then(|mut s| s.execute([now]))
        .map_err(sqlite)
}

/// Reads a verification token without consuming it (for the NextAuth v3 face, whose
/// `getVerificationRequest` and `deleteVerificationRequest` are separate calls).
pub fn peek(conn: &Connection, identifier: &str, token: &str) -> Result<Option<VerificationToken>> {
    conn.prepare_cached(
        "SELECT identifier, token, expires FROM verification_tokens WHERE identifier = ?1 AND token = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![identifier, token], from_row)
            .optional()
    })
    .map_err(sqlite)
}
