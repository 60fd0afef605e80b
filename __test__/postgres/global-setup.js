'use strict'
// Starts the throwaway PostgreSQL cluster of the test run, unless AUTHJS_TEST_PG_URL names a
// server already. Jest workers start after this and inherit the environment it sets.
const { startCluster } = require('../../scripts/postgres-cluster.js')

module.exports = async () => {
  if (process.env.AUTHJS_TEST_PG_URL) return
  const cluster = await startCluster()
  globalThis.__AUTHJS_PG_CLUSTER__ = cluster
}
