//! App-defined properties ("extras"), stored as one JSON object per row.
//!
//! Plain JSON loses Dates and non-finite numbers, and would confuse a user's own object
//! that happens to look like a tag, so three tags keep every value exact:
//!
//! | JavaScript value              | stored JSON                          |
//! |-------------------------------|--------------------------------------|
//! | `Date`                        | `{"$date": <epoch ms>}`              |
//! | `NaN`, `Infinity`, `-Infinity`| `{"$number": "NaN"}` etc.            |
//! | object with a key starting `$`| `{"$object": { ...its keys... }}`    |
//!
//! Everything else (string, finite number, boolean, null, array, object) is plain JSON.

use serde_json::{Map, Number, Value};

use super::fields::MAX_STRING_BYTES;
use crate::core::error::{AdapterError, Result};
use crate::core::model::Extras;

const DATE_TAG: &str = "$date";
const NUMBER_TAG: &str = "$number";
const OBJECT_TAG: &str = "$object";

/// Largest stored extras object per row (4 MiB of JSON).
pub const MAX_EXTRAS_BYTES: usize = 4 * MAX_STRING_BYTES;

/// A stored value, decoded back into what JavaScript should see.
#[derive(Debug, PartialEq)]
pub enum Decoded<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(&'a str),
    Date(f64),
    Array(&'a [Value]),
    Object(&'a Map<String, Value>),
}

/// Encodes a Date (epoch ms).
pub fn date(ms: f64) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(DATE_TAG.into(), number_value(ms));
    Value::Object(m)
}

fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Encodes a JavaScript number, keeping NaN and the infinities.
pub fn number(n: f64) -> Value {
    if n.is_finite() {
        return number_value(n);
    }
    let text = if n.is_nan() {
        "NaN"
    } else if n > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    };
    let mut m = Map::with_capacity(1);
    m.insert(NUMBER_TAG.into(), Value::String(text.into()));
    Value::Object(m)
}

/// Encodes a plain object whose entries are already encoded.
pub fn object(entries: Map<String, Value>) -> Value {
    if entries.keys().any(|k| k.starts_with('$')) {
        let mut m = Map::with_capacity(1);
        m.insert(OBJECT_TAG.into(), Value::Object(entries));
        Value::Object(m)
    } else {
        Value::Object(entries)
    }
}

/// Decodes one stored value.
pub fn decode(value: &Value) -> Decoded<'_> {
    match value {
        Value::Null => Decoded::Null,
        Value::Bool(b) => Decoded::Bool(*b),
        Value::Number(n) => Decoded::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Decoded::String(s),
        Value::Array(items) => Decoded::Array(items),
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(Value::Number(n)) = m.get(DATE_TAG) {
                    return Decoded::Date(n.as_f64().unwrap_or(f64::NAN));
                }
                if let Some(Value::String(s)) = m.get(NUMBER_TAG) {
                    return Decoded::Number(match s.as_str() {
                        "Infinity" => f64::INFINITY,
                        "-Infinity" => f64::NEG_INFINITY,
                        _ => f64::NAN,
                    });
                }
                if let Some(Value::Object(inner)) = m.get(OBJECT_TAG) {
                    return Decoded::Object(inner);
                }
            }
            Decoded::Object(m)
        }
    }
}

/// The column text for a row's extras (`None` when there are none); `entity` names the
/// object in errors (e.g. `"user"`).
pub fn to_column(extras: &Extras, entity: &str) -> Result<Option<String>> {
    if extras.is_empty() {
        return Ok(None);
    }
    let text = serde_json::to_string(extras).map_err(|e| {
        AdapterError::invalid(
            entity,
            format!("has extra properties that cannot be stored: {e}"),
        )
    })?;
    if text.len() > MAX_EXTRAS_BYTES {
        return Err(AdapterError::invalid(
            entity,
            format!(
                "has {} bytes of extra properties; at most {MAX_EXTRAS_BYTES} bytes are stored per row",
                text.len()
            ),
        ));
    }
    Ok(Some(text))
}

/// Parses a row's extras column.
pub fn from_column(text: Option<&str>) -> Result<Extras> {
    match text {
        None => Ok(Extras::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            AdapterError::new(
                crate::core::error::ErrorCode::DbError,
                format!("the stored extra properties are not valid JSON: {e}"),
            )
        }),
    }
}

