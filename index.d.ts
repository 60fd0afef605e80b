/**
 * authjs-rust-adapter — an Auth.js database adapter on embedded SQLite or PostgreSQL, written
 * in Rust.
 *
 * ```ts
 * import { RustAdapter } from "authjs-rust-adapter"
 * export const { handlers, auth } = NextAuth({ adapter: RustAdapter({ filename: "auth.sqlite" }), providers: [] })
 * // several app servers: the same adapter on PostgreSQL
 * RustAdapter({ url: "postgres://user:pass@db.example.com:5432/app?sslmode=verify-full" })
 * ```
 *
 * Runs in Node.js runtimes only (not the Edge runtime). With Next.js, list the package in
 * `serverExternalPackages` so the native binary is not bundled.
 *
 * @packageDocumentation
 */

/**
 * Options of {@link RustAdapter}. Every option is optional. `filename` means SQLite, `url`
 * means PostgreSQL; with neither, a PostgreSQL `DATABASE_URL` in the environment is used, else
 * the SQLite file `auth.sqlite`. Options marked SQLite or PostgreSQL only are refused on the
 * other backend.
 */
export interface RustAdapterConfig {
  /**
   * SQLite: path of the file, created with its schema on first use. Relative paths are
   * resolved against the working directory. `":memory:"` gives a private in-memory database.
   * @defaultValue `"auth.sqlite"`
   */
  filename?: string
  /**
   * PostgreSQL: the connection URL, `postgres://user:password@host:port/database`, with the
   * libpq options tokio-postgres knows (`connect_timeout`, `application_name`, ...) and
   * `sslmode` as in libpq: `disable`, `prefer` (the default: TLS when the server offers it,
   * certificate not checked), `require` (TLS, certificate not checked), `verify-ca` (the
   * certificate must chain to a trusted root) or `verify-full` (and name the host). Trusted
   * roots are the bundled Mozilla set, or the PEM file named by `sslrootcert`. The tables are
   * created (or migrated) on the first call, once even when several instances start together.
   * @defaultValue `process.env.DATABASE_URL` when it is a `postgres://` URL and no `filename` is given
   */
  url?: string
  /**
   * PostgreSQL only: the schema that holds the tables (created when missing).
   * @defaultValue `"public"`
   */
  schema?: string
  /**
   * PostgreSQL only: a prefix for every table name (e.g. `"authjs_"`), so the tables can live
   * beside an app's own. Letters, digits and `_`.
   * @defaultValue `""`
   */
  tablePrefix?: string
  /**
   * PostgreSQL only: the most connections this adapter opens. Each Node.js process has its own
   * pool; keep `poolSize` × processes under the server's `max_connections`.
   * @defaultValue `10`
   */
  poolSize?: number
  /**
   * The longest a call waits before it fails with `DB_UNAVAILABLE`. SQLite: for a lock held by
   * another connection or process. PostgreSQL: for the whole call, connecting and waiting for a
   * pooled connection included (a call during a server restart fails after at most this long,
   * and the pool reconnects by itself).
   * @defaultValue `5000`
   */
  busyTimeout?: number
  /**
   * SQLite only: page cache per connection, in KiB.
   * @defaultValue `16384` (16 MiB)
   */
  cacheSize?: number
  /**
   * SQLite only: bytes of the database file each connection reads through a memory map
   * instead of copying pages into its cache (`PRAGMA mmap_size`), at most 2147418112. For files
   * larger than `cacheSize`: reads of pages outside the cache skip a system call and a copy
   * (see the README's Speed section for measurements). The mapped pages are the operating
   * system's file cache, shared by every connection and process, but they count in the
   * process's resident memory; and a disk read error inside the map stops the process
   * (SIGBUS) instead of failing one call, which is why it is off by default.
   * @defaultValue `0` (off)
   */
  mmapSize?: number
  /**
   * SQLite only: commit durability. `"full"`: every acknowledged write is fsynced and survives power loss.
   * `"normal"`: an acknowledged write survives a crash of the process, but the last commits may
   * be lost on power loss; commits are cheaper.
   * @defaultValue `"full"`
   */
  synchronous?: "full" | "normal"
  /**
   * SQLite only: whether a write issued alone may run at once on the JavaScript thread while the writer
   * thread is idle (as better-sqlite3 runs every write), saving two thread hops. Its commit,
   * fsync included under `synchronous: "full"`, then happens on the event loop. `false` sends
   * every write to the writer thread: the event loop never waits for a commit, and a lone
   * write costs the hops (tens of microseconds) more. Writes issued together always go to the
   * writer thread and share one commit.
   * @defaultValue `true`
   */
  inlineWrites?: boolean
  /**
   * Key for the HMAC-SHA-256 under which session tokens are stored. Without it, tokens are
   * stored as plain SHA-256 hashes. Either way the file never holds a usable session token.
   * Changing it signs everyone out (stored hashes no longer match).
   */
  secret?: string
  /**
   * AES-256 key(s) for encrypting OAuth `access_token`, `refresh_token` and `id_token` at rest
   * (AES-256-GCM). Each key is 32 bytes, in base64 or 64 hex digits
   * (`openssl rand -base64 32`). Give several to rotate: the **first** encrypts, all decrypt.
   * Reading a value sealed with a key that is not configured rejects with `DECRYPT_FAILED`.
   * @defaultValue none: tokens are stored as given
   */
  encryptionKey?: string | string[]
  /**
   * Milliseconds between background sweeps that delete expired sessions and verification
   * tokens; `0` turns the sweeper off. The sweeper runs on a Rust thread and never keeps the
   * Node.js process alive. {@link RustAdapterInstance.prune} sweeps on demand.
   * @defaultValue `3600000` (one hour)
   */
  sweepInterval?: number
}

