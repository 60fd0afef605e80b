//! The SQLite schema and its versioned migrations.
//!
//! The version lives in `PRAGMA user_version`. The pending migrations run together in one
//! `BEGIN IMMEDIATE` transaction, so several processes opening one file at once migrate it
//! exactly once, a failed step leaves the file at its old version, and a new file is created
//! with one commit (one sync) instead of one per version. A file whose version is newer than
//! [`LATEST_VERSION`] is refused untouched.

use rusqlite::Connection;

use crate::core::error::{AdapterError, ErrorCode, Result};
use crate::core::secrets::Secrets;

/// A data step that runs after a migration's SQL, inside the same transaction.
type DataStep = fn(&Connection, &Secrets) -> Result<()>;

/// Migration `n` (1-based) brings a file from version `n - 1` to version `n`.
const MIGRATIONS: &[&str] = &[
    // 1: the Auth.js core models (users, accounts, sessions, verification tokens).
    "
    CREATE TABLE users (
        id             TEXT PRIMARY KEY NOT NULL,
        name           TEXT,
        email          TEXT UNIQUE,
        email_verified INTEGER,
        image          TEXT,
        extra          TEXT
    );
    CREATE TABLE accounts (
        provider            TEXT NOT NULL,
        provider_account_id TEXT NOT NULL,
        user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        type                TEXT NOT NULL,
        access_token        TEXT,
        refresh_token       TEXT,
        expires_at          INTEGER,
        token_type          TEXT,
        scope               TEXT,
        id_token            TEXT,
        session_state       TEXT,
        extra               TEXT,
        PRIMARY KEY (provider, provider_account_id)
    );
    CREATE INDEX accounts_user_id_idx ON accounts(user_id);
    CREATE TABLE sessions (
        session_token TEXT PRIMARY KEY NOT NULL,
        user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires       INTEGER NOT NULL
    );
    CREATE INDEX sessions_user_id_idx ON sessions(user_id);
    CREATE TABLE verification_tokens (
        identifier TEXT NOT NULL,
        token      TEXT NOT NULL,
        expires    INTEGER NOT NULL,
        PRIMARY KEY (identifier, token)
    ) WITHOUT ROWID;
    ",
    // 2: WebAuthn authenticators (passkeys).
    "
    CREATE TABLE authenticators (
        credential_id          TEXT PRIMARY KEY NOT NULL,
        user_id                TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider_account_id    TEXT NOT NULL,
        credential_public_key  TEXT NOT NULL,
        counter                INTEGER NOT NULL,
        credential_device_type TEXT NOT NULL,
        credential_backed_up   INTEGER NOT NULL,
        transports             TEXT
    );
    CREATE INDEX authenticators_user_id_idx ON authenticators(user_id);
    ",
    // 3: session tokens stored only as keyed hashes (see `secrets`); expiry indexes for prune().
    "
    ALTER TABLE sessions RENAME COLUMN session_token TO session_token_hash;
    CREATE INDEX sessions_expires_idx ON sessions(expires);
    CREATE INDEX verification_tokens_expires_idx ON verification_tokens(expires);
    ",
    // 4: sessions keyed by their token hash alone (WITHOUT ROWID): the hot lookup of every
    // signed-in request descends one b-tree instead of an index and then the table, and a new
    // session writes one b-tree fewer. Nothing references sessions, so a copy is enough.
    "
    CREATE TABLE sessions_v4 (
        session_token_hash TEXT PRIMARY KEY NOT NULL,
        user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires            INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO sessions_v4 (session_token_hash, user_id, expires)
        SELECT session_token_hash, user_id, expires FROM sessions;
    DROP TABLE sessions;
    ALTER TABLE sessions_v4 RENAME TO sessions;
    CREATE INDEX sessions_user_id_idx ON sessions(user_id);
    CREATE INDEX sessions_expires_idx ON sessions(expires);
    ",
    // 5: what a user's list of sessions shows: a random public id (never the token), when
    // the session was created and last written, and where from when the app captured it.
    // Sessions that existed before get an id; their times stay unknown (NULL).
    "
    ALTER TABLE sessions ADD COLUMN id TEXT;
    ALTER TABLE sessions ADD COLUMN created_at INTEGER;
    ALTER TABLE sessions ADD COLUMN last_active_at INTEGER;
    ALTER TABLE sessions ADD COLUMN user_agent TEXT;
    ALTER TABLE sessions ADD COLUMN ip_address TEXT;
    UPDATE sessions SET id = lower(hex(randomblob(16)));
    ",
    // 6: no expiry indexes. Every session write (create, update, delete) and every token
    // write paid for one more b-tree, kept only so the hourly sweep could find expired rows
    // without a scan. The sweeper now walks the sessions in key order a chunk per write
    // transaction (see `sweeper`), so that scan never holds the write lock for long, and an
    // explicit prune() scans once.
    "
    DROP INDEX IF EXISTS sessions_expires_idx;
    DROP INDEX IF EXISTS verification_tokens_expires_idx;
    ",
];

/// The indexes on `user_id` of the latest schema, as its migrations create them: they serve
/// reads by user (a user's accounts, sessions and passkeys; deleting a user), not any key.
/// An import into an empty file drops them while it writes and builds them once at the end
/// (see `crate::sqlite::portable`); [`migrate`] builds any that is missing, so a file whose
/// import was killed in between gets them back the next time it is opened.
pub const USER_ID_INDEXES: [(&str, &str); 3] = [
    (
        "accounts_user_id_idx",
        "CREATE INDEX IF NOT EXISTS accounts_user_id_idx ON accounts(user_id)",
    ),
    (
        "sessions_user_id_idx",
        "CREATE INDEX IF NOT EXISTS sessions_user_id_idx ON sessions(user_id)",
    ),
    (
        "authenticators_user_id_idx",
        "CREATE INDEX IF NOT EXISTS authenticators_user_id_idx ON authenticators(user_id)",
    ),
];

/// Builds the [`USER_ID_INDEXES`] that are missing (none, but after an interrupted import).
pub fn ensure_user_id_indexes(conn: &Connection) -> rusqlite::Result<()> {
    for (_, create) in USER_ID_INDEXES {
        conn.execute_batch(create)?;
    }
    Ok(())
}

/// Data steps by version (index = version - 1).
const DATA_STEPS: &[Option<DataStep>] = &[None, None, Some(hash_session_tokens), None, None, None];

/// Version 3: replaces every plain session token with its stored hash, so sessions created
/// before the upgrade keep working.
fn hash_session_tokens(conn: &Connection, secrets: &Secrets) -> Result<()> {
    let sqlite = |e| AdapterError::from_sqlite(e, "migration");
    let tokens: Vec<String> = conn
        .prepare("SELECT session_token_hash FROM sessions")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(sqlite)?;
    let mut update = conn
        .prepare("UPDATE sessions SET session_token_hash = ?2 WHERE session_token_hash = ?1")
        .map_err(sqlite)?;
    for token in tokens {
        update
            .execute([&token, &secrets.session_token_hash(&token)])
            .map_err(sqlite)?;
    }
    Ok(())
}

/// The schema version this library writes and reads.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// Reads `PRAGMA user_version`.
pub fn version(conn: &Connection) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| AdapterError::from_sqlite(e, "schema"))
}

