//! The command line's native calls (`authjs-rust-adapter stats|check|export|import|rotate-key`):
//! rows as stored, moved as JSON text (see `crate::core::portable`). Results are JSON text
//! the face parses; they are not on any request's hot path.

use napi::bindgen_prelude::Unknown;
use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use super::{respond, Handle};
use crate::core::error::{AdapterError, Result};
use crate::core::store::{now_millis, Answer, Maintenance};
use crate::core::{peer, portable};

fn maintenance(store: &Handle) -> Result<&dyn Maintenance> {
    store.store.get()?.maintenance().ok_or_else(|| {
        AdapterError::invalid(
            "config",
            "names a local-first replica: run the command line on its hub (url) instead",
        )
    })
}

fn answer<'e, T: Send + 'static>(
    env: &'e Env,
    store: &Handle,
    op: impl FnOnce(&dyn Maintenance) -> Result<Answer<T>>,
    shape: impl FnOnce(T) -> String + Send + 'static,
) -> napi::Result<Unknown<'e>> {
    let answer = match maintenance(store).and_then(op) {
        Ok(a) => a,
        Err(e) => Answer::Now(Err(e)),
    };
    respond(env, answer, shape)
}

/// Up to `limit` stored rows of `table` after the key `after` (a JSON array, or `null` from
/// the start): one JSON object text per row.
#[napi(catch_unwind, ts_return_type = "string[] | Promise<string[]>")]
pub fn export_rows<'e>(
    env: &'e Env,
    store: &Handle,
    table: String,
    after: Option<String>,
    limit: u32,
) -> napi::Result<Unknown<'e>> {
    let t = portable::table(&table)?;
    let after: Vec<Value> = match after {
        None => Vec::new(),
        Some(text) => serde_json::from_str(&text)
            .map_err(|_| AdapterError::invalid("after", "must be a JSON array of key values"))?,
    };
    let answer = match maintenance(store) {
        Ok(m) => m.export_page(t, after, limit.max(1)),
        Err(e) => Answer::Now(Err(e)),
    };
    respond(env, answer, move |rows: Vec<Vec<Value>>| {
        rows.into_iter()
            .map(|r| t.object_of(r).to_string())
            .collect::<Vec<String>>()
    })
}

/// Writes stored rows of `table` (one JSON object text each) in one transaction; answers
/// `{"inserted": n, "conflicts": [...]}` as JSON text.
#[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
pub fn import_rows<'e>(
    env: &'e Env,
    store: &Handle,
    table: String,
    rows: Vec<String>,
    merge: bool,
) -> napi::Result<Unknown<'e>> {
    let t = portable::table(&table)?;
    let values = rows
        .iter()
        .map(|text| {
            let row: Value = serde_json::from_str(text)
                .map_err(|e| AdapterError::invalid(t.name, format!("row is not JSON: {e}")))?;
            if let Some(model) = row.get("model") {
                if model != t.name {
                    return Err(AdapterError::invalid(
                        format!("{}.model", t.name),
                        format!("is {model}, not {:?}", t.name),
                    ));
                }
            }
            t.values_of(&row)
        })
        .collect::<Result<Vec<_>>>()?;
    answer(
        env,
        store,
        |m| Ok(m.import_rows(t, portable::Rows::Values(values), merge)),
        |done| {
            serde_json::json!({ "inserted": done.inserted, "conflicts": done.conflicts })
                .to_string()
        },
    )
}

/// Rows per table, sessions live and expired, accounts per provider, size and schema
/// version, as JSON text.
#[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
pub fn store_stats<'e>(env: &'e Env, store: &Handle) -> napi::Result<Unknown<'e>> {
    answer(env, store, |m| Ok(m.stats(now_millis())), |v| v.to_string())
}

/// Integrity checks and the schema version, as JSON text with `ok` and `problems`.
#[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
pub fn store_check<'e>(env: &'e Env, store: &Handle) -> napi::Result<Unknown<'e>> {
    answer(env, store, |m| Ok(m.check()), |v| v.to_string())
}