/** What {@link RustAdapterInstance.prune} removed. */
export interface PruneResult {
  /** Expired sessions deleted. */
  sessions: number
  /** Expired verification tokens deleted. */
  verificationTokens: number
  /** Both together. */
  total: number
}

/**
 * A value an app may add to a user or account (through `profile()` / `account()` callbacks);
 * it is stored and returned with its type.
 */
export type ExtraValue =
  | string
  | number
  | boolean
  | null
  | Date
  | ExtraValue[]
  | { [key: string]: ExtraValue }

/** Date input: a `Date`, an ISO-8601 string with a time zone, or epoch milliseconds. */
export type DateInput = Date | string | number

/**
 * What `createUser` takes. Properties beyond these (e.g. `role` from a `profile()` callback)
 * are stored too and returned with their types (see {@link ExtraValue}).
 */
export interface RustAdapterUserInput {
  /** The id to use; a random UUID when absent. */
  id?: string
  email?: string | null
  emailVerified?: DateInput | null
  name?: string | null
  image?: string | null
}

/** A user as Auth.js stores it (`AdapterUser`), plus any extra properties the app added. */
export interface RustAdapterUser {
  /** Primary key: the id Auth.js generated, or a random UUID when none was given. */
  id: string
  /**
   * Unique when present; `null` for OAuth providers that give no email (typed `string`, as
   * `AdapterUser` types it).
   */
  email: string
  /** When the email address was verified, or `null`. */
  emailVerified: Date | null
  /** Display name, or `null` when not set. */
  name: string | null
  /** Avatar URL, or `null` when not set. */
  image: string | null
  /** Extra properties, returned with their original types. */
  [key: string]: unknown
}

/** The kinds of account Auth.js links. */
export type RustAdapterAccountType = "oauth" | "oidc" | "email" | "webauthn"

/** A JSON value, as token endpoints return them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** A provider account linked to a user (`AdapterAccount`), plus provider-specific fields. */
export type RustAdapterAccount = {
  /** The user this account belongs to. */
  userId: string
  /** The kind of provider. */
  type: RustAdapterAccountType
  /** Provider id, e.g. `"github"`. With `providerAccountId` it is unique. */
  provider: string
  /** The user's id at the provider. */
  providerAccountId: string
  access_token?: string
  refresh_token?: string
  /** When the access token expires, in **seconds** since the epoch. */
  expires_at?: number
  token_type?: Lowercase<string>
  scope?: string
  id_token?: string
  session_state?: string
  /** Provider-specific fields (e.g. `refresh_token_expires_in`), returned with their types. */
  [key: string]: JsonValue | undefined
}

/** A database session (`AdapterSession`). */
export interface RustAdapterSession {
  /** The session cookie's value. Unique. */
  sessionToken: string
  /** The signed-in user. */
  userId: string
  /** When the session expires. */
  expires: Date
}

