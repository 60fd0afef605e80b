//! `RustAdapterConfig`: the options a user passes to `RustAdapter(config)`, with their defaults.

use crate::error::{AdapterError, Result};

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

/// Reads a `postgres://` URL option; `about` says what it is for when it is not one.
fn postgres_url(
    js: &crate::codec::js::Js,
    v: crate::codec::js::Raw,
    field: &str,
    about: &str,
) -> Result<String> {
    let t = js.type_of(v)?;
    if t != crate::codec::js::Type::String {
        return Err(AdapterError::invalid(
            field,
            format!(
                "must be a postgres:// connection URL string (got {})",
                t.name()
            ),
        ));
    }
    let text = js.string(v, field, 4096)?;
    if !is_postgres_url(&text) {
        return Err(AdapterError::invalid(
            field,
            format!("must start with postgres:// or postgresql:// ({about})"),
        ));
    }
    Ok(text)
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

/// Reads `RustAdapterConfig` from JavaScript (`undefined` means all defaults).
pub fn from_js(js: &crate::codec::js::Js, value: crate::codec::js::Raw) -> Result<Config> {
    use crate::codec::js::Type;
    let mut config = Config::default();
    match js.type_of(value)? {
        Type::Undefined | Type::Null => return Ok(config),
        Type::Object if !js.is_array(value)? => {}
        t => {
            return Err(AdapterError::invalid(
                "config",
                format!("must be an object (got {})", t.name()),
            ))
        }
    }
    let mut database: Option<String> = None;
    // (`DATABASE_URL` is read by the JavaScript face, which sees `process.env` as the app does.)
    let mut url: Option<String> = None;
    let mut hub: Option<String> = None;
    let mut schema: Option<String> = None;
    let mut table_prefix: Option<String> = None;
    let mut pool_size: Option<u32> = None;
    // Options that only mean something to one backend, to refuse them on the other.
    let mut sqlite_only: Option<String> = None;
    for (key, _) in js.own_keys(value, "config")? {
        let field = format!("config.{key}");
        let Some(v) = js.get(value, &key)? else {
            continue;
        };
        let t = js.type_of(v)?;
        let wrong = |expected: &str| {
            AdapterError::invalid(&field, format!("must be {expected} (got {})", t.name()))
        };
        match key.as_str() {
            "filename" => {
                if t != Type::String {
                    return Err(wrong("a string"));
                }
                config.filename = js.string(v, &field, 4096)?;
            }
            "url" => url = Some(postgres_url(js, v, &field, "use config.filename for SQLite")?),
            "hub" => hub = Some(postgres_url(js, v, &field, "the PostgreSQL hub the replica syncs with")?),
            "schema" | "tablePrefix" => {
                if t != Type::String {
                    return Err(wrong("a string"));
                }
                let text = js.string(v, &field, 256)?;
                check_identifier(&field, &text, key == "tablePrefix")?;
                if key == "schema" {
                    schema = Some(text);
                } else {
                    table_prefix = Some(text);
                }
            }
            "poolSize" => {
                if t != Type::Number {
                    return Err(wrong("a number"));
                }
                let n = js.number(v, &field)?;
                if !(n.is_finite() && n.fract() == 0.0 && (1.0..=1000.0).contains(&n)) {
                    return Err(AdapterError::invalid(
                        &field,
                        format!("must be an integer from 1 to 1000 (got {n})"),
                    ));
                }
                pool_size = Some(n as u32);
            }
            // The TypeORM-style config of NextAuth.js v3: { type: "sqlite", database, synchronize }.
            "type" => {
                if t != Type::String || js.string(v, &field, 64)? != "sqlite" {
                    return Err(AdapterError::invalid(
                        &field,
                        "must be \"sqlite\" (the only database type of this adapter)",
                    ));
                }
            }
            "database" => {
                if t != Type::String {
                    return Err(wrong("a string (the SQLite file, or \":memory:\")"));
                }
                database = Some(js.string(v, &field, 4096)?);
            }
            "synchronize" => {
                if t != Type::Boolean {
                    return Err(wrong("a boolean"));
                }
                // Accepted for compatibility; migrations always run.
            }
            "inlineWrites" => {
                sqlite_only.get_or_insert(field.clone());
                if t != Type::Boolean {
                    return Err(wrong("a boolean"));
                }
                config.inline_writes = js.boolean(v, &field)?;
            }
            "secret" => {
                if t != Type::String {
                    return Err(wrong("a string"));
                }
                config.secret = Some(js.string(v, &field, 4096)?);
            }
            "encryptionKey" => {
                config.encryption_keys = match t {
                    Type::String => vec![js.string(v, &field, 4096)?],
                    Type::Object if js.is_array(v)? => js
                        .elements(v, &field)?
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let item_field = format!("{field}[{i}]");
                            match js.type_of(item)? {
                                Type::String => js.string(item, &item_field, 4096),
                                t => Err(AdapterError::invalid(&item_field, format!("must be a string (got {})", t.name()))),
                            }
                        })
                        .collect::<Result<Vec<_>>>()?,
                    _ => return Err(wrong("a key string or an array of key strings (newest first)")),
                };
            }
            "busyTimeout" | "cacheSize" | "mmapSize" | "sweepInterval" => {
                if t != Type::Number {
                    return Err(wrong("a number"));
                }
                let n = js.number(v, &field)?;
                if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX)) {
                    return Err(AdapterError::invalid(
                        &field,
                        format!("must be a non-negative integer (got {n})"),
                    ));
                }
                match key.as_str() {
                    "busyTimeout" => config.busy_timeout_ms = n as u32,
                    "cacheSize" => {
                        sqlite_only.get_or_insert(field.clone());
                        config.cache_size_kib = n as u32
                    }
                    "mmapSize" => {
                        sqlite_only.get_or_insert(field.clone());
                        config.mmap_size_bytes = n as u32
                    }
                    _ => config.sweep_interval_ms = n as u32,
                }
            }
            "synchronous" => {
                sqlite_only.get_or_insert(field.clone());
                if t != Type::String {
                    return Err(wrong("\"full\" or \"normal\""));
                }
                config.synchronous = Config::parse_synchronous(&js.string(v, &field, 16)?)?;
            }
            _ => return Err(AdapterError::invalid(
                &field,
                "is not a known option (expected filename or url (or hub, for RustClientDb), busyTimeout, cacheSize, mmapSize, synchronous, inlineWrites, schema, tablePrefix, poolSize, secret, encryptionKey, sweepInterval, or the TypeORM-style type/database/synchronize)",
            )),
        }
    }
    if let Some(database) = database {
        if js.get(value, "filename")?.is_some() {
            return Err(AdapterError::invalid(
                "config.database",
                "cannot be combined with config.filename (they name the same thing)",
            ));
        }
        config.filename = database;
    }
    if hub.is_some() && url.is_some() {
        return Err(AdapterError::invalid(
            "config.hub",
            "cannot be combined with config.url (a replica is a file kept in sync with the hub)",
        ));
    }
    let named_file = js.get(value, "filename")?.is_some() || js.get(value, "database")?.is_some();
    if url.is_some() && named_file {
        return Err(AdapterError::invalid(
            "config.url",
            "cannot be combined with config.filename (a file means SQLite, a URL means PostgreSQL)",
        ));
    }
    if let Some(hub) = hub {
        config.backend = Backend::Replica(PostgresConfig {
            url: hub,
            schema: schema.unwrap_or_else(|| "public".to_string()),
            table_prefix: table_prefix.unwrap_or_default(),
            pool_size: pool_size.unwrap_or(DEFAULT_POOL_SIZE),
        });
        return config.validate();
    }
    match url {
        Some(url) => {
            if let Some(field) = sqlite_only {
                return Err(AdapterError::invalid(
                    &field,
                    "applies to SQLite only; leave it out with a PostgreSQL url",
                ));
            }
            config.backend = Backend::Postgres(PostgresConfig {
                url,
                schema: schema.unwrap_or_else(|| "public".to_string()),
                table_prefix: table_prefix.unwrap_or_default(),
                pool_size: pool_size.unwrap_or(DEFAULT_POOL_SIZE),
            });
        }
        None => {
            let pg_only = [
                ("config.schema", schema.is_some()),
                ("config.tablePrefix", table_prefix.is_some()),
                ("config.poolSize", pool_size.is_some()),
            ];
            if let Some((field, _)) = pg_only.iter().find(|(_, given)| *given) {
                return Err(AdapterError::invalid(
                    field,
                    "applies to PostgreSQL only (give config.url, or DATABASE_URL, to use PostgreSQL)",
                ));
            }
        }
    }
    config.validate()
}
