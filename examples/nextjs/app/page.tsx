import { auth, signIn, signOut } from "@/auth"

// A server component: auth() reads the session cookie and asks the adapter for the session and
// its user (one SQLite read), on every request.
export default async function Home() {
  const session = await auth()

  if (!session?.user) {
    return (
      <main>
        <h1>Next.js + authjs-rust-adapter</h1>
        <p id="status">You are not signed in.</p>
        <form
          action={async (form: FormData) => {
            "use server"
            await signIn("email", { email: String(form.get("email")), redirectTo: "/" })
          }}
        >
          <label>
            Email <input id="email" name="email" type="email" required />
          </label>{" "}
          <button id="email-submit" type="submit">
            Send me a sign-in link
          </button>
        </form>
      </main>
    )
  }

  return (
    <main>
      <h1>Next.js + authjs-rust-adapter</h1>
      <p id="status">Signed in.</p>
      <dl>
        <dt>Email</dt>
        <dd id="user-email">{session.user.email}</dd>
        <dt>User id</dt>
        <dd id="user-id">{session.user.id}</dd>
        <dt>Session expires</dt>
        <dd id="session-expires">{session.expires}</dd>
      </dl>
      <p>
        <a href="/protected">A page behind proxy.ts</a>
      </p>
      <form
        action={async () => {
          "use server"
          await signOut({ redirectTo: "/" })
        }}
      >
        <button id="sign-out" type="submit">
          Sign out
        </button>
      </form>
    </main>
  )
}