/** A single-use email sign-in token (`VerificationToken`); `token` is already hashed by Auth.js. */
export interface RustAdapterVerificationToken {
  /** Usually the email address. */
  identifier: string
  /** The hashed token. */
  token: string
  /** When the token stops being valid. */
  expires: Date
}

/** A WebAuthn credential (passkey) of a user (`AdapterAuthenticator`). */
export interface RustAdapterAuthenticator {
  /** Base64 credential ID. Unique. */
  credentialID: string
  /** The owner. */
  userId: string
  /** The id of the `webauthn` account this credential belongs to. */
  providerAccountId: string
  /** Base64 public key. */
  credentialPublicKey: string
  /** Signature counter. */
  counter: number
  /** `"singleDevice"` or `"multiDevice"` (or `"platform"` etc., stored as given). */
  credentialDeviceType: string
  /** Whether the credential is backed up. */
  credentialBackedUp: boolean
  /** Comma-separated transports, or `null`. */
  transports?: string | null
}

/** Stable values of `error.code` on every error the adapter rejects with. */
export type RustAdapterErrorCode =
  /** A unique rule was broken; the message names the field. */
  | "UNIQUE_VIOLATION"
  /** The row to update does not exist, or `userId` refers to no user. */
  | "NOT_FOUND"
  /** An argument has the wrong type, is missing, empty, too large, or an invalid date. */
  | "INVALID_INPUT"
  /** SQLite: the database is locked past `busyTimeout`, or an I/O error with no more precise code. PostgreSQL: the server cannot be reached, refused the login, restarted or did not answer within `busyTimeout`. */
  | "DB_UNAVAILABLE"
  /** The adapter was closed with `close()`. */
  | "CLOSED"
  /** The file (or PostgreSQL schema) was written by a newer version of this package; it was left unchanged. */
  | "SCHEMA_TOO_NEW"
  /** Any other database failure. */
  | "DB_ERROR"
  /** A stored encrypted token could not be decrypted: wrong or missing `encryptionKey`, or the value was altered. */
  | "DECRYPT_FAILED"
  /** The native binary for this platform could not be loaded (or the package was bundled: see `serverExternalPackages`). */
  | "NO_PREBUILT_BINARY"
  /** A method was called outside Node.js (Edge middleware, a worker, a browser): the adapter needs the Node.js runtime. */
  | "NODE_RUNTIME_REQUIRED"
  /** {@link RustClientDbHandle.live}: the replica is not registered, or its pubsub token expired or was replaced. */
  | "UNAUTHORIZED"
  /** SQLite: `filename` is another application's SQLite file, or not SQLite at all; it was left unchanged. */
  | "NOT_OUR_DATABASE"
  /** SQLite: the file is damaged (a page that does not parse, a truncated file). */
  | "CORRUPT"
  /** The file, its directory or its mount accepts reads only (PostgreSQL: the server is read-only). Reads keep working. */
  | "READ_ONLY"
  /** The disk, a quota or the process's file-size limit is full (PostgreSQL: the server's disk). Nothing was written. */
  | "DISK_FULL"
  /** SQLite: the process has no file descriptor left (`EMFILE`, `ENFILE`). */
  | "TOO_MANY_OPEN_FILES"
  /** The operating system denied access to the file (PostgreSQL: the role lacks a privilege). */
  | "PERMISSION_DENIED"
  /** SQLite: the `-wal` or `-shm` file was deleted or replaced while the adapter had it open; writes stop until it is reopened. */
  | "SIDE_FILE_GONE"
  /** {@link RustClientDbSchema.validate}: the replica or the hub differs from the declared schema (see `differences`). The command line's `import --from <peer>`: the source is not that adapter's default schema (the missing table or column is named). */
  | "SCHEMA_MISMATCH"
  /** The command line's `import`: the target database already holds rows and `--merge` was not given; nothing was written. */
  | "TARGET_NOT_EMPTY"

/**
 * The class of every error the package raises: `error instanceof RustAdapterError` holds, and
 * `code` says which (see docs/errors.md). The message starts with the code: `CODE: detail`.
 */
