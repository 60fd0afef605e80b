//! The configuration: the options a user passes to `RustAdapter(config)`, `LegacyAdapter(config)`
//! or `RustClientDb(config)`, and their conversion to a [`Config`].
//!
//! The N-API layer reads the JavaScript object into a plain [`Value`] (no checks beyond reading
//! it); [`from_input`] does every check and picks the backend, with no JavaScript in sight.
//! [`OPTIONS`] is the one list of options: it drives the unknown-option message and the
//! backend-only checks, and a test holds `index.d.ts` and `docs/configuration.md` to it.

use crate::core::error::{AdapterError, Result};

/// Default database file, relative to the working directory.
pub const DEFAULT_FILENAME: &str = "auth.sqlite";
/// Default time a call waits for a lock held by another connection or process.
pub const DEFAULT_BUSY_TIMEOUT_MS: u32 = 5_000;
/// Default interval of the expired-row sweeper (one hour).
pub const DEFAULT_SWEEP_INTERVAL_MS: u32 = 60 * 60 * 1000;
/// Default page cache per connection (16 MiB, as better-sqlite3 builds SQLite with).
pub const DEFAULT_CACHE_SIZE_KIB: u32 = 16 * 1024;
/// The largest memory map SQLite uses (its `SQLITE_MAX_MMAP_SIZE`, 0x7fff0000 bytes); a
/// larger `PRAGMA mmap_size` would be cut to it silently.
pub const MAX_MMAP_SIZE_BYTES: u32 = 0x7fff_0000;

/// How hard SQLite syncs a commit to disk (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// fsync the WAL on every commit: an acknowledged write survives power loss.
    Full,
    /// fsync only at checkpoints: an acknowledged write survives a process crash, not power loss.
    Normal,
}

impl Synchronous {
    /// The pragma value.
    pub fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Default size of the PostgreSQL connection pool.
pub const DEFAULT_POOL_SIZE: u32 = 10;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite file in [`Config::filename`].
    Sqlite,
    /// A PostgreSQL server.
    Postgres(PostgresConfig),
    /// A local-first replica: the SQLite file in [`Config::filename`], kept in sync with a
    /// PostgreSQL hub (`RustClientDb`).
    Replica(PostgresConfig),
}

impl Backend {
    /// `"sqlite"` or `"postgres"`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
            Backend::Replica(_) => "replica",
        }
    }
}

/// The PostgreSQL options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresConfig {
    /// `postgres://user:pass@host:port/db?sslmode=...` (from `config.url` or `DATABASE_URL`).
    pub url: String,
    /// The schema that holds the tables (created if missing).
    pub schema: String,
    /// Prepended to every table name.
    pub table_prefix: String,
    /// Most connections the pool opens.
    pub pool_size: u32,
}

/// Checks a schema name or table prefix: letters, digits and `_`, not starting with a digit
/// (the prefix may be empty), short enough that every table name fits PostgreSQL's 63 bytes.
fn check_identifier(field: &str, value: &str, may_be_empty: bool) -> Result<()> {
    let ok_chars = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !value.starts_with(|c: char| c.is_ascii_digit());
    if (value.is_empty() && !may_be_empty) || !ok_chars || value.len() > 40 {
        return Err(AdapterError::invalid(
            field,
            format!(
                "must be {}at most 40 letters, digits or underscores, not starting with a digit (got {value:?})",
                if may_be_empty { "" } else { "1 to " }
            ),
        ));
    }
    Ok(())
}

/// True for a `postgres://` or `postgresql://` URL.
pub fn is_postgres_url(url: &str) -> bool {
    let lower = url.get(..13).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// Validated adapter configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Path of the SQLite file, or `":memory:"` for a private in-memory database.
    pub filename: String,
    /// Milliseconds to wait for a lock before failing with `DB_UNAVAILABLE`.
    pub busy_timeout_ms: u32,
    /// Page cache size per connection, in KiB.
    pub cache_size_kib: u32,
    /// Bytes of the database file each connection reads through a memory map; 0 = off.
    pub mmap_size_bytes: u32,
    /// Commit durability.
    pub synchronous: Synchronous,
    /// Key for the HMAC of stored session tokens (SHA-256 without a key when `None`).
    pub secret: Option<String>,
    /// AES-256-GCM keys for OAuth tokens at rest, newest (encrypting) first; empty = off.
    pub encryption_keys: Vec<String>,
    /// Milliseconds between sweeps of expired sessions and verification tokens; 0 = off.
    pub sweep_interval_ms: u32,
    /// Whether a write that arrives alone may run on the JavaScript thread (see
    /// `SqliteStore::write_inline`); `false` sends every write to the writer thread.
    pub inline_writes: bool,
    /// SQLite (the default) or PostgreSQL.
    pub backend: Backend,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            filename: DEFAULT_FILENAME.to_string(),
            busy_timeout_ms: DEFAULT_BUSY_TIMEOUT_MS,
            cache_size_kib: DEFAULT_CACHE_SIZE_KIB,
            mmap_size_bytes: 0,
            synchronous: Synchronous::Full,
            secret: None,
            encryption_keys: Vec::new(),
            sweep_interval_ms: DEFAULT_SWEEP_INTERVAL_MS,
            inline_writes: true,
            backend: Backend::Sqlite,
        }
    }
}

