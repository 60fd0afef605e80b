//! Storage-layer tests: real SQLite files in temp directories, through [`SqliteStore`].

use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::core::config::Config;
use crate::core::error::ErrorCode;
use crate::core::model::*;
use crate::core::secrets::Secrets;

fn config_in(dir: &tempfile::TempDir) -> Config {
    Config {
        filename: dir
            .path()
            .join("auth.sqlite")
            .to_string_lossy()
            .into_owned(),
        ..Config::default()
    }
}

fn user(id: &str, email: Option<&str>) -> User {
    User {
        id: id.into(),
        name: Some("Fill Murray".into()),
        email: email.map(Into::into),
        email_verified: Some(1_700_000_000_123),
        image: None,
        extra: Extras::new(),
    }
}

fn session(token: &str, user_id: &str) -> Session {
    Session {
        session_token: token.into(),
        user_id: user_id.into(),
        expires: 1_900_000_000_000,
    }
}

fn account(user_id: &str, provider_account_id: &str) -> Account {
    Account {
        user_id: user_id.into(),
        kind: "oauth".into(),
        provider: "github".into(),
        provider_account_id: provider_account_id.into(),
        access_token: Some("at".into()),
        refresh_token: None,
        expires_at: Some(2_592_000.0),
        token_type: Some("bearer".into()),
        scope: None,
        id_token: None,
        session_state: None,
        extra: Extras::new(),
    }
}

fn add_user(store: &SqliteStore, u: User) -> User {
    store.write_blocking(move |c| users::insert(c, &u)).unwrap()
}

#[test]
fn a_written_user_is_read_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let mut u = user("u1", Some("a@example.com"));
    u.extra.insert("role".into(), Value::from("admin"));
    add_user(&store, u.clone());
    assert_eq!(
        store.read(|c| users::by_id(c, "u1")).unwrap(),
        Some(u.clone())
    );
    assert_eq!(
        store.read(|c| users::by_email(c, "a@example.com")).unwrap(),
        Some(u)
    );
    assert_eq!(store.read(|c| users::by_id(c, "nobody")).unwrap(), None);
}

#[test]
fn a_duplicate_email_is_a_unique_violation_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    add_user(&store, user("u1", Some("a@example.com")));
    let dup = user("u2", Some("a@example.com"));
    let err = store
        .write_blocking(move |c| users::insert(c, &dup))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::UniqueViolation);
    assert!(err.detail.contains("user.email"), "{}", err.detail);
}

#[test]
fn users_without_email_do_not_collide() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    add_user(&store, user("u1", None));
    add_user(&store, user("u2", None));
}

#[test]
fn a_partial_update_changes_only_the_given_columns() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    add_user(&store, user("u1", Some("a@example.com")));
    let patch = UserPatch {
        id: "u1".into(),
        name: Patch::Set("New".into()),
        email: Patch::Keep,
        email_verified: Patch::Clear,
        image: Patch::Keep,
        extra: Extras::new(),
    };
    let updated = store
        .write_blocking(move |c| users::update(c, &patch))
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("New"));
    assert_eq!(updated.email.as_deref(), Some("a@example.com"));
    assert_eq!(updated.email_verified, None);
}

