//! Local-first replicas: an embedded SQLite copy of a PostgreSQL hub, kept in sync with it.
//!
//! The hub is the single source of truth. A replica answers reads from its own file; a row it
//! does not hold yet (created through another server a moment ago) is read through from the
//! hub and kept. Writes commit on the hub first, then on the replica, and answer after the hub
//! committed, so unique rules and single-use tokens are decided by the hub alone.
//!
//! When the hub cannot be reached, reads go on from the file. Writes that can wait (extending
//! a session, signing out, updating a profile) are applied to the file and kept in an outbox
//! that `push()` replays on the hub, each exactly once; while the outbox holds writes, later
//! ones of those kinds queue behind them, so the hub sees them in order. Writes that need the
//! hub's decision (creating users, accounts, sessions, authenticators and verification tokens,
//! using a token, deleting a user or an account, the WebAuthn counter) fail with
//! `DB_UNAVAILABLE`.
//!
//! `pull()` reads the hub's change log since the replica's position (see
//! `store::postgres::replication`); `live()` keeps a connection listening for the hub's change
//! notifications, pulls on each (and once a second as a safety net), catches up after every
//! reconnect and pushes the outbox once the hub is back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::core::config::{Backend, Config};
use crate::core::error::{AdapterError, ErrorCode, Result};
use crate::core::model::{
    Account, Authenticator, Millis, Session, SessionInfo, SessionOrigin, SessionPatch, User,
    UserPatch, VerificationToken,
};
use crate::core::replication::rows::OutboxOp;
use crate::core::replication::{schema, Registration};
use crate::core::store::{now_millis, Answer, Arrival, Pruned, Store};
use crate::postgres::replication::{Listener, Lookup};
use crate::postgres::{runtime, Hub, PgStore};
use crate::sqlite::SqliteStore;
use crate::sqlite::{self, accounts, authenticators, replica as local_sql, sessions, users};

/// How long a pubsub token stays valid; registering again renews it.
pub const PUBSUB_TOKEN_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// The first delay before trying the hub again while it is away; doubled up to
/// [`RETRY_CAP_MS`], each with up to a quarter again of random jitter (so replicas that lost
/// the hub together do not knock all at once). A replica is back within the cap plus its
/// jitter (250 ms) plus one connection and catch-up pull of the hub's return, whatever the
/// outage's length.
pub const RETRY_FIRST_MS: u64 = 100;
/// The longest delay between two attempts to reach the hub (before jitter).
pub const RETRY_CAP_MS: u64 = 200;

/// The delay before attempt `attempt` (0-based) to reach the hub again.
fn retry_delay(attempt: u32) -> Duration {
    let base = RETRY_FIRST_MS
        .saturating_mul(1u64 << attempt.min(8))
        .min(RETRY_CAP_MS);
    // A v4 UUID is 122 random bits: enough randomness for a jitter, with no extra crate.
    let jitter = (uuid::Uuid::new_v4().as_u128() % u128::from(base / 4 + 1)) as u64;
    Duration::from_millis(base + jitter)
}

/// What a replica tells its app as it happens, from its sync tasks.
#[derive(Debug, Clone)]
pub enum Event {
    /// Connected to the hub, the pubsub token accepted, and caught up with one pull (`changes`
    /// rows applied) and one push of the outbox: live sync is on.
    Live { changes: usize },
    /// The connection to the hub was lost; the replica serves its file and tries again.
    Offline { reason: String },
    /// Registered with the hub in the background, after a `register()` that found it away.
    Registered(Registration),
    /// The hub refused the pubsub token at a (re)connection: live sync has stopped.
    Unauthorized(String),
}

/// Where a replica's events go.
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// State shared by the store and its sync tasks.
struct Shared {
    local: Arc<SqliteStore>,
    hub: Arc<Hub>,
    /// One pull at a time.
    pull_lock: tokio::sync::Mutex<()>,
    /// One push at a time.
    push_lock: tokio::sync::Mutex<()>,
    /// The hub endpoint `live()` accepts.
    endpoint: String,
    /// This replica's registration, once registered: its pubsub token is checked with the hub
    /// at every (re)connection.
    device: Mutex<Option<Registration>>,
    /// The sync task: live sync, or a registration waiting for the hub, then live sync.
    live: Mutex<Option<JoinHandle<()>>>,
    /// Where events go, once the app listens.
    events: Mutex<Option<EventSink>>,
}

