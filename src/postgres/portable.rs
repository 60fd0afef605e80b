//! Rows as stored, for the command line (see `crate::core::portable`), on PostgreSQL: pages in
//! key order, whole batches in one transaction, statistics, constraint checks, re-sealing.

use std::sync::Arc;

use serde_json::{json, Map, Value};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::sql::{self, LATEST_VERSION};
use super::{Hub, PgStore};
use crate::core::error::{AdapterError, Result};
use crate::core::model::Millis;
use crate::core::portable::{fill_defaults, real, Imported, Kind, Rows, Table, TABLES};
use crate::core::store::{Answer, Maintenance};

fn pg(e: tokio_postgres::Error) -> AdapterError {
    AdapterError::from_postgres(&e, "maintenance")
}

fn select_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Extras => format!("{}::text", c.name),
            _ => c.name.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

type Param = Box<dyn ToSql + Sync + Send>;

fn param(kind: Kind, v: &Value) -> Param {
    match kind {
        Kind::Text | Kind::Extras => Box::new(v.as_str().map(str::to_string)),
        Kind::Int => Box::new(v.as_i64()),
        Kind::Real => Box::new(v.as_f64()),
        Kind::Bool => Box::new(v.as_bool()),
    }
}

fn read_row(table: &Table, r: &Row) -> Result<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Text | Kind::Extras => r
                    .try_get::<_, Option<String>>(i)
                    .map_err(pg)?
                    .map(Value::String),
                Kind::Int => r.try_get::<_, Option<i64>>(i).map_err(pg)?.map(Value::from),
                Kind::Real => r.try_get::<_, Option<f64>>(i).map_err(pg)?.map(real),
                Kind::Bool => r
                    .try_get::<_, Option<bool>>(i)
                    .map_err(pg)?
                    .map(Value::Bool),
            }
            .unwrap_or(Value::Null))
        })
        .collect()
}

fn table_name(db: &Hub, table: &Table) -> String {
    db.names.fill(&format!("{{{}}}", table.name))
}

async fn export_page(
    db: Arc<Hub>,
    table: &'static Table,
    after: Vec<Value>,
    limit: u32,
) -> Result<Vec<Vec<Value>>> {
    let key = table.key.join(", ");
    let filter = if after.is_empty() {
        String::new()
    } else {
        let place: Vec<String> = (1..=table.key.len()).map(|i| format!("${i}")).collect();
        format!("WHERE ({key}) > ({})", place.join(", "))
    };
    let text = format!(
        "SELECT {} FROM {} {filter} ORDER BY {key} LIMIT {limit}",
        select_list(table),
        table_name(&db, table)
    );
    let params: Vec<Param> = table
        .key
        .iter()
        .zip(after.iter())
        .map(|(k, v)| param(table.columns[table.index(k)].kind, v))
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
    let client = db.client("maintenance").await?;
    let rows = client.query(&text, &refs).await.map_err(pg)?;
    rows.iter().map(|r| read_row(table, r)).collect()
}

/// Inserts sent to the server before their answers are read.
const PIPELINE: usize = 1000;

