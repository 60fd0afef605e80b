'use strict'
/**
 * End to end: the example app (examples/express: Express 5 + @auth/express on RustAdapter) in a
 * real Chromium driven by playwright-core. The app runs as a child process on a free loopback
 * port with a fresh SQLite file in a temp dir; what Auth.js wrote is checked through a second
 * RustAdapter on the same file while the app runs, and with sql.js (an independent SQLite)
 * after the app has closed the file.
 *
 * The browser is a system Chromium (/usr/bin/chromium) when there is one, else the one shipped in
 * the devDependency @sparticuz/chromium (scripts/chromium.js; CHROMIUM_PATH overrides). Installs
 * the example's dependencies when they are missing. Screenshots and the app's log go to
 * test-artifacts/ (git-ignored; E2E_ARTIFACTS overrides); E2E_UPDATE_SCREENSHOT=1 also copies
 * the signed-in page to examples/express/screenshot.png for the README.
 *
 * The tests of this file run in order and share the app, the browser and the file: each one
 * is a step a person would take.
 */
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { RustAdapter } = require('../..')
const { launchOptions } = require('../../scripts/chromium.js')
const { inspect } = require('../helpers.js')
const { magicLink, launchBrowser, newPage } = require('./kit.js')
const { EXAMPLE, installExpressExample, startExpressApp, stopExpressApp, appSteps } = require('./express-app.js')

const ROOT = path.join(__dirname, '..', '..')
const ARTIFACTS = process.env.E2E_ARTIFACTS ?? path.join(ROOT, 'test-artifacts')

/** A platform authenticator with discoverable credentials and user verification (a passkey). */
const VIRTUAL_AUTHENTICATOR = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
}

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex')

jest.setTimeout(60_000)

/** The running app: a child process, its origin and the OpenID Provider it started. */
let app
let tmp
let dbFile
let linkFile
let browser
/** A second adapter on the app's file, to read what Auth.js stored. */
let store
let port
let logFile
/** The counter carol's passkey reached (the passkey tests), checked again in the file. */
let carolCounter

/** Starts the app on the test's file, link file and log, with `secret` as AUTH_SECRET. */
async function startApp({ secret, port: wanted = 0 }) {
  return startExpressApp({ env: { AUTH_DB: dbFile, AUTH_LINK_FILE: linkFile, AUTH_SECRET: secret }, logFile, port: wanted })
}

/** Stops the running app, if any (see stopExpressApp). */
async function stopApp() {
  if (!app) return
  const running = app
  app = undefined
  return stopExpressApp(running)
}

const { openAppPage, sessionCookie, requestMagicLink, signOut, signInWithOidc } = appSteps(() => app)

async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true })
  const file = path.join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

beforeAll(async () => {
  const chromiumOptions = await launchOptions() // throws, saying why, when there is none
  installExpressExample()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'authjs-e2e-'))
  dbFile = path.join(tmp, 'auth.sqlite')
  linkFile = path.join(tmp, 'links.jsonl')
  logFile = path.join(tmp, 'app.log')
  app = await startApp({ secret: crypto.randomBytes(32).toString('base64url') })
  port = app.port
  store = RustAdapter({ filename: dbFile })
  browser = await launchBrowser(chromiumOptions)
}, 240_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await stopApp().catch(() => {})
  await store?.close().catch(() => {})
  if (tmp) {
    if (fs.existsSync(logFile)) {
      fs.mkdirSync(ARTIFACTS, { recursive: true })
      fs.copyFileSync(logFile, path.join(ARTIFACTS, 'app.log'))
    }
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}, 30_000)