impl Shared {
    fn emit(&self, event: Event) {
        let sink = lock(&self.events).clone();
        if let Some(sink) = sink {
            sink(event);
        }
    }

    /// Starts registering in the background, then live sync, unless a sync task runs.
    fn register_later(self: &Arc<Self>) {
        let mut slot = lock(&self.live);
        if slot.as_ref().is_none_or(|task| task.is_finished()) {
            *slot = Some(runtime().spawn(register_later(self.clone())));
        }
    }
}

/// A replica: the local file, the hub, and the sync between them.
pub struct ReplicaStore {
    shared: Arc<Shared>,
    hub_store: PgStore,
}

fn is_unavailable(e: &AdapterError) -> bool {
    e.code == ErrorCode::DbUnavailable
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ReplicaStore {
    /// Opens the replica file (creating and migrating it) and the hub's pool (no connection
    /// yet). `config.backend` must be [`Backend::Replica`].
    pub fn open(config: &Config) -> Result<Self> {
        let Backend::Replica(hub_config) = &config.backend else {
            return Err(AdapterError::invalid("config.hub", "is missing"));
        };
        let local = Arc::new(SqliteStore::open(&Config {
            backend: Backend::Sqlite,
            ..config.clone()
        })?);
        local.write_blocking(local_sql::prepare)?;
        let hub_store = PgStore::open_on(
            &Config {
                backend: Backend::Postgres(hub_config.clone()),
                // The replica's own sweeper prunes the file; the hub is swept by its other users.
                sweep_interval_ms: 0,
                ..config.clone()
            },
            runtime(),
        )?;
        let hub = hub_store.inner().clone();
        let endpoint = endpoint_of(&hub_config.url, &hub.channel());
        Ok(ReplicaStore {
            shared: Arc::new(Shared {
                local,
                hub,
                pull_lock: tokio::sync::Mutex::new(()),
                push_lock: tokio::sync::Mutex::new(()),
                endpoint,
                device: Mutex::new(None),
                live: Mutex::new(None),
                events: Mutex::new(None),
            }),
            hub_store,
        })
    }

    /// Sends this replica's events to `sink` from now on.
    pub fn on_event(&self, sink: EventSink) {
        *lock(&self.shared.events) = Some(sink);
    }

    fn local(&self) -> &Arc<SqliteStore> {
        &self.shared.local
    }

    /// Runs `work` on the hub's runtime once the hub's schema is current, bounded by
    /// `busyTimeout` unless `unbounded`.
    fn task<T, Fut>(
        &self,
        entity: &'static str,
        unbounded: bool,
        work: impl FnOnce(Arc<Shared>) -> Fut + Send + 'static,
    ) -> Answer<T>
    where
        T: Send + 'static,
        Fut: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        self.offline_task(entity, unbounded, move |s| async move {
            s.hub.ready().await?;
            work(s).await
        })
    }

    /// [`Self::task`] for work that answers without the hub when it is away (a write that
    /// can wait, `register()`, an expiry the hub cannot confirm): it asks the hub itself.
    fn offline_task<T, Fut>(
        &self,
        entity: &'static str,
        unbounded: bool,
        work: impl FnOnce(Arc<Shared>) -> Fut + Send + 'static,
    ) -> Answer<T>
    where
        T: Send + 'static,
        Fut: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        let shared = self.shared.clone();
        let limit = (!unbounded).then_some(self.shared.hub.timeout);
        self.hub_store
            .call_within(entity, limit, move |_| work(shared))
    }

    /// A read served by the file; on a miss, the rows are fetched from the hub, kept, and the
    /// read answered from the file again.
    fn read_through<T: Send + 'static>(
        &self,
        lookup: Lookup,
        found: fn(&T) -> bool,
        read: impl Fn(&Connection, &sqlite::SqliteStore) -> Result<T> + Send + Sync + 'static,
    ) -> Answer<T> {
        let local = self.local();
        match local.read(|c| read(c, local)) {
            Ok(value) if found(&value) => return Answer::Now(Ok(value)),
            Err(e) => return Answer::Now(Err(e)),
            Ok(_) => {}
        }
        self.task("replica", false, move |s| async move {
            let set = s.hub.fetch(&lookup).await?;
            if !set.is_empty() {
                s.local
                    .write_async(move |c| local_sql::apply(c, &set, false))
                    .await?;
            }
            let local = &s.local;
            local.read(|c| read(c, local))
        })
    }

    /// A write the hub decides: on the hub, then (best effort: the next pull repairs it) on
    /// the file; answered after the hub committed.
    fn global<T, Fut>(
        &self,
        entity: &'static str,
        on_hub: impl FnOnce(Arc<Hub>) -> Fut + Send + 'static,
        on_file: impl FnOnce(&Connection, &SqliteStore, &T) -> Result<()> + Send + 'static,
    ) -> Answer<T>
    where
        T: Clone + Send + 'static,
        Fut: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        self.task(entity, false, move |s| async move {
            let value = on_hub(s.hub.clone()).await?;
            let copy = value.clone();
            let local = s.local.clone();
            let file = s.local.clone();
            let _ = local.write_async(move |c| on_file(c, &file, &copy)).await;
            Ok(value)
        })
    }

    /// A write that can wait for the hub: straight to the hub while it answers and nothing
    /// is queued; else applied to the file and queued in the outbox for `push()`.
    fn deferrable<T, Fut>(
        &self,
        entity: &'static str,
        op: OutboxOp,
        on_hub: impl FnOnce(Arc<Hub>) -> Fut + Send + 'static,
        on_file: impl Fn(&Connection, &SqliteStore) -> Result<T> + Send + Sync + 'static,
    ) -> Answer<T>
    where
        T: Send + 'static,
        Fut: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        self.offline_task(entity, true, move |s| async move {
            let queued = s.local.read(local_sql::outbox_len)? > 0;
            let on_file = Arc::new(on_file);
            if !queued {
                let hub = s.hub.clone();
                let attempt = async move {
                    hub.ready().await?;
                    on_hub(hub).await
                };
                match tokio::time::timeout(s.hub.timeout, attempt).await {
                    Ok(Ok(value)) => {
                        let file = s.local.clone();
                        let apply = on_file.clone();
                        let _ = s.local.write_async(move |c| apply(c, &file)).await;
                        return Ok(value);
                    }
                    Ok(Err(e)) if !is_unavailable(&e) => return Err(e),
                    _ => {}
                }
            }
            let op_id = uuid::Uuid::new_v4().to_string();
            let file = s.local.clone();
            s.local
                .write_async(move |c| {
                    local_sql::enqueue(c, &op_id, &op)?;
                    on_file(c, &file)
                })
                .await
        })
    }

    /// Applies every hub change since the replica's position; answers how many rows changed.
    pub fn pull(&self) -> Answer<usize> {
        self.task("pull", false, |s| async move { pull(&s).await })
    }

    /// Replays the outbox on the hub; answers how many writes went.
    pub fn push(&self) -> Answer<usize> {
        // Each replayed write has its own time limit; the whole queue may take longer.
        self.task("push", true, |s| async move { push(&s).await })
    }

    /// Resolves once every local write is on the hub (`DB_UNAVAILABLE` while it is not).
    pub fn flush(&self) -> Answer<()> {
        self.task("flush", true, |s| async move {
            push(&s).await?;
            let left = s.local.read(local_sql::outbox_len)?;
            if left > 0 {
                return Err(AdapterError::new(
                    ErrorCode::DbUnavailable,
                    format!("flush: {left} writes still wait for the hub"),
                ));
            }
            Ok(())
        })
    }

    /// Records this replica on the hub with a new pubsub token (renewing an earlier one).
    /// Answers `None` when the hub cannot be reached: the replica then serves its file,
    /// registers as soon as the hub answers and goes live by itself ([`Event::Registered`],
    /// then [`Event::Live`]).
    pub fn register(&self) -> Answer<Option<Registration>> {
        self.offline_task("device", true, move |s| async move {
            let attempt = tokio::time::timeout(s.hub.timeout, register_once(&s)).await;
            match attempt.unwrap_or_else(|_| Err(s.hub.timed_out("device"))) {
                Ok(registration) => Ok(Some(registration)),
                Err(e) if is_unavailable(&e) => {
                    s.register_later();
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        })
    }

    /// Stops live sync and removes this replica's record from the hub.
    pub fn deregister(&self) -> Answer<()> {
        self.stop_live();
        let registration = lock(&self.shared.device).take();
        self.task("device", false, move |s| async move {
            if let Some(r) = registration {
                s.hub.delete_device(&r.device_id).await?;
            }
            Ok(())
        })
    }

    /// Starts live sync with the hub named in `endpoints` (as `register()` returned them).
    /// Refuses without a registration, or once its pubsub token has expired or the hub no
    /// longer accepts it (`UNAUTHORIZED`; the hub is asked at every (re)connection). Answers
    /// once the first attempt caught up with the hub (`DB_UNAVAILABLE` if it could not; the
    /// task keeps trying).
    pub fn live(&self, endpoints: Vec<String>) -> Answer<()> {
        if !endpoints.contains(&self.shared.endpoint) {
            return Answer::Now(Err(AdapterError::invalid(
                "endpoints",
                format!(
                    "does not name this replica's hub (expected {:?}, from device.register())",
                    self.shared.endpoint
                ),
            )));
        }
        let Some(registration) = lock(&self.shared.device).clone() else {
            return Answer::Now(Err(AdapterError::new(
                ErrorCode::Unauthorized,
                "live: this replica is not registered; call device.register() first",
            )));
        };
        if registration.expires_at <= crate::core::store::now_millis() {
            return Answer::Now(Err(AdapterError::new(
                ErrorCode::Unauthorized,
                "live: the pubsub token has expired; call device.register() again to renew it",
            )));
        }
        self.stop_live();
        let (tx, rx) = oneshot::channel();
        let handle = runtime().spawn(live(self.shared.clone(), Some(tx)));
        *lock(&self.shared.live) = Some(handle);
        self.offline_task("live", true, move |_| async move {
            rx.await.unwrap_or_else(|_| Err(AdapterError::closed()))
        })
    }

    /// How the replica file and the hub differ from `schema` (empty: both match).
    pub fn validate_schema(&self, schema: schema::DeclaredSchema) -> Answer<Vec<String>> {
        self.task("schema", false, move |s| async move {
            let mut out = s
                .local
                .read(|c| local_sql::schema_differences(c, &schema))?;
            out.extend(s.hub.schema_differences(&schema).await?);
            Ok(out)
        })
    }

    /// Adds what `schema` declares and the replica file or the hub lacks.
    pub fn migrate_schema(&self, schema: schema::DeclaredSchema) -> Answer<()> {
        self.task("schema", true, move |s| async move {
            s.hub.migrate_schema(&schema).await?;
            s.local
                .write_async(move |c| local_sql::migrate_schema(c, &schema))
                .await
        })
    }

    /// A session whose copy here has expired: the hub is asked first, because another server
    /// may have extended it while this replica was behind. When the hub answers, its state is
    /// kept and answered; when it cannot be reached, the copy is answered as it is (the
    /// `deleteSession` Auth.js may send next is then queued as a conditional delete, see
    /// [`Store::delete_session`]).
    fn confirm_expiry(
        &self,
        hash: String,
        session_token: String,
        expired: (Session, User),
    ) -> Answer<Option<(Session, User)>> {
        self.offline_task("session", true, move |s| async move {
            let hub = s.hub.clone();
            let fetched = within(&s, "session", async move {
                hub.ready().await?;
                hub.fetch(&Lookup::Session(hash)).await
            })
            .await;
            let set = match fetched {
                Ok(set) => set,
                Err(e) if is_unavailable(&e) => return Ok(Some(expired)),
                Err(e) => return Err(e),
            };
            if !set.is_empty() {
                s.local
                    .write_async(move |c| local_sql::apply(c, &set, false))
                    .await?;
            }
            let local = &s.local;
            local.read(|c| sessions::with_user(c, local.secrets(), &session_token))
        })
    }

    fn stop_live(&self) {
        if let Some(task) = lock(&self.shared.live).take() {
            task.abort();
        }
    }
}

impl Drop for ReplicaStore {
    fn drop(&mut self) {
        self.stop_live();
    }
}

/// The endpoint string of a hub: its address without credentials, and the channel.
fn endpoint_of(url: &str, channel: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
    let rest = rest.split_once('?').map(|(r, _)| r).unwrap_or(rest);
    format!("postgres://{rest}#{channel}")
}

/// One pull: the changes since the stored position, applied in one local transaction.
async fn pull(s: &Shared) -> Result<usize> {
    let _one = s.pull_lock.lock().await;
    let position = s.local.read(|c| local_sql::state(c, "position"))?;
    let set = s.hub.changes_since(position.as_deref()).await?;
    let n = set.len();
    s.local
        .write_async(move |c| local_sql::apply(c, &set, true))
        .await?;
    Ok(n)
}

/// One push: each queued write replayed on the hub (once, by its id), then dropped locally.
async fn push(s: &Shared) -> Result<usize> {
    let _one = s.push_lock.lock().await;
    let queued = s.local.read(local_sql::outbox)?;
    let mut sent = 0;
    for (seq, op_id, op) in queued {
        tokio::time::timeout(s.hub.timeout, s.hub.replay(&op_id, &op))
            .await
            .map_err(|_| s.hub.timed_out("push"))??;
        s.local
            .write_async(move |c| local_sql::dequeue(c, seq))
            .await?;
        sent += 1;
    }
    Ok(sent)
}

/// Registers this replica with the hub: its device id (kept in the file) and a new pubsub
/// token, of which the hub keeps only the hash.
async fn register_once(s: &Shared) -> Result<Registration> {
    let id = match s.local.read(|c| local_sql::state(c, "device_id"))? {
        Some(id) => id,
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            let stored = id.clone();
            s.local
                .write_async(move |c| local_sql::set_state(c, "device_id", &stored))
                .await?;
            id
        }
    };
    let token = crate::core::secrets::random_token();
    let now = now_millis();
    let expires_at = now + PUBSUB_TOKEN_LIFETIME_MS;
    s.hub
        .register_device(
            &id,
            &crate::core::secrets::sha256_hex(&token),
            expires_at,
            now,
        )
        .await?;
    let registration = Registration {
        device_id: id,
        pubsub_token: token,
        expires_at,
        endpoints: vec![s.endpoint.clone()],
    };
    *lock(&s.device) = Some(registration.clone());
    Ok(registration)
}

