'use strict'
// Several Node processes (as several app servers would be) on one PostgreSQL database.
const { randomUUID } = require('node:crypto')
const { newAdapter, storeConfig, userFixture, verificationTokenFixture } = require('../helpers')
const { runChild, psql } = require('./pg')

const soon = () => Date.now() + 1500

test('4 processes racing for the same single-use tokens: each token has exactly one winner', async () => {
  const adapter = newAdapter()
  const tokens = Array.from({ length: 40 }, () => verificationTokenFixture())
  for (const token of tokens) await adapter.createVerificationToken(token)
  const keys = tokens.map(({ identifier, token }) => ({ identifier, token }))
  const start = soon()
  const results = await Promise.all(Array.from({ length: 4 }, () => runChild({ config: adapter.config, take: keys, start })))

  const wins = results.flatMap((result) => result.won)
  expect(wins.sort((a, b) => a - b)).toEqual(keys.map((_, i) => i))
  for (const { identifier, token } of keys) expect(await adapter.useVerificationToken({ identifier, token })).toBeNull()
})

test('8 processes creating a user with the same email: one succeeds, the others get UNIQUE_VIOLATION', async () => {
  const adapter = newAdapter()
  const email = `race-${randomUUID()}@example.com`
  const start = soon()
  const results = await Promise.all(
    Array.from({ length: 8 }, () => runChild({ config: adapter.config, createUser: userFixture({ email }), start })),
  )

  expect(results.filter((r) => r.ok)).toHaveLength(1)
  const refused = results.filter((r) => !r.ok)
  expect(refused).toHaveLength(7)
  for (const r of refused) {
    expect(r.code).toBe('UNIQUE_VIOLATION')
    expect(r.message).toMatch(/^UNIQUE_VIOLATION: user\.email /)
  }
  expect((await adapter.getUserByEmail(email)).email).toBe(email)
})

test('4 instances starting together on an empty schema migrate it exactly once', async () => {
  const config = storeConfig()
  const start = soon()
  const results = await Promise.all(Array.from({ length: 4 }, () => runChild({ config, touch: true, start })))

  expect(results).toEqual(Array.from({ length: 4 }, () => ({ user: null })))
  const applied = psql(`SELECT version FROM "${config.schema}".schema_migrations ORDER BY version`)
  expect(applied).toEqual([['1'], ['2']])
  const tables = psql(`SELECT tablename FROM pg_tables WHERE schemaname = '${config.schema}' ORDER BY tablename`).map((r) => r[0])
  expect(tables).toEqual(['accounts', 'authenticators', 'schema_migrations', 'sessions', 'users', 'verification_tokens'])
})
