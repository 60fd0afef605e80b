'use strict'
/**
 * End to end: the Next.js example (examples/nextjs: Next.js 16, App Router, next-auth v5 on
 * RustAdapter with database sessions) as production builds it and runs it. `next build` runs
 * once, then `next start` serves it to a real Chromium driven by playwright-core; last, the
 * standalone output (`output: "standalone"`) is copied out of the repository and started with
 * plain `node server.js`, which proves it carries the adapter and its native binary.
 *
 * What Auth.js wrote is checked through a second RustAdapter on the app's SQLite file. The
 * browser is a system Chromium when there is one, else the one shipped in the devDependency
 * @sparticuz/chromium (scripts/chromium.js; CHROMIUM_PATH overrides). Needs the addon built at
 * the root (`npm run build`). Installs the example's dependencies when they are missing, and
 * the adapter into them as `npm run build` does (examples/nextjs/install-adapter.mjs). The
 * build's and the servers' output go to test-artifacts/nextjs-*.log (E2E_ARTIFACTS overrides
 * the folder).
 *
 * The tests of this file run in order and share the build, the server, the browser and the
 * file: each one is a step a person would take.
 */
const { spawn } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { RustAdapter } = require('../..')
const { launchOptions } = require('../../scripts/chromium.js')
const { sleep, freePort, magicLink, launchBrowser, newPage, installExample } = require('./kit.js')

const ROOT = path.join(__dirname, '..', '..')
const EXAMPLE = path.join(ROOT, 'examples', 'nextjs')
const NEXT = path.join(EXAMPLE, 'node_modules', 'next', 'dist', 'bin', 'next')
const ARTIFACTS = process.env.E2E_ARTIFACTS ?? path.join(ROOT, 'test-artifacts')
const COOKIE = 'authjs.session-token'
const EMAIL = 'nina@example.test'

const secret = () => crypto.randomBytes(32).toString('base64url')

jest.setTimeout(60_000)

let tmp
let dbFile
let linkFile
/** Where the build was told the database lives: a folder that does not exist at build time. */
let buildDbFile
/** `next build`'s exit code, output and duration. */
let build
let browser
/** A second adapter on the app's file, to read what Auth.js stored. */
let store
/** The running `next start` (or standalone) server. */
let server
let context
let page
/** The session cookie of the signed-in browser, kept to replay it after sign-out. */
let token
let link

/** Runs a command to its end; resolves with its exit code, output and duration. */
function run(command, args, options) {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('exit', (code, signal) => resolve({ code: code ?? signal, output, ms: Date.now() - started }))
  })
}

/** The environment of every Next.js process: no telemetry (CI reaches no network but registries). */
function nextEnv(extra) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    ...extra,
  }
}

/**
 * Starts a production server (`next start`, or `node server.js` of the standalone output) and
 * waits (bounded) until it answers. `log` names its file under the artifacts folder.
 */
async function startServer({ args, cwd, log, env }) {
  const port = await freePort()
  const child = spawn(process.execPath, args(port), {
    cwd,
    env: nextEnv({ PORT: String(port), HOSTNAME: '127.0.0.1', AUTH_TRUST_HOST: 'true', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  fs.mkdirSync(ARTIFACTS, { recursive: true })
  const logFd = fs.openSync(path.join(ARTIFACTS, `nextjs-${log}.log`), 'a')
  let output = ''
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      output += chunk
      fs.writeSync(logFd, chunk)
    })
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))
  exited.then(() => fs.closeSync(logFd))
  // Next.js hands Auth.js request URLs on `localhost` (whatever the Host header said), so its
  // redirects go there: the browser uses that origin, plain fetches the loopback address.
  const origin = `http://localhost:${port}`
  const direct = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${await exited}) before it answered:\n${output}`)
    }
    const answered = await fetch(direct + '/api/auth/providers').then(
      (response) => response.ok,
      () => false,
    )
    if (answered) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the server did not answer within 30 s:\n${output}`)
    }
    await sleep(100)
  }
  return { child, exited, origin, direct, output: () => output }
}

/** SIGTERM, SIGKILL after 10 s; resolves when the process is gone. */
async function stopServer() {
  if (!server) return
  const { child, exited } = server
  server = undefined
  if (child.exitCode !== null || child.signalCode !== null) return exited
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  const result = await exited
  clearTimeout(timer)
  return result
}

