//! The N-API surface that Node.js loads: it parses arguments with [`input`], calls the
//! [`Store`] the configuration chose, and hands results back through [`output`].
//! A store answers either at once (SQLite reads, and lone SQLite writes; the value is returned
//! as is and the JavaScript face wraps it in a Promise) or later (a Promise that settles once
//! the work is done: queued SQLite writes after their transaction committed, every PostgreSQL
//! call after the server answered). Writes take a last [`Arrival`]: whether the write arrived
//! alone or together with others. The hot calls (the reads and writes of every signed-in request and
//! of email sign-in) also take an `assemble` function: the face's builder of the result object,
//! called once with the columns (see `output::Columns`).

pub mod config;
pub mod input;
pub mod js;
pub mod maintenance;
pub mod opening;
pub mod output;

use std::sync::Arc;

use napi::bindgen_prelude::{External, Function, PromiseRaw, ToNapiValue, Unknown};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, JsValue};
use napi_derive::napi;

use crate::core::config::Backend;
use crate::core::error::AdapterError;
use crate::core::model;
use crate::core::store::{Answer, Store};
use crate::replica;
use js::Js;
use output::{
    AccountColumns, ColumnArray, Columns, Out, SessionAndUserColumns, SessionColumns, ToJs,
    UserColumns, VerificationTokenColumns,
};

fn js(env: &Env) -> Js {
    // SAFETY: `env` is the environment of the call in progress.
    unsafe { Js::new(env.raw()) }
}

/// The codec handle of an argument of the current call.
fn raw(value: &Unknown) -> js::Raw {
    // SAFETY: `value` is an argument of the call in progress.
    unsafe { js::Raw::new(value.raw()) }
}

/// How a Promise is settled: the resolver runs on the JavaScript thread.
type Resolver<T> = Box<dyn FnOnce(Env) -> napi::Result<Out<T>>>;

/// Hands a store's answer to JavaScript: a value answered at once is returned as is (after
/// `shape`), a later one as a Promise settled from whichever thread finishes the work (one
/// hop back to JavaScript, no async runtime between).
fn respond<'e, T: Send + 'static, U: ToJs + 'static>(
    env: &'e Env,
    answer: Answer<T>,
    shape: impl FnOnce(T) -> U + Send + 'static,
) -> napi::Result<Unknown<'e>> {
    match answer {
        Answer::Now(done) => {
            let value = Out(shape(done?));
            // SAFETY: `env` is the environment of the call in progress.
            unsafe {
                let raw = ToNapiValue::to_napi_value(env.raw(), value)?;
                Ok(Unknown::from_raw_unchecked(env.raw(), raw))
            }
        }
        Answer::Later(start) => {
            let (deferred, promise) = env.create_deferred::<Out<U>, Resolver<U>>()?;
            start(Box::new(move |outcome| match outcome {
                Ok(value) => deferred.resolve(Box::new(move |_| Ok(Out(shape(value))))),
                Err(e) => deferred.reject(e.into()),
            }));
            Ok(promise.to_unknown())
        }
    }
}

/// The identity `shape`.
fn same<T>(value: T) -> T {
    value
}

/// Hands a hot call's answer to JavaScript through its assembler: answered now, it is the
/// object `assemble` builds from the columns (see `output::Columns`), or `null` when
/// `columns` finds none; later, a Promise of the columns as an array (or `null`), which the
/// face assembles.
fn respond_assembled<'e, T: Send + 'static, C: Columns + 'static>(
    env: &'e Env,
    answer: Answer<T>,
    columns: fn(T) -> Option<C>,
    assemble: Unknown,
) -> napi::Result<Unknown<'e>> {
    match answer {
        Answer::Now(done) => {
            let found = columns(done?);
            let value = output::assembled(&js(env), found, raw(&assemble))?;
            // SAFETY: `value` was created in this call.
            Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value.get()) })
        }
        Answer::Later(start) => respond(env, Answer::Later(start), move |value: T| {
            ColumnArray(columns(value))
        }),
    }
}