/// Registers once the hub answers (retrying like live sync does), then runs live sync.
async fn register_later(s: Arc<Shared>) {
    let mut attempt = 0;
    loop {
        tokio::time::sleep(retry_delay(attempt)).await;
        attempt += 1;
        // Registered meanwhile by a call of the app's.
        if lock(&s.device).is_some() {
            break;
        }
        let registered = tokio::time::timeout(s.hub.timeout, register_once(&s)).await;
        if let Ok(Ok(registration)) = registered {
            s.emit(Event::Registered(registration));
            break;
        }
    }
    live(s, None).await
}

/// `work`, failing with `DB_UNAVAILABLE` past `busyTimeout`.
async fn within<T>(
    s: &Shared,
    what: &str,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(s.hub.timeout, work)
        .await
        .map_err(|_| s.hub.timed_out(what))?
}

/// One (re)connection: listen first (so no change is missed), have the hub accept this
/// replica's pubsub token, then catch up with one pull and replay the outbox. Answers the
/// listening connection and how many rows the pull applied.
async fn connect(s: &Shared) -> Result<(Listener, usize)> {
    let listener = within(s, "live", s.hub.listen()).await?;
    let Some(registration) = lock(&s.device).clone() else {
        return Err(AdapterError::new(
            ErrorCode::Unauthorized,
            "live: this replica is no longer registered; call device.register() again",
        ));
    };
    let hash = crate::core::secrets::sha256_hex(&registration.pubsub_token);
    let known = within(
        s,
        "live",
        s.hub.device_token_expiry(&registration.device_id, &hash),
    )
    .await?;
    if known.is_none_or(|expiry| expiry <= now_millis()) {
        return Err(AdapterError::new(
            ErrorCode::Unauthorized,
            "live: the hub does not accept this pubsub token (expired, replaced or revoked); call device.register() again",
        ));
    }
    let changes = within(s, "pull", pull(s)).await?;
    let _ = push(s).await;
    Ok((listener, changes))
}

