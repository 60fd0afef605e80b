// A real Auth.js app on authjs-rust-adapter: Express 5 + @auth/express with database sessions
// in one embedded SQLite file. Sign in by email magic link (the link is printed, no SMTP),
// OpenID Connect against a real OpenID Provider on loopback (started here), GitHub (when
// configured), or a passkey.
//
//   npm start                      serves http://localhost:3000
//
// Environment (all optional):
//   PORT            port to listen on (3000; 0 picks a free one)
//   HOST            address to listen on (127.0.0.1)
//   AUTH_DB         SQLite file (auth.sqlite next to this file)
//   AUTH_SECRET     Auth.js secret (a random one per start when unset; sessions live in the
//                   database, so they survive restarts either way)
//   AUTH_LINK_FILE  also append each magic link, as a JSON line, to this file
//   AUTH_ADAPTER_SECRET  RustAdapter's `secret`: session tokens are stored as their HMAC-SHA-256
//                   under it (plain SHA-256 when unset). Changing it signs everyone out
//   AUTH_ADAPTER_MODULE  (tests) a module whose default export, called with `{ filename }`, makes
//                   another Auth.js adapter (with the `close()` and `expressMiddleware()` this
//                   file calls) to run this same app on, in place of RustAdapter:
//                   __test__/e2e/switch-from-drizzle.e2e.test.js runs it on @auth/drizzle-adapter,
//                   switches with the command line, and the browser stays signed in
//   AUTH_GITHUB_ID, AUTH_GITHUB_SECRET   enable "Sign in with GitHub"
import { randomBytes } from "node:crypto"
import { appendFileSync } from "node:fs"
import { createServer } from "node:http"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import express from "express"
import { ExpressAuth, getSession } from "@auth/express"
import GitHub from "@auth/express/providers/github"
import Passkey from "@auth/express/providers/passkey"
import { RustAdapter } from "authjs-rust-adapter"
import { startOidcProvider } from "./oidc-provider.js"
import { devicesPage, homePage, signInPage } from "./views.js"

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

const PORT = Number(process.env.PORT ?? 3000)
const HOST = process.env.HOST ?? "127.0.0.1"
const DB_FILE = process.env.AUTH_DB ?? join(here, "auth.sqlite")
const LINK_FILE = process.env.AUTH_LINK_FILE

if (!process.env.AUTH_SECRET) {
  process.env.AUTH_SECRET = randomBytes(32).toString("base64url")
  console.log("AUTH_SECRET is not set: using a random development secret for this run.")
}

// The whole database: one file, created with its schema on first use.
const adapter = process.env.AUTH_ADAPTER_MODULE
  ? (await import(pathToFileURL(process.env.AUTH_ADAPTER_MODULE).href)).default({ filename: DB_FILE })
  : RustAdapter({ filename: DB_FILE, secret: process.env.AUTH_ADAPTER_SECRET || undefined })

/** An email provider whose "email" is a line on the console (and in AUTH_LINK_FILE). */
const ConsoleEmail = {
  id: "email",
  type: "email",
  name: "Email",
  maxAge: 24 * 60 * 60,
  async sendVerificationRequest({ identifier, url, expires }) {
    console.log(`\n[magic link] ${identifier}: ${url}\n`)
    if (LINK_FILE) {
      appendFileSync(LINK_FILE, JSON.stringify({ identifier, url, expires }) + "\n")
    }
  },
}

const warned = new Set()

/** Auth.js options, once the loopback OpenID Provider is up. */
function authConfig(op) {
  const providers = [
    ConsoleEmail,
    {
      id: "oidc",
      name: "Loopback OpenID Provider",
      type: "oidc",
      issuer: op.issuer,
      clientId: op.clientId,
      clientSecret: op.clientSecret,
      checks: ["pkce", "state", "nonce"],
      // offline_access asks for a refresh token; the OP then requires the consent prompt.
      authorization: { params: { scope: "openid email profile offline_access", prompt: "consent" } },
    },
    Passkey,
  ]
  if (process.env.AUTH_GITHUB_ID && process.env.AUTH_GITHUB_SECRET) providers.push(GitHub)

  return {
    adapter,
    session: { strategy: "database" },
    trustHost: true,
    experimental: { enableWebAuthn: true },
    providers,
    pages: { signIn: "/signin" },
    logger: {
      // Auth.js repeats its "WebAuthn is experimental" warning on every request: say it once.
      warn(code) {
        if (warned.has(code)) return
        warned.add(code)
        console.warn(`[auth][warn] ${code}: https://warnings.authjs.dev#${code}`)
      },
    },
    callbacks: {
      // The database strategy hands the stored user (with its extra fields) to this callback.
      // Return only what pages need: `session` itself also holds `sessionToken` (the cookie's
      // value, which the cookie is httpOnly to hide) and `userId`, and whatever this returns
      // is what GET /auth/session sends to every script on the page.
      session({ session, user }) {
        return { user: { id: user.id, name: user.name, email: user.email, image: user.image }, expires: session.expires }
      },
    },
    events: {
      // Remember which provider accounts a user has, so the home page can read each one back
      // through the adapter. It is stored as an extra field on the user row.
      async linkAccount({ user, account }) {
        const stored = await adapter.getUser(user.id)
        const linked = Array.isArray(stored?.linkedAccounts) ? stored.linkedAccounts : []
        const key = { provider: account.provider, providerAccountId: account.providerAccountId }
        await adapter.updateUser({ id: user.id, linkedAccounts: [...linked, key] })
      },
    },
  }
}