function startNext(env) {
  return startServer({
    args: (port) => [NEXT, 'start', '--port', String(port), '--hostname', '127.0.0.1'],
    cwd: EXAMPLE,
    log: 'start',
    env,
  })
}

async function sessionCookie(browserContext) {
  const cookies = await browserContext.cookies(server.origin)
  return cookies.find((c) => c.name === COOKIE)
}

/** The home page's form (a server action calling signIn("email")) up to "check your email". */
async function requestMagicLink(browserPage, email) {
  await browserPage.goto(server.origin + '/')
  await browserPage.fill('#email', email)
  await Promise.all([browserPage.waitForURL(/\/api\/auth\/verify-request/), browserPage.click('#email-submit')])
}

/** GET `pathname` with only the session cookie `value` (no browser), as JSON. */
async function getJson(pathname, value) {
  const response = await fetch(server.direct + pathname, {
    headers: value ? { cookie: `${COOKIE}=${value}` } : {},
    redirect: 'manual',
  })
  return { status: response.status, body: await response.json().catch(() => null) }
}

beforeAll(async () => {
  const chromiumOptions = await launchOptions() // throws, saying why, when there is none
  installExample(EXAMPLE)
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'authjs-nextjs-'))
  dbFile = path.join(tmp, 'auth.sqlite')
  linkFile = path.join(tmp, 'links.jsonl')
  buildDbFile = path.join(tmp, 'mounted-at-run-time', 'auth.sqlite')

  // A production build, as `npm run build` makes it (its prebuild step installs the adapter
  // from this repository as a real folder); a previous build is removed first.
  const install = await run(process.execPath, ['install-adapter.mjs'], { cwd: EXAMPLE, env: process.env })
  if (install.code !== 0) throw new Error(`install-adapter.mjs failed:\n${install.output}`)
  fs.rmSync(path.join(EXAMPLE, '.next'), { recursive: true, force: true })
  build = await run(process.execPath, [NEXT, 'build'], {
    cwd: EXAMPLE,
    env: nextEnv({ AUTH_SECRET: secret(), AUTH_DB: buildDbFile }),
  })
  fs.mkdirSync(ARTIFACTS, { recursive: true })
  fs.writeFileSync(path.join(ARTIFACTS, 'nextjs-build.log'), build.output)
  console.log(`next build: ${(build.ms / 1000).toFixed(1)} s`)
  if (build.code !== 0) throw new Error(`next build failed (${build.code}):\n${build.output}`)

  server = await startNext({ AUTH_SECRET: secret(), AUTH_DB: dbFile, AUTH_LINK_FILE: linkFile })
  store = RustAdapter({ filename: dbFile })
  browser = await launchBrowser(chromiumOptions)
  ;({ context, page } = await newPage(browser))
}, 600_000)

afterAll(async () => {
  await context?.close().catch(() => {})
  await browser?.close().catch(() => {})
  await stopServer().catch(() => {})
  await store?.close().catch(() => {})
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
}, 30_000)

describe('next build', () => {
  test('builds with the database folder absent and creates no database file', () => {
    expect(build.code).toBe(0)
    expect(fs.existsSync(path.dirname(buildDbFile))).toBe(false)
    expect(fs.existsSync(path.join(EXAMPLE, 'auth.sqlite'))).toBe(false)
  })
})