/// Follows the hub's notifications on a live connection until it is lost; answers why.
async fn follow(s: &Shared, listener: &mut Listener) -> String {
    // A steady interval: notifications arriving all the time must not starve it.
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        let pulled = tokio::select! {
            note = listener.notifications.recv() => match note {
                // The notifying transaction has committed, so one pull sees it;
                // notifications that queued meanwhile are covered by it too.
                Some(_) => {
                    while listener.notifications.try_recv().is_ok() {}
                    within(s, "pull", pull(s)).await
                }
                None => return "live: the connection to the hub was lost".to_string(),
            },
            _ = ticks.tick() => within(s, "pull", pull(s)).await,
        };
        match pulled {
            // The hub stopped answering though the listening connection looks open (a
            // network cut): reconnect, which notices when it answers again.
            Err(e) if is_unavailable(&e) => return e.to_string(),
            _ => {}
        }
        // Writes queued while the hub was away go as soon as it answers again.
        if s.local.read(local_sql::outbox_len).unwrap_or(0) > 0 {
            let _ = push(s).await;
        }
    }
}

/// Live sync until aborted or refused: connect (see [`connect`]), follow the notifications,
/// and while the hub is away try again every [`retry_delay`]. `first` learns whether the
/// first attempt caught up with the hub.
async fn live(s: Arc<Shared>, mut first: Option<oneshot::Sender<Result<()>>>) {
    let mut attempt = 0;
    loop {
        match connect(&s).await {
            Ok((mut listener, changes)) => {
                attempt = 0;
                s.emit(Event::Live { changes });
                if let Some(tx) = first.take() {
                    let _ = tx.send(Ok(()));
                }
                let reason = follow(&s, &mut listener).await;
                drop(listener);
                s.emit(Event::Offline { reason });
            }
            Err(e) if e.code == ErrorCode::Unauthorized => {
                s.emit(Event::Unauthorized(e.to_string()));
                if let Some(tx) = first.take() {
                    let _ = tx.send(Err(e));
                }
                return;
            }
            Err(e) => {
                if let Some(tx) = first.take() {
                    let _ = tx.send(Err(e));
                }
                tokio::time::sleep(retry_delay(attempt)).await;
                attempt += 1;
            }
        }
    }
}

