'use strict'
const { newAdapter, userFixture, accountFixture, authenticatorFixture } = require('./helpers')

/** A new adapter with a user who has a WebAuthn account. */
async function withWebAuthnUser(adapter = newAdapter()) {
  const user = await adapter.createUser(userFixture())
  const account = await adapter.linkAccount(accountFixture(user.id, { provider: 'webauthn', type: 'webauthn' }))
  return { adapter, user, account }
}

describe('createAuthenticator', () => {
  test('createAuthenticator returns the authenticator', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const input = authenticatorFixture(user.id, account.providerAccountId)
    const created = await adapter.createAuthenticator(input)
    expect(created).toMatchObject(input)
    expect(created).toEqual(input)
  })

  test('createAuthenticator returns credentialBackedUp as a boolean true', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const created = await adapter.createAuthenticator(
      authenticatorFixture(user.id, account.providerAccountId, { credentialBackedUp: true }),
    )
    expect(created.credentialBackedUp).toBe(true)
  })

  test('createAuthenticator keeps credentialBackedUp false as the boolean false', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const input = authenticatorFixture(user.id, account.providerAccountId, { credentialBackedUp: false })
    const created = await adapter.createAuthenticator(input)
    expect(created).toMatchObject(input)
    expect(created.credentialBackedUp).toBe(false)
    expect((await adapter.getAuthenticator(input.credentialID)).credentialBackedUp).toBe(false)
  })

  test('createAuthenticator returns counter as a number', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const created = await adapter.createAuthenticator(
      authenticatorFixture(user.id, account.providerAccountId, { counter: 17 }),
    )
    expect(created.counter).toBe(17)
  })

  test('transports is null when not given', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const { transports, ...input } = authenticatorFixture(user.id, account.providerAccountId)
    const created = await adapter.createAuthenticator(input)
    expect(created.transports).toBeNull()
    expect((await adapter.getAuthenticator(input.credentialID)).transports).toBeNull()
  })

  test('createAuthenticator with a credentialID in use rejects with UNIQUE_VIOLATION', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const input = authenticatorFixture(user.id, account.providerAccountId)
    await adapter.createAuthenticator(input)
    const error = await adapter.createAuthenticator({ ...input, counter: 99 }).catch((e) => e)
    expect(error).toMatchObject({ code: 'UNIQUE_VIOLATION' })
    expect(error.message).toMatch(/^UNIQUE_VIOLATION: authenticator\.credentialID/)
    expect(await adapter.getAuthenticator(input.credentialID)).toEqual(input)
  })

  test('createAuthenticator for an unknown userId rejects with NOT_FOUND naming authenticator.userId', async () => {
    const adapter = newAdapter()
    const input = authenticatorFixture('no-such-user', 'pa')
    const error = await adapter.createAuthenticator(input).catch((e) => e)
    expect(error).toMatchObject({ code: 'NOT_FOUND' })
    expect(error.message).toMatch(/^NOT_FOUND: authenticator\.userId/)
  })

  test('createAuthenticator with a negative counter rejects with INVALID_INPUT naming counter', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const input = authenticatorFixture(user.id, account.providerAccountId, { counter: -1 })
    const error = await adapter.createAuthenticator(input).catch((e) => e)
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect(error.message).toMatch(/^INVALID_INPUT: authenticator\.counter/)
    expect(await adapter.getAuthenticator(input.credentialID)).toBeNull()
  })

  test('createAuthenticator with a fractional counter rejects with INVALID_INPUT naming counter', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const input = authenticatorFixture(user.id, account.providerAccountId, { counter: 1.5 })
    const error = await adapter.createAuthenticator(input).catch((e) => e)
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect(error.message).toMatch(/^INVALID_INPUT: authenticator\.counter/)
  })
})

