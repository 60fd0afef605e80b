//! Queries on `sessions`.
//!
//! The table holds only the hash of each session token (see `secrets`). Callers pass the
//! plain token; it is hashed here for the lookup and put back into the returned session, so
//! the plain token never reaches the file.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::connection::returned_row;
use super::users;
use crate::core::error::{AdapterError, Result};
use crate::core::model::{Millis, Session, SessionPatch, User};
use crate::core::secrets::Secrets;

fn sqlite(e: rusqlite::Error) -> AdapterError {
    AdapterError::from_sqlite(e, "session")
}

/// Reads `(user_id, expires)` at `at` and labels the session with the caller's token.
fn from_row(row: &Row, at: usize, session_token: &str) -> rusqlite::Result<Session> {
    Ok(Session {
        session_token: session_token.to_owned(),
        user_id: row.get(at)?,
        expires: row.get(at + 1)?,
    })
}

/// Creates a session and returns it as stored.
pub fn insert(conn: &Connection, secrets: &Secrets, session: &Session) -> Result<Session> {
    conn.prepare_cached(
        "INSERT INTO sessions (session_token_hash, user_id, expires) VALUES (?1, ?2, ?3)",
    )
    .and_then(|mut s| {
        s.execute(params![
            secrets.session_token_hash(&session.session_token),
            session.user_id,
            session.expires
        ])
    })
    .map_err(sqlite)?;
    Ok(session.clone())
}

/// The session and its user, in one indexed join (the hot path of every signed-in request).
pub fn with_user(
    conn: &Connection,
    secrets: &Secrets,
    session_token: &str,
) -> Result<Option<(Session, User)>> {
    conn.prepare_cached(
        "SELECT s.user_id, s.expires,
                u.id, u.name, u.email, u.email_verified, u.image, u.extra
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.session_token_hash = ?1",
    )
    .and_then(|mut s| {
        s.query_row([secrets.session_token_hash(session_token)], |r| {
            Ok((from_row(r, 0, session_token)?, users::from_row(r, 2)?))
        })
        .optional()
    })
    .map_err(sqlite)
}

/// Applies a partial update; `None` when no session has this token.
pub fn update(
    conn: &Connection,
    secrets: &Secrets,
    patch: &SessionPatch,
) -> Result<Option<Session>> {
    conn.prepare_cached(
        "UPDATE sessions SET user_id = coalesce(?2, user_id), expires = coalesce(?3, expires)
          WHERE session_token_hash = ?1 RETURNING user_id, expires",
    )
    .and_then(|mut s| {
        returned_row(
            &mut s,
            params![
                secrets.session_token_hash(&patch.session_token),
                patch.user_id,
                patch.expires
            ],
            |r| from_row(r, 0, &patch.session_token),
        )
    })
    .map_err(sqlite)
}

/// Deletes the session and returns it, or `None`.
pub fn delete(
    conn: &Connection,
    secrets: &Secrets,
    session_token: &str,
) -> Result<Option<Session>> {
    conn.prepare_cached(
        "DELETE FROM sessions WHERE session_token_hash = ?1 RETURNING user_id, expires",
    )
    .and_then(|mut s| {
        returned_row(&mut s, [secrets.session_token_hash(session_token)], |r| {
            from_row(r, 0, session_token)
        })
    })
    .map_err(sqlite)
}

/// Deletes every session that expired before `now`; returns how many.
pub fn delete_expired(conn: &Connection, now: Millis) -> Result<usize> {
    conn.prepare_cached("DELETE FROM sessions WHERE expires < ?1")
        .and_then(|mut s| s.execute([now]))
        .map_err(sqlite)
}