impl Store for ReplicaStore {
    fn create_user(&self, user: User, _arrival: Arrival) -> Answer<User> {
        self.global(
            "user",
            move |hub| async move { hub.insert_user(user).await },
            |c, _, user| users::insert(c, user).map(|_| ()),
        )
    }

    fn get_user(&self, id: String) -> Answer<Option<User>> {
        self.read_through(
            Lookup::UserById(id.clone()),
            Option::is_some,
            move |c, _| users::by_id(c, &id),
        )
    }

    fn get_user_by_email(&self, email: String) -> Answer<Option<User>> {
        self.read_through(
            Lookup::UserByEmail(email.clone()),
            Option::is_some,
            move |c, _| users::by_email(c, &email),
        )
    }

    fn get_user_by_account(
        &self,
        provider: String,
        provider_account_id: String,
    ) -> Answer<Option<User>> {
        self.read_through(
            Lookup::Account(provider.clone(), provider_account_id.clone()),
            Option::is_some,
            move |c, _| users::by_account(c, &provider, &provider_account_id),
        )
    }

    fn update_user(&self, patch: UserPatch, _arrival: Arrival) -> Answer<User> {
        let on_hub = patch.clone();
        let on_file = patch.clone();
        self.deferrable(
            "user",
            OutboxOp::UpdateUser(patch),
            move |hub| async move { hub.update_user(&on_hub).await },
            move |c, _| users::update(c, &on_file),
        )
    }

