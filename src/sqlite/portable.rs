//! Rows as stored, for the command line (see `crate::core::portable`): pages in key order,
//! writes of whole batches in one transaction, statistics, integrity checks and re-sealing.

use rusqlite::types::Value as Sql;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

use super::SqliteStore;
use crate::core::error::{AdapterError, Result};
use crate::core::model::Millis;
use crate::core::portable::{
    compare_key_values, fill_defaults, real, Cell, Imported, Kind, Packed, Rows, Table, TABLES,
};
use crate::core::store::{Answer, Arrival, Maintenance};

/// WAL pages between automatic checkpoints while an import writes into an empty file (64 MiB
/// of 4 KiB pages).
const BULK_CHECKPOINT_PAGES: u32 = 16384;

fn sqlite(e: rusqlite::Error) -> AdapterError {
    AdapterError::from_sqlite(e, "maintenance")
}

fn columns(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn bind(v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}

fn read_row(table: &Table, r: &rusqlite::Row) -> rusqlite::Result<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Text | Kind::Extras => r.get::<_, Option<String>>(i)?.map(Value::String),
                Kind::Int => r.get::<_, Option<i64>>(i)?.map(Value::from),
                Kind::Real => r.get::<_, Option<f64>>(i)?.map(real),
                Kind::Bool => r.get::<_, Option<i64>>(i)?.map(|b| Value::Bool(b != 0)),
            }
            .unwrap_or(Value::Null))
        })
        .collect()
}

fn export_page(
    conn: &Connection,
    table: &Table,
    after: &[Value],
    limit: u32,
) -> Result<Vec<Vec<Value>>> {
    let key = table.key.join(", ");
    let place = vec!["?"; table.key.len()].join(", ");
    let filter = if after.is_empty() {
        String::new()
    } else {
        format!("WHERE ({key}) > ({place})")
    };
    let sql = format!(
        "SELECT {} FROM {} {filter} ORDER BY {key} LIMIT {limit}",
        columns(table),
        table.name
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(sqlite)?;
    let rows = stmt
        .query_map(params_from_iter(after.iter().map(bind)), |r| {
            read_row(table, r)
        })
        .map_err(sqlite)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sqlite)?;
    Ok(rows)
}

fn user_exists(conn: &Connection, id: &Value) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM users WHERE id = ?")
        .and_then(|mut s| s.query_row([bind(id)], |_| Ok(())).optional())
        .map(|found| found.is_some())
        .map_err(sqlite)
}

