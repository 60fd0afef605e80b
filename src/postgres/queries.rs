//! The adapter operations on PostgreSQL: each one prepared statement (cached per pooled
//! connection) in one round trip, with rows read into the model types. The SQL is in `sql`.

use deadpool_postgres::{Object, PoolError};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::hub::Hub;
use crate::core::error::{AdapterError, ErrorCode, Result};
use crate::core::extras;
use crate::core::model::{
    Account, Authenticator, Extras, Millis, Session, SessionInfo, SessionOrigin, SessionPatch,
    User, UserPatch, VerificationToken,
};
use crate::core::secrets::public_id;
use crate::core::store::{now_millis, Pruned};

type Params<'a> = [&'a (dyn ToSql + Sync)];

/// PostgreSQL's `text` and `jsonb` cannot hold U+0000 (SQLite can). A write with it fails with
/// `INVALID_INPUT` naming the field; a lookup by it finds nothing, as nothing stored has it.
fn has_nul(text: &str) -> bool {
    text.as_bytes().contains(&0)
}

/// Refuses a write whose `(field, value)` pairs hold a NUL character.
fn refuse_nul<'a>(fields: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Result<()> {
    for (field, value) in fields {
        if value.is_some_and(has_nul) {
            return Err(AdapterError::invalid(
                field,
                "contains a NUL character (\\u0000), which PostgreSQL cannot store",
            ));
        }
    }
    Ok(())
}

/// Refuses extra properties (already encoded as JSON text) that hold a NUL character,
/// naming the first property that does.
fn refuse_nul_in_extras(entity: &str, extra: &Extras, text: Option<&str>) -> Result<()> {
    if !text.is_some_and(|t| t.contains("\\u0000")) {
        return Ok(());
    }
    let key = extra
        .iter()
        .find(|(key, value)| has_nul(key) || value.to_string().contains("\\u0000"))
        .map(|(key, _)| key.replace('\0', "\\u0000"))
        .unwrap_or_default();
    Err(AdapterError::invalid(
        format!("{entity}.{key}"),
        "contains a NUL character (\\u0000), which PostgreSQL cannot store",
    ))
}

/// Maps a driver error for `entity`.
fn pg(entity: &'static str) -> impl Fn(tokio_postgres::Error) -> AdapterError {
    move |e| AdapterError::from_postgres(&e, entity)
}

/// A stored value that does not read back as its model type.
fn corrupt(entity: &str, e: impl std::fmt::Display) -> AdapterError {
    AdapterError::new(
        ErrorCode::DbError,
        format!("{entity}: a stored row cannot be read: {e}"),
    )
}

/// Reads a user whose columns start at `at` (the layout of `sql::USER`).
fn user_at(row: &Row, at: usize) -> Result<User> {
    let get = |e| corrupt("user", e);
    let extra: Option<String> = row.try_get(at + 5).map_err(get)?;
    Ok(User {
        id: row.try_get(at).map_err(get)?,
        name: row.try_get(at + 1).map_err(get)?,
        email: row.try_get(at + 2).map_err(get)?,
        email_verified: row.try_get(at + 3).map_err(get)?,
        image: row.try_get(at + 4).map_err(get)?,
        extra: extras::from_column(extra.as_deref())?,
    })
}

fn account(row: &Row) -> Result<Account> {
    let get = |e| corrupt("account", e);
    let extra: Option<String> = row.try_get(11).map_err(get)?;
    Ok(Account {
        user_id: row.try_get(0).map_err(get)?,
        kind: row.try_get(1).map_err(get)?,
        provider: row.try_get(2).map_err(get)?,
        provider_account_id: row.try_get(3).map_err(get)?,
        access_token: row.try_get(4).map_err(get)?,
        refresh_token: row.try_get(5).map_err(get)?,
        expires_at: row.try_get(6).map_err(get)?,
        token_type: row.try_get(7).map_err(get)?,
        scope: row.try_get(8).map_err(get)?,
        id_token: row.try_get(9).map_err(get)?,
        session_state: row.try_get(10).map_err(get)?,
        extra: extras::from_column(extra.as_deref())?,
    })
}