    fn delete_user(&self, id: String, _arrival: Arrival) -> Answer<Option<User>> {
        let local_id = id.clone();
        self.global(
            "user",
            move |hub| async move { hub.delete_user(&id).await },
            move |c, _, _| users::delete(c, &local_id).map(|_| ()),
        )
    }

    fn link_account(&self, account: Account, _arrival: Arrival) -> Answer<Account> {
        self.global(
            "account",
            move |hub| async move { hub.insert_account(account).await },
            |c, file, account| accounts::insert(c, file.secrets(), account).map(|_| ()),
        )
    }

    fn unlink_account(
        &self,
        provider: String,
        provider_account_id: String,
        _arrival: Arrival,
    ) -> Answer<Option<Account>> {
        let (p, id) = (provider.clone(), provider_account_id.clone());
        self.global(
            "account",
            move |hub| async move { hub.delete_account(&provider, &provider_account_id).await },
            move |c, file, _| accounts::delete(c, file.secrets(), &p, &id).map(|_| ()),
        )
    }

    fn get_account(
        &self,
        provider: String,
        provider_account_id: String,
    ) -> Answer<Option<Account>> {
        self.read_through(
            Lookup::Account(provider.clone(), provider_account_id.clone()),
            Option::is_some,
            move |c, file| accounts::get(c, file.secrets(), &provider, &provider_account_id),
        )
    }