/// Re-seals every account's OAuth tokens under the newest `encryptionKey`; answers how many
/// accounts changed (as text).
#[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
pub fn rotate_key<'e>(env: &'e Env, store: &Handle) -> napi::Result<Unknown<'e>> {
    answer(env, store, |m| Ok(m.reseal()), |n| n.to_string())
}

/// Deletes every row (undoes a failed import into a store that was empty).
#[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
pub fn clear_rows<'e>(env: &'e Env, store: &Handle) -> napi::Result<Unknown<'e>> {
    answer(env, store, |m| Ok(m.clear()), |()| String::new())
}

/// Before an import into a store that holds no rows: drops what is faster built once at the
/// end (SQLite: the indexes on `user_id`); answers `true` when it did, as text. An interrupted
/// import's file gets them back when it is next opened.
#[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
pub fn begin_bulk_import<'e>(env: &'e Env, store: &Handle) -> napi::Result<Unknown<'e>> {
    answer(env, store, |m| Ok(m.begin_bulk_import()), |b| b.to_string())
}

/// Builds back what `beginBulkImport` dropped (after a failed import too).
#[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
pub fn end_bulk_import<'e>(env: &'e Env, store: &Handle) -> napi::Result<Unknown<'e>> {
    answer(env, store, |m| Ok(m.end_bulk_import()), |()| String::new())
}

/// Checks stored rows of `table` (one JSON object text each) without writing them (`import
/// --dry-run`); answers how many there were.
#[napi(catch_unwind)]
pub fn check_rows(table: String, rows: Vec<String>) -> napi::Result<u32> {
    let t = portable::table(&table)?;
    for text in &rows {
        let row: Value = serde_json::from_str(text)
            .map_err(|e| AdapterError::invalid(t.name, format!("row is not JSON: {e}")))?;
        t.values_of(&row)?;
    }
    Ok(rows.len() as u32)
}

/// Another application's SQLite file, opened read-only for `import --from <peer>`: its tables'
/// columns, and rows of a query as JSON text (integers, reals, text; blobs as base64).
#[napi]
pub struct SqliteSource {
    conn: std::sync::Mutex<rusqlite::Connection>,
}

fn source_error(e: rusqlite::Error, file: &str) -> napi::Error {
    AdapterError::new(
        crate::core::error::ErrorCode::DbUnavailable,
        format!("{file}: cannot read it as an SQLite database: {e}"),
    )
    .into()
}

#[napi]
impl SqliteSource {
    /// Opens `filename` read-only; a missing or unreadable file is an error naming it.
    #[napi(constructor, catch_unwind)]
    pub fn new(filename: String) -> napi::Result<Self> {
        use rusqlite::OpenFlags;
        if !std::path::Path::new(&filename).is_file() {
            return Err(AdapterError::new(
                crate::core::error::ErrorCode::DbUnavailable,
                format!("{filename}: no such file"),
            )
            .into());
        }
        let conn = rusqlite::Connection::open_with_flags(
            &filename,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| source_error(e, &filename))?;
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
            .map_err(|e| source_error(e, &filename))?;
        // Pages of the peer's tables are read whole; a larger cache than the default 2 MiB
        // keeps the interior pages of its b-trees.
        conn.execute_batch("PRAGMA cache_size = -65536")
            .map_err(|e| source_error(e, &filename))?;
        Ok(SqliteSource {
            conn: std::sync::Mutex::new(conn),
        })
    }

