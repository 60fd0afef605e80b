//! PostgreSQL storage: a pool of connections driven by one small Tokio runtime.
//!
//! Threading model: every call is a task on this module's runtime ([`calls_runtime`]: one
//! thread, shared by every PostgreSQL store of the process; a replica's hub store runs on the
//! replicas' two-worker [`runtime`] instead). The task takes a pooled connection (the one
//! most recently put back), runs one prepared statement (each connection prepares a statement
//! once and keeps it), and settles the JavaScript Promise itself. Nothing runs on the
//! JavaScript thread but argument parsing.
//!
//! Start-up does not block: the constructor only builds the pool; the first call connects and
//! brings the schema up to date (see [`schema`]), and every call waits for that.
//!
//! Failure model: a call waits at most `busyTimeout` for its answer, including waiting for a
//! connection; past that, or when the server cannot be reached or drops the connection, it
//! fails with `DB_UNAVAILABLE`. A connection the server dropped is discarded when it returns to
//! the pool, so the pool heals by itself once the server is back.

mod connect;
mod error;
mod hub;
mod portable;
mod queries;
pub mod replication;
pub mod schema;
pub mod sql;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::runtime::Handle;
use tokio::sync::{oneshot, Notify, OnceCell};
use tokio::task::JoinHandle;

use crate::core::config::{Backend, Config};
use crate::core::error::{AdapterError, ErrorCode, Result};
use crate::core::model::{
    Account, Authenticator, Millis, Session, SessionInfo, SessionOrigin, SessionPatch, User,
    UserPatch, VerificationToken,
};
use crate::core::secrets::Secrets;
use crate::core::store::{now_millis, Answer, Arrival, Pruned, Store};
pub use hub::{calls_runtime, runtime, Hub};
pub(crate) use queries::UserUpdate;

/// The PostgreSQL store behind one `RustAdapter({ url })`.
pub struct PgStore {
    inner: Arc<Hub>,
    sweeper: Mutex<Option<JoinHandle<()>>>,
}

impl PgStore {
    /// Builds the pool (no connection is opened yet) and starts the expired-row sweeper; its
    /// calls run on [`calls_runtime`].
    pub fn open(config: &Config) -> Result<Self> {
        Self::open_on(config, calls_runtime())
    }

    /// [`PgStore::open`], with its calls, connections and sweeper on `runtime`.
    pub fn open_on(config: &Config, runtime: &'static Handle) -> Result<Self> {
        let Backend::Postgres(pg) = &config.backend else {
            return Err(AdapterError::invalid("config.url", "is missing"));
        };
        let secrets = Arc::new(Secrets::new(
            config.secret.as_deref(),
            &config.encryption_keys,
        )?);
        let timeout = Duration::from_millis(u64::from(config.busy_timeout_ms.max(1)));
        // The pool's timers and connection tasks need the runtime's context.
        let (pool, connector) = {
            let _context = runtime.enter();
            connect::pool(pg, timeout)?
        };
        let names = sql::Names::new(&pg.schema, &pg.table_prefix);
        let inner = Arc::new(Hub {
            runtime,
            pool,
            sql: names.statements(),
            names,
            secrets,
            timeout,
            ready: OnceCell::new(),
            replication: OnceCell::new(),
            listen_config: connector.config,
            tls: connector.tls,
            closed: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            drained: Notify::new(),
        });
        let sweeper = (config.sweep_interval_ms > 0).then(|| {
            sweep(
                runtime,
                Arc::downgrade(&inner),
                Duration::from_millis(u64::from(config.sweep_interval_ms)),
            )
        });
        Ok(PgStore {
            inner,
            sweeper: Mutex::new(sweeper),
        })
    }

    /// What every call of this store shares.
    pub(crate) fn inner(&self) -> &Arc<Hub> {
        &self.inner
    }