    fn create_session(
        &self,
        session: Session,
        origin: SessionOrigin,
        _arrival: Arrival,
    ) -> Answer<Session> {
        let on_file = origin.clone();
        self.global(
            "session",
            move |hub| async move { hub.insert_session(session, origin).await },
            move |c, file, session| {
                sessions::insert(c, file.secrets(), session, &on_file, now_millis()).map(|_| ())
            },
        )
    }

    /// The hub's list: a replica's copies of sessions carry no public id, so the list is read
    /// where the sessions are decided. Rejects with `DB_UNAVAILABLE` while the hub is away.
    fn list_sessions(
        &self,
        user_id: String,
        current: Option<String>,
        now: Millis,
    ) -> Answer<Vec<SessionInfo>> {
        self.task("session", false, move |s| async move {
            s.hub.list_sessions(user_id, current, now).await
        })
    }

    /// On the hub, then a pull, so this replica refuses the revoked session at once (other
    /// replicas follow through the hub's change log).
    fn revoke_session(
        &self,
        user_id: String,
        id: String,
        _arrival: Arrival,
    ) -> Answer<Option<SessionInfo>> {
        self.task("session", false, move |s| async move {
            let revoked = s.hub.revoke_session(user_id, id).await?;
            if revoked.is_some() {
                pull(&s).await?;
            }
            Ok(revoked)
        })
    }

    /// On the hub, then a pull (see [`Self::revoke_session`]).
    fn revoke_user_sessions(
        &self,
        user_ids: Vec<String>,
        except: Option<String>,
        _arrival: Arrival,
    ) -> Answer<u64> {
        self.task("session", false, move |s| async move {
            let revoked = s.hub.revoke_user_sessions(user_ids, except).await?;
            if revoked > 0 {
                pull(&s).await?;
            }
            Ok(revoked)
        })
    }

    fn get_session_and_user(&self, session_token: String) -> Answer<Option<(Session, User)>> {
        let hash = self.local().secrets().session_token_hash(&session_token);
        // Signed out here while the hub was away: refused, without asking the hub.
        match self
            .local()
            .read(|c| local_sql::session_delete_queued(c, &hash))
        {
            Ok(true) => return Answer::Now(Ok(None)),
            Err(e) => return Answer::Now(Err(e)),
            Ok(false) => {}
        }
        let local = self.local();
        match local.read(|c| sessions::with_user(c, local.secrets(), &session_token)) {
            Err(e) => Answer::Now(Err(e)),
            Ok(Some(found)) if found.0.expires > now_millis() => Answer::Now(Ok(Some(found))),
            Ok(Some(expired)) => self.confirm_expiry(hash, session_token, expired),
            Ok(None) => {
                self.read_through(Lookup::Session(hash), Option::is_some, move |c, file| {
                    sessions::with_user(c, file.secrets(), &session_token)
                })
            }
        }
    }

    fn update_session(&self, patch: SessionPatch, _arrival: Arrival) -> Answer<Option<Session>> {
        let op = OutboxOp::UpdateSession {
            session_token_hash: self
                .local()
                .secrets()
                .session_token_hash(&patch.session_token),
            user_id: patch.user_id.clone(),
            expires: patch.expires,
        };
        let on_hub = patch.clone();
        self.deferrable(
            "session",
            op,
            move |hub| async move { hub.update_session(on_hub).await },
            move |c, file| sessions::update(c, file.secrets(), &patch, now_millis()),
        )
    }

    /// A sign-out. When this replica's copy of the session has expired, Auth.js is ending a
    /// session it saw as expired: the hub deletes it only if it has expired there too (another
    /// server may have extended it), and so does the write queued while the hub is away.
    fn delete_session(&self, session_token: String, _arrival: Arrival) -> Answer<Option<Session>> {
        let session_token_hash = self.local().secrets().session_token_hash(&session_token);
        let local = self.local();
        let copy = local.read(|c| sessions::with_user(c, local.secrets(), &session_token));
        if let Ok(Some((copy, _))) = copy {
            if copy.expires <= now_millis() {
                let on_hub = session_token.clone();
                return self.deferrable(
                    "session",
                    OutboxOp::DeleteExpiredSession { session_token_hash },
                    move |hub| async move { hub.delete_expired_session(on_hub, now_millis()).await },
                    move |c, file| sessions::delete(c, file.secrets(), &session_token),
                );
            }
        }
        let op = OutboxOp::DeleteSession { session_token_hash };
        let on_hub = session_token.clone();
        self.deferrable(
            "session",
            op,
            move |hub| async move { hub.delete_session(on_hub).await },
            move |c, file| sessions::delete(c, file.secrets(), &session_token),
        )
    }