describe('email magic link', () => {
  const email = 'dave@example.test'
  let link
  let context
  let page

  afterAll(async () => {
    await context?.close()
  })

  test('opening the magic link signs a new user in with one database session', async () => {
    ;({ context, page } = await newPage(browser))
    await requestMagicLink(page, email)
    link = await magicLink(linkFile, email, 0)
    await page.goto(link)
    await page.waitForURL(app.origin + '/')
    await expect(page.textContent('#user-email')).resolves.toBe(email)

    const user = await store.getUserByEmail(email)
    expect(user).not.toBeNull()
    expect(Number.isNaN(new Date(user.emailVerified).valueOf())).toBe(false)
    const cookie = await sessionCookie(context)
    const found = await store.getSessionAndUser(cookie.value)
    expect(found.user.id).toBe(user.id)
    expect(found.session.expires.valueOf()).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000)
    await expect(page.textContent('#user-id')).resolves.toBe(user.id)
  })

  test('the magic link token was consumed: a second use of the link fails', async () => {
    const other = await newPage(browser)
    try {
      await other.page.goto(link)
      await other.page.waitForURL(/error=Verification/)
      expect(await sessionCookie(other.context)).toBeUndefined()
    } finally {
      await other.context.close()
    }
  })

  test('signing out deletes the database session', async () => {
    const cookie = await sessionCookie(context)
    expect(await store.getSessionAndUser(cookie.value)).not.toBeNull()
    await signOut(page)
    expect(await store.getSessionAndUser(cookie.value)).toBeNull()
    expect(await sessionCookie(context)).toBeUndefined()
  })
})

describe('your devices: two browsers signed in as one user', () => {
  const email = 'frank@example.test'
  let first
  let second

  /** A new browser context signed in as `email` by its own magic link. */
  async function signedInBrowser(seen) {
    const browserContext = await newPage(browser)
    await requestMagicLink(browserContext.page, email)
    await browserContext.page.goto(await magicLink(linkFile, email, seen))
    await browserContext.page.waitForURL(app.origin + '/')
    return browserContext
  }

  beforeAll(async () => {
    first = await signedInBrowser(0)
    second = await signedInBrowser(1)
  })
  afterAll(async () => {
    await first?.context.close()
    await second?.context.close()
  })

  test('the devices page lists both sessions, this one marked, with the browser and its network', async () => {
    await openAppPage(first.page, '/devices')
    expect(await first.page.locator('#sessions tbody tr').count()).toBe(2)
    expect(await first.page.locator('tr.current #this-device').count()).toBe(1)
    const current = await first.page.textContent('tr.current')
    expect(current).toMatch(/Chrome/)
    expect(current).toMatch(/127\.0\.0\.0/)
    const user = await store.getUserByEmail(email)
    const token = (await sessionCookie(first.context)).value
    const listed = await store.listSessions(user.id, { current: token })
    expect(await first.page.getAttribute('tr.current', 'data-session')).toBe(listed.find((s) => s.current).id)
  })

  test('signing the other device out ends its session on its next request', async () => {
    const otherToken = (await sessionCookie(second.context)).value
    await openAppPage(first.page, '/devices')
    // The page it lands on after the POST says how many it signed out (waiting for the same
    // URL it is already on would read the page before the POST's answer).
    await Promise.all([first.page.waitForURL(/\/devices\?revoked=1$/), first.page.click('tr:not(.current) button.revoke')])
    await expect(first.page.textContent('#revoked')).resolves.toMatch(/Signed out 1 other session\./)
    expect(await first.page.locator('#sessions tbody tr').count()).toBe(1)
    expect(await store.getSessionAndUser(otherToken)).toBeNull()
    await openAppPage(second.page, '/')
    await second.page.waitForSelector('#status:has-text("You are not signed in")')
    await openAppPage(first.page, '/')
    await expect(first.page.textContent('#user-email')).resolves.toBe(email)
  })

  test('"sign out everywhere else" ends every other session and keeps this one', async () => {
    await second.context.close()
    second = await signedInBrowser(2)
    const third = await signedInBrowser(3)
    try {
      await openAppPage(first.page, '/devices')
      expect(await first.page.locator('#sessions tbody tr').count()).toBe(3)
      await Promise.all([first.page.waitForURL(/\/devices\?revoked=2/), first.page.click('#revoke-others')])
      await expect(first.page.textContent('#revoked')).resolves.toMatch(/Signed out 2 other sessions/)
      for (const other of [second, third]) {
        await openAppPage(other.page, '/')
        await other.page.waitForSelector('#status:has-text("You are not signed in")')
      }
      await openAppPage(first.page, '/')
      await expect(first.page.textContent('#user-email')).resolves.toBe(email)
    } finally {
      await third.context.close()
    }
  })
})