async fn import_rows(
    db: Arc<Hub>,
    table: &'static Table,
    rows: Vec<Vec<Value>>,
    merge: bool,
) -> Result<Imported> {
    let place: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| match c.kind {
            Kind::Extras => format!("${}::text::jsonb", i + 1),
            _ => format!("${}", i + 1),
        })
        .collect();
    let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    let text = format!(
        "INSERT INTO {} ({}) VALUES ({}){}",
        table_name(&db, table),
        names.join(", "),
        place.join(", "),
        if merge { " ON CONFLICT DO NOTHING" } else { "" }
    );
    let mut client = db.client("maintenance").await?;
    let tx = client.transaction().await.map_err(pg)?;
    let insert = tx.prepare(&text).await.map_err(pg)?;
    let mut done = Imported::default();
    // Which of the batch's users are in the target: one query for the whole batch.
    let mut rows = rows;
    if table.of_user {
        let at = table.index("user_id");
        let ids: Vec<&str> = rows.iter().filter_map(|r| r[at].as_str()).collect();
        let found: std::collections::HashSet<String> = tx
            .query(
                &db.names.fill("SELECT id FROM {users} WHERE id = ANY($1)"),
                &[&ids],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            if row[at].as_str().is_some_and(|id| found.contains(id)) {
                kept.push(row);
                continue;
            }
            let why = table.user_missing(&row);
            if !merge {
                return Err(AdapterError::not_found(why));
            }
            done.conflicts.push(why);
        }
        rows = kept;
    }
    // The inserts are pipelined, a chunk at a time: the server runs them in order without a
    // round trip each. After a failure the later ones fail too; the first failure in order is
    // the one reported.
    for chunk in rows.chunks_mut(PIPELINE) {
        for row in chunk.iter_mut() {
            fill_defaults(table, row);
        }
        let params: Vec<Vec<Param>> = chunk
            .iter()
            .map(|row| {
                table
                    .columns
                    .iter()
                    .zip(row.iter())
                    .map(|(c, v)| param(c.kind, v))
                    .collect()
            })
            .collect();
        let refs: Vec<Vec<&(dyn ToSql + Sync)>> = params
            .iter()
            .map(|p| p.iter().map(|x| x.as_ref() as _).collect())
            .collect();
        let results =
            futures_util::future::join_all(refs.iter().map(|r| tx.execute(&insert, r))).await;
        for (row, result) in chunk.iter().zip(results) {
            match result {
                Ok(0) => done.conflicts.push(table.already_there(row)),
                Ok(_) => done.inserted += 1,
                Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                    let on_email = e
                        .as_db_error()
                        .and_then(|d| d.constraint())
                        .is_some_and(|c| c.contains("email"));
                    return Err(table.held_twice(row, on_email));
                }
                Err(e) => return Err(pg(e)),
            }
        }
    }
    tx.commit().await.map_err(pg)?;
    Ok(done)
}

async fn count(client: &deadpool_postgres::Object, text: &str, now: Option<i64>) -> Result<i64> {
    let row = match now {
        Some(now) => client.query_one(text, &[&now]).await,
        None => client.query_one(text, &[]).await,
    }
    .map_err(pg)?;
    Ok(row.get(0))
}

async fn version(db: &Hub, client: &deadpool_postgres::Object) -> Result<i32> {
    Ok(client
        .query_one(&db.names.fill(sql::CURRENT_VERSION), &[])
        .await
        .map_err(pg)?
        .get(0))
}

async fn stats(db: Arc<Hub>, now: Millis) -> Result<Value> {
    let client = db.client("maintenance").await?;
    let mut rows = Map::new();
    let mut size: i64 = 0;
    for t in &TABLES {
        let name = table_name(&db, t);
        rows.insert(
            t.name.into(),
            count(&client, &format!("SELECT count(*) FROM {name}"), None)
                .await?
                .into(),
        );
        size += count(
            &client,
            &format!(
                "SELECT pg_total_relation_size('{}'::regclass)::bigint",
                name.replace('\'', "''")
            ),
            None,
        )
        .await?;
    }
    let live_sessions = count(
        &client,
        &db.names
            .fill("SELECT count(*) FROM {sessions} WHERE expires > $1"),
        Some(now),
    )
    .await?;
    let live_tokens = count(
        &client,
        &db.names
            .fill("SELECT count(*) FROM {verification_tokens} WHERE expires > $1"),
        Some(now),
    )
    .await?;
    let mut providers = Map::new();
    for r in client
        .query(
            &db.names.fill(
                "SELECT provider, count(*) FROM {accounts} GROUP BY provider ORDER BY provider",
            ),
            &[],
        )
        .await
        .map_err(pg)?
    {
        providers.insert(r.get::<_, String>(0), r.get::<_, i64>(1).into());
    }
    Ok(json!({
        "backend": "postgres",
        "schemaVersion": version(&db, &client).await?,
        "latestSchemaVersion": LATEST_VERSION,
        "sizeBytes": size,
        "rows": rows,
        "sessions": { "live": live_sessions, "expired": rows["sessions"].as_i64().unwrap_or(0) - live_sessions },
        "verificationTokens": { "live": live_tokens, "expired": rows["verification_tokens"].as_i64().unwrap_or(0) - live_tokens },
        "accountsByProvider": providers,
    }))
}

