//! Rows as stored, in a form both backends read and write: what the command line's `export`
//! writes (one JSON object per row), `import --from jsonl` reads back, `stats`, `check` and
//! `rotate-key` look at. Session tokens stay hashed and OAuth tokens sealed exactly as stored,
//! so a dump moved from SQLite to PostgreSQL (or back) keeps every session and token usable,
//! given the same `secret` and `encryptionKey`.
//!
//! The tables are described once here ([`TABLES`]); each backend builds its SQL from them.

use serde_json::{Map, Value};

use crate::core::error::{AdapterError, ErrorCode, Result};

/// How a column's value is held in a portable row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Text,
    /// An integer (epoch milliseconds, counters).
    Int,
    /// A number (an account's `expires_at`, seconds as the provider gave them).
    Real,
    /// `true` or `false`.
    Bool,
    /// App-defined properties: the stored, type-tagged JSON text (see `core::extras`).
    Extras,
}

/// One stored column.
#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// One stored table, in the order rows must be written (users before what refers to them).
#[derive(Debug)]
pub struct Table {
    /// The table's name (without any PostgreSQL schema or prefix), also the `model` of a
    /// portable row.
    pub name: &'static str,
    pub columns: &'static [Column],
    /// The primary key's columns: rows are read in this order, pages resume after a key.
    pub key: &'static [&'static str],
    /// Whether rows refer to a user through `user_id`.
    pub of_user: bool,
}

const fn col(name: &'static str, kind: Kind, required: bool) -> Column {
    Column {
        name,
        kind,
        required,
    }
}

/// Every table, users first.
pub static TABLES: [Table; 5] = [
    Table {
        name: "users",
        columns: &[
            col("id", Kind::Text, true),
            col("name", Kind::Text, false),
            col("email", Kind::Text, false),
            col("email_verified", Kind::Int, false),
            col("image", Kind::Text, false),
            col("extra", Kind::Extras, false),
        ],
        key: &["id"],
        of_user: false,
    },
    Table {
        name: "accounts",
        columns: &[
            col("provider", Kind::Text, true),
            col("provider_account_id", Kind::Text, true),
            col("user_id", Kind::Text, true),
            col("type", Kind::Text, true),
            col("access_token", Kind::Text, false),
            col("refresh_token", Kind::Text, false),
            col("expires_at", Kind::Real, false),
            col("token_type", Kind::Text, false),
            col("scope", Kind::Text, false),
            col("id_token", Kind::Text, false),
            col("session_state", Kind::Text, false),
            col("extra", Kind::Extras, false),
        ],
        key: &["provider", "provider_account_id"],
        of_user: true,
    },
    Table {
        name: "sessions",
        columns: &[
            col("session_token_hash", Kind::Text, true),
            col("user_id", Kind::Text, true),
            col("expires", Kind::Int, true),
            col("id", Kind::Text, false),
            col("created_at", Kind::Int, false),
            col("last_active_at", Kind::Int, false),
            col("user_agent", Kind::Text, false),
            col("ip_address", Kind::Text, false),
        ],
        key: &["session_token_hash"],
        of_user: true,
    },
    Table {
        name: "verification_tokens",
        columns: &[
            col("identifier", Kind::Text, true),
            col("token", Kind::Text, true),
            col("expires", Kind::Int, true),
        ],
        key: &["identifier", "token"],
        of_user: false,
    },
    Table {
        name: "authenticators",
        columns: &[
            col("credential_id", Kind::Text, true),
            col("user_id", Kind::Text, true),
            col("provider_account_id", Kind::Text, true),
            col("credential_public_key", Kind::Text, true),
            col("counter", Kind::Int, true),
            col("credential_device_type", Kind::Text, true),
            col("credential_backed_up", Kind::Bool, true),
            col("transports", Kind::Text, false),
        ],
        key: &["credential_id"],
        of_user: true,
    },
];