export declare class RustAdapterError extends Error {
  constructor(code: RustAdapterErrorCode, message: string, options?: { cause?: unknown })
  /** Stable machine-readable code; the message starts with it. */
  code: RustAdapterErrorCode
  /** With `SCHEMA_MISMATCH` only: each difference from the declared schema. */
  differences?: string[]
}

/**
 * The adapter object. Every method is an own property that works detached (Auth.js calls
 * them unbound), and every method returns a Promise.
 */
export interface RustAdapterInstance {
  /** Stores a new user. Uses `user.id` when given, else a random UUID. */
  createUser(user: RustAdapterUserInput): Promise<RustAdapterUser>
  /** The user with this id, or `null`. */
  getUser(id: string): Promise<RustAdapterUser | null>
  /** The user with this email, or `null`. */
  getUserByEmail(email: string): Promise<RustAdapterUser | null>
  /** The user who owns this provider account, or `null`. */
  getUserByAccount(
    account: Pick<RustAdapterAccount, "provider" | "providerAccountId">,
  ): Promise<RustAdapterUser | null>
  /**
   * Partial update by id: only given properties change; `null` clears one. Resolves to the
   * whole user; rejects with `NOT_FOUND` for an unknown id.
   */
  updateUser(user: RustAdapterUserInput & { id: string }): Promise<RustAdapterUser>
  /** Deletes the user with their accounts, sessions and authenticators; resolves to the deleted user or `null`. */
  deleteUser(userId: string): Promise<RustAdapterUser | null>
  /** Links a provider account to a user; provider-specific fields are kept. */
  linkAccount(account: RustAdapterAccount): Promise<RustAdapterAccount>
  /** Unlinks a provider account; resolves to the deleted account, or `undefined` when there was none. */
  unlinkAccount(
    account: Pick<RustAdapterAccount, "provider" | "providerAccountId">,
  ): Promise<RustAdapterAccount | undefined>
  /** The account, or `null`. Note the argument order: `providerAccountId` first. */
  getAccount(providerAccountId: string, provider: string): Promise<RustAdapterAccount | null>
  /** Creates a database session. */
  createSession(session: {
    sessionToken: string
    userId: string
    expires: DateInput
  }): Promise<RustAdapterSession>
  /** The session and its user in one query, or `null`. Called on every signed-in request. */
  getSessionAndUser(
    sessionToken: string,
  ): Promise<{ session: RustAdapterSession; user: RustAdapterUser } | null>
  /** Partial update by token; resolves to the updated session, or `null` when there is none. */
  updateSession(session: {
    sessionToken: string
    userId?: string
    expires?: DateInput
  }): Promise<RustAdapterSession | null>
  /** Deletes a session; resolves to the deleted session or `null`. */
  deleteSession(sessionToken: string): Promise<RustAdapterSession | null>
  /** Stores a verification token (magic link). */
  createVerificationToken(token: {
    identifier: string
    token: string
    expires: DateInput
  }): Promise<RustAdapterVerificationToken>
  /**
   * Returns the token matching both identifier and token and deletes it in the same step:
   * of concurrent callers (even in other processes) exactly one gets it; the others get `null`.
   */
  useVerificationToken(params: {
    identifier: string
    token: string
  }): Promise<RustAdapterVerificationToken | null>
  /** Stores a WebAuthn credential; rejects when it cannot (e.g. `UNIQUE_VIOLATION`). */
  createAuthenticator(authenticator: RustAdapterAuthenticator): Promise<RustAdapterAuthenticator>
  /** The credential with this id, or `null`. */
  getAuthenticator(credentialID: string): Promise<RustAdapterAuthenticator | null>
  /** Every credential of a user (`[]` for an unknown user). */
  listAuthenticatorsByUserId(userId: string): Promise<RustAdapterAuthenticator[]>
  /** Sets the signature counter; rejects with `NOT_FOUND` for an unknown credential. */
  updateAuthenticatorCounter(credentialID: string, newCounter: number): Promise<RustAdapterAuthenticator>
  /**
   * Not part of Auth.js: deletes expired sessions and verification tokens now (Auth.js only
   * deletes an expired session when its cookie comes back). Resolves to how many rows went.
   */
  prune(): Promise<PruneResult>
  /**
   * Not part of Auth.js: lets queued writes finish, then closes the database. Later calls
   * reject with `CLOSED`. On SQLite it folds the WAL back into the file and truncates it; when
   * it cannot (a full disk), it rejects with that code (`DISK_FULL`) after closing, and the next
   * open folds it back. Adapters on one file share its store: `close()` gives back this
   * adapter's share, and the last one closes the file.
   */
  close(): Promise<void>

