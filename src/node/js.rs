//! Checked wrappers over the raw N-API calls the codec needs.
//!
//! Every function takes the environment of the current call and a value from that same
//! call, so the handles are valid for the duration of the call that uses them.

use std::ffi::{CStr, CString};
use std::ptr;

use napi::sys;

use crate::core::error::{AdapterError, ErrorCode, Result};
use crate::core::fields::FieldName;

/// A JavaScript value handle of the current call.
///
/// Only obtainable through [`Raw::new`] (unsafe) or from [`Js`] methods, so every handle the
/// codec touches belongs to the call in progress.
#[derive(Clone, Copy)]
pub struct Raw(sys::napi_value);

impl Raw {
    /// Wraps a handle.
    ///
    /// # Safety
    /// `value` must be a live handle of the N-API call in progress.
    pub unsafe fn new(value: sys::napi_value) -> Self {
        Raw(value)
    }

    /// The underlying handle.
    pub fn get(self) -> sys::napi_value {
        self.0
    }
}

/// The JavaScript type of a value, as `typeof` sees it (with `null` apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Undefined,
    Null,
    Boolean,
    Number,
    String,
    Symbol,
    Object,
    Function,
    External,
    BigInt,
}

impl Type {
    /// How error messages name the type.
    pub fn name(self) -> &'static str {
        match self {
            Type::Undefined => "undefined",
            Type::Null => "null",
            Type::Boolean => "boolean",
            Type::Number => "number",
            Type::String => "string",
            Type::Symbol => "symbol",
            Type::Object => "object",
            Type::Function => "function",
            Type::External => "external",
            Type::BigInt => "bigint",
        }
    }
}

/// The environment of the current N-API call.
#[derive(Clone, Copy)]
pub struct Js {
    env: sys::napi_env,
}

/// Bytes N-API wrote as UTF-8, as a `String`.
fn utf8(bytes: Vec<u8>, field: impl FieldName) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| AdapterError::invalid(field, "is not valid UTF-8"))
}

fn check(status: sys::napi_status, what: impl FieldName) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(AdapterError::new(
            ErrorCode::InvalidInput,
            format!("{what} could not be read from JavaScript (N-API status {status})"),
        ))
    }
}

impl Js {
    /// Wraps the raw environment of the current call.
    ///
    /// # Safety
    /// `env` must be the live environment of the call in progress.
    pub unsafe fn new(env: sys::napi_env) -> Self {
        Js { env }
    }

    /// The raw environment.
    pub fn env(&self) -> sys::napi_env {
        self.env
    }

    /// `typeof value`.
    pub fn type_of(&self, value: Raw) -> Result<Type> {
        let mut t = 0;
        check(
            unsafe { sys::napi_typeof(self.env, value.0, &mut t) },
            "a value",
        )?;
        Ok(match t {
            sys::ValueType::napi_undefined => Type::Undefined,
            sys::ValueType::napi_null => Type::Null,
            sys::ValueType::napi_boolean => Type::Boolean,
            sys::ValueType::napi_number => Type::Number,
            sys::ValueType::napi_string => Type::String,
            sys::ValueType::napi_symbol => Type::Symbol,
            sys::ValueType::napi_object => Type::Object,
            sys::ValueType::napi_function => Type::Function,
            sys::ValueType::napi_external => Type::External,
            _ => Type::BigInt,
        })
    }

    /// `obj[key]`, or `None` when it is `undefined`.
    pub fn get(&self, obj: Raw, key: &str) -> Result<Option<Raw>> {
        Ok(self.get_typed(obj, key)?.map(|(value, _)| value))
    }

    /// `obj[key]` with its type, or `None` when it is `undefined`.
    pub fn get_typed(&self, obj: Raw, key: &str) -> Result<Option<(Raw, Type)>> {
        // Keys are short property names: NUL-terminate them on the stack, not the heap.
        const SHORT: usize = 64;
        let mut short = [0u8; SHORT];
        let heap;
        let ckey: &CStr = if key.len() < SHORT && !key.as_bytes().contains(&0) {
            short[..key.len()].copy_from_slice(key.as_bytes());
            CStr::from_bytes_until_nul(&short)
                .map_err(|_| AdapterError::invalid(key, "is not a valid key"))?
        } else {
            heap =
                CString::new(key).map_err(|_| AdapterError::invalid(key, "is not a valid key"))?;
            &heap
        };
        let mut out = ptr::null_mut();
        check(
            unsafe { sys::napi_get_named_property(self.env, obj.0, ckey.as_ptr(), &mut out) },
            key,
        )?;
        Ok(match self.type_of(Raw(out))? {
            Type::Undefined => None,
            t => Some((Raw(out), t)),
        })
    }

