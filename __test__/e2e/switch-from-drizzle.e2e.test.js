'use strict'
/**
 * End to end: a switch from `@auth/drizzle-adapter` to RustAdapter keeps the browser signed in
 * (issue #20, docs/cli.md "Switching from another Auth.js adapter").
 *
 * The Express example (examples/express) first runs on the peer: its AUTH_ADAPTER_MODULE is
 * fixtures/drizzle-adapter.mjs, @auth/drizzle-adapter over a drizzle SQLite file (better-sqlite3,
 * the tables of the peer's docs). Two people sign in in a real Chromium: alice through the
 * app's OpenID Provider, dave by email link. The app stops; the command line, run as a process,
 * imports the drizzle file into a new RustAdapter file with the `secret` the app will hash
 * session tokens with; the same app starts on RustAdapter over that file (AUTH_ADAPTER_SECRET),
 * and the same browser contexts, with the cookies they already had, are still signed in as the
 * same users. Signing out then works as on any RustAdapter session.
 *
 * So that it proves the import is what keeps the sessions, the same cookie is first shown to
 * fail on RustAdapter over an empty file, and over a file imported without the app's secret.
 *
 * Chromium as in app.e2e.test.js (scripts/chromium.js). The app's output goes to
 * test-artifacts/switch-app.log (E2E_ARTIFACTS overrides the folder).
 */
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const Database = require('better-sqlite3')
const { RustAdapter } = require('../..')
const { launchOptions } = require('../../scripts/chromium.js')
const { DRIZZLE_SCHEMA } = require('../../bench/lib/schema.js')
const { runCli } = require('../helpers.js')
const { magicLink, launchBrowser, newPage } = require('./kit.js')
const { installExpressExample, startExpressApp, stopExpressApp, appSteps } = require('./express-app.js')

const ROOT = path.join(__dirname, '..', '..')
const ARTIFACTS = process.env.E2E_ARTIFACTS ?? path.join(ROOT, 'test-artifacts')
const DRIZZLE_MODULE = path.join(__dirname, 'fixtures', 'drizzle-adapter.mjs')

// The peer's authenticator table (its default SQLite schema), which DRIZZLE_SCHEMA leaves out:
// the app's home page lists a user's passkeys through the adapter.
const AUTHENTICATOR_DDL = `
  CREATE TABLE authenticator (
      credentialID         TEXT NOT NULL UNIQUE,
      userId               TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
      providerAccountId    TEXT NOT NULL,
      credentialPublicKey  TEXT NOT NULL,
      counter              INTEGER NOT NULL,
      credentialDeviceType TEXT NOT NULL,
      credentialBackedUp   INTEGER NOT NULL,
      transports           TEXT,
      PRIMARY KEY (userId, credentialID)
  );
`

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex')
const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest('hex')

jest.setTimeout(60_000)

let tmp
let linkFile
let logFile
/** The peer's database: the app's file before the switch. */
let drizzleFile
let browser
/** The running app. */
let app
/** The port the app listens on, kept across its restarts (cookies are per host). */
let port
/** The app's Auth.js secret: the same before and after, as in a real switch. */
const authSecret = crypto.randomBytes(32).toString('base64url')
/** RustAdapter's `secret`, which the app hashes session tokens with after the switch. */
const hashSecret = crypto.randomBytes(24).toString('base64url')

/** alice (OpenID Connect) and dave (email link): a browser context each, kept throughout. */
const alice = { email: 'alice@example.test', name: 'Alice Liddell' }
const dave = { email: 'dave@example.test' }

const { openAppPage, sessionCookie, requestMagicLink, signOut, signInWithOidc } = appSteps(() => app)

/**
 * Starts the example on `file`: on the peer with `drizzle`, else on RustAdapter, hashing with
 * `adapterSecret` when given.
 */
async function startApp({ file, drizzle = false, adapterSecret }) {
  const env = { AUTH_DB: file, AUTH_LINK_FILE: linkFile, AUTH_SECRET: authSecret }
  if (drizzle) {
    env.AUTH_ADAPTER_MODULE = DRIZZLE_MODULE
    // The better-sqlite3 Jest resolves is built for this Node.js (scripts/node-matrix.js maps a
    // copy per version): the app's process loads the same one.
    env.BETTER_SQLITE3 = require.resolve('better-sqlite3')
  }
  if (adapterSecret) env.AUTH_ADAPTER_SECRET = adapterSecret
  fs.appendFileSync(logFile, `\n--- ${drizzle ? '@auth/drizzle-adapter' : 'RustAdapter'} on ${path.basename(file)}\n`)
  app = await startExpressApp({ env, logFile, port: port ?? 0 })
  port = app.port
}