  /**
   * Not part of Auth.js: the user's sessions that have not expired, newest first: where they
   * are signed in. Never the session tokens: each has a public `id` that is safe to show in a
   * page and lets nobody sign in. Pass the current session's token as `current` to have it
   * marked. An unknown user has `[]`. See docs/sessions.md.
   */
  listSessions(userId: string, options?: { current?: string }): Promise<SessionSummary[]>
  /**
   * Not part of Auth.js: signs out one device. Deletes the session with public id `id` only
   * if it belongs to `userId`; resolves to it, or `null` (another user's id deletes nothing).
   * The very next `getSessionAndUser` of that session, in any process, finds nothing.
   */
  revokeSession(userId: string, id: string): Promise<SessionSummary | null>
  /**
   * Not part of Auth.js: signs a user out everywhere (a password or role change, a ban), or
   * everywhere else with `except: currentSessionToken`. Takes an array of user ids to sign
   * many out at once (a ban wave). All in one transaction; resolves to how many sessions went.
   */
  revokeUserSessions(userId: string | string[], options?: { except?: string }): Promise<number>
  /**
   * Not part of Auth.js: creates a database session for `userId` the way Auth.js would (a
   * random token, `maxAge` seconds, default 30 days), for sign-ins Auth.js makes none for
   * itself: the Credentials provider with `strategy: "database"` (recipe in docs/sessions.md).
   * Resolves to the cookie value and its expiry.
   */
  createSessionFor(userId: string, options?: { maxAge?: number }): Promise<{ sessionToken: string; expires: Date }>
  /**
   * Not part of Auth.js: runs `fn` with `request` (a Web `Request` or a Node.js
   * `IncomingMessage`) as the context of the sessions it creates, so they record the request's
   * user agent and, when `captureIp` is set, its client address.
   */
  withRequest<T>(request: unknown, fn: () => T, options?: RequestContextOptions): T
  /** Not part of Auth.js: Express middleware doing {@link RustAdapterInstance.withRequest} for every request. */
  expressMiddleware(options?: RequestContextOptions): (req: any, res: any, next: (error?: unknown) => void) => void
}

/** One of a user's sessions, as {@link RustAdapterInstance.listSessions} shows it: never the token. */
export interface SessionSummary {
  /** The public id: random, unrelated to the token, safe to put in a page. */
  id: string
  /** The user the session belongs to. */
  userId: string
  /** When the session expires. */
  expires: Date
  /** When it was created; `null` for sessions created before this package stored it. */
  createdAt: Date | null
  /** Its last write: created, or extended by Auth.js (`updateSession`). */
  lastActiveAt: Date | null
  /** The `User-Agent` of the sign-in request, when captured (see `withRequest`). */
  userAgent: string | null
  /** The client address of the sign-in request, when the app opted in (`captureIp`). */
  ipAddress: string | null
  /** Whether it is the session whose token was passed as `current`. */
  current: boolean
}

/** What {@link RustAdapterInstance.withRequest} and the Express middleware record. */
export interface RequestContextOptions {
  /**
   * Record the client address: `true` as is, `"truncated"` to its network (IPv4 /24, IPv6 /48),
   * `false` not at all.
   * @defaultValue false
   */
  captureIp?: boolean | "truncated"
  /**
   * Take the address from `X-Forwarded-For` (its left-most entry) or `X-Real-IP`: only when the
   * app runs behind a proxy it trusts to set them; otherwise anyone can claim any address.
   * @defaultValue false
   */
  trustProxy?: boolean
}

/**
 * The TypeORM-style database config NextAuth.js v3 apps used; accepted by {@link RustAdapter}
 * and {@link LegacyAdapter}. `database` is the SQLite file (or `":memory:"`).
 */
export interface TypeOrmStyleConfig extends Omit<RustAdapterConfig, "filename"> {
  /** Only `"sqlite"`. */
  type: "sqlite"
  /** The SQLite file, or `":memory:"`. */
  database: string
  /** Accepted for compatibility; migrations always run. */
  synchronize?: boolean
}

