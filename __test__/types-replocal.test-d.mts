// The Client DB integration guide's names, from ESM (npm run test:types).
import * as pkg from "authjs-rust-adapter"

const factory: ReplocalGuide.Factory<pkg.RustAdapterInstance> = pkg.ReplocalClientDb
const handle: ReplocalGuide.ClientDb<pkg.RustAdapterInstance> = pkg.ReplocalClientDb({
  filename: "replica.sqlite",
  hub: "postgres://localhost/app",
})
// The type of the same name is the handle, and so is RustClientDb's.
const named: pkg.ReplocalClientDb = pkg.RustClientDb({ filename: "replica.sqlite", hub: "postgres://localhost/app" })
const asGuide: ReplocalGuide.ClientDb<pkg.RustAdapterInstance> = named

// The exported helper types fit the guide's both ways where the guide's code meets ours.
const token: ReplocalGuide.PubsubToken = {} as pkg.PubsubToken
const guideToken: pkg.PubsubToken = {} as ReplocalGuide.PubsubToken
const eventName: pkg.EventName = "device:register" as ReplocalGuide.EventName
const callback: pkg.EventCallbackFn = ((data: any) => void data) as ReplocalGuide.EventCallbackFn
const subscribed: Promise<void> = handle.event.subscribe("device:register", callback)

void [factory, asGuide, token, guideToken, eventName, subscribed]
