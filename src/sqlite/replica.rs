//! The replica side of local-first replicas (see `crate::replica`): applying the hub's
//! changes to the local file, the replica's own state (hub position, device id) and the
//! outbox of writes waiting for the hub.

use rusqlite::{params, Connection, OptionalExtension};

use crate::core::error::{AdapterError, Result};
use crate::core::replication::rows::{ChangeSet, Key, OutboxOp};
use crate::core::replication::schema::{ColumnType, DeclaredSchema};

fn sqlite(e: rusqlite::Error) -> AdapterError {
    AdapterError::from_sqlite(e, "replica")
}

/// Creates the replica's own tables beside the adapter's.
pub fn prepare(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS replica_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS replica_outbox (
             seq    INTEGER PRIMARY KEY AUTOINCREMENT,
             op_id  TEXT NOT NULL UNIQUE,
             kind   TEXT NOT NULL,
             target TEXT NOT NULL,
             op     TEXT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS replica_outbox_target_idx ON replica_outbox (target);",
    )
    .map_err(sqlite)
}

/// A value of the replica's state (`position`, `device_id`).
pub fn state(conn: &Connection, key: &str) -> Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM replica_state WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
        .map_err(sqlite)
}

/// Sets a value of the replica's state.
pub fn set_state(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO replica_state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut s| s.execute([key, value]))
    .map_err(sqlite)?;
    Ok(())
}

/// Applies a change set from the hub (in the caller's transaction) and, when `advance`, moves
/// the replica's position to the set's. Deletions go first, so a unique value that moved from a
/// deleted row to a new one never collides; a row whose user is not (yet) here is skipped (it
/// is read through from the hub when asked for). A user or session with a write waiting in the
/// outbox keeps its local state: the hub's copy is older, and replaying the write on the hub
/// logs the row again, so the next pull brings the merged state.
pub fn apply(conn: &Connection, set: &ChangeSet, advance: bool) -> Result<()> {
    let run = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> Result<()> {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute(args))
            .map_err(sqlite)?;
        Ok(())
    };
    if set.full {
        // Rows with a queued write stay (see above); everything else is replaced.
        conn.execute_batch(
            "DELETE FROM sessions WHERE session_token_hash NOT IN (SELECT target FROM replica_outbox);
             DELETE FROM accounts; DELETE FROM authenticators;
             DELETE FROM users WHERE id NOT IN (SELECT target FROM replica_outbox);",
        )
        .map_err(sqlite)?;
    }
    for key in &set.deleted {
        match key {
            Key::Session(h) => run("DELETE FROM sessions WHERE session_token_hash = ?1", &[h])?,
            Key::Account(p, id) => run(
                "DELETE FROM accounts WHERE provider = ?1 AND provider_account_id = ?2",
                &[p, id],
            )?,
            Key::Authenticator(c) => {
                run("DELETE FROM authenticators WHERE credential_id = ?1", &[c])?
            }
            Key::User(_) => {}
        }
    }
    for key in &set.deleted {
        if let Key::User(id) = key {
            run("DELETE FROM users WHERE id = ?1", &[id])?;
        }
    }
    for u in &set.users {
        if queued(conn, &u.id)? {
            continue;
        }
        if let Some(email) = &u.email {
            // The hub says this email is now u's: another local row still holding it is stale
            // (its own new state comes in this set or a later one).
            run(
                "UPDATE users SET email = NULL WHERE email = ?1 AND id <> ?2",
                &[email, &u.id],
            )?;
        }
        run(
            "INSERT INTO users (id, name, email, email_verified, image, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,
                 email_verified = excluded.email_verified, image = excluded.image, extra = excluded.extra",
            &[&u.id, &u.name, &u.email, &u.email_verified, &u.image, &u.extra],
        )?;
    }
    for a in &set.accounts {
        run(
            "INSERT INTO accounts (user_id, type, provider, provider_account_id, access_token, refresh_token,
                                   expires_at, token_type, scope, id_token, session_state, extra)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12
              WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1)
             ON CONFLICT (provider, provider_account_id) DO UPDATE SET user_id = excluded.user_id,
                 type = excluded.type, access_token = excluded.access_token,
                 refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
                 token_type = excluded.token_type, scope = excluded.scope, id_token = excluded.id_token,
                 session_state = excluded.session_state, extra = excluded.extra",
            params![
                a.user_id,
                a.kind,
                a.provider,
                a.provider_account_id,
                a.access_token,
                a.refresh_token,
                a.expires_at,
                a.token_type,
                a.scope,
                a.id_token,
                a.session_state,
                a.extra
            ],
        )?;
    }
    for s in &set.sessions {
        if queued(conn, &s.session_token_hash)? {
            continue;
        }
        run(
            "INSERT INTO sessions (session_token_hash, user_id, expires)
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2)
             ON CONFLICT (session_token_hash) DO UPDATE SET user_id = excluded.user_id, expires = excluded.expires",
            &[&s.session_token_hash, &s.user_id, &s.expires],
        )?;
    }
    for a in &set.authenticators {
        run(
            "INSERT INTO authenticators (credential_id, user_id, provider_account_id, credential_public_key,
                                         counter, credential_device_type, credential_backed_up, transports)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2)
             ON CONFLICT (credential_id) DO UPDATE SET user_id = excluded.user_id,
                 provider_account_id = excluded.provider_account_id,
                 credential_public_key = excluded.credential_public_key, counter = excluded.counter,
                 credential_device_type = excluded.credential_device_type,
                 credential_backed_up = excluded.credential_backed_up, transports = excluded.transports",
            params![
                a.credential_id,
                a.user_id,
                a.provider_account_id,
                a.credential_public_key,
                a.counter,
                a.credential_device_type,
                a.credential_backed_up,
                a.transports
            ],
        )?;
    }
    if advance {
        set_state(conn, "position", &set.position)?;
    }
    Ok(())
}

