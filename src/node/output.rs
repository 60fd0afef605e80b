//! Model values to JavaScript objects.
//!
//! Shapes follow `@auth/core/adapters`: dates are `Date`s, booleans are booleans, numbers are
//! numbers. Optional columns that are empty (`NULL`) are left out, except
//! `user.emailVerified`, which Auth.js types as `Date | null` and is always present.
//! App-defined extras are spread onto the object with their original types. The hot reads
//! hand their columns to a JavaScript assembler instead ([`Columns`]), which follows the same
//! rules.

use napi::bindgen_prelude::ToNapiValue;
use napi::sys;
use serde_json::Value;

use super::js::{Js, Raw};
use crate::core::error::Result;
use crate::core::extras::{self, Decoded};
use crate::core::model::{
    Account, Authenticator, Extras, Session, SessionInfo, User, VerificationToken,
};

/// A value that can be built as a JavaScript value.
pub trait ToJs {
    /// Builds the JavaScript value.
    fn to_js(&self, js: &Js) -> Result<Raw>;
}

/// Wraps a [`ToJs`] value so N-API methods can return it (directly or in a Promise).
pub struct Out<T>(pub T);

impl<T: ToJs> ToNapiValue for Out<T> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let js = unsafe { Js::new(env) };
        Ok(val.0.to_js(&js)?.get())
    }
}

fn set_opt_str(js: &Js, obj: Raw, key: &std::ffi::CStr, value: &Option<String>) -> Result<()> {
    if let Some(v) = value {
        js.set(obj, key, js.str(v)?)?;
    }
    Ok(())
}

fn set_extras(js: &Js, obj: Raw, extra: &Extras) -> Result<()> {
    for (key, value) in extra {
        if key == "__proto__" {
            continue;
        }
        js.set_dynamic(obj, key, extra_to_js(js, value)?)?;
    }
    Ok(())
}

/// Builds the JavaScript value of one stored extra.
pub fn extra_to_js(js: &Js, value: &Value) -> Result<Raw> {
    match extras::decode(value) {
        Decoded::Null => js.null(),
        Decoded::Bool(b) => js.bool(b),
        Decoded::Number(n) => js.num(n),
        Decoded::String(s) => js.str(s),
        Decoded::Date(ms) => js.date(ms),
        Decoded::Array(items) => {
            let arr = js.array(items.len())?;
            for (i, item) in items.iter().enumerate() {
                js.set_element(arr, i as u32, extra_to_js(js, item)?)?;
            }
            Ok(arr)
        }
        Decoded::Object(entries) => {
            let obj = js.object()?;
            set_extras(js, obj, entries)?;
            Ok(obj)
        }
    }
}

/// The arguments of a call to a JavaScript function, at most [`Args::MAX`].
pub struct Args {
    values: [sys::napi_value; Args::MAX],
    len: usize,
}

impl Args {
    /// The most arguments an assembler takes (`assembleAccount`).
    pub const MAX: usize = 12;

    fn new() -> Self {
        Args {
            values: [std::ptr::null_mut(); Args::MAX],
            len: 0,
        }
    }

    fn push(&mut self, value: Raw) {
        self.values[self.len] = value.get();
        self.len += 1;
    }

    /// The arguments, in order.
    pub fn as_slice(&self) -> &[sys::napi_value] {
        &self.values[..self.len]
    }
}

/// A hot call's result as the columns its JavaScript assembler takes as arguments
/// (see `lib/assemble.js`).
///
/// Passing columns to one function call, which builds the object in JavaScript, costs about
/// a quarter of setting the same values one by one through N-API (each `napi_set_element` or
/// `napi_set_named_property` is a generic V8 store). A result that arrives later (PostgreSQL)
/// goes out as an array of the same columns, for the face to spread into the assembler.
pub trait Columns {
    /// The columns as JavaScript values.
    fn columns(&self, js: &Js) -> Result<Args>;
}

/// A user's columns: `id, name, email, emailVerified (ms), image, extras`, with `null` for
/// empty columns and `undefined` for no extras.
pub struct UserColumns(pub User);

/// `getSessionAndUser`'s columns: the [`SessionColumns`], then the [`UserColumns`].
pub struct SessionAndUserColumns(pub Session, pub User);

/// A session's columns: `sessionToken, userId, expires (ms)`.
pub struct SessionColumns(pub Session);

/// An account's columns: `userId, type, provider, providerAccountId, access_token,
/// refresh_token, expires_at, token_type, scope, id_token, session_state` (`null` when
/// absent), then its extras (an object, or `undefined` when it has none).
pub struct AccountColumns(pub Account);

