//! Rows of another Auth.js adapter's tables (`@auth/prisma-adapter`, drizzle, kysely,
//! typeorm, pg) as this adapter stores them, for the command line's `import --from <peer>`.
//!
//! A [`Plan`] says which source table holds a model, which of its columns hold each Auth.js
//! field, and its extra columns with their declared types. [`Plan::convert`] turns one source
//! row (its values as the source gave them: JSON numbers, strings, booleans, `null`) into a
//! stored row of [`crate::core::portable`], with the checks the adapter's own methods make
//! (`createUser`, `linkAccount`, `createSession`, ...), each error naming the row and the
//! field: session tokens hashed with the configured secret as `createSession` hashes them
//! (the same cookie keeps working), OAuth tokens sealed when a key is configured, extra
//! columns stored as extra properties with the type their column declares, and dates in any
//! form the peers store (a `Date`'s ISO text, SQL text, integer seconds or milliseconds).
//! The stored rows then go through the backends' batch import (`Maintenance::import_rows`).

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value};

use crate::core::dates;
use crate::core::error::{AdapterError, Result};
use crate::core::extras;
use crate::core::fields::{js_field_of_column, MAX_STRING_BYTES};
use crate::core::model::{Account, Extras, Millis};
use crate::core::portable::{self, Table};
use crate::core::secrets::{public_id, Secrets};

/// Deepest nesting accepted inside an extra property (as `createUser` accepts).
const MAX_EXTRA_DEPTH: usize = 32;

/// The Auth.js models a peer's tables hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    User,
    Account,
    Session,
    VerificationToken,
    Authenticator,
}

impl Model {
    fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "user" => Model::User,
            "account" => Model::Account,
            "session" => Model::Session,
            "verificationToken" => Model::VerificationToken,
            "authenticator" => Model::Authenticator,
            other => {
                return Err(AdapterError::invalid(
                    "plan.model",
                    format!("must be user, account, session, verificationToken or authenticator (got {other:?})"),
                ))
            }
        })
    }

    /// The entity name the adapter's own errors use (`user.email`).
    fn entity(self) -> &'static str {
        match self {
            Model::User => "user",
            Model::Account => "account",
            Model::Session => "session",
            Model::VerificationToken => "verificationToken",
            Model::Authenticator => "authenticator",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Model::User => "users",
            Model::Account => "accounts",
            Model::Session => "sessions",
            Model::VerificationToken => "verification_tokens",
            Model::Authenticator => "authenticators",
        }
    }

    /// The Auth.js fields of the model, as the peers name them.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Model::User => &["id", "name", "email", "emailVerified", "image"],
            Model::Account => &[
                "userId",
                "type",
                "provider",
                "providerAccountId",
                "refresh_token",
                "access_token",
                "expires_at",
                "token_type",
                "scope",
                "id_token",
                "session_state",
            ],
            Model::Session => &["sessionToken", "userId", "expires"],
            Model::VerificationToken => &["identifier", "token", "expires"],
            Model::Authenticator => &[
                "credentialID",
                "userId",
                "providerAccountId",
                "credentialPublicKey",
                "counter",
                "credentialDeviceType",
                "credentialBackedUp",
                "transports",
            ],
        }
    }
}

/// An extra column: where it is in a source row, its name, and how its declared type reads.
#[derive(Debug, Clone)]
struct Extra {
    at: usize,
    name: String,
    kind: ExtraKind,
}

/// How an extra column's declared type (SQLite) or data type (PostgreSQL) types its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExtraKind {
    Bool,
    Date,
    BigInt,
    Numeric,
    Json,
    AsIs,
}

impl ExtraKind {
    fn of(declared: &str) -> Self {
        let t = declared.to_ascii_lowercase();
        if t.contains("bool") {
            ExtraKind::Bool
        } else if t.contains("date") || t.contains("time") {
            ExtraKind::Date
        } else if t == "bigint" || t == "int8" {
            ExtraKind::BigInt
        } else if t.starts_with("numeric") || t.starts_with("decimal") {
            ExtraKind::Numeric
        } else if t.contains("json") {
            ExtraKind::Json
        } else {
            ExtraKind::AsIs
        }
    }
}