/// Fails with `SCHEMA_TOO_NEW` when the file was written by a newer library.
pub fn refuse_newer(conn: &Connection) -> Result<()> {
    let found = version(conn)?;
    if found > LATEST_VERSION {
        return Err(AdapterError::new(
            ErrorCode::SchemaTooNew,
            format!(
                "the database schema is version {found}, but this authjs-rust-adapter only knows up to version {LATEST_VERSION}; upgrade the package (the file was left unchanged)"
            ),
        ));
    }
    Ok(())
}

/// The tables every file of this adapter has had since version 1.
const OUR_TABLES: [&str; 4] = ["users", "accounts", "sessions", "verification_tokens"];

/// Decides, reading only, whether the file is empty, this adapter's (any version) or another
/// application's, and refuses it untouched unless it may be opened: `NOT_OUR_DATABASE`
/// (naming the tables found) for a foreign file, `SCHEMA_TOO_NEW` for a newer one of ours.
/// Nothing may write to the file (WAL mode, migrations) before this has passed.
pub fn refuse_foreign_or_newer(conn: &Connection) -> Result<()> {
    let sqlite = |e| AdapterError::from_sqlite_on(conn, e, "config.filename");
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(sqlite)?;
    let found = version(conn)?;
    let ours = OUR_TABLES
        .iter()
        .all(|t| tables.iter().any(|have| have == t));
    let empty = tables.is_empty() && found == 0;
    if !(empty || ours && found >= 1) {
        let listed = if tables.is_empty() {
            "no tables".to_string()
        } else {
            let mut shown: Vec<&str> = tables.iter().take(20).map(String::as_str).collect();
            if tables.len() > 20 {
                shown.push("...");
            }
            format!("the tables {}", shown.join(", "))
        };
        return Err(AdapterError::new(
            ErrorCode::NotOurDatabase,
            format!(
                "config.filename: the file is an SQLite database of another application (user_version {found}, {listed}); point config.filename at a new file or at one this adapter created (the file was left unchanged)"
            ),
        ));
    }
    refuse_newer(conn)
}

