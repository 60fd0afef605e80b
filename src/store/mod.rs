//! Storage: everything that touches a database lives under this module.
//!
//! [`Store`] is the one interface the N-API surface talks to: one method per adapter
//! operation, taking model values and answering with model values. Two backends implement
//! it: embedded SQLite ([`sqlite::SqliteStore`]) and PostgreSQL ([`postgres::PgStore`]).
//! Each keeps its SQL, connections and threading to itself.

pub mod postgres;
pub mod sqlite;

use tokio::sync::oneshot;

use crate::config::{Backend, Config};
use crate::error::Result;
use crate::model::{
    Account, Authenticator, Millis, Session, SessionPatch, User, UserPatch, VerificationToken,
};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Receives the outcome of an operation that finishes on another thread.
pub type Reply<T> = Box<dyn FnOnce(Result<T>) + Send>;

/// How a store answers an operation.
pub enum Answer<T> {
    /// Already done on the calling thread (SQLite reads, and lone SQLite writes).
    Now(Result<T>),
    /// Still to do: the caller passes the [`Reply`] that gets the outcome, exactly once and
    /// possibly on another thread, after which the work starts.
    Later(Box<dyn FnOnce(Reply<T>) + Send>),
}

/// Rows removed by one prune.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Expired sessions removed.
    pub sessions: usize,
    /// Expired verification tokens removed.
    pub verification_tokens: usize,
}

/// The adapter operations on one database. `alone` marks a write that the JavaScript face
/// saw arrive with no other beside it (a backend may use it to skip queueing).
pub trait Store: Send + Sync {
    /// `createUser`.
    fn create_user(&self, user: User, alone: bool) -> Answer<User>;
    /// `getUser`.
    fn get_user(&self, id: String) -> Answer<Option<User>>;
    /// `getUserByEmail` (exact match).
    fn get_user_by_email(&self, email: String) -> Answer<Option<User>>;
    /// `getUserByAccount`.
    fn get_user_by_account(
        &self,
        provider: String,
        provider_account_id: String,
    ) -> Answer<Option<User>>;
    /// `updateUser`: `NOT_FOUND` for an unknown id.
    fn update_user(&self, patch: UserPatch, alone: bool) -> Answer<User>;
    /// `deleteUser`, with the user's accounts, sessions and authenticators.
    fn delete_user(&self, id: String, alone: bool) -> Answer<Option<User>>;
    /// `linkAccount`.
    fn link_account(&self, account: Account, alone: bool) -> Answer<Account>;
    /// `unlinkAccount`: the account removed, if any.
    fn unlink_account(
        &self,
        provider: String,
        provider_account_id: String,
        alone: bool,
    ) -> Answer<Option<Account>>;
    /// `getAccount`.
    fn get_account(&self, provider: String, provider_account_id: String)
        -> Answer<Option<Account>>;
    /// `createSession`.
    fn create_session(&self, session: Session, alone: bool) -> Answer<Session>;
    /// `getSessionAndUser`: one lookup.
    fn get_session_and_user(&self, session_token: String) -> Answer<Option<(Session, User)>>;
    /// `updateSession`: `None` for an unknown token.
    fn update_session(&self, patch: SessionPatch, alone: bool) -> Answer<Option<Session>>;
    /// `deleteSession`: the session removed, if any.
    fn delete_session(&self, session_token: String, alone: bool) -> Answer<Option<Session>>;
    /// `createVerificationToken`.
    fn create_verification_token(
        &self,
        token: VerificationToken,
        alone: bool,
    ) -> Answer<VerificationToken>;
    /// `useVerificationToken`: deletes and returns it; of racing callers exactly one gets it.
    fn use_verification_token(
        &self,
        identifier: String,
        token: String,
        alone: bool,
    ) -> Answer<Option<VerificationToken>>;
    /// Reads a verification token without using it up (NextAuth v3).
    fn peek_verification_token(
        &self,
        identifier: String,
        token: String,
    ) -> Answer<Option<VerificationToken>>;
    /// `createAuthenticator`.
    fn create_authenticator(
        &self,
        authenticator: Authenticator,
        alone: bool,
    ) -> Answer<Authenticator>;
    /// `getAuthenticator`.
    fn get_authenticator(&self, credential_id: String) -> Answer<Option<Authenticator>>;
    /// `listAuthenticatorsByUserId`, oldest first.
    fn list_authenticators_by_user_id(&self, user_id: String) -> Answer<Vec<Authenticator>>;
    /// `updateAuthenticatorCounter`: `NOT_FOUND` for an unknown credential.
    fn update_authenticator_counter(
        &self,
        credential_id: String,
        counter: i64,
        alone: bool,
    ) -> Answer<Authenticator>;
    /// Deletes expired sessions and verification tokens.
    fn prune(&self, alone: bool) -> Answer<Pruned>;
    /// Marks the start (`true`) or the end (`false`) of reads issued together in one run of
    /// JavaScript: a store may answer them from one snapshot. Reads after a write's answer
    /// must still see that write. Stores that gain nothing from it ignore it.
    fn reads_together(&self, _together: bool) {}
    /// Stops accepting calls; the receiver fires once calls in progress have finished and
    /// every connection is closed.
    fn close(&self) -> oneshot::Receiver<()>;
}

/// Opens the store the configuration names.
pub fn open(config: &Config) -> Result<Box<dyn Store>> {
    // (a replica is opened through `crate::replica::ReplicaStore` by `RustClientDb`)
    Ok(match &config.backend {
        Backend::Sqlite => Box::new(SqliteStore::open(config)?),
        Backend::Postgres(_) => Box::new(PgStore::open(config)?),
        Backend::Replica(_) => Box::new(crate::replica::ReplicaStore::open(config)?),
    })
}

/// The current time in epoch milliseconds.
pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}