/// A session's properties as the face read them.
fn session_read(
    session_token: &Unknown,
    user_id: &Unknown,
    expires: &Unknown,
) -> [(&'static str, js::Raw); 3] {
    [
        ("sessionToken", raw(session_token)),
        ("userId", raw(user_id)),
        ("expires", raw(expires)),
    ]
}

/// The columns of a user found (for [`respond_assembled`]).
fn user_columns(found: Option<model::User>) -> Option<UserColumns> {
    found.map(UserColumns)
}

/// The columns of a session found (for [`respond_assembled`]).
fn session_columns(found: Option<model::Session>) -> Option<SessionColumns> {
    found.map(SessionColumns)
}

/// How a write arrived: `"alone"` or `"together"` with others in one run of JavaScript (the
/// face's scheduler decides; see `crate::core::store::Arrival`). Every write takes it last.
#[napi(string_enum = "lowercase")]
pub enum Arrival {
    Alone,
    Together,
}

impl From<Arrival> for crate::core::store::Arrival {
    fn from(arrival: Arrival) -> Self {
        match arrival {
            Arrival::Alone => Self::Alone,
            Arrival::Together => Self::Together,
        }
    }
}

/// The native half of `RustAdapter`: one open store, handed to JavaScript as an opaque
/// handle that every adapter function takes first. JavaScript code should use
/// `RustAdapter()` from the package, not these functions.
///
/// Functions over a handle, rather than methods of a class, because a class method pays for
/// napi-rs's receiver checks (class identity and a process-wide borrow registry) on every
/// call: about a quarter of a point read's cost. (Declared to JavaScript as a class only so
/// that its name exists in the types; JavaScript never constructs one.)
#[napi]
pub struct StoreHandle {
    store: opening::Lazy,
    backend: &'static str,
}

/// An adapter's store handle as JavaScript holds it.
#[napi]
pub type Handle = External<StoreHandle>;

/// Reads and checks `config` (a bad option throws here); the database is opened by the first
/// call (see [`opening`]).
#[napi(catch_unwind, ts_return_type = "ExternalObject<StoreHandle>")]
pub fn open_store(env: &Env, config: Unknown) -> napi::Result<Handle> {
    let config = self::config::config(&js(env), raw(&config))?;
    let backend = config.backend.name();
    Ok(External::new(StoreHandle {
        store: opening::Lazy::new(config)?,
        backend,
    }))
}

/// How many adapters of this thread hold the store open on `filename` (0 when it is not open):
/// adapters on one file share one store (see `docs/behaviour.md`).
#[napi]
pub fn open_adapters_on(filename: String) -> u32 {
    opening::holders_of(&filename) as u32
}

/// The store's backend: `"sqlite"`, `"postgres"` or `"replica"`.
#[napi(ts_return_type = "'sqlite' | 'postgres' | 'replica'")]
pub fn store_backend(store: &Handle) -> &'static str {
    store.backend
}

/// Whether the store answers on the calling thread and gains from knowing which calls came
/// together (see `Store::groups_calls`): the face then schedules its writes and read runs.
#[napi]
pub fn store_groups_calls(store: &Handle) -> bool {
    store.store.groups_calls()
}

/// Every error code the native side raises, as `error.code` carries it.
#[napi]
pub fn error_codes() -> Vec<&'static str> {
    crate::core::error::ErrorCode::ALL
        .iter()
        .map(|code| code.as_str())
        .collect()
}

/// One configuration option, as the docs and the types list it.
#[napi(object)]
pub struct ConfigOption {
    /// The property name.
    pub name: String,
    /// What it applies to: `all`, `file`, `server`, `postgres`, `replica` or `typeorm`.
    pub applies: String,
}

/// Every configuration option the native side reads.
#[napi]
pub fn config_options() -> Vec<ConfigOption> {
    use crate::core::config::{Applies, OPTIONS};
    OPTIONS
        .iter()
        .map(|option| ConfigOption {
            name: option.name.to_string(),
            applies: match option.applies {
                Applies::All => "all",
                Applies::File => "file",
                Applies::Server => "server",
                Applies::Postgres => "postgres",
                Applies::Replica => "replica",
                Applies::TypeOrm => "typeorm",
            }
            .to_string(),
        })
        .collect()
}

