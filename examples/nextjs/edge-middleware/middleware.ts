// Middleware on the Edge runtime (the default for middleware.ts) importing the app's one
// auth.ts, and through it authjs-rust-adapter. With JWT sessions auth() here only decodes the
// cookie; the adapter is never needed, and a call to it says why it cannot run here.
import { NextResponse } from "next/server"
import { adapter, auth } from "./auth"

declare const EdgeRuntime: string | undefined

export default auth(async (request) => {
  if (request.nextUrl.pathname === "/api/adapter-at-the-edge") {
    try {
      await adapter.getUser?.("nobody")
      return NextResponse.json({ code: null })
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string }
      return NextResponse.json({ code, message })
    }
  }
  const headers = new Headers(request.headers)
  headers.set("x-middleware-runtime", typeof EdgeRuntime === "string" ? "edge" : "nodejs")
  headers.set("x-middleware-user", request.auth?.user?.email ?? "")
  return NextResponse.next({ request: { headers } })
})

export const config = { matcher: ["/", "/api/adapter-at-the-edge"] }
