//! The background sweeper: prunes expired sessions and verification tokens on an interval.

use std::ops::ControlFlow;
use std::sync::mpsc;
use std::sync::Weak;
use std::thread;
use std::time::Duration;

use super::sessions::{self, SweptChunk};
use super::tokens;
use super::writer::{settle, Writer};
use crate::core::error::{AdapterError, ErrorCode, Result};
use crate::core::model::Millis;
use crate::core::store::{now_millis, Pruned};
use rusqlite::Connection;

/// Handle to the sweeper thread; dropping it stops the thread at its next wake-up or at once.
pub struct Sweeper {
    _stop: mpsc::Sender<()>,
}

impl Sweeper {
    /// Starts a thread that sweeps through `writer` every `interval` (see [`sweep`]). It holds
    /// only a weak reference, so it never keeps a closed or dropped store alive.
    pub fn start(interval: Duration, writer: Weak<Writer>) -> Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("authjs-sqlite-sweeper".into())
            .spawn(move || {
                // Wakes on the interval; a message or a dropped sender means stop.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    if sweep(&writer, &stopped).is_break() {
                        return;
                    }
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

/// Sessions one write transaction of a sweep looks at (a few milliseconds of the write lock).
pub const SWEEP_CHUNK: u32 = 4096;

/// One sweep: the expired verification tokens and the expired sessions, a chunk of sessions
/// at a time, each chunk its own write job (other writes take turns with it); the tokens go
/// with the first chunk. A failed chunk ends the sweep; the next tick starts again. `Break`
/// when the store is gone or a stop was asked.
fn sweep(writer: &Weak<Writer>, stopped: &mpsc::Receiver<()>) -> ControlFlow<()> {
    let now = now_millis();
    let mut after = String::new();
    let mut first = true;
    loop {
        let from = std::mem::take(&mut after);
        let with_tokens = std::mem::take(&mut first);
        let Some(writer) = writer.upgrade() else {
            return ControlFlow::Break(());
        };
        let rx = writer.submit(move |conn| {
            if with_tokens {
                tokens::delete_expired(conn, now)?;
            }
            sessions::delete_expired_after(conn, now, &from, SWEEP_CHUNK)
        });
        drop(writer);
        match settle(rx.blocking_recv()) {
            Ok(SweptChunk {
                next: Some(next), ..
            }) => after = next,
            Ok(SweptChunk { next: None, .. }) | Err(_) => return ControlFlow::Continue(()),
        }
        if !matches!(stopped.try_recv(), Err(mpsc::TryRecvError::Empty)) {
            return ControlFlow::Break(());
        }
    }
}

/// Deletes expired sessions and verification tokens (run on the writer).
pub fn prune(conn: &Connection, now: Millis) -> Result<Pruned> {
    Ok(Pruned {
        sessions: sessions::delete_expired(conn, now)?,
        verification_tokens: tokens::delete_expired(conn, now)?,
    })
}