/// How one model is read from a peer's table and stored here.
#[derive(Debug, Clone)]
pub struct Plan {
    model: Model,
    /// The stored table the rows go to.
    pub target: &'static Table,
    /// The source table.
    pub source_table: String,
    /// The source columns read, in the order a source row holds them.
    pub columns: Vec<String>,
    /// The source's key columns (rows are read in this order; pages resume after a key).
    pub key: Vec<String>,
    /// Where each key column is in a source row.
    pub key_at: Vec<usize>,
    /// Where each of the model's fields is in a source row, in [`Model::fields`] order.
    field_at: Vec<usize>,
    /// The source column of each of the model's fields, in [`Model::fields`] order.
    field_column: Vec<String>,
    /// Each field as errors name it (`user.email`), in [`Model::fields`] order.
    field_name: Vec<String>,
    /// Whether a field's value may be moved out of the source row: its column holds no other
    /// field and no key (the key names the row in errors).
    movable: Vec<bool>,
    extras: Vec<Extra>,
}

fn plan_error(what: impl std::fmt::Display) -> AdapterError {
    AdapterError::invalid("plan", what)
}

impl Plan {
    /// Reads a plan: `{ model, table, key: [column], fields: { field: column }, extras:
    /// [{ name, type }] }`. The columns read are the fields' columns, then the extras.
    pub fn parse(text: &str) -> Result<Self> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| plan_error(format!("is not JSON: {e}")))?;
        let string = |key: &str| -> Result<String> {
            v.get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| plan_error(format!("needs {key} (a string)")))
        };
        let model = Model::parse(&string("model")?)?;
        let source_table = string("table")?;
        let fields_map = v
            .get("fields")
            .and_then(Value::as_object)
            .ok_or_else(|| plan_error("needs fields (an object)"))?;
        let mut columns: Vec<String> = Vec::new();
        let mut field_at = Vec::new();
        let mut field_column = Vec::new();
        for field in model.fields() {
            let column = fields_map
                .get(*field)
                .and_then(Value::as_str)
                .ok_or_else(|| plan_error(format!("names no column for {field}")))?;
            let at = match columns.iter().position(|c| c == column) {
                Some(at) => at,
                None => {
                    columns.push(column.to_string());
                    columns.len() - 1
                }
            };
            field_at.push(at);
            field_column.push(column.to_string());
        }
        let mut extras = Vec::new();
        for e in v
            .get("extras")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let (Some(name), Some(declared)) = (
                e.get("name").and_then(Value::as_str),
                e.get("type").and_then(Value::as_str),
            ) else {
                return Err(plan_error("extras must be [{ name, type }]"));
            };
            if columns.iter().any(|c| c == name) {
                return Err(plan_error(format!("names {name:?} twice")));
            }
            columns.push(name.to_string());
            extras.push(Extra {
                at: columns.len() - 1,
                name: name.to_string(),
                kind: ExtraKind::of(declared),
            });
        }
        let key: Vec<String> = v
            .get("key")
            .and_then(Value::as_array)
            .and_then(|k| {
                k.iter()
                    .map(|c| c.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            })
            .filter(|k| !k.is_empty())
            .ok_or_else(|| plan_error("needs key (an array of column names)"))?;
        let key_at = key
            .iter()
            .map(|k| {
                columns
                    .iter()
                    .position(|c| c == k)
                    .ok_or_else(|| plan_error(format!("key column {k:?} is not read")))
            })
            .collect::<Result<Vec<_>>>()?;
        let movable = field_at
            .iter()
            .map(|at| field_at.iter().filter(|a| *a == at).count() == 1 && !key_at.contains(at))
            .collect();
        let field_name = model
            .fields()
            .iter()
            .map(|f| format!("{}.{f}", model.entity()))
            .collect();
        Ok(Plan {
            model,
            target: portable::table(model.table())?,
            source_table,
            columns,
            key,
            key_at,
            field_at,
            field_column,
            field_name,
            movable,
            extras,
        })
    }

    /// A source row's key values (to resume a page after it).
    pub fn key_of(&self, row: &[Value]) -> Vec<Value> {
        self.key_at.iter().map(|&i| row[i].clone()).collect()
    }

    /// A source row as messages name it: the source table and key (`user id "u2"`); a plain
    /// session token is cut to its first characters (a whole one would sign in).
    pub fn describe(&self, row: &[Value]) -> String {
        let parts: Vec<String> = self
            .key
            .iter()
            .zip(&self.key_at)
            .map(|(k, &i)| {
                let shown = match (&row[i], self.model) {
                    (Value::String(s), Model::Session) if s.chars().count() > 8 => {
                        format!("\"{}…\"", s.chars().take(6).collect::<String>())
                    }
                    (v, _) => v.to_string(),
                };
                format!("{k} {shown}")
            })
            .collect();
        format!("{} {}", self.source_table, parts.join(", "))
    }

    /// Converts one source row (`number` counts from 1 within the table) to a stored row of
    /// [`Plan::target`], in its column order; the error names the row and the field.
    pub fn convert(
        &self,
        row: &[Value],
        number: u64,
        secrets: &Secrets,
        now: Millis,
    ) -> Result<Vec<Value>> {
        self.convert_owned(row.to_vec(), number, secrets, now)
    }

    /// [`Plan::convert`] of a row it may take values from (no copy of each string).
    pub fn convert_owned(
        &self,
        mut row: Vec<Value>,
        number: u64,
        secrets: &Secrets,
        now: Millis,
    ) -> Result<Vec<Value>> {
        if row.len() != self.columns.len() {
            return Err(plan_error(format!(
                "{} row {number} has {} values for {} columns",
                self.source_table,
                row.len(),
                self.columns.len()
            )));
        }
        self.stored(&mut row, secrets, now).map_err(|e| {
            AdapterError::new(
                e.code,
                format!("{} (row {number}): {}", self.describe(&row), e.detail),
            )
        })
    }

    /// Field `i`'s value: moved out of the row when nothing else reads it, else copied.
    fn field(&self, row: &mut [Value], i: usize) -> Value {
        let at = self.field_at[i];
        if self.movable[i] {
            std::mem::take(&mut row[at])
        } else {
            row[at].clone()
        }
    }

    fn stored(&self, row: &mut [Value], secrets: &Secrets, now: Millis) -> Result<Vec<Value>> {
        let mut f = |i: usize| self.field(row, i);
        let n = |i: usize| self.field_name[i].as_str();
        Ok(match self.model {
            Model::User => vec![
                Value::String(id_string(f(0), n(0))?),
                opt_string(f(1), n(1))?,
                opt_string(f(2), n(2))?,
                opt_date(&f(3), n(3))?.map_or(Value::Null, Value::from),
                opt_string(f(4), n(4))?,
                self.extras(row, "user")?,
            ],
            Model::Account => {
                // Peers keep null columns out of the object they hand `linkAccount`.
                let text = |v: Value, name: &str| -> Result<Option<String>> {
                    Ok(match opt_string(v, name)? {
                        Value::String(s) => Some(s),
                        _ => None,
                    })
                };
                let account = Account {
                    user_id: id_string(f(0), n(0))?,
                    kind: req_string(f(1), n(1))?,
                    provider: req_string(f(2), n(2))?,
                    provider_account_id: req_string(f(3), n(3))?,
                    refresh_token: text(f(4), n(4))?,
                    access_token: text(f(5), n(5))?,
                    expires_at: expires_at(&f(6), n(6))?,
                    token_type: text(f(7), n(7))?,
                    scope: text(f(8), n(8))?,
                    id_token: text(f(9), n(9))?,
                    session_state: text(f(10), n(10))?,
                    extra: Extras::new(),
                };
                let extra = self.extras(row, "account")?;
                let [access, refresh, id] = secrets.seal_account_tokens(&account)?;
                let opt = |s: Option<String>| s.map_or(Value::Null, Value::String);
                vec![
                    Value::String(account.provider),
                    Value::String(account.provider_account_id),
                    Value::String(account.user_id),
                    Value::String(account.kind),
                    opt(access),
                    opt(refresh),
                    account.expires_at.map_or(Value::Null, portable::real),
                    opt(account.token_type),
                    opt(account.scope),
                    opt(id),
                    opt(account.session_state),
                    extra,
                ]
            }
            Model::Session => {
                let token = req_string(f(0), n(0))?;
                vec![
                    Value::String(secrets.session_token_hash(&token)),
                    Value::String(id_string(f(1), n(1))?),
                    Value::from(req_date(&f(2), n(2))?),
                    Value::String(public_id()),
                    Value::from(now),
                    Value::from(now),
                    Value::Null,
                    Value::Null,
                ]
            }
            Model::VerificationToken => vec![
                Value::String(req_string(f(0), n(0))?),
                Value::String(req_string(f(1), n(1))?),
                Value::from(req_date(&f(2), n(2))?),
            ],
            Model::Authenticator => vec![
                Value::String(req_string(f(0), n(0))?),
                Value::String(id_string(f(1), n(1))?),
                Value::String(req_string(f(2), n(2))?),
                Value::String(req_string(f(3), n(3))?),
                Value::from(counter(&f(4), n(4))?),
                Value::String(req_string(f(5), n(5))?),
                Value::Bool(truthy(&f(6), n(6))?),
                opt_string(f(7), n(7))?,
            ],
        })
    }

    /// The extra columns as stored extra properties (`null` when there are none).
    fn extras(&self, row: &[Value], entity: &str) -> Result<Value> {
        if self.extras.is_empty() {
            return Ok(Value::Null);
        }
        let mut out = Extras::new();
        for e in &self.extras {
            let path = format!("{entity}.{}", e.name);
            if e.name == "__proto__" {
                return Err(AdapterError::invalid(
                    path,
                    "is not allowed as a property name",
                ));
            }
            out.insert(e.name.clone(), typed(&row[e.at], e.kind, &path)?);
        }
        Ok(extras::to_column(&out, entity)?.map_or(Value::Null, Value::String))
    }

    /// An error of the batch import (whose messages name stored rows: `users id "u2": ...`)
    /// as the source names the row (`user id "u2": ...`); other messages are kept.
    pub fn in_source_terms(&self, detail: &str) -> String {
        self.rename(detail).unwrap_or_else(|| detail.to_string())
    }

    fn rename(&self, detail: &str) -> Option<String> {
        let mut rest = detail
            .strip_prefix(self.target.name)
            .and_then(|r| r.strip_prefix(' '))?;
        let mut out = self.source_table.clone();
        for (i, k) in self.target.key.iter().enumerate() {
            if i > 0 {
                rest = rest.strip_prefix(", ")?;
                out.push(',');
            }
            rest = rest.strip_prefix(k)?.strip_prefix(' ')?;
            let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
            let value = values.next()?.ok()?;
            rest = &rest[values.byte_offset()..];
            let field = js_field_of_column(k);
            let column = self
                .model
                .fields()
                .iter()
                .position(|f| *f == field)
                .map_or(field, |i| self.field_column[i].as_str());
            if *k == "session_token_hash" {
                out.push_str(&format!(" {column} hash {value}"));
            } else {
                out.push_str(&format!(" {column} {value}"));
            }
        }
        Some(out + rest)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn checked(s: String, field: &str) -> Result<String> {
    if s.len() > MAX_STRING_BYTES {
        return Err(AdapterError::invalid(
            field,
            format!(
                "is {} bytes long; at most {MAX_STRING_BYTES} bytes are stored",
                s.len()
            ),
        ));
    }
    Ok(s)
}

/// A string that must be there and not empty (as `linkAccount`'s `provider`).
fn req_string(v: Value, field: &str) -> Result<String> {
    match v {
        Value::String(s) if s.is_empty() => Err(AdapterError::invalid(field, "must not be empty")),
        Value::String(s) => checked(s, field),
        Value::Null => Err(AdapterError::invalid(field, "is required")),
        other => Err(AdapterError::invalid(
            field,
            format!("must be a string (got {})", type_name(&other)),
        )),
    }
}

/// A string or `null` (as `createUser`'s `name`).
fn opt_string(v: Value, field: &str) -> Result<Value> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::String(s) => checked(s, field).map(Value::String),
        other => Err(AdapterError::invalid(
            field,
            format!("must be a string or null (got {})", type_name(&other)),
        )),
    }
}