    /// `{ table: [{ name, type, notNull }] }` for every table, as JSON text.
    #[napi(catch_unwind)]
    pub fn tables(&self) -> napi::Result<String> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let run = || -> rusqlite::Result<Value> {
            let mut out = serde_json::Map::new();
            let names: Vec<String> = conn
                .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for name in names {
                let cols: Vec<Value> = conn
                    .prepare("SELECT name, type, \"notnull\" FROM pragma_table_info(?)")?
                    .query_map([&name], |r| {
                        Ok(serde_json::json!({
                            "name": r.get::<_, String>(0)?,
                            "type": r.get::<_, String>(1)?,
                            "notNull": r.get::<_, i64>(2)? != 0,
                        }))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                out.insert(name, Value::Array(cols));
            }
            Ok(Value::Object(out))
        };
        run()
            .map(|v| v.to_string())
            .map_err(|e| source_error(e, "source"))
    }

    /// Up to `limit` rows of the plan's table after `after` (the previous page's `after`, or
    /// `null` from the start), in rowid order (key order for a table without rowids), read
    /// without crossing into JavaScript; `first` counts the table's rows before them.
    #[napi(catch_unwind)]
    pub fn peer_page(
        &self,
        plan: &PeerPlan,
        after: Option<String>,
        limit: u32,
        first: u32,
    ) -> napi::Result<PeerPage> {
        let p = &plan.plan;
        let after: Vec<Value> = match after {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text).map_err(|_| {
                AdapterError::invalid("after", "must be a JSON array of key values")
            })?,
        };
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let list = p
            .columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ");
        let table = quote(&p.source_table);
        let limit = limit.max(1);
        // A table with rowids is read in rowid order: its pages one after the other, where the
        // key order would seek each row through an index. (WITHOUT ROWID tables have none:
        // preparing the query fails, and they are read in key order, their storage order.)
        let by_rowid = format!(
            "SELECT _rowid_, {list} FROM {table} WHERE _rowid_ > ? ORDER BY _rowid_ LIMIT {limit}"
        );
        if let Ok(mut stmt) = conn.prepare_cached(&by_rowid) {
            let from = match after.as_slice() {
                [] => i64::MIN,
                [Value::Number(n)] if n.is_i64() => n.as_i64().unwrap_or(i64::MIN),
                _ => return Err(AdapterError::invalid("after", "must be [rowid]").into()),
            };
            let n = p.columns.len();
            let mut last = None;
            let rows = stmt
                .query_map([from], |r| {
                    last = Some(r.get::<_, i64>(0)?);
                    (1..=n).map(|i| r.get_ref(i).map(source_value)).collect()
                })
                .map_err(|e| source_error(e, "source"))?
                .collect::<rusqlite::Result<Vec<Vec<Value>>>>()
                .map_err(|e| source_error(e, "source"))?;
            let mut page = PeerPage::new(p, rows, first);
            page.after = last.map(|id| format!("[{id}]"));
            return Ok(page);
        }
        let keys = p
            .key
            .iter()
            .map(|k| quote(k))
            .collect::<Vec<_>>()
            .join(", ");
        let filter = if after.is_empty() {
            String::new()
        } else {
            format!("WHERE ({keys}) > ({})", vec!["?"; after.len()].join(", "))
        };
        let sql = format!("SELECT {list} FROM {table} {filter} ORDER BY {keys} LIMIT {limit}");
        let mut stmt = conn
            .prepare_cached(&sql)
            .map_err(|e| source_error(e, "source"))?;
        let n = p.columns.len();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(after.iter().map(bound)), |r| {
                (0..n).map(|i| r.get_ref(i).map(source_value)).collect()
            })
            .map_err(|e| source_error(e, "source"))?
            .collect::<rusqlite::Result<Vec<Vec<Value>>>>()
            .map_err(|e| source_error(e, "source"))?;
        Ok(PeerPage::new(p, rows, first))
    }

    /// The rows of `sql` with `params` (a JSON array), each a JSON array text of its values.
    #[napi(catch_unwind)]
    pub fn rows(&self, sql: String, params: String) -> napi::Result<Vec<String>> {
        let params: Vec<Value> = serde_json::from_str(&params)
            .map_err(|_| AdapterError::invalid("params", "must be a JSON array"))?;
        let bound: Vec<rusqlite::types::Value> = params.iter().map(bound).collect();
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut stmt = conn
            .prepare_cached(&sql)
            .map_err(|e| source_error(e, "source"))?;
        let n = stmt.column_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(bound.iter()), |r| {
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    out.push(source_value(r.get_ref(i)?));
                }
                Ok(Value::Array(out).to_string())
            })
            .map_err(|e| source_error(e, "source"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| source_error(e, "source"))?;
        Ok(rows)
    }
}

