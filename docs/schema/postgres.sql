-- The PostgreSQL schema of authjs-rust-adapter, as its migrations leave a new schema.
--
-- RustAdapter({ url }) creates this on its first call; nothing needs to run it by hand.
-- It is written for the default settings: schema "public" (here: the search_path) and no
-- `tablePrefix`. With `schema: "auth"` every table lives in "auth"; with
-- `tablePrefix: "authjs_"` every table is named authjs_users, authjs_accounts, ...,
-- authjs_schema_migrations (and PostgreSQL names the keys and indexes after them).
-- Source: `PREPARE_MIGRATIONS` and `MIGRATIONS` in the PostgreSQL store's sql.rs, under src/.
-- __test__/postgres/schema-docs.test.js checks that this file and a freshly migrated schema
-- agree (tables, columns, keys, indexes, triggers, functions, recorded versions).
--
-- The columns are SQLite's, column for column: dates are bigint epoch milliseconds (the same
-- numbers the SQLite file holds; accounts.expires_at is seconds, as Auth.js gives it),
-- extra properties are the same type-tagged JSON as jsonb, session tokens are stored only
-- as their hash.

-- The migration state: one row per applied version. Versions from 1000 up record optional
-- parts (1001: replication, installed when the first local-first replica connects; see
-- docs/storage.md), not the schema version.
CREATE TABLE schema_migrations (
    version    integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- Users. `email` is unique when present.
CREATE TABLE users (
    id             text PRIMARY KEY,
    name           text,
    email          text UNIQUE,
    email_verified bigint,
    image          text,
    extra          jsonb
);

-- Provider accounts linked to a user.
CREATE TABLE accounts (
    provider            text NOT NULL,
    provider_account_id text NOT NULL,
    user_id             text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
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
CREATE INDEX accounts_user_id_idx ON accounts (user_id);

-- Database sessions, keyed by the hash of the session token; `id`, the times and where the
-- session came from serve a user's list of devices (see docs/sessions.md).
CREATE TABLE sessions (
    session_token_hash text PRIMARY KEY,
    user_id            text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires            bigint NOT NULL,
    id                 text,
    created_at         bigint,
    last_active_at     bigint,
    user_agent         text,
    ip_address         text
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires);

-- Email sign-in tokens; `token` arrives already hashed by Auth.js.
CREATE TABLE verification_tokens (
    identifier text NOT NULL,
    token      text NOT NULL,
    expires    bigint NOT NULL,
    PRIMARY KEY (identifier, token)
);
CREATE INDEX verification_tokens_expires_idx ON verification_tokens (expires);

-- WebAuthn credentials (passkeys). `created_seq` keeps listAuthenticatorsByUserId in
-- creation order.
CREATE TABLE authenticators (
    credential_id          text PRIMARY KEY,
    user_id                text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_account_id    text NOT NULL,
    credential_public_key  text NOT NULL,
    counter                bigint NOT NULL,
    credential_device_type text NOT NULL,
    credential_backed_up   boolean NOT NULL,
    transports             text,
    created_seq            bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX authenticators_user_id_created_seq_idx ON authenticators (user_id, created_seq);

-- Migration 1 applied.
INSERT INTO schema_migrations (version) VALUES (1), (2);
