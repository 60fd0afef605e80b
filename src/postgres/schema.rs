//! Bringing a PostgreSQL schema up to date.
//!
//! Applied versions are rows of `{prefix}schema_migrations`. All pending migrations run in one
//! transaction that first takes a transaction-level advisory lock keyed by the schema and
//! prefix: instances starting together queue on the lock, the first one migrates, the others
//! then find nothing left to do. PostgreSQL's DDL is transactional, so a failed migration
//! leaves the schema as it was. A schema newer than this library is refused untouched.

use super::hub::Hub;
use super::sql::{self, LATEST_VERSION, MIGRATIONS};
use crate::core::error::{AdapterError, ErrorCode, Result};

fn pg(e: tokio_postgres::Error) -> AdapterError {
    AdapterError::from_postgres(&e, "migration")
}

/// A transaction holding the migration lock of this schema and prefix (every change to the
/// hub's schema runs in one: migrations, replication, declared columns).
pub(super) async fn locked<'c>(
    client: &'c mut deadpool_postgres::Object,
    names: &sql::Names,
) -> Result<deadpool_postgres::Transaction<'c>> {
    let tx = client.transaction().await.map_err(pg)?;
    tx.query_one(sql::MIGRATION_LOCK, &[&names.lock_key()])
        .await
        .map_err(pg)?;
    Ok(tx)
}

/// Applies every missing migration.
pub(super) async fn migrate(inner: &Hub) -> Result<()> {
    let names = &inner.names;
    let mut client = inner.client("migration").await?;
    let tx = locked(&mut client, names).await?;
    // CREATE SCHEMA needs the CREATE privilege even when the schema exists; ask first.
    let has_schema = tx
        .query_opt(
            "SELECT 1 FROM pg_namespace WHERE nspname = $1",
            &[&names.schema()],
        )
        .await
        .map_err(pg)?
        .is_some();
    let prepare = if has_schema {
        sql::PREPARE_MIGRATIONS.replace("CREATE SCHEMA IF NOT EXISTS {schema};", "")
    } else {
        sql::PREPARE_MIGRATIONS.to_string()
    };
    tx.batch_execute(&names.fill(&prepare)).await.map_err(pg)?;
    let current: i32 = tx
        .query_one(&names.fill(sql::CURRENT_VERSION), &[])
        .await
        .map_err(pg)?
        .get(0);
    if current > LATEST_VERSION {
        return Err(AdapterError::new(
            ErrorCode::SchemaTooNew,
            format!(
                "the database schema is version {current}, but this authjs-rust-adapter only knows up to version {LATEST_VERSION}; upgrade the package (the database was left unchanged)"
            ),
        ));
    }
    for version in current..LATEST_VERSION {
        tx.batch_execute(&names.fill(MIGRATIONS[version as usize]))
            .await
            .map_err(pg)?;
        tx.execute(&names.fill(sql::RECORD_VERSION), &[&(version + 1)])
            .await
            .map_err(pg)?;
    }
    tx.commit().await.map_err(pg)
}

impl Hub {
    /// Brings the schema up to date once per store (retried by the next call after a failure).
    pub(crate) async fn ready(&self) -> Result<()> {
        self.ready
            .get_or_try_init(|| migrate(self))
            .await
            .map(|_| ())
    }
}