/// Wraps a decoding failure as a rusqlite conversion error for column `index`.
pub fn corrupt(index: usize, e: AdapterError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(decode(&date(1234.0)), Decoded::Date(1234.0));
    }

    #[test]
    fn non_finite_numbers_round_trip() {
        assert!(matches!(decode(&number(f64::NAN)), Decoded::Number(n) if n.is_nan()));
        assert_eq!(
            decode(&number(f64::INFINITY)),
            Decoded::Number(f64::INFINITY)
        );
        assert_eq!(
            decode(&number(f64::NEG_INFINITY)),
            Decoded::Number(f64::NEG_INFINITY)
        );
        assert_eq!(decode(&number(1.5)), Decoded::Number(1.5));
    }

    #[test]
    fn a_user_object_that_looks_like_a_tag_stays_an_object() {
        let mut m = Map::new();
        m.insert("$date".into(), Value::from(5));
        let stored = object(m.clone());
        assert_eq!(decode(&stored), Decoded::Object(&m));
        let text = serde_json::to_string(&stored).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(decode(&back), Decoded::Object(&m));
    }

    #[test]
    fn empty_extras_store_nothing() {
        assert_eq!(to_column(&Extras::new(), "user").unwrap(), None);
        assert!(from_column(None).unwrap().is_empty());
    }

    #[test]
    fn oversized_extras_are_refused() {
        let mut e = Extras::new();
        e.insert("blob".into(), Value::String("x".repeat(MAX_EXTRAS_BYTES)));
        assert!(to_column(&e, "user")
            .unwrap_err()
            .detail
            .starts_with("user "));
    }

    /// A JavaScript-like value tree, for the round-trip property.
    #[derive(Debug, Clone)]
    enum Js {
        Null,
        Bool(bool),
        Num(f64),
        Str(String),
        Date(i64),
        Arr(Vec<Js>),
        Obj(Vec<(String, Js)>),
    }

    fn encode(v: &Js) -> Value {
        match v {
            Js::Null => Value::Null,
            Js::Bool(b) => Value::Bool(*b),
            Js::Num(n) => number(*n),
            Js::Str(s) => Value::String(s.clone()),
            Js::Date(ms) => date(*ms as f64),
            Js::Arr(items) => Value::Array(items.iter().map(encode).collect()),
            Js::Obj(entries) => object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), encode(v)))
                    .collect(),
            ),
        }
    }

    /// Checks that `stored` decodes to what `original` was.
    fn same(original: &Js, stored: &Value) -> bool {
        match (original, decode(stored)) {
            (Js::Null, Decoded::Null) => true,
            (Js::Bool(a), Decoded::Bool(b)) => *a == b,
            (Js::Num(a), Decoded::Number(b)) => (a.is_nan() && b.is_nan()) || *a == b,
            (Js::Str(a), Decoded::String(b)) => a == b,
            (Js::Date(a), Decoded::Date(b)) => *a as f64 == b,
            (Js::Arr(a), Decoded::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
            }
            (Js::Obj(a), Decoded::Object(b)) => {
                // Later duplicate keys win, as in a JavaScript object literal.
                let mut expected: Vec<(&String, &Js)> = Vec::new();
                for (k, v) in a {
                    expected.retain(|(ek, _)| *ek != k);
                    expected.push((k, v));
                }
                expected.len() == b.len()
                    && expected
                        .iter()
                        .all(|(k, v)| b.get(*k).is_some_and(|s| same(v, s)))
            }
            _ => false,
        }
    }

    fn js_value() -> impl proptest::strategy::Strategy<Value = Js> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Js::Null),
            any::<bool>().prop_map(Js::Bool),
            any::<f64>().prop_map(Js::Num),
            prop_oneof![
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
                Just(-0.0)
            ]
            .prop_map(Js::Num),
            ".*".prop_map(Js::Str),
            (-8_640_000_000_000_000i64..8_640_000_000_000_000i64).prop_map(Js::Date),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Js::Arr),
                proptest::collection::vec(
                    (prop_oneof!["[a-z]{0,4}", "\\$[a-z]{0,6}", ".*"], inner),
                    0..6
                )
                .prop_map(Js::Obj),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn every_value_survives_storage_as_json_text(v in js_value()) {
            let text = serde_json::to_string(&encode(&v)).unwrap();
            let back: Value = serde_json::from_str(&text).unwrap();
            proptest::prop_assert!(same(&v, &back), "{v:?} came back as {back}");
        }
    }
}