/// A verification token's columns: `identifier, token, expires (ms)`.
pub struct VerificationTokenColumns(pub VerificationToken);

fn opt_str(js: &Js, value: &Option<String>) -> Result<Raw> {
    match value {
        Some(v) => js.str(v),
        None => js.null(),
    }
}

fn push_user(js: &Js, args: &mut Args, user: &User) -> Result<()> {
    args.push(js.str(&user.id)?);
    args.push(opt_str(js, &user.name)?);
    args.push(opt_str(js, &user.email)?);
    args.push(match user.email_verified {
        Some(ms) => js.num(ms as f64)?,
        None => js.null()?,
    });
    args.push(opt_str(js, &user.image)?);
    args.push(extras_object(js, &user.extra)?);
    Ok(())
}

/// Extras as one object for an assembler to spread, or `undefined` when there are none.
fn extras_object(js: &Js, extra: &Extras) -> Result<Raw> {
    if extra.is_empty() {
        return js.undefined();
    }
    let extras = js.object()?;
    set_extras(js, extras, extra)?;
    Ok(extras)
}

impl Columns for UserColumns {
    fn columns(&self, js: &Js) -> Result<Args> {
        let mut args = Args::new();
        push_user(js, &mut args, &self.0)?;
        Ok(args)
    }
}

fn push_session(js: &Js, args: &mut Args, session: &Session) -> Result<()> {
    args.push(js.str(&session.session_token)?);
    args.push(js.str(&session.user_id)?);
    args.push(js.num(session.expires as f64)?);
    Ok(())
}

impl Columns for SessionAndUserColumns {
    fn columns(&self, js: &Js) -> Result<Args> {
        let mut args = Args::new();
        push_session(js, &mut args, &self.0)?;
        push_user(js, &mut args, &self.1)?;
        Ok(args)
    }
}

impl Columns for SessionColumns {
    fn columns(&self, js: &Js) -> Result<Args> {
        let mut args = Args::new();
        push_session(js, &mut args, &self.0)?;
        Ok(args)
    }
}

impl Columns for AccountColumns {
    fn columns(&self, js: &Js) -> Result<Args> {
        let a = &self.0;
        let mut args = Args::new();
        args.push(js.str(&a.user_id)?);
        args.push(js.str(&a.kind)?);
        args.push(js.str(&a.provider)?);
        args.push(js.str(&a.provider_account_id)?);
        args.push(opt_str(js, &a.access_token)?);
        args.push(opt_str(js, &a.refresh_token)?);
        args.push(match a.expires_at {
            Some(at) => js.num(at)?,
            None => js.null()?,
        });
        args.push(opt_str(js, &a.token_type)?);
        args.push(opt_str(js, &a.scope)?);
        args.push(opt_str(js, &a.id_token)?);
        args.push(opt_str(js, &a.session_state)?);
        args.push(extras_object(js, &a.extra)?);
        Ok(args)
    }
}

impl Columns for VerificationTokenColumns {
    fn columns(&self, js: &Js) -> Result<Args> {
        let mut args = Args::new();
        args.push(js.str(&self.0.identifier)?);
        args.push(js.str(&self.0.token)?);
        args.push(js.num(self.0.expires as f64)?);
        Ok(args)
    }
}

/// Columns as one array (for results that arrive later); `None` as `null`.
pub struct ColumnArray<C>(pub Option<C>);

impl<C: Columns> ToJs for ColumnArray<C> {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        let Some(found) = &self.0 else {
            return js.null();
        };
        let args = found.columns(js)?;
        let arr = js.array(args.as_slice().len())?;
        for (i, value) in args.as_slice().iter().enumerate() {
            // SAFETY: every value was just created in this call.
            js.set_element(arr, i as u32, unsafe { Raw::new(*value) })?;
        }
        Ok(arr)
    }
}

/// Calls `assemble` with the columns of `found` and answers what it returns; `null` when
/// nothing was found.
pub fn assembled<C: Columns>(js: &Js, found: Option<C>, assemble: Raw) -> Result<Raw> {
    match found {
        None => js.null(),
        Some(found) => js.call(assemble, found.columns(js)?.as_slice()),
    }
}

