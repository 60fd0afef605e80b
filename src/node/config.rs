//! Reads the configuration object JavaScript passed into a plain [`Value`]; every check is
//! [`crate::core::config::from_input`]'s.

use super::js::{Js, Raw, Type};
use crate::core::config::{from_input, Config, Value};
use crate::core::error::Result;
use crate::core::fields::MAX_STRING_BYTES;

/// Reads and converts `RustAdapterConfig` (`undefined` means all defaults).
pub fn config(js: &Js, value: Raw) -> Result<Config> {
    from_input(&read(js, value, "config", 0)?)
}

/// A JavaScript value as a [`Value`]. The config object's properties and an option's array
/// elements are read; anything nested deeper is only told by its type (no option takes more).
fn read(js: &Js, v: Raw, field: &str, depth: u8) -> Result<Value> {
    Ok(match js.type_of(v)? {
        Type::Undefined => Value::Undefined,
        Type::Null => Value::Null,
        Type::Boolean => Value::Bool(js.boolean(v, field)?),
        Type::Number => Value::Number(js.number(v, field)?),
        Type::String => Value::String(js.string(v, field, MAX_STRING_BYTES)?),
        Type::Object if js.is_array(v)? => {
            if depth != 1 {
                return Ok(Value::Array(Vec::new()));
            }
            let mut items = Vec::new();
            for (i, item) in js.elements(v, field)?.into_iter().enumerate() {
                items.push(read(js, item, &format!("{field}[{i}]"), depth + 1)?);
            }
            Value::Array(items)
        }
        Type::Object => {
            if depth != 0 {
                return Ok(Value::Object(Vec::new()));
            }
            let mut entries = Vec::new();
            for (key, _) in js.own_keys(v, field)? {
                let item = match js.get(v, &key)? {
                    Some(item) => read(js, item, &format!("{field}.{key}"), depth + 1)?,
                    None => Value::Undefined,
                };
                entries.push((key, item));
            }
            Value::Object(entries)
        }
        other => Value::Other(other.name()),
    })
}
