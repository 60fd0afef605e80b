// @ts-check
'use strict'
/**
 * The NextAuth.js v3 adapter face: `LegacyAdapter(config).getAdapter(appOptions)` resolves to
 * the v3 method set (positional arguments, v3 semantics) over the same SQLite tables as the
 * v4/v5 face, so an app can move to Auth.js later without moving its data.
 */
const { createHash, randomBytes } = require('node:crypto')
const { openNative, faceOf } = require('./adapter.js')
const { promised } = require('./scheduling.js')
const { loadNative } = require('./load.js')

const DAY = 24 * 60 * 60 * 1000
/** NextAuth.js v3 defaults: sessions live 30 days and are extended at most once a day. */
const DEFAULT_SESSION = { maxAge: 30 * 24 * 60 * 60, updateAge: 24 * 60 * 60 }

const sha256 = (text) => createHash('sha256').update(text).digest('hex')

/**
 * v3 sessions carry an `accessToken`. It is derived from the session token (one-way), so it
 * needs no column and never reveals the token.
 */
const accessTokenOf = (sessionToken) => sha256(`authjs-rust-adapter:v3-access-token:${sessionToken}`)

/** A v5 session → the v3 shape. */
function legacySession(session) {
  return session && { ...session, accessToken: accessTokenOf(session.sessionToken) }
}

/** A Date, epoch ms or ISO string → epoch seconds, for account `expires_at`. */
function toSeconds(value) {
  if (value === null || value === undefined) return undefined
  const ms = value instanceof Date ? value.valueOf() : typeof value === 'number' ? value : Date.parse(value)
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined
}

/**
 * Creates a NextAuth.js v3 adapter on an embedded SQLite file.
 *
 * @param {import('../index').RustAdapterConfig | import('../index').TypeOrmStyleConfig} [config]
 * @returns {import('../index').LegacyAdapterFactory}
 */
function LegacyAdapter(config) {
  const store = openNative(config)
  const adapter = faceOf(store)
  const { peekVerificationToken: peek } = loadNative()
  const peekVerificationToken = promised((params) => peek(store, params))

  return {
    /** Not part of NextAuth.js v3: lets queued writes finish and closes the database. */
    close: () => adapter.close(),

    /** Resolves to the v3 adapter methods for NextAuth.js's `appOptions`. */
    async getAdapter(appOptions = {}) {
      const session = { ...DEFAULT_SESSION, ...(appOptions.session || {}) }
      const maxAgeMs = session.maxAge * 1000
      const updateAgeMs = session.updateAge * 1000
      const hashToken = (token, secret) => sha256(`${token}${secret ?? appOptions.secret ?? ''}`)

      return {
        displayName: 'AUTHJS_RUST_ADAPTER_LEGACY',

        /** v3 passes the provider profile; only the user fields are kept, and a new id is made. */
        createUser(profile = {}) {
          const { name, email, image, emailVerified } = profile
          return adapter.createUser({ name, email, image, emailVerified: emailVerified ?? null })
        },

        getUser: (id) => adapter.getUser(id),

        async getUserByEmail(email) {
          return email ? adapter.getUserByEmail(email) : null
        },

        getUserByProviderAccountId: (providerId, providerAccountId) =>
          adapter.getUserByAccount({ provider: providerId, providerAccountId }),

        /** NextAuth.js v3 has no credentials storage: always `null`. */
        async getUserByCredentials() {
          return null
        },

        updateUser: (user) => adapter.updateUser(user),

        deleteUser: (userId) => adapter.deleteUser(userId),

        linkAccount: (userId, providerId, providerType, providerAccountId, refreshToken, accessToken, accessTokenExpires) =>
          adapter.linkAccount({
            userId,
            provider: providerId,
            type: providerType,
            providerAccountId,
            refresh_token: refreshToken ?? undefined,
            access_token: accessToken ?? undefined,
            expires_at: toSeconds(accessTokenExpires),
          }),

        unlinkAccount: (userId, providerId, providerAccountId) =>
          adapter.unlinkAccount({ provider: providerId, providerAccountId }),

        /** A new session for `user`, with a random token and `maxAge` from the app options. */
        async createSession(user) {
          const created = await adapter.createSession({
            sessionToken: randomBytes(32).toString('hex'),
            userId: user.id,
            expires: new Date(Date.now() + maxAgeMs),
          })
          return legacySession(created)
        },

        /** The session, or `null`; an expired session is deleted. */
        async getSession(sessionToken) {
          const found = await adapter.getSessionAndUser(sessionToken)
          if (!found) return null
          if (found.session.expires.valueOf() < Date.now()) {
            await adapter.deleteSession(sessionToken)
            return null
          }
          return legacySession(found.session)
        },

        /**
         * Extends the session to `now + maxAge`, but only once it is `updateAge` old (or when
         * `force` is set). Resolves to the stored session, or `null` when nothing was written.
         */
        async updateSession(current, force) {
          const expires = current.expires instanceof Date ? current.expires.valueOf() : new Date(current.expires).valueOf()
          const dueAt = expires - maxAgeMs + updateAgeMs
          if (Date.now() < dueAt && !force) return null
          const next = Date.now() >= dueAt ? new Date(Date.now() + maxAgeMs) : new Date(expires)
          return legacySession(await adapter.updateSession({ sessionToken: current.sessionToken, expires: next }))
        },

        async deleteSession(sessionToken) {
          await adapter.deleteSession(sessionToken)
        },

        /** Stores only `sha256(token + secret)`, then asks the provider to send the link. */
        async createVerificationRequest(identifier, url, token, secret, provider) {
          const maxAgeSeconds = provider.maxAge || DAY / 1000
          await adapter.createVerificationToken({
            identifier,
            token: hashToken(token, secret),
            expires: new Date(Date.now() + maxAgeSeconds * 1000),
          })
          await provider.sendVerificationRequest({ identifier, url, token, baseUrl: appOptions.baseUrl, provider })
        },

        /** The stored request for this link, or `null`; an expired one is deleted. */
        async getVerificationRequest(identifier, token, secret) {
          const key = { identifier, token: hashToken(token, secret) }
          const found = await peekVerificationToken(key)
          if (found && found.expires.valueOf() < Date.now()) {
            await adapter.useVerificationToken(key)
            return null
          }
          return found
        },

        async deleteVerificationRequest(identifier, token, secret) {
          await adapter.useVerificationToken({ identifier, token: hashToken(token, secret) })
        },
      }
    },
  }
}

module.exports = { LegacyAdapter }
