//! WAL checkpoints off the write path.
//!
//! SQLite's own automatic checkpoint runs inside the commit that takes the WAL past 1,000
//! pages: that commit copies the WAL's pages back into the main file and syncs it before it
//! returns. Whichever write happens to be that commit waits for two more syncs and up to a
//! thousand page writes: in the bench's sequential sign-up chain on a seeded file, about one
//! chain in eighty, which put the chain's p99 at 4.6-6 ms against a median of 0.5 ms.
//!
//! Two changes, both in this module:
//! - **Past [`BACKGROUND_AT`] pages, a thread of the store checkpoints once the writes pause**
//!   (no commit for [`QUIET`]), on a connection of its own, in `PASSIVE` mode, which never
//!   blocks a writer. A server whose writes come in bursts and pauses, which is most of them,
//!   then never has a request pay for a checkpoint: the WAL is copied back between writes and
//!   starts again from its beginning at the next one.
//! - **Writes that never pause checkpoint themselves past [`INLINE_AT`] pages** (4,000, not
//!   SQLite's 1,000). A checkpoint copies a page once however many commits rewrote it, and
//!   costs two syncs whatever its size; so a quarter as many writes pay for one, each paying
//!   about 1.8 times as long (measured: 11-12 ms against 6-7), and less work is done in all.
//!   The WAL file may then reach 16 MiB of 4 KiB pages before it starts again.
//!
//! Durability does not move: a commit is durable once its WAL frames are synced, before and
//! after this change; a checkpoint only copies durable pages into the main file.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::core::config::Config;
use crate::core::error::{AdapterError, ErrorCode, Result};

/// WAL pages after which the background thread checkpoints once writes pause (SQLite's
/// automatic checkpoint's default threshold).
pub const BACKGROUND_AT: u32 = 1000;

/// WAL pages after which the committing connection checkpoints itself (16 MiB of 4 KiB pages).
pub const INLINE_AT: u32 = 4 * BACKGROUND_AT;

/// How long no commit must happen before the background thread checkpoints: long against a
/// commit's few hundred microseconds, short against the gaps between a server's requests.
pub const QUIET: Duration = Duration::from_millis(10);

/// The checkpoint policy of one writer connection, shared by its WAL hook and the store.
pub(crate) struct Checkpoints {
    /// Wakes the background thread; `None` once it was stopped.
    wake: Mutex<Option<SyncSender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// WAL pages after which the committing connection checkpoints itself.
    inline_at: AtomicU32,
    /// What the background thread reads: the commits so far and the WAL's size.
    activity: Arc<Activity>,
}

/// The writer's commits as the background thread sees them.
#[derive(Default)]
struct Activity {
    /// Commits of the writer's connection so far.
    commits: AtomicU64,
    /// The WAL's size in pages after the last of them.
    pages: AtomicU32,
    /// Set while the thread waits for a wake-up (and only then is one sent: one a cycle).
    asleep: AtomicBool,
    /// WAL pages after which the background thread checkpoints (`u32::MAX`: never).
    background_at: AtomicU32,
}

