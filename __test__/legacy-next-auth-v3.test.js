'use strict'
/**
 * LegacyAdapter under NextAuth.js v3 itself: next-auth@3.29.10's own request handler, served over
 * real HTTP on loopback, signs a user in with a magic link (Email provider, database sessions),
 * reads the session and signs out — while a second adapter (RustAdapter) and an independent SQLite
 * (better-sqlite3, read-only) check what was written to the file.
 *
 * next-auth@3 is a devDependency installed normally (no --legacy-peer-deps): its peers react,
 * react-dom and @prisma/client (of @next-auth/prisma-legacy-adapter) come along as dev-only
 * packages, and `allowScripts` in package.json denies @prisma/client's postinstall. Nothing of
 * next-auth@3 needs a native build. Its package `exports` map `next-auth` and `next-auth/providers`
 * to the Babel output, so both need `.default` from CommonJS.
 *
 * The server is a thin stand-in for a Next.js API route at pages/api/auth/[...nextauth].js: it gives
 * next-auth what Next.js would (`req.query` with the `nextauth` path segments, `req.cookies`,
 * `req.body` parsed from form or JSON bodies, and `res.status/json/send/redirect`). Email is never
 * sent: `sendVerificationRequest` keeps the link in memory.
 */
const http = require('node:http')
const { createHash } = require('node:crypto')
const Database = require('better-sqlite3')
const { RustAdapter, LegacyAdapter } = require('..')
const { tempFile } = require('./helpers')

const SECRET = 'legacy-next-auth-v3-test-secret'
const REQUEST_TIMEOUT_MS = 10_000
const sha256 = (text) => createHash('sha256').update(text).digest('hex')
/** Dates from the native addon come from Node's main realm, not Jest's, so `instanceof Date` fails. */
const isDate = (value) => Object.prototype.toString.call(value) === '[object Date]' && !Number.isNaN(value.valueOf())
const SESSION_COOKIE = 'next-auth.session-token'
const CSRF_COOKIE = 'next-auth.csrf-token'

// ---------------------------------------------------------------------------------------------
// The Next.js API-route shim

/** Parses a `Cookie` header the way Next.js does (values URI-decoded). */
function parseCookies(header = '') {
  const cookies = {}
  for (const part of header.split(';')) {
    const i = part.indexOf('=')
    if (i < 0) continue
    const name = part.slice(0, i).trim()
    if (name && !(name in cookies)) cookies[name] = decodeURIComponent(part.slice(i + 1).trim())
  }
  return cookies
}

/** Reads and parses the body like Next.js's API routes: form and JSON become objects, else a string. */
async function parseBody(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  const raw = Buffer.concat(chunks).toString('utf8')
  const type = (req.headers['content-type'] || 'text/plain').split(';')[0].trim().toLowerCase()
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw))
  if (type === 'application/json') return raw ? JSON.parse(raw) : {}
  return raw
}

/** Adds the Next.js response helpers next-auth v3 calls (it wraps json/send/end and replaces redirect). */
function extendResponse(res) {
  res.status = (code) => {
    res.statusCode = code
    return res
  }
  res.json = (value) => {
    res.setHeader('Content-Type', 'application/json; charset=utf-8')
    return res.end(JSON.stringify(value))
  }
  res.send = (value) => {
    if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) return res.json(value)
    return res.end(value)
  }
  res.redirect = (statusOrUrl, maybeUrl) => {
    const [status, url] = typeof statusOrUrl === 'number' ? [statusOrUrl, maybeUrl] : [307, statusOrUrl]
    res.statusCode = status
    res.setHeader('Location', url)
    return res.end()
  }
  return res
}

/**
 * A loopback HTTP server: `/api/auth/*` goes to `handler(req, res)` (a next-auth v3 `NextAuth(req,
 * res, options)` call), anything else is a plain 200 page standing in for the app.
 */
