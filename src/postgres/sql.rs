//! Every SQL text of the PostgreSQL backend: the migrations and the statements.
//!
//! Table names are written as `{users}`, `{accounts}`, ... and filled in once per store with
//! the configured schema and table prefix (quoted identifiers), so the same texts serve an
//! app that keeps our tables beside its own.
//!
//! The schema matches the SQLite one column for column: dates are epoch milliseconds in
//! `bigint` (the same numbers SQLite stores), extra properties are the same tagged JSON, kept
//! as `jsonb`; session tokens are stored only as their keyed hash.

/// Migration `n` (1-based) brings a schema from version `n - 1` to version `n`.
pub const MIGRATIONS: &[&str] = &[
    // 1: every Auth.js model, as SQLite has them at its version 4.
    "
    CREATE TABLE {users} (
        id             text PRIMARY KEY,
        name           text,
        email          text UNIQUE,
        email_verified bigint,
        image          text,
        extra          jsonb
    );
    CREATE TABLE {accounts} (
        provider            text NOT NULL,
        provider_account_id text NOT NULL,
        user_id             text NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
        type                text NOT NULL,
        access_token        text,
        refresh_token       text,
        expires_at          double precision,
        token_type          text,
        scope               text,
        id_token            text,
        session_state       text,
        extra               jsonb,
        PRIMARY KEY (provider, provider_account_id)
    );
    CREATE INDEX ON {accounts} (user_id);
    CREATE TABLE {sessions} (
        session_token_hash text PRIMARY KEY,
        user_id            text NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
        expires            bigint NOT NULL
    );
    CREATE INDEX ON {sessions} (user_id);
    CREATE INDEX ON {sessions} (expires);
    CREATE TABLE {verification_tokens} (
        identifier text NOT NULL,
        token      text NOT NULL,
        expires    bigint NOT NULL,
        PRIMARY KEY (identifier, token)
    );
    CREATE INDEX ON {verification_tokens} (expires);
    CREATE TABLE {authenticators} (
        credential_id          text PRIMARY KEY,
        user_id                text NOT NULL REFERENCES {users} (id) ON DELETE CASCADE,
        provider_account_id    text NOT NULL,
        credential_public_key  text NOT NULL,
        counter                bigint NOT NULL,
        credential_device_type text NOT NULL,
        credential_backed_up   boolean NOT NULL,
        transports             text,
        created_seq            bigint GENERATED ALWAYS AS IDENTITY
    );
    CREATE INDEX ON {authenticators} (user_id, created_seq);
    ",
    // 2: what a user's list of sessions shows (as SQLite's version 5): a random public id,
    // when the session was created and last written, and where from when captured.
    "
    ALTER TABLE {sessions} ADD COLUMN id text;
    ALTER TABLE {sessions} ADD COLUMN created_at bigint;
    ALTER TABLE {sessions} ADD COLUMN last_active_at bigint;
    ALTER TABLE {sessions} ADD COLUMN user_agent text;
    ALTER TABLE {sessions} ADD COLUMN ip_address text;
    UPDATE {sessions} SET id = md5(random()::text || clock_timestamp()::text || session_token_hash);
    ",
];

/// The schema version this library writes and reads.
pub const LATEST_VERSION: i32 = MIGRATIONS.len() as i32;

/// Creates the schema and the table of applied migrations. Runs after the advisory lock is
/// held, so instances starting together do not race on `IF NOT EXISTS`.
pub const PREPARE_MIGRATIONS: &str = "
    CREATE SCHEMA IF NOT EXISTS {schema};
    CREATE TABLE IF NOT EXISTS {schema_migrations} (
        version    integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
    );
";

/// Serialises migrations of one schema and prefix across every instance (released at COMMIT).
pub const MIGRATION_LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended('authjs-rust-adapter ' || $1, 0))";

/// The newest applied schema version (0 for a new database; 1000 and up are optional parts).
pub const CURRENT_VERSION: &str =
    "SELECT coalesce(max(version), 0) FROM {schema_migrations} WHERE version < 1000";

