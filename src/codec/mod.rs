//! Conversion between JavaScript values and the stored model.
//!
//! - [`js`]: thin, checked wrappers over the raw N-API calls.
//! - [`input`]: JavaScript arguments to model values, validating every field by name.
//! - [`output`]: model values to JavaScript objects (Dates as `Date`, booleans as booleans).
//! - [`extras`]: app-defined properties, stored as JSON tagged so every type round-trips.
//! - [`dates`]: the accepted date inputs (Date, ISO-8601 string, epoch milliseconds).

pub mod dates;
pub mod extras;
pub mod input;
pub mod js;
pub mod output;

/// The name of an input field as error messages print it. Field names are only formatted when
/// an error needs them: the hot reads check every argument and must not pay for a name.
pub trait FieldName: std::fmt::Display + Copy {}
impl<T: std::fmt::Display + Copy> FieldName for T {}

/// A property of an input object (`account.provider`), formatted on demand.
#[derive(Clone, Copy)]
pub struct Property<'a> {
    /// The object's name (`account`).
    pub entity: &'a str,
    /// The property (`provider`).
    pub key: &'a str,
}

impl std::fmt::Display for Property<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.entity, self.key)
    }
}

/// Largest string accepted for one field (1 MiB of UTF-8). Auth data is small; this stops a
/// runaway value from bloating the file.
pub const MAX_STRING_BYTES: usize = 1024 * 1024;