async fn check(db: Arc<Hub>) -> Result<Value> {
    let client = db.client("maintenance").await?;
    let mut problems = Vec::new();
    for t in &TABLES {
        let name = table_name(&db, t);
        let kinds: Vec<(String, bool)> = client
            .query(
                "SELECT contype::text, convalidated FROM pg_constraint WHERE conrelid = $1::text::regclass",
                &[&name],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let has = |k: &str| kinds.iter().any(|(c, _)| c == k);
        if !has("p") {
            problems.push(format!("{name}: the primary key is missing"));
        }
        if t.of_user && !has("f") {
            problems.push(format!("{name}: the foreign key to users is missing"));
        }
        if t.name == "users" && !has("u") {
            problems.push(format!("{name}: the unique rule on email is missing"));
        }
        if kinds.iter().any(|(_, valid)| !valid) {
            problems.push(format!("{name}: a constraint is not validated"));
        }
    }
    let found = version(&db, &client).await?;
    if found != LATEST_VERSION {
        problems.push(format!(
            "schema version {found}, this library writes version {LATEST_VERSION}"
        ));
    }
    Ok(json!({
        "backend": "postgres",
        "ok": problems.is_empty(),
        "schemaVersion": found,
        "latestSchemaVersion": LATEST_VERSION,
        "checks": ["primary keys", "foreign keys", "unique email", "schema version"],
        "problems": problems,
    }))
}

async fn reseal(db: Arc<Hub>) -> Result<u64> {
    let mut client = db.client("maintenance").await?;
    let tx = client.transaction().await.map_err(pg)?;
    let page = tx
        .prepare(&db.names.fill(
            "SELECT provider, provider_account_id, access_token, refresh_token, id_token
             FROM {accounts} WHERE (provider, provider_account_id) > ($1, $2)
             ORDER BY provider, provider_account_id LIMIT 500",
        ))
        .await
        .map_err(pg)?;
    let update = tx
        .prepare(&db.names.fill(
            "UPDATE {accounts} SET access_token = $1, refresh_token = $2, id_token = $3
             WHERE provider = $4 AND provider_account_id = $5",
        ))
        .await
        .map_err(pg)?;
    let (mut p, mut id) = (String::new(), String::new());
    let mut changed = 0;
    loop {
        let rows = tx.query(&page, &[&p, &id]).await.map_err(pg)?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let provider: String = r.get(0);
            let pid: String = r.get(1);
            let tokens = [r.get(2), r.get(3), r.get(4)];
            if let Some([a, rt, it]) = db.secrets.reseal_account_tokens(&provider, &pid, tokens)? {
                tx.execute(&update, &[&a, &rt, &it, &provider, &pid])
                    .await
                    .map_err(pg)?;
                changed += 1;
            }
            (p, id) = (provider, pid);
        }
    }
    tx.commit().await.map_err(pg)?;
    Ok(changed)
}

async fn clear(db: Arc<Hub>) -> Result<()> {
    let client = db.client("maintenance").await?;
    client
        .batch_execute(&db.names.fill(
            "BEGIN; DELETE FROM {authenticators}; DELETE FROM {sessions}; DELETE FROM {accounts};
             DELETE FROM {verification_tokens}; DELETE FROM {users}; COMMIT;",
        ))
        .await
        .map_err(pg)
}

impl Maintenance for PgStore {
    fn export_page(
        &self,
        table: &'static Table,
        after: Vec<Value>,
        limit: u32,
    ) -> Answer<Vec<Vec<Value>>> {
        self.call("maintenance", move |db| {
            export_page(db, table, after, limit)
        })
    }

    fn import_rows(&self, table: &'static Table, rows: Rows, merge: bool) -> Answer<Imported> {
        let rows = rows.into_values();
        self.call_within("maintenance", None, move |db| {
            import_rows(db, table, rows, merge)
        })
    }

    fn stats(&self, now: Millis) -> Answer<Value> {
        self.call("maintenance", move |db| stats(db, now))
    }

    fn check(&self) -> Answer<Value> {
        self.call("maintenance", check)
    }

    fn reseal(&self) -> Answer<u64> {
        if !self.inner.secrets.encrypts() {
            return Answer::Now(Err(crate::core::portable::no_key_to_rotate_to()));
        }
        self.call_within("maintenance", None, reseal)
    }

    fn clear(&self) -> Answer<()> {
        self.call("maintenance", clear)
    }

    fn secrets(&self) -> &crate::core::secrets::Secrets {
        &self.inner.secrets
    }
}
