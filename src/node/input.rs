//! JavaScript arguments to model values. Every check names the offending field.

use serde_json::{Map, Value};

use super::js::{Js, Raw, Type};
use crate::core::error::{AdapterError, Result};
use crate::core::fields::{FieldName, Property, MAX_STRING_BYTES};
use crate::core::model::{
    Account, Authenticator, Extras, Millis, Patch, Session, SessionOrigin, SessionPatch, User,
    UserPatch, VerificationToken,
};
use crate::core::{dates, extras};

/// Deepest nesting accepted inside an extra property (also stops cyclic objects).
pub const MAX_EXTRA_DEPTH: usize = 32;

/// Keys that would change an object's prototype if written back, refused everywhere.
const FORBIDDEN_KEY: &str = "__proto__";

/// The properties of one input object, read through the checks below.
struct Fields<'a> {
    js: &'a Js,
    obj: Raw,
    entity: &'static str,
    /// Properties the JavaScript face already read, taken instead of reading them again.
    read: &'a [(&'static str, Raw)],
    /// False when the face found no property beyond the known ones, so there are no extras
    /// to look for (see [`Extras`]).
    extras_possible: bool,
}

/// Properties of an argument that the JavaScript face read itself and passed beside it
/// (`token?.identifier`, ...): on a hot call a property read in JavaScript costs a fraction of
/// one through N-API, which interns the key on every call.
pub type ReadByFace<'a> = &'a [(&'static str, Raw)];

fn expect_object(js: &Js, value: Raw, entity: &'static str) -> Result<Raw> {
    match js.type_of(value)? {
        Type::Object if js.date_value(value)?.is_none() && !js.is_array(value)? => Ok(value),
        t => Err(AdapterError::invalid(
            entity,
            format!("must be an object (got {})", describe(js, value, t)),
        )),
    }
}

fn describe(js: &Js, value: Raw, t: Type) -> &'static str {
    if t == Type::Object {
        if js.date_value(value).ok().flatten().is_some() {
            return "Date";
        }
        if js.is_array(value).unwrap_or(false) {
            return "array";
        }
    }
    t.name()
}

impl<'a> Fields<'a> {
    fn new(js: &'a Js, value: Raw, entity: &'static str) -> Result<Self> {
        Ok(Fields {
            js,
            obj: expect_object(js, value, entity)?,
            entity,
            read: &[],
            extras_possible: true,
        })
    }

    /// Runs `parse` over the properties in `read` (every key `parse` asks for must be there),
    /// without touching `value`; when that fails, runs it again over `value` itself, so errors
    /// read exactly as for an argument passed alone (object check first, same field names).
    fn parse_read<T>(
        js: &'a Js,
        value: Raw,
        entity: &'static str,
        read: ReadByFace<'a>,
        parse: impl Fn(&Fields) -> Result<T>,
    ) -> Result<T> {
        Self::parse_read_known(js, value, entity, read, true, parse)
    }

    /// [`Self::parse_read`], told by the face whether `value` may hold properties beyond
    /// the known ones (`false` skips enumerating its keys for extras).
    fn parse_read_known<T>(
        js: &'a Js,
        value: Raw,
        entity: &'static str,
        read: ReadByFace<'a>,
        extras_possible: bool,
        parse: impl Fn(&Fields) -> Result<T>,
    ) -> Result<T> {
        let taken = Fields {
            js,
            obj: value,
            entity,
            read,
            extras_possible,
        };
        parse(&taken).or_else(|_| parse(&Fields::new(js, value, entity)?))
    }

    fn name<'k>(&self, key: &'k str) -> Property<'k> {
        Property {
            entity: self.entity,
            key,
        }
    }

    fn raw(&self, key: &str) -> Result<Option<(Raw, Type)>> {
        match self.read.iter().find(|(read, _)| *read == key) {
            Some(&(_, value)) => Ok(match self.js.type_of(value)? {
                Type::Undefined => None,
                t => Some((value, t)),
            }),
            None => self.js.get_typed(self.obj, key),
        }
    }

    /// A string that must be present and non-empty.
    fn required_string(&self, key: &str) -> Result<String> {
        match self.raw(key)? {
            Some((v, Type::String)) => non_empty(
                self.js.string(v, self.name(key), MAX_STRING_BYTES)?,
                self.name(key),
            ),
            Some((v, t)) => Err(AdapterError::invalid(
                self.name(key),
                format!("must be a string (got {})", describe(self.js, v, t)),
            )),
            None => Err(AdapterError::invalid(self.name(key), "is required")),
        }
    }

    /// A string, `null` or absent.
    fn optional_string(&self, key: &str) -> Result<Patch<String>> {
        match self.raw(key)? {
            None => Ok(Patch::Keep),
            Some((_, Type::Null)) => Ok(Patch::Clear),
            Some((v, Type::String)) => Ok(Patch::Set(self.js.string(
                v,
                self.name(key),
                MAX_STRING_BYTES,
            )?)),
            Some((v, t)) => Err(AdapterError::invalid(
                self.name(key),
                format!("must be a string or null (got {})", describe(self.js, v, t)),
            )),
        }
    }

    /// A date that must be present.
    fn required_date(&self, key: &str) -> Result<Millis> {
        match self.optional_date(key)? {
            Patch::Set(ms) => Ok(ms),
            _ => Err(AdapterError::invalid(
                self.name(key),
                "is required (a Date, an ISO-8601 string or epoch milliseconds)",
            )),
        }
    }

    /// A date, `null` or absent.
    fn optional_date(&self, key: &str) -> Result<Patch<Millis>> {
        let field = self.name(key);
        match self.raw(key)? {
            None => Ok(Patch::Keep),
            Some((_, Type::Null)) => Ok(Patch::Clear),
            Some((v, t)) => Ok(Patch::Set(date(self.js, v, t, field)?)),
        }
    }

    /// Every own enumerable property not in `known`, encoded for storage.
    fn extras(&self, known: &[&str]) -> Result<Extras> {
        let mut out = Extras::new();
        if !self.extras_possible {
            return Ok(out);
        }
        for (key, key_value) in self.js.own_keys(self.obj, self.entity)? {
            if key == FORBIDDEN_KEY {
                return Err(AdapterError::invalid(
                    self.name(&key),
                    "is not allowed as a property name",
                ));
            }
            if known.contains(&key.as_str()) {
                continue;
            }
            let value = self.js.get_by(self.obj, key_value)?;
            let path = self.name(&key).to_string();
            if let Some(encoded) = extra_value(self.js, value, &path, 0)? {
                out.insert(key, encoded);
            }
        }
        Ok(out)
    }
}