impl Config {
    /// True for a private in-memory database.
    pub fn is_memory(&self) -> bool {
        self.filename == ":memory:"
    }

    /// Parses the `synchronous` option.
    pub fn parse_synchronous(value: &str) -> Result<Synchronous> {
        match value.to_ascii_lowercase().as_str() {
            "full" => Ok(Synchronous::Full),
            "normal" => Ok(Synchronous::Normal),
            _ => Err(AdapterError::invalid(
                "config.synchronous",
                format!("must be \"full\" or \"normal\" (got {value:?})"),
            )),
        }
    }

    /// Checks ranges after parsing.
    pub fn validate(self) -> Result<Self> {
        if self.filename.is_empty() {
            return Err(AdapterError::invalid(
                "config.filename",
                "must be a non-empty path or \":memory:\"",
            ));
        }
        if self.filename.contains('\0') {
            return Err(AdapterError::invalid(
                "config.filename",
                "must not contain a NUL character",
            ));
        }
        if self.cache_size_kib == 0 {
            return Err(AdapterError::invalid(
                "config.cacheSize",
                "must be at least 1 (KiB)",
            ));
        }
        if self.mmap_size_bytes > MAX_MMAP_SIZE_BYTES {
            return Err(AdapterError::invalid(
                "config.mmapSize",
                format!("must be at most {MAX_MMAP_SIZE_BYTES} (SQLite's limit, just under 2 GiB)"),
            ));
        }
        Ok(self)
    }
}

/// A configuration value as JavaScript gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `undefined` (an option set to `undefined` counts as not given).
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
    /// An array, with its elements.
    Array(Vec<Value>),
    /// An object, with its own enumerable properties in order.
    Object(Vec<(String, Value)>),
    /// Anything else, by its `typeof` (`"function"`, `"symbol"`, `"bigint"`).
    Other(&'static str),
}

impl Value {
    /// The `typeof` name error messages print (`"object"` for arrays, as JavaScript says).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) | Value::Object(_) => "object",
            Value::Other(name) => name,
        }
    }
}

/// Which stores an option means something to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// Every store.
    All,
    /// Stores with an SQLite file: SQLite, and a replica's file.
    File,
    /// Stores with a PostgreSQL server: PostgreSQL, and a replica's hub.
    Server,
    /// PostgreSQL only (`url`).
    Postgres,
    /// A replica only (`hub`).
    Replica,
    /// The TypeORM-style config of NextAuth.js v3 (`type`, `database`, `synchronize`).
    TypeOrm,
}

/// One option of the configuration.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    /// The property name in JavaScript.
    pub name: &'static str,
    /// The stores it applies to.
    pub applies: Applies,
}

const fn option(name: &'static str, applies: Applies) -> OptionSpec {
    OptionSpec { name, applies }
}

/// Every option, in the order the docs list them.
pub const OPTIONS: &[OptionSpec] = &[
    option("filename", Applies::File),
    option("url", Applies::Postgres),
    option("hub", Applies::Replica),
    option("busyTimeout", Applies::All),
    option("cacheSize", Applies::File),
    option("mmapSize", Applies::File),
    option("synchronous", Applies::File),
    option("inlineWrites", Applies::File),
    option("schema", Applies::Server),
    option("tablePrefix", Applies::Server),
    option("poolSize", Applies::Server),
    option("secret", Applies::All),
    option("encryptionKey", Applies::All),
    option("sweepInterval", Applies::All),
    option("type", Applies::TypeOrm),
    option("database", Applies::TypeOrm),
    option("synchronize", Applies::TypeOrm),
];

/// The message for an option that is not in [`OPTIONS`].
fn unknown_option(field: &str) -> AdapterError {
    let names: Vec<&str> = OPTIONS.iter().map(|o| o.name).collect();
    AdapterError::invalid(
        field,
        format!(
            "is not a known option (expected one of {})",
            names.join(", ")
        ),
    )
}

