import { headers } from "next/headers"

// Shows what middleware.ts saw: its runtime and the signed-in user's email (from the JWT).
export default async function Home() {
  const seen = await headers()
  return (
    <main>
      <p>
        Middleware runtime: <span id="runtime">{seen.get("x-middleware-runtime")}</span>
      </p>
      <p>
        Middleware user: <span id="user">{seen.get("x-middleware-user")}</span>
      </p>
    </main>
  )
}
