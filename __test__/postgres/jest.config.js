'use strict'
/**
 * The PostgreSQL run of the test suite: every backend-neutral suite again, with
 * `AUTHJS_TEST_BACKEND=postgres`, plus the PostgreSQL-only suites in this folder.
 *
 * The server is `AUTHJS_TEST_PG_URL` when set; otherwise the global setup starts a throwaway
 * cluster (scripts/postgres-cluster.js) and the teardown removes it.
 */
const path = require('node:path')

process.env.AUTHJS_TEST_BACKEND = 'postgres'

/** The suites that run unchanged on both backends. */
const NEUTRAL = [
  'accounts',
  'authenticators',
  'authjs-suite',
  'bad-input',
  'cli',
  'cleanup',
  'concurrency',
  'contract',
  'conformance',
  'extras',
  'fuzz',
  'legacy',
  'sessions',
  'sessions-management',
  'smoke',
  'users',
  'verification-tokens',
]

module.exports = {
  rootDir: path.join(__dirname, '..', '..'),
  testMatch: [
    ...NEUTRAL.map((name) => `<rootDir>/__test__/${name}.test.js`),
    '<rootDir>/__test__/postgres/**/*.test.js',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 60000,
  globalSetup: '<rootDir>/__test__/postgres/global-setup.js',
  globalTeardown: '<rootDir>/__test__/postgres/global-teardown.js',
}
