'use strict'
/**
 * Edge middleware importing the package: examples/nextjs/edge-middleware is an app with JWT
 * sessions whose one auth.ts (with `adapter: RustAdapter(...)`) is shared by the route handlers
 * (Node.js runtime) and by middleware.ts (the Edge runtime, Next.js's default for
 * middleware). Importing the package in the Edge bundle must succeed, so every matched request
 * is served instead of failing with a 500; auth() there decodes the JWT; and a call to the
 * adapter at the edge rejects with a coded error that says it needs the Node.js runtime.
 *
 * Driven over HTTP (no browser): `next build`, `next start`, sign-in by magic link with
 * Auth.js's own endpoints. Output goes to test-artifacts/nextjs-edge-*.log.
 */
const { spawn, spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { sleep, freePort, magicLink, installExample } = require('./kit.js')

const ROOT = path.join(__dirname, '..', '..')
const EXAMPLE = path.join(ROOT, 'examples', 'nextjs')
const APP = path.join(EXAMPLE, 'edge-middleware')
const NEXT = path.join(EXAMPLE, 'node_modules', 'next', 'dist', 'bin', 'next')
const ARTIFACTS = process.env.E2E_ARTIFACTS ?? path.join(ROOT, 'test-artifacts')
const EMAIL = 'edgar@example.test'

jest.setTimeout(60_000)

let tmp
let dbFile
let linkFile
let server
let origin
let output = ''

/** `name=value` pairs of a response's Set-Cookie headers, merged into `jar` (a Map). */
function keepCookies(response, jar) {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const at = pair.indexOf('=')
    jar.set(pair.slice(0, at), pair.slice(at + 1))
  }
  return jar
}

const cookieHeader = (jar) => [...jar].map(([name, value]) => `${name}=${value}`).join('; ')

beforeAll(async () => {
  installExample(EXAMPLE)
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'authjs-nextjs-edge-'))
  dbFile = path.join(tmp, 'auth.sqlite')
  linkFile = path.join(tmp, 'links.jsonl')
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    AUTH_SECRET: crypto.randomBytes(32).toString('base64url'),
    AUTH_TRUST_HOST: 'true',
    AUTH_DB: dbFile,
    AUTH_LINK_FILE: linkFile,
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true })

  const install = spawnSync(process.execPath, ['install-adapter.mjs'], { cwd: EXAMPLE, encoding: 'utf8' })
  if (install.status !== 0) throw new Error(`install-adapter.mjs failed:\n${install.stdout}${install.stderr}`)
  fs.rmSync(path.join(APP, '.next'), { recursive: true, force: true })
  const started = Date.now()
  const build = spawnSync(process.execPath, [NEXT, 'build'], { cwd: APP, env, encoding: 'utf8', timeout: 400_000 })
  fs.writeFileSync(path.join(ARTIFACTS, 'nextjs-edge-build.log'), build.stdout + build.stderr)
  console.log(`next build (edge middleware app): ${((Date.now() - started) / 1000).toFixed(1)} s`)
  if (build.status !== 0) throw new Error(`next build failed (${build.status ?? build.signal}):\n${build.stdout}${build.stderr}`)
  // The build really put middleware.ts on the Edge runtime.
  const manifest = JSON.parse(fs.readFileSync(path.join(APP, '.next', 'server', 'middleware-manifest.json'), 'utf8'))
  if (!manifest.middleware['/']) throw new Error(`no Edge middleware in the build: ${JSON.stringify(manifest)}`)

  const port = await freePort()
  origin = `http://127.0.0.1:${port}`
  server = spawn(process.execPath, [NEXT, 'start', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: APP,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  for (const stream of [server.stdout, server.stderr]) stream.on('data', (chunk) => (output += chunk))
  const deadline = Date.now() + 30_000
  for (;;) {
    if (server.exitCode !== null) throw new Error(`next start exited (${server.exitCode}):\n${output}`)
    if (await fetch(origin + '/api/auth/providers').then((r) => r.ok, () => false)) break
    if (Date.now() > deadline) throw new Error(`next start did not answer within 30 s:\n${output}`)
    await sleep(100)
  }
}, 600_000)

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  if (output) fs.writeFileSync(path.join(ARTIFACTS, 'nextjs-edge-start.log'), output)
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
}, 30_000)

test('a request matched by Edge middleware that imports the package is served (no 500)', async () => {
  const response = await fetch(origin + '/')
  expect(response.status).toBe(200)
  const html = await response.text()
  expect(html).toContain('<span id="runtime">edge</span>')
  expect(html).toContain('<span id="user"></span>')
})

test('with JWT sessions, auth() in Edge middleware sees the user signed in by magic link', async () => {
  const jar = new Map()
  const csrf = await fetch(origin + '/api/auth/csrf')
  keepCookies(csrf, jar)
  const { csrfToken } = await csrf.json()
  const signIn = await fetch(origin + '/api/auth/signin/email', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
    body: new URLSearchParams({ email: EMAIL, csrfToken, callbackUrl: origin + '/' }),
    redirect: 'manual',
  })
  expect(signIn.status).toBe(302)
  expect(signIn.headers.get('location')).toMatch(/\/api\/auth\/verify-request/)
  // Next.js hands Auth.js request URLs on `localhost`: fetch the link on the loopback address.
  const link = new URL(await magicLink(linkFile, EMAIL))
  link.hostname = '127.0.0.1'
  const callback = await fetch(link, { headers: { cookie: cookieHeader(jar) }, redirect: 'manual' })
  expect(callback.status).toBe(302)
  keepCookies(callback, jar)
  expect(jar.get('authjs.session-token')).toMatch(/^ey/) // a JWT (JWE), not a database session id

  const home = await fetch(origin + '/', { headers: { cookie: cookieHeader(jar) } })
  expect(home.status).toBe(200)
  expect(await home.text()).toContain(`<span id="user">${EMAIL}</span>`)
})

test('an adapter method called at the edge rejects with NODE_RUNTIME_REQUIRED, which says how to split the config', async () => {
  const response = await fetch(origin + '/api/adapter-at-the-edge')
  expect(response.status).toBe(200)
  const { code, message } = await response.json()
  expect(code).toBe('NODE_RUNTIME_REQUIRED')
  expect(message).toMatch(/needs the Node\.js runtime/)
  expect(message).toMatch(/auth\.config\.ts/)
})