fn non_empty(s: String, field: impl FieldName) -> Result<String> {
    if s.is_empty() {
        Err(AdapterError::invalid(field, "must not be empty"))
    } else {
        Ok(s)
    }
}

fn date(js: &Js, v: Raw, t: Type, field: impl FieldName) -> Result<Millis> {
    match t {
        Type::Object => match js.date_value(v)? {
            Some(ms) => dates::from_millis(ms, field),
            None => Err(AdapterError::invalid(
                field,
                format!(
                    "must be a Date, an ISO-8601 string or epoch milliseconds (got {})",
                    describe(js, v, t)
                ),
            )),
        },
        Type::String => dates::from_iso(&js.string(v, field, 64)?, field),
        Type::Number => dates::from_millis(js.number(v, field)?, field),
        _ => Err(AdapterError::invalid(
            field,
            format!(
                "must be a Date, an ISO-8601 string or epoch milliseconds (got {})",
                t.name()
            ),
        )),
    }
}

/// Encodes one app-defined value; `None` for `undefined` (dropped, as JSON does).
pub fn extra_value(js: &Js, v: Raw, path: &str, depth: usize) -> Result<Option<Value>> {
    if depth > MAX_EXTRA_DEPTH {
        return Err(AdapterError::invalid(
            path,
            format!("is nested more than {MAX_EXTRA_DEPTH} levels deep (or refers to itself)"),
        ));
    }
    let t = js.type_of(v)?;
    Ok(Some(match t {
        Type::Undefined => return Ok(None),
        Type::Null => Value::Null,
        Type::Boolean => Value::Bool(js.boolean(v, path)?),
        Type::Number => extras::number(js.number(v, path)?),
        Type::String => Value::String(js.string(v, path, MAX_STRING_BYTES)?),
        Type::Object => {
            if let Some(ms) = js.date_value(v)? {
                extras::date(dates::from_millis(ms, path)? as f64)
            } else if js.is_array(v)? {
                let mut items = Vec::new();
                for (i, item) in js.elements(v, path)?.into_iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    items.push(extra_value(js, item, &item_path, depth + 1)?.unwrap_or(Value::Null));
                }
                Value::Array(items)
            } else {
                let mut entries = Map::new();
                for (key, key_value) in js.own_keys(v, path)? {
                    let key_path = format!("{path}.{key}");
                    if key == FORBIDDEN_KEY {
                        return Err(AdapterError::invalid(&key_path, "is not allowed as a property name"));
                    }
                    let item = js.get_by(v, key_value)?;
                    if let Some(encoded) = extra_value(js, item, &key_path, depth + 1)? {
                        entries.insert(key, encoded);
                    }
                }
                extras::object(entries)
            }
        }
        other => {
            return Err(AdapterError::invalid(
                path,
                format!("cannot be stored (got a {}); use strings, numbers, booleans, null, Dates, arrays or plain objects", other.name()),
            ))
        }
    }))
}