    /// Runs `op` as a task once the schema is current; the reply gets its outcome, or
    /// `DB_UNAVAILABLE` past `busyTimeout`, or an error for a panic (never a lost reply).
    fn call<T, F, Fut>(&self, entity: &'static str, op: F) -> Answer<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Hub>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        self.call_within(entity, Some(self.inner.timeout), move |inner| async move {
            inner.ready().await?;
            op(inner).await
        })
    }

    /// Runs `op` as a task like [`PgStore::call`], with another time limit (`None`: `op`
    /// bounds its own waits), and without waiting for the schema first: `op` decides whether
    /// it needs the hub (a replica's write that can wait must not fail because the hub is
    /// away).
    pub(crate) fn call_within<T, F, Fut>(
        &self,
        entity: &'static str,
        limit: Option<Duration>,
        op: F,
    ) -> Answer<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Hub>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let inner = self.inner.clone();
        // Counted before the closed check, so close() never misses a call it let through.
        inner.in_flight.fetch_add(1, Ordering::AcqRel);
        if inner.closed.load(Ordering::Acquire) {
            inner.finish_one();
            return Answer::Now(Err(AdapterError::closed()));
        }
        Answer::Later(Box::new(move |reply| {
            inner.clone().runtime.spawn(async move {
                let work = op(inner.clone());
                let work = AssertUnwindSafe(work).catch_unwind();
                let limited = match limit {
                    Some(limit) => tokio::time::timeout(limit, work).await,
                    None => Ok(work.await),
                };
                let outcome = match limited {
                    Ok(Ok(outcome)) => outcome,
                    Ok(Err(_panic)) => Err(AdapterError::new(
                        ErrorCode::DbError,
                        format!("{entity}: internal error (a panic in the PostgreSQL backend)"),
                    )),
                    Err(_elapsed) => Err(inner.timed_out(entity)),
                };
                reply(outcome);
                inner.finish_one();
            });
        }))
    }
}

/// Prunes expired rows every `interval` while the store lives.
fn sweep(runtime: &Handle, inner: std::sync::Weak<Hub>, interval: Duration) -> JoinHandle<()> {
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.tick().await; // the first tick is immediate
        loop {
            ticks.tick().await;
            let Some(inner) = inner.upgrade() else { return };
            if inner.closed.load(Ordering::Acquire) {
                return;
            }
            if inner.ready().await.is_ok() {
                let _ = tokio::time::timeout(inner.timeout, inner.prune(now_millis())).await;
                let _ = tokio::time::timeout(inner.timeout, inner.prune_change_log()).await;
            }
        }
    })
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(sweeper) = self.sweeper.lock().ok().and_then(|mut s| s.take()) {
            sweeper.abort();
        }
    }
}

impl Store for PgStore {
    fn maintenance(&self) -> Option<&dyn crate::core::store::Maintenance> {
        Some(self)
    }

    fn create_user(&self, user: User, _arrival: Arrival) -> Answer<User> {
        self.call("user", move |db| async move { db.insert_user(user).await })
    }

    fn get_user(&self, id: String) -> Answer<Option<User>> {
        self.call("user", move |db| async move { db.user_by_id(&id).await })
    }

    fn get_user_by_email(&self, email: String) -> Answer<Option<User>> {
        self.call(
            "user",
            move |db| async move { db.user_by_email(&email).await },
        )
    }

    fn get_user_by_account(
        &self,
        provider: String,
        provider_account_id: String,
    ) -> Answer<Option<User>> {
        self.call("user", move |db| async move {
            db.user_by_account(&provider, &provider_account_id).await
        })
    }

    fn update_user(&self, patch: UserPatch, _arrival: Arrival) -> Answer<User> {
        self.call(
            "user",
            move |db| async move { db.update_user(&patch).await },
        )
    }

    fn delete_user(&self, id: String, _arrival: Arrival) -> Answer<Option<User>> {
        self.call("user", move |db| async move { db.delete_user(&id).await })
    }

    fn link_account(&self, account: Account, _arrival: Arrival) -> Answer<Account> {
        self.call("account", move |db| async move {
            db.insert_account(account).await
        })
    }

    fn unlink_account(
        &self,
        provider: String,
        provider_account_id: String,
        _arrival: Arrival,
    ) -> Answer<Option<Account>> {
        self.call("account", move |db| async move {
            db.delete_account(&provider, &provider_account_id).await
        })
    }

    fn get_account(
        &self,
        provider: String,
        provider_account_id: String,
    ) -> Answer<Option<Account>> {
        self.call("account", move |db| async move {
            db.get_account(&provider, &provider_account_id).await
        })
    }

