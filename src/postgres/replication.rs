//! The hub side of local-first replicas (see `crate::replica`): installing the change log,
//! reading changes since a position, fetching stored rows for a replica's cache, replaying a
//! replica's outbox idempotently, device records, and a listening connection.

use std::collections::HashSet;

use deadpool_postgres::GenericClient;
use futures_util::future::poll_fn;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Row};

use super::hub::Hub;
use super::{queries, sql, UserUpdate};
use crate::core::error::{AdapterError, Result};
use crate::core::replication::rows::{
    ChangeSet, Key, OutboxOp, StoredAccount, StoredSession, StoredUser,
};
use crate::core::replication::schema::{ColumnType, DeclaredSchema};
use crate::core::store::now_millis;

/// The PostgreSQL type (as `information_schema` names it) and expression of a declared user
/// column (a stored generated column over `extra`).
fn declared_column(name: &str, kind: ColumnType) -> (&'static str, &'static str, String) {
    let value = format!("(extra ->> '{name}')");
    match kind {
        ColumnType::Text => ("text", "text", value),
        ColumnType::Integer => ("bigint", "bigint", format!("({value}::numeric::bigint)")),
        ColumnType::Real => (
            "double precision",
            "double precision",
            format!("({value}::double precision)"),
        ),
        ColumnType::Boolean => ("boolean", "boolean", format!("({value}::boolean)")),
        ColumnType::Date => (
            "bigint",
            "bigint",
            format!("((extra -> '{name}' ->> '$date')::numeric::bigint)"),
        ),
    }
}

fn pg(e: tokio_postgres::Error) -> AdapterError {
    AdapterError::from_postgres(&e, "replication")
}

fn corrupt(e: impl std::fmt::Display) -> AdapterError {
    AdapterError::new(
        crate::core::error::ErrorCode::DbError,
        format!("replication: a stored row cannot be read: {e}"),
    )
}

fn stored_user(r: &Row) -> Result<StoredUser> {
    Ok(StoredUser {
        id: r.try_get(0).map_err(corrupt)?,
        name: r.try_get(1).map_err(corrupt)?,
        email: r.try_get(2).map_err(corrupt)?,
        email_verified: r.try_get(3).map_err(corrupt)?,
        image: r.try_get(4).map_err(corrupt)?,
        extra: r.try_get(5).map_err(corrupt)?,
    })
}

fn stored_account(r: &Row) -> Result<StoredAccount> {
    Ok(StoredAccount {
        user_id: r.try_get(0).map_err(corrupt)?,
        kind: r.try_get(1).map_err(corrupt)?,
        provider: r.try_get(2).map_err(corrupt)?,
        provider_account_id: r.try_get(3).map_err(corrupt)?,
        access_token: r.try_get(4).map_err(corrupt)?,
        refresh_token: r.try_get(5).map_err(corrupt)?,
        expires_at: r.try_get(6).map_err(corrupt)?,
        token_type: r.try_get(7).map_err(corrupt)?,
        scope: r.try_get(8).map_err(corrupt)?,
        id_token: r.try_get(9).map_err(corrupt)?,
        session_state: r.try_get(10).map_err(corrupt)?,
        extra: r.try_get(11).map_err(corrupt)?,
    })
}

fn stored_session(r: &Row) -> Result<StoredSession> {
    Ok(StoredSession {
        session_token_hash: r.try_get(0).map_err(corrupt)?,
        user_id: r.try_get(1).map_err(corrupt)?,
        expires: r.try_get(2).map_err(corrupt)?,
    })
}

/// What a replica looks up on the hub when its own copy has nothing.
#[derive(Debug, Clone)]
pub enum Lookup {
    UserById(String),
    UserByEmail(String),
    /// The account and its user.
    Account(String, String),
    /// The session (by token hash) and its user.
    Session(String),
    Authenticator(String),
    /// A user and all their authenticators.
    AuthenticatorsOf(String),
}

/// A connection that receives the hub's change notifications: each message is the id of a
/// transaction that changed replicated rows. The channel closes when the connection drops.
pub struct Listener {
    /// Keeps the connection open.
    _client: tokio_postgres::Client,
    /// Notifications, as transaction ids.
    pub notifications: mpsc::UnboundedReceiver<u64>,
}