/** The `appOptions` NextAuth.js v3 passes to `getAdapter` (the parts this adapter reads). */
export interface LegacyAppOptions {
  /** Session lifetime and extension interval, in seconds (v3 defaults: 30 days, 1 day). */
  session?: { maxAge?: number; updateAge?: number }
  /** Used to hash verification tokens when a call does not pass its own secret. */
  secret?: string
  /** Passed on to `sendVerificationRequest`. */
  baseUrl?: string
  [key: string]: unknown
}

/** A NextAuth.js v3 session. */
export interface LegacySession extends RustAdapterSession {
  /** v3's session access token, derived one-way from the session token. */
  accessToken: string
}

/** A NextAuth.js v3 verification request (the token is stored hashed). */
export interface LegacyVerificationRequest {
  identifier: string
  token: string
  expires: Date
}

/** The email provider object NextAuth.js v3 passes to the verification methods. */
export interface LegacyEmailProvider {
  /** Link lifetime in seconds (default one day). */
  maxAge?: number
  sendVerificationRequest(params: {
    identifier: string
    url: string
    token: string
    baseUrl?: string
    provider: LegacyEmailProvider
  }): Promise<void> | void
  [key: string]: unknown
}

/** A NextAuth.js v3 user: empty columns are `null`, as v3's TypeORM adapter returned them. */
export interface LegacyUser extends RustAdapterUser {
  name: string | null
  image: string | null
}

/** The v3 adapter methods (positional arguments, v3 semantics). */
export interface LegacyAdapterMethods {
  displayName: string
  createUser(profile: { name?: string | null; email?: string | null; image?: string | null; emailVerified?: Date | null }): Promise<LegacyUser>
  getUser(id: string): Promise<LegacyUser | null>
  getUserByEmail(email: string | null | undefined): Promise<LegacyUser | null>
  getUserByProviderAccountId(providerId: string, providerAccountId: string): Promise<LegacyUser | null>
  /** Always `null`: v3 stored no credentials. */
  getUserByCredentials(credentials: unknown): Promise<null>
  updateUser(user: RustAdapterUserInput & { id: string }): Promise<LegacyUser>
  deleteUser(userId: string): Promise<LegacyUser | null>
  linkAccount(
    userId: string,
    providerId: string,
    providerType: RustAdapterAccountType,
    providerAccountId: string,
    refreshToken?: string | null,
    accessToken?: string | null,
    accessTokenExpires?: Date | number | string | null,
  ): Promise<RustAdapterAccount>
  unlinkAccount(userId: string, providerId: string, providerAccountId: string): Promise<RustAdapterAccount | undefined>
  /** A new session with a random token, expiring after `appOptions.session.maxAge`. */
  createSession(user: { id: string }): Promise<LegacySession>
  /** The session, or `null`; an expired session is deleted. */
  getSession(sessionToken: string): Promise<LegacySession | null>
  /** Extends the session once per `updateAge` (or always with `force`); `null` when nothing changed. */
  updateSession(session: LegacySession | RustAdapterSession, force?: boolean): Promise<LegacySession | null>
  deleteSession(sessionToken: string): Promise<void>
  /** Stores `sha256(token + secret)` and calls `provider.sendVerificationRequest`. */
  createVerificationRequest(identifier: string, url: string, token: string, secret: string | undefined, provider: LegacyEmailProvider): Promise<void>
  /** The request, or `null`; an expired one is deleted. */
  getVerificationRequest(identifier: string, token: string, secret?: string, provider?: LegacyEmailProvider): Promise<LegacyVerificationRequest | null>
  deleteVerificationRequest(identifier: string, token: string, secret?: string, provider?: LegacyEmailProvider): Promise<void>
}

/** What {@link LegacyAdapter} returns: the v3 adapter factory. */
export interface LegacyAdapterFactory {
  /** Not part of NextAuth.js v3: lets queued writes finish, then closes the database. */
  close(): Promise<void>
  /** Resolves to the v3 adapter methods for NextAuth.js's `appOptions`. */
  getAdapter(appOptions?: LegacyAppOptions): Promise<LegacyAdapterMethods>
}