/// An id: peers on PostgreSQL may key users by integers (`SERIAL`), kept as their decimal
/// text, as `String(id)` would write it.
fn id_string(v: Value, field: &str) -> Result<String> {
    match v {
        Value::Number(n) => Ok(n.to_string()),
        other => req_string(other, field),
    }
}

/// A number as the source gave it, or numeric text (PostgreSQL's `int8` and `numeric` arrive
/// as text).
fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

fn expires_at(v: &Value, field: &str) -> Result<Option<f64>> {
    if v.is_null() {
        return Ok(None);
    }
    match number_of(v) {
        Some(n) if n.is_finite() => Ok(Some(n)),
        _ => Err(AdapterError::invalid(
            field,
            format!(
                "must be a finite number of seconds since the epoch (got {})",
                short(v)
            ),
        )),
    }
}

fn counter(v: &Value, field: &str) -> Result<i64> {
    match number_of(v) {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Ok(n as i64),
        _ if v.is_null() => Err(AdapterError::invalid(field, "is required")),
        _ => Err(AdapterError::invalid(
            field,
            format!("must be a non-negative integer (got {})", short(v)),
        )),
    }
}

/// A boolean in any form the peers store it (`true`, `1`, `'1'`, `'t'`, `'true'`).
fn truthy(v: &Value, field: &str) -> Result<bool> {
    match v {
        Value::Null => Err(AdapterError::invalid(field, "is required")),
        Value::Bool(b) => Ok(*b),
        other => Ok(is_true(other)),
    }
}