#[test]
fn updating_an_unknown_user_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let patch = UserPatch {
        id: "ghost".into(),
        name: Patch::Set("x".into()),
        email: Patch::Keep,
        email_verified: Patch::Keep,
        image: Patch::Keep,
        extra: Extras::new(),
    };
    let err = store
        .write_blocking(move |c| users::update(c, &patch))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn deleting_a_user_cascades_to_accounts_sessions_and_authenticators() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    add_user(&store, user("u1", Some("a@example.com")));
    store
        .write_blocking(|c| accounts::insert(c, &Secrets::default(), &account("u1", "p1")))
        .unwrap();
    store
        .write_blocking(|c| {
            sessions::insert(
                c,
                &Secrets::default(),
                &session("t1", "u1"),
                &SessionOrigin::default(),
                0,
            )
        })
        .unwrap();
    let auth = Authenticator {
        credential_id: "cred".into(),
        user_id: "u1".into(),
        provider_account_id: "p1".into(),
        credential_public_key: "key".into(),
        counter: 0,
        credential_device_type: "platform".into(),
        credential_backed_up: false,
        transports: None,
    };
    store
        .write_blocking(move |c| authenticators::insert(c, &auth))
        .unwrap();
    let deleted = store.write_blocking(|c| users::delete(c, "u1")).unwrap();
    assert_eq!(deleted.map(|u| u.id).as_deref(), Some("u1"));
    assert_eq!(
        store
            .read(|c| accounts::get(c, &Secrets::default(), "github", "p1"))
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .read(|c| sessions::with_user(c, &Secrets::default(), "t1"))
            .unwrap(),
        None
    );
    assert_eq!(
        store.read(|c| authenticators::get(c, "cred")).unwrap(),
        None
    );
}

#[test]
fn the_session_join_returns_session_and_user() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let u = add_user(&store, user("u1", Some("a@example.com")));
    store
        .write_blocking(|c| {
            sessions::insert(
                c,
                &Secrets::default(),
                &session("t1", "u1"),
                &SessionOrigin::default(),
                0,
            )
        })
        .unwrap();
    let (s, found) = store
        .read(|c| sessions::with_user(c, &Secrets::default(), "t1"))
        .unwrap()
        .unwrap();
    assert_eq!(s, session("t1", "u1"));
    assert_eq!(found, u);
}

#[test]
fn a_session_for_an_unknown_user_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let err = store
        .write_blocking(|c| {
            sessions::insert(
                c,
                &Secrets::default(),
                &session("t1", "ghost"),
                &SessionOrigin::default(),
                0,
            )
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.detail.contains("userId"));
}

#[test]
fn a_verification_token_is_taken_exactly_once_across_stores_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    let first = SqliteStore::open(&config).unwrap();
    for i in 0..20 {
        let t = VerificationToken {
            identifier: "a@example.com".into(),
            token: format!("tok{i}"),
            expires: 1,
        };
        first
            .write_blocking(move |c| tokens::insert(c, &t))
            .unwrap();
    }
    let stores: Vec<Arc<SqliteStore>> = (0..4)
        .map(|_| Arc::new(SqliteStore::open(&config).unwrap()))
        .collect();
    let handles: Vec<_> = stores
        .into_iter()
        .map(|store| {
            std::thread::spawn(move || {
                (0..20)
                    .filter(|i| {
                        let token = format!("tok{i}");
                        store
                            .write_blocking(move |c| tokens::take(c, "a@example.com", &token))
                            .unwrap()
                            .is_some()
                    })
                    .count()
            })
        })
        .collect();
    let won: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(won, 20);
}

#[test]
fn a_failing_write_does_not_undo_writes_committed_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let receivers: Vec<_> = (0..50)
        .map(|i| {
            // Every tenth user reuses an email, so its insert fails inside the shared batch.
            let email = if i % 10 == 9 {
                "dup@example.com".to_string()
            } else {
                format!("u{i}@example.com")
            };
            let u = user(&format!("u{i}"), Some(&email));
            store.write(move |c| users::insert(c, &u)).unwrap()
        })
        .collect();
    let results: Vec<_> = receivers
        .into_iter()
        .map(|rx| settle(rx.blocking_recv()))
        .collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 46, "45 unique emails plus the first dup@example.com");
    let count: i64 = store
        .read(|c| {
            Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))
                .unwrap())
        })
        .unwrap();
    assert_eq!(count, 46);
}

#[test]
fn committed_writes_survive_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    let store = SqliteStore::open(&config).unwrap();
    add_user(&store, user("u1", Some("a@example.com")));
    store.close().blocking_recv().unwrap().unwrap();
    let err = store.read(|c| users::by_id(c, "u1")).unwrap_err();
    assert_eq!(err.code, ErrorCode::Closed);
    let reopened = SqliteStore::open(&config).unwrap();
    assert!(reopened.read(|c| users::by_id(c, "u1")).unwrap().is_some());
}