function startServer(handler) {
  const server = http.createServer(async (req, res) => {
    extendResponse(res)
    try {
      const url = new URL(req.url, 'http://loopback')
      if (!url.pathname.startsWith('/api/auth/')) {
        res.setHeader('Content-Type', 'text/html')
        return res.end(`<!DOCTYPE html><p>app page ${url.pathname}</p>`)
      }
      const nextauth = url.pathname.slice('/api/auth/'.length).split('/').filter(Boolean).map(decodeURIComponent)
      req.query = { ...Object.fromEntries(url.searchParams), nextauth }
      req.cookies = parseCookies(req.headers.cookie)
      req.body = await parseBody(req)
      await handler(req, res)
    } catch (error) {
      if (!res.headersSent) res.statusCode = 500
      res.end(`shim error: ${error && error.stack}`)
    }
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

// ---------------------------------------------------------------------------------------------
// A small browser: cookie jar, requests, redirects

class CookieJar {
  constructor() {
    this.cookies = new Map()
  }

  /** Takes the `Set-Cookie` lines of a response; an empty, `Max-Age<=0` or expired cookie is removed. */
  store(setCookie = []) {
    for (const line of setCookie) {
      const [pair, ...attributes] = line.split(';')
      const i = pair.indexOf('=')
      const name = pair.slice(0, i).trim()
      const value = pair.slice(i + 1).trim()
      let expired = value === ''
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.trim().split('=')
        const attrValue = rest.join('=')
        if (key.toLowerCase() === 'max-age' && Number(attrValue) <= 0) expired = true
        if (key.toLowerCase() === 'expires' && Date.parse(attrValue) <= Date.now()) expired = true
      }
      if (expired) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  /** The decoded value of a cookie, or undefined. */
  get(name) {
    const value = this.cookies.get(name)
    return value === undefined ? undefined : decodeURIComponent(value)
  }

  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

/** One HTTP request (no redirects followed). `form` is sent urlencoded, `json` as JSON. */
function request(url, { method = 'GET', jar, form, json } = {}) {
  return new Promise((resolve, reject) => {
    const headers = {}
    let body
    if (form) {
      body = new URLSearchParams(form).toString()
      headers['Content-Type'] = 'application/x-www-form-urlencoded'
    } else if (json) {
      body = JSON.stringify(json)
      headers['Content-Type'] = 'application/json'
    }
    if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body)
    if (jar && jar.cookies.size) headers.Cookie = jar.header()
    const req = http.request(url, { method, headers, agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        if (jar) jar.store(res.headers['set-cookie'])
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({
          url: String(url),
          status: res.statusCode,
          headers: res.headers,
          location: res.headers.location,
          setCookie: res.headers['set-cookie'] || [],
          text,
          json: () => JSON.parse(text),
        })
      })
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no response in ${REQUEST_TIMEOUT_MS} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

/** A request followed through its redirects as a browser would (GET, same jar); resolves to every hop. */
async function browse(url, options = {}) {
  const hops = [await request(url, options)]
  while (hops.at(-1).status >= 300 && hops.at(-1).status < 400 && hops.at(-1).location) {
    if (hops.length > 5) throw new Error(`too many redirects: ${hops.map((h) => h.url).join(' → ')}`)
    const next = new URL(hops.at(-1).location, hops.at(-1).url)
    hops.push(await request(next, { jar: options.jar }))
  }
  return hops
}

// ---------------------------------------------------------------------------------------------

describe('LegacyAdapter behind next-auth@3 (email sign-in, database sessions, over HTTP)', () => {
  const filename = tempFile('next-auth-v3.sqlite')
  const mails = []
  const loggedErrors = []
  const jar = new CookieJar()
  const email = 'ada.lovelace@example.com'
  let server
  let baseUrl
  let modern
  let savedNextAuthUrl
  let csrfToken
  let link
  let sessionToken
  let userId

  /** Sessions in the file, counted by an independent SQLite (read-only, WAL included). */
  function countSessions() {
    const db = new Database(filename, { readonly: true, fileMustExist: true })
    try {
      return db.prepare('SELECT count(*) AS n FROM sessions').get().n
    } finally {
      db.close()
    }
  }

  const lastMail = () => mails.at(-1)

  beforeAll(async () => {
    savedNextAuthUrl = process.env.NEXTAUTH_URL
    let handler = () => {
      throw new Error('next-auth not loaded yet')
    }
    server = await startServer((req, res) => handler(req, res))
    baseUrl = `http://127.0.0.1:${server.address().port}`
    // next-auth v3 reads NEXTAUTH_URL on every request (and warns at load time when it is unset).
    process.env.NEXTAUTH_URL = baseUrl
    const NextAuth = require('next-auth').default
    const Providers = require('next-auth/providers').default

    const options = {
      adapter: LegacyAdapter({ type: 'sqlite', database: filename, synchronize: true, sweepInterval: 0 }),
      providers: [
        Providers.Email({
          server: 'smtp://127.0.0.1:9', // never used: sendVerificationRequest below replaces the mailer
          from: 'NextAuth.js <no-reply@example.test>',
          sendVerificationRequest: ({ identifier, url, token }) => void mails.push({ identifier, url, token }),
        }),
      ],
      session: { jwt: false },
      secret: SECRET,
      logger: {
        error: (code, ...message) => void loggedErrors.push({ code, message }),
        warn: () => {},
        debug: () => {},
      },
    }
    handler = (req, res) => NextAuth(req, res, options)
    modern = RustAdapter({ filename, sweepInterval: 0 })
  })

  afterAll(async () => {
    if (savedNextAuthUrl === undefined) delete process.env.NEXTAUTH_URL
    else process.env.NEXTAUTH_URL = savedNextAuthUrl
    if (server) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
    if (modern) await modern.close()
  })

  test('GET /api/auth/csrf returns a token and sets the csrf cookie', async () => {
    const res = await request(`${baseUrl}/api/auth/csrf`, { jar })
    expect(res.status).toBe(200)
    csrfToken = res.json().csrfToken
    expect(csrfToken).toMatch(/^[0-9a-f]{64}$/)
    expect(jar.get(CSRF_COOKIE)).toBe(`${csrfToken}|${sha256(`${csrfToken}${SECRET}`)}`)
  })

  test('POST /api/auth/signin/email sends a magic link and redirects to verify-request', async () => {
    const hops = await browse(`${baseUrl}/api/auth/signin/email`, {
      method: 'POST',
      jar,
      form: { email, csrfToken, callbackUrl: `${baseUrl}/dashboard` },
    })
    expect(hops.map((hop) => hop.status)).toEqual([302, 200])
    expect(hops[0].location).toBe(`${baseUrl}/api/auth/verify-request?provider=email&type=email`)
    expect(mails).toHaveLength(1)
    const mail = lastMail()
    expect(mail.identifier).toBe(email)
    link = new URL(mail.url)
    expect(`${link.origin}${link.pathname}`).toBe(`${baseUrl}/api/auth/callback/email`)
    expect(link.searchParams.get('email')).toBe(email)
    expect(link.searchParams.get('token')).toBe(mail.token)
    expect(loggedErrors).toEqual([])
  })

  test('following the link sets the session cookie and lands on the callback URL', async () => {
    const hops = await browse(link, { jar })
    expect(hops.map((hop) => hop.status)).toEqual([302, 200])
    expect(hops[0].location).toBe(`${baseUrl}/dashboard`)
    expect(hops[0].setCookie.some((line) => line.startsWith(`${SESSION_COOKIE}=`))).toBe(true)
    sessionToken = jar.get(SESSION_COOKIE)
    expect(sessionToken).toMatch(/^[0-9a-f]{64}$/)
    expect(loggedErrors).toEqual([])
  })

  test('GET /api/auth/session shows the signed-in user', async () => {
    const res = await request(`${baseUrl}/api/auth/session`, { jar })
    expect(res.status).toBe(200)
    const session = res.json()
    // Unset name and image are null, as v3's own TypeORM adapter returned them.
    expect(session.user).toEqual({ email, name: null, image: null })
    expect(new Date(session.expires).valueOf()).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000)
    expect(typeof session.accessToken).toBe('string')
    expect(session.accessToken).not.toBe(sessionToken)
    expect(loggedErrors).toEqual([])
  })

  test('a second adapter sees the verified user and exactly one session for them', async () => {
    const user = await modern.getUserByEmail(email)
    expect(user).toMatchObject({ email })
    expect(user.name ?? null).toBeNull()
    expect(user.image ?? null).toBeNull()
    expect(isDate(user.emailVerified)).toBe(true)
    expect(Math.abs(user.emailVerified.valueOf() - Date.now())).toBeLessThan(60_000)
    userId = user.id

    const found = await modern.getSessionAndUser(sessionToken)
    expect(found.session).toMatchObject({ sessionToken, userId })
    expect(found.user.id).toBe(userId)
    expect(countSessions()).toBe(1)
  })

  test('the stored token is sha256(token + secret), not the token itself (control for the consumed-token check)', async () => {
    const other = 'grace.hopper@example.com'
    const signIn = await request(`${baseUrl}/api/auth/signin/email`, { method: 'POST', jar: new CookieJar(), form: { email: other } })
    // Without the csrf cookie and token next-auth refuses, and sends nothing.
    expect(signIn.location).toBe(`${baseUrl}/api/auth/signin?csrf=true`)
    expect(mails).toHaveLength(1)

    const otherJar = new CookieJar()
    const { csrfToken: otherCsrf } = (await request(`${baseUrl}/api/auth/csrf`, { jar: otherJar })).json()
    await request(`${baseUrl}/api/auth/signin/email`, { method: 'POST', jar: otherJar, form: { email: other, csrfToken: otherCsrf } })
    expect(mails).toHaveLength(2)
    const { token } = lastMail()
    expect(await modern.useVerificationToken({ identifier: other, token })).toBeNull()
    const stored = await modern.useVerificationToken({ identifier: other, token: sha256(`${token}${SECRET}`) })
    expect(stored).toMatchObject({ identifier: other, token: sha256(`${token}${SECRET}`) })
    expect(isDate(stored.expires)).toBe(true)
    // The Email provider's maxAge (one day) sets the expiry.
    expect(Math.abs(stored.expires.valueOf() - (Date.now() + 24 * 3600 * 1000))).toBeLessThan(60_000)

    // Consumed out of band, that link no longer signs anyone in.
    const hops = await browse(lastMail().url, { jar: otherJar })
    expect(hops[0].location).toBe(`${baseUrl}/api/auth/error?error=Verification`)
    expect(otherJar.get(SESSION_COOKIE)).toBeUndefined()
    expect(await modern.getUserByEmail(other)).toBeNull()
    expect(loggedErrors).toEqual([])
  })

  test('reusing the link fails: error redirect, no session cookie, no new session', async () => {
    const stranger = new CookieJar()
    const hops = await browse(link, { jar: stranger })
    expect(hops[0].status).toBe(302)
    expect(hops[0].location).toBe(`${baseUrl}/api/auth/error?error=Verification`)
    expect(hops[0].setCookie.some((line) => line.startsWith(`${SESSION_COOKIE}=`))).toBe(false)
    expect(hops.at(-1).status).toBe(403)
    expect(hops.at(-1).text).toContain('The sign in link is no longer valid.')
    expect(stranger.get(SESSION_COOKIE)).toBeUndefined()
    expect(countSessions()).toBe(1)
    expect(loggedErrors).toEqual([])
  })

  // After the reuse attempt, not before: if the token were still there, this check would consume it.
  test("the used link's verification token is gone from the file", async () => {
    const token = link.searchParams.get('token')
    expect(await modern.useVerificationToken({ identifier: email, token: sha256(`${token}${SECRET}`) })).toBeNull()
  })

  test('POST /api/auth/signout (csrf token in a JSON body) deletes the session row and clears the cookie', async () => {
    // next-auth v3's client sends `json: "true"` and gets the redirect as JSON instead of a 302.
    const res = await request(`${baseUrl}/api/auth/signout`, { method: 'POST', jar, json: { csrfToken, json: 'true' } })
    expect(res.status).toBe(200)
    expect(res.json()).toEqual({ url: `${baseUrl}/dashboard` })
    expect(jar.get(SESSION_COOKIE)).toBeUndefined()
    expect(await modern.getSessionAndUser(sessionToken)).toBeNull()
    expect(countSessions()).toBe(0)
    // The user stays.
    expect((await modern.getUser(userId)).email).toBe(email)
    expect(loggedErrors).toEqual([])
  })

  test('after sign-out the old session cookie gets an empty session, and the cookie is cleared', async () => {
    const replay = new CookieJar()
    replay.store([`${SESSION_COOKIE}=${sessionToken}; Path=/`])
    const res = await request(`${baseUrl}/api/auth/session`, { jar: replay })
    expect(res.status).toBe(200)
    expect(res.json()).toEqual({})
    expect(replay.get(SESSION_COOKIE)).toBeUndefined()
    expect(countSessions()).toBe(0)
    expect(loggedErrors).toEqual([])
  })
})
