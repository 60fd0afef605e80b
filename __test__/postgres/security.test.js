'use strict'
// Secrets at rest on PostgreSQL: what someone reading the tables (a dump, a replica, a DBA)
// sees. The same rules as the SQLite file (see ../security.test.js).
const { createHash, createHmac, randomBytes, randomUUID } = require('node:crypto')
const { newAdapter, userFixture, accountFixture } = require('../helpers')
const { psql } = require('./pg')

const newKey = () => randomBytes(32).toString('base64')
const keyId = (key) => createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 16)

/** Every value of every table of the adapter's schema, as text. */
function everything(schema) {
  const tables = psql(`SELECT tablename FROM pg_tables WHERE schemaname = '${schema}'`).map((r) => r[0])
  return tables.map((t) => psql(`SELECT t::text FROM "${schema}"."${t}" t`).flat().join('\n')).join('\n')
}

test('no live session token is stored; the key is the HMAC-SHA-256 of the token under the secret', async () => {
  const adapter = newAdapter({ secret: 'a-long-random-secret' })
  const user = await adapter.createUser(userFixture())
  const tokens = Array.from({ length: 20 }, () => randomUUID())
  for (const sessionToken of tokens) await adapter.createSession({ sessionToken, userId: user.id, expires: new Date(Date.now() + 3600e3) })
  const dump = everything(adapter.config.schema)
  expect(tokens.filter((t) => dump.includes(t))).toEqual([])
  const stored = psql(`SELECT session_token_hash FROM "${adapter.config.schema}".sessions`).map((r) => r[0])
  expect(stored.sort()).toEqual(tokens.map((t) => createHmac('sha256', 'a-long-random-secret').update(t).digest('hex')).sort())
  expect((await adapter.getSessionAndUser(tokens[0])).user.id).toBe(user.id)
})

test('with encryptionKey, OAuth tokens are stored as enc:v1:<key id>:<ciphertext> and come back in the clear', async () => {
  const key = newKey()
  const adapter = newAdapter({ encryptionKey: key })
  const user = await adapter.createUser(userFixture())
  const account = accountFixture(user.id)
  await adapter.linkAccount(account)
  const dump = everything(adapter.config.schema)
  expect([account.access_token, account.refresh_token, account.id_token].filter((t) => dump.includes(t))).toEqual([])
  const [row] = psql(`SELECT access_token, refresh_token, id_token FROM "${adapter.config.schema}".accounts`)
  for (const value of row) expect(value.startsWith(`enc:v1:${keyId(key)}:`)).toBe(true)
  expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
})

test('a wrong key rejects with DECRYPT_FAILED naming the column', async () => {
  const writer = newAdapter({ encryptionKey: newKey() })
  const user = await writer.createUser(userFixture())
  const account = accountFixture(user.id)
  await writer.linkAccount(account)
  const reader = newAdapter({ ...writer.config, encryptionKey: newKey() })
  await expect(reader.getAccount(account.providerAccountId, account.provider)).rejects.toMatchObject({
    code: 'DECRYPT_FAILED',
    message: expect.stringContaining('account.access_token'),
  })
})