/// A single string argument such as `getUser(id)`.
pub fn string_arg(js: &Js, v: Raw, field: impl FieldName) -> Result<String> {
    match js.type_of(v)? {
        Type::String => non_empty(js.string(v, field, MAX_STRING_BYTES)?, field),
        t => Err(AdapterError::invalid(
            field,
            format!("must be a string (got {})", describe(js, v, t)),
        )),
    }
}

/// The properties of a user that are not extras.
pub const USER_KEYS: &[&str] = &["id", "name", "email", "emailVerified", "image"];

/// The request a session is created from, as the face captured it: `undefined` (nothing
/// captured) or `{ userAgent?, ipAddress? }`.
pub fn session_origin(js: &Js, v: Raw) -> Result<SessionOrigin> {
    if matches!(js.type_of(v)?, Type::Undefined | Type::Null) {
        return Ok(SessionOrigin::default());
    }
    let f = Fields::new(js, v, "origin")?;
    Ok(SessionOrigin {
        user_agent: f.optional_string("userAgent")?.as_option().cloned(),
        ip_address: f.optional_string("ipAddress")?.as_option().cloned(),
    })
}

/// `revokeUserSessions`'s users: one id, or an array of ids (a ban wave).
pub fn user_ids(js: &Js, v: Raw) -> Result<Vec<String>> {
    if js.type_of(v)? == Type::Object && js.is_array(v)? {
        return js
            .elements(v, "userIds")?
            .into_iter()
            .enumerate()
            .map(|(i, item)| string_arg(js, item, &format!("userIds[{i}]")))
            .collect();
    }
    match js.type_of(v)? {
        Type::String => Ok(vec![string_arg(js, v, "userId")?]),
        t => Err(AdapterError::invalid(
            "userId",
            format!(
                "must be a user id string or an array of them (got {})",
                describe(js, v, t)
            ),
        )),
    }
}

/// `revokeUserSessions`'s options: `undefined` or `{ except?: sessionToken }`.
pub fn revoke_options(js: &Js, v: Raw) -> Result<Option<String>> {
    token_option(js, v, "except")
}

/// `listSessions`'s options: `undefined` or `{ current?: sessionToken }`.
pub fn list_options(js: &Js, v: Raw) -> Result<Option<String>> {
    token_option(js, v, "current")
}

