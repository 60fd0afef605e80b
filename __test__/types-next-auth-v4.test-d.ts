// Type-level test: RustAdapter() is a next-auth v4 adapter. Checked by
// `npm run test:types:next-auth-v4` (tsc -p __test__/tsconfig.next-auth-v4.json), against
// next-auth@4 installed in __test__/next-auth-v4 (kept apart from the root: see its package.json).
import type { Adapter, AdapterUser } from "next-auth/adapters"
import type { NextAuthOptions } from "next-auth"

import { RustAdapter } from "authjs-rust-adapter"

// What NextAuth({ adapter }) takes in v4.
const adapter: Adapter = RustAdapter({ filename: "auth.sqlite" })
const options: NextAuthOptions = { adapter: RustAdapter(), providers: [] }

// Every method of the v4 interface is there (none of them left optional) with a v4 signature.
const complete: Required<Adapter> = RustAdapter()

// What the methods resolve to is what next-auth v4 reads.
async function reads(a: Required<Adapter>): Promise<AdapterUser | null> {
  const user = await a.getUserByEmail("a@example.com")
  const found = await a.getSessionAndUser("token")
  return found?.user ?? user
}
reads(complete)

// The test can fail: a method with a wrong result type is not a v4 adapter.
// @ts-expect-error getUser must resolve to an AdapterUser or null
const wrong: Adapter = { getUser: async (_id: string) => 42 }

export { adapter, options, wrong }
