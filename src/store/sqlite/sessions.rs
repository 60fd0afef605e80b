//! Queries on `sessions`.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::users;
use crate::error::{AdapterError, Result};
use crate::model::{Session, SessionPatch, User};

fn sqlite(e: rusqlite::Error) -> AdapterError {
    AdapterError::from_sqlite(e, "session")
}

fn from_row(row: &Row) -> rusqlite::Result<Session> {
    Ok(Session {
        session_token: row.get(0)?,
        user_id: row.get(1)?,
        expires: row.get(2)?,
    })
}

/// Creates a session and returns it as stored.
pub fn insert(conn: &Connection, session: &Session) -> Result<Session> {
    conn.prepare_cached(
        "INSERT INTO sessions (session_token, user_id, expires) VALUES (?1, ?2, ?3)",
    )
    .and_then(|mut s| {
        s.execute(params![
            session.session_token,
            session.user_id,
            session.expires
        ])
    })
    .map_err(sqlite)?;
    Ok(session.clone())
}

/// The session and its user, in one indexed join (the hot path of every signed-in request).
pub fn with_user(conn: &Connection, session_token: &str) -> Result<Option<(Session, User)>> {
    conn.prepare_cached(
        "SELECT s.session_token, s.user_id, s.expires,
                u.id, u.name, u.email, u.email_verified, u.image, u.extra
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.session_token = ?1",
    )
    .and_then(|mut s| {
        s.query_row([session_token], |r| {
            Ok((from_row(r)?, users::from_row(r, 3)?))
        })
        .optional()
    })
    .map_err(sqlite)
}

/// Applies a partial update; `None` when no session has this token.
pub fn update(conn: &Connection, patch: &SessionPatch) -> Result<Option<Session>> {
    conn.prepare_cached(
        "UPDATE sessions SET user_id = coalesce(?2, user_id), expires = coalesce(?3, expires)
          WHERE session_token = ?1 RETURNING session_token, user_id, expires",
    )
    .and_then(|mut s| {
        s.query_row(
            params![patch.session_token, patch.user_id, patch.expires],
            from_row,
        )
        .optional()
    })
    .map_err(sqlite)
}

/// Deletes the session and returns it, or `None`.
pub fn delete(conn: &Connection, session_token: &str) -> Result<Option<Session>> {
    conn.prepare_cached(
        "DELETE FROM sessions WHERE session_token = ?1 RETURNING session_token, user_id, expires",
    )
    .and_then(|mut s| s.query_row([session_token], from_row).optional())
    .map_err(sqlite)
}
