import { headers } from "next/headers"

// Reached only through proxy.ts, which redirects visitors without a session.
export default async function Protected() {
  const proxyUser = (await headers()).get("x-proxy-user")
  return (
    <main>
      <h1>Behind proxy.ts</h1>
      <p>
        The proxy saw <span id="proxy-user">{proxyUser}</span>.
      </p>
      <p>
        <a href="/">Home</a>
      </p>
    </main>
  )
}