/// Sorts a batch in the order it is inserted: in order, the rows reach each page of a b-tree
/// once, in turn, instead of at random (keys such as UUIDs and token hashes are random): a
/// user's rows by user (their index on `user_id` and the foreign key's lookups both follow it),
/// the others by key.
fn in_insert_order(table: &Table, rows: &mut [Vec<Value>]) {
    let key = insert_key(table);
    rows.sort_by(|a, b| {
        key.iter()
            .map(|&i| compare_key_values(&a[i], &b[i]))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}

/// The columns whose values order a batch for writing (see [`in_insert_order`]).
fn insert_key(table: &Table) -> Vec<usize> {
    match table.of_user {
        true => vec![table.index("user_id")],
        false => table.key.iter().map(|k| table.index(k)).collect(),
    }
}

/// [`ready`] of rows as they come: each packed at once (its values freed while they are
/// still in the cache, on the thread that allocated them), the page then sorted as
/// [`in_insert_order`] sorts values.
fn ready_as_they_come(
    table: &Table,
    rows: &mut dyn Iterator<Item = Result<Vec<Value>>>,
) -> Result<Rows> {
    let width = table.columns.len();
    let mut packed = Packed::with_capacity(width, rows.size_hint().0, 0);
    for row in &mut *rows {
        let mut row = row?;
        fill_defaults(table, &mut row);
        if packed.push(&row).is_none() {
            // Past what a page can pack: the page stays values.
            let mut values = Rows::Packed(packed).into_values();
            values.push(row);
            for row in rows {
                values.push(row?);
            }
            return Ok(ready(table, values));
        }
    }
    Ok(Rows::Packed(packed.sorted_by(&insert_key(table))))
}

/// Rows of `table` as the writer writes them best: defaults filled, in insert order, packed
/// (see [`Packed`]; as values still in the rare page whose text passes 4 GiB).
fn ready(table: &Table, mut rows: Vec<Vec<Value>>) -> Rows {
    for row in rows.iter_mut() {
        fill_defaults(table, row);
    }
    in_insert_order(table, &mut rows);
    match Packed::of(&rows, table.columns.len()) {
        Some(packed) => Rows::Packed(packed),
        None => Rows::Values(rows),
    }
}

fn import_rows(conn: &Connection, table: &Table, rows: Rows, merge: bool) -> Result<Imported> {
    let done = insert_rows(conn, table, &rows, merge)?;
    free_elsewhere(rows);
    Ok(done)
}

/// A page's values were allocated on the thread that converted them: freed on the writer
/// thread, they would cost it (the import's bottleneck) about a tenth of its time in the
/// allocator, contending for the other thread's arena. Another thread frees them. (A packed
/// page is three allocations: freed here.)
fn free_elsewhere(rows: Rows) {
    match rows {
        Rows::Values(rows) if rows.len() >= 1000 => {
            let _ = std::thread::Builder::new()
                .name("authjs-import-free".into())
                .spawn(move || drop(rows));
        }
        Rows::Values(_) | Rows::Packed(_) => {}
    }
}

/// One row of [`Rows`], for [`PageInsert::insert`].
#[derive(Clone, Copy)]
enum RowRef<'a> {
    Values(&'a [Value]),
    Packed(&'a Packed, usize),
}

impl<'a> RowRef<'a> {
    fn of(rows: &'a Rows, i: usize) -> Self {
        match rows {
            Rows::Values(v) => RowRef::Values(&v[i]),
            Rows::Packed(p) => RowRef::Packed(p, i),
        }
    }
}

/// A statement that writes the rows of one page, binding their text where it lies (SQLite's
/// `SQLITE_STATIC`) instead of copying each value first, as rusqlite binds (`SQLITE_TRANSIENT`:
/// a copy of every text value of the page, a tenth of the writer's time). Sound because a
/// row's values outlive [`PageInsert::insert`] (they are borrowed for it), and the statement
/// lets go of them before it returns (reset, bindings cleared).
struct PageInsert<'c> {
    db: *mut rusqlite::ffi::sqlite3,
    stmt: *mut rusqlite::ffi::sqlite3_stmt,
    /// The connection the statement belongs to, borrowed while it lives.
    _conn: std::marker::PhantomData<&'c Connection>,
}

impl<'c> PageInsert<'c> {
    fn new(conn: &'c Connection, sql: &str) -> rusqlite::Result<Self> {
        use rusqlite::ffi;
        let text = std::ffi::CString::new(sql).map_err(rusqlite::Error::NulError)?;
        // SAFETY: the handle is the open connection's, used on this thread only while `conn`
        // is borrowed; `stmt` is finalized in `drop`, before the borrow ends.
        let db = unsafe { conn.handle() };
        let mut stmt = std::ptr::null_mut();
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db,
                text.as_ptr(),
                -1,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(failure(db, rc));
        }
        Ok(PageInsert {
            db,
            stmt,
            _conn: std::marker::PhantomData,
        })
    }

    /// Binds `row` and steps once; answers the rows changed (0: `ON CONFLICT DO NOTHING` kept
    /// it out). Errors are rusqlite's, with SQLite's code and message, as `execute` gives them.
    fn insert(&mut self, row: RowRef<'_>) -> rusqlite::Result<usize> {
        use rusqlite::ffi;
        let given = match row {
            RowRef::Values(values) => values.len(),
            RowRef::Packed(page, r) => page.row(r).len(),
        };
        // SAFETY: the statement is ours.
        let wanted = unsafe { ffi::sqlite3_bind_parameter_count(self.stmt) } as usize;
        if given != wanted {
            // Every parameter is bound for each row: none keeps the previous row's value.
            return Err(rusqlite::Error::InvalidParameterCount(given, wanted));
        }
        let mut rc = ffi::SQLITE_OK;
        match row {
            RowRef::Values(values) => {
                for (i, v) in values.iter().enumerate() {
                    let at = i as std::ffi::c_int + 1;
                    // SAFETY: `v` is borrowed for this call; see `bind_text`.
                    rc = unsafe {
                        match v {
                            Value::Null => ffi::sqlite3_bind_null(self.stmt, at),
                            Value::Bool(b) => ffi::sqlite3_bind_int64(self.stmt, at, i64::from(*b)),
                            Value::Number(n) => match n.as_i64() {
                                Some(x) => ffi::sqlite3_bind_int64(self.stmt, at, x),
                                None => ffi::sqlite3_bind_double(
                                    self.stmt,
                                    at,
                                    n.as_f64().unwrap_or(0.0),
                                ),
                            },
                            Value::String(s) => self.bind_text(at, s, ffi::SQLITE_STATIC()),
                            other => {
                                self.bind_text(at, &other.to_string(), ffi::SQLITE_TRANSIENT())
                            }
                        }
                    };
                    if rc != ffi::SQLITE_OK {
                        break;
                    }
                }
            }
            RowRef::Packed(page, r) => {
                for (i, cell) in page.row(r).iter().enumerate() {
                    let at = i as std::ffi::c_int + 1;
                    // SAFETY: `page` is borrowed for this call; see `bind_text`.
                    rc = unsafe {
                        match *cell {
                            Cell::Null => ffi::sqlite3_bind_null(self.stmt, at),
                            Cell::Int(x) => ffi::sqlite3_bind_int64(self.stmt, at, x),
                            Cell::Real(x) => ffi::sqlite3_bind_double(self.stmt, at, x),
                            Cell::Bool(b) => ffi::sqlite3_bind_int64(self.stmt, at, i64::from(b)),
                            Cell::Text { .. } => {
                                self.bind_text(at, page.text(cell), ffi::SQLITE_STATIC())
                            }
                        }
                    };
                    if rc != ffi::SQLITE_OK {
                        break;
                    }
                }
            }
        }
        if rc != ffi::SQLITE_OK {
            // SAFETY: the statement is ours; clearing drops any pointer bound so far.
            unsafe { ffi::sqlite3_clear_bindings(self.stmt) };
            return Err(failure(self.db, rc));
        }
        // SAFETY: as rusqlite's `execute`: step, then reset (which answers the step's error
        // again, its message kept on the connection); then the bindings, which point into
        // `row`, are cleared before `row`'s borrow ends.
        unsafe {
            let stepped = ffi::sqlite3_step(self.stmt);
            let reset = ffi::sqlite3_reset(self.stmt);
            let answer = match stepped {
                ffi::SQLITE_DONE if reset == ffi::SQLITE_OK => {
                    Ok(ffi::sqlite3_changes64(self.db) as usize)
                }
                ffi::SQLITE_DONE => Err(failure(self.db, reset)),
                ffi::SQLITE_ROW => Err(rusqlite::Error::ExecuteReturnedResults),
                code => Err(failure(self.db, code)),
            };
            ffi::sqlite3_clear_bindings(self.stmt);
            answer
        }
    }

    /// Binds text at parameter `at`; with `SQLITE_STATIC` SQLite reads `text` where it lies
    /// until the next reset and clear, so the caller keeps it alive until then.
    unsafe fn bind_text(
        &self,
        at: std::ffi::c_int,
        text: &str,
        how: rusqlite::ffi::sqlite3_destructor_type,
    ) -> std::ffi::c_int {
        use rusqlite::ffi;
        unsafe {
            ffi::sqlite3_bind_text64(
                self.stmt,
                at,
                text.as_ptr().cast(),
                text.len() as ffi::sqlite3_uint64,
                how,
                ffi::SQLITE_UTF8 as std::ffi::c_uchar,
            )
        }
    }
}

impl Drop for PageInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: prepared in `new` on this connection, finalized once.
        unsafe { rusqlite::ffi::sqlite3_finalize(self.stmt) };
    }
}

