/**
 * A Jest conformance kit for Auth.js database adapters (`authjs-rust-adapter/jest`).
 *
 * ```ts
 * import { describeAdapter } from "authjs-rust-adapter/jest"
 * describeAdapter("my adapter", async () => ({ adapter: MyAdapter(db), teardown: () => db.close() }), {
 *   webauthn: true,
 *   extras: true,
 *   skip: ["deleteUser"],
 * })
 * ```
 *
 * Import it from a Jest test file: it registers `describe`/`test` blocks with Jest's globals.
 * @packageDocumentation
 */

/** The contracts the kit checks, by id; pass ids in {@link DescribeAdapterOptions.skip}. */
export type AdapterContract =
  | "ownMethods"
  | "createUser"
  | "getUser"
  | "getUserByEmail"
  | "userWithoutEmail"
  | "nullUserFields"
  | "uniqueEmail"
  | "updateUser"
  | "updateUserUnknown"
  | "linkAccount"
  | "getUserByAccount"
  | "uniqueAccount"
  | "createSession"
  | "getSessionAndUser"
  | "updateSession"
  | "deleteSession"
  | "reuseSessionToken"
  | "createVerificationToken"
  | "useVerificationToken"
  | "concurrentUseVerificationToken"
  | "unlinkAccount"
  | "extraUserProperties"
  | "extraAccountProperties"
  | "getAccount"
  | "createAuthenticator"
  | "getAuthenticator"
  | "listAuthenticatorsByUserId"
  | "updateAuthenticatorCounter"
  | "deleteUser"

/** Options of {@link describeAdapter}. */
export interface DescribeAdapterOptions {
  /** Run the WebAuthn contracts (getAccount and the four authenticator methods). @defaultValue false */
  webauthn?: boolean
  /** Run the contracts for extra user/account properties (custom profile and provider fields). @defaultValue false */
  extras?: boolean
  /** Contracts the adapter does not claim; they are reported as skipped. @defaultValue [] */
  skip?: AdapterContract[]
  /**
   * Contracts the adapter is known to break; they run as `test.failing`, so they pass while the
   * adapter still breaks them and fail once it meets them. Takes precedence over `skip`,
   * `webauthn` and `extras`. @defaultValue []
   */
  knownFailures?: AdapterContract[]
}

/** What the factory returns: the adapter under test and an optional clean-up. */
export interface AdapterUnderTest {
  /** An Auth.js adapter on a fresh, empty database. */
  adapter: object
  /** Called after the last test (close connections, remove files). */
  teardown?: () => unknown
}

/**
 * Registers Jest tests that check `adapter` against the Auth.js adapter contract, black box.
 *
 * @param name - title of the `describe` block
 * @param factory - creates the adapter under test (called once, in `beforeAll`)
 * @param options - which optional contracts to run or skip
 */
export declare function describeAdapter(
  name: string,
  factory: () => AdapterUnderTest | Promise<AdapterUnderTest>,
  options?: DescribeAdapterOptions,
): void

/** Every contract id, in the order the tests run. */
export declare const CONTRACTS: readonly AdapterContract[]

/** The 19 methods of the `@auth/core/adapters` Adapter interface, in the interface's order. */
export declare const AUTHJS_METHODS: readonly string[]