    /// `obj[key]` for a key that is itself a JavaScript value.
    pub fn get_by(&self, obj: Raw, key: Raw) -> Result<Raw> {
        let mut out = ptr::null_mut();
        check(
            unsafe { sys::napi_get_property(self.env, obj.0, key.0, &mut out) },
            "a property",
        )?;
        Ok(Raw(out))
    }

    /// Reads a string value (the caller checked its type), refusing more than `max` bytes.
    ///
    /// Short strings (ids, emails, tokens: nearly every argument) are read in one N-API call
    /// into a stack buffer; longer ones are measured first, then copied.
    pub fn string(&self, value: Raw, field: impl FieldName, max: usize) -> Result<String> {
        const SHORT: usize = 256;
        let mut short = [0u8; SHORT];
        let mut written = 0usize;
        check(
            unsafe {
                sys::napi_get_value_string_utf8(
                    self.env,
                    value.0,
                    short.as_mut_ptr().cast(),
                    SHORT,
                    &mut written,
                )
            },
            field,
        )?;
        // N-API writes whole characters only, up to SHORT - 1 bytes: if there was still room
        // for the longest character (4 bytes), the string ended there.
        let whole = written + 4 < SHORT;
        let len = if whole {
            written
        } else {
            let mut len = 0usize;
            check(
                unsafe {
                    sys::napi_get_value_string_utf8(self.env, value.0, ptr::null_mut(), 0, &mut len)
                },
                field,
            )?;
            len
        };
        if len > max {
            return Err(AdapterError::invalid(
                field,
                format!("is {len} bytes long; at most {max} bytes are accepted"),
            ));
        }
        if whole {
            return utf8(short[..len].to_vec(), field);
        }
        let mut buf = vec![0u8; len + 1];
        check(
            unsafe {
                sys::napi_get_value_string_utf8(
                    self.env,
                    value.0,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    &mut written,
                )
            },
            field,
        )?;
        buf.truncate(written);
        utf8(buf, field)
    }

    /// Reads a number value (the caller checked its type).
    pub fn number(&self, value: Raw, field: impl FieldName) -> Result<f64> {
        let mut n = 0f64;
        check(
            unsafe { sys::napi_get_value_double(self.env, value.0, &mut n) },
            field,
        )?;
        Ok(n)
    }

    /// Reads a boolean value (the caller checked its type).
    pub fn boolean(&self, value: Raw, field: impl FieldName) -> Result<bool> {
        let mut b = false;
        check(
            unsafe { sys::napi_get_value_bool(self.env, value.0, &mut b) },
            field,
        )?;
        Ok(b)
    }

    /// The time value of a `Date`, or `None` when `value` is not a Date.
    pub fn date_value(&self, value: Raw) -> Result<Option<f64>> {
        let mut is_date = false;
        check(
            unsafe { sys::napi_is_date(self.env, value.0, &mut is_date) },
            "a value",
        )?;
        if !is_date {
            return Ok(None);
        }
        let mut t = 0f64;
        check(
            unsafe { sys::napi_get_date_value(self.env, value.0, &mut t) },
            "a Date",
        )?;
        Ok(Some(t))
    }

    /// True for arrays.
    pub fn is_array(&self, value: Raw) -> Result<bool> {
        let mut is = false;
        check(
            unsafe { sys::napi_is_array(self.env, value.0, &mut is) },
            "a value",
        )?;
        Ok(is)
    }

    /// The elements of an array.
    pub fn elements(&self, array: Raw, field: impl FieldName) -> Result<Vec<Raw>> {
        let mut len = 0u32;
        check(
            unsafe { sys::napi_get_array_length(self.env, array.0, &mut len) },
            field,
        )?;
        (0..len)
            .map(|i| {
                let mut out = ptr::null_mut();
                check(
                    unsafe { sys::napi_get_element(self.env, array.0, i, &mut out) },
                    field,
                )?;
                Ok(Raw(out))
            })
            .collect()
    }