#[test]
fn an_in_memory_store_reads_its_own_writes() {
    let store = SqliteStore::open(&Config {
        filename: ":memory:".into(),
        ..Config::default()
    })
    .unwrap();
    add_user(&store, user("u1", None));
    assert!(store.read(|c| users::by_id(c, "u1")).unwrap().is_some());
}

#[test]
fn a_file_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    {
        // A file of ours that a newer version migrated further.
        let store = SqliteStore::open(&config).unwrap();
        store.close().blocking_recv().unwrap().unwrap();
        let conn = rusqlite::Connection::open(&config.filename).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE future (x); PRAGMA user_version = {};",
            schema::LATEST_VERSION + 1
        ))
        .unwrap();
    }
    let before = std::fs::read(&config.filename).unwrap();
    let err = SqliteStore::open(&config).err().unwrap();
    assert_eq!(err.code, ErrorCode::SchemaTooNew);
    assert_eq!(std::fs::read(&config.filename).unwrap(), before);
}

#[test]
fn the_file_is_in_wal_mode_with_foreign_keys_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let (mode, fk): (String, i64) = store
        .read(|c| {
            Ok((
                c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                    .unwrap(),
                c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                    .unwrap(),
            ))
        })
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(fk, 1);
}

#[test]
fn an_inline_write_on_an_idle_store_commits_before_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let u = user("inline", Some("inline@example.com"));
    let done = store.write_inline(|c| users::insert(c, &u));
    assert!(
        matches!(done, Ok(Ok(_))),
        "an idle store runs the write at once"
    );
    // A separate connection sees it: the transaction has committed.
    let other = rusqlite::Connection::open(&config_in(&dir).filename).unwrap();
    let count: i64 = other
        .query_row("SELECT count(*) FROM users WHERE id = 'inline'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(count, 1);
}

#[test]
fn an_inline_write_is_handed_back_while_the_writer_thread_has_work() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let busy = store
        .write(move |_| {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            Ok(())
        })
        .unwrap();
    started_rx.recv().unwrap();
    let u = user("waits", None);
    let handed_back = store.write_inline(|c| users::insert(c, &u));
    assert!(
        handed_back.is_err(),
        "it must not wait behind queued writes"
    );
    release_tx.send(()).unwrap();
    settle(busy.blocking_recv()).unwrap();
}

/// A store with a 5 s busy timeout on a file whose write lock another connection holds (in
/// `BEGIN IMMEDIATE`), as another process would.
fn store_locked_by_another_connection(
    dir: &tempfile::TempDir,
) -> (Config, SqliteStore, rusqlite::Connection) {
    let config = Config {
        busy_timeout_ms: 5_000,
        ..config_in(dir)
    };
    let store = SqliteStore::open(&config).unwrap();
    let other = rusqlite::Connection::open(&config.filename).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    (config, store, other)
}

#[test]
fn an_inline_write_never_waits_for_another_processes_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (_, store, other) = store_locked_by_another_connection(&dir);
    let u = user("locked-out", None);
    let started = std::time::Instant::now();
    let handed_back = store.write_inline(|c| users::insert(c, &u));
    assert!(handed_back.is_err());
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1_000),
        "gave up at once instead of waiting the busy timeout"
    );
    other.execute_batch("ROLLBACK").unwrap();
    // The writer thread's own waiting is intact: a queued write still waits and succeeds.
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let queued = store
        .write(move |c| users::insert(c, &user("queued", None)))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    other.execute_batch("COMMIT").unwrap();
    assert!(settle(queued.blocking_recv()).is_ok());
}

#[test]
fn with_inline_writes_off_every_write_is_handed_to_the_writer_thread() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&Config {
        inline_writes: false,
        ..config_in(&dir)
    })
    .unwrap();
    let u = user("queued-only", None);
    assert!(store.write_inline(|c| users::insert(c, &u)).is_err());
    add_user(&store, user("queued-only", None));
    assert!(store
        .read(|c| users::by_id(c, "queued-only"))
        .unwrap()
        .is_some());
}

