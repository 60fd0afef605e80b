'use strict'
/**
 * `node sql-child.js URL SEPARATOR SQL`: runs SQL (one or more statements, as one simple query)
 * on the server at URL with the `pg` client, and prints the rows of the last statement as
 * `psql -At` would: one line per row, columns joined by SEPARATOR, every value as the server's
 * text (NULL as an empty string). Exits 1 with the server's message on error.
 *
 * A child process, so that the suites can look at the server synchronously (as they did with
 * psql) without psql being installed: only the npm `pg` package is needed.
 */
const { Client } = require('pg')

const [url, separator, sql] = process.argv.slice(2)
const asText = { getTypeParser: () => (value) => value }

async function main() {
  const client = new Client({ connectionString: url, application_name: 'authjs-tests' })
  await client.connect()
  try {
    const results = await client.query({ text: sql, rowMode: 'array', types: asText })
    const last = [results].flat().filter((r) => Array.isArray(r.rows) && r.fields?.length).pop()
    const lines = (last?.rows ?? []).map((row) => row.map((v) => (v === null ? '' : v)).join(separator))
    process.stdout.write(lines.map((l) => `${l}\n`).join(''))
  } finally {
    await client.end()
  }
}

main().catch((e) => {
  process.stderr.write(`${e.message}\n`)
  process.exit(1)
})