async function stopApp() {
  if (!app) return undefined
  const running = app
  app = undefined
  return stopExpressApp(running)
}

/** What Auth.js's own session endpoint answers this browser context (`null`: signed out). */
async function sessionJson(page) {
  const response = await page.request.get(`${app.origin}/auth/session`)
  expect(response.status()).toBe(200)
  return response.json()
}

/** The home page as `page` sees it: the status line, and the user's id, name and email. */
async function homeOf(page) {
  await openAppPage(page, '/')
  const status = await page.textContent('#status')
  if (status === 'You are not signed in') return { status }
  return {
    status,
    id: await page.textContent('#user-id'),
    name: await page.textContent('#user-name'),
    email: await page.textContent('#user-email'),
  }
}

/**
 * A new browser context holding only a copy of `person`'s session cookie: what the running
 * app makes of that cookie, without risking the original (Auth.js clears a cookie it does not
 * know).
 */
async function withCopiedCookie(person, check) {
  const other = await newPage(browser)
  try {
    await other.context.addCookies([person.cookie])
    await check(other)
  } finally {
    await other.context.close()
  }
}

/** The app on this file does not know the cookie: signed out on the page and in Auth.js. */
async function expectCookieUnknown(person) {
  await withCopiedCookie(person, async ({ page, context }) => {
    expect(await homeOf(page)).toEqual({ status: 'You are not signed in' })
    expect(await sessionJson(page)).toBeNull()
    // Auth.js found no session for it, so it told the browser to drop the cookie.
    expect(await sessionCookie(context)).toBeUndefined()
  })
}

/** The rows of a SQLite file, read once the app has closed it. */
function rowsOf(file, sql) {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(sql).all()
  } finally {
    db.close()
  }
}

beforeAll(async () => {
  const chromiumOptions = await launchOptions() // throws, saying why, when there is none
  installExpressExample()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'authjs-e2e-switch-'))
  linkFile = path.join(tmp, 'links.jsonl')
  logFile = path.join(tmp, 'app.log')
  // The peer's tables, as `drizzle-kit push` creates them from the schema of its docs.
  drizzleFile = path.join(tmp, 'drizzle.sqlite')
  const db = new Database(drizzleFile)
  db.exec(DRIZZLE_SCHEMA + AUTHENTICATOR_DDL)
  db.close()
  browser = await launchBrowser(chromiumOptions)
}, 240_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await stopApp().catch(() => {})
  if (tmp) {
    if (fs.existsSync(logFile)) {
      fs.mkdirSync(ARTIFACTS, { recursive: true })
      fs.copyFileSync(logFile, path.join(ARTIFACTS, 'switch-app.log'))
    }
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}, 30_000)

test('on @auth/drizzle-adapter, alice signs in through the OpenID Provider and dave by email link', async () => {
  await startApp({ file: drizzleFile, drizzle: true })

  Object.assign(alice, await newPage(browser))
  const { seen } = await signInWithOidc(alice.page, 'alice')
  expect(seen).toEqual(['login', 'consent'])
  await alice.page.waitForURL(app.origin + '/')
  const aliceHome = await homeOf(alice.page)
  expect(aliceHome).toMatchObject({ status: `Signed in as ${alice.name}`, name: alice.name, email: alice.email })
  alice.id = aliceHome.id
  alice.session = await sessionJson(alice.page)
  expect(alice.session.user).toMatchObject({ id: alice.id, name: alice.name, email: alice.email })
  alice.cookie = await sessionCookie(alice.context)
  // The example's session callback sends the user, never the cookie's value to page scripts.
  expect(Object.keys(alice.session).sort()).toEqual(['expires', 'user'])
  expect(JSON.stringify(alice.session)).not.toContain(alice.cookie.value)

  Object.assign(dave, await newPage(browser))
  await requestMagicLink(dave.page, dave.email)
  await dave.page.goto(await magicLink(linkFile, dave.email, 0))
  await dave.page.waitForURL(app.origin + '/')
  const daveHome = await homeOf(dave.page)
  expect(daveHome).toMatchObject({ status: `Signed in as ${dave.email}`, email: dave.email })
  dave.id = daveHome.id
  dave.session = await sessionJson(dave.page)
  dave.cookie = await sessionCookie(dave.context)

  const { code } = await stopApp()
  expect(code).toBe(0)
  // It was the peer that stored them: its tables hold each browser's plain session token.
  const sessions = rowsOf(drizzleFile, 'SELECT sessionToken, userId FROM session ORDER BY userId')
  expect(sessions).toEqual(
    [
      { sessionToken: alice.cookie.value, userId: alice.id },
      { sessionToken: dave.cookie.value, userId: dave.id },
    ].sort((a, b) => (a.userId < b.userId ? -1 : 1)),
  )
  expect(rowsOf(drizzleFile, 'SELECT provider, providerAccountId, userId FROM account')).toEqual([
    { provider: 'oidc', providerAccountId: 'alice', userId: alice.id },
  ])
})

