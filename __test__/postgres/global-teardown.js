'use strict'
// Stops and removes the cluster the global setup started (a server given by URL is left alone).
const { stopCluster } = require('../../scripts/postgres-cluster.js')

module.exports = async () => {
  const cluster = globalThis.__AUTHJS_PG_CLUSTER__
  if (cluster) await stopCluster(cluster)
}