/// How one model is read from a peer's table and stored here (see `crate::core::peer::Plan`),
/// from its JSON description `{ model, table, key, fields, extras }`.
#[napi]
pub struct PeerPlan {
    plan: std::sync::Arc<peer::Plan>,
}

#[napi]
impl PeerPlan {
    /// Reads the plan; a malformed one is `INVALID_INPUT` naming what it lacks.
    #[napi(constructor, catch_unwind)]
    pub fn new(plan: String) -> napi::Result<Self> {
        Ok(PeerPlan {
            plan: std::sync::Arc::new(peer::Plan::parse(&plan)?),
        })
    }

    /// The source columns a row holds, in order (a PostgreSQL source reads them in this order).
    #[napi(getter)]
    pub fn columns(&self) -> Vec<String> {
        self.plan.columns.clone()
    }
}

/// A page of a peer's rows as the source gave them, not yet converted: converted and written
/// by `importPeerPage`, so no row crosses into JavaScript on the way from an SQLite source.
#[napi]
pub struct PeerPage {
    rows: std::sync::Mutex<Vec<Vec<Value>>>,
    /// The rows as stored, once `convertPeerPage` converted them (ahead of `importPeerPage`),
    /// readied for the store's writer (`Maintenance::ready_rows`).
    stored: std::sync::Mutex<Option<portable::Rows>>,
    count: u32,
    /// Rows of the same table before this page (messages number rows from 1).
    first: u32,
    after: Option<String>,
}

impl PeerPage {
    fn new(plan: &peer::Plan, rows: Vec<Vec<Value>>, first: u32) -> Self {
        let after = rows
            .last()
            .map(|row| Value::Array(plan.key_of(row)).to_string());
        PeerPage {
            count: rows.len() as u32,
            rows: std::sync::Mutex::new(rows),
            stored: std::sync::Mutex::new(None),
            first,
            after,
        }
    }
}

#[napi]
impl PeerPage {
    /// Rows in the page.
    #[napi(getter)]
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The last row's key values as a JSON array (the next page starts after them).
    #[napi(getter)]
    pub fn after(&self) -> Option<String> {
        self.after.clone()
    }
}

/// A page of a peer's rows read by JavaScript (a PostgreSQL source): `rows` is a JSON array of
/// arrays, each row's values in `plan.columns` order (dates as their ISO text).
#[napi(catch_unwind)]
pub fn peer_page_of(plan: &PeerPlan, rows: String, first: u32) -> napi::Result<PeerPage> {
    let rows: Vec<Vec<Value>> = serde_json::from_str(&rows).map_err(|e| {
        AdapterError::invalid(
            &plan.plan.source_table,
            format!("rows must be a JSON array of arrays: {e}"),
        )
    })?;
    Ok(PeerPage::new(&plan.plan, rows, first))
}

/// Converts a page's rows to rows as stored (each field checked as the adapter's own methods
/// check it, session tokens hashed and OAuth tokens sealed with the store's secrets), readied
/// by the store as they come (`Maintenance::ready_rows`).
fn convert_rows(m: &dyn Maintenance, plan: &peer::Plan, page: &PeerPage) -> Result<portable::Rows> {
    let rows = std::mem::take(&mut *page.rows.lock().unwrap_or_else(|p| p.into_inner()));
    let now = now_millis();
    let secrets = m.secrets();
    let mut converted = rows.into_iter().enumerate().map(|(i, row)| {
        plan.convert_owned(row, u64::from(page.first) + i as u64 + 1, secrets, now)
    });
    m.ready_rows(plan.target, &mut converted)
}

