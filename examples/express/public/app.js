// Client side of the demo pages: puts Auth.js's CSRF token into every form, and runs the
// passkey (WebAuthn) ceremonies with SimpleWebAuthn's browser library, the way Auth.js's own
// sign-in page does: ask /auth/webauthn-options/passkey for options, let the browser's
// authenticator answer, then post the answer to /auth/callback/passkey.
/* global SimpleWebAuthnBrowser */
"use strict"

async function passkey(action) {
  const form = document.getElementById("passkey-form")
  const url = new URL("/auth/webauthn-options/passkey", location.origin)
  url.searchParams.set("action", action)
  const email = document.getElementById("passkey-email")?.value
  if (action === "register" && email) url.searchParams.set("email", email)
  const res = await fetch(url)
  if (!res.ok) throw new Error(`could not get passkey options (HTTP ${res.status})`)
  const { options } = await res.json()
  const answer =
    action === "register"
      ? await SimpleWebAuthnBrowser.startRegistration(options)
      : await SimpleWebAuthnBrowser.startAuthentication(options)
  for (const [name, value] of [["action", action], ["data", JSON.stringify(answer)]]) {
    const input = document.createElement("input")
    input.type = "hidden"
    input.name = name
    input.value = value
    form.appendChild(input)
  }
  form.submit()
}

async function start() {
  const { csrfToken } = await (await fetch("/auth/csrf")).json()
  for (const input of document.querySelectorAll('input[name="csrfToken"]')) input.value = csrfToken
  const webauthn = typeof SimpleWebAuthnBrowser !== "undefined" && SimpleWebAuthnBrowser.browserSupportsWebAuthn()
  for (const button of document.querySelectorAll("button")) {
    const action = button.dataset.passkey
    if (!action) {
      button.disabled = false
      continue
    }
    button.disabled = !webauthn
    button.addEventListener("click", () => {
      const error = document.getElementById("passkey-error")
      error.textContent = ""
      passkey(action).catch((e) => {
        console.error(e)
        error.textContent = `Passkey: ${e.message}`
      })
    })
  }
  document.body.dataset.ready = "true"
}

start().catch((error) => console.error(error))
