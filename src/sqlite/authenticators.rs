//! Queries on `authenticators` (WebAuthn credentials).

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::core::error::{AdapterError, Result};
use crate::core::model::Authenticator;

fn sqlite(e: rusqlite::Error) -> AdapterError {
    AdapterError::from_sqlite(e, "authenticator")
}

const COLUMNS: &str = "credential_id, user_id, provider_account_id, credential_public_key, counter,
        credential_device_type, credential_backed_up, transports";

fn from_row(row: &Row) -> rusqlite::Result<Authenticator> {
    Ok(Authenticator {
        credential_id: row.get(0)?,
        user_id: row.get(1)?,
        provider_account_id: row.get(2)?,
        credential_public_key: row.get(3)?,
        counter: row.get(4)?,
        credential_device_type: row.get(5)?,
        credential_backed_up: row.get(6)?,
        transports: row.get(7)?,
    })
}

/// Stores an authenticator and returns it as stored.
pub fn insert(conn: &Connection, a: &Authenticator) -> Result<Authenticator> {
    conn.prepare_cached(&format!(
        "INSERT INTO authenticators ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            a.credential_id,
            a.user_id,
            a.provider_account_id,
            a.credential_public_key,
            a.counter,
            a.credential_device_type,
            a.credential_backed_up,
            a.transports
        ])
    })
    .map_err(sqlite)?;
    Ok(a.clone())
}

/// The authenticator with this credential ID.
pub fn get(conn: &Connection, credential_id: &str) -> Result<Option<Authenticator>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM authenticators WHERE credential_id = ?1"
    ))
    .and_then(|mut s| s.query_row([credential_id], from_row).optional())
    .map_err(sqlite)
}

/// Every authenticator of a user (empty for an unknown user), oldest first.
pub fn by_user(conn: &Connection, user_id: &str) -> Result<Vec<Authenticator>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM authenticators WHERE user_id = ?1 ORDER BY rowid"
    ))
    .and_then(|mut s| s.query_map([user_id], from_row)?.collect())
    .map_err(sqlite)
}

/// Sets the signature counter; `NOT_FOUND` when the credential ID is unknown.
pub fn update_counter(
    conn: &Connection,
    credential_id: &str,
    counter: i64,
) -> Result<Authenticator> {
    conn.prepare_cached(&format!(
        "UPDATE authenticators SET counter = ?2 WHERE credential_id = ?1 RETURNING {COLUMNS}"
    ))
    .and_then(|mut s| {
        s.query_row(params![credential_id, counter], from_row)
            .optional()
    })
    .map_err(sqlite)?
    .ok_or_else(|| {
        AdapterError::not_found(format!(
            "authenticator.credentialID: no authenticator with credentialID {credential_id:?}"
        ))
    })
}