/// Applies every missing migration up to `target`, all in one transaction.
pub fn migrate_to(conn: &Connection, target: i64, secrets: &Secrets) -> Result<()> {
    let sqlite = |e| AdapterError::from_sqlite_on(conn, e, "migration");
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sqlite)?;
    let steps = (|| {
        let found = version(conn)?;
        if found > LATEST_VERSION {
            refuse_newer(conn)?;
        }
        for current in found..target {
            conn.execute_batch(MIGRATIONS[current as usize])
                .map_err(sqlite)?;
            if let Some(step) = DATA_STEPS[current as usize] {
                step(conn, secrets)?;
            }
        }
        if found < target {
            conn.execute_batch(&format!("PRAGMA user_version = {target}"))
                .map_err(sqlite)?;
        }
        if target == LATEST_VERSION {
            ensure_user_id_indexes(conn).map_err(sqlite)?;
        }
        Ok(())
    })();
    match steps {
        Ok(()) => conn.execute_batch("COMMIT").map_err(sqlite),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Brings the file to [`LATEST_VERSION`].
pub fn migrate(conn: &Connection, secrets: &Secrets) -> Result<()> {
    migrate_to(conn, LATEST_VERSION, secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_secrets() -> Secrets {
        Secrets::default()
    }

    #[test]
    fn an_empty_file_is_migrated_to_the_latest_version() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn, &no_secrets()).unwrap();
        assert_eq!(version(&conn).unwrap(), LATEST_VERSION);
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users','accounts','sessions','verification_tokens','authenticators')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 5);
    }

    #[test]
    fn a_version_one_file_keeps_its_rows_when_migrated() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_to(&conn, 1, &no_secrets()).unwrap();
        conn.execute("INSERT INTO users (id, email) VALUES ('u1', 'a@b.c')", [])
            .unwrap();
        migrate(&conn, &no_secrets()).unwrap();
        let email: String = conn
            .query_row("SELECT email FROM users WHERE id = 'u1'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(email, "a@b.c");
        assert_eq!(version(&conn).unwrap(), LATEST_VERSION);
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn, &no_secrets()).unwrap();
        migrate(&conn, &no_secrets()).unwrap();
        assert_eq!(version(&conn).unwrap(), LATEST_VERSION);
    }

    #[test]
    fn a_user_id_index_dropped_by_an_interrupted_import_is_rebuilt_at_open() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn, &no_secrets()).unwrap();
        let sql = |conn: &Connection| -> Vec<String> {
            conn.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let created = sql(&conn);
        assert_eq!(created.len(), USER_ID_INDEXES.len());
        conn.execute_batch("DROP INDEX sessions_user_id_idx; DROP INDEX accounts_user_id_idx")
            .unwrap();
        assert_eq!(sql(&conn).len(), 1);
        migrate(&conn, &no_secrets()).unwrap();
        // The same indexes, stored as the migrations stored them.
        assert_eq!(sql(&conn), created);
    }

    #[test]
    fn a_newer_file_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", LATEST_VERSION + 1))
            .unwrap();
        let err = migrate(&conn, &no_secrets()).unwrap_err();
        assert_eq!(err.code, ErrorCode::SchemaTooNew);
        assert_eq!(version(&conn).unwrap(), LATEST_VERSION + 1);
    }

    #[test]
    fn plain_session_tokens_are_hashed_by_version_three() {
        let conn = Connection::open_in_memory().unwrap();
        let secrets = Secrets::new(Some("s"), &[]).unwrap();
        migrate_to(&conn, 2, &secrets).unwrap();
        conn.execute_batch(
            "INSERT INTO users (id) VALUES ('u1');
             INSERT INTO sessions (session_token, user_id, expires) VALUES ('plain-token', 'u1', 1);",
        )
        .unwrap();
        migrate(&conn, &secrets).unwrap();
        let stored: String = conn
            .query_row("SELECT session_token_hash FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, secrets.session_token_hash("plain-token"));
    }

    #[test]
    fn a_failing_step_leaves_the_file_at_its_old_version_with_nothing_half_done() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_to(&conn, 2, &no_secrets()).unwrap();
        // Step 4 copies sessions into a new table of this name: it fails after step 3 ran.
        conn.execute_batch(
            "INSERT INTO users (id) VALUES ('u1');
             INSERT INTO sessions (session_token, user_id, expires) VALUES ('plain', 'u1', 1);
             CREATE TABLE sessions_v4 (x);",
        )
        .unwrap();
        assert!(migrate(&conn, &no_secrets()).is_err());
        assert_eq!(version(&conn).unwrap(), 2);
        // Step 3's rename and hashing were undone with the rest.
        let token: String = conn
            .query_row("SELECT session_token FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(token, "plain");
        assert!(conn.is_autocommit());
    }

    #[test]
    fn version_four_keeps_every_session_and_keys_the_table_by_token_hash() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        migrate_to(&conn, 3, &no_secrets()).unwrap();
        conn.execute_batch(
            "INSERT INTO users (id) VALUES ('u1'), ('u2');
             INSERT INTO sessions (session_token_hash, user_id, expires)
                 VALUES ('h1', 'u1', 10), ('h2', 'u1', 20), ('h3', 'u2', 30);",
        )
        .unwrap();
        migrate(&conn, &no_secrets()).unwrap();
        let rows: Vec<(String, String, i64)> = conn
            .prepare("SELECT session_token_hash, user_id, expires FROM sessions ORDER BY 1")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                ("h1".into(), "u1".into(), 10),
                ("h2".into(), "u1".into(), 20),
                ("h3".into(), "u2".into(), 30)
            ]
        );
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sessions'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(sql.contains("WITHOUT ROWID"), "{sql}");
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions' AND sql IS NOT NULL ORDER BY 1")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        // Version 6 dropped the expiry index again.
        assert_eq!(indexes, vec!["sessions_user_id_idx"]);
        // The cascade from users still reaches the rebuilt table.
        conn.execute("DELETE FROM users WHERE id = 'u1'", [])
            .unwrap();
        let left: i64 = conn
            .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 1);
    }
}