/// True when a write to the row with this key waits in the outbox.
fn queued(conn: &Connection, target: &str) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM replica_outbox WHERE target = ?1 LIMIT 1")
        .and_then(|mut s| s.query_row([target], |_| Ok(())).optional())
        .map(|found| found.is_some())
        .map_err(sqlite)
}

/// Adds a write to the outbox.
pub fn enqueue(conn: &Connection, op_id: &str, op: &OutboxOp) -> Result<()> {
    let (kind, target) = op.target();
    conn.prepare_cached(
        "INSERT INTO replica_outbox (op_id, kind, target, op) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute([op_id, kind, target, &op.encode()]))
    .map_err(sqlite)?;
    Ok(())
}

/// True when a sign-out of the session with this token hash waits in the outbox: the
/// replica has already refused the session, whatever the hub still holds.
pub fn session_delete_queued(conn: &Connection, session_token_hash: &str) -> Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM replica_outbox WHERE target = ?1 AND kind = 'deleteSession' LIMIT 1",
    )
    .and_then(|mut s| s.query_row([session_token_hash], |_| Ok(())).optional())
    .map(|found| found.is_some())
    .map_err(sqlite)
}

/// The outbox, oldest first: `(seq, op id, write)`.
pub fn outbox(conn: &Connection) -> Result<Vec<(i64, String, OutboxOp)>> {
    let rows: Vec<(i64, String, String)> = conn
        .prepare_cached("SELECT seq, op_id, op FROM replica_outbox ORDER BY seq")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(sqlite)?;
    rows.into_iter()
        .map(|(seq, id, op)| Ok((seq, id, OutboxOp::decode(&op)?)))
        .collect()
}

/// Removes a replayed write from the outbox.
pub fn dequeue(conn: &Connection, seq: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM replica_outbox WHERE seq = ?1")
        .and_then(|mut s| s.execute([seq]))
        .map_err(sqlite)?;
    Ok(())
}

/// How many writes wait in the outbox.
pub fn outbox_len(conn: &Connection) -> Result<usize> {
    conn.prepare_cached("SELECT count(*) FROM replica_outbox")
        .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
        .map(|n| n as usize)
        .map_err(sqlite)
}

/// The SQLite type and expression of a declared user column (a virtual generated column).
fn declared_column(name: &str, kind: ColumnType) -> (&'static str, String) {
    match kind {
        ColumnType::Text => ("TEXT", format!("json_extract(extra, '$.{name}')")),
        ColumnType::Integer => (
            "INTEGER",
            format!("CAST(json_extract(extra, '$.{name}') AS INTEGER)"),
        ),
        ColumnType::Real => ("REAL", format!("json_extract(extra, '$.{name}')")),
        ColumnType::Boolean => ("INTEGER", format!("json_extract(extra, '$.{name}')")),
        ColumnType::Date => (
            "INTEGER",
            format!("CAST(json_extract(extra, '$.{name}.\"$date\"') AS INTEGER)"),
        ),
    }
}

/// The `users` columns of the file (generated ones included) with their declared types.
fn user_columns(conn: &Connection) -> Result<Vec<(String, String)>> {
    conn.prepare("SELECT name, type FROM pragma_table_xinfo('users')")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(sqlite)
}

/// How the replica file differs from `schema` (empty: it matches).
pub fn schema_differences(conn: &Connection, schema: &DeclaredSchema) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let version = super::schema::version(conn)?;
    if let Some(expected) = schema.version {
        if expected != version {
            out.push(format!(
                "replica: schema version is {version}, the declared schema expects {expected}"
            ));
        }
    }
    let columns = user_columns(conn)?;
    for (name, kind) in &schema.user_columns {
        let (want, _) = declared_column(name, *kind);
        match columns.iter().find(|(n, _)| n == name) {
            None => out.push(format!(
                "replica: users.{name} ({}) is missing",
                kind.name()
            )),
            Some((_, have)) if !have.eq_ignore_ascii_case(want) => out.push(format!(
                "replica: users.{name} is {have}, declared {} ({want})",
                kind.name()
            )),
            Some(_) => {}
        }
    }
    Ok(out)
}

/// Adds the declared user columns the replica file lacks; a column that exists with another
/// type is refused (`INVALID_INPUT`) rather than changed.
pub fn migrate_schema(conn: &Connection, schema: &DeclaredSchema) -> Result<()> {
    let columns = user_columns(conn)?;
    for (name, kind) in &schema.user_columns {
        let (want, expr) = declared_column(name, *kind);
        match columns.iter().find(|(n, _)| n == name) {
            Some((_, have)) if !have.eq_ignore_ascii_case(want) => {
                return Err(AdapterError::invalid(
                    format!("schema.user.{name}"),
                    format!("exists in the replica as {have}; it is not changed to {want}"),
                ))
            }
            Some(_) => {}
            None => conn
                .execute_batch(&format!(
                    "ALTER TABLE users ADD COLUMN \"{name}\" {want} GENERATED ALWAYS AS ({expr}) VIRTUAL"
                ))
                .map_err(sqlite)?,
        }
    }
    Ok(())
}