/// Reads `(user_id, expires)` at `at`, labelled with the caller's plain token.
/// A session as a user's list shows it (the columns of `sql::SESSION_INFO`).
fn session_info(row: &Row) -> Result<SessionInfo> {
    let get = |e| corrupt("session", e);
    Ok(SessionInfo {
        id: row.try_get(0).map_err(get)?,
        user_id: row.try_get(1).map_err(get)?,
        expires: row.try_get(2).map_err(get)?,
        created_at: row.try_get(3).map_err(get)?,
        last_active_at: row.try_get(4).map_err(get)?,
        origin: SessionOrigin {
            user_agent: row.try_get(5).map_err(get)?,
            ip_address: row.try_get(6).map_err(get)?,
        },
        current: row
            .try_get::<_, Option<bool>>(7)
            .map_err(get)?
            .unwrap_or(false),
    })
}

fn session_at(row: &Row, at: usize, session_token: String) -> Result<Session> {
    let get = |e| corrupt("session", e);
    Ok(Session {
        session_token,
        user_id: row.try_get(at).map_err(get)?,
        expires: row.try_get(at + 1).map_err(get)?,
    })
}

fn token(row: &Row) -> Result<VerificationToken> {
    let get = |e| corrupt("verificationToken", e);
    Ok(VerificationToken {
        identifier: row.try_get(0).map_err(get)?,
        token: row.try_get(1).map_err(get)?,
        expires: row.try_get(2).map_err(get)?,
    })
}

/// Reads an authenticator (the layout of `sql::AUTHENTICATOR`, which replication reads too).
pub(super) fn authenticator(row: &Row) -> Result<Authenticator> {
    let get = |e| corrupt("authenticator", e);
    Ok(Authenticator {
        credential_id: row.try_get(0).map_err(get)?,
        user_id: row.try_get(1).map_err(get)?,
        provider_account_id: row.try_get(2).map_err(get)?,
        credential_public_key: row.try_get(3).map_err(get)?,
        counter: row.try_get(4).map_err(get)?,
        credential_device_type: row.try_get(5).map_err(get)?,
        credential_backed_up: row.try_get(6).map_err(get)?,
        transports: row.try_get(7).map_err(get)?,
    })
}

