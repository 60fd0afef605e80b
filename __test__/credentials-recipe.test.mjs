// The Credentials-with-database-sessions recipe of docs/sessions.md, run through Auth.js itself
// (@auth/core's Auth(), the engine of next-auth v5): sign in with a password, and the cookie
// is a database session that getSessionAndUser, /session and sign-out all use.
import { Auth } from '@auth/core'
import Credentials from '@auth/core/providers/credentials'
import GitHub from '@auth/core/providers/github'
import { encode as defaultEncode } from '@auth/core/jwt'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const require = createRequire(import.meta.url)
const { RustAdapter } = require('..')

const BASE = 'http://localhost:3000/api/auth'
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authjs-credentials-'))
const adapter = RustAdapter({ filename: path.join(dir, 'auth.sqlite') })
let user

/** The recipe, as an app writes it. */
const config = {
  adapter,
  secret: 'a-test-secret-of-enough-length-0123456789',
  trustHost: true,
  basePath: '/api/auth',
  session: { strategy: 'database' },
  providers: [
    // Auth.js refuses database sessions when Credentials is the only provider; any other
    // provider (here an OAuth one that this test never uses) lets the configuration through.
    GitHub({ clientId: 'unused', clientSecret: 'unused' }),
    Credentials({
      credentials: { email: {}, password: {} },
      authorize: async ({ email, password }) => (email === user.email && password === 'right' ? user : null),
    }),
  ],
  callbacks: {
    jwt({ token, account }) {
      if (account?.provider === 'credentials') token.credentials = true
      return token
    },
  },
  jwt: {
    async encode(params) {
      if (params.token?.credentials) {
        const { sessionToken } = await adapter.createSessionFor(params.token.sub)
        return sessionToken
      }
      return defaultEncode(params)
    },
  },
}

/** Cookies as a `Cookie` header, from Set-Cookie headers. */
const cookieHeader = (response, previous = '') =>
  [previous, ...response.headers.getSetCookie().map((c) => c.split(';')[0])].filter(Boolean).join('; ')
const sessionCookieOf = (response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('authjs.session-token='))
    ?.split('=')[1]

async function signIn(password) {
  const csrf = await Auth(new Request(`${BASE}/csrf`), config)
  const { csrfToken } = await csrf.json()
  const body = new URLSearchParams({ csrfToken, email: user.email, password })
  const response = await Auth(
    new Request(`${BASE}/callback/credentials`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(csrf) },
      body,
    }),
    config,
  )
  return { response, cookie: cookieHeader(response, cookieHeader(csrf)), csrfToken }
}

const session = async (cookie) => (await Auth(new Request(`${BASE}/session`, { headers: { cookie } }), config)).json()

beforeAll(async () => {
  user = await adapter.createUser({ email: 'pw-user@example.com', emailVerified: null, name: 'Password User' })
})

afterAll(async () => {
  await adapter.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

test('a password sign-in sets a cookie that is a database session', async () => {
  const { response } = await signIn('right')
  const token = sessionCookieOf(response)
  expect(token).toBeDefined()
  expect((await adapter.getSessionAndUser(token)).user.id).toBe(user.id)
})

test('/session answers the user from the database session', async () => {
  const { cookie } = await signIn('right')
  expect((await session(cookie)).user).toMatchObject({ email: user.email, name: 'Password User' })
})

test('a wrong password creates no session', async () => {
  const before = (await adapter.listSessions(user.id)).length
  const { response } = await signIn('wrong')
  expect(sessionCookieOf(response)).toBeUndefined()
  expect(await adapter.listSessions(user.id)).toHaveLength(before)
})

test('revoking the session signs the browser out: /session is empty', async () => {
  const { response, cookie } = await signIn('right')
  const token = sessionCookieOf(response)
  const mine = (await adapter.listSessions(user.id, { current: token })).find((s) => s.current)
  await adapter.revokeSession(user.id, mine.id)
  expect(await session(cookie)).toBeNull()
})

test('sign-out deletes the database session', async () => {
  const { response, cookie, csrfToken } = await signIn('right')
  const token = sessionCookieOf(response)
  await Auth(
    new Request(`${BASE}/signout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ csrfToken }),
    }),
    config,
  )
  expect(await adapter.getSessionAndUser(token)).toBeNull()
})
