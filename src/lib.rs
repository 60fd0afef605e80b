//! authjs-rust-adapter: an Auth.js database adapter on embedded SQLite, for Node.js.
//!
//! This file is the N-API surface only: it parses arguments with [`codec::input`], calls the
//! [`store`], and hands results back through [`codec::output`]. Reads answer synchronously
//! (the JavaScript face wraps them in Promises). Writes take a last `inline` flag: a write the
//! face marks as arriving alone may be answered at once (already committed); every other
//! write returns a Promise that settles after the transaction holding it has committed.
#![deny(clippy::all)]

pub mod codec;
pub mod config;
pub mod error;
pub mod model;
pub mod secrets;
pub mod store;

use std::sync::Arc;

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;

use codec::input;
use codec::js::Js;
use codec::output::{FlatSessionAndUser, FlatUser, Out, ToJs};
use error::{AdapterError, Result};
use store::sqlite::{self, accounts, authenticators, sessions, tokens, users};
use store::SqliteStore;

/// The native half of `RustAdapter`: one SQLite store and the adapter operations on it.
/// JavaScript code should use `RustAdapter()` from the package, not this class.
#[napi]
pub struct NativeAdapter {
    store: Arc<SqliteStore>,
}

fn js(env: &Env) -> Js {
    // SAFETY: `env` is the environment of the call in progress.
    unsafe { Js::new(env.raw()) }
}

/// The codec handle of an argument of the current call.
fn raw(value: &Unknown) -> codec::js::Raw {
    // SAFETY: `value` is an argument of the call in progress.
    unsafe { codec::js::Raw::new(value.raw()) }
}

/// How the writer thread settles a Promise: the resolver runs on the JavaScript thread.
type Resolver<T> = Box<dyn FnOnce(Env) -> napi::Result<Out<T>>>;

/// Answers a write. With `inline` (the JavaScript face asks for it when a write arrives
/// alone) it runs at once on this thread if the writer thread is idle and the write lock free,
/// and the committed result is returned as is. Otherwise it is queued, and the returned
/// Promise is settled by the writer thread itself once the write has committed (one hop back
/// to JavaScript, no async runtime between).
fn answer<'e, T: ToJs + Send + 'static>(
    env: &'e Env,
    inline: Option<bool>,
    store: &SqliteStore,
    job: impl FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
) -> napi::Result<Unknown<'e>> {
    let job = if inline == Some(true) {
        match store.write_inline(job) {
            Ok(done) => {
                let value = Out(done?);
                // SAFETY: `env` is the environment of the call in progress.
                return unsafe {
                    let raw = ToNapiValue::to_napi_value(env.raw(), value)?;
                    Ok(Unknown::from_raw_unchecked(env.raw(), raw))
                };
            }
            Err(job) => job,
        }
    } else {
        job
    };
    let (deferred, promise) = env.create_deferred::<Out<T>, Resolver<T>>()?;
    store.write_with(job, move |result| match result {
        Ok(value) => deferred.resolve(Box::new(move |_| Ok(Out(value)))),
        Err(e) => deferred.reject(e.into()),
    });
    Ok(promise.to_unknown())
}

#[napi]
impl NativeAdapter {
    /// Opens (creating and migrating) the database described by `config`.
    #[napi(constructor, catch_unwind)]
    pub fn new(env: &Env, config: Unknown) -> napi::Result<Self> {
        let config = config::from_js(&js(env), raw(&config))?;
        Ok(NativeAdapter {
            store: Arc::new(SqliteStore::open(&config)?),
        })
    }

