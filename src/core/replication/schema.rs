//! The schema a replica is declared against: this library's tables plus app-declared user
//! columns (`{ user: { role: "text", plan: "text" } }`).
//!
//! A declared column mirrors the user's extra property of the same name: it is a generated
//! column over `extra` on both sides (virtual in SQLite, stored in PostgreSQL), so the value
//! round-trips exactly as any extra property does, and the app can index and query it.

use crate::core::error::{AdapterError, Result};

/// The type of a declared user column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Integer,
    Real,
    Boolean,
    /// A `Date`, as epoch milliseconds.
    Date,
}

impl ColumnType {
    /// Parses a declared type name.
    pub fn parse(field: &str, name: &str) -> Result<Self> {
        Ok(match name {
            "text" => ColumnType::Text,
            "integer" => ColumnType::Integer,
            "real" => ColumnType::Real,
            "boolean" => ColumnType::Boolean,
            "date" => ColumnType::Date,
            other => {
                return Err(AdapterError::invalid(
                    field,
                    format!("must be \"text\", \"integer\", \"real\", \"boolean\" or \"date\" (got {other:?})"),
                ))
            }
        })
    }

    /// The declared name.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Integer => "integer",
            ColumnType::Real => "real",
            ColumnType::Boolean => "boolean",
            ColumnType::Date => "date",
        }
    }
}

/// A declared schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredSchema {
    /// The replica file's schema version the app expects (this library's `PRAGMA user_version`).
    pub version: Option<i64>,
    /// App-declared user columns, in declaration order.
    pub user_columns: Vec<(String, ColumnType)>,
}

/// Columns of `users` that a declared column may not shadow.
const BUILT_IN: [&str; 6] = ["id", "name", "email", "email_verified", "image", "extra"];

/// Checks a declared column name: lowercase letters, digits and `_`, not a built-in column.
pub fn check_column_name(field: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 48
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !ok {
        return Err(AdapterError::invalid(
            field,
            "must be a column name of lowercase letters, digits and underscores (at most 48)",
        ));
    }
    if BUILT_IN.contains(&name) {
        return Err(AdapterError::invalid(
            field,
            "is a built-in user column; declare only the app's own",
        ));
    }
    Ok(())
}
