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

/// Validated adapter configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Path of the SQLite file, or `":memory:"` for a private in-memory database.
    pub filename: String,
    /// Milliseconds to wait for a lock before failing with `DB_UNAVAILABLE`.
    pub busy_timeout_ms: u32,
    /// Page cache size per connection, in KiB.
    pub cache_size_kib: u32,
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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            filename: DEFAULT_FILENAME.to_string(),
            busy_timeout_ms: DEFAULT_BUSY_TIMEOUT_MS,
            cache_size_kib: DEFAULT_CACHE_SIZE_KIB,
            synchronous: Synchronous::Full,
            secret: None,
            encryption_keys: Vec::new(),
            sweep_interval_ms: DEFAULT_SWEEP_INTERVAL_MS,
            inline_writes: true,
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
            "busyTimeout" | "cacheSize" | "sweepInterval" => {
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
                    "cacheSize" => config.cache_size_kib = n as u32,
                    _ => config.sweep_interval_ms = n as u32,
                }
            }
            "synchronous" => {
                if t != Type::String {
                    return Err(wrong("\"full\" or \"normal\""));
                }
                config.synchronous = Config::parse_synchronous(&js.string(v, &field, 16)?)?;
            }
            _ => return Err(AdapterError::invalid(
                &field,
                "is not a known option (expected filename, busyTimeout, cacheSize, synchronous, inlineWrites, secret, encryptionKey, sweepInterval, or the TypeORM-style type/database/synchronize)",
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
    config.validate()
}