/// Checks a string option's length, as reading any other field does.
fn bounded(field: &str, text: &str, max: usize) -> Result<String> {
    if text.len() > max {
        return Err(AdapterError::invalid(
            field,
            format!(
                "is {} bytes long; at most {max} bytes are accepted",
                text.len()
            ),
        ));
    }
    Ok(text.to_string())
}

/// A string option of at most `max` bytes; `expected` says what it must be otherwise.
fn string(field: &str, v: &Value, max: usize, expected: &str) -> Result<String> {
    match v {
        Value::String(text) => bounded(field, text, max),
        _ => Err(wrong(field, v, expected)),
    }
}

fn wrong(field: &str, v: &Value, expected: &str) -> AdapterError {
    AdapterError::invalid(field, format!("must be {expected} (got {})", v.type_name()))
}

/// A `postgres://` URL option; `about` says what it is for when it is not one.
fn postgres_url(field: &str, v: &Value, about: &str) -> Result<String> {
    let text = string(field, v, 4096, "a postgres:// connection URL string")?;
    if !is_postgres_url(&text) {
        return Err(AdapterError::invalid(
            field,
            format!("must start with postgres:// or postgresql:// ({about})"),
        ));
    }
    Ok(text)
}

/// A non-negative integer option that fits 32 bits.
fn count(field: &str, v: &Value) -> Result<u32> {
    let Value::Number(n) = *v else {
        return Err(wrong(field, v, "a number"));
    };
    if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX)) {
        return Err(AdapterError::invalid(
            field,
            format!("must be a non-negative integer (got {n})"),
        ));
    }
    Ok(n as u32)
}

/// The options given, each checked on its own.
#[derive(Default)]
struct Given {
    filename: Option<String>,
    database: Option<String>,
    url: Option<String>,
    hub: Option<String>,
    schema: Option<String>,
    table_prefix: Option<String>,
    pool_size: Option<u32>,
    /// The options given, in order, with what they apply to.
    applies: Vec<(String, Applies)>,
}

/// Converts the configuration JavaScript gave (`undefined` or `null` means all defaults) into
/// a [`Config`]: each option's type and range, then the rules between options, then the
/// backend. The first problem found is the error, naming its field.
pub fn from_input(input: &Value) -> Result<Config> {
    let mut config = Config::default();
    let entries = match input {
        Value::Undefined | Value::Null => return Ok(config),
        Value::Object(entries) => entries,
        other => {
            return Err(AdapterError::invalid(
                "config",
                format!("must be an object (got {})", other.type_name()),
            ))
        }
    };
    let mut given = Given::default();
    for (key, v) in entries {
        if *v == Value::Undefined {
            continue;
        }
        let field = format!("config.{key}");
        let Some(spec) = OPTIONS.iter().find(|o| o.name == key) else {
            return Err(unknown_option(&field));
        };
        given.applies.push((field.clone(), spec.applies));
        read_option(&mut config, &mut given, key, &field, v)?;
    }
    choose_backend(config, given)
}