    fn create_session(
        &self,
        session: Session,
        origin: SessionOrigin,
        _arrival: Arrival,
    ) -> Answer<Session> {
        self.call("session", move |db| async move {
            db.insert_session(session, origin).await
        })
    }

    fn list_sessions(
        &self,
        user_id: String,
        current: Option<String>,
        now: Millis,
    ) -> Answer<Vec<SessionInfo>> {
        self.call("session", move |db| async move {
            db.list_sessions(user_id, current, now).await
        })
    }

    fn revoke_session(
        &self,
        user_id: String,
        id: String,
        _arrival: Arrival,
    ) -> Answer<Option<SessionInfo>> {
        self.call("session", move |db| async move {
            db.revoke_session(user_id, id).await
        })
    }

    fn revoke_user_sessions(
        &self,
        user_ids: Vec<String>,
        except: Option<String>,
        _arrival: Arrival,
    ) -> Answer<u64> {
        self.call("session", move |db| async move {
            db.revoke_user_sessions(user_ids, except).await
        })
    }

    fn get_session_and_user(&self, session_token: String) -> Answer<Option<(Session, User)>> {
        self.call("session", move |db| async move {
            db.session_and_user(session_token).await
        })
    }

    fn update_session(&self, patch: SessionPatch, _arrival: Arrival) -> Answer<Option<Session>> {
        self.call("session", move |db| async move {
            db.update_session(patch).await
        })
    }

    fn delete_session(&self, session_token: String, _arrival: Arrival) -> Answer<Option<Session>> {
        self.call("session", move |db| async move {
            db.delete_session(session_token).await
        })
    }

    fn create_verification_token(
        &self,
        token: VerificationToken,
        _arrival: Arrival,
    ) -> Answer<VerificationToken> {
        self.call("verificationToken", move |db| async move {
            db.insert_token(token).await
        })
    }

    fn use_verification_token(
        &self,
        identifier: String,
        token: String,
        _arrival: Arrival,
    ) -> Answer<Option<VerificationToken>> {
        self.call("verificationToken", move |db| async move {
            db.take_token(&identifier, &token).await
        })
    }

    fn peek_verification_token(
        &self,
        identifier: String,
        token: String,
    ) -> Answer<Option<VerificationToken>> {
        self.call("verificationToken", move |db| async move {
            db.peek_token(&identifier, &token).await
        })
    }

    fn create_authenticator(
        &self,
        authenticator: Authenticator,
        _arrival: Arrival,
    ) -> Answer<Authenticator> {
        self.call("authenticator", move |db| async move {
            db.insert_authenticator(authenticator).await
        })
    }

    fn get_authenticator(&self, credential_id: String) -> Answer<Option<Authenticator>> {
        self.call("authenticator", move |db| async move {
            db.get_authenticator(&credential_id).await
        })
    }

    fn list_authenticators_by_user_id(&self, user_id: String) -> Answer<Vec<Authenticator>> {
        self.call("authenticator", move |db| async move {
            db.authenticators_by_user(&user_id).await
        })
    }

    fn update_authenticator_counter(
        &self,
        credential_id: String,
        counter: i64,
        _arrival: Arrival,
    ) -> Answer<Authenticator> {
        self.call("authenticator", move |db| async move {
            db.update_counter(&credential_id, counter).await
        })
    }

    fn prune(&self, _arrival: Arrival) -> Answer<Pruned> {
        self.call("prune", move |db| async move {
            let pruned = db.prune(now_millis()).await?;
            db.prune_change_log().await?;
            Ok(pruned)
        })
    }

    fn close(&self) -> oneshot::Receiver<Result<()>> {
        let (tx, rx) = oneshot::channel();
        self.inner.closed.store(true, Ordering::Release);
        if let Some(sweeper) = self.sweeper.lock().ok().and_then(|mut s| s.take()) {
            sweeper.abort();
        }
        let inner = self.inner.clone();
        self.inner.runtime.spawn(async move {
            loop {
                let drained = inner.drained.notified();
                if inner.in_flight.load(Ordering::Acquire) == 0 {
                    break;
                }
                drained.await;
            }
            inner.pool.close();
            let _ = tx.send(Ok(()));
        });
        rx
    }
}
