'use strict'
/**
 * What the browser end-to-end suites share: a free port, the magic link an app wrote to its
 * link file, the browser and a fresh page in it, and the Next.js example's dependencies installed once.
 */
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { chromium } = require('playwright-core')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** A free loopback port (the kernel picks it; the server binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/**
 * The newest magic link for `identifier` in `file` (one JSON line per link sent) beyond the
 * first `seen` ones, waited for (bounded).
 */
async function magicLink(file, identifier, seen = 0) {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []
    const links = lines.map((line) => JSON.parse(line)).filter((l) => l.identifier === identifier)
    if (links.length > seen) return links[links.length - 1].url
    await sleep(50)
  }
  throw new Error(`no magic link for ${identifier} in ${file}`)
}

/**
 * Headless Chromium, at `chromiumOptions` (from scripts/chromium.js's `launchOptions()`, asked
 * for first so a missing browser fails before any build), with the flags this closed network
 * needs: no background networking, component updates or sync, which it would refuse.
 */
function launchBrowser(chromiumOptions) {
  return chromium.launch({
    executablePath: chromiumOptions.executablePath,
    env: chromiumOptions.env,
    headless: true,
    chromiumSandbox: false,
    timeout: 30_000,
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** A page in a new browser context (its own cookies), with bounded waits. */
async function newPage(browser) {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  page.setDefaultNavigationTimeout(15_000)
  return { context, page }
}

/** Installs the dependencies of the example app in `dir` when `next` or `next-auth` is missing. */
function installExample(dir) {
  const modules = path.join(dir, 'node_modules')
  if (fs.existsSync(path.join(modules, 'next', 'dist', 'bin', 'next')) && fs.existsSync(path.join(modules, 'next-auth'))) return
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 300_000,
  })
  if (npm.status !== 0) throw new Error(`npm install in ${path.relative(process.cwd(), dir)} failed:\n${npm.stderr}`)
}

module.exports = { sleep, freePort, magicLink, launchBrowser, newPage, installExample }