fn is_true(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() == Some(1.0),
        Value::String(s) => matches!(s.as_str(), "1" | "t" | "true"),
        _ => false,
    }
}

/// A value for a message: JSON, cut short.
fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

fn req_date(v: &Value, field: &str) -> Result<Millis> {
    opt_date(v, field)?.ok_or_else(|| {
        AdapterError::invalid(
            field,
            "is required (a date as text, integer seconds or milliseconds)",
        )
    })
}

fn opt_date(v: &Value, field: &str) -> Result<Option<Millis>> {
    if v.is_null() {
        return Ok(None);
    }
    peer_date(v, field).map(Some)
}

/// A stored date in any form a peer writes: integer (or numeric text) seconds until the year
/// 5138 and milliseconds beyond, ISO-8601 text (a `Date`'s JSON), SQL text (`2024-01-02
/// 03:04:05.006`, read as UTC when it names no zone) or a bare date.
pub fn peer_date(v: &Value, field: &str) -> Result<Millis> {
    let fail = || {
        AdapterError::invalid(
            field,
            format!("is {} (not a date in any form the peers store)", short(v)),
        )
    };
    if let Some(n) =
        number_of(v).filter(|_| v.is_number() || v.as_str().is_some_and(|s| is_decimal(s.trim())))
    {
        let ms = if n.abs() < 1e11 { n * 1000.0 } else { n };
        return dates::from_millis(ms, field);
    }
    let Value::String(text) = v else {
        return Err(fail());
    };
    let ms = parse_text_date(text.trim()).ok_or_else(fail)?;
    dates::from_millis(ms as f64, field)
}