/// An options object whose one known option, `key`, is a session token.
fn token_option(js: &Js, v: Raw, key: &'static str) -> Result<Option<String>> {
    if js.type_of(v)? == Type::Undefined {
        return Ok(None);
    }
    let f = Fields::new(js, v, "options")?;
    for (name, _) in js.own_keys(f.obj, "options")? {
        if name != key {
            return Err(AdapterError::invalid(
                f.name(&name),
                format!("is not a known option (expected {key})"),
            ));
        }
    }
    match f.optional_string(key)? {
        Patch::Set(token) => Ok(Some(non_empty(token, f.name(key))?)),
        Patch::Keep => Ok(None),
        Patch::Clear => Err(AdapterError::invalid(
            f.name(key),
            "must be a session token string (got null)",
        )),
    }
}

/// A declared replica schema: `{ version?: number, user?: { [column]: type } }`.
pub fn declared_schema(
    js: &Js,
    v: Raw,
) -> Result<crate::core::replication::schema::DeclaredSchema> {
    use crate::core::replication::schema::{check_column_name, ColumnType, DeclaredSchema};
    if js.type_of(v)? != Type::Object || js.is_array(v)? {
        return Err(AdapterError::invalid(
            "schema",
            "must be an object like { user: { role: \"text\" } }",
        ));
    }
    let mut declared = DeclaredSchema::default();
    for (key, _) in js.own_keys(v, "schema")? {
        let field = format!("schema.{key}");
        let Some(value) = js.get(v, &key)? else {
            continue;
        };
        match key.as_str() {
            "version" => {
                let n = js.number(value, &field)?;
                if !(n.is_finite() && n.fract() == 0.0 && n >= 0.0) {
                    return Err(AdapterError::invalid(
                        &field,
                        "must be a non-negative integer",
                    ));
                }
                declared.version = Some(n as i64);
            }
            "user" => {
                if js.type_of(value)? != Type::Object || js.is_array(value)? {
                    return Err(AdapterError::invalid(
                        &field,
                        "must be an object of column names to types",
                    ));
                }
                for (column, _) in js.own_keys(value, &field)? {
                    let column_field = format!("{field}.{column}");
                    let Some(kind) = js.get(value, &column)? else {
                        continue;
                    };
                    check_column_name(&column_field, &column)?;
                    let kind = js.string(kind, &column_field, 16)?;
                    declared
                        .user_columns
                        .push((column, ColumnType::parse(&column_field, &kind)?));
                }
            }
            _ => {
                return Err(AdapterError::invalid(
                    &field,
                    "is not known (expected version and user)",
                ))
            }
        }
    }
    Ok(declared)
}

/// A non-empty array of strings (e.g. `endpoints`).
pub fn string_list(js: &Js, v: Raw, field: &str) -> Result<Vec<String>> {
    if !js.is_array(v)? {
        return Err(AdapterError::invalid(field, "must be an array of strings"));
    }
    let items = js.elements(v, field)?;
    if items.is_empty() {
        return Err(AdapterError::invalid(field, "must not be empty"));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| string_arg(js, item, &format!("{field}[{i}]")))
        .collect()
}

/// `createUser` input. A missing id gets a random UUID.
pub fn user(js: &Js, v: Raw) -> Result<User> {
    user_of(&Fields::new(js, v, "user")?)
}

/// `createUser` input, with its known properties as the face read them, and whether the face
/// saw any other property (`extras_possible`).
pub fn user_read(js: &Js, v: Raw, read: ReadByFace, extras_possible: bool) -> Result<User> {
    // Every property of a user is optional: without this check a non-object would read as
    // an empty user instead of failing as one.
    expect_object(js, v, "user")?;
    Fields::parse_read_known(js, v, "user", read, extras_possible, user_of)
}

fn user_of(f: &Fields) -> Result<User> {
    let id = match f.optional_string("id")? {
        Patch::Set(id) => non_empty(id, "user.id")?,
        _ => uuid::Uuid::new_v4().to_string(),
    };
    Ok(User {
        id,
        name: f.optional_string("name")?.as_option().cloned(),
        email: f.optional_string("email")?.as_option().cloned(),
        email_verified: f.optional_date("emailVerified")?.as_option().copied(),
        image: f.optional_string("image")?.as_option().cloned(),
        extra: f.extras(USER_KEYS)?,
    })
}