impl ToJs for Account {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        let obj = js.object()?;
        js.set(obj, c"userId", js.str(&self.user_id)?)?;
        js.set(obj, c"type", js.str(&self.kind)?)?;
        js.set(obj, c"provider", js.str(&self.provider)?)?;
        js.set(
            obj,
            c"providerAccountId",
            js.str(&self.provider_account_id)?,
        )?;
        set_opt_str(js, obj, c"access_token", &self.access_token)?;
        set_opt_str(js, obj, c"refresh_token", &self.refresh_token)?;
        if let Some(at) = self.expires_at {
            js.set(obj, c"expires_at", js.num(at)?)?;
        }
        set_opt_str(js, obj, c"token_type", &self.token_type)?;
        set_opt_str(js, obj, c"scope", &self.scope)?;
        set_opt_str(js, obj, c"id_token", &self.id_token)?;
        set_opt_str(js, obj, c"session_state", &self.session_state)?;
        set_extras(js, obj, &self.extra)?;
        Ok(obj)
    }
}

impl ToJs for VerificationToken {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        let obj = js.object()?;
        js.set(obj, c"identifier", js.str(&self.identifier)?)?;
        js.set(obj, c"token", js.str(&self.token)?)?;
        js.set(obj, c"expires", js.date(self.expires as f64)?)?;
        Ok(obj)
    }
}

impl ToJs for SessionInfo {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        let obj = js.object()?;
        let date = |ms: Option<i64>| match ms {
            Some(ms) => js.date(ms as f64),
            None => js.null(),
        };
        js.set(obj, c"id", js.str(&self.id)?)?;
        js.set(obj, c"userId", js.str(&self.user_id)?)?;
        js.set(obj, c"expires", js.date(self.expires as f64)?)?;
        js.set(obj, c"createdAt", date(self.created_at)?)?;
        js.set(obj, c"lastActiveAt", date(self.last_active_at)?)?;
        js.set(obj, c"userAgent", opt_str(js, &self.origin.user_agent)?)?;
        js.set(obj, c"ipAddress", opt_str(js, &self.origin.ip_address)?)?;
        js.set(obj, c"current", js.bool(self.current)?)?;
        Ok(obj)
    }
}

impl ToJs for Authenticator {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        let obj = js.object()?;
        js.set(obj, c"credentialID", js.str(&self.credential_id)?)?;
        js.set(obj, c"userId", js.str(&self.user_id)?)?;
        js.set(
            obj,
            c"providerAccountId",
            js.str(&self.provider_account_id)?,
        )?;
        js.set(
            obj,
            c"credentialPublicKey",
            js.str(&self.credential_public_key)?,
        )?;
        js.set(obj, c"counter", js.num(self.counter as f64)?)?;
        js.set(
            obj,
            c"credentialDeviceType",
            js.str(&self.credential_device_type)?,
        )?;
        js.set(
            obj,
            c"credentialBackedUp",
            js.bool(self.credential_backed_up)?,
        )?;
        let transports = match &self.transports {
            Some(t) => js.str(t)?,
            None => js.null()?,
        };
        js.set(obj, c"transports", transports)?;
        Ok(obj)
    }
}

impl ToJs for crate::core::store::Pruned {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        let obj = js.object()?;
        js.set(obj, c"sessions", js.num(self.sessions as f64)?)?;
        js.set(
            obj,
            c"verificationTokens",
            js.num(self.verification_tokens as f64)?,
        )?;
        js.set(
            obj,
            c"total",
            js.num((self.sessions + self.verification_tokens) as f64)?,
        )?;
        Ok(obj)
    }
}

impl ToJs for crate::core::replication::Registration {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        let token = js.object()?;
        js.set(token, c"value", js.str(&self.pubsub_token)?)?;
        js.set(token, c"expiresAt", js.num(self.expires_at as f64)?)?;
        let obj = js.object()?;
        js.set(obj, c"deviceId", js.str(&self.device_id)?)?;
        js.set(obj, c"pubsubToken", token)?;
        js.set(obj, c"endpoints", self.endpoints.to_js(js)?)?;
        Ok(obj)
    }
}

impl ToJs for String {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        js.str(self)
    }
}

impl ToJs for usize {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        js.num(*self as f64)
    }
}

/// `undefined`, for operations that answer nothing.
impl ToJs for () {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        js.undefined()
    }
}

impl<T: ToJs> ToJs for Vec<T> {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        let arr = js.array(self.len())?;
        for (i, item) in self.iter().enumerate() {
            js.set_element(arr, i as u32, item.to_js(js)?)?;
        }
        Ok(arr)
    }
}

impl<T: ToJs> ToJs for Option<T> {
    fn to_js(&self, js: &Js) -> Result<Raw> {
        match self {
            Some(v) => v.to_js(js),
            None => js.null(),
        }
    }
}