/// `createUser(user)`, assembled by `assemble`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
#[allow(clippy::too_many_arguments)]
pub fn create_user<'e>(
    env: &'e Env,
    store: &Handle,
    user: Unknown,
    id: Unknown,
    name: Unknown,
    email: Unknown,
    email_verified: Unknown,
    image: Unknown,
    extras_possible: bool,
    assemble: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let read = [
        ("id", raw(&id)),
        ("name", raw(&name)),
        ("email", raw(&email)),
        ("emailVerified", raw(&email_verified)),
        ("image", raw(&image)),
    ];
    let user = input::user_read(&js(env), raw(&user), &read, extras_possible)?;
    respond_assembled(
        env,
        store.store.get()?.create_user(user, arrival.into()),
        |user| Some(UserColumns(user)),
        assemble,
    )
}

/// Marks the start (`true`) and the end (`false`) of the face's read lease (`lib/scheduling.js`);
/// SQLite answers the reads meanwhile from one shared snapshot (see `Store::reads_together`).
#[napi(catch_unwind)]
pub fn reads_together(store: &Handle, together: bool) {
    if let Some(open) = store.store.if_open() {
        open.reads_together(together)
    }
}

/// `getUser(id)`, assembled by `assemble`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn get_user<'e>(
    env: &'e Env,
    store: &Handle,
    id: Unknown,
    assemble: Unknown,
) -> napi::Result<Unknown<'e>> {
    let id = input::string_arg(&js(env), raw(&id), "id")?;
    respond_assembled(env, store.store.get()?.get_user(id), user_columns, assemble)
}

/// `getUserByEmail(email)`, assembled by `assemble`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn get_user_by_email<'e>(
    env: &'e Env,
    store: &Handle,
    email: Unknown,
    assemble: Unknown,
) -> napi::Result<Unknown<'e>> {
    let email = input::string_arg(&js(env), raw(&email), "email")?;
    respond_assembled(
        env,
        store.store.get()?.get_user_by_email(email),
        user_columns,
        assemble,
    )
}

/// `getUserByAccount({ provider, providerAccountId })`, assembled by `assemble`. The face also
/// passes the two properties it read (`key?.provider`, `key?.providerAccountId`): a property
/// read in JavaScript costs a fraction of one through N-API, and this is a hot read. When
/// either is not a string, `key` itself is checked, so errors read as for any other argument.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn get_user_by_account<'e>(
    env: &'e Env,
    store: &Handle,
    key: Unknown,
    provider: Unknown,
    provider_account_id: Unknown,
    assemble: Unknown,
) -> napi::Result<Unknown<'e>> {
    let (provider, id) = input::account_key_read(
        &js(env),
        raw(&key),
        raw(&provider),
        raw(&provider_account_id),
    )?;
    respond_assembled(
        env,
        store.store.get()?.get_user_by_account(provider, id),
        user_columns,
        assemble,
    )
}

/// `updateUser({ id, ...changes })`, assembled by `assemble`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn update_user<'e>(
    env: &'e Env,
    store: &Handle,
    user: Unknown,
    assemble: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let patch = input::user_patch(&js(env), raw(&user))?;
    respond_assembled(
        env,
        store.store.get()?.update_user(patch, arrival.into()),
        |user| Some(UserColumns(user)),
        assemble,
    )
}

/// `deleteUser(id)`: the user with their accounts, sessions and authenticators; the user
/// removed, assembled by `assemble`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn delete_user<'e>(
    env: &'e Env,
    store: &Handle,
    id: Unknown,
    assemble: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let id = input::string_arg(&js(env), raw(&id), "userId")?;
    respond_assembled(
        env,
        store.store.get()?.delete_user(id, arrival.into()),
        user_columns,
        assemble,
    )
}