/// SQLite's error `code` as rusqlite reports it: the connection's message when it is about
/// that code, the code's own text otherwise.
fn failure(db: *mut rusqlite::ffi::sqlite3, code: std::ffi::c_int) -> rusqlite::Error {
    use rusqlite::ffi;
    let text = |p: *const std::ffi::c_char| {
        // SAFETY: SQLite's messages are NUL-terminated strings it keeps alive until the next
        // call on the connection; copied at once.
        (!p.is_null()).then(|| {
            unsafe { std::ffi::CStr::from_ptr(p) }
                .to_string_lossy()
                .into_owned()
        })
    };
    // SAFETY: `db` is an open connection used on this thread.
    let message = unsafe {
        if ffi::sqlite3_errcode(db) == code {
            text(ffi::sqlite3_errmsg(db))
        } else {
            text(ffi::sqlite3_errstr(code))
        }
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), message)
}

fn insert_rows(conn: &Connection, table: &Table, rows: &Rows, merge: bool) -> Result<Imported> {
    let place = vec!["?"; table.columns.len()].join(", ");
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({place}){}",
        table.name,
        columns(table),
        if merge { " ON CONFLICT DO NOTHING" } else { "" }
    );
    let mut done = Imported::default();
    let user_at = table.of_user.then(|| table.index("user_id"));
    let mut stmt = PageInsert::new(conn, &sql).map_err(sqlite)?;
    for i in 0..rows.len() {
        // The foreign key refuses a row whose user is missing; only then is it looked up, to
        // say so (or, with merge, to keep the row out).
        match stmt.insert(RowRef::of(rows, i)) {
            Ok(0) => done.conflicts.push(table.already_there(&rows.values(i))),
            Ok(_) => done.inserted += 1,
            Err(e) if is_foreign_key(&e) && user_at.is_some() => {
                let at = user_at.expect("checked");
                let row = rows.values(i);
                if user_exists(conn, &row[at])? {
                    return Err(sqlite(e));
                }
                let why = table.user_missing(&row);
                if merge {
                    done.conflicts.push(why);
                    continue;
                }
                return Err(AdapterError::not_found(why));
            }
            Err(e) if is_unique(&e) => {
                return Err(table.held_twice(&rows.values(i), e.to_string().contains("users.email")))
            }
            Err(e) => return Err(sqlite(e)),
        }
    }
    Ok(done)
}

