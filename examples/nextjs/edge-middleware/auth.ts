// An app with JWT sessions whose one auth.ts is shared by the route handlers (Node.js runtime)
// and middleware.ts (the Edge runtime). The email provider needs the adapter (for its
// verification tokens), which runs in the route handlers; the middleware only decodes the JWT,
// so importing the package there must work even though the adapter itself cannot.
import NextAuth from "next-auth"
import type { EmailConfig } from "next-auth/providers/email"
import { RustAdapter } from "authjs-rust-adapter"

export const adapter = RustAdapter({ filename: process.env.AUTH_DB ?? "auth.sqlite" })

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
    if (file) {
      // Imported when called (in a route handler, on Node.js): this module is also evaluated
      // by the Edge middleware, where node: modules do not exist.
      const { appendFile } = await import("node:fs/promises")
      await appendFile(file, JSON.stringify({ identifier, url, expires }) + "\n")
    }
  },
}

export const { handlers, auth } = NextAuth({
  adapter,
  session: { strategy: "jwt" },
  providers: [ConsoleEmail],
})