    fn create_verification_token(
        &self,
        token: VerificationToken,
        _arrival: Arrival,
    ) -> Answer<VerificationToken> {
        // Verification tokens live on the hub only: the link may be opened on any server.
        self.global(
            "verificationToken",
            move |hub| async move { hub.insert_token(token).await },
            |_, _, _| Ok(()),
        )
    }

    fn use_verification_token(
        &self,
        identifier: String,
        token: String,
        _arrival: Arrival,
    ) -> Answer<Option<VerificationToken>> {
        self.global(
            "verificationToken",
            move |hub| async move { hub.take_token(&identifier, &token).await },
            |_, _, _| Ok(()),
        )
    }

    fn peek_verification_token(
        &self,
        identifier: String,
        token: String,
    ) -> Answer<Option<VerificationToken>> {
        self.global(
            "verificationToken",
            move |hub| async move { hub.peek_token(&identifier, &token).await },
            |_, _, _| Ok(()),
        )
    }

    fn create_authenticator(
        &self,
        authenticator: Authenticator,
        _arrival: Arrival,
    ) -> Answer<Authenticator> {
        self.global(
            "authenticator",
            move |hub| async move { hub.insert_authenticator(authenticator).await },
            |c, _, a| authenticators::insert(c, a).map(|_| ()),
        )
    }

    fn get_authenticator(&self, credential_id: String) -> Answer<Option<Authenticator>> {
        self.read_through(
            Lookup::Authenticator(credential_id.clone()),
            Option::is_some,
            move |c, _| authenticators::get(c, &credential_id),
        )
    }

    fn list_authenticators_by_user_id(&self, user_id: String) -> Answer<Vec<Authenticator>> {
        self.read_through(
            Lookup::AuthenticatorsOf(user_id.clone()),
            |list: &Vec<Authenticator>| !list.is_empty(),
            move |c, _| authenticators::by_user(c, &user_id),
        )
    }

    fn update_authenticator_counter(
        &self,
        credential_id: String,
        counter: i64,
        _arrival: Arrival,
    ) -> Answer<Authenticator> {
        let local_id = credential_id.clone();
        self.global(
            "authenticator",
            move |hub| async move { hub.update_counter(&credential_id, counter).await },
            move |c, _, _| authenticators::update_counter(c, &local_id, counter).map(|_| ()),
        )
    }

    fn prune(&self, arrival: Arrival) -> Answer<Pruned> {
        // Expired rows go from the file; the hub is swept by its own adapters' sweepers.
        self.local().prune(arrival)
    }

    fn close(&self) -> oneshot::Receiver<Result<()>> {
        self.stop_live();
        let local = Store::close(&**self.local());
        let hub = self.hub_store.close();
        let (tx, rx) = oneshot::channel();
        runtime().spawn(async move {
            let local = local.await.unwrap_or(Ok(()));
            let _ = hub.await;
            let _ = tx.send(local);
        });
        rx
    }
}

#[cfg(test)]
mod tests {
    use super::{endpoint_of, retry_delay};

    #[test]
    fn the_retry_delay_stays_short_however_long_the_hub_is_away() {
        for attempt in 0..1000 {
            let delay = retry_delay(attempt).as_millis();
            assert!(
                (100..=250).contains(&delay),
                "attempt {attempt}: {delay} ms"
            );
        }
        assert!(retry_delay(0).as_millis() <= 125);
    }

    #[test]
    fn an_endpoint_names_the_hub_without_its_credentials_or_options() {
        assert_eq!(
            endpoint_of(
                "postgres://app:s3cret@db.example.com:5432/auth?sslmode=verify-full",
                "authjs_0123"
            ),
            "postgres://db.example.com:5432/auth#authjs_0123"
        );
    }
}