/// The temporary table (the writer connection's own, gone with it) where an import into an
/// empty file holds `table`'s rows back until [`flush_staged`]; `None` for a table written
/// as its rows come.
fn stage_of(table: &Table) -> Option<&'static str> {
    (table.name == "sessions").then_some("temp.import_staged_sessions")
}

/// Holds rows of `table` back in its stage, in one transaction: appended, with no key to
/// keep in order and nothing to check yet.
fn stage_rows(conn: &Connection, table: &Table, stage: &str, rows: &Rows) -> Result<Imported> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {stage} AS SELECT {} FROM main.{} WHERE 0",
        columns(table),
        table.name
    ))
    .map_err(sqlite)?;
    let place = vec!["?"; table.columns.len()].join(", ");
    let sql = format!("INSERT INTO {stage} ({}) VALUES ({place})", columns(table));
    let mut stmt = PageInsert::new(conn, &sql).map_err(sqlite)?;
    for i in 0..rows.len() {
        stmt.insert(RowRef::of(rows, i)).map_err(sqlite)?;
    }
    Ok(Imported {
        inserted: rows.len() as u64,
        conflicts: Vec::new(),
    })
}

/// Writes the rows held in `table`'s stage in key order (SQLite sorts them, in bounded
/// memory): each page of the table's b-tree is filled once, at its end, where rows in no
/// order land all over it (at 1,000,000 sessions, 6.4 s instead of 13-24 s). A row the table
/// refuses fails the whole statement; it is then found and named as `import_rows` names it.
fn flush_staged(conn: &Connection, table: &Table, stage: &str) -> Result<()> {
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM temp.sqlite_master WHERE name = ?)",
            [stage.trim_start_matches("temp.")],
            |r| r.get(0),
        )
        .map_err(sqlite)?;
    if !exists {
        return Ok(());
    }
    let list = columns(table);
    let key = table.key.join(", ");
    let written = conn.execute_batch(&format!(
        "INSERT INTO main.{} ({list}) SELECT {list} FROM {stage} ORDER BY {key}",
        table.name
    ));
    if let Err(e) = written {
        return Err(refused_staged_row(conn, table, stage, e));
    }
    conn.execute_batch(&format!("DROP TABLE {stage}"))
        .map_err(sqlite)
}

/// The error of a staged write `e`, naming the row the table refused.
fn refused_staged_row(
    conn: &Connection,
    table: &Table,
    stage: &str,
    e: rusqlite::Error,
) -> AdapterError {
    let list = columns(table);
    let first = |sql: String| -> Result<Option<Vec<Value>>> {
        conn.query_row(&sql, [], |r| read_row(table, r))
            .optional()
            .map_err(sqlite)
    };
    if is_foreign_key(&e) && table.of_user {
        let orphan = first(format!(
            "SELECT {list} FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM main.users u WHERE u.id = s.user_id) LIMIT 1"
        ));
        if let Ok(Some(row)) = orphan {
            return AdapterError::not_found(table.user_missing(&row));
        }
    }
    if is_unique(&e) {
        let key = table.key.join(", ");
        let twice = first(format!(
            "SELECT {list} FROM {stage} WHERE ({key}) IN (SELECT {key} FROM {stage} GROUP BY {key} HAVING count(*) > 1) LIMIT 1"
        ));
        if let Ok(Some(row)) = twice {
            return table.held_twice(&row, false);
        }
    }
    sqlite(e)
}