/** This browser's Auth.js session cookie (the database session's token), if any. */
function sessionTokenOf(req) {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=")
    if (name === "authjs.session-token" || name === "__Secure-authjs.session-token") return decodeURIComponent(value.join("="))
  }
  return undefined
}

/** What the home page shows about the signed-in user, all read back through the adapter. */
async function profileOf(session) {
  const user = await adapter.getUser(session.user.id)
  if (!user) return null
  const accounts = []
  for (const { provider, providerAccountId } of user.linkedAccounts ?? []) {
    const account = await adapter.getAccount(providerAccountId, provider)
    if (account) accounts.push(account)
  }
  const passkeys = await adapter.listAuthenticatorsByUserId(user.id)
  return { user, accounts, passkeys }
}

async function main() {
  const app = express()
  app.disable("x-powered-by")
  const server = createServer(app)
  await new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(PORT, HOST, resolve)
  })
  const port = server.address().port
  const origins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`]

  const op = await startOidcProvider({ redirectUris: origins.map((o) => `${o}/auth/callback/oidc`) })
  const config = authConfig(op)
  const hasGitHub = config.providers.includes(GitHub)

  // The SimpleWebAuthn browser bundle, served from node_modules (no CDN).
  const webauthnBundle = require.resolve("@simplewebauthn/browser/dist/bundle/index.umd.min.js")
  app.get("/vendor/simplewebauthn-browser.js", (_req, res) => res.sendFile(webauthnBundle))
  app.use("/static", express.static(join(here, "public")))

  // Sessions record the browser they were created from and its network (the address
  // truncated to /24 or /48), for the "Your devices" page.
  app.use(adapter.expressMiddleware({ captureIp: "truncated" }))
  app.use("/auth", ExpressAuth(config))

  app.get("/", async (req, res, next) => {
    try {
      const session = await getSession(req, config)
      const profile = session?.user?.id ? await profileOf(session) : null
      res.type("html").send(homePage({ session, profile }))
    } catch (error) {
      next(error)
    }
  })

  /** The signed-in user and this browser's session token, or null. */
  async function signedIn(req) {
    const session = await getSession(req, config)
    if (!session?.user?.id) return null
    return { userId: session.user.id, token: sessionTokenOf(req) }
  }

  app.get("/devices", async (req, res, next) => {
    try {
      const me = await signedIn(req)
      if (!me) return res.redirect("/signin?callbackUrl=/devices")
      const sessions = await adapter.listSessions(me.userId, { current: me.token })
      const revoked = Number(req.query.revoked) || 0
      res.type("html").send(devicesPage({ sessions, revoked }))
    } catch (error) {
      next(error)
    }
  })

  // The two sign-out forms post from this origin only (a cross-site form is refused).
  const sameOrigin = (req) => {
    const origin = req.get("origin")
    return !origin || origins.includes(origin)
  }
  const form = express.urlencoded({ extended: false })

  app.post("/devices/revoke", form, async (req, res, next) => {
    try {
      const me = await signedIn(req)
      if (!me || !sameOrigin(req)) return res.status(403).send("Forbidden")
      const revoked = typeof req.body.id === "string" ? await adapter.revokeSession(me.userId, req.body.id) : null
      res.redirect(303, `/devices?revoked=${revoked ? 1 : 0}`)
    } catch (error) {
      next(error)
    }
  })

  app.post("/devices/revoke-others", form, async (req, res, next) => {
    try {
      const me = await signedIn(req)
      if (!me || !sameOrigin(req)) return res.status(403).send("Forbidden")
      const revoked = await adapter.revokeUserSessions(me.userId, { except: me.token })
      res.redirect(303, `/devices?revoked=${revoked}`)
    } catch (error) {
      next(error)
    }
  })

  app.get("/signin", async (req, res, next) => {
    try {
      const session = await getSession(req, config)
      res.type("html").send(
        signInPage({
          session,
          error: typeof req.query.error === "string" ? req.query.error : undefined,
          callbackUrl: typeof req.query.callbackUrl === "string" ? req.query.callbackUrl : "/",
          hasGitHub,
          issuer: op.issuer,
        }),
      )
    } catch (error) {
      next(error)
    }
  })

  app.use((error, _req, res, _next) => {
    console.error(error)
    res.status(500).type("text").send("Internal error")
  })

  let stopping = false
  const stop = async (signal) => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: shutting down`)
    server.close()
    server.closeAllConnections()
    await op.close()
    await adapter.close() // finishes queued writes and checkpoints the WAL into the file
    process.exit(0)
  }
  process.on("SIGINT", () => stop("SIGINT"))
  process.on("SIGTERM", () => stop("SIGTERM"))

  console.log(`SQLite database: ${DB_FILE}`)
  console.log(`Loopback OpenID Provider: ${op.issuer} (test users alice, bob; password: password)`)
  if (!hasGitHub) console.log("GitHub sign-in: off (set AUTH_GITHUB_ID and AUTH_GITHUB_SECRET to enable)")
  console.log(`Ready: http://localhost:${port}`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