/// `linkAccount(account)`, with its known properties as the face read them (one argument
/// each: an array would cost an N-API call per element), assembled by `assemble`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
#[allow(clippy::too_many_arguments)]
pub fn link_account<'e>(
    env: &'e Env,
    store: &Handle,
    account: Unknown,
    user_id: Unknown,
    kind: Unknown,
    provider: Unknown,
    provider_account_id: Unknown,
    access_token: Unknown,
    refresh_token: Unknown,
    expires_at: Unknown,
    token_type: Unknown,
    scope: Unknown,
    id_token: Unknown,
    session_state: Unknown,
    extras_possible: bool,
    assemble: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let read = [
        ("userId", raw(&user_id)),
        ("type", raw(&kind)),
        ("provider", raw(&provider)),
        ("providerAccountId", raw(&provider_account_id)),
        ("access_token", raw(&access_token)),
        ("refresh_token", raw(&refresh_token)),
        ("expires_at", raw(&expires_at)),
        ("token_type", raw(&token_type)),
        ("scope", raw(&scope)),
        ("id_token", raw(&id_token)),
        ("session_state", raw(&session_state)),
    ];
    let account = input::account_read(&js(env), raw(&account), &read, extras_possible)?;
    respond_assembled(
        env,
        store.store.get()?.link_account(account, arrival.into()),
        |account| Some(AccountColumns(account)),
        assemble,
    )
}

/// The properties of a user and of an account that are not extras, for the face to tell
/// whether an argument may carry extras (`extrasPossible` of `createUser`, `linkAccount`).
#[napi(object, object_from_js = false)]
pub struct InputKeys {
    pub user: Vec<String>,
    pub account: Vec<String>,
}

/// See [`InputKeys`].
#[napi(catch_unwind)]
pub fn input_keys() -> InputKeys {
    InputKeys {
        user: input::USER_KEYS.iter().map(|k| k.to_string()).collect(),
        account: input::ACCOUNT_KEYS.iter().map(|k| k.to_string()).collect(),
    }
}

/// `unlinkAccount({ provider, providerAccountId })`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn unlink_account<'e>(
    env: &'e Env,
    store: &Handle,
    key: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let (provider, id) = input::account_key(&js(env), raw(&key))?;
    respond(
        env,
        store
            .store
            .get()?
            .unlink_account(provider, id, arrival.into()),
        same,
    )
}

/// `getAccount(providerAccountId, provider)` (note the argument order).
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn get_account<'e>(
    env: &'e Env,
    store: &Handle,
    provider_account_id: Unknown,
    provider: Unknown,
) -> napi::Result<Unknown<'e>> {
    let js = js(env);
    let id = input::string_arg(&js, raw(&provider_account_id), "providerAccountId")?;
    let provider = input::string_arg(&js, raw(&provider), "provider")?;
    respond(env, store.store.get()?.get_account(provider, id), same)
}

/// `createSession(session)`, assembled by `assemble`; the face passes the session's
/// properties as it read them (see `codec::input::ReadByFace`).
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
#[allow(clippy::too_many_arguments)]
pub fn create_session<'e>(
    env: &'e Env,
    store: &Handle,
    session: Unknown,
    session_token: Unknown,
    user_id: Unknown,
    expires: Unknown,
    origin: Unknown,
    assemble: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let js = js(env);
    let read = session_read(&session_token, &user_id, &expires);
    let session = input::session(&js, raw(&session), &read)?;
    let origin = input::session_origin(&js, raw(&origin))?;
    respond_assembled(
        env,
        store
            .store
            .get()?
            .create_session(session, origin, arrival.into()),
        |session| Some(SessionColumns(session)),
        assemble,
    )
}

/// `listSessions(userId, { current })`: the user's unexpired sessions, newest first, the one
/// whose token is `current` marked; never their tokens.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn list_sessions<'e>(
    env: &'e Env,
    store: &Handle,
    user_id: Unknown,
    options: Unknown,
) -> napi::Result<Unknown<'e>> {
    let js = js(env);
    let user_id = input::string_arg(&js, raw(&user_id), "userId")?;
    let current = input::list_options(&js, raw(&options))?;
    let now = crate::core::store::now_millis();
    respond(
        env,
        store.store.get()?.list_sessions(user_id, current, now),
        same,
    )
}