fn is_foreign_key(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

fn is_unique(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

fn count(conn: &Connection, sql: &str, params: &[Sql]) -> Result<i64> {
    conn.query_row(sql, params_from_iter(params.iter()), |r| r.get(0))
        .map_err(sqlite)
}

fn stats(conn: &Connection, now: Millis) -> Result<Value> {
    let mut rows = Map::new();
    for t in &TABLES {
        rows.insert(
            t.name.into(),
            count(conn, &format!("SELECT count(*) FROM {}", t.name), &[])?.into(),
        );
    }
    let live_sessions = count(
        conn,
        "SELECT count(*) FROM sessions WHERE expires > ?",
        &[Sql::Integer(now)],
    )?;
    let live_tokens = count(
        conn,
        "SELECT count(*) FROM verification_tokens WHERE expires > ?",
        &[Sql::Integer(now)],
    )?;
    let mut providers = Map::new();
    let mut stmt = conn
        .prepare("SELECT provider, count(*) FROM accounts GROUP BY provider ORDER BY provider")
        .map_err(sqlite)?;
    let found = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(sqlite)?;
    for pair in found {
        let (p, n) = pair.map_err(sqlite)?;
        providers.insert(p, n.into());
    }
    let size = count(
        conn,
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        &[],
    )?;
    Ok(json!({
        "backend": "sqlite",
        "schemaVersion": super::schema::version(conn)?,
        "latestSchemaVersion": super::schema::LATEST_VERSION,
        "sizeBytes": size,
        "rows": rows,
        "sessions": { "live": live_sessions, "expired": rows["sessions"].as_i64().unwrap_or(0) - live_sessions },
        "verificationTokens": { "live": live_tokens, "expired": rows["verification_tokens"].as_i64().unwrap_or(0) - live_tokens },
        "accountsByProvider": providers,
    }))
}

fn check(conn: &Connection) -> Result<Value> {
    let strings = |sql: &str| -> Result<Vec<String>> {
        let mut stmt = conn.prepare(sql).map_err(sqlite)?;
        let out = stmt
            .query_map([], |r| {
                let n = r.as_ref().column_count();
                let mut parts = Vec::with_capacity(n);
                for i in 0..n {
                    parts.push(match r.get::<_, Sql>(i)? {
                        Sql::Null => "null".to_string(),
                        Sql::Integer(i) => i.to_string(),
                        Sql::Real(x) => x.to_string(),
                        Sql::Text(t) => t,
                        Sql::Blob(_) => "blob".to_string(),
                    });
                }
                Ok(parts.join(" "))
            })
            .map_err(sqlite)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sqlite)?;
        Ok(out)
    };
    let integrity: Vec<String> = strings("PRAGMA integrity_check")?
        .into_iter()
        .filter(|line| line != "ok")
        .collect();
    let foreign_keys: Vec<String> = strings("PRAGMA foreign_key_check")?
        .into_iter()
        .map(|line| format!("foreign key: {line}"))
        .collect();
    let version = super::schema::version(conn)?;
    let latest = super::schema::LATEST_VERSION;
    let mut problems = integrity;
    problems.extend(foreign_keys);
    if version != latest {
        problems.push(format!(
            "schema version {version}, this library writes version {latest}"
        ));
    }
    Ok(json!({
        "backend": "sqlite",
        "ok": problems.is_empty(),
        "schemaVersion": version,
        "latestSchemaVersion": latest,
        "checks": ["integrity_check", "foreign_key_check", "schema version"],
        "problems": problems,
    }))
}

fn reseal(conn: &Connection, secrets: &crate::core::secrets::Secrets) -> Result<u64> {
    let mut changed = 0;
    let mut after: Option<(String, String)> = None;
    loop {
        let page: Vec<(String, String, [Option<String>; 3])> = {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT provider, provider_account_id, access_token, refresh_token, id_token
                     FROM accounts WHERE (provider, provider_account_id) > (?, ?)
                     ORDER BY provider, provider_account_id LIMIT 500",
                )
                .map_err(sqlite)?;
            let (p, id) = after.clone().unwrap_or_default();
            let rows = stmt
                .query_map([p, id], |r| {
                    Ok((r.get(0)?, r.get(1)?, [r.get(2)?, r.get(3)?, r.get(4)?]))
                })
                .map_err(sqlite)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(sqlite)?;
            rows
        };
        let Some(last) = page.last() else {
            return Ok(changed);
        };
        after = Some((last.0.clone(), last.1.clone()));
        for (provider, id, tokens) in page {
            if let Some([a, r, i]) = secrets.reseal_account_tokens(&provider, &id, tokens)? {
                conn.prepare_cached(
                    "UPDATE accounts SET access_token = ?, refresh_token = ?, id_token = ?
                     WHERE provider = ? AND provider_account_id = ?",
                )
                .and_then(|mut s| s.execute(rusqlite::params![a, r, i, provider, id]))
                .map_err(sqlite)?;
                changed += 1;
            }
        }
    }
}

