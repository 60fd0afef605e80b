'use strict'
// TLS to the server, as `sslmode` asks, against a cluster of this suite's own with TLS on and a
// certificate from a throwaway CA, issued for "localhost" only.
const fs = require('node:fs')
const path = require('node:path')
const selfsigned = require('selfsigned')
const { RustAdapter, tempDir, tempFile, userFixture } = require('../helpers')
const { privateCluster, psqlAt } = require('./pg')

const cluster = privateCluster()
let own
let caFile
const opened = []

/**
 * Makes a CA and a server certificate for DNS:localhost (only: no IP address) signed by it, with
 * the npm package selfsigned (no openssl binary needed); writes them to `dir` and returns the
 * file paths.
 */
async function makeCertificates(dir) {
  const days = (n) => new Date(Date.now() + n * 86_400_000)
  const validity = { notBeforeDate: days(-1), notAfterDate: days(2), keySize: 2048, algorithm: 'sha256' }
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'authjs test CA' }], {
    ...validity,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  })
  const server = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    ...validity,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
    ],
  })
  const files = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') }
  fs.writeFileSync(files.ca, ca.cert)
  fs.writeFileSync(files.cert, server.cert)
  fs.writeFileSync(files.key, server.private, { mode: 0o600 })
  return files
}

beforeAll(async () => {
  own = await cluster.start()
  const files = await makeCertificates(tempDir())
  caFile = files.ca
  // The server reads its key as its own (unprivileged) user, and only with owner-only access.
  const owner = fs.statSync(own.dataDir)
  for (const [from, name] of [[files.cert, 'server.crt'], [files.key, 'server.key']]) {
    const to = path.join(own.dataDir, name)
    fs.copyFileSync(from, to)
    fs.chmodSync(to, 0o600)
    fs.chownSync(to, owner.uid, owner.gid)
  }
  psqlAt(own.url, "ALTER SYSTEM SET ssl = on")
  psqlAt(own.url, 'SELECT pg_reload_conf()')
}, 60000)

afterAll(async () => {
  for (const adapter of opened) await adapter.close().catch(() => {})
  await cluster.stop()
})

/** An adapter on the private cluster through `host` with URL options `query`. */
function adapterVia(host, query) {
  const url = own.url.replace('127.0.0.1', host) + query
  const adapter = RustAdapter({ url, schema: 'tls', busyTimeout: 3000 })
  opened.push(adapter)
  return adapter
}

/** How many of our connections the server sees encrypted. */
const encryptedConnections = () =>
  Number(
    psqlAt(
      own.url,
      "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'authjs-rust-adapter' AND s.ssl",
    ),
  )

test('sslmode=require encrypts the connection without checking the certificate', async () => {
  const before = encryptedConnections()
  expect(await adapterVia('127.0.0.1', '?sslmode=require').getUser('x')).toBeNull()
  expect(encryptedConnections()).toBeGreaterThan(before)
})

test('sslmode=verify-full accepts a certificate from the CA in sslrootcert that names the host', async () => {
  const adapter = adapterVia('localhost', `?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`)
  expect(await adapter.getUser('x')).toBeNull()
})

test('sslmode=verify-full refuses a certificate that does not name the host, with DB_UNAVAILABLE', async () => {
  const adapter = adapterVia('127.0.0.1', `?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`)
  await expect(adapter.getUser('x')).rejects.toMatchObject({
    code: 'DB_UNAVAILABLE',
    message: expect.stringMatching(/certificate/i),
  })
})

test('sslmode=verify-ca checks the chain but not the host name', async () => {
  const adapter = adapterVia('127.0.0.1', `?sslmode=verify-ca&sslrootcert=${encodeURIComponent(caFile)}`)
  expect(await adapter.getUser('x')).toBeNull()
})

test('sslmode=verify-full without sslrootcert trusts only the bundled public roots, not a private CA', async () => {
  const adapter = adapterVia('localhost', '?sslmode=verify-full')
  await expect(adapter.getUser('x')).rejects.toMatchObject({
    code: 'DB_UNAVAILABLE',
    message: expect.stringMatching(/certificate/i),
  })
})

test('an sslrootcert file that does not exist is a config error naming the url', () => {
  expect(() => RustAdapter({ url: `${own.url}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem` })).toThrow(
    expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/^INVALID_INPUT: config\.url /) }),
  )
})

test('a replica reaches its hub over TLS (verify-full) with a custom schema and tablePrefix: writes, reads and live sync', async () => {
  const { RustClientDb } = require('../..')
  const url = `${own.url.replace('127.0.0.1', 'localhost')}?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`
  const names = { schema: 'tls_replica', tablePrefix: 'authjs_', busyTimeout: 3000 }
  const hub = RustAdapter({ url, ...names })
  const replica = RustClientDb({ filename: tempFile('replica.sqlite'), hub: url, ...names, sweepInterval: 0 })
  opened.push(hub, replica)
  const reg = await replica.device.register()
  await replica.live(reg.endpoints)
  const user = await replica.database.createUser(userFixture())
  expect(psqlAt(own.url, 'SELECT id FROM tls_replica.authjs_users')).toBe(user.id)
  expect(psqlAt(own.url, 'SELECT count(*) FROM tls_replica.authjs_devices')).toBe('1')
  // A change made through another server arrives by live sync (the replica holds the user).
  await hub.updateUser({ id: user.id, name: 'Over TLS' })
  const until = Date.now() + 5000
  while ((await replica.database.getUser(user.id)).name !== 'Over TLS' && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
  expect((await replica.database.getUser(user.id)).name).toBe('Over TLS')
  // The listening connection is encrypted too.
  const listening = "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.query LIKE 'LISTEN %'"
  expect(psqlAt(own.url, listening)).toBe('1')
})
