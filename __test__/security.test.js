'use strict'
// Secrets at rest: what a stolen database file reveals. Each test that makes a claim about the
// file prints the figure it measured.
const fs = require('node:fs')
const { createHash, createHmac, randomBytes, randomUUID } = require('node:crypto')
const { RustAdapter, tempFile, inspect, userFixture, accountFixture, VERSION_1_DDL, VERSION_2_DDL } = require('./helpers')

const newKey = () => randomBytes(32).toString('base64')
const keyId = (key) => createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 16)

/** Every byte of the database file and its WAL, as one latin1 string. */
function fileBytes(filename) {
  return ['', '-wal']
    .map((suffix) => filename + suffix)
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f).toString('latin1'))
    .join('')
}

async function userWithSessions(adapter, count) {
  const user = await adapter.createUser(userFixture())
  const tokens = Array.from({ length: count }, () => randomUUID())
  for (const sessionToken of tokens) {
    await adapter.createSession({ sessionToken, userId: user.id, expires: new Date(Date.now() + 3600e3) })
  }
  return { user, tokens }
}

test('no live session token appears anywhere in the database file or its WAL', async () => {
  const filename = tempFile()
  const adapter = RustAdapter({ filename, sweepInterval: 0 })
  const { tokens } = await userWithSessions(adapter, 50)
  await adapter.updateSession({ sessionToken: tokens[0], expires: new Date(Date.now() + 7200e3) })
  const whileOpen = fileBytes(filename)
  await adapter.close()
  const afterClose = fileBytes(filename)
  const db = await inspect(filename)
  const dump = JSON.stringify(
    db.all("SELECT name FROM sqlite_master WHERE type = 'table'").map(({ name }) => db.all(`SELECT * FROM "${name}"`)),
  )
  db.close()
  const leaks = tokens.filter((t) => whileOpen.includes(t) || afterClose.includes(t) || dump.includes(t))
  console.log(
    `session tokens at rest: ${tokens.length} live tokens searched in ${whileOpen.length + afterClose.length} bytes of file+WAL and a ${dump.length}-character table dump: ${leaks.length} found`,
  )
  expect(leaks).toEqual([])
})

test('sessions are found by the token the caller holds, though only its hash is stored', async () => {
  const adapter = RustAdapter({ filename: tempFile(), sweepInterval: 0 })
  const { user, tokens } = await userWithSessions(adapter, 1)
  const found = await adapter.getSessionAndUser(tokens[0])
  expect(found.session.sessionToken).toBe(tokens[0])
  expect(found.user.id).toBe(user.id)
  await adapter.close()
})

test('with a secret, the stored session key is the HMAC-SHA-256 of the token', async () => {
  const filename = tempFile()
  const adapter = RustAdapter({ filename, secret: 'a-long-random-secret', sweepInterval: 0 })
  const { tokens } = await userWithSessions(adapter, 1)
  await adapter.close()
  const db = await inspect(filename)
  const row = db.get('SELECT session_token_hash AS h FROM sessions')
  db.close()
  expect(row.h).toBe(createHmac('sha256', 'a-long-random-secret').update(tokens[0]).digest('hex'))
})

test('without a secret, the stored session key is the SHA-256 of the token', async () => {
  const filename = tempFile()
  const adapter = RustAdapter({ filename, sweepInterval: 0 })
  const { tokens } = await userWithSessions(adapter, 1)
  await adapter.close()
  const db = await inspect(filename)
  const row = db.get('SELECT session_token_hash AS h FROM sessions')
  db.close()
  expect(row.h).toBe(createHash('sha256').update(tokens[0]).digest('hex'))
})

test('a different secret does not find the session (the secret keys the hash)', async () => {
  const filename = tempFile()
  let adapter = RustAdapter({ filename, secret: 'first', sweepInterval: 0 })
  const { tokens } = await userWithSessions(adapter, 1)
  await adapter.close()
  adapter = RustAdapter({ filename, secret: 'second', sweepInterval: 0 })
  expect(await adapter.getSessionAndUser(tokens[0])).toBeNull()
  await adapter.close()
})