describe('OpenID Connect against the loopback OpenID Provider', () => {
  let context
  let page
  let aliceId

  beforeAll(async () => {
    ;({ context, page } = await newPage(browser))
  })
  afterAll(async () => {
    await context?.close()
  })

  test('signing in goes through the OP login and consent pages with PKCE', async () => {
    const { seen, authorizationRequests } = await signInWithOidc(page, 'alice')
    expect(seen).toEqual(['login', 'consent'])
    expect(authorizationRequests).toHaveLength(1)
    const params = authorizationRequests[0].searchParams
    expect(params.get('response_type')).toBe('code')
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    await page.waitForURL(app.origin + '/')
    await expect(page.textContent('#status')).resolves.toBe('Signed in as Alice Liddell')
    await expect(page.textContent('#user-email')).resolves.toBe('alice@example.test')
    await expect(page.textContent('#providers')).resolves.toContain('oidc')
    await screenshot(page, 'signed-in-oidc')
    aliceId = (await store.getUserByEmail('alice@example.test')).id
  })

  test("the account row holds the provider's tokens, expires_at in seconds", async () => {
    const account = await store.getAccount('alice', 'oidc')
    expect(account).toMatchObject({ userId: aliceId, type: 'oidc', provider: 'oidc', token_type: 'bearer' })
    expect(account.scope.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile'])
    expect(account.access_token).toMatch(/^[\w-]{20,}$/)
    expect(account.refresh_token).toMatch(/^[\w-]{20,}$/)
    const now = Math.floor(Date.now() / 1000)
    expect(Number.isInteger(account.expires_at)).toBe(true)
    expect(account.expires_at).toBeGreaterThan(now + 3600 - 120) // the OP's AccessToken TTL is 3600 s
    expect(account.expires_at).toBeLessThanOrEqual(now + 3600)
    const claims = JSON.parse(Buffer.from(account.id_token.split('.')[1], 'base64url').toString())
    expect(claims).toMatchObject({ iss: app.opOrigin, sub: 'alice', aud: 'authjs-rust-adapter-demo' })
  })

  test('signing in again with the same OP account reuses the same user', async () => {
    await signOut(page)
    const { seen } = await signInWithOidc(page, 'alice')
    expect(seen).toEqual(['consent']) // the OP remembers alice's login; consent is asked each time
    await page.waitForURL(app.origin + '/')
    await expect(page.textContent('#user-id')).resolves.toBe(aliceId)
    expect((await store.getUserByAccount({ provider: 'oidc', providerAccountId: 'alice' })).id).toBe(aliceId)
  })

  test('an email link for the same address while signed in keeps the same user and links nothing', async () => {
    const before = await store.getUser(aliceId)
    await requestMagicLink(page, 'alice@example.test')
    await page.goto(await magicLink(linkFile, 'alice@example.test', 0))
    await page.waitForURL(app.origin + '/')
    await expect(page.textContent('#user-id')).resolves.toBe(aliceId)
    const after = await store.getUser(aliceId)
    expect(after.linkedAccounts).toEqual(before.linkedAccounts) // linkAccount never ran
    expect(after.linkedAccounts).toEqual([{ provider: 'oidc', providerAccountId: 'alice' }])
    expect(before.emailVerified).toBeNull() // Auth.js does not take the OP's email_verified
    expect(after.emailVerified.valueOf()).toBeGreaterThan(Date.now() - 60_000) // the link verified it
  })

  test('a signed-in user adds a passkey, which is linked to their user', async () => {
    const cdp = await context.newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    await cdp.send('WebAuthn.addVirtualAuthenticator', { options: VIRTUAL_AUTHENTICATOR })
    await openAppPage(page, '/')
    await Promise.all([page.waitForURL(app.origin + '/'), page.click('#add-passkey')])
    await page.waitForSelector('#passkeys')
    await expect(page.textContent('#user-id')).resolves.toBe(aliceId)
    const [authenticator] = await store.listAuthenticatorsByUserId(aliceId)
    expect(authenticator).toMatchObject({ userId: aliceId, providerAccountId: authenticator.credentialID })
    expect(await store.getAccount(authenticator.credentialID, 'passkey')).toMatchObject({ userId: aliceId, type: 'webauthn' })
    await expect(page.textContent('#providers')).resolves.toBe('email, oidc, passkey')
    const file = await screenshot(page, 'signed-in-oidc-passkey')
    if (process.env.E2E_UPDATE_SCREENSHOT === '1') fs.copyFileSync(file, path.join(EXAMPLE, 'screenshot.png'))
  })

  test('an OP account whose email belongs to another user is not linked to it silently', async () => {
    const other = await newPage(browser)
    try {
      // bob first signs up by email, then (signed out) tries the OP account with the same email
      await requestMagicLink(other.page, 'bob@example.test')
      await other.page.goto(await magicLink(linkFile, 'bob@example.test', 0))
      await other.page.waitForURL(app.origin + '/')
      const bob = await store.getUserByEmail('bob@example.test')
      await signOut(other.page)
      await signInWithOidc(other.page, 'bob')
      await other.page.waitForURL(/\/signin\?.*error=OAuthAccountNotLinked/)
      expect(await sessionCookie(other.context)).toBeUndefined()
      expect(await store.getUserByAccount({ provider: 'oidc', providerAccountId: 'bob' })).toBeNull()
      expect(await store.getAccount('bob', 'oidc')).toBeNull()
      expect((await store.getUser(bob.id)).linkedAccounts).toBeUndefined()
    } finally {
      await other.context.close()
    }
  })
})

describe('passkeys (a CDP virtual authenticator)', () => {
  let context
  let page
  let cdp
  let authenticatorId
  let carol
  let credentialID
  let counterAtRegistration

  const virtualCredential = async () => {
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
    expect(credentials).toHaveLength(1)
    return credentials[0]
  }

  beforeAll(async () => {
    ;({ context, page } = await newPage(browser))
    cdp = await context.newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    ;({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: VIRTUAL_AUTHENTICATOR }))
  })
  afterAll(async () => {
    await context?.close()
  })

  test('registering a passkey creates the user, its webauthn account and its authenticator', async () => {
    await openAppPage(page, '/signin')
    await page.fill('#passkey-email', 'carol@example.test')
    await Promise.all([page.waitForURL(app.origin + '/'), page.click('#passkey-register')])
    await expect(page.textContent('#user-email')).resolves.toBe('carol@example.test')

    carol = await store.getUserByEmail('carol@example.test')
    const authenticators = await store.listAuthenticatorsByUserId(carol.id)
    expect(authenticators).toHaveLength(1)
    const credential = await virtualCredential()
    credentialID = authenticators[0].credentialID
    expect(Buffer.from(credentialID, 'base64')).toEqual(Buffer.from(credential.credentialId, 'base64'))
    expect(authenticators[0]).toMatchObject({ userId: carol.id, providerAccountId: credentialID })
    expect(await store.getAccount(credentialID, 'passkey')).toMatchObject({ userId: carol.id, type: 'webauthn' })
    counterAtRegistration = authenticators[0].counter
    expect(counterAtRegistration).toBe(credential.signCount)
    await expect(page.textContent('#passkeys')).resolves.toContain(`${counterAtRegistration}`)
  })

  test("signing in with the passkey stores the authenticator's new signature counter", async () => {
    await signOut(page)
    await openAppPage(page, '/signin')
    await Promise.all([page.waitForURL(app.origin + '/'), page.click('#passkey-signin')])
    await expect(page.textContent('#user-id')).resolves.toBe(carol.id)
    const credential = await virtualCredential()
    const stored = await store.getAuthenticator(credentialID)
    expect(credential.signCount).toBeGreaterThan(counterAtRegistration)
    expect(stored.counter).toBe(credential.signCount)
    carolCounter = stored.counter
    await screenshot(page, 'signed-in-passkey')
  })
})