#[test]
fn reads_together_see_every_commit_of_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    store.reads_together(true);
    assert_eq!(store.read(|c| users::by_id(c, "u1")).unwrap(), None);
    // Committed by the writer thread while the shared snapshot is open.
    add_user(&store, user("u1", None));
    assert!(store.read(|c| users::by_id(c, "u1")).unwrap().is_some());
    // Committed inline on this thread (which ends the snapshot on its connection first).
    let renamed = store
        .write_inline(|c| {
            users::update(
                c,
                &UserPatch {
                    id: "u1".into(),
                    name: Patch::Set("renamed".into()),
                    email: Patch::Keep,
                    email_verified: Patch::Keep,
                    image: Patch::Keep,
                    extra: Extras::new(),
                },
            )
        })
        .unwrap_or_else(|_| panic!("the writer was idle"))
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("renamed"));
    let read = store.read(|c| users::by_id(c, "u1")).unwrap().unwrap();
    assert_eq!(read.name.as_deref(), Some("renamed"));
    store.reads_together(false);
    drop(store.close());
}

#[test]
fn reads_together_on_the_reader_connection_see_commits_made_meanwhile() {
    use std::sync::mpsc;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    // Keeps the writer thread busy (so reads go to the reader connection) until released.
    let hold_writer = |insert: Option<User>| {
        let (started_tx, started) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let done = store
            .write(move |c| {
                started_tx.send(()).unwrap();
                released.recv().unwrap();
                if let Some(u) = insert {
                    users::insert(c, &u)?;
                }
                Ok(())
            })
            .unwrap();
        started.recv().unwrap();
        (release, done)
    };
    store.reads_together(true);
    let (release, done) = hold_writer(Some(user("u1", None)));
    assert_eq!(store.read(|c| users::by_id(c, "u1")).unwrap(), None);
    release.send(()).unwrap();
    done.blocking_recv().unwrap().unwrap();
    let (release, done) = hold_writer(None);
    assert!(
        store.read(|c| users::by_id(c, "u1")).unwrap().is_some(),
        "a read after the commit was answered must see it"
    );
    release.send(()).unwrap();
    done.blocking_recv().unwrap().unwrap();
    store.reads_together(false);
    drop(store.close());
}

#[test]
fn the_wal_index_header_changes_with_every_commit_of_any_connection() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    let store = SqliteStore::open(&config).unwrap();
    let index = store
        .read(|c| Ok(wal_index::WalIndex::of(c)))
        .unwrap()
        .expect("a WAL-index");
    let quiet = index.header().unwrap();
    assert_eq!(index.header().unwrap(), quiet, "no commit, same header");
    add_user(&store, user("u1", None));
    let after_own = index.header().unwrap();
    assert_ne!(after_own, quiet);
    let other = rusqlite::Connection::open(&config.filename).unwrap();
    other
        .execute("UPDATE users SET name = 'x' WHERE id = 'u1'", [])
        .unwrap();
    assert_ne!(index.header().unwrap(), after_own);
    drop(store.close());
}

#[test]
fn mmap_size_reaches_the_reader_and_the_writer_and_reads_go_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        mmap_size_bytes: 64 * 1024 * 1024,
        ..config_in(&dir)
    };
    let store = SqliteStore::open(&config).unwrap();
    add_user(&store, user("u1", Some("a@example.com")));
    let mmap_size = |c: &rusqlite::Connection| -> Result<i64> {
        Ok(c.query_row("PRAGMA mmap_size", [], |r| r.get(0)).unwrap())
    };
    assert_eq!(store.read(mmap_size).unwrap(), 64 * 1024 * 1024);
    assert_eq!(store.write_blocking(mmap_size).unwrap(), 64 * 1024 * 1024);
    assert_eq!(
        store
            .read(|c| users::by_id(c, "u1"))
            .unwrap()
            .map(|u| u.email),
        Some(Some("a@example.com".into()))
    );
    let default = tempfile::tempdir().unwrap();
    let plain = SqliteStore::open(&config_in(&default)).unwrap();
    assert_eq!(plain.read(mmap_size).unwrap(), 0);
}

