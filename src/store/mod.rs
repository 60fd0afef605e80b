//! Storage: everything that touches the database lives under this module.
//!
//! Today the only backend is embedded SQLite ([`sqlite::SqliteStore`]).

pub mod sqlite;

pub use sqlite::SqliteStore;