impl Maintenance for SqliteStore {
    fn export_page(
        &self,
        table: &'static Table,
        after: Vec<Value>,
        limit: u32,
    ) -> Answer<Vec<Vec<Value>>> {
        self.read_now(|conn| export_page(conn, table, &after, limit))
    }

    fn import_rows(&self, table: &'static Table, rows: Rows, merge: bool) -> Answer<Imported> {
        // Readied on the calling thread: the writer's time is the import's bottleneck.
        let rows = match rows {
            Rows::Values(values) => ready(table, values),
            packed => packed,
        };
        self.write_answer(Arrival::Together, move |conn| {
            import_rows(conn, table, rows, merge)
        })
    }

    fn stage_rows(&self, table: &'static Table, rows: Rows) -> Answer<Imported> {
        let Some(stage) = stage_of(table) else {
            return self.import_rows(table, rows, false);
        };
        let rows = match rows {
            Rows::Values(values) => ready(table, values),
            packed => packed,
        };
        self.write_answer(Arrival::Together, move |conn| {
            let done = stage_rows(conn, table, stage, &rows)?;
            free_elsewhere(rows);
            Ok(done)
        })
    }

    fn flush_staged(&self, table: &'static Table) -> Answer<()> {
        let Some(stage) = stage_of(table) else {
            return Answer::Now(Ok(()));
        };
        self.write_answer(Arrival::Together, move |conn| {
            flush_staged(conn, table, stage)
        })
    }

    fn ready_rows(
        &self,
        table: &'static Table,
        rows: &mut dyn Iterator<Item = Result<Vec<Value>>>,
    ) -> Result<Rows> {
        ready_as_they_come(table, rows)
    }

    fn stats(&self, now: Millis) -> Answer<Value> {
        self.read_now(|conn| stats(conn, now))
    }

    fn check(&self) -> Answer<Value> {
        self.read_now(check)
    }

    fn reseal(&self) -> Answer<u64> {
        if !self.secrets.encrypts() {
            return Answer::Now(Err(crate::core::portable::no_key_to_rotate_to()));
        }
        let secrets = self.secrets.clone();
        self.write_answer(Arrival::Together, move |conn| reseal(conn, &secrets))
    }

    fn secrets(&self) -> &crate::core::secrets::Secrets {
        &self.secrets
    }

