import { headers } from "next/headers"
import { auth } from "@/auth"

// A route handler behind proxy.ts: returns who the proxy saw and who auth() sees here.
export async function GET() {
  const session = await auth()
  const proxyUser = (await headers()).get("x-proxy-user")
  return Response.json({ proxyUser, user: session?.user ?? null })
}