describe('OAuth tokens with encryptionKey', () => {
  async function linkSecretAccount(adapter) {
    const user = await adapter.createUser(userFixture())
    const account = accountFixture(user.id)
    await adapter.linkAccount(account)
    return account
  }

  test('access, refresh and id tokens are not in the file, and come back in the clear', async () => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename, encryptionKey: newKey(), sweepInterval: 0 })
    const account = await linkSecretAccount(adapter)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
    await adapter.close()
    const bytes = fileBytes(filename)
    const secrets = [account.access_token, account.refresh_token, account.id_token]
    const found = secrets.filter((s) => bytes.includes(s))
    console.log(`OAuth tokens at rest: 3 tokens searched in ${bytes.length} bytes: ${found.length} found`)
    expect(found).toEqual([])
  })

  test('each encrypted column is stored as enc:v1:<key id>:<ciphertext>', async () => {
    const filename = tempFile()
    const key = newKey()
    const adapter = RustAdapter({ filename, encryptionKey: key, sweepInterval: 0 })
    await linkSecretAccount(adapter)
    await adapter.close()
    const db = await inspect(filename)
    const row = db.get('SELECT access_token, refresh_token, id_token FROM accounts')
    db.close()
    for (const value of Object.values(row)) expect(value.startsWith(`enc:v1:${keyId(key)}:`)).toBe(true)
  })

  test('after rotation, old values still decrypt and new values use the new key', async () => {
    const filename = tempFile()
    const oldKey = newKey()
    const newKeyValue = newKey()
    let adapter = RustAdapter({ filename, encryptionKey: oldKey, sweepInterval: 0 })
    const before = await linkSecretAccount(adapter)
    await adapter.close()
    adapter = RustAdapter({ filename, encryptionKey: [newKeyValue, oldKey], sweepInterval: 0 })
    expect(await adapter.getAccount(before.providerAccountId, before.provider)).toEqual(before)
    const after = await linkSecretAccount(adapter)
    await adapter.close()
    const db = await inspect(filename)
    const row = db.get('SELECT access_token FROM accounts WHERE provider_account_id = ?', [after.providerAccountId])
    db.close()
    expect(row.access_token.startsWith(`enc:v1:${keyId(newKeyValue)}:`)).toBe(true)
  })

  test('a wrong key rejects with DECRYPT_FAILED naming the column', async () => {
    const filename = tempFile()
    let adapter = RustAdapter({ filename, encryptionKey: newKey(), sweepInterval: 0 })
    const account = await linkSecretAccount(adapter)
    await adapter.close()
    adapter = RustAdapter({ filename, encryptionKey: newKey(), sweepInterval: 0 })
    await expect(adapter.getAccount(account.providerAccountId, account.provider)).rejects.toMatchObject({
      code: 'DECRYPT_FAILED',
      message: expect.stringContaining('account.access_token'),
    })
    await adapter.close()
  })

  test('a missing key rejects with DECRYPT_FAILED instead of returning ciphertext', async () => {
    const filename = tempFile()
    let adapter = RustAdapter({ filename, encryptionKey: newKey(), sweepInterval: 0 })
    const account = await linkSecretAccount(adapter)
    await adapter.close()
    adapter = RustAdapter({ filename, sweepInterval: 0 })
    await expect(adapter.getAccount(account.providerAccountId, account.provider)).rejects.toMatchObject({
      code: 'DECRYPT_FAILED',
    })
    await adapter.close()
  })

  test('a ciphertext copied to another account does not decrypt there', async () => {
    const filename = tempFile()
    const key = newKey()
    let adapter = RustAdapter({ filename, encryptionKey: key, sweepInterval: 0 })
    const first = await linkSecretAccount(adapter)
    const second = await linkSecretAccount(adapter)
    await adapter.close()
    const db = await inspect(filename)
    const stolen = db.get('SELECT access_token FROM accounts WHERE provider_account_id = ?', [first.providerAccountId])
    db.exec(`UPDATE accounts SET access_token = '${stolen.access_token}' WHERE provider_account_id = '${second.providerAccountId}'`)
    db.save()
    db.close()
    adapter = RustAdapter({ filename, encryptionKey: key, sweepInterval: 0 })
    await expect(adapter.getAccount(second.providerAccountId, second.provider)).rejects.toMatchObject({
      code: 'DECRYPT_FAILED',
    })
    await adapter.close()
  })

  test('a malformed key is refused when the adapter is created', () => {
    expect(() => RustAdapter({ filename: tempFile(), encryptionKey: 'too-short' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('config.encryptionKey') }),
    )
  })
})

// The version-2 schema as 0.1.x wrote it: session tokens in the clear.
const V2_SCHEMA = VERSION_1_DDL + VERSION_2_DDL

async function plainTokenFile(tokens) {
  const filename = tempFile()
  const db = await inspect(filename)
  db.exec(V2_SCHEMA)
  db.exec(`INSERT INTO users (id, email) VALUES ('legacy-user', 'legacy@example.com')`)
  for (const t of tokens) {
    db.exec(`INSERT INTO sessions (session_token, user_id, expires) VALUES ('${t}', 'legacy-user', ${Date.now() + 3600e3})`)
  }
  db.save()
  db.close()
  return filename
}

test('sessions from a plain-token (version 2) file keep working after the migration', async () => {
  const tokens = Array.from({ length: 5 }, () => randomUUID())
  const filename = await plainTokenFile(tokens)
  const adapter = RustAdapter({ filename, secret: 'migration-secret', sweepInterval: 0 })
  for (const t of tokens) {
    expect((await adapter.getSessionAndUser(t)).user.id).toBe('legacy-user')
  }
  await adapter.close()
})

test('the migration leaves no plain session token in the file', async () => {
  const tokens = Array.from({ length: 5 }, () => randomUUID())
  const filename = await plainTokenFile(tokens)
  expect(fileBytes(filename).includes(tokens[0])).toBe(true)
  const adapter = RustAdapter({ filename, sweepInterval: 0 })
  await adapter.getSessionAndUser(tokens[0]) // the first call opens the file and migrates it
  await adapter.close()
  const bytes = fileBytes(filename)
  const left = tokens.filter((t) => bytes.includes(t))
  console.log(`migration to hashed tokens: ${tokens.length} plain tokens before, ${left.length} left in ${bytes.length} bytes after`)
  expect(left).toEqual([])
})