    /// `createUser(user)`.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn create_user<'e>(
        &self,
        env: &'e Env,
        user: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let user = input::user(&js(env), raw(&user))?;
        answer(env, inline, &self.store, move |c| users::insert(c, &user))
    }

    /// `getUser(id)`.
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn get_user(&self, env: &Env, id: Unknown) -> napi::Result<Out<Option<FlatUser>>> {
        let id = input::string_arg(&js(env), raw(&id), "id")?;
        Ok(Out(self
            .store
            .read(|c| users::by_id(c, &id))?
            .map(FlatUser)))
    }

    /// `getUserByEmail(email)`.
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn get_user_by_email(
        &self,
        env: &Env,
        email: Unknown,
    ) -> napi::Result<Out<Option<FlatUser>>> {
        let email = input::string_arg(&js(env), raw(&email), "email")?;
        Ok(Out(self
            .store
            .read(|c| users::by_email(c, &email))?
            .map(FlatUser)))
    }

    /// `getUserByAccount({ provider, providerAccountId })`.
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn get_user_by_account(
        &self,
        env: &Env,
        key: Unknown,
    ) -> napi::Result<Out<Option<FlatUser>>> {
        let (provider, id) = input::account_key(&js(env), raw(&key))?;
        Ok(Out(self
            .store
            .read(|c| users::by_account(c, &provider, &id))?
            .map(FlatUser)))
    }

    /// `updateUser({ id, ...changes })`.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn update_user<'e>(
        &self,
        env: &'e Env,
        user: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let patch = input::user_patch(&js(env), raw(&user))?;
        answer(env, inline, &self.store, move |c| users::update(c, &patch))
    }

    /// `deleteUser(id)`: the user with their accounts, sessions and authenticators.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn delete_user<'e>(
        &self,
        env: &'e Env,
        id: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let id = input::string_arg(&js(env), raw(&id), "userId")?;
        answer(env, inline, &self.store, move |c| users::delete(c, &id))
    }

    /// `linkAccount(account)`.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn link_account<'e>(
        &self,
        env: &'e Env,
        account: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let account = input::account(&js(env), raw(&account))?;
        let secrets = self.store.secrets().clone();
        answer(env, inline, &self.store, move |c| {
            accounts::insert(c, &secrets, &account)
        })
    }

    /// `unlinkAccount({ provider, providerAccountId })`.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn unlink_account<'e>(
        &self,
        env: &'e Env,
        key: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let (provider, id) = input::account_key(&js(env), raw(&key))?;
        answer(env, inline, &self.store, {
            let secrets = self.store.secrets().clone();
            move |c| accounts::delete(c, &secrets, &provider, &id)
        })
    }

    /// `getAccount(providerAccountId, provider)` (note the argument order).
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn get_account(
        &self,
        env: &Env,
        provider_account_id: Unknown,
        provider: Unknown,
    ) -> napi::Result<Out<Option<model::Account>>> {
        let js = js(env);
        let id = input::string_arg(&js, raw(&provider_account_id), "providerAccountId")?;
        let provider = input::string_arg(&js, raw(&provider), "provider")?;
        Ok(Out(self.store.read(|c| {
            accounts::get(c, self.store.secrets(), &provider, &id)
        })?))
    }

    /// `createSession(session)`.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn create_session<'e>(
        &self,
        env: &'e Env,
        session: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let session = input::session(&js(env), raw(&session))?;
        let secrets = self.store.secrets().clone();
        answer(env, inline, &self.store, move |c| {
            sessions::insert(c, &secrets, &session)
        })
    }

    /// `getSessionAndUser(sessionToken)`.
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn get_session_and_user(
        &self,
        env: &Env,
        session_token: Unknown,
    ) -> napi::Result<Out<Option<FlatSessionAndUser>>> {
        let token = input::string_arg(&js(env), raw(&session_token), "sessionToken")?;
        let found = self
            .store
            .read(|c| sessions::with_user(c, self.store.secrets(), &token))?;
        Ok(Out(
            found.map(|(session, user)| FlatSessionAndUser(session, user))
        ))
    }

    /// `updateSession({ sessionToken, ...changes })`.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn update_session<'e>(
        &self,
        env: &'e Env,
        session: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let patch = input::session_patch(&js(env), raw(&session))?;
        let secrets = self.store.secrets().clone();
        answer(env, inline, &self.store, move |c| {
            sessions::update(c, &secrets, &patch)
        })
    }

    /// `deleteSession(sessionToken)`.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn delete_session<'e>(
        &self,
        env: &'e Env,
        session_token: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let token = input::string_arg(&js(env), raw(&session_token), "sessionToken")?;
        let secrets = self.store.secrets().clone();
        answer(env, inline, &self.store, move |c| {
            sessions::delete(c, &secrets, &token)
        })
    }

    /// `createVerificationToken(token)`.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn create_verification_token<'e>(
        &self,
        env: &'e Env,
        token: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let token = input::verification_token(&js(env), raw(&token))?;
        answer(env, inline, &self.store, move |c| tokens::insert(c, &token))
    }

    /// `useVerificationToken({ identifier, token })`: returns and deletes it atomically.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn use_verification_token<'e>(
        &self,
        env: &'e Env,
        key: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let (identifier, token) = input::token_key(&js(env), raw(&key))?;
        answer(env, inline, &self.store, move |c| {
            tokens::take(c, &identifier, &token)
        })
    }

    /// Reads a verification token without using it up (NextAuth v3's `getVerificationRequest`).
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn peek_verification_token(
        &self,
        env: &Env,
        key: Unknown,
    ) -> napi::Result<Out<Option<model::VerificationToken>>> {
        let (identifier, token) = input::token_key(&js(env), raw(&key))?;
        Ok(Out(self
            .store
            .read(|c| tokens::peek(c, &identifier, &token))?))
    }

    /// `createAuthenticator(authenticator)`.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn create_authenticator<'e>(
        &self,
        env: &'e Env,
        authenticator: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let a = input::authenticator(&js(env), raw(&authenticator))?;
        answer(env, inline, &self.store, move |c| {
            authenticators::insert(c, &a)
        })
    }

    /// `getAuthenticator(credentialID)`.
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn get_authenticator(
        &self,
        env: &Env,
        credential_id: Unknown,
    ) -> napi::Result<Out<Option<model::Authenticator>>> {
        let id = input::string_arg(&js(env), raw(&credential_id), "credentialID")?;
        Ok(Out(self.store.read(|c| authenticators::get(c, &id))?))
    }

    /// `listAuthenticatorsByUserId(userId)`.
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn list_authenticators_by_user_id(
        &self,
        env: &Env,
        user_id: Unknown,
    ) -> napi::Result<Out<Vec<model::Authenticator>>> {
        let id = input::string_arg(&js(env), raw(&user_id), "userId")?;
        Ok(Out(self.store.read(|c| authenticators::by_user(c, &id))?))
    }

    /// `updateAuthenticatorCounter(credentialID, newCounter)`.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn update_authenticator_counter<'e>(
        &self,
        env: &'e Env,
        credential_id: Unknown,
        counter: Unknown,
        inline: Option<bool>,
    ) -> napi::Result<Unknown<'e>> {
        let js = js(env);
        let id = input::string_arg(&js, raw(&credential_id), "credentialID")?;
        let counter = input::counter(&js, raw(&counter), "newCounter")?;
        answer(env, inline, &self.store, move |c| {
            authenticators::update_counter(c, &id, counter)
        })
    }

    /// Deletes expired sessions and verification tokens now; resolves to how many rows went.
    #[napi(catch_unwind, ts_return_type = "unknown | Promise<unknown>")]
    pub fn prune<'e>(&self, env: &'e Env, inline: Option<bool>) -> napi::Result<Unknown<'e>> {
        answer(env, inline, &self.store, |c| {
            sqlite::prune(c, sqlite::now_millis())
        })
    }

    /// Closes the database; queued writes finish first, later calls fail with `CLOSED`.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn close<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, ()>> {
        let done = self.store.close();
        env.spawn_future(async move {
            let _ = done.await;
            Ok(())
        })
    }
}

impl From<AdapterError> for napi::JsError {
    fn from(e: AdapterError) -> Self {
        napi::JsError::from(napi::Error::from(e))
    }
}
