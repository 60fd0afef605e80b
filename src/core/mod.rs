//! The core: what the adapter is, knowing no database and no JavaScript.
//!
//! Everything here is plain Rust over plain values, so each part can be read and unit-tested
//! on its own. The backends ([`crate::sqlite`], [`crate::postgres`]) build on it; it depends on
//! nothing else in the crate.
//!
//! - [`model`]: users, accounts, sessions, verification tokens and authenticators.
//! - [`fields`]: the JavaScript field names of stored columns, and how inputs are named.
//! - [`error`]: one error type with stable codes.
//! - [`dates`] and [`extras`]: the accepted date inputs, and app-defined properties stored
//!   with their types.
//! - [`secrets`]: session-token hashing and OAuth-token encryption at rest.
//! - [`config`]: the options, one table of them, and the pure conversion to a [`config::Config`].
//! - [`store`]: the [`store::Store`] trait, one method per adapter operation.
//! - [`portable`]: rows as stored, for the command line's export, import and checks.
//! - [`peer`]: rows of the other Auth.js adapters' tables converted to rows as stored (`import --from <peer>`).
//! - [`replication`]: the rows a replica and its hub exchange.

pub mod config;
pub mod dates;
pub mod error;
pub mod extras;
pub mod fields;
pub mod model;
pub mod peer;
pub mod portable;
pub mod replication;
pub mod secrets;
pub mod store;
