#!/usr/bin/env node
'use strict'
/**
 * `npm run demo`: everything a fresh machine needs, then the example app.
 *
 *   1. npm install             (this package's dependencies, with the napi-rs CLI)
 *   2. npm run build           (the Rust addon, release)
 *   3. npm install             in examples/express (Express 5, @auth/express, oidc-provider...)
 *   4. node server.js          in examples/express: http://localhost:3000 (PORT overrides)
 *
 * Ctrl-C stops the app, which closes the SQLite file cleanly (examples/express/auth.sqlite).
 */
const { spawn, spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.join(__dirname, '..')
const example = path.join(root, 'examples', 'express')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function step(title, command, args, cwd) {
  console.log(`\n> ${title}: ${command} ${args.join(' ')}  (in ${path.relative(root, cwd) || '.'})`)
  const started = Date.now()
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' })
  if (result.error) {
    console.error(`demo: could not run ${command}: ${result.error.message}`)
    process.exit(1)
  }
  if (result.status !== 0) {
    console.error(`demo: "${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal})`)
    if (title.startsWith('build')) console.error('demo: building the addon needs a Rust toolchain (https://rustup.rs)')
    process.exit(result.status ?? 1)
  }
  console.log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

step('install', npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], root)
step('build the Rust addon (release)', npm, ['run', 'build'], root)
step('install the example app', npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], example)

console.log('\n> start the example app (Ctrl-C to stop)\n')
const app = spawn(process.execPath, ['server.js'], { cwd: example, stdio: 'inherit', env: { PORT: '3000', ...process.env } })
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => app.kill(signal))
}
app.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
