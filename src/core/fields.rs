//! Field names: how an input field is named in an error, the JavaScript field of each stored
//! column, and the size limit of one field.

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

/// The JavaScript property name of a column, for error messages (both backends name their
/// columns alike).
pub fn js_field_of_column(column: &str) -> &str {
    match column {
        "email_verified" => "emailVerified",
        "provider_account_id" => "providerAccountId",
        "user_id" => "userId",
        "session_token" | "session_token_hash" => "sessionToken",
        "credential_id" => "credentialID",
        "credential_public_key" => "credentialPublicKey",
        "credential_device_type" => "credentialDeviceType",
        "credential_backed_up" => "credentialBackedUp",
        other => other,
    }
}