describe('getAuthenticator / listAuthenticatorsByUserId', () => {
  test('getAuthenticator returns the authenticator for a known credentialID', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const input = authenticatorFixture(user.id, account.providerAccountId)
    await adapter.createAuthenticator(input)
    expect(await adapter.getAuthenticator(input.credentialID)).toEqual(input)
  })

  test('getAuthenticator returns null for an unknown credentialID', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    await adapter.createAuthenticator(authenticatorFixture(user.id, account.providerAccountId))
    expect(await adapter.getAuthenticator('unknown-credential')).toBeNull()
  })

  test('listAuthenticatorsByUserId returns each user’s own authenticators', async () => {
    const adapter = newAdapter()
    const one = await withWebAuthnUser(adapter)
    const two = await withWebAuthnUser(adapter)
    const a1 = authenticatorFixture(one.user.id, one.account.providerAccountId)
    const a2 = authenticatorFixture(one.user.id, one.account.providerAccountId)
    const b1 = authenticatorFixture(two.user.id, two.account.providerAccountId)
    for (const input of [a1, b1, a2]) await adapter.createAuthenticator(input)

    const ofOne = await adapter.listAuthenticatorsByUserId(one.user.id)
    expect(ofOne).toHaveLength(2)
    expect(ofOne).toEqual(expect.arrayContaining([a1, a2]))
    expect(await adapter.listAuthenticatorsByUserId(two.user.id)).toEqual([b1])
  })

  test('listAuthenticatorsByUserId returns [] for an unknown user', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    await adapter.createAuthenticator(authenticatorFixture(user.id, account.providerAccountId))
    expect(await adapter.listAuthenticatorsByUserId('unknown-user')).toEqual([])
  })

  test('listAuthenticatorsByUserId returns [] for a user without authenticators', async () => {
    const { adapter, user } = await withWebAuthnUser()
    expect(await adapter.listAuthenticatorsByUserId(user.id)).toEqual([])
  })
})

describe('updateAuthenticatorCounter', () => {
  test('updateAuthenticatorCounter returns the authenticator with the new counter', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const input = authenticatorFixture(user.id, account.providerAccountId, { counter: 3 })
    await adapter.createAuthenticator(input)
    expect(await adapter.updateAuthenticatorCounter(input.credentialID, 4)).toEqual({ ...input, counter: 4 })
  })

  test('updateAuthenticatorCounter persists the new counter', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const input = authenticatorFixture(user.id, account.providerAccountId, { counter: 3 })
    await adapter.createAuthenticator(input)
    await adapter.updateAuthenticatorCounter(input.credentialID, 1000)
    expect((await adapter.getAuthenticator(input.credentialID)).counter).toBe(1000)
  })

  test('updateAuthenticatorCounter for an unknown credentialID rejects with NOT_FOUND', async () => {
    const adapter = newAdapter()
    const error = await adapter.updateAuthenticatorCounter('unknown-credential', 1).catch((e) => e)
    expect(error).toMatchObject({ code: 'NOT_FOUND' })
    expect(error.message).toMatch(/^NOT_FOUND: authenticator\.credentialID/)
  })

  test('updateAuthenticatorCounter with a negative counter rejects with INVALID_INPUT naming newCounter', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const input = authenticatorFixture(user.id, account.providerAccountId, { counter: 3 })
    await adapter.createAuthenticator(input)
    const error = await adapter.updateAuthenticatorCounter(input.credentialID, -5).catch((e) => e)
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect(error.message).toMatch(/^INVALID_INPUT: newCounter/)
    expect((await adapter.getAuthenticator(input.credentialID)).counter).toBe(3)
  })

  test('updateAuthenticatorCounter with a fractional counter rejects with INVALID_INPUT naming newCounter', async () => {
    const { adapter, user, account } = await withWebAuthnUser()
    const input = authenticatorFixture(user.id, account.providerAccountId, { counter: 3 })
    await adapter.createAuthenticator(input)
    const error = await adapter.updateAuthenticatorCounter(input.credentialID, 4.25).catch((e) => e)
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect(error.message).toMatch(/^INVALID_INPUT: newCounter/)
    expect((await adapter.getAuthenticator(input.credentialID)).counter).toBe(3)
  })
})