/// Records an applied migration.
pub const RECORD_VERSION: &str = "INSERT INTO {schema_migrations} (version) VALUES ($1)";

/// Replication (for local-first replicas, see `crate::replica`): installed the first time a
/// replica connects, so a hub nobody replicates pays nothing. Recorded in `schema_migrations`
/// as version [`REPLICATION_VERSION`].
///
/// Every change to a replicated table writes the changed row's key to `{change_log}` from a
/// row trigger, in the changing transaction itself: a change that commits always commits its
/// log row, whoever made it (this adapter, another instance, a SQL console). The log holds
/// keys only; a replica reads the rows' current state, so the order in which transactions
/// committed does not matter. Each row's `xid` is the writing transaction's id. A replica
/// reads every log row its snapshot sees from its position on, and then moves its position
/// only up to the oldest transaction still running: one that commits later with a smaller id
/// is read next time, never skipped (rows read twice are applied twice, harmlessly).
/// `pg_notify` (delivered at commit) wakes live replicas.
pub const REPLICATION: &str = "
    CREATE TABLE {change_log} (
        id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        xid   xid8 NOT NULL DEFAULT pg_current_xact_id(),
        tbl   text NOT NULL,
        key   jsonb NOT NULL,
        at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ON {change_log} (xid);
    CREATE INDEX ON {change_log} (at);
    CREATE TABLE {change_log_floor} (
        only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        xid      xid8 NOT NULL
    );
    INSERT INTO {change_log_floor} (xid) VALUES ('0');
    CREATE TABLE {devices} (
        id            text PRIMARY KEY,
        token_hash    text NOT NULL,
        expires_at    bigint NOT NULL,
        registered_at bigint NOT NULL
    );
    CREATE TABLE {applied_ops} (
        op_id      text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE FUNCTION {log_change}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
        old_key jsonb;
        new_key jsonb;
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            SELECT jsonb_agg(to_jsonb(OLD) -> c) INTO old_key FROM unnest(TG_ARGV[1:]) AS c;
            INSERT INTO {change_log} (tbl, key) VALUES (TG_ARGV[0], old_key);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            SELECT jsonb_agg(to_jsonb(NEW) -> c) INTO new_key FROM unnest(TG_ARGV[1:]) AS c;
            IF old_key IS DISTINCT FROM new_key THEN
                INSERT INTO {change_log} (tbl, key) VALUES (TG_ARGV[0], new_key);
            END IF;
        END IF;
        PERFORM pg_notify('{channel}', pg_current_xact_id()::text);
        RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER log_change AFTER INSERT OR UPDATE OR DELETE ON {users}
        FOR EACH ROW EXECUTE FUNCTION {log_change}('users', 'id');
    CREATE TRIGGER log_change AFTER INSERT OR UPDATE OR DELETE ON {accounts}
        FOR EACH ROW EXECUTE FUNCTION {log_change}('accounts', 'provider', 'provider_account_id');
    CREATE TRIGGER log_change AFTER INSERT OR UPDATE OR DELETE ON {sessions}
        FOR EACH ROW EXECUTE FUNCTION {log_change}('sessions', 'session_token_hash');
    CREATE TRIGGER log_change AFTER INSERT OR UPDATE OR DELETE ON {authenticators}
        FOR EACH ROW EXECUTE FUNCTION {log_change}('authenticators', 'credential_id');
";

/// The `schema_migrations` version that records [`REPLICATION`].
pub const REPLICATION_VERSION: i32 = 1001;

/// Whether replication is installed.
pub const HAS_REPLICATION: &str = "SELECT 1 FROM {schema_migrations} WHERE version = 1001";

/// The position a replica has read up to: every transaction older than this one has ended.
pub const SNAPSHOT_XMIN: &str = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text";

/// The newest transaction whose log rows were pruned: a replica whose position is not past
/// it may have missed changes and takes a full copy instead.
pub const CHANGE_LOG_FLOOR: &str = "SELECT xid::text FROM {change_log_floor}";

/// Drops log rows older than a week (and replayed-write ids older than a month), moving the
/// floor past them. Run by the hub's sweeper once replication is installed.
pub const PRUNE_CHANGE_LOG: &str = "
    WITH gone AS (DELETE FROM {change_log} WHERE at < now() - interval '7 days' RETURNING xid),
         ops AS (DELETE FROM {applied_ops} WHERE applied_at < now() - interval '30 days')
    UPDATE {change_log_floor} SET xid = greatest(xid, (SELECT max(xid) FROM gone))
     WHERE EXISTS (SELECT 1 FROM gone)";

/// The keys changed by transactions from `$1` on (an xid as text) that this snapshot sees.
pub const CHANGED_KEYS: &str = "SELECT DISTINCT tbl, key::text FROM {change_log}
     WHERE xid >= $1::text::xid8";

/// Stored rows of the replicated tables, every column as the hub stores it.
pub const STORED_USERS: &str =
    "SELECT id, name, email, email_verified, image, extra::text FROM {users}";
pub const STORED_ACCOUNTS: &str = "SELECT user_id, type, provider, provider_account_id, access_token,
     refresh_token, expires_at, token_type, scope, id_token, session_state, extra::text FROM {accounts}";
pub const STORED_SESSIONS: &str = "SELECT session_token_hash, user_id, expires FROM {sessions}";
pub const STORED_AUTHENTICATORS: &str = "SELECT credential_id, user_id, provider_account_id,
     credential_public_key, counter, credential_device_type, credential_backed_up, transports
     FROM {authenticators}";

/// Records a replayed write; returns a row only the first time (replays are idempotent).
pub const CLAIM_OP: &str =
    "INSERT INTO {applied_ops} (op_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1";

/// Registers (or renews) a device.
pub const UPSERT_DEVICE: &str = "INSERT INTO {devices} (id, token_hash, expires_at, registered_at)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET token_hash = $2, expires_at = $3, registered_at = $4";

/// The expiry of a device's pubsub token, if the token hash matches.
pub const DEVICE_TOKEN: &str = "SELECT expires_at FROM {devices} WHERE id = $1 AND token_hash = $2";

/// Removes a device.
pub const DELETE_DEVICE: &str = "DELETE FROM {devices} WHERE id = $1";

/// Columns of a user, in the order `queries::user_at` reads them.
const USER: &str = "id, name, email, email_verified, image, extra::text";

/// Columns of an account, in the order `queries::account` reads them.
const ACCOUNT: &str = "user_id, type, provider, provider_account_id, access_token, refresh_token,
    expires_at, token_type, scope, id_token, session_state, extra::text";

/// Columns of an authenticator, in the order `queries::authenticator` reads them.
const AUTHENTICATOR: &str = "credential_id, user_id, provider_account_id, credential_public_key,
    counter, credential_device_type, credential_backed_up, transports";

/// Columns of a session as a user's list shows it, in the order `queries::session_info` reads
/// them.
const SESSION_INFO: &str =
    "id, user_id, expires, created_at, last_active_at, user_agent, ip_address";

/// The statements of one store, with its table names filled in.
pub struct Statements {
    pub insert_user: String,
    pub user_by_id: String,
    pub user_by_email: String,
    pub user_by_account: String,
    pub update_user: String,
    pub lock_user_extra: String,
    pub delete_user: String,
    pub insert_account: String,
    pub get_account: String,
    pub delete_account: String,
    pub insert_session: String,
    pub session_and_user: String,
    pub update_session: String,
    pub delete_session: String,
    pub delete_expired_session: String,
    pub list_sessions: String,
    pub revoke_session: String,
    pub revoke_user_sessions: String,
    pub insert_token: String,
    pub take_token: String,
    pub peek_token: String,
    pub insert_authenticator: String,
    pub get_authenticator: String,
    pub authenticators_by_user: String,
    pub update_counter: String,
    pub prune: String,
}

/// Table and schema names of one store.
pub struct Names {
    schema: String,
    prefix: String,
}

/// Quotes an identifier (the config already allows only letters, digits and `_`).
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

impl Names {
    /// Names in `schema`, every table starting with `prefix`.
    pub fn new(schema: &str, prefix: &str) -> Self {
        Names {
            schema: schema.to_string(),
            prefix: prefix.to_string(),
        }
    }

    /// The table prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The schema name.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The key of the migration lock of this schema and prefix.
    pub fn lock_key(&self) -> String {
        format!("{}.{}", self.schema, self.prefix)
    }

    /// The `NOTIFY` channel of this schema and prefix (a short, fixed-length identifier).
    pub fn channel(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.lock_key().as_bytes());
        format!("authjs_{}", &hex::encode(digest)[..16])
    }

    /// `template` with `{schema}`, `{channel}` and every `{table}` filled in.
    pub fn fill(&self, template: &str) -> String {
        let mut out = template.replace("{schema}", &quote(&self.schema));
        out = out.replace("{channel}", &self.channel());
        for table in [
            "schema_migrations",
            "change_log_floor",
            "change_log",
            "devices",
            "applied_ops",
            "log_change",
            "users",
            "accounts",
            "sessions",
            "verification_tokens",
            "authenticators",
        ] {
            let qualified = format!(
                "{}.{}",
                quote(&self.schema),
                quote(&format!("{}{table}", self.prefix))
            );
            out = out.replace(&format!("{{{table}}}"), &qualified);
        }
        out
    }

    /// Every statement, filled in.
    pub fn statements(&self) -> Statements {
        let f = |t: String| self.fill(&t);
        Statements {
            insert_user: f(
                "INSERT INTO {users} (id, name, email, email_verified, image, extra)
                 VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)"
                    .into(),
            ),
            user_by_id: f(format!("SELECT {USER} FROM {{users}} WHERE id = $1")),
            user_by_email: f(format!("SELECT {USER} FROM {{users}} WHERE email = $1")),
            user_by_account: f(format!(
                "SELECT {} FROM {{accounts}} a JOIN {{users}} u ON u.id = a.user_id
                  WHERE a.provider = $1 AND a.provider_account_id = $2",
                "u.id, u.name, u.email, u.email_verified, u.image, u.extra::text"
            )),
            // One statement for every partial update: each column has a "was given" flag; the
            // extra properties, when given, are the merged whole (see `queries::update_user`).
            update_user: f(format!(
                "UPDATE {{users}} SET
                    name = CASE WHEN $2::boolean THEN $3::text ELSE name END,
                    email = CASE WHEN $4::boolean THEN $5::text ELSE email END,
                    email_verified = CASE WHEN $6::boolean THEN $7::bigint ELSE email_verified END,
                    image = CASE WHEN $8::boolean THEN $9::text ELSE image END,
                    extra = CASE WHEN $10::text IS NULL THEN extra ELSE $10::text::jsonb END
                  WHERE id = $1 RETURNING {USER}"
            )),
            lock_user_extra: f("SELECT extra::text FROM {users} WHERE id = $1 FOR UPDATE".into()),
            delete_user: f(format!("DELETE FROM {{users}} WHERE id = $1 RETURNING {USER}")),
            insert_account: f(format!(
                "INSERT INTO {{accounts}} ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text::jsonb)",
                ACCOUNT.replace("extra::text", "extra")
            )),
            get_account: f(format!(
                "SELECT {ACCOUNT} FROM {{accounts}} WHERE provider = $1 AND provider_account_id = $2"
            )),
            delete_account: f(format!(
                "DELETE FROM {{accounts}} WHERE provider = $1 AND provider_account_id = $2 RETURNING {ACCOUNT}"
            )),
            insert_session: f(
                "INSERT INTO {sessions} (session_token_hash, user_id, expires, id, created_at,
                                         last_active_at, user_agent, ip_address)
                 VALUES ($1, $2, $3, $4, $5, $5, $6, $7)"
                    .into(),
            ),
            session_and_user: f(
                "SELECT s.user_id, s.expires,
                        u.id, u.name, u.email, u.email_verified, u.image, u.extra::text
                   FROM {sessions} s JOIN {users} u ON u.id = s.user_id
                  WHERE s.session_token_hash = $1"
                    .into(),
            ),
            update_session: f(
                "UPDATE {sessions} SET user_id = coalesce($2, user_id), expires = coalesce($3, expires),
                                       last_active_at = $4
                  WHERE session_token_hash = $1 RETURNING user_id, expires"
                    .into(),
            ),
            delete_session: f(
                "DELETE FROM {sessions} WHERE session_token_hash = $1 RETURNING user_id, expires"
                    .into(),
            ),
            delete_expired_session: f(
                "DELETE FROM {sessions} WHERE session_token_hash = $1 AND expires <= $2
                  RETURNING user_id, expires"
                    .into(),
            ),
            list_sessions: f(format!(
                "SELECT {SESSION_INFO}, session_token_hash = $3 FROM {{sessions}}
                  WHERE user_id = $1 AND expires >= $2 AND id IS NOT NULL
                  ORDER BY created_at DESC NULLS LAST, id"
            )),
            revoke_session: f(format!(
                "DELETE FROM {{sessions}} WHERE user_id = $1 AND id = $2 RETURNING {SESSION_INFO}, false"
            )),
            revoke_user_sessions: f(
                "DELETE FROM {sessions}
                  WHERE user_id = ANY($1) AND session_token_hash IS DISTINCT FROM $2"
                    .into(),
            ),
            insert_token: f(
                "INSERT INTO {verification_tokens} (identifier, token, expires) VALUES ($1, $2, $3)"
                    .into(),
            ),
            // One statement: of several callers racing for the same token, exactly one gets
            // the row (the others find it gone once the first commits).
            take_token: f(
                "DELETE FROM {verification_tokens} WHERE identifier = $1 AND token = $2
                 RETURNING identifier, token, expires"
                    .into(),
            ),
            peek_token: f(
                "SELECT identifier, token, expires FROM {verification_tokens}
                  WHERE identifier = $1 AND token = $2"
                    .into(),
            ),
            insert_authenticator: f(format!(
                "INSERT INTO {{authenticators}} ({AUTHENTICATOR}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            )),
            get_authenticator: f(format!(
                "SELECT {AUTHENTICATOR} FROM {{authenticators}} WHERE credential_id = $1"
            )),
            authenticators_by_user: f(format!(
                "SELECT {AUTHENTICATOR} FROM {{authenticators}} WHERE user_id = $1 ORDER BY created_seq"
            )),
            update_counter: f(format!(
                "UPDATE {{authenticators}} SET counter = $2 WHERE credential_id = $1 RETURNING {AUTHENTICATOR}"
            )),
            prune: f(
                "WITH s AS (DELETE FROM {sessions} WHERE expires < $1 RETURNING 1),
                      v AS (DELETE FROM {verification_tokens} WHERE expires < $1 RETURNING 1)
                 SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM v)"
                    .into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_take_the_schema_and_prefix() {
        let names = Names::new("auth", "authjs_");
        let sql = names.fill("SELECT 1 FROM {users} JOIN {sessions} ON true");
        assert_eq!(
            sql,
            "SELECT 1 FROM \"auth\".\"authjs_users\" JOIN \"auth\".\"authjs_sessions\" ON true"
        );
    }

    #[test]
    fn every_statement_has_its_tables_filled_in() {
        let s = Names::new("public", "").statements();
        for text in [
            &s.update_user,
            &s.prune,
            &s.insert_account,
            &s.session_and_user,
        ] {
            assert!(
                !text.contains("{users}") && !text.contains("{sessions}"),
                "{text}"
            );
        }
    }
}