impl Checkpoints {
    /// Installs the policy on `writer` (the connection of the store's writes, on the file
    /// `config` names) and starts its background thread. The thread opens its own connection
    /// the first time it is woken, so a store that never fills its WAL never pays for it.
    pub fn start(config: &Config, writer: &mut Connection) -> Result<Arc<Self>> {
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let file = FileOf::new(&config.filename);
        let synchronous = config.synchronous.pragma();
        let activity = Arc::new(Activity {
            background_at: AtomicU32::new(BACKGROUND_AT),
            ..Activity::default()
        });
        let seen = activity.clone();
        let thread = thread::Builder::new()
            .name("authjs-sqlite-checkpointer".into())
            .spawn(move || run(&file, synchronous, &seen, &woken))
            .map_err(|e| {
                AdapterError::new(
                    ErrorCode::DbError,
                    format!("cannot start the checkpoint thread: {e}"),
                )
            })?;
        let checkpoints = Arc::new(Checkpoints {
            wake: Mutex::new(Some(wake)),
            thread: Mutex::new(Some(thread)),
            inline_at: AtomicU32::new(INLINE_AT),
            activity,
        });
        let hook = checkpoints.clone();
        writer
            .wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
                hook.after_commit(wal, pages);
                Ok(())
            }))
            .map_err(|e| AdapterError::from_sqlite_on(writer, e, "connection"))?;
        Ok(checkpoints)
    }

    /// Called after each commit of the writer's connection, with its WAL's size in pages.
    fn after_commit(&self, wal: &mut rusqlite::hooks::Wal, pages: i32) {
        let pages = u32::try_from(pages).unwrap_or(0);
        let activity = &self.activity;
        activity.commits.fetch_add(1, Ordering::Relaxed);
        activity.pages.store(pages, Ordering::Relaxed);
        if pages >= self.inline_at.load(Ordering::Relaxed) {
            // As SQLite's automatic checkpoint does: a failure (another checkpoint running, a
            // reader holding old pages, a full disk) leaves the pages in the WAL, still durable,
            // for the next commit to try again.
            let _ = wal.checkpoint();
        } else if pages >= activity.background_at.load(Ordering::Relaxed)
            && activity.asleep.swap(false, Ordering::AcqRel)
        {
            self.wake();
        }
    }

    /// Wakes the background thread, unless a wake-up is already pending or it was stopped.
    fn wake(&self) {
        let wake = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(wake) = wake.as_ref() {
            // Full: a wake-up is pending already; disconnected: the thread has ended.
            let _ = wake.try_send(());
        }
    }

    /// For a bulk import: no background checkpoints, and the writer checkpoints itself every
    /// `pages` pages of WAL (a page written by many commits is then copied once).
    pub fn bulk(&self, pages: u32) {
        self.activity
            .background_at
            .store(u32::MAX, Ordering::Relaxed);
        self.inline_at.store(pages, Ordering::Relaxed);
    }

    /// Back to the normal policy after a bulk import.
    pub fn normal(&self) {
        self.activity
            .background_at
            .store(BACKGROUND_AT, Ordering::Relaxed);
        self.inline_at.store(INLINE_AT, Ordering::Relaxed);
    }

    /// Stops the background thread, waiting for a checkpoint in progress to finish, so that
    /// the store's last checkpoint (at close) finds the checkpoint lock free. Commits after
    /// this checkpoint themselves past [`INLINE_AT`] pages.
    pub fn stop(&self) {
        self.activity
            .background_at
            .store(u32::MAX, Ordering::Relaxed);
        self.wake.lock().unwrap_or_else(|p| p.into_inner()).take();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

/// The background thread: woken once the WAL is past the threshold, it waits for the writes
/// to pause, then runs a `PASSIVE` checkpoint; until the store stops it or is gone (every
/// sender dropped).
fn run(file: &FileOf, synchronous: &str, activity: &Activity, woken: &Receiver<()>) {
    let mut conn = None;
    loop {
        activity.asleep.store(true, Ordering::Release);
        // The WAL may have passed the threshold before the flag was up.
        let due = activity.pages.load(Ordering::Relaxed)
            >= activity.background_at.load(Ordering::Relaxed);
        if !due && woken.recv().is_err() {
            return;
        }
        activity.asleep.store(false, Ordering::Release);
        // Until no commit happened for a whole `QUIET`; a stop ends the wait at once.
        loop {
            let before = activity.commits.load(Ordering::Relaxed);
            if let Err(mpsc::RecvTimeoutError::Disconnected) = woken.recv_timeout(QUIET) {
                return;
            }
            if activity.commits.load(Ordering::Relaxed) == before {
                break;
            }
        }
        // The writer's own checkpoint may have started the WAL again meanwhile.
        if activity.pages.load(Ordering::Relaxed) < activity.background_at.load(Ordering::Relaxed) {
            continue;
        }
        if conn.is_none() {
            conn = file.open(synchronous);
        }
        // A failure leaves the pages in the WAL (see `Checkpoints::after_commit`); so does a
        // file that cannot be opened now (tried again after the next commit past the threshold).
        if let Some(conn) = &conn {
            let _ = conn.wal_checkpoint_v2(
                Some(rusqlite::MAIN_DB),
                rusqlite::wal::CheckpointMode::PASSIVE,
            );
        }
        // Until the next commit, there is nothing more to copy.
        activity.pages.store(0, Ordering::Relaxed);
    }
}

/// The database file the writer opened: its path, and which file that was (device and inode).
struct FileOf {
    path: String,
    opened: Option<(u64, u64)>,
}

impl FileOf {
    fn new(path: &str) -> Self {
        FileOf {
            path: path.to_owned(),
            opened: identity(path),
        }
    }

    /// The checkpoint connection: on the file the writer opened, still at its path (another
    /// file put there since is left alone), never created, syncing as the writer does (a
    /// checkpoint syncs the main file when `synchronous` is on), with a page cache of a few
    /// pages (a checkpoint copies pages straight from the WAL to the file). `None` when the file
    /// is gone, replaced, or busy being recovered by another connection.
    fn open(&self, synchronous: &str) -> Option<Connection> {
        if identity(&self.path) != self.opened {
            return None;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).ok()?;
        // Reading the header is what makes the connection see the file is in WAL mode.
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {synchronous}; PRAGMA cache_size = -64; PRAGMA user_version;"
        ))
        .ok()?;
        (identity(&self.path) == self.opened).then_some(conn)
    }
}

/// Which file `path` names, by device and inode (`None` when it names none, and off Unix,
/// where every path compares equal).
fn identity(path: &str) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}