/// `revokeSession(userId, id)`: the session with public id `id`, deleted only if it is the
/// user's; the session, or `null`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn revoke_session<'e>(
    env: &'e Env,
    store: &Handle,
    user_id: Unknown,
    id: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let js = js(env);
    let user_id = input::string_arg(&js, raw(&user_id), "userId")?;
    let id = input::string_arg(&js, raw(&id), "id")?;
    respond(
        env,
        store
            .store
            .get()?
            .revoke_session(user_id, id, arrival.into()),
        same,
    )
}

/// `revokeUserSessions(userIdOrIds, { except })`: every session of the user(s) but the one
/// whose token is `except`, in one transaction; how many went.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn revoke_user_sessions<'e>(
    env: &'e Env,
    store: &Handle,
    user_ids: Unknown,
    options: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let js = js(env);
    let user_ids = input::user_ids(&js, raw(&user_ids))?;
    let except = input::revoke_options(&js, raw(&options))?;
    respond(
        env,
        store
            .store
            .get()?
            .revoke_user_sessions(user_ids, except, arrival.into()),
        |count: u64| count as usize,
    )
}

/// `getSessionAndUser(sessionToken)`, assembled by `assemble`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn get_session_and_user<'e>(
    env: &'e Env,
    store: &Handle,
    session_token: Unknown,
    assemble: Unknown,
) -> napi::Result<Unknown<'e>> {
    let token = input::string_arg(&js(env), raw(&session_token), "sessionToken")?;
    respond_assembled(
        env,
        store.store.get()?.get_session_and_user(token),
        |found| found.map(|(session, user)| SessionAndUserColumns(session, user)),
        assemble,
    )
}

/// `updateSession({ sessionToken, ...changes })`, assembled by `assemble`; the face passes the
/// session's properties as it read them (see `codec::input::ReadByFace`).
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
#[allow(clippy::too_many_arguments)]
pub fn update_session<'e>(
    env: &'e Env,
    store: &Handle,
    session: Unknown,
    session_token: Unknown,
    user_id: Unknown,
    expires: Unknown,
    assemble: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let read = session_read(&session_token, &user_id, &expires);
    let patch = input::session_patch(&js(env), raw(&session), &read)?;
    respond_assembled(
        env,
        store.store.get()?.update_session(patch, arrival.into()),
        session_columns,
        assemble,
    )
}

/// `deleteSession(sessionToken)`, assembled by `assemble`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn delete_session<'e>(
    env: &'e Env,
    store: &Handle,
    session_token: Unknown,
    assemble: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let token = input::string_arg(&js(env), raw(&session_token), "sessionToken")?;
    respond_assembled(
        env,
        store.store.get()?.delete_session(token, arrival.into()),
        session_columns,
        assemble,
    )
}

/// `createVerificationToken(token)`, assembled by `assemble`; the face passes the token's
/// properties as it read them (see `codec::input::ReadByFace`).
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
#[allow(clippy::too_many_arguments)]
pub fn create_verification_token<'e>(
    env: &'e Env,
    store: &Handle,
    token: Unknown,
    identifier: Unknown,
    value: Unknown,
    expires: Unknown,
    assemble: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let read = [
        ("identifier", raw(&identifier)),
        ("token", raw(&value)),
        ("expires", raw(&expires)),
    ];
    let token = input::verification_token(&js(env), raw(&token), &read)?;
    respond_assembled(
        env,
        store
            .store
            .get()?
            .create_verification_token(token, arrival.into()),
        |token| Some(VerificationTokenColumns(token)),
        assemble,
    )
}

/// `useVerificationToken({ identifier, token })`, assembled by `assemble`: returns and
/// deletes it atomically. The face passes `identifier` and `token` as it read them.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn use_verification_token<'e>(
    env: &'e Env,
    store: &Handle,
    key: Unknown,
    identifier: Unknown,
    value: Unknown,
    assemble: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let read = [("identifier", raw(&identifier)), ("token", raw(&value))];
    let (identifier, token) = input::token_key_read(&js(env), raw(&key), &read)?;
    respond_assembled(
        env,
        store
            .store
            .get()?
            .use_verification_token(identifier, token, arrival.into()),
        |found| found.map(VerificationTokenColumns),
        assemble,
    )
}