fn token(value: &str) -> VerificationToken {
    VerificationToken {
        identifier: "a@example.com".into(),
        token: value.into(),
        expires: 1_900_000_000_000,
    }
}

fn tokens_stored(filename: &str) -> i64 {
    rusqlite::Connection::open(filename)
        .unwrap()
        .query_row("SELECT count(*) FROM verification_tokens", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_one_statement_write_alone_is_committed_by_itself_before_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let t = token("alone");
    let done = store.write_statement_inline(|c| tokens::insert(c, &t));
    assert!(matches!(done, Ok(Ok(_))), "an idle store runs it at once");
    assert_eq!(tokens_stored(&config_in(&dir).filename), 1);
    // No transaction was left open on the writer's connection.
    assert!(matches!(
        store.write_statement_inline(|c| Ok(c.is_autocommit())),
        Ok(Ok(true))
    ));
}

#[test]
fn a_one_statement_write_that_returns_a_row_commits_and_returns_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let t = token("used-once");
    store
        .write_blocking(move |c| tokens::insert(c, &t))
        .unwrap();
    let take = |c: &rusqlite::Connection| tokens::take(c, "a@example.com", "used-once");
    let first = store.write_statement_inline(take);
    assert!(matches!(first, Ok(Ok(Some(ref t))) if t.token == "used-once"));
    assert_eq!(tokens_stored(&config_in(&dir).filename), 0);
    assert!(matches!(store.write_statement_inline(take), Ok(Ok(None))));
}

#[test]
fn a_failing_one_statement_write_reports_its_own_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let orphan = session("orphan", "no-such-user");
    let failed = store.write_statement_inline(|c| {
        sessions::insert(
            c,
            &Secrets::default(),
            &orphan,
            &SessionOrigin::default(),
            0,
        )
    });
    let Ok(Err(e)) = failed else {
        panic!("expected the statement's own error")
    };
    assert_eq!(e.code, ErrorCode::NotFound, "{}", e.detail);
    assert!(matches!(
        store.write_statement_inline(|c| Ok(c.is_autocommit())),
        Ok(Ok(true))
    ));
    let count: i64 = rusqlite::Connection::open(&config_in(&dir).filename)
        .unwrap()
        .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 0);
}

#[test]
fn a_one_statement_write_is_handed_back_unapplied_while_another_process_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store, other) = store_locked_by_another_connection(&dir);
    let t = token("locked-out");
    let started = std::time::Instant::now();
    let Err(handed_back) = store.write_statement_inline(move |c| tokens::insert(c, &t)) else {
        panic!("the write lock was taken: the write must be handed back")
    };
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1_000),
        "gave up at once instead of waiting the busy timeout"
    );
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(tokens_stored(&config.filename), 0);
    // Queued instead, it is applied exactly once, and the busy timeout is back in force.
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let queued = store.write(handed_back).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    other.execute_batch("COMMIT").unwrap();
    assert!(settle(queued.blocking_recv()).is_ok());
    assert_eq!(tokens_stored(&config.filename), 1);
}

#[test]
fn reads_together_see_a_one_statement_write_committed_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    add_user(&store, user("u1", None));
    store.reads_together(true);
    let secrets = Secrets::default();
    let lookup = |c: &rusqlite::Connection| sessions::with_user(c, &secrets, "t1");
    assert_eq!(store.read(lookup).unwrap(), None);
    let s = session("t1", "u1");
    assert!(matches!(
        store.write_statement_inline(|c| {
            sessions::insert(c, &secrets, &s, &SessionOrigin::default(), 0)
        }),
        Ok(Ok(_))
    ));
    assert!(store.read(lookup).unwrap().is_some());
    store.reads_together(false);
}

