//! The background sweeper: prunes expired sessions and verification tokens on an interval.

use std::sync::mpsc;
use std::sync::Weak;
use std::thread;
use std::time::Duration;

use super::writer::Writer;
use super::{sessions, tokens};
use crate::core::error::{AdapterError, ErrorCode, Result};
use crate::core::model::Millis;
use crate::core::store::{now_millis, Pruned};
use rusqlite::Connection;

/// Handle to the sweeper thread; dropping it stops the thread at its next wake-up or at once.
pub struct Sweeper {
    _stop: mpsc::Sender<()>,
}

impl Sweeper {
    /// Starts a thread that queues a prune on `writer` every `interval`. It holds only a weak
    /// reference, so it never keeps a closed or dropped store alive.
    pub fn start(interval: Duration, writer: Weak<Writer>) -> Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("authjs-sqlite-sweeper".into())
            .spawn(move || {
                // Wakes on the interval; a message or a dropped sender means stop.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    let Some(writer) = writer.upgrade() else {
                        return;
                    };
                    // The result is not awaited: a failed sweep is retried at the next tick.
                    drop(writer.submit(|conn| prune(conn, now_millis())));
                }
            })
            .map_err(|e| {
                AdapterError::new(
                    ErrorCode::DbError,
                    format!("cannot start the sweeper thread: {e}"),
                )
            })?;
        Ok(Sweeper { _stop: stop })
    }
}

/// Deletes expired sessions and verification tokens (run on the writer).
pub fn prune(conn: &Connection, now: Millis) -> Result<Pruned> {
    Ok(Pruned {
        sessions: sessions::delete_expired(conn, now)?,
        verification_tokens: tokens::delete_expired(conn, now)?,
    })
}
