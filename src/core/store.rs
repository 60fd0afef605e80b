//! The [`Store`] trait: the one interface the N-API surface talks to, one method per adapter
//! operation, taking model values and answering with model values. Three stores implement
//! it: embedded SQLite (`crate::sqlite::SqliteStore`), PostgreSQL (`crate::postgres::PgStore`)
//! and a local-first replica of a PostgreSQL hub (`crate::replica::ReplicaStore`). Each keeps
//! its SQL, connections and threading to itself.

use tokio::sync::oneshot;

use crate::core::error::Result;
use crate::core::model::{
    Account, Authenticator, Millis, Session, SessionInfo, SessionOrigin, SessionPatch, User,
    UserPatch, VerificationToken,
};

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

/// How a write reached the store: the JavaScript face groups the writes called in one run of
/// code (see `lib/scheduling.js`), and tells each which it was.
///
/// A backend may use it to choose how to commit: SQLite runs a write that came [`Alone`]
/// at once on the calling thread when its writer thread is idle (a thread hop each way costs
/// more than the write), and hands writes that came [`Together`] to its writer thread, which
/// commits them in one transaction. PostgreSQL and replicas send every write to the server
/// the same way, and ignore it. Either way a write is answered only once it has committed.
///
/// [`Alone`]: Arrival::Alone
/// [`Together`]: Arrival::Together
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// No other write was called beside it.
    Alone,
    /// Other writes were called in the same run of code.
    Together,
}

/// Rows removed by one prune.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Expired sessions removed.
    pub sessions: usize,
    /// Expired verification tokens removed.
    pub verification_tokens: usize,
}

/// The adapter operations on one database. Each write says how it arrived ([`Arrival`]).
pub trait Store: Send + Sync {
    /// `createUser`.
    fn create_user(&self, user: User, arrival: Arrival) -> Answer<User>;
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
    fn update_user(&self, patch: UserPatch, arrival: Arrival) -> Answer<User>;
    /// `deleteUser`, with the user's accounts, sessions and authenticators.
    fn delete_user(&self, id: String, arrival: Arrival) -> Answer<Option<User>>;
    /// `linkAccount`.
    fn link_account(&self, account: Account, arrival: Arrival) -> Answer<Account>;
    /// `unlinkAccount`: the account removed, if any.
    fn unlink_account(
        &self,
        provider: String,
        provider_account_id: String,
        arrival: Arrival,
    ) -> Answer<Option<Account>>;
    /// `getAccount`.
    fn get_account(&self, provider: String, provider_account_id: String)
        -> Answer<Option<Account>>;
    /// `createSession`.
    fn create_session(
        &self,
        session: Session,
        origin: SessionOrigin,
        arrival: Arrival,
    ) -> Answer<Session>;
    /// `getSessionAndUser`: one lookup.
    fn get_session_and_user(&self, session_token: String) -> Answer<Option<(Session, User)>>;
    /// `updateSession`: `None` for an unknown token.
    fn update_session(&self, patch: SessionPatch, arrival: Arrival) -> Answer<Option<Session>>;
    /// `deleteSession`: the session removed, if any.
    fn delete_session(&self, session_token: String, arrival: Arrival) -> Answer<Option<Session>>;
    /// `createVerificationToken`.
    fn create_verification_token(
        &self,
        token: VerificationToken,
        arrival: Arrival,
    ) -> Answer<VerificationToken>;
    /// `useVerificationToken`: deletes and returns it; of racing callers exactly one gets it.
    fn use_verification_token(
        &self,
        identifier: String,
        token: String,
        arrival: Arrival,
    ) -> Answer<Option<VerificationToken>>;
    /// Reads a verification token without using it up (NextAuth v3).
    fn peek_verification_token(
        &self,
        identifier: String,
        token: String,
    ) -> Answer<Option<VerificationToken>>;
    /// A user's unexpired sessions at `now`, newest first, the one whose token is `current`
    /// marked (`listSessions`).
    fn list_sessions(
        &self,
        user_id: String,
        current: Option<String>,
        now: Millis,
    ) -> Answer<Vec<SessionInfo>>;
    /// Deletes the session with public id `id` only if it belongs to `user_id`; the session
    /// deleted, or `None` (`revokeSession`).
    fn revoke_session(
        &self,
        user_id: String,
        id: String,
        arrival: Arrival,
    ) -> Answer<Option<SessionInfo>>;
    /// Deletes every session of each of `user_ids` but the one whose token is `except`, in
    /// one transaction; how many went (`revokeUserSessions`).
    fn revoke_user_sessions(
        &self,
        user_ids: Vec<String>,
        except: Option<String>,
        arrival: Arrival,
    ) -> Answer<u64>;
    /// `createAuthenticator`.
    fn create_authenticator(
        &self,
        authenticator: Authenticator,
        arrival: Arrival,
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
        arrival: Arrival,
    ) -> Answer<Authenticator>;
    /// Deletes expired sessions and verification tokens.
    fn prune(&self, arrival: Arrival) -> Answer<Pruned>;
    /// Marks the start (`true`) or the end (`false`) of a run of reads that may share one
    /// snapshot (the face's short lease, across event-loop turns): a store may answer them
    /// from one snapshot, as long as it is still the latest state. Reads after a write's answer
    /// must still see that write. Stores that gain nothing from it ignore it.
    fn reads_together(&self, _together: bool) {}
    /// True for a store that answers on the calling thread and gains from knowing which calls
    /// came together: [`Arrival`] for writes, [`Store::reads_together`] for reads (SQLite).
    /// The others run every call on their own threads and ignore both.
    fn groups_calls(&self) -> bool {
        false
    }
    /// Stops accepting calls; the receiver fires once calls in progress have finished and
    /// every connection is closed, with an error when closing could not finish its work (on
    /// SQLite: fold the WAL back into the file, e.g. on a full disk); the store is closed
    /// either way.
    fn close(&self) -> oneshot::Receiver<Result<()>>;
    /// The store's maintenance of rows as stored (the command line), where it has one.
    fn maintenance(&self) -> Option<&dyn Maintenance> {
        None
    }
}

