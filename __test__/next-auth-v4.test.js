'use strict'
/**
 * next-auth v4 at run time: the app in __test__/next-auth-v4/server.js (`NextAuth(req, res,
 * options)` as a Pages Router API route, `adapter: RustAdapter(...)`, database sessions, an email
 * provider that writes its links to a file) runs as a child process and is driven over HTTP as
 * next-auth v4's own client (`signIn('email')`, `signOut()`) drives it.
 *
 * The tests of this file run in order and share the app: each is a step a person takes. next-auth
 * v4 lives in __test__/next-auth-v4 (kept apart from the root's @auth/core); its dependencies
 * are installed here when missing.
 */
const { spawn, spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { RustAdapter } = require('..')

const APP = path.join(__dirname, 'next-auth-v4')
const EMAIL = 'vera@example.com'
const SESSION_COOKIE = 'next-auth.session-token'

let tmp
let app
let origin
let links
/** A second adapter on the app's file, to see what next-auth v4 stored. */
let store
/** The browser's cookies: name → value. */
const jar = new Map()
/** The magic link the app sent, and the session cookie it gave for it. */
let link
let signedInCookie

/** Sends a request with the jar's cookies (unless `cookies` is given) and keeps what it sets. */
async function request(pathOrUrl, { method = 'GET', form, cookies } = {}) {
  const cookieHeader = [...(cookies ?? jar)].map(([k, v]) => `${k}=${v}`).join('; ')
  const response = await fetch(new URL(pathOrUrl, origin), {
    method,
    redirect: 'manual',
    headers: {
      ...(cookieHeader ? { cookie: cookieHeader } : {}),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
  })
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const at = pair.indexOf('=')
    const name = pair.slice(0, at)
    const value = pair.slice(at + 1)
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name)
    else jar.set(name, value)
  }
  return response
}

async function csrfToken() {
  const response = await request('/api/auth/csrf')
  expect(response.status).toBe(200)
  return (await response.json()).csrfToken
}

/** What /api/auth/session answers (as next-auth v4's useSession / getSession read it). */
async function session(cookies) {
  const response = await request('/api/auth/session', { cookies })
  expect(response.status).toBe(200)
  return response.json()
}

function startApp() {
  const child = spawn(process.execPath, [path.join(APP, 'server.js')], {
    cwd: APP,
    env: {
      ...process.env,
      AUTH_DB: path.join(tmp, 'auth.sqlite'),
      AUTH_LINKS: links,
      AUTH_SECRET: crypto.randomBytes(32).toString('base64url'),
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`next-auth v4 app did not start:\n${log}`)), 30_000)
    const onData = (chunk) => {
      log += chunk
      const ready = /Ready on (http:\/\/\S+)/.exec(log)
      if (ready) {
        clearTimeout(timer)
        resolve({ child, origin: ready[1], log: () => log })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`next-auth v4 app exited (${code}):\n${log}`))
    })
  })
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(APP, 'node_modules', 'next-auth', 'package.json'))) {
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: APP,
      encoding: 'utf8',
      timeout: 170_000,
    })
    if (npm.status !== 0) throw new Error(`npm install in __test__/next-auth-v4 failed:\n${npm.stderr}`)
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'authjs-next-auth-v4-'))
  links = path.join(tmp, 'links.jsonl')
  app = await startApp()
  origin = app.origin
  store = RustAdapter({ filename: path.join(tmp, 'auth.sqlite') })
}, 200_000)

afterAll(async () => {
  if (app) {
    const exited = new Promise((resolve) => app.child.once('exit', resolve))
    app.child.kill('SIGTERM')
    await exited
  }
  await store?.close().catch(() => {})
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

test('the app runs next-auth v4: the providers endpoint lists the email provider', async () => {
  const response = await request('/api/auth/providers')
  expect(response.status).toBe(200)
  expect(await response.json()).toMatchObject({ email: { id: 'email', type: 'email' } })
  const { version } = JSON.parse(fs.readFileSync(path.join(APP, 'node_modules', 'next-auth', 'package.json'), 'utf8'))
  expect(version).toMatch(/^4\./)
})

test('before signing in there is no session', async () => {
  expect(await session()).toEqual({})
  expect(await (await request('/me')).json()).toEqual({ session: null })
})

test('signing in by email sends one magic link', async () => {
  const response = await request('/api/auth/signin/email', {
    method: 'POST',
    form: { email: EMAIL, csrfToken: await csrfToken(), callbackUrl: `${origin}/me`, json: 'true' },
  })
  expect(response.status).toBe(200)
  expect((await response.json()).url).toMatch(/\/api\/auth\/verify-request/)
  const sent = fs.readFileSync(links, 'utf8').trim().split('\n').map((line) => JSON.parse(line))
  expect(sent).toHaveLength(1)
  expect(sent[0].identifier).toBe(EMAIL)
  link = sent[0].url
  expect(new URL(link).searchParams.get('token')).toBeTruthy()
})

test('following the link creates the user and a database session, and redirects to the callback', async () => {
  const response = await request(link)
  expect(response.status).toBe(302)
  expect(response.headers.get('location')).toBe(`${origin}/me`)
  signedInCookie = jar.get(SESSION_COOKIE)
  expect(signedInCookie).toBeTruthy()
  // A database session: the cookie is the session token the adapter stored, not a JWT.
  expect(signedInCookie.split('.')).toHaveLength(1)
  const stored = await store.getSessionAndUser(signedInCookie)
  expect(stored.user).toMatchObject({ email: EMAIL, emailVerified: expect.any(Date) })
  expect(stored.session.expires.getTime()).toBeGreaterThan(Date.now())
})

test('the session shows the user, on the session endpoint and through getServerSession', async () => {
  const current = await session()
  expect(current.user).toMatchObject({ email: EMAIL })
  expect(new Date(current.expires).getTime()).toBeGreaterThan(Date.now())
  const { session: serverSide } = await (await request('/me')).json()
  expect(serverSide.user).toMatchObject({ email: EMAIL })
})

test('the same link fails the second time', async () => {
  const response = await request(link, { cookies: new Map() })
  expect(response.status).toBe(302)
  expect(response.headers.get('location')).toMatch(/\/api\/auth\/error\?error=Verification/)
  // and it made no second session for the user
  const user = await store.getUserByEmail(EMAIL)
  expect(await store.listSessions(user.id)).toHaveLength(1)
})

test('signing out ends the session: the old cookie no longer gives one', async () => {
  const response = await request('/api/auth/signout', {
    method: 'POST',
    form: { csrfToken: await csrfToken(), callbackUrl: origin, json: 'true' },
  })
  expect(response.status).toBe(200)
  expect(jar.has(SESSION_COOKIE)).toBe(false)
  const old = new Map([[SESSION_COOKIE, signedInCookie]])
  expect(await session(old)).toEqual({})
  expect(await (await request('/me', { cookies: old })).json()).toEqual({ session: null })
  expect(await store.getSessionAndUser(signedInCookie)).toBeNull()
})