/// Converts a page of a peer's rows now, ahead of its `importPeerPage`: the import converts
/// the next page while the writer thread (or the server) writes this one. A conversion error
/// names the row, as `importPeerPage`'s would.
#[napi(catch_unwind)]
pub fn convert_peer_page(store: &Handle, plan: &PeerPlan, page: &PeerPage) -> napi::Result<()> {
    let m = maintenance(store)?;
    // Readied (sorted, packed) now too: `importPeerPage` then hands the writer thread rows
    // ready to write.
    let stored = convert_rows(m, &plan.plan, page)?;
    *page.stored.lock().unwrap_or_else(|p| p.into_inner()) = Some(stored);
    Ok(())
}

/// Converts a page of a peer's rows to rows as stored (unless `convertPeerPage` already did)
/// and writes them in one transaction (`Maintenance::import_rows`); `dryRun` only converts.
/// `staged` (without `merge`, into a store `beginBulkImport` readied) lets the store hold them
/// back until `flushStagedPeerRows`.
/// Answers `{"inserted": n, "conflicts": [...]}` as JSON text, rows named as the source names
/// them. A page is written once: it is empty afterwards.
#[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
pub fn import_peer_page<'e>(
    env: &'e Env,
    store: &Handle,
    plan: &PeerPlan,
    page: &PeerPage,
    merge: bool,
    dry_run: bool,
    staged: Option<bool>,
) -> napi::Result<Unknown<'e>> {
    let plan = plan.plan.clone();
    let m = maintenance(store)?;
    let converted = page.stored.lock().unwrap_or_else(|p| p.into_inner()).take();
    let stored = match converted {
        Some(rows) => rows,
        None => convert_rows(m, &plan, page)?,
    };
    let shape = |p: std::sync::Arc<peer::Plan>| {
        move |done: portable::Imported| {
            let conflicts: Vec<String> = done
                .conflicts
                .iter()
                .map(|c| p.in_source_terms(c))
                .collect();
            serde_json::json!({ "inserted": done.inserted, "conflicts": conflicts }).to_string()
        }
    };
    if dry_run {
        let done = portable::Imported {
            inserted: stored.len() as u64,
            conflicts: Vec::new(),
        };
        return respond(env, Answer::Now(Ok(done)), shape(plan));
    }
    let renamed = plan.clone();
    let written = if staged == Some(true) && !merge {
        m.stage_rows(plan.target, stored)
    } else {
        m.import_rows(plan.target, stored, merge)
    };
    let answer = in_source_terms(written, move |e| {
        AdapterError::new(e.code, renamed.in_source_terms(&e.detail))
    });
    respond(env, answer, shape(plan))
}

/// Writes the rows of the plan's table that `importPeerPage` held back (`staged`), in one
/// transaction; an error names the row as the source names it.
#[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
pub fn flush_staged_peer_rows<'e>(
    env: &'e Env,
    store: &Handle,
    plan: &PeerPlan,
) -> napi::Result<Unknown<'e>> {
    let plan = plan.plan.clone();
    let m = maintenance(store)?;
    let renamed = plan.clone();
    let answer = in_source_terms(m.flush_staged(plan.target), move |e| {
        AdapterError::new(e.code, renamed.in_source_terms(&e.detail))
    });
    respond(env, answer, |()| String::new())
}

/// `answer` with its error mapped by `f`, now or when it comes.
fn in_source_terms<T: Send + 'static>(
    answer: Answer<T>,
    f: impl FnOnce(AdapterError) -> AdapterError + Send + 'static,
) -> Answer<T> {
    match answer {
        Answer::Now(done) => Answer::Now(done.map_err(f)),
        Answer::Later(start) => Answer::Later(Box::new(move |reply| {
            start(Box::new(move |done| reply(done.map_err(f))))
        })),
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A source value as JSON: integers, reals, text; blobs as base64.
fn source_value(v: rusqlite::types::ValueRef) -> Value {
    use base64::Engine;
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(x) => serde_json::Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into()),
        ValueRef::Blob(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

fn bound(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(Sql::Integer)
            .unwrap_or_else(|| Sql::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}
