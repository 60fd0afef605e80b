'use strict'
/**
 * The Express example (examples/express) as the browser suites drive it: started as a child
 * process on a loopback port, stopped as `Ctrl-C` would, and the steps a person takes in its
 * pages (sign in by email link or through the loopback OpenID Provider, sign out). Used by
 * app.e2e.test.js and switch-from-drizzle.e2e.test.js.
 */
const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { sleep } = require('./kit.js')

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'express')
const PASSWORD = 'password' // the loopback OpenID Provider's test password
const COOKIE = 'authjs.session-token'

/** Installs the example's dependencies when they are missing. */
function installExpressExample() {
  if (fs.existsSync(path.join(EXAMPLE, 'node_modules', '@auth', 'express'))) return
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: EXAMPLE,
    encoding: 'utf8',
    timeout: 170_000,
  })
  if (npm.status !== 0) throw new Error(`npm install in examples/express failed:\n${npm.stderr}`)
}

/**
 * Starts `node server.js` with `env` (the example's variables: AUTH_DB, AUTH_SECRET, ...) on
 * `port` (0: a free one), its output appended to `logFile`, and waits (bounded) for its "Ready"
 * line. Resolves to the running app: `{ child, exited, origin, port, opOrigin, output() }`.
 */
async function startExpressApp({ env, logFile, port = 0 }) {
  const child = spawn(process.execPath, ['server.js'], {
    cwd: EXAMPLE,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const log = fs.openSync(logFile, 'a')
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      output += chunk
      fs.writeSync(log, chunk)
    })
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  exited.then(() => fs.closeSync(log))
  let timer
  let waiting = true
  const ready = await Promise.race([
    (async () => {
      while (waiting) {
        const match = /Ready: (http:\/\/localhost:(\d+))/.exec(output)
        const op = /Loopback OpenID Provider: (http:\/\/[\d.]+:\d+)/.exec(output)
        if (match && op) return { origin: match[1], port: Number(match[2]), opOrigin: op[1] }
        await sleep(50)
      }
    })(),
    exited.then(({ code, signal }) => {
      throw new Error(`the app exited (${code ?? signal}) before it was ready:\n${output}`)
    }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the app was not ready within 30 s:\n${output}`)), 30_000)
    }),
  ])
    .catch((error) => {
      child.kill('SIGKILL')
      throw error
    })
    .finally(() => {
      waiting = false
      clearTimeout(timer)
    })
  return { child, exited, ...ready, output: () => output }
}

/**
 * SIGTERM (the app closes its adapter, so the file is complete), SIGKILL after 10 s. Resolves
 * to the exit `{ code, signal }`.
 */
async function stopExpressApp(app) {
  const { child, exited } = app
  if (child.exitCode !== null || child.signalCode !== null) return exited
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  const result = await exited
  clearTimeout(timer)
  return result
}

/**
 * The steps in the app's pages, on whichever app `current()` returns when a step runs (a test
 * file restarts its app between steps).
 */
function appSteps(current) {
  /** Opens a page of the app and waits until its script filled in the CSRF tokens. */
  async function openAppPage(page, pathname) {
    await page.goto(current().origin + pathname)
    await page.waitForSelector('body[data-ready="true"]')
  }

  /** The browser context's Auth.js session cookie for the app, if any. */
  async function sessionCookie(context) {
    const cookies = await context.cookies(current().origin)
    return cookies.find((c) => c.name === COOKIE)
  }

  async function requestMagicLink(page, email) {
    await openAppPage(page, '/signin')
    await page.fill('#email', email)
    await Promise.all([page.waitForURL(/\/auth\/verify-request/), page.click('#email-submit')])
  }

  async function signOut(page) {
    await openAppPage(page, '/')
    await Promise.all([page.waitForURL(current().origin + '/'), page.click('#sign-out')])
    await page.waitForSelector('#status:has-text("You are not signed in")')
  }

  /**
   * From the app's sign-in page through the OP's login and consent pages back to the app.
   * Returns the OP pages seen and the authorization request's URL.
   */
  async function signInWithOidc(page, login) {
    const { opOrigin } = current()
    const authorizationRequests = []
    const onRequest = (request) => {
      if (request.url().startsWith(`${opOrigin}/auth?`)) authorizationRequests.push(new URL(request.url()))
    }
    page.on('request', onRequest)
    try {
      await openAppPage(page, '/signin')
      await Promise.all([page.waitForURL((url) => url.origin === opOrigin), page.click('#oidc-submit')])
      const seen = []
      while (new URL(page.url()).origin === opOrigin) {
        if (seen.length > 4) throw new Error(`stuck at the OP: ${seen.join(' → ')}`)
        const here = page.url()
        if (await page.locator('input[name="login"]').count()) {
          seen.push('login')
          await page.fill('input[name="login"]', login)
          await page.fill('input[name="password"]', PASSWORD)
          await Promise.all([page.waitForURL((url) => url.href !== here), page.click('button:has-text("Sign in")')])
        } else {
          seen.push('consent')
          await Promise.all([page.waitForURL((url) => url.href !== here), page.click('button:has-text("Allow")')])
        }
      }
      return { seen, authorizationRequests }
    } finally {
      page.off('request', onRequest)
    }
  }

  return { openAppPage, sessionCookie, requestMagicLink, signOut, signInWithOidc }
}

module.exports = { EXAMPLE, COOKIE, installExpressExample, startExpressApp, stopExpressApp, appSteps }
