'use strict'
const { newAdapter, verificationTokenFixture } = require('./helpers')

const isDate = (value) => Object.prototype.toString.call(value) === '[object Date]'
const paramsOf = (token) => ({ identifier: token.identifier, token: token.token })

test('createVerificationToken returns the token', async () => {
  const adapter = newAdapter()
  const token = verificationTokenFixture()
  expect(await adapter.createVerificationToken(token)).toEqual(token)
})

test('useVerificationToken returns the token', async () => {
  const adapter = newAdapter()
  const token = verificationTokenFixture()
  await adapter.createVerificationToken(token)
  expect(await adapter.useVerificationToken(paramsOf(token))).toEqual(token)
})

test('useVerificationToken returns expires as a Date with its milliseconds', async () => {
  const adapter = newAdapter()
  const token = verificationTokenFixture({ expires: new Date('2032-03-04T05:06:07.089Z') })
  await adapter.createVerificationToken(token)
  const used = await adapter.useVerificationToken(paramsOf(token))
  expect(isDate(used.expires)).toBe(true)
  expect(used.expires.getTime()).toBe(Date.UTC(2032, 2, 4, 5, 6, 7, 89))
})

test('useVerificationToken a second time returns null', async () => {
  const adapter = newAdapter()
  const token = verificationTokenFixture()
  await adapter.createVerificationToken(token)
  await adapter.useVerificationToken(paramsOf(token))
  expect(await adapter.useVerificationToken(paramsOf(token))).toBeNull()
})

test('useVerificationToken with a wrong identifier returns null and keeps the token', async () => {
  const adapter = newAdapter()
  const token = verificationTokenFixture()
  await adapter.createVerificationToken(token)
  expect(await adapter.useVerificationToken({ identifier: 'other@example.com', token: token.token })).toBeNull()
  expect(await adapter.useVerificationToken(paramsOf(token))).toEqual(token)
})

test('useVerificationToken with a wrong token returns null and keeps the token', async () => {
  const adapter = newAdapter()
  const token = verificationTokenFixture()
  await adapter.createVerificationToken(token)
  expect(await adapter.useVerificationToken({ identifier: token.identifier, token: 'wrong' })).toBeNull()
  expect(await adapter.useVerificationToken(paramsOf(token))).toEqual(token)
})

test('useVerificationToken for a token never created returns null', async () => {
  const adapter = newAdapter()
  expect(await adapter.useVerificationToken(paramsOf(verificationTokenFixture()))).toBeNull()
})

test('the same identifier and token can be created again after use', async () => {
  const adapter = newAdapter()
  const token = verificationTokenFixture()
  await adapter.createVerificationToken(token)
  await adapter.useVerificationToken(paramsOf(token))
  const again = { ...token, expires: new Date(token.expires.getTime() + 60000) }
  expect(await adapter.createVerificationToken(again)).toEqual(again)
  expect(await adapter.useVerificationToken(paramsOf(token))).toEqual(again)
})

test('creating the same identifier and token twice rejects with UNIQUE_VIOLATION', async () => {
  const adapter = newAdapter()
  const token = verificationTokenFixture()
  await adapter.createVerificationToken(token)
  const error = await adapter.createVerificationToken(token).catch((e) => e)
  expect(error).toMatchObject({ code: 'UNIQUE_VIOLATION' })
  expect(error.message).toMatch(/^UNIQUE_VIOLATION: verificationToken\.identifier\+token/)
})

test('one identifier can hold several tokens, each used on its own', async () => {
  const adapter = newAdapter()
  const first = verificationTokenFixture({ identifier: 'same@example.com' })
  const second = verificationTokenFixture({ identifier: 'same@example.com' })
  await adapter.createVerificationToken(first)
  await adapter.createVerificationToken(second)
  expect(await adapter.useVerificationToken(paramsOf(first))).toEqual(first)
  expect(await adapter.useVerificationToken(paramsOf(second))).toEqual(second)
})

test('createVerificationToken ignores unknown keys', async () => {
  const adapter = newAdapter()
  const token = verificationTokenFixture()
  await adapter.createVerificationToken({ ...token, callbackUrl: '/dashboard' })
  expect(await adapter.useVerificationToken(paramsOf(token))).toEqual(token)
})

test('200 concurrent useVerificationToken calls on one token: exactly one gets it', async () => {
  const adapter = newAdapter()
  const token = verificationTokenFixture()
  await adapter.createVerificationToken(token)
  const results = await Promise.all(Array.from({ length: 200 }, () => adapter.useVerificationToken(paramsOf(token))))
  const winners = results.filter((result) => result !== null)
  expect(winners).toEqual([token])
  expect(results.filter((result) => result === null)).toHaveLength(199)
})

test('concurrent useVerificationToken from two adapters on one database: exactly one gets it', async () => {
  const a = newAdapter()
  const b = newAdapter(a.config)
  const token = verificationTokenFixture()
  await a.createVerificationToken(token)
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).useVerificationToken(paramsOf(token))),
  )
  expect(results.filter((result) => result !== null)).toEqual([token])
})
