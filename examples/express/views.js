// The app's two pages, as plain HTML strings (no template engine needed for this much).

const escapeHtml = (value) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const when = (date) => (date ? new Date(date).toISOString() : "—")

function layout(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328 }
  header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1px solid #ddd; margin-bottom: 1.5rem }
  header a { color: inherit; text-decoration: none; font-weight: 600 }
  section { border: 1px solid #ddd; border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0 }
  h2 { font-size: 1.1rem; margin: 0 0 .5rem }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 }
  dt { color: #57606a } dd { margin: 0; overflow-wrap: anywhere }
  table { border-collapse: collapse; width: 100%; font-size: .9rem }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; vertical-align: top }
  th { white-space: nowrap } td { overflow-wrap: anywhere }
  button { padding: .45rem 1rem; font: inherit; cursor: pointer }
  input { padding: .4rem; font: inherit; width: 16rem; max-width: 100% }
  form { margin: .5rem 0 } #add-passkey { margin-top: .75rem } .muted { color: #57606a } .error { color: #b42318; font-weight: 600 }
</style>
<script src="/vendor/simplewebauthn-browser.js" defer></script>
<script src="/static/app.js" defer></script>
</head><body>
<header><a href="/">authjs-rust-adapter demo</a><span class="muted">Auth.js + Express + SQLite (Rust)</span></header>
${body}
</body></html>`
}

function signOutForm() {
  return `<form method="post" action="/auth/signout">
  <input type="hidden" name="csrfToken"><input type="hidden" name="callbackUrl" value="/">
  <button type="submit" id="sign-out" disabled>Sign out</button>
</form>`
}

/**
 * The home page: who is signed in (read through Auth.js's session and back through the adapter),
 * or a link to sign in.
 */
export function homePage({ session, profile }) {
  if (!session?.user) {
    return layout(
      "Home",
      `<h1 id="status">You are not signed in</h1>
<p><a id="sign-in-link" href="/signin">Sign in</a> by email link, OpenID Connect, GitHub or a passkey.</p>`,
    )
  }
  const user = profile?.user ?? session.user
  const accounts = profile?.accounts ?? []
  const passkeys = profile?.passkeys ?? []
  const providers = [
    ...(user.emailVerified ? ["email"] : []),
    ...new Set(accounts.map((a) => a.provider)),
  ]
  const accountRows = accounts
    .map(
      (a) => `<tr data-provider="${escapeHtml(a.provider)}"><td>${escapeHtml(a.provider)}</td><td>${escapeHtml(a.type)}</td>
<td>${escapeHtml(a.providerAccountId)}</td><td>${escapeHtml(a.scope ?? "")}</td>
<td>${a.expires_at ? when(a.expires_at * 1000) : "—"}</td></tr>`,
    )
    .join("")
  const passkeyRows = passkeys
    .map(
      (p) => `<tr><td>${escapeHtml(p.credentialID.slice(0, 16))}…</td><td>${p.counter}</td>
<td>${escapeHtml(p.credentialDeviceType)}</td><td>${p.credentialBackedUp ? "yes" : "no"}</td></tr>`,
    )
    .join("")
  return layout(
    "Signed in",
    `<h1 id="status">Signed in as ${escapeHtml(user.name || user.email)}</h1>
<section><h2>User</h2><dl>
  <dt>Name</dt><dd id="user-name">${escapeHtml(user.name ?? "—")}</dd>
  <dt>Email</dt><dd id="user-email">${escapeHtml(user.email ?? "—")}</dd>
  <dt>Email verified</dt><dd>${when(user.emailVerified)}</dd>
  <dt>User id</dt><dd id="user-id">${escapeHtml(user.id)}</dd>
  <dt>Signed in with</dt><dd id="providers">${escapeHtml(providers.join(", ") || "—")}</dd>
  <dt>Session expires</dt><dd id="session-expires">${when(session.expires)}</dd>
</dl></section>
<section><h2>Linked accounts</h2>${
      accountRows
        ? `<table id="accounts"><thead><tr><th>Provider</th><th>Type</th><th>Account id</th><th>Scope</th><th>Access token expires</th></tr></thead><tbody>${accountRows}</tbody></table>`
        : `<p class="muted">None: signed in by email link only.</p>`
    }</section>
<section><h2>Passkeys</h2>${
      passkeyRows
        ? `<table id="passkeys"><thead><tr><th>Credential</th><th>Counter</th><th>Device type</th><th>Backed up</th></tr></thead><tbody>${passkeyRows}</tbody></table>`
        : `<p class="muted">No passkey yet.</p>`
    }
