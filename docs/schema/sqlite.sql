-- The SQLite schema of authjs-rust-adapter, as its migrations leave a new file.
--
-- RustAdapter({ filename }) creates this on first use; nothing needs to run it by hand.
-- It is the end state of migrations 1 to 4 (`MIGRATIONS` in the SQLite store's schema.rs,
-- under src/), written as if created in one go: see docs/storage.md for what each migration
-- did to older files.
-- __test__/schema-docs.test.js checks that this file and a freshly migrated database
-- agree (tables, columns, keys, indexes, triggers, user_version).
--
-- Conventions: snake_case names; dates are INTEGER epoch milliseconds (accounts.expires_at
-- is seconds, as Auth.js gives it); `extra` holds the app's extra properties as one
-- type-tagged JSON object; booleans are 0/1.

-- Users. `email` is unique when present; several users may have none (NULLs are distinct).
CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT,
    email          TEXT UNIQUE,
    email_verified INTEGER,
    image          TEXT,
    extra          TEXT
);

-- Provider accounts linked to a user. OAuth tokens are stored as given, or sealed as
-- `enc:v1:...` when `encryptionKey` is set (see docs/security.md).
CREATE TABLE accounts (
    provider            TEXT NOT NULL,
    provider_account_id TEXT NOT NULL,
    user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type                TEXT NOT NULL,
    access_token        TEXT,
    refresh_token       TEXT,
    expires_at          INTEGER,
    token_type          TEXT,
    scope               TEXT,
    id_token            TEXT,
    session_state       TEXT,
    extra               TEXT,
    PRIMARY KEY (provider, provider_account_id)
);
CREATE INDEX accounts_user_id_idx ON accounts(user_id);

-- Database sessions, keyed by the hash of the session token (the token itself is never
-- stored). WITHOUT ROWID: the lookup of every signed-in request descends one b-tree.
-- `id` is a random public id for a user's list of devices (never the token);
-- `created_at`/`last_active_at` are epoch ms (NULL for sessions older than version 5);
-- `user_agent`/`ip_address` are set only when the app captured the sign-in request.
CREATE TABLE sessions (
    session_token_hash TEXT PRIMARY KEY NOT NULL,
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires            INTEGER NOT NULL,
    id                 TEXT,
    created_at         INTEGER,
    last_active_at     INTEGER,
    user_agent         TEXT,
    ip_address         TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_user_id_idx ON sessions(user_id);
-- No index on `expires`: it would cost every session write one more b-tree. The sweeper
-- finds expired sessions by walking the table a chunk of keys per write transaction.

-- Email sign-in tokens; `token` arrives already hashed by Auth.js.
CREATE TABLE verification_tokens (
    identifier TEXT NOT NULL,
    token      TEXT NOT NULL,
    expires    INTEGER NOT NULL,
    PRIMARY KEY (identifier, token)
) WITHOUT ROWID;

-- WebAuthn credentials (passkeys).
CREATE TABLE authenticators (
    credential_id          TEXT PRIMARY KEY NOT NULL,
    user_id                TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider_account_id    TEXT NOT NULL,
    credential_public_key  TEXT NOT NULL,
    counter                INTEGER NOT NULL,
    credential_device_type TEXT NOT NULL,
    credential_backed_up   INTEGER NOT NULL,
    transports             TEXT
);
CREATE INDEX authenticators_user_id_idx ON authenticators(user_id);

-- The migration state: the schema version, in the file header. A file whose version is
-- higher than the library knows is refused with SCHEMA_TOO_NEW and left unchanged.
PRAGMA user_version = 6;
