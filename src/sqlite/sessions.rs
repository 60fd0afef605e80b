//! Queries on `sessions`.
//!
//! The table holds only the hash of each session token (see `secrets`). Callers pass the
//! plain token; it is hashed here for the lookup and put back into the returned session, so
//! the plain token never reaches the file.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::connection::returned_row;
use super::users;
use crate::core::error::{AdapterError, Result};
use crate::core::model::{Millis, Session, SessionInfo, SessionOrigin, SessionPatch, User};
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

/// Creates a session at `now` with a new public id and returns it as stored.
pub fn insert(
    conn: &Connection,
    secrets: &Secrets,
    session: &Session,
    origin: &SessionOrigin,
    now: Millis,
) -> Result<Session> {
    conn.prepare_cached(
        "INSERT INTO sessions (session_token_hash, user_id, expires, id, created_at,
                               last_active_at, user_agent, ip_address)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            secrets.session_token_hash(&session.session_token),
            session.user_id,
            session.expires,
            crate::core::secrets::public_id(),
            now,
            origin.user_agent,
            origin.ip_address,
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

/// Applies a partial update at `now` (the session's last activity); `None` when no session
/// has this token.
pub fn update(
    conn: &Connection,
    secrets: &Secrets,
    patch: &SessionPatch,
    now: Millis,
) -> Result<Option<Session>> {
    conn.prepare_cached(
        "UPDATE sessions SET user_id = coalesce(?2, user_id), expires = coalesce(?3, expires),
                             last_active_at = ?4
          WHERE session_token_hash = ?1 RETURNING user_id, expires",
    )
    .and_then(|mut s| {
        returned_row(
            &mut s,
            params![
                secrets.session_token_hash(&patch.session_token),
                patch.user_id,
                patch.expires,
                now
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

/// Deletes every session that expired before `now`; returns how many. With no index on
/// `expires` this reads the whole table in one transaction: for an explicit prune; the
/// sweeper uses [`delete_expired_after`] a chunk at a time.
pub fn delete_expired(conn: &Connection, now: Millis) -> Result<usize> {
    conn.prepare_cached("DELETE FROM sessions WHERE expires < ?1")
        .and_then(|mut s| s.execute([now]))
        .map_err(sqlite)
}

/// What one chunk of a sweep did: sessions deleted, and the key to continue after (`None`
/// once the chunk reached the end of the table).
pub struct SweptChunk {
    pub deleted: usize,
    pub next: Option<String>,
}

/// Deletes the sessions that expired before `now` among the next `chunk` sessions in key
/// order after `after` ("" for the first). Each chunk reads at most `chunk` rows of the
/// table's own b-tree, so a sweep of a large table holds the write lock only briefly at a
/// time; rows written between chunks are judged by their `expires` when their chunk runs.
pub fn delete_expired_after(
    conn: &Connection,
    now: Millis,
    after: &str,
    chunk: u32,
) -> Result<SweptChunk> {
    let bound: Option<String> = conn
        .prepare_cached(
            "SELECT session_token_hash FROM sessions WHERE session_token_hash > ?1
             ORDER BY session_token_hash LIMIT 1 OFFSET ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![after, chunk.saturating_sub(1)], |r| r.get(0))
                .optional()
        })
        .map_err(sqlite)?;
    let deleted = match &bound {
        Some(last) => conn
            .prepare_cached(
                "DELETE FROM sessions WHERE session_token_hash > ?1
                 AND session_token_hash <= ?2 AND expires < ?3",
            )
            .and_then(|mut s| s.execute(params![after, last, now])),
        None => conn
            .prepare_cached("DELETE FROM sessions WHERE session_token_hash > ?1 AND expires < ?2")
            .and_then(|mut s| s.execute(params![after, now])),
    }
    .map_err(sqlite)?;
    Ok(SweptChunk {
        deleted,
        next: bound,
    })
}

/// The columns of a [`SessionInfo`], in [`info_from_row`]'s order.
const INFO: &str = "id, user_id, expires, created_at, last_active_at, user_agent, ip_address";

fn info_from_row(row: &Row) -> rusqlite::Result<SessionInfo> {
    Ok(SessionInfo {
        id: row.get(0)?,
        user_id: row.get(1)?,
        expires: row.get(2)?,
        created_at: row.get(3)?,
        last_active_at: row.get(4)?,
        origin: SessionOrigin {
            user_agent: row.get(5)?,
            ip_address: row.get(6)?,
        },
        current: row.get::<_, Option<bool>>(7)?.unwrap_or(false),
    })
}

/// A user's sessions that have not expired at `now`, newest first (sessions from before
/// creation times were stored come last); the one whose token is `current` is marked.
pub fn list(
    conn: &Connection,
    secrets: &Secrets,
    user_id: &str,
    current: Option<&str>,
    now: Millis,
) -> Result<Vec<SessionInfo>> {
    let current = current.map(|token| secrets.session_token_hash(token));
    conn.prepare_cached(&format!(
        "SELECT {INFO}, session_token_hash = ?3 FROM sessions
          WHERE user_id = ?1 AND expires >= ?2 AND id IS NOT NULL
          ORDER BY created_at DESC NULLS LAST, id"
    ))
    .and_then(|mut s| {
        s.query_map(params![user_id, now, current], info_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .map_err(sqlite)
}

/// Deletes the session with public id `id` if it belongs to `user_id`.
pub fn revoke(conn: &Connection, user_id: &str, id: &str) -> Result<Option<SessionInfo>> {
    conn.prepare_cached(&format!(
        "DELETE FROM sessions WHERE user_id = ?1 AND id = ?2 RETURNING {INFO}, false"
    ))
    .and_then(|mut s| returned_row(&mut s, params![user_id, id], info_from_row))
    .map_err(sqlite)
}

/// Deletes every session of each of `user_ids`, but the one whose token is `except`; how
/// many went. Run in one transaction by the caller.
pub fn revoke_all(
    conn: &Connection,
    secrets: &Secrets,
    user_ids: &[String],
    except: Option<&str>,
) -> Result<u64> {
    let keep = except.map(|token| secrets.session_token_hash(token));
    let mut deleted = 0u64;
    let mut statement = conn
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1 AND session_token_hash IS NOT ?2")
        .map_err(sqlite)?;
    for user_id in user_ids {
        deleted += statement.execute(params![user_id, keep]).map_err(sqlite)? as u64;
    }
    Ok(deleted)
}
