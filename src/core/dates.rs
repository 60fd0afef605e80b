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
    let parsed = parse_iso(text.trim()).ok_or_else(|| {
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

/// RFC 3339, and ECMAScript's expanded years (`+010000-06-01T12:00:00.456Z`, `-000001-...`:
/// a sign and six digits), which `Date#toISOString()` writes for years outside 0..=9999.
fn parse_iso(text: &str) -> Option<DateTime<chrono::FixedOffset>> {
    use chrono::Datelike;
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return DateTime::parse_from_rfc3339(text).ok(),
    };
    let digits = text.get(1..7)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !text[7..].starts_with('-') {
        return None;
    }
    let year = sign * digits.parse::<i32>().ok()?;
    // ECMAScript forbids "-000000"; the rest is an ordinary timestamp in a leap year, moved to
    // the real year afterwards (which refuses a February 29 the real year lacks).
    if sign < 0 && year == 0 {
        return None;
    }
    DateTime::parse_from_rfc3339(&format!("2000{}", &text[7..]))
        .ok()?
        .with_year(year)
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
    fn expanded_years_from_to_iso_string_are_read() {
        // new Date('+010000-06-01T12:00:00.456Z').getTime() in Node.
        assert_eq!(
            from_iso("+010000-06-01T12:00:00.456Z", "f").unwrap(),
            253_415_476_800_456
        );
        // new Date(-62198755200000).toISOString() === '-000001-01-01T00:00:00.000Z'
        assert_eq!(
            from_iso("-000001-01-01T00:00:00.000Z", "f").unwrap(),
            -62_198_755_200_000
        );
        assert!(from_iso("+010001-02-29T00:00:00Z", "f").is_err());
        assert!(from_iso("-000000-01-01T00:00:00Z", "f").is_err());
        assert!(from_iso("+10000-06-01T12:00:00Z", "f").is_err());
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
