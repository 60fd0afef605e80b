// Proof that the conformance kit is adapter-agnostic: the same contracts, run against
// @auth/drizzle-adapter on better-sqlite3. The known failures are what drizzle does not meet
// (the README lists them) and are proven to still fail; everything else must pass.
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { DrizzleAdapter } from '@auth/drizzle-adapter'
import { describeAdapter } from 'authjs-rust-adapter/jest'

// The tables @auth/drizzle-adapter's default SQLite schema expects.
const schema = `
  CREATE TABLE "user" (id TEXT PRIMARY KEY NOT NULL, name TEXT, email TEXT UNIQUE, emailVerified INTEGER, image TEXT);
  CREATE TABLE account (
    userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, type TEXT NOT NULL, provider TEXT NOT NULL,
    providerAccountId TEXT NOT NULL, refresh_token TEXT, access_token TEXT, expires_at INTEGER, token_type TEXT,
    scope TEXT, id_token TEXT, session_state TEXT, PRIMARY KEY (provider, providerAccountId));
  CREATE TABLE session (sessionToken TEXT PRIMARY KEY NOT NULL, userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, expires INTEGER NOT NULL);
  CREATE TABLE verificationToken (identifier TEXT NOT NULL, token TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (identifier, token));
  CREATE TABLE authenticator (
    credentialID TEXT NOT NULL UNIQUE, userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
    providerAccountId TEXT NOT NULL, credentialPublicKey TEXT NOT NULL, counter INTEGER NOT NULL,
    credentialDeviceType TEXT NOT NULL, credentialBackedUp INTEGER NOT NULL, transports TEXT,
    PRIMARY KEY (userId, credentialID));
`

describeAdapter(
  '@auth/drizzle-adapter on better-sqlite3',
  () => {
    const sqlite = new Database(':memory:')
    sqlite.pragma('foreign_keys = ON')
    sqlite.exec(schema)
    return { adapter: DrizzleAdapter(drizzle(sqlite)), teardown: () => sqlite.close() }
  },
  { webauthn: true, extras: true, knownFailures: ['extraUserProperties', 'extraAccountProperties'] },
)