/// Checks one option and keeps its value.
fn read_option(
    config: &mut Config,
    given: &mut Given,
    key: &str,
    field: &str,
    v: &Value,
) -> Result<()> {
    match key {
        "filename" => given.filename = Some(string(field, v, 4096, "a string")?),
        "url" => given.url = Some(postgres_url(field, v, "use config.filename for SQLite")?),
        "hub" => {
            given.hub = Some(postgres_url(
                field,
                v,
                "the PostgreSQL hub the replica syncs with",
            )?)
        }
        "schema" | "tablePrefix" => {
            let text = string(field, v, 256, "a string")?;
            check_identifier(field, &text, key == "tablePrefix")?;
            if key == "schema" {
                given.schema = Some(text);
            } else {
                given.table_prefix = Some(text);
            }
        }
        "poolSize" => {
            let Value::Number(n) = *v else {
                return Err(wrong(field, v, "a number"));
            };
            if !(n.is_finite() && n.fract() == 0.0 && (1.0..=1000.0).contains(&n)) {
                return Err(AdapterError::invalid(
                    field,
                    format!("must be an integer from 1 to 1000 (got {n})"),
                ));
            }
            given.pool_size = Some(n as u32);
        }
        "type" => {
            if !matches!(v, Value::String(t) if t == "sqlite") {
                return Err(AdapterError::invalid(
                    field,
                    "must be \"sqlite\" (the only database type of this adapter)",
                ));
            }
        }
        "database" => {
            given.database = Some(string(
                field,
                v,
                4096,
                "a string (the SQLite file, or \":memory:\")",
            )?)
        }
        // Accepted for compatibility; migrations always run.
        "synchronize" => {
            if !matches!(v, Value::Bool(_)) {
                return Err(wrong(field, v, "a boolean"));
            }
        }
        "inlineWrites" => match v {
            Value::Bool(b) => config.inline_writes = *b,
            _ => return Err(wrong(field, v, "a boolean")),
        },
        "secret" => config.secret = Some(string(field, v, 4096, "a string")?),
        "encryptionKey" => {
            config.encryption_keys = match v {
                Value::String(text) => vec![bounded(field, text, 4096)?],
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| string(&format!("{field}[{i}]"), item, 4096, "a string"))
                    .collect::<Result<Vec<_>>>()?,
                _ => {
                    return Err(wrong(
                        field,
                        v,
                        "a key string or an array of key strings (newest first)",
                    ))
                }
            }
        }
        "busyTimeout" => config.busy_timeout_ms = count(field, v)?,
        "cacheSize" => config.cache_size_kib = count(field, v)?,
        "mmapSize" => config.mmap_size_bytes = count(field, v)?,
        "sweepInterval" => config.sweep_interval_ms = count(field, v)?,
        "synchronous" => {
            let text = string(field, v, 16, "\"full\" or \"normal\"")?;
            config.synchronous = Config::parse_synchronous(&text)?;
        }
        _ => return Err(unknown_option(field)),
    }
    Ok(())
}

