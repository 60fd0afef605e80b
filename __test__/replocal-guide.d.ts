// The types the Auth.js "Client DB" integration guide asks a client-database package to
// export, written out as the guide gives them. The guide's `database` is "the instance of the
// database you are using", hence the type parameter.
declare namespace ReplocalGuide {
  type PubsubToken = {
    value: string
    expiresAt: number
  }

  type EventName = "device:register" | "device:deregister"

  type EventCallbackFn = (data: any) => void

  type ClientDb<Database> = {
    __brand: "REPLOCAL_CLIENT_DB"
    database: Database
    close: () => Promise<void>
    flush: () => Promise<void>
    pull: () => Promise<void>
    push: () => Promise<void>
    live: (endpoints: string[]) => Promise<void>
    device: {
      register: () => Promise<
        | undefined
        | {
            deviceId: string
            pubsubToken: PubsubToken
            endpoints: string[]
          }
      >
      deregister: () => Promise<void>
    }
    schema: {
      validate: (schema: any) => Promise<void>
      migrate: (schema: any) => Promise<void>
    }
    event: {
      subscribe: (event: EventName, callback: EventCallbackFn) => Promise<void>
      unsubscribe: (event: EventName, callback: EventCallbackFn) => Promise<void>
    }
  }

  /** `export function ReplocalClientDb(props: any): ReplocalClientDb` */
  type Factory<Database> = (props: any) => ClientDb<Database>
}