/// Reads a verification token without using it up (NextAuth v3's `getVerificationRequest`).
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn peek_verification_token<'e>(
    env: &'e Env,
    store: &Handle,
    key: Unknown,
) -> napi::Result<Unknown<'e>> {
    let (identifier, token) = input::token_key(&js(env), raw(&key))?;
    respond(
        env,
        store
            .store
            .get()?
            .peek_verification_token(identifier, token),
        same,
    )
}

/// `createAuthenticator(authenticator)`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn create_authenticator<'e>(
    env: &'e Env,
    store: &Handle,
    authenticator: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let a = input::authenticator(&js(env), raw(&authenticator))?;
    respond(
        env,
        store.store.get()?.create_authenticator(a, arrival.into()),
        same,
    )
}

/// `getAuthenticator(credentialID)`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn get_authenticator<'e>(
    env: &'e Env,
    store: &Handle,
    credential_id: Unknown,
) -> napi::Result<Unknown<'e>> {
    let id = input::string_arg(&js(env), raw(&credential_id), "credentialID")?;
    respond(env, store.store.get()?.get_authenticator(id), same)
}

/// `listAuthenticatorsByUserId(userId)`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn list_authenticators_by_user_id<'e>(
    env: &'e Env,
    store: &Handle,
    user_id: Unknown,
) -> napi::Result<Unknown<'e>> {
    let id = input::string_arg(&js(env), raw(&user_id), "userId")?;
    respond(
        env,
        store.store.get()?.list_authenticators_by_user_id(id),
        same,
    )
}

/// `updateAuthenticatorCounter(credentialID, newCounter)`.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn update_authenticator_counter<'e>(
    env: &'e Env,
    store: &Handle,
    credential_id: Unknown,
    counter: Unknown,
    arrival: Arrival,
) -> napi::Result<Unknown<'e>> {
    let js = js(env);
    let id = input::string_arg(&js, raw(&credential_id), "credentialID")?;
    let counter = input::counter(&js, raw(&counter), "newCounter")?;
    respond(
        env,
        store
            .store
            .get()?
            .update_authenticator_counter(id, counter, arrival.into()),
        same,
    )
}

/// Deletes expired sessions and verification tokens now; answers how many rows went.
#[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
pub fn prune<'e>(env: &'e Env, store: &Handle, arrival: Arrival) -> napi::Result<Unknown<'e>> {
    respond(env, store.store.get()?.prune(arrival.into()), same)
}

/// Closes the database; calls in progress finish first, later calls fail with `CLOSED`.
#[napi(catch_unwind, ts_return_type = "Promise<void>")]
pub fn close<'e>(env: &'e Env, store: &Handle) -> napi::Result<PromiseRaw<'e, ()>> {
    let done = store.store.close();
    env.spawn_future(async move {
        // Closed either way; a close that could not finish its work (a full disk) rejects.
        match done {
            Some(done) => done.await.unwrap_or(Ok(())).map_err(napi::Error::from),
            None => Ok(()),
        }
    })
}

/// The native half of `RustClientDb`: a local-first replica (an SQLite file kept in sync with
/// a PostgreSQL hub) and its sync operations. JavaScript code should use `RustClientDb()`.
#[napi]
pub struct NativeClientDb {
    replica: Arc<replica::ReplicaStore>,
}

#[napi]
impl NativeClientDb {
    /// Opens the replica file and the hub's pool (the hub is first contacted by a call).
    #[napi(constructor, catch_unwind)]
    pub fn new(env: &Env, config: Unknown) -> napi::Result<Self> {
        let config = self::config::config(&js(env), raw(&config))?;
        if !matches!(config.backend, Backend::Replica(_)) {
            return Err(AdapterError::invalid(
                "config.hub",
                "is required: the postgres:// URL of the hub this replica syncs with",
            )
            .into());
        }
        Ok(NativeClientDb {
            replica: Arc::new(replica::ReplicaStore::open(&config)?),
        })
    }