impl Hub {
    /// A pooled connection; `DB_UNAVAILABLE` when none can be had in time.
    pub(crate) async fn client(&self, entity: &'static str) -> Result<Object> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => AdapterError::from_postgres(&e, entity),
            PoolError::Closed => AdapterError::closed(),
            PoolError::Timeout(_) => self.timed_out(entity),
            other => AdapterError::new(
                ErrorCode::DbUnavailable,
                format!("{entity}: no PostgreSQL connection: {other}"),
            ),
        })
    }

    /// Runs a cached statement expected to return at most one row.
    async fn one(
        &self,
        entity: &'static str,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Option<Row>> {
        let client = self.client(entity).await?;
        let statement = client.prepare_cached(sql).await.map_err(pg(entity))?;
        client
            .query_opt(&statement, params)
            .await
            .map_err(pg(entity))
    }

    /// Runs a cached statement and returns every row.
    async fn all(&self, entity: &'static str, sql: &str, params: &Params<'_>) -> Result<Vec<Row>> {
        let client = self.client(entity).await?;
        let statement = client.prepare_cached(sql).await.map_err(pg(entity))?;
        client.query(&statement, params).await.map_err(pg(entity))
    }

    /// Runs a cached statement that returns no rows.
    async fn run(&self, entity: &'static str, sql: &str, params: &Params<'_>) -> Result<u64> {
        let client = self.client(entity).await?;
        let statement = client.prepare_cached(sql).await.map_err(pg(entity))?;
        client.execute(&statement, params).await.map_err(pg(entity))
    }

    /// The one row a lookup by `keys` returns; nothing when a key holds a NUL, which no stored
    /// value can (see [`has_nul`]).
    async fn lookup(
        &self,
        entity: &'static str,
        sql: &str,
        keys: &[&str],
        params: &Params<'_>,
    ) -> Result<Option<Row>> {
        if keys.iter().any(|key| has_nul(key)) {
            return Ok(None);
        }
        self.one(entity, sql, params).await
    }

    pub(crate) async fn insert_user(&self, user: User) -> Result<User> {
        let extra = extras::to_column(&user.extra, "user")?;
        refuse_nul([
            ("user.id", Some(user.id.as_str())),
            ("user.name", user.name.as_deref()),
            ("user.email", user.email.as_deref()),
            ("user.image", user.image.as_deref()),
        ])?;
        refuse_nul_in_extras("user", &user.extra, extra.as_deref())?;
        self.run(
            "user",
            &self.sql.insert_user,
            &[
                &user.id,
                &user.name,
                &user.email,
                &user.email_verified,
                &user.image,
                &extra,
            ],
        )
        .await?;
        Ok(user)
    }

    async fn user_where(
        &self,
        sql: &str,
        keys: &[&str],
        params: &Params<'_>,
    ) -> Result<Option<User>> {
        self.lookup("user", sql, keys, params)
            .await?
            .map(|row| user_at(&row, 0))
            .transpose()
    }

    pub(crate) async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        self.user_where(&self.sql.user_by_id, &[id], &[&id]).await
    }

    pub(crate) async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        self.user_where(&self.sql.user_by_email, &[email], &[&email])
            .await
    }

    pub(crate) async fn user_by_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<User>> {
        self.user_where(
            &self.sql.user_by_account,
            &[provider, provider_account_id],
            &[&provider, &provider_account_id],
        )
        .await
    }

    /// A partial update in one statement. With extra properties, the stored ones are read
    /// (row locked) and merged here first, so the size limit applies to the merged whole, as
    /// on SQLite.
    pub(crate) async fn update_user(&self, patch: &UserPatch) -> Result<User> {
        let not_found =
            || AdapterError::not_found(format!("user.id: no user with id {:?}", patch.id));
        refuse_nul([
            ("user.name", patch.name.as_option().map(String::as_str)),
            ("user.email", patch.email.as_option().map(String::as_str)),
            ("user.image", patch.image.as_option().map(String::as_str)),
        ])?;
        if has_nul(&patch.id) {
            return Err(not_found());
        }
        if patch.extra.is_empty() {
            return self.update_user_alone(patch).await?.ok_or_else(not_found);
        }
        let mut client = self.client("user").await?;
        let tx = client.transaction().await.map_err(pg("user"))?;
        let lock = tx
            .prepare_cached(&self.sql.lock_user_extra)
            .await
            .map_err(pg("user"))?;
        let Some(row) = tx
            .query_opt(&lock, &[&patch.id])
            .await
            .map_err(pg("user"))?
        else {
            return Err(not_found());
        };
        let stored: Option<String> = row.try_get(0).map_err(|e| corrupt("user", e))?;
        let mut merged = extras::from_column(stored.as_deref())?;
        for (key, value) in &patch.extra {
            merged.insert(key.clone(), value.clone());
        }
        let text = extras::to_column(&merged, "user")?;
        refuse_nul_in_extras("user", &patch.extra, text.as_deref())?;
        let statement = tx
            .prepare_cached(&self.sql.update_user)
            .await
            .map_err(pg("user"))?;
        let row = tx
            .query_opt(&statement, &UserUpdate::new(patch, text).params())
            .await
            .map_err(pg("user"))?;
        tx.commit().await.map_err(pg("user"))?;
        row.map(|row| user_at(&row, 0))
            .transpose()?
            .ok_or_else(not_found)
    }

    /// Runs the update statement on a plain connection (no extra properties to merge).
    async fn update_user_alone(&self, patch: &UserPatch) -> Result<Option<User>> {
        let client = self.client("user").await?;
        let statement = client
            .prepare_cached(&self.sql.update_user)
            .await
            .map_err(pg("user"))?;
        client
            .query_opt(&statement, &UserUpdate::new(patch, None).params())
            .await
            .map_err(pg("user"))?
            .map(|row| user_at(&row, 0))
            .transpose()
    }

    pub(crate) async fn delete_user(&self, id: &str) -> Result<Option<User>> {
        self.user_where(&self.sql.delete_user, &[id], &[&id]).await
    }

    pub(crate) async fn insert_account(&self, account: Account) -> Result<Account> {
        let extra = extras::to_column(&account.extra, "account")?;
        refuse_nul([
            ("account.userId", Some(account.user_id.as_str())),
            ("account.type", Some(account.kind.as_str())),
            ("account.provider", Some(account.provider.as_str())),
            (
                "account.providerAccountId",
                Some(account.provider_account_id.as_str()),
            ),
            ("account.access_token", account.access_token.as_deref()),
            ("account.refresh_token", account.refresh_token.as_deref()),
            ("account.token_type", account.token_type.as_deref()),
            ("account.scope", account.scope.as_deref()),
            ("account.id_token", account.id_token.as_deref()),
            ("account.session_state", account.session_state.as_deref()),
        ])?;
        refuse_nul_in_extras("account", &account.extra, extra.as_deref())?;
        let [access_token, refresh_token, id_token] = self.secrets.seal_account_tokens(&account)?;
        self.run(
            "account",
            &self.sql.insert_account,
            &[
                &account.user_id,
                &account.kind,
                &account.provider,
                &account.provider_account_id,
                &access_token,
                &refresh_token,
                &account.expires_at,
                &account.token_type,
                &account.scope,
                &id_token,
                &account.session_state,
                &extra,
            ],
        )
        .await?;
        Ok(account)
    }

    async fn account_where(
        &self,
        sql: &str,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<Account>> {
        let keys = [provider, provider_account_id];
        let params: &Params<'_> = &[&provider, &provider_account_id];
        match self.lookup("account", sql, &keys, params).await? {
            Some(row) => Ok(Some(self.secrets.open_account_tokens(account(&row)?)?)),
            None => Ok(None),
        }
    }

    pub(crate) async fn get_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<Account>> {
        self.account_where(&self.sql.get_account, provider, provider_account_id)
            .await
    }

    pub(crate) async fn delete_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<Account>> {
        self.account_where(&self.sql.delete_account, provider, provider_account_id)
            .await
    }

    pub(crate) async fn insert_session(
        &self,
        session: Session,
        origin: SessionOrigin,
    ) -> Result<Session> {
        if has_nul(&session.user_id) {
            return Err(no_such_user("session"));
        }
        refuse_nul([
            ("session.userAgent", origin.user_agent.as_deref()),
            ("session.ipAddress", origin.ip_address.as_deref()),
        ])?;
        let hash = self.secrets.session_token_hash(&session.session_token);
        self.run(
            "session",
            &self.sql.insert_session,
            &[
                &hash,
                &session.user_id,
                &session.expires,
                &public_id(),
                &now_millis(),
                &origin.user_agent,
                &origin.ip_address,
            ],
        )
        .await?;
        Ok(session)
    }

    pub(crate) async fn list_sessions(
        &self,
        user_id: String,
        current: Option<String>,
        now: Millis,
    ) -> Result<Vec<SessionInfo>> {
        if has_nul(&user_id) {
            return Ok(Vec::new());
        }
        let current = current.map(|token| self.secrets.session_token_hash(&token));
        self.all(
            "session",
            &self.sql.list_sessions,
            &[&user_id, &now, &current],
        )
        .await?
        .iter()
        .map(session_info)
        .collect()
    }

    pub(crate) async fn revoke_session(
        &self,
        user_id: String,
        id: String,
    ) -> Result<Option<SessionInfo>> {
        if has_nul(&user_id) || has_nul(&id) {
            return Ok(None);
        }
        self.one("session", &self.sql.revoke_session, &[&user_id, &id])
            .await?
            .map(|row| session_info(&row))
            .transpose()
    }

    pub(crate) async fn revoke_user_sessions(
        &self,
        user_ids: Vec<String>,
        except: Option<String>,
    ) -> Result<u64> {
        let user_ids: Vec<String> = user_ids.into_iter().filter(|id| !has_nul(id)).collect();
        let keep = except.map(|token| self.secrets.session_token_hash(&token));
        self.run(
            "session",
            &self.sql.revoke_user_sessions,
            &[&user_ids, &keep],
        )
        .await
    }

    pub(crate) async fn session_and_user(
        &self,
        session_token: String,
    ) -> Result<Option<(Session, User)>> {
        let hash = self.secrets.session_token_hash(&session_token);
        match self
            .one("session", &self.sql.session_and_user, &[&hash])
            .await?
        {
            Some(row) => Ok(Some((
                session_at(&row, 0, session_token)?,
                user_at(&row, 2)?,
            ))),
            None => Ok(None),
        }
    }

    pub(crate) async fn update_session(&self, patch: SessionPatch) -> Result<Option<Session>> {
        if patch.user_id.as_deref().is_some_and(has_nul) {
            return Err(no_such_user("session"));
        }
        let hash = self.secrets.session_token_hash(&patch.session_token);
        self.one(
            "session",
            &self.sql.update_session,
            &[&hash, &patch.user_id, &patch.expires, &now_millis()],
        )
        .await?
        .map(|row| session_at(&row, 0, patch.session_token.clone()))
        .transpose()
    }

    /// Deletes a session only if it has expired on the hub by `now` (a replica's stale copy
    /// must not end a session another server extended).
    pub(crate) async fn delete_expired_session(
        &self,
        session_token: String,
        now: i64,
    ) -> Result<Option<Session>> {
        let hash = self.secrets.session_token_hash(&session_token);
        self.one("session", &self.sql.delete_expired_session, &[&hash, &now])
            .await?
            .map(|row| session_at(&row, 0, session_token))
            .transpose()
    }

    pub(crate) async fn delete_session(&self, session_token: String) -> Result<Option<Session>> {
        let hash = self.secrets.session_token_hash(&session_token);
        self.one("session", &self.sql.delete_session, &[&hash])
            .await?
            .map(|row| session_at(&row, 0, session_token))
            .transpose()
    }

    pub(crate) async fn insert_token(&self, t: VerificationToken) -> Result<VerificationToken> {
        refuse_nul([
            ("verificationToken.identifier", Some(t.identifier.as_str())),
            ("verificationToken.token", Some(t.token.as_str())),
        ])?;
        self.run(
            "verificationToken",
            &self.sql.insert_token,
            &[&t.identifier, &t.token, &t.expires],
        )
        .await?;
        Ok(t)
    }

    /// The verification token a statement returns for `(identifier, token)`.
    async fn token_where(
        &self,
        sql: &str,
        identifier: &str,
        token_value: &str,
    ) -> Result<Option<VerificationToken>> {
        self.lookup(
            "verificationToken",
            sql,
            &[identifier, token_value],
            &[&identifier, &token_value],
        )
        .await?
        .map(|row| token(&row))
        .transpose()
    }

    pub(crate) async fn take_token(
        &self,
        identifier: &str,
        token_value: &str,
    ) -> Result<Option<VerificationToken>> {
        self.token_where(&self.sql.take_token, identifier, token_value)
            .await
    }

    pub(crate) async fn peek_token(
        &self,
        identifier: &str,
        token_value: &str,
    ) -> Result<Option<VerificationToken>> {
        self.token_where(&self.sql.peek_token, identifier, token_value)
            .await
    }

    pub(crate) async fn insert_authenticator(&self, a: Authenticator) -> Result<Authenticator> {
        if has_nul(&a.user_id) {
            return Err(no_such_user("authenticator"));
        }
        refuse_nul([
            ("authenticator.credentialID", Some(a.credential_id.as_str())),
            (
                "authenticator.providerAccountId",
                Some(a.provider_account_id.as_str()),
            ),
            (
                "authenticator.credentialPublicKey",
                Some(a.credential_public_key.as_str()),
            ),
            (
                "authenticator.credentialDeviceType",
                Some(a.credential_device_type.as_str()),
            ),
            ("authenticator.transports", a.transports.as_deref()),
        ])?;
        self.run(
            "authenticator",
            &self.sql.insert_authenticator,
            &[
                &a.credential_id,
                &a.user_id,
                &a.provider_account_id,
                &a.credential_public_key,
                &a.counter,
                &a.credential_device_type,
                &a.credential_backed_up,
                &a.transports,
            ],
        )
        .await?;
        Ok(a)
    }

    pub(crate) async fn get_authenticator(
        &self,
        credential_id: &str,
    ) -> Result<Option<Authenticator>> {
        self.lookup(
            "authenticator",
            &self.sql.get_authenticator,
            &[credential_id],
            &[&credential_id],
        )
        .await?
        .map(|row| authenticator(&row))
        .transpose()
    }

    pub(crate) async fn authenticators_by_user(&self, user_id: &str) -> Result<Vec<Authenticator>> {
        if has_nul(user_id) {
            return Ok(Vec::new());
        }
        self.all(
            "authenticator",
            &self.sql.authenticators_by_user,
            &[&user_id],
        )
        .await?
        .iter()
        .map(authenticator)
        .collect()
    }

    pub(crate) async fn update_counter(
        &self,
        credential_id: &str,
        counter: i64,
    ) -> Result<Authenticator> {
        let found = self
            .lookup(
                "authenticator",
                &self.sql.update_counter,
                &[credential_id],
                &[&credential_id, &counter],
            )
            .await?;
        match found {
            Some(row) => authenticator(&row),
            None => Err(AdapterError::not_found(format!(
                "authenticator.credentialID: no authenticator with credentialID {credential_id:?}"
            ))),
        }
    }

    pub(crate) async fn prune(&self, now: Millis) -> Result<Pruned> {
        let row = self
            .one("prune", &self.sql.prune, &[&now])
            .await?
            .ok_or_else(|| corrupt("prune", "no result row"))?;
        let count = |i: usize| -> Result<usize> {
            let n: i64 = row.try_get(i).map_err(|e| corrupt("prune", e))?;
            Ok(n as usize)
        };
        Ok(Pruned {
            sessions: count(0)?,
            verification_tokens: count(1)?,
        })
    }
}

