//! authjs-rust-adapter: an Auth.js database adapter on embedded SQLite or PostgreSQL, for Node.js.
//!
//! The crate is four layers, and each depends only on the ones above it in this list
//! (`tests/layers.rs` checks it):
//!
//! - [`core`]: what the adapter is, with no database and no JavaScript: the model, field
//!   names, errors and their codes, the extras and dates codecs, secrets, the configuration,
//!   the [`core::store::Store`] trait every backend implements, and the replication row types.
//! - [`sqlite`] and [`postgres`]: the two backends, each a `Store` with its SQL, connections,
//!   threads and error mapping to itself. Neither knows the other.
//! - [`replica`]: a local-first replica, a `Store` made of an SQLite file and a PostgreSQL hub,
//!   built on the two backends' public interfaces.
//! - [`node`]: the N-API surface that Node.js loads; nothing in the crate depends on it.
#![deny(clippy::all)]

pub mod core;
pub mod node;
pub mod postgres;
pub mod replica;
pub mod sqlite;