/// Maintenance of a store's rows as stored, for the command line.
pub trait Maintenance: Send + Sync {
    /// Up to `limit` rows of `table` whose key comes after `after` (from the start when it is
    /// empty), in key order.
    fn export_page(
        &self,
        table: &'static crate::core::portable::Table,
        after: Vec<serde_json::Value>,
        limit: u32,
    ) -> Answer<Vec<Vec<serde_json::Value>>>;
    /// Writes rows of `table` (checked by [`crate::core::portable::Table::values_of`]) in one transaction. Without
    /// `merge`, a row that is already there (key or email) or whose user is missing fails the
    /// whole call, naming the row; with `merge`, it is kept out and reported.
    fn import_rows(
        &self,
        table: &'static crate::core::portable::Table,
        rows: crate::core::portable::Rows,
        merge: bool,
    ) -> Answer<crate::core::portable::Imported>;
    /// [`Maintenance::import_rows`] without `merge`, into a store that held no rows when
    /// [`Maintenance::begin_bulk_import`] answered `true`: the store may hold the rows back and
    /// write them all at once, in the order its tables keep them, at
    /// [`Maintenance::flush_staged`] (the SQLite store does so for sessions, whose key, a
    /// token's hash, comes in no useful order).
    fn stage_rows(
        &self,
        table: &'static crate::core::portable::Table,
        rows: crate::core::portable::Rows,
    ) -> Answer<crate::core::portable::Imported> {
        self.import_rows(table, rows, false)
    }
    /// Writes the rows of `table` held back by [`Maintenance::stage_rows`], in one
    /// transaction; a row refused (a key twice, a user missing) fails it, naming the row.
    fn flush_staged(&self, _table: &'static crate::core::portable::Table) -> Answer<()> {
        Answer::Now(Ok(()))
    }
    /// Readies rows of `table` for [`Maintenance::import_rows`] ahead of it, on the calling
    /// thread, as they come (converted, one by one; the first error is answered): in the order
    /// the store writes them best, with what it fills in itself (a session's public id), in
    /// the form it writes best (SQLite: [`crate::core::portable::Packed`], each row packed as
    /// it comes and its values freed at once). `import_rows` readies rows handed to it as
    /// values.
    fn ready_rows(
        &self,
        _table: &'static crate::core::portable::Table,
        rows: &mut dyn Iterator<Item = Result<Vec<serde_json::Value>>>,
    ) -> Result<crate::core::portable::Rows> {
        Ok(crate::core::portable::Rows::Values(
            rows.collect::<Result<_>>()?,
        ))
    }
    /// Rows per table, live and expired sessions at `now`, accounts per provider, size and
    /// schema version, as a JSON object.
    fn stats(&self, now: Millis) -> Answer<serde_json::Value>;
    /// Integrity checks and the schema version, as a JSON object with `ok`.
    fn check(&self) -> Answer<serde_json::Value>;
    /// Re-seals every account's OAuth tokens under the newest encryption key (plain ones too);
    /// how many accounts changed.
    fn reseal(&self) -> Answer<u64>;
    /// Deletes every row of every table (undoes a failed import into an empty store).
    fn clear(&self) -> Answer<()>;
    /// Before an import into a store that holds no rows: drops what the store can build
    /// faster once at the end than row by row (SQLite: the indexes on `user_id`). Answers
    /// whether it dropped anything; [`Maintenance::end_bulk_import`] builds it back, after a
    /// failed import too. A store that holds rows, or has nothing to drop, is left as it is.
    fn begin_bulk_import(&self) -> Answer<bool> {
        Answer::Now(Ok(false))
    }
    /// Builds back what [`Maintenance::begin_bulk_import`] dropped.
    fn end_bulk_import(&self) -> Answer<()> {
        Answer::Now(Ok(()))
    }
    /// The store's secret and encryption keys: rows imported from another adapter
    /// (`crate::core::peer`) are hashed and sealed with them, as the store's own writes are.
    fn secrets(&self) -> &crate::core::secrets::Secrets;
}

/// The current time in epoch milliseconds.
pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}
