//! Rows as both backends store them (hashed session keys, sealed OAuth tokens, extras as
//! tagged JSON text): what replication copies from the hub to a replica, untouched.

use crate::core::model::{Account, Authenticator, Millis, User};

/// A `users` row: extras as their stored JSON text.
pub type StoredUser = User<Option<String>>;

/// An `accounts` row: extras as their stored JSON text, token columns as stored (sealed when
/// an encryption key is configured).
pub type StoredAccount = Account<Option<String>>;

/// A `sessions` row, keyed by the token's hash (not a [`crate::core::model::Session`], whose
/// key is the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub session_token_hash: String,
    pub user_id: String,
    pub expires: Millis,
}

/// The key of a replicated row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    User(String),
    Account(String, String),
    Session(String),
    Authenticator(String),
}

/// What a replica applies from one pull: rows to store (insert or replace) and keys to delete.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    /// A complete copy: every local row not in it is deleted.
    pub full: bool,
    /// The hub position this change set brings the replica to.
    pub position: String,
    pub users: Vec<StoredUser>,
    pub accounts: Vec<StoredAccount>,
    pub sessions: Vec<StoredSession>,
    pub authenticators: Vec<Authenticator>,
    pub deleted: Vec<Key>,
}

impl ChangeSet {
    /// How many rows it stores or deletes.
    pub fn len(&self) -> usize {
        self.users.len()
            + self.accounts.len()
            + self.sessions.len()
            + self.authenticators.len()
            + self.deleted.len()
    }

    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A write kept in the replica's outbox while the hub is unreachable, replayed by `push()`.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxOp {
    /// `updateSession` (by the token's hash: the file never holds a usable token).
    UpdateSession {
        session_token_hash: String,
        user_id: Option<String>,
        expires: Option<Millis>,
    },
    /// `deleteSession`.
    DeleteSession { session_token_hash: String },
    /// `deleteSession` of a session this replica's copy showed as expired: the hub deletes it
    /// only if it has expired there too (another server may have extended it meanwhile).
    DeleteExpiredSession { session_token_hash: String },
    /// `updateUser`.
    UpdateUser(crate::core::model::UserPatch),
}

impl OutboxOp {
    /// The kind of write and the key of the row it changes.
    pub fn target(&self) -> (&'static str, &str) {
        match self {
            OutboxOp::UpdateSession {
                session_token_hash, ..
            } => ("updateSession", session_token_hash),
            OutboxOp::DeleteSession { session_token_hash }
            | OutboxOp::DeleteExpiredSession { session_token_hash } => {
                ("deleteSession", session_token_hash)
            }
            OutboxOp::UpdateUser(patch) => ("updateUser", &patch.id),
        }
    }

    /// The JSON text the outbox stores. A `Patch::Keep` column is left out, `Clear` is `null`.
    pub fn encode(&self) -> String {
        use serde_json::{json, Map, Value};
        match self {
            OutboxOp::UpdateSession {
                session_token_hash,
                user_id,
                expires,
            } => json!({ "op": "updateSession", "hash": session_token_hash, "userId": user_id, "expires": expires }),
            OutboxOp::DeleteSession { session_token_hash } => {
                json!({ "op": "deleteSession", "hash": session_token_hash })
            }
            OutboxOp::DeleteExpiredSession { session_token_hash } => {
                json!({ "op": "deleteExpiredSession", "hash": session_token_hash })
            }
            OutboxOp::UpdateUser(patch) => {
                let mut out = Map::new();
                out.insert("op".into(), json!("updateUser"));
                out.insert("id".into(), json!(patch.id));
                let mut put = |key: &str, value: Option<Value>| {
                    if let Some(v) = value {
                        out.insert(key.into(), v);
                    }
                };
                put("name", patch_json(&patch.name));
                put("email", patch_json(&patch.email));
                put("emailVerified", patch_json(&patch.email_verified));
                put("image", patch_json(&patch.image));
                out.insert("extra".into(), Value::Object(patch.extra.clone()));
                Value::Object(out)
            }
        }
        .to_string()
    }

    /// Reads what [`OutboxOp::encode`] wrote.
    pub fn decode(text: &str) -> crate::core::error::Result<Self> {
        use crate::core::error::{AdapterError, ErrorCode};
        use serde_json::Value;
        let bad = || {
            AdapterError::new(
                ErrorCode::DbError,
                "the replica's outbox holds an unreadable entry",
            )
        };
        let v: Value = serde_json::from_str(text).map_err(|_| bad())?;
        let s = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
        Ok(match v.get("op").and_then(Value::as_str) {
            Some("updateSession") => OutboxOp::UpdateSession {
                session_token_hash: s("hash").ok_or_else(bad)?,
                user_id: s("userId"),
                expires: v.get("expires").and_then(Value::as_i64),
            },
            Some("deleteSession") => OutboxOp::DeleteSession {
                session_token_hash: s("hash").ok_or_else(bad)?,
            },
            Some("deleteExpiredSession") => OutboxOp::DeleteExpiredSession {
                session_token_hash: s("hash").ok_or_else(bad)?,
            },
            Some("updateUser") => {
                use crate::core::model::Patch;
                let text_patch = |key: &str| match v.get(key) {
                    None => Patch::Keep,
                    Some(Value::Null) => Patch::Clear,
                    Some(x) => x
                        .as_str()
                        .map(|t| Patch::Set(t.to_string()))
                        .unwrap_or(Patch::Keep),
                };
                crate::core::model::UserPatch {
                    id: s("id").ok_or_else(bad)?,
                    name: text_patch("name"),
                    email: text_patch("email"),
                    image: text_patch("image"),
                    email_verified: match v.get("emailVerified") {
                        None => Patch::Keep,
                        Some(Value::Null) => Patch::Clear,
                        Some(x) => x.as_i64().map(Patch::Set).unwrap_or(Patch::Keep),
                    },
                    extra: v
                        .get("extra")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                }
                .into()
            }
            _ => return Err(bad()),
        })
    }
}

impl From<crate::core::model::UserPatch> for OutboxOp {
    fn from(patch: crate::core::model::UserPatch) -> Self {
        OutboxOp::UpdateUser(patch)
    }
}

/// A patch column as JSON: `None` to leave it out.
fn patch_json<T: Clone + Into<serde_json::Value>>(
    patch: &crate::core::model::Patch<T>,
) -> Option<serde_json::Value> {
    use crate::core::model::Patch;
    match patch {
        Patch::Keep => None,
        Patch::Clear => Some(serde_json::Value::Null),
        Patch::Set(v) => Some(v.clone().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{Patch, UserPatch};

    #[test]
    fn outbox_entries_read_back_as_written() {
        let mut extra = crate::core::model::Extras::new();
        extra.insert("plan".into(), serde_json::json!("pro"));
        let ops = [
            OutboxOp::UpdateSession {
                session_token_hash: "h".into(),
                user_id: None,
                expires: Some(42),
            },
            OutboxOp::DeleteSession {
                session_token_hash: "h2".into(),
            },
            OutboxOp::DeleteExpiredSession {
                session_token_hash: "h3".into(),
            },
            OutboxOp::UpdateUser(UserPatch {
                id: "u1".into(),
                name: Patch::Clear,
                email: Patch::Set("a@b.c".into()),
                email_verified: Patch::Keep,
                image: Patch::Keep,
                extra,
            }),
        ];
        for op in ops {
            assert_eq!(OutboxOp::decode(&op.encode()).unwrap(), op);
        }
    }
}