impl Hub {
    /// Installs the change log, device and replay tables once per hub (under the migration
    /// lock, so replicas starting together install it once).
    pub(crate) async fn ensure_replication(&self) -> Result<()> {
        self.ready().await?;
        self.replication
            .get_or_try_init(|| async {
                let names = &self.names;
                let mut client = self.client("replication").await?;
                let tx = super::schema::locked(&mut client, names).await?;
                if tx
                    .query_opt(&names.fill(sql::HAS_REPLICATION), &[])
                    .await
                    .map_err(pg)?
                    .is_none()
                {
                    tx.batch_execute(&names.fill(sql::REPLICATION))
                        .await
                        .map_err(pg)?;
                    tx.execute(
                        &names.fill(sql::RECORD_VERSION),
                        &[&sql::REPLICATION_VERSION],
                    )
                    .await
                    .map_err(pg)?;
                }
                tx.commit().await.map_err(pg)
            })
            .await
            .map(|_| ())
    }

    /// The `NOTIFY` channel replicas listen on.
    pub(crate) fn channel(&self) -> String {
        self.names.channel()
    }

    /// Every change since `position` (everything, as a full copy, when `None`), read in one
    /// snapshot. The new position is the oldest transaction still running at that snapshot:
    /// every change before it is final; changes from it on that the snapshot sees are applied
    /// now and read again next time, with those of transactions still running.
    pub(crate) async fn changes_since(&self, position: Option<&str>) -> Result<ChangeSet> {
        self.ensure_replication().await?;
        let names = &self.names;
        let mut client = self.client("replication").await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(pg)?;
        let xmin: String = tx
            .query_one(sql::SNAPSHOT_XMIN, &[])
            .await
            .map_err(pg)?
            .get(0);
        let mut set = ChangeSet {
            position: xmin.clone(),
            ..ChangeSet::default()
        };
        let floor: String = tx
            .query_one(&names.fill(sql::CHANGE_LOG_FLOOR), &[])
            .await
            .map_err(pg)?
            .get(0);
        // A replica behind the pruned part of the log takes a full copy.
        let position = position.filter(|p| xid_after(p, &floor));
        let Some(from) = position else {
            set.full = true;
            for r in tx
                .query(&names.fill(sql::STORED_USERS), &[])
                .await
                .map_err(pg)?
            {
                set.users.push(stored_user(&r)?);
            }
            for r in tx
                .query(&names.fill(sql::STORED_ACCOUNTS), &[])
                .await
                .map_err(pg)?
            {
                set.accounts.push(stored_account(&r)?);
            }
            for r in tx
                .query(&names.fill(sql::STORED_SESSIONS), &[])
                .await
                .map_err(pg)?
            {
                set.sessions.push(stored_session(&r)?);
            }
            for r in tx
                .query(&names.fill(sql::STORED_AUTHENTICATORS), &[])
                .await
                .map_err(pg)?
            {
                set.authenticators.push(queries::authenticator(&r)?);
            }
            tx.commit().await.map_err(pg)?;
            return Ok(set);
        };
        let mut keys = Vec::new();
        for r in tx
            .query(&names.fill(sql::CHANGED_KEYS), &[&from])
            .await
            .map_err(pg)?
        {
            let table: String = r.get(0);
            let key: String = r.get(1);
            let parts: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&key)
                .map_err(corrupt)?
                .into_iter()
                .map(|v| v.as_str().map(str::to_string).unwrap_or_default())
                .collect();
            keys.push(match (table.as_str(), parts.as_slice()) {
                ("users", [id]) => Key::User(id.clone()),
                ("accounts", [p, id]) => Key::Account(p.clone(), id.clone()),
                ("sessions", [h]) => Key::Session(h.clone()),
                ("authenticators", [c]) => Key::Authenticator(c.clone()),
                _ => continue,
            });
        }
        fetch_keys(&tx, names, &keys, &mut set).await?;
        tx.commit().await.map_err(pg)?;
        Ok(set)
    }

    /// The stored rows a lookup finds (with the user they belong to), for a replica's cache.
    pub(crate) async fn fetch(&self, lookup: &Lookup) -> Result<ChangeSet> {
        let names = &self.names;
        let client = self.client("replication").await?;
        let mut set = ChangeSet::default();
        let users = names.fill(sql::STORED_USERS);
        let user_where = |clause: &str| format!("{users} WHERE {clause}");
        let user_of = |set: &mut ChangeSet, rows: Vec<Row>| -> Result<()> {
            for r in rows {
                set.users.push(stored_user(&r)?);
            }
            Ok(())
        };
        match lookup {
            Lookup::UserById(id) => {
                let rows = client
                    .query(&user_where("id = $1"), &[id])
                    .await
                    .map_err(pg)?;
                user_of(&mut set, rows)?;
            }
            Lookup::UserByEmail(email) => {
                let rows = client
                    .query(&user_where("email = $1"), &[email])
                    .await
                    .map_err(pg)?;
                user_of(&mut set, rows)?;
            }
            Lookup::Account(provider, id) => {
                let rows = client
                    .query(
                        &format!(
                            "{} WHERE provider = $1 AND provider_account_id = $2",
                            names.fill(sql::STORED_ACCOUNTS)
                        ),
                        &[provider, id],
                    )
                    .await
                    .map_err(pg)?;
                for r in rows {
                    let account = stored_account(&r)?;
                    let owner = client
                        .query(&user_where("id = $1"), &[&account.user_id])
                        .await
                        .map_err(pg)?;
                    user_of(&mut set, owner)?;
                    set.accounts.push(account);
                }
            }
            Lookup::Session(hash) => {
                let rows = client
                    .query(
                        &format!(
                            "{} WHERE session_token_hash = $1",
                            names.fill(sql::STORED_SESSIONS)
                        ),
                        &[hash],
                    )
                    .await
                    .map_err(pg)?;
                for r in rows {
                    let session = stored_session(&r)?;
                    let owner = client
                        .query(&user_where("id = $1"), &[&session.user_id])
                        .await
                        .map_err(pg)?;
                    user_of(&mut set, owner)?;
                    set.sessions.push(session);
                }
            }
            Lookup::Authenticator(id) | Lookup::AuthenticatorsOf(id) => {
                let clause = if matches!(lookup, Lookup::Authenticator(_)) {
                    "credential_id = $1"
                } else {
                    "user_id = $1"
                };
                let rows = client
                    .query(
                        &format!("{} WHERE {clause}", names.fill(sql::STORED_AUTHENTICATORS)),
                        &[id],
                    )
                    .await
                    .map_err(pg)?;
                let mut owners = HashSet::new();
                for r in rows {
                    let a = queries::authenticator(&r)?;
                    owners.insert(a.user_id.clone());
                    set.authenticators.push(a);
                }
                for owner in owners {
                    let rows = client
                        .query(&user_where("id = $1"), &[&owner])
                        .await
                        .map_err(pg)?;
                    user_of(&mut set, rows)?;
                }
            }
        }
        Ok(set)
    }

    /// Replays one outbox write, once: a write whose id the hub has seen is skipped.
    pub(crate) async fn replay(&self, op_id: &str, op: &OutboxOp) -> Result<()> {
        self.ensure_replication().await?;
        let names = &self.names;
        let mut client = self.client("replication").await?;
        let tx = client.transaction().await.map_err(pg)?;
        let first = tx
            .query_opt(&names.fill(sql::CLAIM_OP), &[&op_id])
            .await
            .map_err(pg)?
            .is_some();
        if first {
            match op {
                OutboxOp::UpdateSession {
                    session_token_hash,
                    user_id,
                    expires,
                } => {
                    // The session was last active when the replica extended it; the outbox
                    // keeps no time, so the replay's moment stands in for it.
                    tx.execute(
                        &self.sql.update_session,
                        &[session_token_hash, user_id, expires, &now_millis()],
                    )
                    .await
                    .map_err(pg)?;
                }
                OutboxOp::DeleteSession { session_token_hash } => {
                    tx.execute(&self.sql.delete_session, &[session_token_hash])
                        .await
                        .map_err(pg)?;
                }
                OutboxOp::DeleteExpiredSession { session_token_hash } => {
                    tx.execute(
                        &self.sql.delete_expired_session,
                        &[session_token_hash, &now_millis()],
                    )
                    .await
                    .map_err(pg)?;
                }
                OutboxOp::UpdateUser(patch) => {
                    // Extra properties are merged into what the hub holds now.
                    let extra = if patch.extra.is_empty() {
                        None
                    } else {
                        let stored: Option<String> = tx
                            .query_opt(&self.sql.lock_user_extra, &[&patch.id])
                            .await
                            .map_err(pg)?
                            .map(|r| r.get(0))
                            .unwrap_or(None);
                        let mut merged = crate::core::extras::from_column(stored.as_deref())?;
                        for (k, v) in &patch.extra {
                            merged.insert(k.clone(), v.clone());
                        }
                        crate::core::extras::to_column(&merged, "user")?
                    };
                    tx.execute(
                        &self.sql.update_user,
                        &UserUpdate::new(patch, extra).params(),
                    )
                    .await
                    .map_err(pg)?;
                }
            }
        }
        tx.commit().await.map_err(pg)
    }

    /// Records (or renews) a device and the hash of its pubsub token.
    pub(crate) async fn register_device(
        &self,
        id: &str,
        token_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<()> {
        self.ensure_replication().await?;
        let client = self.client("device").await?;
        client
            .execute(
                &self.names.fill(sql::UPSERT_DEVICE),
                &[&id, &token_hash, &expires_at, &now],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    /// The expiry the hub holds for this device and token hash (`None`: no such pair).
    pub(crate) async fn device_token_expiry(
        &self,
        id: &str,
        token_hash: &str,
    ) -> Result<Option<i64>> {
        self.ensure_replication().await?;
        let client = self.client("device").await?;
        Ok(client
            .query_opt(&self.names.fill(sql::DEVICE_TOKEN), &[&id, &token_hash])
            .await
            .map_err(pg)?
            .map(|r| r.get(0)))
    }

    /// Removes a device record.
    pub(crate) async fn delete_device(&self, id: &str) -> Result<()> {
        self.ensure_replication().await?;
        let client = self.client("device").await?;
        client
            .execute(&self.names.fill(sql::DELETE_DEVICE), &[&id])
            .await
            .map_err(pg)?;
        Ok(())
    }

    /// The types of the hub's `users` columns, by name.
    async fn user_columns(&self, client: &impl GenericClient) -> Result<Vec<(String, String)>> {
        let table = format!("{}users", self.names.prefix());
        Ok(client
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                  WHERE table_schema = $1 AND table_name = $2",
                &[&self.names.schema(), &table],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    /// How the hub differs from `schema` (empty: it matches).
    pub(crate) async fn schema_differences(&self, schema: &DeclaredSchema) -> Result<Vec<String>> {
        self.ready().await?;
        let client = self.client("schema").await?;
        let columns = self.user_columns(&client).await?;
        let mut out = Vec::new();
        if client
            .query_opt(&self.names.fill(sql::HAS_REPLICATION), &[])
            .await
            .map_err(pg)?
            .is_none()
        {
            out.push("hub: the replication tables are not installed".to_string());
        }
        for (name, kind) in &schema.user_columns {
            let (want, _, _) = declared_column(name, *kind);
            match columns.iter().find(|(n, _)| n == name) {
                None => out.push(format!("hub: users.{name} ({}) is missing", kind.name())),
                Some((_, have)) if have != want => out.push(format!(
                    "hub: users.{name} is {have}, declared {} ({want})",
                    kind.name()
                )),
                Some(_) => {}
            }
        }
        Ok(out)
    }

    /// Installs replication and adds the declared user columns the hub lacks (under the
    /// migration lock); a column that exists with another type is refused.
    pub(crate) async fn migrate_schema(&self, schema: &DeclaredSchema) -> Result<()> {
        self.ensure_replication().await?;
        let mut client = self.client("schema").await?;
        let tx = super::schema::locked(&mut client, &self.names).await?;
        let columns = self.user_columns(&tx).await?;
        for (name, kind) in &schema.user_columns {
            let (want, ddl_type, expr) = declared_column(name, *kind);
            match columns.iter().find(|(n, _)| n == name) {
                Some((_, have)) if have != want => {
                    return Err(AdapterError::invalid(
                        format!("schema.user.{name}"),
                        format!("exists on the hub as {have}; it is not changed to {want}"),
                    ))
                }
                Some(_) => {}
                None => tx
                    .batch_execute(&self.names.fill(&format!(
                        "ALTER TABLE {{users}} ADD COLUMN \"{name}\" {ddl_type} GENERATED ALWAYS AS ({expr}) STORED"
                    )))
                    .await
                    .map_err(pg)?,
            }
        }
        tx.commit().await.map_err(pg)
    }

    /// Opens a dedicated connection (outside the pool) listening on the change channel.
    pub(crate) async fn listen(&self) -> Result<Listener> {
        self.ensure_replication().await?;
        let (client, mut connection) = self
            .listen_config
            .connect(self.tls.clone())
            .await
            .map_err(pg)?;
        let (tx, notifications) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                match poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        if tx.send(n.payload().parse().unwrap_or(0)).is_err() {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return,
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {}", self.channel()))
            .await
            .map_err(pg)?;
        Ok(Listener {
            _client: client,
            notifications,
        })
    }
}

/// True when transaction id `position` (text) is after `floor` (text).
fn xid_after(position: &str, floor: &str) -> bool {
    match (position.parse::<u64>(), floor.parse::<u64>()) {
        (Ok(p), Ok(f)) => p > f,
        _ => false,
    }
}

impl Hub {
    /// Prunes the change log (when replication is installed); run with the hub's sweeps.
    pub(crate) async fn prune_change_log(&self) -> Result<()> {
        let client = self.client("replication").await?;
        if client
            .query_opt(&self.names.fill(sql::HAS_REPLICATION), &[])
            .await
            .map_err(pg)?
            .is_some()
        {
            client
                .execute(&self.names.fill(sql::PRUNE_CHANGE_LOG), &[])
                .await
                .map_err(pg)?;
        }
        Ok(())
    }
}

/// Reads the current stored rows of `keys` into `set`; keys with no row are deletions.
async fn fetch_keys(
    client: &impl GenericClient,
    names: &sql::Names,
    keys: &[Key],
    set: &mut ChangeSet,
) -> Result<()> {
    let mut users = Vec::new();
    let mut sessions = Vec::new();
    let mut authenticators = Vec::new();
    let (mut providers, mut account_ids) = (Vec::new(), Vec::new());
    for key in keys {
        match key {
            Key::User(id) => users.push(id.clone()),
            Key::Session(h) => sessions.push(h.clone()),
            Key::Authenticator(c) => authenticators.push(c.clone()),
            Key::Account(p, id) => {
                providers.push(p.clone());
                account_ids.push(id.clone());
            }
        }
    }
    let fetch = Fetch { client, names };
    let asked: Vec<Key> = users.iter().cloned().map(Key::User).collect();
    let (found, gone) = fetch
        .rows(
            &asked,
            sql::STORED_USERS,
            "id = ANY($1)",
            &[&users],
            stored_user,
            |u| Key::User(u.id.clone()),
        )
        .await?;
    set.users.extend(found);
    set.deleted.extend(gone);

    let asked: Vec<Key> = sessions.iter().cloned().map(Key::Session).collect();
    let (found, gone) = fetch
        .rows(
            &asked,
            sql::STORED_SESSIONS,
            "session_token_hash = ANY($1)",
            &[&sessions],
            stored_session,
            |s| Key::Session(s.session_token_hash.clone()),
        )
        .await?;
    set.sessions.extend(found);
    set.deleted.extend(gone);

    let asked: Vec<Key> = authenticators
        .iter()
        .cloned()
        .map(Key::Authenticator)
        .collect();
    let (found, gone) = fetch
        .rows(
            &asked,
            sql::STORED_AUTHENTICATORS,
            "credential_id = ANY($1)",
            &[&authenticators],
            queries::authenticator,
            |a| Key::Authenticator(a.credential_id.clone()),
        )
        .await?;
    set.authenticators.extend(found);
    set.deleted.extend(gone);

    let asked: Vec<Key> = providers
        .iter()
        .zip(&account_ids)
        .map(|(p, id)| Key::Account(p.clone(), id.clone()))
        .collect();
    let (found, gone) = fetch
        .rows(
            &asked,
            sql::STORED_ACCOUNTS,
            "(provider, provider_account_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            &[&providers, &account_ids],
            stored_account,
            |a| Key::Account(a.provider.clone(), a.provider_account_id.clone()),
        )
        .await?;
    set.accounts.extend(found);
    set.deleted.extend(gone);
    Ok(())
}

/// Reads stored rows of one kind by their keys.
struct Fetch<'a, C> {
    client: &'a C,
    names: &'a sql::Names,
}

impl<C: GenericClient> Fetch<'_, C> {
    /// The rows of `select` that match `condition` (whose parameters list the keys `asked`),
    /// each read with `read`; and the keys asked for that no row came back for, which are
    /// rows deleted since they changed. Nothing is asked of the server for no keys.
    async fn rows<T>(
        &self,
        asked: &[Key],
        select: &str,
        condition: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        read: impl Fn(&Row) -> Result<T>,
        key_of: impl Fn(&T) -> Key,
    ) -> Result<(Vec<T>, Vec<Key>)> {
        if asked.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let statement = format!("{} WHERE {condition}", self.names.fill(select));
        let found = self.client.query(&statement, params).await.map_err(pg)?;
        let found = found.iter().map(read).collect::<Result<Vec<T>>>()?;
        let present: HashSet<Key> = found.iter().map(key_of).collect();
        let gone = asked
            .iter()
            .filter(|key| !present.contains(key))
            .cloned()
            .collect();
        Ok((found, gone))
    }
}

#[cfg(test)]
mod tests {
    use super::xid_after;

    #[test]
    fn a_position_counts_as_past_the_floor_only_when_strictly_after_it() {
        assert!(xid_after("101", "100"));
        assert!(!xid_after("100", "100"));
        assert!(!xid_after("99", "100"));
        assert!(!xid_after("garbage", "0"));
    }
}