/// The rules between options, and the backend they choose.
fn choose_backend(mut config: Config, given: Given) -> Result<Config> {
    if given.database.is_some() && given.filename.is_some() {
        return Err(AdapterError::invalid(
            "config.database",
            "cannot be combined with config.filename (they name the same thing)",
        ));
    }
    let named_file = given.filename.is_some() || given.database.is_some();
    if let Some(file) = given.filename.or(given.database) {
        config.filename = file;
    }
    if given.hub.is_some() && given.url.is_some() {
        return Err(AdapterError::invalid(
            "config.hub",
            "cannot be combined with config.url (a replica is a file kept in sync with the hub)",
        ));
    }
    if given.url.is_some() && named_file {
        return Err(AdapterError::invalid(
            "config.url",
            "cannot be combined with config.filename (a file means SQLite, a URL means PostgreSQL)",
        ));
    }
    let server = |url: String| PostgresConfig {
        url,
        schema: given.schema.clone().unwrap_or_else(|| "public".to_string()),
        table_prefix: given.table_prefix.clone().unwrap_or_default(),
        pool_size: given.pool_size.unwrap_or(DEFAULT_POOL_SIZE),
    };
    let first_of = |applies: Applies| {
        given
            .applies
            .iter()
            .find(|(_, a)| *a == applies)
            .map(|(field, _)| field.clone())
    };
    config.backend = if let Some(hub) = given.hub.clone() {
        Backend::Replica(server(hub))
    } else if let Some(url) = given.url.clone() {
        if let Some(field) = first_of(Applies::File) {
            return Err(AdapterError::invalid(
                field,
                "applies to SQLite only; leave it out with a PostgreSQL url",
            ));
        }
        Backend::Postgres(server(url))
    } else {
        if let Some(field) = first_of(Applies::Server) {
            return Err(AdapterError::invalid(
                field,
                "applies to PostgreSQL only (give config.url, or DATABASE_URL, to use PostgreSQL)",
            ));
        }
        Backend::Sqlite
    };
    config.validate()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(entries: &[(&str, Value)]) -> Value {
        Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn text(s: &str) -> Value {
        Value::String(s.to_string())
    }

    fn refused(input: Value) -> String {
        from_input(&input).unwrap_err().to_string()
    }

    #[test]
    fn no_config_means_every_default() {
        assert_eq!(from_input(&Value::Undefined).unwrap(), Config::default());
        assert_eq!(from_input(&Value::Null).unwrap(), Config::default());
        assert_eq!(from_input(&object(&[])).unwrap(), Config::default());
    }

    #[test]
    fn a_config_that_is_not_an_object_is_refused() {
        assert_eq!(
            refused(text("auth.sqlite")),
            "INVALID_INPUT: config must be an object (got string)"
        );
    }

    #[test]
    fn an_option_set_to_undefined_counts_as_not_given() {
        let config = from_input(&object(&[("url", Value::Undefined)])).unwrap();
        assert_eq!(config.backend, Backend::Sqlite);
    }

    #[test]
    fn a_url_chooses_postgres_with_its_defaults() {
        let config = from_input(&object(&[("url", text("postgres://h/db"))])).unwrap();
        assert_eq!(
            config.backend,
            Backend::Postgres(PostgresConfig {
                url: "postgres://h/db".into(),
                schema: "public".into(),
                table_prefix: String::new(),
                pool_size: DEFAULT_POOL_SIZE,
            })
        );
    }

    #[test]
    fn a_hub_chooses_a_replica_that_keeps_file_options() {
        let config = from_input(&object(&[
            ("hub", text("postgresql://h/db")),
            ("filename", text("replica.sqlite")),
            ("cacheSize", Value::Number(64.0)),
            ("schema", text("auth")),
        ]))
        .unwrap();
        assert_eq!(config.filename, "replica.sqlite");
        assert_eq!(config.cache_size_kib, 64);
        assert!(matches!(config.backend, Backend::Replica(ref pg) if pg.schema == "auth"));
    }

    #[test]
    fn an_unknown_option_is_refused_with_the_whole_list() {
        let message = refused(object(&[("filname", text("a.sqlite"))]));
        assert!(message.starts_with("INVALID_INPUT: config.filname is not a known option"));
        for option in OPTIONS {
            assert!(
                message.contains(option.name),
                "{} missing: {message}",
                option.name
            );
        }
    }

    #[test]
    fn a_file_option_with_a_url_is_refused_by_name() {
        let message = refused(object(&[
            ("url", text("postgres://h/db")),
            ("synchronous", text("normal")),
        ]));
        assert_eq!(
            message,
            "INVALID_INPUT: config.synchronous applies to SQLite only; leave it out with a PostgreSQL url"
        );
    }

    #[test]
    fn a_server_option_without_a_url_is_refused_by_name() {
        let message = refused(object(&[("poolSize", Value::Number(4.0))]));
        assert!(message.starts_with("INVALID_INPUT: config.poolSize applies to PostgreSQL only"));
    }

    #[test]
    fn wrong_types_name_the_field_and_the_type_given() {
        assert_eq!(
            refused(object(&[("busyTimeout", text("5s"))])),
            "INVALID_INPUT: config.busyTimeout must be a number (got string)"
        );
        assert_eq!(
            refused(object(&[(
                "encryptionKey",
                Value::Array(vec![text("k"), Value::Null])
            )])),
            "INVALID_INPUT: config.encryptionKey[1] must be a string (got null)"
        );
        assert_eq!(
            refused(object(&[("inlineWrites", Value::Array(vec![]))])),
            "INVALID_INPUT: config.inlineWrites must be a boolean (got object)"
        );
    }

    #[test]
    fn numbers_out_of_range_are_refused() {
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, 5e9] {
            assert!(from_input(&object(&[("sweepInterval", Value::Number(bad))])).is_err());
        }
        assert!(from_input(&object(&[("cacheSize", Value::Number(0.0))])).is_err());
    }

    #[test]
    fn long_strings_are_refused_with_their_length() {
        let long = "a".repeat(4097);
        assert_eq!(
            refused(object(&[("secret", text(&long))])),
            "INVALID_INPUT: config.secret is 4097 bytes long; at most 4096 bytes are accepted"
        );
    }

    #[test]
    fn options_that_name_the_same_thing_twice_are_refused() {
        assert!(
            refused(object(&[("database", text("a")), ("filename", text("b"))]))
                .contains("config.database cannot be combined with config.filename")
        );
        assert!(refused(object(&[
            ("url", text("postgres://h/db")),
            ("hub", text("postgres://h/db"))
        ]))
        .contains("config.hub cannot be combined with config.url"));
        assert!(refused(object(&[
            ("filename", text("a.sqlite")),
            ("url", text("postgres://h/db"))
        ]))
        .contains("config.url cannot be combined with config.filename"));
    }

    #[test]
    fn the_typeorm_style_config_names_the_file() {
        let config = from_input(&object(&[
            ("type", text("sqlite")),
            ("database", text(":memory:")),
            ("synchronize", Value::Bool(true)),
        ]))
        .unwrap();
        assert!(config.is_memory());
        assert!(refused(object(&[("type", text("mysql"))])).contains("must be \"sqlite\""));
    }

    #[test]
    fn every_option_in_the_table_is_read() {
        for option in OPTIONS {
            let message = from_input(&object(&[(option.name, Value::Other("symbol"))]))
                .unwrap_err()
                .to_string();
            assert!(
                !message.contains("is not a known option"),
                "{} is in OPTIONS but not read: {message}",
                option.name
            );
        }
    }
}
