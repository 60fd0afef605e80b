'use strict'
/**
 * Deterministic test data: every adapter, in every round and process, sees the same users,
 * accounts, sessions and the same sequence of "random" picks.
 */

const { createHash } = require('node:crypto')

/** A fixed "now" so dates are identical across runs (2025-01-01T00:00:00Z). */
const BASE_MS = Date.UTC(2025, 0, 1)
/** Expiry of sessions and tokens: far ahead, so no sweeper or prune ever removes them. */
const EXPIRES_MS = Date.UTC(2099, 0, 1)
const DAY_MS = 24 * 60 * 60 * 1000

/** A stable UUID-shaped string for `kind` number `i` (what Auth.js ids and tokens look like). */
function uuidFor(kind, i) {
  const h = createHash('sha1').update(`${kind}:${i}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/** User number `i` as an OAuth sign-up gives it to `createUser`. */
function user(i) {
  return {
    id: uuidFor('user', i),
    name: `User ${i}`,
    email: `user${i}@example.com`,
    // Half the users have a verified email, so both Date and null go through the codecs.
    emailVerified: i % 2 === 0 ? new Date(BASE_MS - i * 1000) : null,
    image: `https://avatars.example.com/u/${i}.png`,
  }
}

/** The GitHub account of user `i` (as `linkAccount` gets it), owned by `userId`. */
function account(i, userId) {
  return {
    userId,
    type: 'oauth',
    provider: 'github',
    providerAccountId: String(100000000 + i),
    access_token: `gho_${uuidFor('access', i).replace(/-/g, '')}`,
    token_type: 'bearer',
    scope: 'read:user,user:email',
  }
}

/** The database session of user `i`, owned by `userId`. */
function session(i, userId) {
  return {
    sessionToken: uuidFor('session', i),
    userId,
    expires: new Date(EXPIRES_MS),
  }
}

/** mulberry32: a tiny seeded PRNG; `next()` returns a float in [0, 1). */
function prng(seed) {
  let a = seed >>> 0
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` indexes in [0, n), from a PRNG seeded with `seed` (same list for every adapter). */
function picks(seed, count, n) {
  const next = prng(seed)
  const out = new Uint32Array(count)
  for (let i = 0; i < count; i++) out[i] = Math.floor(next() * n)
  return out
}

/** Normalised cumulative weights of ranks 1..n under Zipf's law with exponent `s`, cached per (n, s). */
const zipfCdfs = new Map()
function zipfCdf(n, s) {
  const key = `${n}:${s}`
  let cdf = zipfCdfs.get(key)
  if (!cdf) {
    cdf = new Float64Array(n)
    let sum = 0
    for (let r = 0; r < n; r++) cdf[r] = sum += (r + 1) ** -s
    for (let r = 0; r < n; r++) cdf[r] /= sum
    cdf[n - 1] = 1
    zipfCdfs.set(key, cdf)
  }
  return cdf
}

const gcd = (a, b) => (b === 0 ? a : gcd(b, a % b))

/**
 * `count` indexes in [0, n) drawn from a Zipf-like distribution with exponent `s` (rank r is
 * picked with probability proportional to 1 / r^s): a hot set of active users and a long tail,
 * as real sign-ins are spread. Ranks map to users through a fixed permutation
 * (r -> (r * a + 17) mod n, a coprime with n), so the hot users are scattered over the
 * file instead of being the first ones inserted. Deterministic: the same seed gives every
 * adapter the same list.
 */
function zipfPicks(seed, count, n, s = 1.1) {
  const cdf = zipfCdf(n, s)
  let a = 2654435761 % n || 1
  while (gcd(a, n) !== 1) a++
  const next = prng(seed)
  const out = new Uint32Array(count)
  for (let i = 0; i < count; i++) {
    const u = next()
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid] < u) lo = mid + 1
      else hi = mid
    }
    out[i] = (lo * a + 17) % n
  }
  return out
}

/** The Zipf exponent of the scale part's "realistic access" rows (issue 22: s = 1.1). */
const ZIPF_S = 1.1

module.exports = { BASE_MS, EXPIRES_MS, DAY_MS, uuidFor, user, account, session, prng, picks, zipfPicks, ZIPF_S }
