// Type-level tests, checked by `tsc --noEmit -p __test__/tsconfig.json` (npm run test:types).
import type { Adapter } from "@auth/core/adapters"

import { RustAdapter, RustClientDb } from "authjs-rust-adapter"
import type {
  EventCallbackFn,
  EventName,
  PubsubToken,
  RustClientDbHandle,
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
  mmapSize: 256 * 1024 * 1024,
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
// @ts-expect-error mmapSize is a number of bytes
RustAdapter({ filename: "auth.sqlite", mmapSize: "1GB" })
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

// The local-first replica handle has the Client DB integration shape.
async function replicaShape(): Promise<void> {
  const clientDb: RustClientDbHandle = RustClientDb({ filename: "replica.sqlite", hub: "postgres://localhost/app" })
  const brand: "REPLOCAL_CLIENT_DB" = clientDb.__brand
  const replicaAdapter: Adapter = clientDb.database
  const reg: undefined | { deviceId: string; pubsubToken: PubsubToken; endpoints: string[] } = await clientDb.device.register()
  if (reg) await clientDb.live(reg.endpoints)
  const onEvent: EventCallbackFn = () => {}
  const name: EventName = "device:register"
  clientDb.event.subscribe(name, onEvent)
  clientDb.event.unsubscribe("device:deregister", onEvent)
  for (const syncEvent of ["sync:live", "sync:offline", "unauthorized"] as const) clientDb.event.subscribe(syncEvent, onEvent)
  await clientDb.schema.validate({ user: { role: "text", plan: "text" } })
  await clientDb.schema.migrate({ user: { role: "text" } })
  await Promise.all([clientDb.pull(), clientDb.push(), clientDb.flush(), clientDb.device.deregister(), clientDb.close()])
  void brand
  void replicaAdapter
  // @ts-expect-error hub is required
  RustClientDb({ filename: "replica.sqlite" })
  // @ts-expect-error unknown event names are refused
  clientDb.event.subscribe("sync:everything", onEvent)
}
void replicaShape
