// The whole Auth.js set-up: next-auth v5 with database sessions in one SQLite file.
//
// Environment:
//   AUTH_SECRET      required in production (`npx auth secret` makes one)
//   AUTH_DB          the SQLite file (default: auth.sqlite in this folder); created on first use
//   AUTH_LINK_FILE   also append each magic link, as a JSON line, to this file (the tests read it)
import { appendFile } from "node:fs/promises"
import NextAuth from "next-auth"
import type { EmailConfig } from "next-auth/providers/email"
import { RustAdapter } from "authjs-rust-adapter"

/** An email provider whose "email" is a line on the console (and in AUTH_LINK_FILE). */
const ConsoleEmail: EmailConfig = {
  id: "email",
  type: "email",
  name: "Email",
  from: "auth@example.test",
  maxAge: 24 * 60 * 60,
  options: {},
  async sendVerificationRequest({ identifier, url, expires }) {
    console.log(`[magic link] ${identifier}: ${url}`)
    const file = process.env.AUTH_LINK_FILE
    if (file) await appendFile(file, JSON.stringify({ identifier, url, expires }) + "\n")
  },
}

export const { handlers, auth, signIn, signOut } = NextAuth({
  adapter: RustAdapter({ filename: process.env.AUTH_DB ?? "auth.sqlite" }),
  session: { strategy: "database" },
  providers: [ConsoleEmail],
  callbacks: {
    // With database sessions the session callback gets the user row: expose its id. Return
    // only what pages need: `session` itself also holds `sessionToken` (the cookie's value,
    // which the cookie is httpOnly to hide), and whatever this returns is what
    // GET /api/auth/session sends to every script on the page.
    session({ session, user }) {
      return { user: { id: user.id, name: user.name, email: user.email, image: user.image }, expires: session.expires }
    },
  },
})