fn is_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "1"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

fn parse_text_date(text: &str) -> Option<i64> {
    let mut text = text.to_string();
    // SQL text: a space between the date and the time.
    if text.len() > 11 && text.as_bytes()[10] == b' ' && text.as_bytes()[11].is_ascii_digit() {
        text.replace_range(10..11, "T");
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(&text) {
        return Some(d.timestamp_millis());
    }
    if let Ok(ms) = dates::from_iso(&text, "date") {
        return Some(ms);
    }
    for format in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(&text, format) {
            return Some(d.timestamp_millis());
        }
    }
    // No zone: UTC (as the peers write it).
    let naive = text.strip_suffix('Z').unwrap_or(&text);
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// An extra column's value, typed by its declared type, in stored (tagged) form.
fn typed(v: &Value, kind: ExtraKind, path: &str) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    match kind {
        ExtraKind::Bool => Ok(Value::Bool(is_true(v))),
        ExtraKind::Date => Ok(extras::date(peer_date(v, path)? as f64)),
        ExtraKind::BigInt => {
            match v {
                Value::String(s) => {
                    let n: i64 = s.trim().parse().map_err(|_| {
                        AdapterError::invalid(path, format!("is {} (not an integer)", short(v)))
                    })?;
                    if n.unsigned_abs() > 9_007_199_254_740_991 {
                        return Err(AdapterError::invalid(
                        path,
                        format!("is {n}, beyond the integers a JavaScript number holds exactly (2^53)"),
                    ));
                    }
                    Ok(extras::number(n as f64))
                }
                other => encode(other, path, 0),
            }
        }
        ExtraKind::Numeric => match v {
            Value::String(s) => Ok(extras::number(s.trim().parse::<f64>().unwrap_or(f64::NAN))),
            other => encode(other, path, 0),
        },
        ExtraKind::Json => match v {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(parsed) => encode(&parsed, path, 0),
                Err(_) => encode(v, path, 0),
            },
            other => encode(other, path, 0),
        },
        ExtraKind::AsIs => encode(v, path, 0),
    }
}

