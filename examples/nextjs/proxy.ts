// Next.js 16's proxy (formerly middleware) runs on the Node.js runtime, so it can call auth()
// with database sessions: the adapter is a native addon, which the Edge runtime cannot load.
import { NextResponse } from "next/server"
import { auth } from "@/auth"

export default auth((request) => {
  const user = request.auth?.user
  if (!user?.email) {
    if (request.nextUrl.pathname.startsWith("/api/")) {
      return NextResponse.json({ error: "not signed in" }, { status: 401 })
    }
    const home = new URL("/", request.nextUrl)
    home.searchParams.set("from", request.nextUrl.pathname)
    return NextResponse.redirect(home)
  }
  // Tell the page who the proxy saw; set (never appended) so a client cannot forge it.
  const headers = new Headers(request.headers)
  headers.set("x-proxy-user", user.email)
  return NextResponse.next({ request: { headers } })
})

export const config = { matcher: ["/protected/:path*", "/api/whoami"] }