/// `updateUser` input: the id and whatever changes.
pub fn user_patch(js: &Js, v: Raw) -> Result<UserPatch> {
    let f = Fields::new(js, v, "user")?;
    Ok(UserPatch {
        id: f.required_string("id")?,
        name: f.optional_string("name")?,
        email: f.optional_string("email")?,
        email_verified: f.optional_date("emailVerified")?,
        image: f.optional_string("image")?,
        extra: f.extras(USER_KEYS)?,
    })
}

/// The properties of an account that are not extras.
pub const ACCOUNT_KEYS: &[&str] = &[
    "userId",
    "type",
    "provider",
    "providerAccountId",
    "access_token",
    "refresh_token",
    "expires_at",
    "token_type",
    "scope",
    "id_token",
    "session_state",
];

/// `linkAccount` input. Provider-specific fields are kept as extras.
pub fn account(js: &Js, v: Raw) -> Result<Account> {
    account_of(&Fields::new(js, v, "account")?)
}

/// `linkAccount` input, with its known properties as the face read them, and whether the
/// face saw any other property (`extras_possible`).
pub fn account_read(js: &Js, v: Raw, read: ReadByFace, extras_possible: bool) -> Result<Account> {
    expect_object(js, v, "account")?;
    Fields::parse_read_known(js, v, "account", read, extras_possible, account_of)
}

fn account_of(f: &Fields) -> Result<Account> {
    let js = f.js;
    let expires_at = match f.raw("expires_at")? {
        None | Some((_, Type::Null)) => None,
        Some((v, Type::Number)) => {
            let n = js.number(v, "account.expires_at")?;
            if !n.is_finite() {
                return Err(AdapterError::invalid(
                    "account.expires_at",
                    "must be a finite number of seconds since the epoch",
                ));
            }
            Some(n)
        }
        Some((v, t)) => {
            return Err(AdapterError::invalid(
                "account.expires_at",
                format!(
                    "must be a number of seconds since the epoch (got {})",
                    describe(js, v, t)
                ),
            ))
        }
    };
    let opt =
        |key: &str| -> Result<Option<String>> { Ok(f.optional_string(key)?.as_option().cloned()) };
    Ok(Account {
        user_id: f.required_string("userId")?,
        kind: f.required_string("type")?,
        provider: f.required_string("provider")?,
        provider_account_id: f.required_string("providerAccountId")?,
        access_token: opt("access_token")?,
        refresh_token: opt("refresh_token")?,
        expires_at,
        token_type: opt("token_type")?,
        scope: opt("scope")?,
        id_token: opt("id_token")?,
        session_state: opt("session_state")?,
        extra: f.extras(ACCOUNT_KEYS)?,
    })
}

/// `{ provider, providerAccountId }`.
pub fn account_key(js: &Js, v: Raw) -> Result<(String, String)> {
    account_key_of(&Fields::new(js, v, "account")?)
}

/// [`account_key`] with the two properties the face read (`provider`, `providerAccountId`).
pub fn account_key_read(js: &Js, v: Raw, provider: Raw, id: Raw) -> Result<(String, String)> {
    let read = [("provider", provider), ("providerAccountId", id)];
    Fields::parse_read(js, v, "account", &read, account_key_of)
}

fn account_key_of(f: &Fields) -> Result<(String, String)> {
    Ok((
        f.required_string("provider")?,
        f.required_string("providerAccountId")?,
    ))
}

/// `createSession` input, with its `sessionToken`, `userId` and `expires` as the face read them.
pub fn session(js: &Js, v: Raw, read: ReadByFace) -> Result<Session> {
    Fields::parse_read(js, v, "session", read, |f| {
        Ok(Session {
            session_token: f.required_string("sessionToken")?,
            user_id: f.required_string("userId")?,
            expires: f.required_date("expires")?,
        })
    })
}