    /// The own enumerable string keys of an object, each with its JavaScript key value.
    pub fn own_keys(&self, obj: Raw, field: impl FieldName) -> Result<Vec<(String, Raw)>> {
        let mut names = ptr::null_mut();
        check(
            unsafe {
                sys::napi_get_all_property_names(
                    self.env,
                    obj.0,
                    sys::KeyCollectionMode::own_only,
                    sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                    sys::KeyConversion::numbers_to_strings,
                    &mut names,
                )
            },
            field,
        )?;
        self.elements(Raw(names), field)?
            .into_iter()
            .map(|key| {
                Ok((
                    self.string(key, field, crate::core::fields::MAX_STRING_BYTES)?,
                    key,
                ))
            })
            .collect()
    }

    // ---- building values -------------------------------------------------------------

    /// A new empty object.
    pub fn object(&self) -> Result<Raw> {
        let mut out = ptr::null_mut();
        check(
            unsafe { sys::napi_create_object(self.env, &mut out) },
            "an object",
        )?;
        Ok(Raw(out))
    }

    /// A new array of `len` holes.
    pub fn array(&self, len: usize) -> Result<Raw> {
        let mut out = ptr::null_mut();
        check(
            unsafe { sys::napi_create_array_with_length(self.env, len, &mut out) },
            "an array",
        )?;
        Ok(Raw(out))
    }

    /// `array[index] = value`.
    pub fn set_element(&self, array: Raw, index: u32, value: Raw) -> Result<()> {
        check(
            unsafe { sys::napi_set_element(self.env, array.0, index, value.0) },
            "an element",
        )
    }

    /// `obj[key] = value` for a fixed, NUL-free key.
    pub fn set(&self, obj: Raw, key: &std::ffi::CStr, value: Raw) -> Result<()> {
        check(
            unsafe { sys::napi_set_named_property(self.env, obj.0, key.as_ptr(), value.0) },
            "a property",
        )
    }

    /// `obj[key] = value` for any key (used for app-defined keys).
    pub fn set_dynamic(&self, obj: Raw, key: &str, value: Raw) -> Result<()> {
        let key = self.str(key)?;
        check(
            unsafe { sys::napi_set_property(self.env, obj.0, key.0, value.0) },
            "a property",
        )
    }

    /// A string.
    pub fn str(&self, s: &str) -> Result<Raw> {
        let mut out = ptr::null_mut();
        check(
            unsafe {
                sys::napi_create_string_utf8(
                    self.env,
                    s.as_ptr().cast(),
                    s.len() as isize,
                    &mut out,
                )
            },
            "a string",
        )?;
        Ok(Raw(out))
    }

    /// A number.
    pub fn num(&self, n: f64) -> Result<Raw> {
        let mut out = ptr::null_mut();
        check(
            unsafe { sys::napi_create_double(self.env, n, &mut out) },
            "a number",
        )?;
        Ok(Raw(out))
    }

    /// `true` or `false`.
    pub fn bool(&self, b: bool) -> Result<Raw> {
        let mut out = ptr::null_mut();
        check(
            unsafe { sys::napi_get_boolean(self.env, b, &mut out) },
            "a boolean",
        )?;
        Ok(Raw(out))
    }

    /// `undefined`.
    pub fn undefined(&self) -> Result<Raw> {
        let mut out = ptr::null_mut();
        check(
            unsafe { sys::napi_get_undefined(self.env, &mut out) },
            "undefined",
        )?;
        Ok(Raw(out))
    }

    /// `null`.
    pub fn null(&self) -> Result<Raw> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::napi_get_null(self.env, &mut out) }, "null")?;
        Ok(Raw(out))
    }

    /// `f(...args)` with `this` undefined; a JavaScript exception it throws stays pending and
    /// surfaces as the call's error.
    pub fn call(&self, f: Raw, args: &[sys::napi_value]) -> Result<Raw> {
        let this = self.undefined()?;
        let mut out = ptr::null_mut();
        check(
            unsafe {
                sys::napi_call_function(self.env, this.0, f.0, args.len(), args.as_ptr(), &mut out)
            },
            "the result's assembler",
        )?;
        Ok(Raw(out))
    }

    /// A `Date` for epoch milliseconds.
    pub fn date(&self, ms: f64) -> Result<Raw> {
        let mut out = ptr::null_mut();
        check(
            unsafe { sys::napi_create_date(self.env, ms, &mut out) },
            "a Date",
        )?;
        Ok(Raw(out))
    }
}