/// A plain JSON value as an extra property is stored (numbers and objects tagged where they
/// need it; see `core::extras`), with `createUser`'s limits.
fn encode(v: &Value, path: &str, depth: usize) -> Result<Value> {
    if depth > MAX_EXTRA_DEPTH {
        return Err(AdapterError::invalid(
            path,
            format!("is nested more than {MAX_EXTRA_DEPTH} levels deep"),
        ));
    }
    Ok(match v {
        Value::Null | Value::Bool(_) => v.clone(),
        Value::Number(n) => extras::number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Value::String(checked(s.clone(), path)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| encode(item, &format!("{path}[{i}]"), depth + 1))
                .collect::<Result<_>>()?,
        ),
        Value::Object(m) => {
            let mut entries = Map::new();
            for (key, item) in m {
                let key_path = format!("{path}.{key}");
                if key == "__proto__" {
                    return Err(AdapterError::invalid(
                        key_path,
                        "is not allowed as a property name",
                    ));
                }
                entries.insert(key.clone(), encode(item, &key_path, depth + 1)?);
            }
            extras::object(entries)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(model: &str, extras: Value) -> Plan {
        let (table, key, fields): (&str, Value, Value) = match model {
            "user" => (
                "user",
                json!(["id"]),
                json!({"id": "id", "name": "name", "email": "email", "emailVerified": "emailVerified", "image": "image"}),
            ),
            "account" => (
                "account",
                json!(["provider", "providerAccountId"]),
                json!({"userId": "userId", "type": "type", "provider": "provider", "providerAccountId": "providerAccountId",
                       "refresh_token": "refresh_token", "access_token": "access_token", "expires_at": "expires_at",
                       "token_type": "token_type", "scope": "scope", "id_token": "id_token", "session_state": "session_state"}),
            ),
            "session" => (
                "session",
                json!(["sessionToken"]),
                json!({"sessionToken": "sessionToken", "userId": "userId", "expires": "expires"}),
            ),
            "authenticator" => (
                "authenticator",
                json!(["credentialID"]),
                json!({"credentialID": "credentialID", "userId": "userId", "providerAccountId": "providerAccountId",
                       "credentialPublicKey": "credentialPublicKey", "counter": "counter",
                       "credentialDeviceType": "credentialDeviceType", "credentialBackedUp": "credentialBackedUp",
                       "transports": "transports"}),
            ),
            _ => unreachable!(),
        };
        Plan::parse(
            &json!({"model": model, "table": table, "key": key, "fields": fields, "extras": extras})
                .to_string(),
        )
        .unwrap()
    }

    const KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    #[test]
    fn a_user_keeps_its_id_and_types_its_extra_columns() {
        let p = plan(
            "user",
            json!([{"name": "role", "type": "TEXT"}, {"name": "isStaff", "type": "BOOLEAN"},
                   {"name": "joinedAt", "type": "TIMESTAMP"}, {"name": "prefs", "type": "jsonb"},
                   {"name": "visits", "type": "bigint"}]),
        );
        let s = Secrets::new(None, &[]).unwrap();
        let row = [
            json!(7),
            json!("Ada"),
            json!("ada@example.com"),
            json!(1_700_000_000),
            Value::Null,
            json!("admin"),
            json!(1),
            json!("2024-01-02 03:04:05.006"),
            json!("{\"$theme\":\"dark\",\"n\":2}"),
            json!("12"),
        ];
        let stored = p.convert(&row, 1, &s, 0).unwrap();
        assert_eq!(p.target.name, "users");
        assert_eq!(stored[0], json!("7"));
        assert_eq!(stored[1], json!("Ada"));
        assert_eq!(stored[2], json!("ada@example.com"));
        assert_eq!(stored[3], json!(1_700_000_000_000i64));
        assert_eq!(stored[4], Value::Null);
        let extra: Value = serde_json::from_str(stored[5].as_str().unwrap()).unwrap();
        assert_eq!(
            extra,
            json!({"role": "admin", "isStaff": true, "joinedAt": {"$date": 1_704_164_645_006i64},
                   "prefs": {"$object": {"$theme": "dark", "n": 2}}, "visits": 12})
        );
        // The checks of the stored row itself pass.
        p.target
            .values_of(&p.target.object_of(stored))
            .expect("a valid stored row");
    }

    #[test]
    fn a_wrong_field_is_named_with_its_row() {
        let p = plan("user", json!([]));
        let s = Secrets::new(None, &[]).unwrap();
        let e = p
            .convert(
                &[json!("u2"), json!(5), Value::Null, Value::Null, Value::Null],
                2,
                &s,
                0,
            )
            .unwrap_err();
        assert_eq!(
            e.detail,
            "user id \"u2\" (row 2): user.name must be a string or null (got number)"
        );
        let e = p
            .convert(
                &[
                    json!("u3"),
                    Value::Null,
                    Value::Null,
                    json!("soon"),
                    Value::Null,
                ],
                3,
                &s,
                0,
            )
            .unwrap_err();
        assert!(
            e.detail
                .contains("user.emailVerified is \"soon\" (not a date"),
            "{e}"
        );
        let e = p
            .convert(
                &[
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ],
                4,
                &s,
                0,
            )
            .unwrap_err();
        assert!(e.detail.ends_with("user.id is required"), "{e}");
    }

    #[test]
    fn session_tokens_are_hashed_as_create_session_hashes_them() {
        let p = plan("session", json!([]));
        let s = Secrets::new(Some("app-secret"), &[]).unwrap();
        let stored = p
            .convert(
                &[
                    json!("tok-123456789"),
                    json!("u1"),
                    json!("2030-01-01T00:00:00.000Z"),
                ],
                1,
                &s,
                42,
            )
            .unwrap();
        assert_eq!(stored[0], json!(s.session_token_hash("tok-123456789")));
        assert_eq!(stored[2], json!(1_893_456_000_000i64));
        assert_eq!((&stored[4], &stored[5]), (&json!(42), &json!(42)));
        assert_eq!(stored[3].as_str().unwrap().len(), 32);
        // An error never prints the whole token.
        let e = p
            .convert(
                &[json!("tok-123456789"), json!("u1"), Value::Null],
                1,
                &s,
                0,
            )
            .unwrap_err();
        assert!(!e.detail.contains("tok-123456789"), "{e}");
        assert!(e.detail.contains("session.expires is required"), "{e}");
    }

    #[test]
    fn a_column_read_for_two_fields_gives_both_its_value() {
        // Values are moved out of a source row only when no other field (nor the key, which
        // names the row in errors) reads their column.
        let p = Plan::parse(
            &json!({"model": "user", "table": "people", "key": ["id"],
                    "fields": {"id": "id", "name": "email", "email": "email",
                               "emailVerified": "emailVerified", "image": "image"}})
            .to_string(),
        )
        .unwrap();
        let s = Secrets::new(None, &[]).unwrap();
        let row = vec![
            json!("u1"),
            json!("ada@example.com"),
            Value::Null,
            Value::Null,
        ];
        let stored = p.convert_owned(row, 1, &s, 0).unwrap();
        assert_eq!(
            stored[..3],
            [
                json!("u1"),
                json!("ada@example.com"),
                json!("ada@example.com")
            ]
        );
        let bad = vec![
            json!("u2"),
            json!("ada@example.com"),
            json!("soon"),
            Value::Null,
        ];
        let e = p.convert_owned(bad, 2, &s, 0).unwrap_err();
        assert!(
            e.detail
                .starts_with("people id \"u2\" (row 2): user.emailVerified is \"soon\""),
            "{e}"
        );
    }

    #[test]
    fn oauth_tokens_are_sealed_when_a_key_is_given() {
        let p = plan("account", json!([{"name": "tenant", "type": "text"}]));
        let s = Secrets::new(None, &[KEY.into()]).unwrap();
        let row = [
            json!("u1"),
            json!("oauth"),
            json!("github"),
            json!("42"),
            json!("refresh"),
            json!("access"),
            json!("1900000000"),
            json!("bearer"),
            Value::Null,
            Value::Null,
            Value::Null,
            json!("t1"),
        ];
        let stored = p.convert(&row, 1, &s, 0).unwrap();
        assert!(stored[4].as_str().unwrap().starts_with("enc:v1:"));
        assert!(stored[5].as_str().unwrap().starts_with("enc:v1:"));
        assert_eq!(stored[6], json!(1_900_000_000));
        assert_eq!(stored[9], Value::Null);
        let opened = s
            .open(
                stored[4].as_str().map(str::to_string),
                "access_token\ngithub\n42",
                "f",
            )
            .unwrap();
        assert_eq!(opened.as_deref(), Some("access"));
        let mut bad = row.clone();
        bad[6] = json!("soon");
        let e = p.convert(&bad, 1, &s, 0).unwrap_err();
        assert!(
            e.detail.contains(
                "account provider \"github\", providerAccountId \"42\" (row 1): account.expires_at"
            ),
            "{e}"
        );
    }

    #[test]
    fn an_authenticator_reads_its_counter_and_flag_in_any_stored_form() {
        let p = plan("authenticator", json!([]));
        let s = Secrets::new(None, &[]).unwrap();
        let row = [
            json!("c1"),
            json!("u1"),
            json!("p"),
            json!("k"),
            json!("3"),
            json!("singleDevice"),
            json!("t"),
            Value::Null,
        ];
        let stored = p.convert(&row, 1, &s, 0).unwrap();
        assert_eq!((&stored[4], &stored[6]), (&json!(3), &json!(true)));
        let mut bad = row.clone();
        bad[4] = json!(-1);
        assert!(p
            .convert(&bad, 1, &s, 0)
            .unwrap_err()
            .detail
            .contains("authenticator.counter must be a non-negative integer"));
    }

    #[test]
    fn dates_in_every_stored_form() {
        let ms = 1_704_164_645_006i64;
        for v in [
            json!(ms),
            json!(ms.to_string()),
            json!("2024-01-02T03:04:05.006Z"),
            json!("2024-01-02 03:04:05.006"),
            json!("2024-01-02T03:04:05.006"),
            json!("2024-01-02T04:04:05.006+01:00"),
            json!("2024-01-02 03:04:05.006+00"),
        ] {
            assert_eq!(peer_date(&v, "f").unwrap(), ms, "{v}");
        }
        assert_eq!(
            peer_date(&json!(1_704_164_645), "f").unwrap(),
            1_704_164_645_000
        );
        assert_eq!(
            peer_date(&json!("2024-01-02"), "f").unwrap(),
            1_704_153_600_000
        );
        assert!(peer_date(&json!(true), "f").is_err());
        assert!(peer_date(&json!("1e5x"), "f").is_err());
    }

    #[test]
    fn batch_messages_name_the_source_row() {
        let p = plan("user", json!([]));
        assert_eq!(
            p.in_source_terms("users id \"u2\": email \"a@b\" belongs to another user"),
            "user id \"u2\": email \"a@b\" belongs to another user"
        );
        let a = plan("account", json!([]));
        assert_eq!(
            a.in_source_terms("accounts provider \"g\", provider_account_id \"1\": its user \"u\" is not in the target"),
            "account provider \"g\", providerAccountId \"1\": its user \"u\" is not in the target"
        );
        let s = plan("session", json!([]));
        assert_eq!(
            s.in_source_terms("sessions session_token_hash \"ab\": already in the target"),
            "session sessionToken hash \"ab\": already in the target"
        );
        assert_eq!(p.in_source_terms("something else"), "something else");
    }

    #[test]
    fn a_plan_names_what_it_lacks() {
        assert!(Plan::parse("{}").unwrap_err().detail.contains("model"));
        let e = Plan::parse(&json!({"model": "session", "table": "s", "key": ["sessionToken"], "fields": {"sessionToken": "t"}}).to_string())
            .unwrap_err();
        assert!(e.detail.contains("userId"), "{e}");
    }
}