/// `NOT_FOUND` for a write naming a user that cannot exist.
fn no_such_user(entity: &str) -> AdapterError {
    AdapterError::not_found(format!(
        "{entity}.userId does not refer to an existing user"
    ))
}

/// The parameters of `sql::Statements::update_user`: the id, then a "given" flag and a value
/// for each column, then the merged extra properties (or `NULL` to keep them).
pub(crate) struct UserUpdate<'a> {
    id: &'a String,
    given: [bool; 4],
    name: Option<&'a String>,
    email: Option<&'a String>,
    email_verified: Option<&'a Millis>,
    image: Option<&'a String>,
    extra: Option<String>,
}

impl<'a> UserUpdate<'a> {
    pub(crate) fn new(patch: &'a UserPatch, extra: Option<String>) -> Self {
        UserUpdate {
            id: &patch.id,
            given: [
                patch.name.is_change(),
                patch.email.is_change(),
                patch.email_verified.is_change(),
                patch.image.is_change(),
            ],
            name: patch.name.as_option(),
            email: patch.email.as_option(),
            email_verified: patch.email_verified.as_option(),
            image: patch.image.as_option(),
            extra,
        }
    }

    pub(crate) fn params(&self) -> [&(dyn ToSql + Sync); 10] {
        [
            self.id,
            &self.given[0],
            &self.name,
            &self.given[1],
            &self.email,
            &self.given[2],
            &self.email_verified,
            &self.given[3],
            &self.image,
            &self.extra,
        ]
    }
}
