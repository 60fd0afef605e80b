'use strict'
/**
 * A next-auth v4 app as a Pages Router API route would run it, on Node's http: `NextAuth(req,
 * res, options)` at /api/auth/*, with `adapter: RustAdapter(...)`, database sessions and an
 * email provider whose sendVerificationRequest appends the link to a file (one JSON line per
 * link) instead of mailing it. GET /me answers what `getServerSession(req, res, options)` (what
 * a page's getServerSideProps calls) sees, as JSON.
 *
 * The request and response get the few things Next.js's API routes add to Node's (req.query
 * with the catch-all `nextauth` segments, req.body, req.cookies, res.status/json/send), which
 * is all next-auth v4 uses of them.
 *
 * Environment: AUTH_DB (the SQLite file), AUTH_LINKS (the link file), AUTH_SECRET. Prints
 * "Ready on <origin>" once it listens on a free loopback port.
 */
const fs = require('node:fs')
const http = require('node:http')
const NextAuth = require('next-auth').default
const { getServerSession } = require('next-auth')
const EmailProvider = require('next-auth/providers/email').default
const { RustAdapter } = require('authjs-rust-adapter')

const adapter = RustAdapter({ filename: process.env.AUTH_DB })

/** @type {import('next-auth').NextAuthOptions} */
const authOptions = {
  adapter,
  secret: process.env.AUTH_SECRET,
  session: { strategy: 'database', maxAge: 60 * 60, updateAge: 0 },
  providers: [
    EmailProvider({
      server: 'smtp://127.0.0.1:1', // never used: the link goes to a file
      from: 'app@example.test',
      async sendVerificationRequest({ identifier, url }) {
        fs.appendFileSync(process.env.AUTH_LINKS, `${JSON.stringify({ identifier, url })}\n`)
      },
    }),
  ],
}

/** The cookies of a request, as Next.js's API routes put them on req.cookies. */
function parseCookies(header = '') {
  const cookies = {}
  for (const part of header.split(';')) {
    const at = part.indexOf('=')
    if (at > 0) cookies[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim())
  }
  return cookies
}

async function readBody(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  const text = Buffer.concat(chunks).toString('utf8')
  const type = req.headers['content-type'] ?? ''
  if (type.includes('application/json')) return text ? JSON.parse(text) : {}
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text))
  return text || undefined
}

/** Adds to Node's req/res what a Next.js API route has. */
async function asApiRoute(req, res, url) {
  req.query = Object.fromEntries(url.searchParams)
  req.cookies = parseCookies(req.headers.cookie)
  req.body = await readBody(req)
  res.status = (code) => {
    res.statusCode = code
    return res
  }
  res.json = (value) => {
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify(value))
  }
  res.send = (body) => {
    if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) return res.json(body)
    if (!res.getHeader('Content-Type')) res.setHeader('Content-Type', 'text/html; charset=utf-8')
    res.end(body ?? '')
  }
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, process.env.NEXTAUTH_URL)
    await asApiRoute(req, res, url)
    if (url.pathname.startsWith('/api/auth/')) {
      // pages/api/auth/[...nextauth].js
      req.query.nextauth = url.pathname.slice('/api/auth/'.length).split('/').filter(Boolean)
      await NextAuth(req, res, authOptions)
    } else if (url.pathname === '/me') {
      const session = await getServerSession(req, res, authOptions)
      res.json({ session })
    } else {
      res.status(404).send('not found')
    }
  } catch (e) {
    console.error(e)
    if (!res.headersSent) res.statusCode = 500
    res.end(String(e?.message ?? e))
  }
})

server.listen(0, '127.0.0.1', () => {
  const origin = `http://127.0.0.1:${server.address().port}`
  process.env.NEXTAUTH_URL = origin
  console.log(`Ready on ${origin}`)
})

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close()
    adapter.close().finally(() => process.exit(0))
  })
}
