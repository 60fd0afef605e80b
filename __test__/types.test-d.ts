// Type-level tests, checked by `tsc --noEmit -p __test__/tsconfig.json` (npm run test:types).
import type { Adapter } from "@auth/core/adapters"

import { RustAdapter } from "authjs-rust-adapter"
import type {
  RustAdapterConfig,
  RustAdapterErrorCode,
  RustAdapterInstance,
} from "authjs-rust-adapter"

// RustAdapter() is assignable to the Auth.js Adapter interface.
const adapter: Adapter = RustAdapter({ filename: "auth.sqlite" })

// The config is optional and typed.
const defaults: RustAdapterInstance = RustAdapter()
const full: RustAdapterConfig = {
  filename: ":memory:",
  busyTimeout: 1000,
  cacheSize: 4096,
  synchronous: "normal",
  inlineWrites: false,
}
// The same adapter on PostgreSQL.
const onPostgres: Adapter = RustAdapter({
  url: "postgres://app:secret@db.example.com:5432/app?sslmode=verify-full",
  schema: "auth",
  tablePrefix: "authjs_",
  poolSize: 20,
  busyTimeout: 3000,
})
// @ts-expect-error poolSize is a number
RustAdapter({ url: "postgres://localhost/app", poolSize: "10" })

// @ts-expect-error filename must be a string
RustAdapter({ filename: 42 })
// @ts-expect-error unknown options are rejected
RustAdapter({ fileName: "typo.sqlite" })
// @ts-expect-error synchronous only takes "full" | "normal"
RustAdapter({ synchronous: "off" })
// @ts-expect-error inlineWrites is a boolean
RustAdapter({ inlineWrites: "no" })

// getAccount takes providerAccountId first, then provider.
async function accountOrder(a: RustAdapterInstance) {
  const account = await a.getAccount("12345", "github")
  if (account) {
    const seconds: number | undefined = account.expires_at
    void seconds
  }
}

// Dates come back as Dates.
async function dates(a: RustAdapterInstance) {
  const found = await a.getSessionAndUser("token")
  if (found) {
    const expires: Date = found.session.expires
    const verified: Date | null = found.user.emailVerified
    void expires
    void verified
  }
}

const code: RustAdapterErrorCode = "UNIQUE_VIOLATION"

void adapter
void defaults
void full
void accountOrder
void dates
void code
