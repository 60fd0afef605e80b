//! The command line's native calls (`authjs-rust-adapter stats|check|export|import|rotate-key`):
//! rows as stored, moved as JSON text (see `crate::core::portable`). Results are JSON text
//! the face parses; they are not on any request's hot path.

use napi::bindgen_prelude::Unknown;
use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use super::{respond, Handle};
use crate::core::error::{AdapterError, Result};
use crate::core::portable;
use crate::core::store::{now_millis, Answer, Maintenance};

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
        |m| Ok(m.import_rows(t, values, merge)),
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

    /// The rows of `sql` with `params` (a JSON array), each a JSON array text of its values.
    #[napi(catch_unwind)]
    pub fn rows(&self, sql: String, params: String) -> napi::Result<Vec<String>> {
        use base64::Engine;
        use rusqlite::types::{Value as Sql, ValueRef};
        let params: Vec<Value> = serde_json::from_str(&params)
            .map_err(|_| AdapterError::invalid("params", "must be a JSON array"))?;
        let bound: Vec<Sql> = params
            .iter()
            .map(|v| match v {
                Value::Null => Sql::Null,
                Value::Bool(b) => Sql::Integer(i64::from(*b)),
                Value::Number(n) => n
                    .as_i64()
                    .map(Sql::Integer)
                    .unwrap_or_else(|| Sql::Real(n.as_f64().unwrap_or(0.0))),
                Value::String(s) => Sql::Text(s.clone()),
                other => Sql::Text(other.to_string()),
            })
            .collect();
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut stmt = conn
            .prepare_cached(&sql)
            .map_err(|e| source_error(e, "source"))?;
        let n = stmt.column_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(bound.iter()), |r| {
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    out.push(match r.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(i) => Value::from(i),
                        ValueRef::Real(x) => serde_json::Number::from_f64(x)
                            .map(Value::Number)
                            .unwrap_or(Value::Null),
                        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into()),
                        ValueRef::Blob(b) => {
                            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
                        }
                    });
                }
                Ok(Value::Array(out).to_string())
            })
            .map_err(|e| source_error(e, "source"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| source_error(e, "source"))?;
        Ok(rows)
    }
}
