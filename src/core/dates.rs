//! Dates: everything is epoch milliseconds inside; inputs may be Dates, ISO strings or numbers.

use chrono::DateTime;

use super::fields::FieldName;
use crate::core::error::{AdapterError, Result};
use crate::core::model::Millis;

/// The largest time value a JavaScript Date can hold (ECMAScript: ±8.64e15 ms).
pub const MAX_JS_TIME: f64 = 8.64e15;

/// Checks an epoch-millisecond number from JavaScript (a Date's value or a plain number).
pub fn from_millis(ms: f64, field: impl FieldName) -> Result<Millis> {
    if !ms.is_finite() {
        return Err(AdapterError::invalid(
            field,
            "must be a valid date (got an invalid Date or a non-finite number)",
        ));
    }
    if ms.abs() > MAX_JS_TIME {
        return Err(AdapterError::invalid(
            field,
            "is outside the range of JavaScript dates",
        ));
    }
    Ok(ms.floor() as Millis)
}

/// Parses an ISO-8601 / RFC 3339 timestamp such as `2026-01-02T03:04:05.678Z`.
pub fn from_iso(text: &str, field: impl FieldName) -> Result<Millis> {
    let parsed = DateTime::parse_from_rfc3339(text.trim()).map_err(|_| {
        AdapterError::invalid(
            field,
            format!(
                "must be a Date, an ISO-8601 string with a time zone, or epoch milliseconds (got {:?})",
                truncate(text)
            ),
        )
    })?;
    from_millis(parsed.timestamp_millis() as f64, field)
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_strings_keep_milliseconds() {
        assert_eq!(from_iso("1970-01-01T00:00:01.234Z", "f").unwrap(), 1234);
        assert_eq!(from_iso("1970-01-01T01:00:00+01:00", "f").unwrap(), 0);
    }

    #[test]
    fn garbage_names_the_field() {
        let err = from_iso("tomorrow", "session.expires").unwrap_err();
        assert!(err.detail.starts_with("session.expires"));
    }

    #[test]
    fn non_finite_and_out_of_range_numbers_are_refused() {
        assert!(from_millis(f64::NAN, "f").is_err());
        assert!(from_millis(f64::INFINITY, "f").is_err());
        assert!(from_millis(9e15, "f").is_err());
        assert_eq!(from_millis(-1.5, "f").unwrap(), -2);
    }
}