/// The table named `name` (`INVALID_INPUT` naming the known ones otherwise).
pub fn table(name: &str) -> Result<&'static Table> {
    TABLES.iter().find(|t| t.name == name).ok_or_else(|| {
        AdapterError::invalid(
            "table",
            format!(
                "must be one of {} (got {name:?})",
                TABLES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

impl Table {
    /// The index of column `name`.
    pub fn index(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .expect("a column of this table")
    }

    /// The key columns' values of a row in column order.
    pub fn key_of(&self, row: &[Value]) -> Vec<Value> {
        self.key
            .iter()
            .map(|k| row[self.index(k)].clone())
            .collect()
    }

    /// The key of a row as a short text for messages (`users id "u1"`).
    pub fn describe(&self, row: &[Value]) -> String {
        let parts: Vec<String> = self
            .key
            .iter()
            .map(|k| format!("{k} {}", row[self.index(k)]))
            .collect();
        format!("{} {}", self.name, parts.join(", "))
    }

    /// Why `--merge` keeps out a row the target already holds.
    pub fn already_there(&self, row: &[Value]) -> String {
        let or_email = if self.name == "users" {
            " or email"
        } else {
            ""
        };
        format!(
            "{}: already in the target (the same key{or_email})",
            self.describe(row)
        )
    }

    /// Why a row whose user (its `user_id` column) is not in the target is kept out.
    pub fn user_missing(&self, row: &[Value]) -> String {
        format!(
            "{}: its user {} is not in the target",
            self.describe(row),
            row[self.index("user_id")]
        )
    }

    /// The refusal of a row whose key (or, `on_email`, a user's email) is already there.
    pub fn held_twice(&self, row: &[Value], on_email: bool) -> AdapterError {
        let what = if on_email {
            format!("email {} belongs to another user", row[self.index("email")])
        } else {
            "the same key is already there".to_string()
        };
        conflict(format!(
            "{}: {what} (the source holds it twice, or the target already does)",
            self.describe(row)
        ))
    }

    /// Checks a portable row (a JSON object of column → value) and returns its values in
    /// column order. Unknown columns, missing required ones and wrong types are refused,
    /// naming the column.
    pub fn values_of(&self, row: &Value) -> Result<Vec<Value>> {
        let Value::Object(map) = row else {
            return Err(AdapterError::invalid(
                self.name,
                "row must be a JSON object",
            ));
        };
        for name in map.keys() {
            if name != "model" && !self.columns.iter().any(|c| c.name == name) {
                return Err(AdapterError::invalid(
                    format!("{}.{name}", self.name),
                    "is not a column of this table",
                ));
            }
        }
        self.columns
            .iter()
            .map(|c| {
                let v = map.get(c.name).cloned().unwrap_or(Value::Null);
                let field = || format!("{}.{}", self.name, c.name);
                let ok = match (&v, c.kind) {
                    (Value::Null, _) => !c.required,
                    (Value::String(_), Kind::Text | Kind::Extras) => true,
                    (Value::Number(n), Kind::Int) => n.is_i64(),
                    (Value::Number(_), Kind::Real) => true,
                    (Value::Bool(_), Kind::Bool) => true,
                    _ => false,
                };
                if !ok {
                    return Err(AdapterError::invalid(
                        field(),
                        match (&v, c.kind) {
                            (Value::Null, _) => "is required".to_string(),
                            (_, Kind::Text) => "must be a string".to_string(),
                            (_, Kind::Extras) => "must be the stored JSON text".to_string(),
                            (_, Kind::Int) => "must be an integer".to_string(),
                            (_, Kind::Real) => "must be a number".to_string(),
                            (_, Kind::Bool) => "must be true or false".to_string(),
                        },
                    ));
                }
                if let (Value::String(text), Kind::Extras) = (&v, c.kind) {
                    if !matches!(serde_json::from_str::<Value>(text), Ok(Value::Object(_))) {
                        return Err(AdapterError::invalid(
                            field(),
                            "must be the stored JSON text of an object",
                        ));
                    }
                }
                Ok(v)
            })
            .collect()
    }

    /// A portable row as a JSON object, `model` first.
    pub fn object_of(&self, values: Vec<Value>) -> Value {
        let mut map = Map::new();
        map.insert("model".into(), Value::String(self.name.into()));
        for (c, v) in self.columns.iter().zip(values) {
            map.insert(c.name.into(), v);
        }
        Value::Object(map)
    }
}

/// A real number as JSON: integral values as integers (an `expires_at` reads back as it was
/// written on either backend).
pub fn real(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Fills what a row may leave out but the table needs: a session's public id (sessions
/// exported before version 5 stored one have none).
pub fn fill_defaults(table: &Table, values: &mut [Value]) {
    if table.name == "sessions" {
        let id = table.index("id");
        if values[id].is_null() {
            values[id] = Value::String(crate::core::secrets::public_id());
        }
    }
}

/// Key values in the order SQLite sorts them (null, numbers, text by bytes): the order rows
/// are sorted in before they are written.
pub fn compare_key_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(_), _) => Ordering::Less,
        (_, Value::Number(_)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// One value of a [`Packed`] page: numbers in place, text as a span of the page's text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    /// Bytes `start..start + len` of the page's text.
    Text {
        start: u32,
        len: u32,
    },
}

/// Rows as stored, packed: every value a fixed-size [`Cell`] in one vector, every text end to
/// end in one string. A page of 50,000 rows is then three allocations instead of one per
/// value: built on the thread that converted the rows (which frees their values where it
/// allocated them), read by the writer front to back, freed at once.
#[derive(Debug, Default)]
pub struct Packed {
    width: usize,
    cells: Vec<Cell>,
    text: String,
}

impl Packed {
    /// Packs `rows` (each `width` values, as [`Table::values_of`] answers them); `None` when
    /// their text would not fit the spans (4 GiB a page), or a row has another width.
    pub fn of(rows: &[Vec<Value>], width: usize) -> Option<Packed> {
        let mut text_len = 0usize;
        for row in rows {
            for v in row {
                if let Value::String(s) = v {
                    text_len += s.len();
                }
            }
        }
        if text_len > u32::MAX as usize {
            return None;
        }
        let mut packed = Packed::with_capacity(width, rows.len(), text_len);
        for row in rows {
            packed.push(row)?;
        }
        Some(packed)
    }

    /// An empty page of rows of `width` values, with room for `rows` rows and `text` bytes.
    pub fn with_capacity(width: usize, rows: usize, text: usize) -> Packed {
        Packed {
            width,
            cells: Vec::with_capacity(rows.saturating_mul(width)),
            text: String::with_capacity(text),
        }
    }

    /// Appends a row; `None` (the page as it was) when it has another width or its text
    /// would not fit the spans.
    pub fn push(&mut self, row: &[Value]) -> Option<()> {
        if row.len() != self.width {
            return None;
        }
        let (cells, text) = (self.cells.len(), self.text.len());
        for v in row {
            let cell = match v {
                Value::Null => Some(Cell::Null),
                Value::Bool(b) => Some(Cell::Bool(*b)),
                Value::Number(n) => Some(match n.as_i64() {
                    Some(i) => Cell::Int(i),
                    None => Cell::Real(n.as_f64().unwrap_or(0.0)),
                }),
                Value::String(s) => self.push_text(s),
                other => self.push_text(&other.to_string()),
            };
            let Some(cell) = cell else {
                self.cells.truncate(cells);
                self.text.truncate(text);
                return None;
            };
            self.cells.push(cell);
        }
        Some(())
    }

    /// The page's rows in the order of their values at `key` (compared as [`compare_cells`]
    /// compares them; rows with equal keys keep their order).
    pub fn sorted_by(self, key: &[usize]) -> Packed {
        // Each row's first key value, when it is text, starts with 8 bytes that order it
        // against most others (random ids and hashes): compared in the sort's own array, they
        // spare most comparisons a read of the page. Equal prefixes compare in full.
        let first = key.first().copied();
        let mut order: Vec<(u64, u32, bool)> = (0..self.len())
            .map(|i| match first.map(|k| &self.row(i)[k]) {
                Some(cell @ Cell::Text { .. }) => {
                    let mut head = [0u8; 8];
                    let bytes = self.text(cell).as_bytes();
                    let n = bytes.len().min(8);
                    head[..n].copy_from_slice(&bytes[..n]);
                    (u64::from_be_bytes(head), i as u32, true)
                }
                _ => (0, i as u32, false),
            })
            .collect();
        order.sort_by(|a, b| {
            if a.2 && b.2 && a.0 != b.0 {
                return a.0.cmp(&b.0);
            }
            let (a, b) = (self.row(a.1 as usize), self.row(b.1 as usize));
            key.iter()
                .map(|&k| self.compare_cells(&a[k], &b[k]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut out = Packed::with_capacity(self.width, self.len(), self.text.len());
        for (_, i, _) in order {
            for cell in self.row(i as usize) {
                let moved = match *cell {
                    Cell::Text { len, .. } => {
                        let start = out.text.len() as u32;
                        out.text.push_str(self.text(cell));
                        Cell::Text { start, len }
                    }
                    other => other,
                };
                out.cells.push(moved);
            }
        }
        out
    }

    /// Two cells in the order SQLite sorts values (null, numbers, text by bytes), as
    /// `Value`s of a key are compared before they are written.
    pub fn compare_cells(&self, a: &Cell, b: &Cell) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let number = |c: &Cell| match *c {
            Cell::Int(i) => Some(i as f64),
            Cell::Real(x) => Some(x),
            _ => None,
        };
        match (a, b) {
            (Cell::Text { .. }, Cell::Text { .. }) => {
                self.text(a).as_bytes().cmp(self.text(b).as_bytes())
            }
            (Cell::Null, Cell::Null) => Ordering::Equal,
            (Cell::Null, _) => Ordering::Less,
            (_, Cell::Null) => Ordering::Greater,
            _ => match (number(a), number(b)) {
                (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
        }
    }

    fn push_text(&mut self, s: &str) -> Option<Cell> {
        let start = u32::try_from(self.text.len()).ok()?;
        let len = u32::try_from(s.len()).ok()?;
        start.checked_add(len)?;
        self.text.push_str(s);
        Some(Cell::Text { start, len })
    }

    /// Rows in the page.
    pub fn len(&self) -> usize {
        self.cells.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`'s cells, in column order.
    pub fn row(&self, i: usize) -> &[Cell] {
        &self.cells[i * self.width..(i + 1) * self.width]
    }

    /// The text of a [`Cell::Text`] (empty for any other cell).
    pub fn text(&self, cell: &Cell) -> &str {
        match *cell {
            Cell::Text { start, len } => &self.text[start as usize..(start + len) as usize],
            _ => "",
        }
    }

    /// Row `i` as values again (for the messages that name a row).
    pub fn values(&self, i: usize) -> Vec<Value> {
        self.row(i)
            .iter()
            .map(|c| match *c {
                Cell::Null => Value::Null,
                Cell::Int(i) => Value::from(i),
                Cell::Real(x) => serde_json::Number::from_f64(x)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
                Cell::Bool(b) => Value::Bool(b),
                Cell::Text { .. } => Value::String(self.text(c).to_string()),
            })
            .collect()
    }
}

/// Rows handed to [`crate::core::store::Maintenance::import_rows`]: as values, or packed by
/// the store's [`crate::core::store::Maintenance::ready_rows`] (SQLite).
#[derive(Debug)]
pub enum Rows {
    Values(Vec<Vec<Value>>),
    Packed(Packed),
}

impl Rows {
    /// Rows held.
    pub fn len(&self) -> usize {
        match self {
            Rows::Values(rows) => rows.len(),
            Rows::Packed(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i` as values (a copy: for messages).
    pub fn values(&self, i: usize) -> Vec<Value> {
        match self {
            Rows::Values(rows) => rows[i].clone(),
            Rows::Packed(p) => p.values(i),
        }
    }

    /// Every row as values.
    pub fn into_values(self) -> Vec<Vec<Value>> {
        match self {
            Rows::Values(rows) => rows,
            Rows::Packed(p) => (0..p.len()).map(|i| p.values(i)).collect(),
        }
    }
}

/// What one `import_rows` call did.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// Rows written.
    pub inserted: u64,
    /// Rows kept out, each with why (`--merge` only: a key or email already there, or a user
    /// that is not in the target).
    pub conflicts: Vec<String>,
}

/// The refusal of a row that is already there, or whose user is not.
pub fn conflict(detail: impl Into<String>) -> AdapterError {
    AdapterError::new(ErrorCode::UniqueViolation, detail)
}

/// `INVALID_INPUT` for `rotate-key` without a key (as `Secrets::reseal_account_tokens`).
pub fn no_key_to_rotate_to() -> AdapterError {
    AdapterError::invalid(
        "encryptionKey",
        "is required to re-seal OAuth tokens (give the new key first, then the old ones)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_reads_back_in_column_order() {
        let t = table("sessions").unwrap();
        let values = t
            .values_of(&json!({"model": "sessions", "session_token_hash": "h", "user_id": "u", "expires": 5}))
            .unwrap();
        assert_eq!(values[0], json!("h"));
        assert_eq!(values[2], json!(5));
        assert_eq!(t.object_of(values)["user_id"], json!("u"));
    }

    #[test]
    fn a_wrong_or_unknown_column_is_named() {
        let t = table("users").unwrap();
        let e = t.values_of(&json!({"id": "u", "role": "x"})).unwrap_err();
        assert!(e.detail.contains("users.role"), "{e}");
        let e = t.values_of(&json!({"id": 5})).unwrap_err();
        assert!(e.detail.contains("users.id must be a string"), "{e}");
        let e = t
            .values_of(&json!({"id": "u", "extra": "[1]"}))
            .unwrap_err();
        assert!(e.detail.contains("users.extra"), "{e}");
        assert!(table("people").is_err());
    }

    #[test]
    fn a_packed_page_gives_back_its_rows() {
        let t = table("authenticators").unwrap();
        let rows = vec![
            vec![
                json!("c1"),
                json!("u1"),
                json!("p"),
                json!("k"),
                json!(7),
                json!("single"),
                json!(true),
                Value::Null,
            ],
            vec![
                json!("c2"),
                json!("ü2"),
                json!(""),
                json!("k"),
                json!(-1),
                json!("multi"),
                json!(false),
                json!("usb"),
            ],
        ];
        let page = Packed::of(&rows, t.columns.len()).unwrap();
        assert_eq!(page.len(), 2);
        assert_eq!(Rows::Packed(page).into_values(), rows);
        let reals = vec![vec![json!(1.5), json!(u64::MAX), Value::Null]];
        assert_eq!(Packed::of(&reals, 3).unwrap().values(0)[0], json!(1.5));
        assert_eq!(
            Packed::of(&reals, 3).unwrap().values(0)[1],
            json!(u64::MAX as f64)
        );
        // A row of another width is not packed.
        assert!(Packed::of(&rows, 3).is_none());
    }

    #[test]
    fn a_packed_page_sorts_as_values_sort() {
        // Prefixes of 8 bytes and longer, equal prefixes, a text that is another's start,
        // nulls and numbers before text, a two-column key, equal keys kept in order.
        let keys = [
            json!("abcdefgh2"),
            json!("abcdefgh1"),
            json!("ab"),
            json!("ab\u{0}"),
            json!("b"),
            Value::Null,
            json!(5),
            json!(1.5),
            json!("abcdefgh1"),
            json!(""),
        ];
        let rows: Vec<Vec<Value>> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| vec![k.clone(), json!(i % 2), json!(i)])
            .collect();
        for key in [vec![0], vec![0, 1], vec![1, 0]] {
            let mut expected = rows.clone();
            expected.sort_by(|a, b| {
                key.iter()
                    .map(|&k| compare_key_values(&a[k], &b[k]))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let sorted = Packed::of(&rows, 3).unwrap().sorted_by(&key);
            assert_eq!(Rows::Packed(sorted).into_values(), expected, "key {key:?}");
        }
    }

    #[test]
    fn integral_reals_are_integers() {
        assert_eq!(real(3.0), json!(3));
        assert_eq!(real(1.5), json!(1.5));
    }
}