/// `updateSession` input, with its `sessionToken`, `userId` and `expires` as the face read them.
pub fn session_patch(js: &Js, v: Raw, read: ReadByFace) -> Result<SessionPatch> {
    Fields::parse_read(js, v, "session", read, session_patch_of)
}

fn session_patch_of(f: &Fields) -> Result<SessionPatch> {
    let user_id = match f.optional_string("userId")? {
        Patch::Set(id) => Some(non_empty(id, "session.userId")?),
        Patch::Keep => None,
        Patch::Clear => return Err(AdapterError::invalid("session.userId", "must not be null")),
    };
    let expires = match f.optional_date("expires")? {
        Patch::Set(ms) => Some(ms),
        Patch::Keep => None,
        Patch::Clear => return Err(AdapterError::invalid("session.expires", "must not be null")),
    };
    Ok(SessionPatch {
        session_token: f.required_string("sessionToken")?,
        user_id,
        expires,
    })
}

/// `createVerificationToken` input, with its `identifier`, `token` and `expires` as the face
/// read them.
pub fn verification_token(js: &Js, v: Raw, read: ReadByFace) -> Result<VerificationToken> {
    Fields::parse_read(js, v, "verificationToken", read, |f| {
        Ok(VerificationToken {
            identifier: f.required_string("identifier")?,
            token: f.required_string("token")?,
            expires: f.required_date("expires")?,
        })
    })
}

/// `useVerificationToken` input: `{ identifier, token }`.
pub fn token_key(js: &Js, v: Raw) -> Result<(String, String)> {
    token_key_of(&Fields::new(js, v, "verificationToken")?)
}

/// [`token_key`] with `identifier` and `token` as the face read them.
pub fn token_key_read(js: &Js, v: Raw, read: ReadByFace) -> Result<(String, String)> {
    Fields::parse_read(js, v, "verificationToken", read, token_key_of)
}

fn token_key_of(f: &Fields) -> Result<(String, String)> {
    Ok((
        f.required_string("identifier")?,
        f.required_string("token")?,
    ))
}

/// A WebAuthn signature counter: a non-negative safe integer.
pub fn counter(js: &Js, v: Raw, field: &str) -> Result<i64> {
    match js.type_of(v)? {
        Type::Number => {
            let n = js.number(v, field)?;
            if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 {
                Ok(n as i64)
            } else {
                Err(AdapterError::invalid(
                    field,
                    format!("must be a non-negative integer (got {n})"),
                ))
            }
        }
        t => Err(AdapterError::invalid(
            field,
            format!("must be a number (got {})", describe(js, v, t)),
        )),
    }
}

/// `createAuthenticator` input.
pub fn authenticator(js: &Js, v: Raw) -> Result<Authenticator> {
    let f = Fields::new(js, v, "authenticator")?;
    let counter = match f.raw("counter")? {
        Some((v, _)) => counter(js, v, "authenticator.counter")?,
        None => {
            return Err(AdapterError::invalid(
                "authenticator.counter",
                "is required",
            ))
        }
    };
    let backed_up = match f.raw("credentialBackedUp")? {
        Some((v, Type::Boolean)) => js.boolean(v, "authenticator.credentialBackedUp")?,
        Some((v, t)) => {
            return Err(AdapterError::invalid(
                "authenticator.credentialBackedUp",
                format!("must be a boolean (got {})", describe(js, v, t)),
            ))
        }
        None => {
            return Err(AdapterError::invalid(
                "authenticator.credentialBackedUp",
                "is required",
            ))
        }
    };
    Ok(Authenticator {
        credential_id: f.required_string("credentialID")?,
        user_id: f.required_string("userId")?,
        provider_account_id: f.required_string("providerAccountId")?,
        credential_public_key: f.required_string("credentialPublicKey")?,
        counter,
        credential_device_type: f.required_string("credentialDeviceType")?,
        credential_backed_up: backed_up,
        transports: f.optional_string("transports")?.as_option().cloned(),
    })
}
