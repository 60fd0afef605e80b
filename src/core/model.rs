//! The Auth.js models as plain Rust values, independent of JavaScript and of SQL.
//!
//! Dates are epoch milliseconds (`i64`). Fields an app adds beyond the Auth.js models
//! (custom profile fields, provider-specific token fields) live in [`Extras`], already in
//! their stored, type-tagged JSON form (see `codec::extras`).

/// App-defined properties of a user or account, in stored (tagged JSON) form, in insertion order.
pub type Extras = serde_json::Map<String, serde_json::Value>;

/// Epoch milliseconds.
pub type Millis = i64;

/// A change to one nullable column in a partial update.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    /// The property was absent (or `undefined`): leave the column as it is.
    Keep,
    /// The property was `null`: clear the column.
    Clear,
    /// The property was given: store this value.
    Set(T),
}

impl<T> Patch<T> {
    /// True when the column must be written.
    pub fn is_change(&self) -> bool {
        !matches!(self, Patch::Keep)
    }

    /// The value to bind when the column is written.
    pub fn as_option(&self) -> Option<&T> {
        match self {
            Patch::Set(v) => Some(v),
            _ => None,
        }
    }
}

/// An Auth.js `AdapterUser`. `X` is how its extra properties are held: decoded ([`Extras`],
/// the default), or as the stored JSON text a replica copies untouched
/// (`crate::core::replication::rows::StoredUser`).
#[derive(Debug, Clone, PartialEq)]
pub struct User<X = Extras> {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<Millis>,
    pub image: Option<String>,
    pub extra: X,
}

/// `updateUser` input: the id plus the properties that change.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPatch {
    pub id: String,
    pub name: Patch<String>,
    pub email: Patch<String>,
    pub email_verified: Patch<Millis>,
    pub image: Patch<String>,
    /// Extra properties to set (a `null` value is stored as `null`).
    pub extra: Extras,
}

/// An Auth.js `AdapterAccount`. `X` is how its extra properties are held, as for [`User`].
#[derive(Debug, Clone, PartialEq)]
pub struct Account<X = Extras> {
    pub user_id: String,
    /// `"oauth" | "oidc" | "email" | "webauthn"`.
    pub kind: String,
    pub provider: String,
    pub provider_account_id: String,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    /// Seconds since the epoch, as the provider gave it.
    pub expires_at: Option<f64>,
    pub token_type: Option<String>,
    pub scope: Option<String>,
    pub id_token: Option<String>,
    pub session_state: Option<String>,
    pub extra: X,
}

/// An Auth.js `AdapterSession`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub session_token: String,
    pub user_id: String,
    pub expires: Millis,
}

/// Where a session was created from, as the app captured it (`withRequest` or the Express
/// middleware in the JavaScript face); each part is absent unless captured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOrigin {
    /// The `User-Agent` header of the request that signed in.
    pub user_agent: Option<String>,
    /// The client's address (possibly truncated), only when the app opted in.
    pub ip_address: Option<String>,
}

/// One of a user's sessions as `listSessions` shows it. It never holds the session token:
/// `id` is a random public id, safe to put in a web page, that lets nobody sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The public id (`revokeSession(userId, id)` takes it).
    pub id: String,
    pub user_id: String,
    pub expires: Millis,
    /// When the session was created; `None` for sessions created before version 5 stored it.
    pub created_at: Option<Millis>,
    /// The last write Auth.js made to the session (creation or extension).
    pub last_active_at: Option<Millis>,
    pub origin: SessionOrigin,
    /// Whether it is the session whose token the caller named as its own.
    pub current: bool,
}

/// `updateSession` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPatch {
    pub session_token: String,
    pub user_id: Option<String>,
    pub expires: Option<Millis>,
}

/// An Auth.js `VerificationToken` (the token is already hashed by Auth.js).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationToken {
    pub identifier: String,
    pub token: String,
    pub expires: Millis,
}

/// An Auth.js `AdapterAuthenticator` (a WebAuthn credential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticator {
    pub credential_id: String,
    pub user_id: String,
    pub provider_account_id: String,
    pub credential_public_key: String,
    pub counter: i64,
    pub credential_device_type: String,
    pub credential_backed_up: bool,
    pub transports: Option<String>,
}
