//! Queries on `users`.

use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};

use crate::core::error::{AdapterError, Result};
use crate::core::extras;
use crate::core::model::{Patch, User, UserPatch};

/// Columns of a user, in the order [`from_row`] reads them.
pub const COLUMNS: &str = "id, name, email, email_verified, image, extra";

fn sqlite(e: rusqlite::Error) -> AdapterError {
    AdapterError::from_sqlite(e, "user")
}

/// Reads a user from `row`, starting at column `at` (the layout of [`COLUMNS`]).
pub fn from_row(row: &Row, at: usize) -> rusqlite::Result<User> {
    let extra: Option<String> = row.get(at + 5)?;
    Ok(User {
        id: row.get(at)?,
        name: row.get(at + 1)?,
        email: row.get(at + 2)?,
        email_verified: row.get(at + 3)?,
        image: row.get(at + 4)?,
        extra: extras::from_column(extra.as_deref()).map_err(|e| extras::corrupt(at + 5, e))?,
    })
}

/// Inserts a user and returns it as stored: one statement, stepped to completion (so a lone
/// `createUser` runs it in autocommit mode; see `Writer::run_statement_inline`).
pub fn insert(conn: &Connection, user: &User) -> Result<User> {
    let extra = extras::to_column(&user.extra, "user")?;
    conn.prepare_cached(
        "INSERT INTO users (id, name, email, email_verified, image, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            user.id,
            user.name,
            user.email,
            user.email_verified,
            user.image,
            extra
        ])
    })
    .map_err(sqlite)?;
    Ok(user.clone())
}

fn one(conn: &Connection, sql: &str, args: &[&dyn ToSql]) -> Result<Option<User>> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.query_row(args, |r| from_row(r, 0)).optional())
        .map_err(sqlite)
}

/// The user with this id.
pub fn by_id(conn: &Connection, id: &str) -> Result<Option<User>> {
    one(
        conn,
        "SELECT id, name, email, email_verified, image, extra FROM users WHERE id = ?1",
        &[&id],
    )
}

/// The user with this email (exact match; Auth.js lowercases emails itself).
pub fn by_email(conn: &Connection, email: &str) -> Result<Option<User>> {
    one(
        conn,
        "SELECT id, name, email, email_verified, image, extra FROM users WHERE email = ?1",
        &[&email],
    )
}

/// The user who owns the account `(provider, providerAccountId)`.
pub fn by_account(
    conn: &Connection,
    provider: &str,
    provider_account_id: &str,
) -> Result<Option<User>> {
    one(
        conn,
        "SELECT u.id, u.name, u.email, u.email_verified, u.image, u.extra
           FROM accounts a JOIN users u ON u.id = a.user_id
          WHERE a.provider = ?1 AND a.provider_account_id = ?2",
        &[&provider, &provider_account_id],
    )
}

/// Applies a partial update and returns the whole user; `NOT_FOUND` when the id is unknown.
pub fn update(conn: &Connection, patch: &UserPatch) -> Result<User> {
    let mut sets: Vec<&str> = Vec::new();
    let mut args: Vec<&dyn ToSql> = Vec::new();
    fn push<'a, T: ToSql>(
        sets: &mut Vec<&str>,
        args: &mut Vec<&'a dyn ToSql>,
        column: &'static str,
        value: &'a Patch<T>,
    ) {
        if value.is_change() {
            sets.push(column);
            args.push(value);
        }
    }
    push(&mut sets, &mut args, "name", &patch.name);
    push(&mut sets, &mut args, "email", &patch.email);
    push(
        &mut sets,
        &mut args,
        "email_verified",
        &patch.email_verified,
    );
    push(&mut sets, &mut args, "image", &patch.image);
    let merged_extra;
    if !patch.extra.is_empty() {
        let current = by_id(conn, &patch.id)?.ok_or_else(|| not_found(&patch.id))?;
        let mut extra = current.extra;
        for (key, value) in &patch.extra {
            extra.insert(key.clone(), value.clone());
        }
        merged_extra = extras::to_column(&extra, "user")?;
        sets.push("extra");
        args.push(&merged_extra);
    }
    if sets.is_empty() {
        return by_id(conn, &patch.id)?.ok_or_else(|| not_found(&patch.id));
    }
    let assignments: Vec<String> = sets
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = ?{}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE users SET {} WHERE id = ?{} RETURNING {COLUMNS}",
        assignments.join(", "),
        sets.len() + 1
    );
    args.push(&patch.id);
    one(conn, &sql, &args)?.ok_or_else(|| not_found(&patch.id))
}

fn not_found(id: &str) -> AdapterError {
    AdapterError::not_found(format!("user.id: no user with id {id:?}"))
}

/// Deletes the user; accounts, sessions and authenticators go with it (foreign-key cascade,
/// same statement). Returns the deleted user, or `None`.
pub fn delete(conn: &Connection, id: &str) -> Result<Option<User>> {
    one(
        conn,
        "DELETE FROM users WHERE id = ?1 RETURNING id, name, email, email_verified, image, extra",
        &[&id],
    )
}

impl<T: ToSql> ToSql for Patch<T> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Patch::Set(v) => v.to_sql(),
            _ => Ok(rusqlite::types::ToSqlOutput::Owned(
                rusqlite::types::Value::Null,
            )),
        }
    }
}