    fn begin_bulk_import(&self) -> Answer<bool> {
        self.write_answer(Arrival::Together, |conn| {
            for t in &TABLES {
                let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", t.name);
                if count(conn, &sql, &[])? != 0 {
                    return Ok(false);
                }
            }
            // A checkpoint after each page's commit copied the pages it wrote back into the
            // file; every 64 MiB of WAL instead, a page written by several commits is copied
            // once (a tenth less CPU time at 1,000,000 users). Connection state, not the
            // file's: `end_bulk_import` (or the process's end) puts it back.
            super::connection::checkpoint_every(conn, BULK_CHECKPOINT_PAGES).map_err(sqlite)?;
            // Into empty tables, each row then writes fewer b-trees, and each index is built
            // once at the end from its sorted keys (at 1,000,000 users, a quarter less time
            // than keeping them up to date row by row; docs/performance.md).
            for (name, _) in super::schema::USER_ID_INDEXES {
                conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))
                    .map_err(sqlite)?;
            }
            Ok(true)
        })
    }

    fn end_bulk_import(&self) -> Answer<()> {
        self.write_answer(Arrival::Together, |conn| {
            super::connection::checkpoint_every(conn, super::connection::WAL_CHECKPOINT_PAGES)
                .map_err(sqlite)?;
            // Rows held back by a failed import are dropped with their stage.
            for t in &TABLES {
                if let Some(stage) = stage_of(t) {
                    conn.execute_batch(&format!("DROP TABLE IF EXISTS {stage}"))
                        .map_err(sqlite)?;
                }
            }
            super::schema::ensure_user_id_indexes(conn).map_err(sqlite)
        })
    }

    fn clear(&self) -> Answer<()> {
        self.write_answer(Arrival::Together, |conn| {
            conn.execute_batch(
                "DELETE FROM authenticators; DELETE FROM sessions; DELETE FROM accounts;
                 DELETE FROM verification_tokens; DELETE FROM users;",
            )
            .map_err(sqlite)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::secrets::Secrets;
    use serde_json::json;

    fn target() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        super::super::schema::migrate(&conn, &Secrets::new(None, &[]).unwrap()).unwrap();
        conn
    }

    fn users(ids: &[&str]) -> Vec<Vec<Value>> {
        ids.iter()
            .map(|id| {
                vec![
                    json!(id),
                    json!(format!("User {id}")),
                    json!(format!("{id}@example.com")),
                    json!(1_700_000_000_000i64),
                    Value::Null,
                    json!("{\"role\":\"admin\"}"),
                ]
            })
            .collect()
    }

    fn stored(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
        let t = table("users").unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt
            .query_map([], |r| read_row(t, r))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        rows
    }

    use crate::core::portable::table;

    #[test]
    fn packed_and_value_rows_are_written_alike() {
        let t = table("users").unwrap();
        let rows = users(&["u2", "u1", "ü3"]);
        let (a, b) = (target(), target());
        let sql = "SELECT id, name, email, email_verified, image, extra FROM users ORDER BY id";
        insert_rows(&a, t, &Rows::Values(rows.clone()), false).unwrap();
        insert_rows(&b, t, &ready(t, rows.clone()), false).unwrap();
        assert!(matches!(ready(t, rows.clone()), Rows::Packed(_)));
        assert_eq!(stored(&a, sql), stored(&b, sql));
        let mut expected = rows;
        expected.sort_by(|x, y| compare_key_values(&x[0], &y[0]));
        assert_eq!(stored(&b, sql), expected);
    }

    #[test]
    fn a_packed_row_refused_is_named_as_before() {
        let t = table("users").unwrap();
        let conn = target();
        insert_rows(&conn, t, &ready(t, users(&["u1"])), false).unwrap();
        // The same email under another id: the message names the row and the email.
        let mut twice = users(&["u9"]);
        twice[0][2] = json!("u1@example.com");
        let e = insert_rows(&conn, t, &ready(t, twice), false).unwrap_err();
        assert_eq!(
            e.detail,
            "users id \"u9\": email \"u1@example.com\" belongs to another user (the source holds it twice, or the target already does)"
        );
        // With merge, kept out and reported; the others written.
        let done = insert_rows(&conn, t, &ready(t, users(&["u1", "u2"])), true).unwrap();
        assert_eq!(done.inserted, 1);
        assert_eq!(
            done.conflicts,
            vec!["users id \"u1\": already in the target (the same key or email)"]
        );
        // A session whose user is missing.
        let s = table("sessions").unwrap();
        let session = vec![vec![
            json!("h1"),
            json!("nobody"),
            json!(5),
            json!("p1"),
            json!(1),
            json!(1),
            Value::Null,
            Value::Null,
        ]];
        let e = insert_rows(&conn, s, &ready(s, session), false).unwrap_err();
        assert_eq!(
            e.detail,
            "sessions session_token_hash \"h1\": its user \"nobody\" is not in the target"
        );
        // A row of another width is refused, not written with nulls.
        let short = Rows::Values(vec![vec![json!("u7")]]);
        assert!(insert_rows(&conn, t, &short, false).is_err());
        // A failed row leaves no binding behind: the statement writes the next rows as given.
        let done = insert_rows(&conn, t, &ready(t, users(&["u3"])), false).unwrap();
        assert_eq!(done.inserted, 1);
    }
}
