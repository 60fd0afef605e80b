'use strict'
const { newAdapter, userFixture, accountFixture } = require('./helpers')

/** A new adapter with one user in it. */
async function withUser() {
  const adapter = newAdapter()
  const user = await adapter.createUser(userFixture())
  return { adapter, user }
}

const keyOf = (account) => ({ provider: account.provider, providerAccountId: account.providerAccountId })

describe('linkAccount / getAccount', () => {
  test('linkAccount returns the account', async () => {
    const { adapter, user } = await withUser()
    const account = accountFixture(user.id)
    expect(await adapter.linkAccount(account)).toEqual(account)
  })

  test('getAccount(providerAccountId, provider) returns the linked account', async () => {
    const { adapter, user } = await withUser()
    const account = accountFixture(user.id)
    await adapter.linkAccount(account)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
  })

  test('getAccount with its arguments swapped returns null', async () => {
    const { adapter, user } = await withUser()
    const account = accountFixture(user.id)
    await adapter.linkAccount(account)
    expect(await adapter.getAccount(account.provider, account.providerAccountId)).toBeNull()
  })

  test('getAccount returns null for an unknown provider', async () => {
    const { adapter, user } = await withUser()
    const account = accountFixture(user.id)
    await adapter.linkAccount(account)
    expect(await adapter.getAccount(account.providerAccountId, 'gitlab')).toBeNull()
  })

  test('getAccount returns null for an unknown providerAccountId', async () => {
    const { adapter, user } = await withUser()
    const account = accountFixture(user.id)
    await adapter.linkAccount(account)
    expect(await adapter.getAccount('someone-else', account.provider)).toBeNull()
  })

  test('a minimal account omits the optional token fields on read', async () => {
    const { adapter, user } = await withUser()
    const account = { userId: user.id, type: 'oidc', provider: 'google', providerAccountId: 'g-1' }
    await adapter.linkAccount(account)
    const stored = await adapter.getAccount('g-1', 'google')
    expect(stored).toEqual(account)
    expect(Object.keys(stored).sort()).toEqual(['provider', 'providerAccountId', 'type', 'userId'])
  })

  test('expires_at comes back as a number of seconds', async () => {
    const { adapter, user } = await withUser()
    const expiresAt = Math.floor(Date.now() / 1000) + 3600
    const account = accountFixture(user.id, { expires_at: expiresAt })
    await adapter.linkAccount(account)
    const stored = await adapter.getAccount(account.providerAccountId, account.provider)
    expect(typeof stored.expires_at).toBe('number')
    expect(stored.expires_at).toBe(expiresAt)
  })

  test('provider-specific token fields round-trip', async () => {
    const { adapter, user } = await withUser()
    const account = accountFixture(user.id, {
      provider: 'azure-ad',
      refresh_token_expires_in: 7776000,
      ext_expires_in: 3599,
      'not-before-policy': 0,
    })
    await adapter.linkAccount(account)
    const stored = await adapter.getAccount(account.providerAccountId, account.provider)
    expect(stored).toEqual(account)
    expect(stored['not-before-policy']).toBe(0)
    expect(stored.refresh_token_expires_in).toBe(7776000)
    expect(stored.ext_expires_in).toBe(3599)
  })

  test('linking the same provider account twice rejects with UNIQUE_VIOLATION', async () => {
    const { adapter, user } = await withUser()
    const account = accountFixture(user.id)
    await adapter.linkAccount(account)
    const error = await adapter.linkAccount({ ...account, access_token: 'other' }).catch((e) => e)
    expect(error).toMatchObject({ code: 'UNIQUE_VIOLATION' })
    expect(error.message).toMatch(/^UNIQUE_VIOLATION: account\.provider\+providerAccountId/)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
  })

  test('linking an account that another user already has rejects with UNIQUE_VIOLATION', async () => {
    const { adapter, user } = await withUser()
    const other = await adapter.createUser(userFixture())
    const account = accountFixture(user.id)
    await adapter.linkAccount(account)
    await expect(adapter.linkAccount({ ...account, userId: other.id })).rejects.toMatchObject({
      code: 'UNIQUE_VIOLATION',
    })
    expect(await adapter.getUserByAccount(keyOf(account))).toEqual(user)
  })

  test('the same providerAccountId with two providers are two accounts', async () => {
    const { adapter, user } = await withUser()
    const github = accountFixture(user.id, { provider: 'github', providerAccountId: '42' })
    const gitlab = accountFixture(user.id, { provider: 'gitlab', providerAccountId: '42' })
    await adapter.linkAccount(github)
    await adapter.linkAccount(gitlab)
    expect(await adapter.getAccount('42', 'github')).toEqual(github)
    expect(await adapter.getAccount('42', 'gitlab')).toEqual(gitlab)
  })

  test('linkAccount for an unknown userId rejects with NOT_FOUND naming account.userId', async () => {
    const adapter = newAdapter()
    const account = accountFixture('no-such-user')
    const error = await adapter.linkAccount(account).catch((e) => e)
    expect(error).toMatchObject({ code: 'NOT_FOUND' })
    expect(error.message).toMatch(/^NOT_FOUND: account\.userId/)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toBeNull()
  })
})

describe('unlinkAccount', () => {
  test('unlinkAccount returns the deleted account', async () => {
    const { adapter, user } = await withUser()
    const account = await adapter.linkAccount(accountFixture(user.id))
    expect(await adapter.unlinkAccount(keyOf(account))).toEqual(account)
  })

  test('after unlinkAccount getUserByAccount returns null', async () => {
    const { adapter, user } = await withUser()
    const account = await adapter.linkAccount(accountFixture(user.id))
    await adapter.unlinkAccount(keyOf(account))
    expect(await adapter.getUserByAccount(keyOf(account))).toBeNull()
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toBeNull()
  })

  test('unlinkAccount keeps the user', async () => {
    const { adapter, user } = await withUser()
    const account = await adapter.linkAccount(accountFixture(user.id))
    await adapter.unlinkAccount(keyOf(account))
    expect(await adapter.getUser(user.id)).toEqual(user)
  })

  test('unlinkAccount for an unknown account resolves to undefined', async () => {
    const { adapter } = await withUser()
    const result = await adapter.unlinkAccount({ provider: 'github', providerAccountId: 'nope' })
    expect(result).toBeUndefined()
  })

  test('an unlinked account can be linked again', async () => {
    const { adapter, user } = await withUser()
    const account = await adapter.linkAccount(accountFixture(user.id))
    await adapter.unlinkAccount(keyOf(account))
    const again = { ...account, access_token: 'fresh-token' }
    expect(await adapter.linkAccount(again)).toEqual(again)
    expect(await adapter.getUserByAccount(keyOf(account))).toEqual(user)
  })

  test('an unlinked account can be linked again to a different user', async () => {
    const { adapter, user } = await withUser()
    const other = await adapter.createUser(userFixture())
    const account = await adapter.linkAccount(accountFixture(user.id))
    await adapter.unlinkAccount(keyOf(account))
    await adapter.linkAccount({ ...account, userId: other.id })
    expect(await adapter.getUserByAccount(keyOf(account))).toEqual(other)
  })
})