describe('the SQLite file across a restart', () => {
  let context
  let page
  let userId
  let cookie

  beforeAll(async () => {
    ;({ context, page } = await newPage(browser))
    await requestMagicLink(page, 'erin@example.test')
    await page.goto(await magicLink(linkFile, 'erin@example.test', 0))
    await page.waitForURL(app.origin + '/')
    userId = await page.textContent('#user-id')
    cookie = await sessionCookie(context)
  })
  afterAll(async () => {
    await context?.close()
  })

  test("after a restart on the same file (and a new AUTH_SECRET) the browser's session cookie is still valid", async () => {
    const { code } = await stopApp()
    expect(code).toBe(0)
    app = await startApp({ secret: crypto.randomBytes(32).toString('base64url'), port })
    await openAppPage(page, '/')
    await expect(page.textContent('#user-id')).resolves.toBe(userId)
    expect((await sessionCookie(context)).value).toBe(cookie.value)
  })

  test('read independently after the app closed it, the file holds what Auth.js implies', async () => {
    await stopApp()
    await store.close()
    expect(fs.existsSync(`${dbFile}-wal`)).toBe(false)
    const db = await inspect(dbFile)
    try {
      expect(db.get('PRAGMA user_version').user_version).toBe(6)
      expect(db.all('SELECT * FROM verification_tokens')).toEqual([]) // every link was used once
      const users = db.all('SELECT id, email, email_verified FROM users ORDER BY email')
      expect(users.map((u) => u.email)).toEqual([
        'alice@example.test',
        'bob@example.test',
        'carol@example.test',
        'dave@example.test',
        'erin@example.test',
        'frank@example.test',
      ])
      const byEmail = Object.fromEntries(users.map((u) => [u.email, u]))
      // dave signed out: no session left; erin's session is stored as the SHA-256 of her cookie
      expect(db.all('SELECT * FROM sessions WHERE user_id = ?', [byEmail['dave@example.test'].id])).toEqual([])
      const erin = db.all('SELECT session_token_hash, expires FROM sessions WHERE user_id = ?', [userId])
      expect(erin).toEqual([{ session_token_hash: sha256(cookie.value), expires: expect.any(Number) }])
      const accounts = db.all('SELECT provider, provider_account_id, user_id, type, expires_at FROM accounts ORDER BY provider')
      const alice = byEmail['alice@example.test'].id
      const carol = byEmail['carol@example.test'].id
      expect(accounts.map((a) => [a.provider, a.type, a.user_id]).sort()).toEqual([
        ['oidc', 'oidc', alice],
        ['passkey', 'webauthn', alice],
        ['passkey', 'webauthn', carol],
      ].sort())
      const oidc = accounts.find((a) => a.provider === 'oidc')
      expect(oidc.expires_at).toBeLessThan(Date.now() / 1000 + 4000) // seconds, not milliseconds
      const authenticators = db.all('SELECT user_id, counter FROM authenticators')
      expect(authenticators.map((a) => a.user_id).sort()).toEqual([alice, carol].sort())
      // carol signed in with hers once after registering: its counter moved past the first value
      expect(authenticators.find((a) => a.user_id === carol).counter).toBe(carolCounter)
    } finally {
      db.close()
    }
  })
})