/**
 * A NextAuth.js v3 adapter (`adapter: LegacyAdapter({ type: "sqlite", database: "auth.sqlite" })`)
 * on the same tables as {@link RustAdapter}, so data moves with the app to v4/v5.
 *
 * @param config - the same options as {@link RustAdapter}, or the v3 TypeORM-style config
 */
export declare function LegacyAdapter(config?: RustAdapterConfig | TypeOrmStyleConfig): LegacyAdapterFactory

/**
 * Creates an Auth.js adapter on an embedded SQLite file, or on PostgreSQL with `url` (or a
 * PostgreSQL `DATABASE_URL`). The call checks the config (a bad one throws `INVALID_INPUT`
 * naming the option) and opens nothing: the first method call opens the database. SQLite: it
 * creates the file and its schema (and migrates older files), or rejects with the file's
 * problem (`DB_UNAVAILABLE` naming `config.filename` for a folder that does not exist,
 * `SCHEMA_TOO_NEW`, `NOT_OUR_DATABASE`, `READ_ONLY`, ...); a failed open is tried again by the
 * next call. Adapters with the same options on one file share one store in a process; `close()`
 * gives back this adapter's share. PostgreSQL: the first method call connects and migrates, and
 * rejects with `SCHEMA_TOO_NEW` or `DB_UNAVAILABLE` when it cannot. Outside Node.js (Edge
 * middleware), the adapter is returned and each method rejects with `NODE_RUNTIME_REQUIRED`.
 *
 * @param config - where the database lives and how it behaves; all optional.
 */
export declare function RustAdapter(config?: RustAdapterConfig | TypeOrmStyleConfig): RustAdapterInstance

/** Options of {@link RustClientDb}: the replica file and the hub it syncs with. */
export interface RustClientDbConfig
  extends Omit<RustAdapterConfig, "url"> {
  /**
   * The replica's SQLite file (created on first use). Use `secret` and `encryptionKey`
   * identical to the hub's other adapters: rows are copied as stored (hashed session keys,
   * sealed OAuth tokens).
   * @defaultValue `"auth.sqlite"`
   */
  filename?: string
  /** The PostgreSQL hub, `postgres://user:password@host:port/database?sslmode=...`: the single source of truth. `schema`, `tablePrefix` and `poolSize` apply to it. */
  hub: string
}

/** A replica's pubsub token: random, stored only hashed on the hub, valid until `expiresAt`. */
export interface PubsubToken {
  /** The token. */
  value: string
  /** Epoch milliseconds after which {@link RustClientDbHandle.live} refuses it; `device.register()` renews it. */
  expiresAt: number
}

/** What {@link RustClientDbDevice.register} returns. */
export interface DeviceRegistration {
  /** This replica's id on the hub (kept in the replica file, the same across restarts). */
  deviceId: string
  /** The token that lets this replica listen for changes. */
  pubsubToken: PubsubToken
  /** Where to listen: pass them to {@link RustClientDbHandle.live}. */
  endpoints: string[]
}

/**
 * Events of a {@link RustClientDbHandle}: `"device:register"` (with the registration; also
 * emitted when a `register()` that found the hub away registers in the background once it
 * answers), `"device:deregister"`, `"sync:pull"` (`{ changes }`, after an explicit `pull()`),
 * `"sync:push"` (`{ writes }`), `"change"` (`{ changes }`, when a pull changed rows), and from
 * the live sync task: `"sync:live"` (`{ changes }`: connected, token accepted, caught up; at
 * every (re)connection), `"sync:offline"` (`{ reason }`: the hub was lost; the replica serves
 * its file and retries every few hundred milliseconds) and `"unauthorized"` (a
 * `RustAdapterError` with code `UNAUTHORIZED`: the hub refused the pubsub token at a
 * (re)connection, and live sync has stopped; register again, then call `live`).
 */
export type EventName =
  | "device:register"
  | "device:deregister"
  | "sync:pull"
  | "sync:push"
  | "sync:live"
  | "sync:offline"
  | "unauthorized"
  | "change"

/** A listener of {@link EventName} events. */
export type EventCallbackFn = (data?: any) => void