<button type="button" id="add-passkey" data-passkey="register" disabled>Add a passkey</button>
<form id="passkey-form" method="post" action="/auth/callback/passkey"><input type="hidden" name="csrfToken"></form>
<p class="error" id="passkey-error" role="alert"></p></section>
<p><a id="devices-link" href="/devices">Your devices</a>: where you are signed in.</p>
${signOutForm()}`,
  )
}

/** A short name for a browser from its User-Agent, for the devices list. */
function browserOf(userAgent) {
  if (!userAgent) return "Unknown browser"
  const known = [/Edg\/[\d.]+/, /Firefox\/[\d.]+/, /Chrome\/[\d.]+/, /Safari\/[\d.]+/, /curl\/[\d.]+/]
  for (const pattern of known) {
    const match = pattern.exec(userAgent)
    if (match) return match[0].replace("/", " ")
  }
  return userAgent.slice(0, 60)
}

/**
 * "Your devices": the signed-in user's sessions (listSessions), the current one marked, a
 * button to sign out each other one (revokeSession) and one for all others
 * (revokeUserSessions with except).
 */
export function devicesPage({ sessions, revoked }) {
  const rows = sessions
    .map(
      (s) => `<tr data-session="${escapeHtml(s.id)}"${s.current ? ' class="current"' : ""}>
<td>${escapeHtml(browserOf(s.userAgent))}${s.current ? ' <strong id="this-device">(this device)</strong>' : ""}</td>
<td>${escapeHtml(s.ipAddress ?? "—")}</td><td>${when(s.createdAt)}</td><td>${when(s.lastActiveAt)}</td><td>${when(s.expires)}</td>
<td>${
        s.current
          ? ""
          : `<form method="post" action="/devices/revoke"><input type="hidden" name="id" value="${escapeHtml(s.id)}"><button type="submit" class="revoke">Sign out</button></form>`
      }</td></tr>`,
    )
    .join("")
  const others = sessions.filter((s) => !s.current).length
  return layout(
    "Your devices",
    `<h1 id="status">Your devices</h1>
${revoked ? `<p id="revoked" role="status">Signed out ${revoked} other session${revoked === 1 ? "" : "s"}.</p>` : ""}
<section><h2>Where you are signed in</h2>
<table id="sessions"><thead><tr><th>Browser</th><th>Network</th><th>Signed in</th><th>Last active</th><th>Expires</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>
${
  others > 0
    ? `<form method="post" action="/devices/revoke-others"><button type="submit" id="revoke-others">Sign out everywhere else</button></form>`
    : `<p class="muted" id="no-others">No other device is signed in.</p>`
}</section>
<p><a href="/">Back</a></p>`,
  )
}

const errorMessages = {
  OAuthAccountNotLinked:
    "That email address already belongs to an account. Sign in the way you first did, then link this provider.",
  AccessDenied: "Access was denied.",
  Verification: "The sign-in link is no longer valid. It may have been used already or it may have expired.",
  Configuration: "The server is misconfigured; see its console.",
}

/** The sign-in page: one form per provider (Auth.js's REST endpoints, with its CSRF token). */
export function signInPage({ session, error, callbackUrl, hasGitHub, issuer }) {
  const callback = `<input type="hidden" name="callbackUrl" value="${escapeHtml(callbackUrl)}">`
  const csrf = `<input type="hidden" name="csrfToken">`
  const signedIn = session?.user
    ? `<p class="muted">Signed in as ${escapeHtml(session.user.email || session.user.name)}. Signing in with
another provider while signed in links it to this user.</p>`
    : ""
  return layout(
    "Sign in",
    `<h1>Sign in</h1>${signedIn}
${error ? `<p class="error" id="error" role="alert">${escapeHtml(errorMessages[error] ?? `Sign-in failed (${error}).`)}</p>` : ""}
<section><h2>Email link</h2>
<form method="post" action="/auth/signin/email">${csrf}${callback}
  <input type="email" name="email" id="email" placeholder="you@example.com" autocomplete="email" required>
  <button type="submit" id="email-submit" disabled>Email me a sign-in link</button>
</form><p class="muted">No email is sent: the server prints the link on its console.</p></section>
<section><h2>OpenID Connect</h2>
<form method="post" action="/auth/signin/oidc">${csrf}${callback}
  <button type="submit" id="oidc-submit" disabled>Sign in with the loopback OpenID Provider</button>
</form><p class="muted">A real OpenID Provider started by this app at ${escapeHtml(issuer)}
(users alice, bob; password <code>password</code>).</p>
${
  hasGitHub
    ? `<form method="post" action="/auth/signin/github">${csrf}${callback}<button type="submit" id="github-submit" disabled>Sign in with GitHub</button></form>`
    : `<p class="muted">GitHub: set AUTH_GITHUB_ID and AUTH_GITHUB_SECRET to enable it.</p>`
}</section>
<section><h2>Passkey</h2>
<form id="passkey-form" method="post" action="/auth/callback/passkey">${csrf}
  <input type="email" name="email" id="passkey-email" placeholder="you@example.com (new account)" autocomplete="username webauthn">
</form>
<button type="button" id="passkey-register" data-passkey="register" disabled>Create an account with a passkey</button>
<button type="button" id="passkey-signin" data-passkey="authenticate" disabled>Sign in with a passkey</button>
<p class="error" id="passkey-error" role="alert"></p></section>`,
  )
}
