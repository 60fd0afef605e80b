// A real OpenID Provider on loopback, for signing in with OpenID Connect without any outside
// service: `oidc-provider` (a certified OpenID Provider implementation) with one confidential
// client (this app) and a few test users, and its login and consent pages as plain HTML forms.
//
// Sign-in through it is the real authorization-code flow with PKCE: the browser is redirected
// here, the user logs in and consents, and Auth.js exchanges the code for real tokens (access,
// refresh and ID token) at the token endpoint, which it then stores as the user's account row.
import { createServer } from "node:http"
import { generateKeyPairSync, randomBytes } from "node:crypto"
import express from "express"
import Provider from "oidc-provider"

/** Every test user's password (this is a development OP: it says so on its login page). */
export const TEST_PASSWORD = "password"

/** The OP's users, by login name. The `sub` claim is the login name. */
export const TEST_USERS = {
  alice: { name: "Alice Liddell", email: "alice@example.test" },
  bob: { name: "Bob Builder", email: "bob@example.test" },
}

const escapeHtml = (value) =>
  String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const page = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #222 }
  .card { border: 1px solid #ccc; border-radius: 8px; padding: 1.5rem; background: #fafafa }
  label { display: block; margin-top: .75rem } input { width: 100%; padding: .4rem; box-sizing: border-box }
  button { margin-top: 1rem; padding: .5rem 1rem } .hint { color: #666; font-size: .9rem }
</style></head><body><div class="card">${body}</div></body></html>`

/**
 * Starts the OpenID Provider on its own loopback port.
 *
 * @param {object} options
 * @param {string[]} options.redirectUris the app's callback URLs (`<origin>/auth/callback/oidc`)
 * @param {number} [options.port] 0 (the default) picks a free port
 * @param {string} [options.host] loopback address to listen on
 * @returns {Promise<{ issuer: string, clientId: string, clientSecret: string, close(): Promise<void> }>}
 */
export async function startOidcProvider({ redirectUris, port = 0, host = "127.0.0.1" }) {
  const server = createServer()
  await new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, resolve)
  })
  const issuer = `http://${host}:${server.address().port}`
  const clientId = "authjs-rust-adapter-demo"
  const clientSecret = randomBytes(24).toString("base64url")

  // A fresh signing key each start: the app discovers it through the OP's jwks_uri.
  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" })

  const oidc = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    // PKCE (S256) is required from every client, not only from public ones.
    pkce: { required: () => true },
    jwks: { keys: [{ ...signingKey, kid: "demo-signing-key", use: "sig", alg: "RS256" }] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    // Put the claims of the granted scopes (email, name) into the ID token itself, where
    // Auth.js reads the profile of an "oidc" provider from.
    conformIdTokenClaims: false,
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "preferred_username"],
    },
    async findAccount(_ctx, sub) {
      const user = TEST_USERS[sub]
      if (!user) return undefined
      return {
        accountId: sub,
        async claims() {
          return { sub, name: user.name, preferred_username: sub, email: user.email, email_verified: true }
        },
      }
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: 14 * 86400,
      Session: 86400,
      Grant: 14 * 86400,
    },
  })
  // The OP's own log lines (e.g. a failed token request) help when a sign-in fails.
  oidc.on("server_error", (_ctx, error) => console.error("[oidc-provider] server_error:", error))

  const app = express()
  app.disable("x-powered-by")
  const form = express.urlencoded({ extended: false })

  app.get("/interaction/:uid", async (req, res, next) => {
    try {
      const { uid, prompt, params } = await oidc.interactionDetails(req, res)
      if (prompt.name === "login") {
        const failed = req.query.failed ? `<p role="alert">Unknown user or wrong password.</p>` : ""
        res.type("html").send(
          page(
            "Sign in to the loopback OpenID Provider",
            `<h1>Loopback OpenID Provider</h1>
<p>Sign in to continue to <b>${escapeHtml(params.client_id)}</b>.</p>${failed}
<form method="post" action="/interaction/${uid}/login">
  <label>Username <input name="login" autocomplete="username" autofocus required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>
<p class="hint">Test users: ${Object.keys(TEST_USERS).join(", ")}; password: <code>${TEST_PASSWORD}</code></p>`,
          ),
        )
        return
      }
      const scopes = [...(prompt.details.missingOIDCScope ?? [])]
      res.type("html").send(
        page(
          "Authorize access",
          `<h1>Authorize access</h1>
<p><b>${escapeHtml(params.client_id)}</b> asks for: ${scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(" ") || "no new scopes"}.</p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`,
        ),
      )
    } catch (error) {
      next(error)
    }
  })

  app.post("/interaction/:uid/login", form, async (req, res, next) => {
    try {
      const { uid, prompt } = await oidc.interactionDetails(req, res)
      if (prompt.name !== "login") throw new Error(`expected the login prompt, got ${prompt.name}`)
      const login = String(req.body.login ?? "").trim().toLowerCase()
      if (!Object.hasOwn(TEST_USERS, login) || req.body.password !== TEST_PASSWORD) {
        res.redirect(303, `/interaction/${uid}?failed=1`)
        return
      }
      await oidc.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false })
    } catch (error) {
      next(error)
    }
  })

  app.post("/interaction/:uid/confirm", async (req, res, next) => {
    try {
      const details = await oidc.interactionDetails(req, res)
      const { prompt, params, session } = details
      if (prompt.name !== "consent") throw new Error(`expected the consent prompt, got ${prompt.name}`)
      const grant = details.grantId
        ? await oidc.Grant.find(details.grantId)
        : new oidc.Grant({ accountId: session.accountId, clientId: params.client_id })
      const missing = prompt.details
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "))
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(" "))
      }
      const grantId = await grant.save()
      const consent = details.grantId ? {} : { grantId }
      await oidc.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true })
    } catch (error) {
      next(error)
    }
  })

  app.post("/interaction/:uid/abort", async (req, res, next) => {
    try {
      const result = { error: "access_denied", error_description: "The user denied access." }
      await oidc.interactionFinished(req, res, result, { mergeWithLastSubmission: false })
    } catch (error) {
      next(error)
    }
  })

  // Everything else (discovery, authorization, token, userinfo, jwks...) is the OP itself.
  app.use(oidc.callback())

  server.on("request", app)
  return {
    issuer,
    clientId,
    clientSecret,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