#[test]
fn opening_a_new_file_waits_while_another_process_holds_its_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        busy_timeout_ms: 5_000,
        ..config_in(&dir)
    };
    // A file still in rollback-journal mode whose write lock another process holds, as when
    // two processes open a brand-new file at once: switching it to WAL upgrades a read to a
    // write, where SQLite answers BUSY at once instead of calling the busy handler.
    let other = rusqlite::Connection::open(&config.filename).unwrap();
    other.execute_batch("BEGIN IMMEDIATE;").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        other.execute_batch("COMMIT").unwrap();
    });
    let store = SqliteStore::open(&config).expect("waits for the lock instead of failing");
    release.join().unwrap();
    add_user(&store, user("u1", None));
    let mode: String = store
        .read(|c| {
            Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap())
        })
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn another_applications_file_is_refused_by_name_without_a_byte_changed() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    {
        // Rollback-journal mode, with a `users` table of its own, as in the report.
        let conn = rusqlite::Connection::open(&config.filename).unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT); CREATE TABLE orders (x);",
        )
        .unwrap();
    }
    let before = std::fs::read(&config.filename).unwrap();
    let err = SqliteStore::open(&config).err().unwrap();
    assert_eq!(err.code, ErrorCode::NotOurDatabase, "{err}");
    assert!(err.detail.contains("orders, users"), "{err}");
    assert_eq!(std::fs::read(&config.filename).unwrap(), before);
    assert!(!std::path::Path::new(&format!("{}-wal", config.filename)).exists());
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    std::fs::write(&config.filename, b"{\"not\": \"a database\"}\n".repeat(300)).unwrap();
    let before = std::fs::read(&config.filename).unwrap();
    let err = SqliteStore::open(&config).err().unwrap();
    assert_eq!(err.code, ErrorCode::NotOurDatabase, "{err}");
    assert_eq!(std::fs::read(&config.filename).unwrap(), before);
}

#[test]
fn a_zero_byte_file_becomes_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    std::fs::write(&config.filename, b"").unwrap();
    let store = SqliteStore::open(&config).unwrap();
    add_user(&store, user("u1", None));
}

#[test]
fn a_deleted_wal_is_saved_into_the_main_file_and_later_writes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    let store = SqliteStore::open(&config).unwrap();
    add_user(&store, user("before", None));
    std::fs::remove_file(format!("{}-wal", config.filename)).unwrap();
    // Committed into the unlinked -wal, then saved from its descriptor before the answer.
    add_user(&store, user("during", None));
    let err = store
        .write_blocking(|c| users::insert(c, &user("after", None)))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::SideFileGone, "{err}");
    // The main file alone (no -wal on disk) holds both acknowledged writes.
    let other = rusqlite::Connection::open(&config.filename).unwrap();
    let ids: Vec<String> = other
        .prepare("SELECT id FROM users ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(ids, ["before", "during"]);
}

#[test]
fn a_deleted_shm_refuses_the_write_that_found_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    let store = SqliteStore::open(&config).unwrap();
    add_user(&store, user("before", None));
    std::fs::remove_file(format!("{}-shm", config.filename)).unwrap();
    let err = store
        .write_blocking(|c| users::insert(c, &user("during", None)))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::SideFileGone, "{err}");
    // Reads keep working.
    assert!(store.read(|c| users::by_id(c, "before")).unwrap().is_some());
}

