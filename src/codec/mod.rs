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

/// Largest string accepted for one field (1 MiB of UTF-8). Auth data is small; this stops a
/// runaway value from bloating the file.
pub const MAX_STRING_BYTES: usize = 1024 * 1024;