describe('next start', () => {
  test('signing in by magic link: the server component shows the user from the database session', async () => {
    await requestMagicLink(page, EMAIL)
    link = await magicLink(linkFile, EMAIL, 0)
    await page.goto(link)
    await page.waitForURL(server.origin + '/')
    await expect(page.textContent('#user-email')).resolves.toBe(EMAIL)

    const user = await store.getUserByEmail(EMAIL)
    expect(user.emailVerified).toBeInstanceOf(Date)
    await expect(page.textContent('#user-id')).resolves.toBe(user.id)
    token = (await sessionCookie(context)).value
    const found = await store.getSessionAndUser(token)
    expect(found.user.id).toBe(user.id)
    expect(found.session.expires.valueOf()).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000)
  })

  test('the same magic link fails the second time and signs nobody in', async () => {
    const other = await newPage(browser)
    try {
      await other.page.goto(link)
      await other.page.waitForURL(/error=Verification/)
      expect(await sessionCookie(other.context)).toBeUndefined()
    } finally {
      await other.context.close()
    }
  })

  test('proxy.ts calls auth() with the database session and passes the user to the page', async () => {
    await page.goto(server.origin + '/protected')
    await expect(page.textContent('#proxy-user')).resolves.toBe(EMAIL)
    const api = await getJson('/api/whoami', token)
    expect(api).toEqual({ status: 200, body: { proxyUser: EMAIL, user: expect.objectContaining({ email: EMAIL }) } })
  })

  test('proxy.ts turns visitors without a session away', async () => {
    const response = await fetch(server.direct + '/protected', { redirect: 'manual' })
    expect(response.status).toBe(307)
    expect(new URL(response.headers.get('location'), server.direct).pathname).toBe('/')
    expect(await getJson('/api/whoami', undefined)).toEqual({ status: 401, body: { error: 'not signed in' } })
    // A forged header does not get through: the proxy sets it from the session only.
    const forged = await fetch(server.direct + '/api/whoami', { headers: { 'x-proxy-user': EMAIL } })
    expect(forged.status).toBe(401)
  })

  test('200 concurrent session requests all see the user', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => getJson('/api/auth/session', token)))
    const wrong = results.filter((r) => r.status !== 200 || r.body?.user?.email !== EMAIL)
    expect(wrong).toEqual([])
  })

  test('the session endpoint shows the user, never the session token the httpOnly cookie holds', async () => {
    const { body } = await getJson('/api/auth/session', token)
    expect(Object.keys(body).sort()).toEqual(['expires', 'user'])
    expect(JSON.stringify(body)).not.toContain(token)
  })

  test('the session survives a server restart (with a new AUTH_SECRET)', async () => {
    await stopServer()
    server = await startNext({ AUTH_SECRET: secret(), AUTH_DB: dbFile, AUTH_LINK_FILE: linkFile })
    await page.goto(server.origin + '/')
    await expect(page.textContent('#user-email')).resolves.toBe(EMAIL)
  })

  test('signing out by server action deletes the session; the old cookie no longer works', async () => {
    await page.goto(server.origin + '/')
    await Promise.all([page.waitForSelector('#status:has-text("You are not signed in")'), page.click('#sign-out')])
    expect(await sessionCookie(context)).toBeUndefined()
    expect(await store.getSessionAndUser(token)).toBeNull()

    const replay = await newPage(browser)
    try {
      await replay.context.addCookies([{ name: COOKIE, value: token, url: server.origin }])
      await replay.page.goto(server.origin + '/')
      await expect(replay.page.textContent('#status')).resolves.toBe('You are not signed in.')
    } finally {
      await replay.context.close()
    }
    expect(await getJson('/api/auth/session', token)).toEqual({ status: 200, body: null })
  })
})

describe('standalone output', () => {
  let standalone
  let standaloneDb
  let standaloneLinks

  beforeAll(async () => {
    await stopServer()
    // Out of the repository, so nothing can resolve back to its node_modules or its binary.
    standalone = path.join(tmp, 'standalone')
    fs.cpSync(path.join(EXAMPLE, '.next', 'standalone'), standalone, { recursive: true, verbatimSymlinks: true })
    fs.cpSync(path.join(EXAMPLE, '.next', 'static'), path.join(standalone, '.next', 'static'), { recursive: true })
    standaloneDb = path.join(tmp, 'standalone.sqlite')
    standaloneLinks = path.join(tmp, 'standalone-links.jsonl')
  })

  test('carries the native binary', () => {
    const installed = path.join(standalone, 'node_modules', 'authjs-rust-adapter')
    expect(fs.existsSync(path.join(installed, 'native.js'))).toBe(true)
    const binaries = fs.readdirSync(installed).filter((f) => f.startsWith('authjs-rust-adapter.') && f.endsWith('.node'))
    expect(binaries).toHaveLength(1)
  })

  test('`node server.js` serves a magic-link sign-in on its own', async () => {
    server = await startServer({
      args: () => ['server.js'],
      cwd: standalone,
      log: 'standalone',
      env: { AUTH_SECRET: secret(), AUTH_DB: standaloneDb, AUTH_LINK_FILE: standaloneLinks },
    })
    const fresh = await newPage(browser)
    try {
      await requestMagicLink(fresh.page, EMAIL)
      await fresh.page.goto(await magicLink(standaloneLinks, EMAIL, 0))
      await fresh.page.waitForURL(server.origin + '/')
      await expect(fresh.page.textContent('#user-email')).resolves.toBe(EMAIL)
    } finally {
      await fresh.context.close()
    }
    expect(fs.existsSync(standaloneDb)).toBe(true)
  })
})