test('without the import, RustAdapter over a new file does not know the cookies', async () => {
  await startApp({ file: path.join(tmp, 'empty.sqlite'), adapterSecret: hashSecret })
  await expectCookieUnknown(alice)
  await expectCookieUnknown(dave)
  await stopApp()
})

test('imported without the secret the app hashes with, the cookies do not match', async () => {
  const file = path.join(tmp, 'no-secret.sqlite')
  const out = runCli(['import', '--from', 'drizzle', '--source', drizzleFile, '--filename', file, '--json'])
  expect(out.stderr).toBe('')
  expect(out.status).toBe(0)
  // The rows are there, hashed without a secret ...
  const stored = rowsOf(file, 'SELECT session_token_hash FROM sessions').map((r) => r.session_token_hash)
  expect(stored.sort()).toEqual([sha256(alice.cookie.value), sha256(dave.cookie.value)].sort())
  // ... which the app, configured with one, cannot match.
  await startApp({ file, adapterSecret: hashSecret })
  await expectCookieUnknown(alice)
  await stopApp()
})

describe('the switch: import with the app secret, then RustAdapter on the new file', () => {
  const file = () => path.join(tmp, 'auth.sqlite')

  test('the command line imports the users, the account and both sessions, hashed with --secret', async () => {
    const out = runCli(['import', '--from', 'drizzle', '--source', drizzleFile, '--filename', file(), '--secret', hashSecret, '--json'])
    expect(out.stderr).toBe('')
    expect(out.status).toBe(0)
    expect(out.json.inserted).toEqual({ user: 2, account: 1, session: 2, verificationToken: 0, authenticator: 0 })
    // The new file holds no usable token: each session is the HMAC of its cookie under the secret.
    const sessions = rowsOf(file(), 'SELECT session_token_hash, user_id FROM sessions ORDER BY user_id')
    expect(sessions).toEqual(
      [
        { session_token_hash: hmac(hashSecret, alice.cookie.value), user_id: alice.id },
        { session_token_hash: hmac(hashSecret, dave.cookie.value), user_id: dave.id },
      ].sort((a, b) => (a.user_id < b.user_id ? -1 : 1)),
    )
  })

  test('the same browsers, with the cookies they had, are still signed in as the same users', async () => {
    await startApp({ file: file(), adapterSecret: hashSecret })
    await alice.page.reload()
    expect(await homeOf(alice.page)).toEqual({ status: `Signed in as ${alice.name}`, id: alice.id, name: alice.name, email: alice.email })
    expect(await sessionJson(alice.page)).toEqual(alice.session)
    expect((await sessionCookie(alice.context)).value).toBe(alice.cookie.value)

    expect(await homeOf(dave.page)).toMatchObject({ status: `Signed in as ${dave.email}`, id: dave.id, email: dave.email })
    expect((await sessionJson(dave.page)).user).toEqual(dave.session.user)
    expect((await sessionCookie(dave.context)).value).toBe(dave.cookie.value)
  })

  test('signing out on RustAdapter ends the imported session, and only that one', async () => {
    const store = RustAdapter({ filename: file(), secret: hashSecret })
    try {
      expect((await store.getSessionAndUser(alice.cookie.value)).user.email).toBe(alice.email)
      await signOut(alice.page)
      expect(await sessionCookie(alice.context)).toBeUndefined()
      expect(await store.getSessionAndUser(alice.cookie.value)).toBeNull()
      await expectCookieUnknown(alice) // the old cookie, replayed, no longer signs in
      expect(await homeOf(dave.page)).toMatchObject({ id: dave.id, email: dave.email })
      expect((await store.getSessionAndUser(dave.cookie.value)).user.id).toBe(dave.id)
    } finally {
      await store.close()
    }
    const { code } = await stopApp()
    expect(code).toBe(0)
  })
})
