'use strict'
// What an operator must fix on the server gets the same codes as on SQLite: a server (or role)
// that accepts reads only is READ_ONLY, a role without the privilege is PERMISSION_DENIED.
const { RustAdapter, storeConfig, userFixture } = require('../helpers')
const { psql } = require('./pg')

/** A login role of this test's own on the test server, with `settings`; its URL. */
function role(name, settings = '') {
  psql(`DROP ROLE IF EXISTS ${name}; CREATE ROLE ${name} LOGIN PASSWORD 'pw' ${settings}`)
  const url = new URL(process.env.AUTHJS_TEST_PG_URL)
  url.username = name
  url.password = 'pw'
  return url.toString()
}

/** A schema made by the adapter (with the test server's owner role), its tables readable by `name`. */
async function schemaFor(name, grants) {
  const config = storeConfig()
  const owner = RustAdapter(config)
  await owner.createUser(userFixture({ id: 'seed' }))
  await owner.close()
  psql(`GRANT USAGE ON SCHEMA ${config.schema} TO ${name}; GRANT ${grants} ON ALL TABLES IN SCHEMA ${config.schema} TO ${name}`)
  return config.schema
}

test('a server that accepts reads only (a standby, default_transaction_read_only): READ_ONLY', async () => {
  const name = `ro_${process.pid}`
  const url = role(name)
  psql(`ALTER ROLE ${name} SET default_transaction_read_only = on`)
  const schema = await schemaFor(name, 'SELECT, INSERT, UPDATE, DELETE')
  const adapter = RustAdapter({ url, schema })
  try {
    // The schema check at the first call writes too, so on PostgreSQL reads fail as well.
    const error = await adapter.createUser(userFixture()).catch((e) => e)
    expect(error).toMatchObject({ code: 'READ_ONLY' })
    expect(error.message).toMatch(/the server accepts reads only/)
  } finally {
    await adapter.close()
  }
})

test('a role without the privilege to write: PERMISSION_DENIED', async () => {
  const name = `reader_${process.pid}`
  const url = role(name)
  const schema = await schemaFor(name, 'SELECT')
  const adapter = RustAdapter({ url, schema })
  try {
    const error = await adapter.createUser(userFixture()).catch((e) => e)
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED' })
  } finally {
    await adapter.close()
  }
})