    /// Calls `listener(event)` on the JavaScript thread for each sync event of this replica
    /// (`event` is the JSON text of `{ name, payload }`). The listener does not keep the
    /// process alive.
    #[napi(catch_unwind, ts_args_type = "listener: (event: string) => void")]
    pub fn on_event(&self, listener: Function<'_, String, ()>) -> napi::Result<()> {
        let listener = listener
            .build_threadsafe_function::<String>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?;
        self.replica.on_event(Arc::new(move |event| {
            listener.call(
                event_message(event),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        }));
        Ok(())
    }

    /// The adapter over this replica (shares its file and hub).
    #[napi(catch_unwind, ts_return_type = "ExternalObject<StoreHandle>")]
    pub fn adapter(&self) -> Handle {
        External::new(StoreHandle {
            store: opening::Lazy::given(self.replica.clone()),
            backend: "replica",
        })
    }

    /// Applies every hub change since the last pull; resolves to how many rows changed.
    #[napi(catch_unwind, ts_return_type = "Promise<number>")]
    pub fn pull<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        respond(env, self.replica.pull(), same)
    }

    /// Replays queued writes on the hub; resolves to how many went.
    #[napi(catch_unwind, ts_return_type = "Promise<number>")]
    pub fn push<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        respond(env, self.replica.push(), same)
    }

    /// Resolves once every local write is on the hub.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn flush<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        respond(env, self.replica.flush(), same)
    }

    /// Records this replica on the hub; resolves to the registration, or null offline.
    #[napi(catch_unwind, ts_return_type = "Promise<unknown>")]
    pub fn register<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        respond(env, self.replica.register(), same)
    }

    /// Stops live sync and removes this replica's record from the hub.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn deregister<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        respond(env, self.replica.deregister(), same)
    }

    /// Starts live sync with the hub named in `endpoints`.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn live<'e>(&self, env: &'e Env, endpoints: Unknown) -> napi::Result<Unknown<'e>> {
        let endpoints = input::string_list(&js(env), raw(&endpoints), "endpoints")?;
        respond(env, self.replica.live(endpoints), same)
    }

    /// How the replica and the hub differ from a declared schema: a list of differences.
    #[napi(catch_unwind, ts_return_type = "Promise<string[]>")]
    pub fn validate_schema<'e>(&self, env: &'e Env, schema: Unknown) -> napi::Result<Unknown<'e>> {
        let schema = input::declared_schema(&js(env), raw(&schema))?;
        respond(env, self.replica.validate_schema(schema), same)
    }

    /// Adds the declared user columns the replica or the hub lacks.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn migrate_schema<'e>(&self, env: &'e Env, schema: Unknown) -> napi::Result<Unknown<'e>> {
        let schema = input::declared_schema(&js(env), raw(&schema))?;
        respond(env, self.replica.migrate_schema(schema), same)
    }

    /// Stops live sync and closes the file and the pool.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn close<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, ()>> {
        let done = Store::close(&*self.replica);
        env.spawn_future(async move {
            // Closed either way; a close that could not finish its work (a full disk) rejects.
            done.await.unwrap_or(Ok(())).map_err(napi::Error::from)
        })
    }
}

/// A replica event as the face's listener takes it: the JSON text of `{ name, payload }`.
fn event_message(event: replica::Event) -> String {
    use serde_json::json;
    let (name, payload) = match event {
        replica::Event::Live { changes } => ("sync:live", json!({ "changes": changes })),
        replica::Event::Offline { reason } => ("sync:offline", json!({ "reason": reason })),
        replica::Event::Registered(r) => (
            "device:register",
            json!({
                "deviceId": r.device_id,
                "pubsubToken": { "value": r.pubsub_token, "expiresAt": r.expires_at },
                "endpoints": r.endpoints,
            }),
        ),
        replica::Event::Unauthorized(message) => ("unauthorized", json!({ "message": message })),
    };
    json!({ "name": name, "payload": payload }).to_string()
}

impl From<AdapterError> for napi::JsError {
    fn from(e: AdapterError) -> Self {
        napi::JsError::from(napi::Error::from(e))
    }
}

impl From<AdapterError> for napi::Error {
    fn from(e: AdapterError) -> Self {
        napi::Error::new(napi::Status::GenericFailure, e.to_string())
    }
}