/** A declared schema: this library's tables plus app-declared user columns. */
export interface DeclaredSchema {
  /** The replica file's schema version the app expects (this package's `PRAGMA user_version`). */
  version?: number
  /**
   * App-declared user columns and their types. Each mirrors the user's extra property of the
   * same name as a generated column (virtual in SQLite, stored in PostgreSQL), so it
   * round-trips like any user property and can be indexed and queried.
   */
  user?: Record<string, "text" | "integer" | "real" | "boolean" | "date">
}

/** `device` of a {@link RustClientDbHandle}. */
export interface RustClientDbDevice {
  /**
   * Records this replica on the hub with a new pubsub token (renewing an earlier one) and
   * emits `"device:register"`. Resolves to `undefined` when the hub cannot be reached (it
   * never rejects for that): the replica then serves its file, registers once the hub answers
   * (emitting `"device:register"`) and goes live by itself (emitting `"sync:live"`).
   */
  register(): Promise<undefined | DeviceRegistration>
  /** Stops live sync, removes this replica's record from the hub, emits `"device:deregister"`. */
  deregister(): Promise<void>
}

/** `schema` of a {@link RustClientDbHandle}. */
export interface RustClientDbSchema {
  /** Resolves when replica and hub match `schema`; rejects with `SCHEMA_MISMATCH` and `error.differences` (a list) otherwise. */
  validate(schema: DeclaredSchema): Promise<void>
  /** Adds what `schema` declares and the replica or the hub lacks (a column that exists with another type is refused). */
  migrate(schema: DeclaredSchema): Promise<void>
}

/** `event` of a {@link RustClientDbHandle}. */
export interface RustClientDbEvents {
  /** Calls `callback` on every `name` event; resolves once it is registered (rejects with `INVALID_INPUT` for an unknown name or a callback that is not a function). */
  subscribe(name: EventName, callback: EventCallbackFn): Promise<void>
  /** Stops calling `callback` on `name` events. */
  unsubscribe(name: EventName, callback: EventCallbackFn): Promise<void>
}

/** A local-first replica: see {@link RustClientDb}. */
export interface RustClientDbHandle {
  /** Marks the handle for Client DB integrations. */
  readonly __brand: "REPLOCAL_CLIENT_DB"
  /** The Auth.js adapter over the replica (pass it as `adapter` to NextAuth). */
  database: RustAdapterInstance
  /** Stops live sync and closes the replica file and the hub's pool. */
  close(): Promise<void>
  /** Resolves once every local write is durable and on the hub (rejects with `DB_UNAVAILABLE` while the hub is away). */
  flush(): Promise<void>
  /** Applies every hub change since the replica's last position. */
  pull(): Promise<void>
  /** Replays the writes queued while the hub was away, each exactly once. */
  push(): Promise<void>
  /**
   * Listens for the hub's change notifications and applies them; catches up after every
   * reconnect and pushes queued writes when the hub is back. Needs a current registration
   * (`UNAUTHORIZED` otherwise). Resolves once the first attempt caught up (rejects with
   * `DB_UNAVAILABLE` when it could not; it keeps trying).
   */
  live(endpoints: string[]): Promise<void>
  /** This replica's record on the hub. */
  device: RustClientDbDevice
  /** The declared schema of replica and hub. */
  schema: RustClientDbSchema
  /** Sync events. */
  event: RustClientDbEvents
}

/**
 * Opens a local-first replica: an embedded SQLite file that answers reads in microseconds and
 * stays in sync with a PostgreSQL hub (the single source of truth).
 *
 * ```ts
 * const clientDb = RustClientDb({ filename: "replica.sqlite", hub: process.env.DATABASE_URL! })
 * const reg = await clientDb.device.register()
 * if (reg) await clientDb.live(reg.endpoints)
 * export const { handlers, auth } = NextAuth({ adapter: clientDb.database, providers: [] })
 * ```
 */
export declare function RustClientDb(config: RustClientDbConfig): RustClientDbHandle

/**
 * {@link RustClientDb} under the name the Auth.js "Client DB" integration guide asks every
 * client-database package to export: `ReplocalClientDb(props)` returns a handle of type
 * `ReplocalClientDb`, whose members are assignable to the guide's.
 */
export declare function ReplocalClientDb(props: RustClientDbConfig): ReplocalClientDb

/** The handle type under the guide's name: the same as {@link RustClientDbHandle}. */
export type ReplocalClientDb = RustClientDbHandle

export default RustAdapter