#[test]
fn a_sweep_deletes_expired_sessions_chunk_by_chunk_and_keeps_the_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    add_user(&store, user("u1", Some("u1@example.com")));
    let secrets = store.secrets().clone();
    let now = 1_800_000_000_000;
    store
        .write_blocking(move |c| {
            for i in 0..20 {
                let mut s = session(&format!("token-{i}"), "u1");
                // Every other session expired a minute before `now`.
                s.expires = if i % 2 == 0 {
                    now - 60_000
                } else {
                    now + 60_000
                };
                sessions::insert(c, &secrets, &s, &SessionOrigin::default(), now - 120_000)?;
            }
            Ok(())
        })
        .unwrap();
    let (mut after, mut chunks, mut deleted) = (String::new(), 0, 0);
    loop {
        let from = std::mem::take(&mut after);
        let swept = store
            .write_blocking(move |c| sessions::delete_expired_after(c, now, &from, 3))
            .unwrap();
        chunks += 1;
        deleted += swept.deleted;
        match swept.next {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(deleted, 10);
    // 20 sessions, 3 a chunk: 7 chunks, the last one reaching the end of the table.
    assert_eq!(chunks, 7);
    let left: i64 = store
        .read(|c| {
            c.query_row(
                "SELECT count(*) FROM sessions WHERE expires > ?1",
                [now],
                |r| r.get(0),
            )
            .map_err(|e| AdapterError::from_sqlite(e, "test"))
        })
        .unwrap();
    assert_eq!(left, 10);
}

#[test]
fn a_new_file_has_no_expiry_indexes_to_maintain_on_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let indexes: Vec<String> = store
        .read(|c| {
            c.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .map_err(|e| AdapterError::from_sqlite(e, "test"))
        })
        .unwrap();
    assert_eq!(
        indexes,
        [
            "accounts_user_id_idx",
            "authenticators_user_id_idx",
            "sessions_user_id_idx"
        ]
    );
}

#[test]
fn the_read_connection_keeps_a_small_page_cache_and_the_writer_the_configured_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&config_in(&dir)).unwrap();
    let cache = |c: &rusqlite::Connection| -> i64 {
        c.query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap()
    };
    let reader = cache(lock(&store.reader).as_ref().unwrap());
    let writer = store.write_blocking(move |c| Ok(cache(c))).unwrap();
    // Negative: KiB.
    assert_eq!(writer, -16384);
    assert_eq!(reader, -2048);
}

/// Pages of `filename` itself (not its WAL): what checkpoints have copied back so far.
fn main_file_pages(filename: &str) -> u64 {
    std::fs::metadata(filename).unwrap().len() / 4096
}

/// Writes `count` users of about 3 KB each in one transaction: about one WAL page each.
fn write_large_users(store: &SqliteStore, prefix: &str, count: usize) {
    let prefix = prefix.to_owned();
    store
        .write_blocking(move |c| {
            for i in 0..count {
                let mut u = user(&format!("{prefix}{i}"), None);
                u.name = Some("x".repeat(3000));
                users::insert(c, &u)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_commit_below_the_checkpoint_threshold_leaves_its_pages_in_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    let store = SqliteStore::open(&config).unwrap();
    // Past SQLite's default of 1,000 pages, below the adapter's 4,000.
    write_large_users(&store, "u", 1500);
    assert!(main_file_pages(&config.filename) < 100);
    assert!(store.read(|c| users::by_id(c, "u1499")).unwrap().is_some());
}

#[test]
fn a_commit_past_the_checkpoint_threshold_copies_the_wal_back_before_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    let store = SqliteStore::open(&config).unwrap();
    write_large_users(&store, "u", 4500);
    assert!(main_file_pages(&config.filename) >= 4000);
    // And the WAL starts again from its beginning at the next write.
    write_large_users(&store, "v", 100);
    let log: i64 = store
        .read(|c| {
            c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
                .map_err(|e| AdapterError::from_sqlite(e, "test"))
        })
        .unwrap();
    assert!(
        log < 1000,
        "the WAL holds the last write's pages only ({log})"
    );
}

#[test]
fn close_folds_a_large_wal_back_and_truncates_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    let store = SqliteStore::open(&config).unwrap();
    write_large_users(&store, "u", 1500);
    store.close().blocking_recv().unwrap().unwrap();
    let wal = std::fs::metadata(format!("{}-wal", config.filename)).map_or(0, |m| m.len());
    assert_eq!(
        wal, 0,
        "close() truncates the WAL after its last checkpoint"
    );
    let reopened = SqliteStore::open(&config).unwrap();
    assert!(reopened
        .read(|c| users::by_id(c, "u1499"))
        .unwrap()
        .is_some());
}
