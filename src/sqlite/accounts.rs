//! Queries on `accounts`.

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::core::error::{AdapterError, Result};
use crate::core::extras;
use crate::core::model::Account;
use crate::core::secrets::Secrets;

fn sqlite(e: rusqlite::Error) -> AdapterError {
    AdapterError::from_sqlite(e, "account")
}

const SELECT: &str =
    "SELECT user_id, type, provider, provider_account_id, access_token, refresh_token,
        expires_at, token_type, scope, id_token, session_state, extra FROM accounts";

fn from_row(row: &Row) -> rusqlite::Result<Account> {
    let expires_at = match row.get_ref(6)? {
        ValueRef::Integer(i) => Some(i as f64),
        ValueRef::Real(f) => Some(f),
        _ => None,
    };
    let extra: Option<String> = row.get(11)?;
    Ok(Account {
        user_id: row.get(0)?,
        kind: row.get(1)?,
        provider: row.get(2)?,
        provider_account_id: row.get(3)?,
        access_token: row.get(4)?,
        refresh_token: row.get(5)?,
        expires_at,
        token_type: row.get(7)?,
        scope: row.get(8)?,
        id_token: row.get(9)?,
        session_state: row.get(10)?,
        extra: extras::from_column(extra.as_deref()).map_err(|e| extras::corrupt(11, e))?,
    })
}

/// Links an account to its user and returns it as stored (tokens in the clear): one
/// statement, stepped to completion (so a lone `linkAccount` runs it in autocommit mode; see
/// `Writer::run_statement_inline`).
pub fn insert(conn: &Connection, secrets: &Secrets, account: &Account) -> Result<Account> {
    let extra = extras::to_column(&account.extra, "account")?;
    let [access_token, refresh_token, id_token] = secrets.seal_account_tokens(account)?;
    conn.prepare_cached(
        "INSERT INTO accounts (user_id, type, provider, provider_account_id, access_token, refresh_token,
                               expires_at, token_type, scope, id_token, session_state, extra)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.user_id,
            account.kind,
            account.provider,
            account.provider_account_id,
            access_token,
            refresh_token,
            account.expires_at,
            account.token_type,
            account.scope,
            id_token,
            account.session_state,
            extra
        ])
    })
    .map_err(sqlite)?;
    Ok(account.clone())
}

/// The account `(provider, providerAccountId)`.
pub fn get(
    conn: &Connection,
    secrets: &Secrets,
    provider: &str,
    provider_account_id: &str,
) -> Result<Option<Account>> {
    conn.prepare_cached(&format!(
        "{SELECT} WHERE provider = ?1 AND provider_account_id = ?2"
    ))
    .and_then(|mut s| {
        s.query_row(params![provider, provider_account_id], from_row)
            .optional()
    })
    .map_err(sqlite)?
    .map(|a| secrets.open_account_tokens(a))
    .transpose()
}

/// Unlinks the account and returns what was deleted, or `None`.
pub fn delete(
    conn: &Connection,
    secrets: &Secrets,
    provider: &str,
    provider_account_id: &str,
) -> Result<Option<Account>> {
    conn.prepare_cached(
        "DELETE FROM accounts WHERE provider = ?1 AND provider_account_id = ?2
         RETURNING user_id, type, provider, provider_account_id, access_token, refresh_token,
                   expires_at, token_type, scope, id_token, session_state, extra",
    )
    .and_then(|mut s| {
        s.query_row(params![provider, provider_account_id], from_row)
            .optional()
    })
    .map_err(sqlite)?
    .map(|a| secrets.open_account_tokens(a))
    .transpose()
}
