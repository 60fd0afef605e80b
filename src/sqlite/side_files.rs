//! The `-wal` and `-shm` files next to a database in WAL mode, watched so that a write is never
//! acknowledged into a file that is no longer on disk.
//!
//! SQLite opens both side files once and keeps their descriptors. Deleted by someone else (a
//! cleanup script, log rotation), they live on unlinked: commits keep succeeding into a `-wal`
//! nobody will ever read again, and a new `-shm` created by another process splits the
//! processes' locks in two, which corrupts the file. So after each commit, before the caller
//! hears of it, the paths are compared with the files opened (device and inode: one `stat`
//! each, against the hundreds of microseconds a synced commit costs). A `-wal` that is gone is
//! folded into the main file from the descriptor SQLite still holds (a checkpoint); then every
//! further write fails with `SIDE_FILE_GONE`, until the file is opened again.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;

use crate::core::error::{AdapterError, ErrorCode, Result};

/// Which file a side file is, by device and inode.
type Identity = (u64, u64);

/// The two side files of one open database, as they were when the writer opened them.
pub(crate) struct SideFiles {
    wal: PathBuf,
    shm: PathBuf,
    opened: [Identity; 2],
    gone: AtomicBool,
}

/// On Linux, `statx` asked for the inode number alone (the device always comes with it).
///
/// Not `std::fs::metadata`, which asks for every field: since Linux 6.13 a query of a file's
/// change time marks the inode, so that the next write stamps it with a fine-grained time
/// instead of the clock tick's. With that query after every commit, every commit's write
/// dirtied the `-wal`'s inode and every `fdatasync` had to write the inode as well as the
/// data: measured on ext4 (6.18), the sequential session write mix spent about 40 µs more
/// per write in the sync (inode write-backs on 4,119 of 4,135 syncs; 567 with this query).
/// A raw system call rather than glibc's `statx` wrapper, which older glibc (before 2.28)
/// does not have. When the call itself fails (`ENOSYS` before Linux 4.11, `EPERM` from
/// some container seccomp profiles), the full query answers instead.
#[cfg(target_os = "linux")]
fn identity(path: &std::path::Path) -> Option<Identity> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: an all-zero `statx` is a valid value of this plain C struct.
    let mut buf: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a buffer of the kernel's `struct statx` size, both
    // live for the call; statx(2) only reads the one and writes the other.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_statx,
            libc::AT_FDCWD,
            c_path.as_ptr(),
            libc::AT_STATX_SYNC_AS_STAT,
            libc::STATX_INO,
            std::ptr::addr_of_mut!(buf),
        )
    };
    if rc == 0 && buf.stx_mask & libc::STATX_INO != 0 {
        let dev = libc::makedev(buf.stx_dev_major, buf.stx_dev_minor);
        return Some((dev, buf.stx_ino));
    }
    let missing = rc != 0
        && matches!(
            std::io::Error::last_os_error().raw_os_error(),
            Some(libc::ENOENT | libc::ENOTDIR)
        );
    if missing {
        return None;
    }
    full_identity(path)
}

#[cfg(unix)]
fn full_identity(path: &std::path::Path) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(all(unix, not(target_os = "linux")))]
fn identity(path: &std::path::Path) -> Option<Identity> {
    full_identity(path)
}

/// Elsewhere an open file cannot be deleted or replaced: nothing to watch.
#[cfg(not(unix))]
fn identity(_path: &std::path::Path) -> Option<Identity> {
    Some((0, 0))
}

impl SideFiles {
    /// The side files of `filename` as they are now; `None` when either does not exist (the
    /// writer's connection must have the database open in WAL mode and have read it).
    pub fn of(filename: &str) -> Option<Self> {
        let wal = PathBuf::from(format!("{filename}-wal"));
        let shm = PathBuf::from(format!("{filename}-shm"));
        let opened = [identity(&wal)?, identity(&shm)?];
        Some(SideFiles {
            wal,
            shm,
            opened,
            gone: AtomicBool::new(false),
        })
    }

    fn error(&self, what: &str) -> AdapterError {
        AdapterError::new(
            ErrorCode::SideFileGone,
            format!(
                "{what}; writes are refused until the database is opened again (restart the process or create a new adapter), and -wal and -shm must never be deleted while the database is open"
            ),
        )
    }

    /// `SIDE_FILE_GONE` once a side file was found gone; before a write begins.
    pub fn refuse_if_gone(&self) -> Result<()> {
        if self.gone.load(Ordering::Acquire) {
            Err(self.error("a side file of the database (-wal or -shm) was deleted or replaced while it was open"))
        } else {
            Ok(())
        }
    }

    /// After a commit on `conn`, before it is acknowledged: `Ok` when both side files are
    /// still the ones opened, or when the `-wal` is gone but a checkpoint from the open
    /// descriptor saved every commit into the main file; `SIDE_FILE_GONE` otherwise. Either
    /// way, once a side file is gone, later writes are refused.
    pub fn check_after_commit(&self, conn: &Connection) -> Result<()> {
        self.refuse_if_gone()?;
        let wal_kept = identity(&self.wal) == Some(self.opened[0]);
        let shm_kept = identity(&self.shm) == Some(self.opened[1]);
        if wal_kept && shm_kept {
            return Ok(());
        }
        self.gone.store(true, Ordering::Release);
        if !shm_kept {
            // Other processes may already be using a new -shm, with locks this connection
            // cannot see: neither a checkpoint nor the write can be vouched for.
            return Err(self.error(&format!(
                "{} was deleted or replaced while the database was open; this write reached the -wal file, but another process may write it without seeing this one's locks",
                self.shm.display()
            )));
        }
        // SQLite still holds the deleted -wal open: fold it into the main file from there.
        let saved = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .is_ok_and(|(busy, log, done)| busy == 0 && log == done);
        if saved {
            Ok(())
        } else {
            Err(self.error(&format!(
                "{} was deleted while the database was open, and the commits it held could not all be saved into the main file (another connection was reading them)",
                self.wal.display()
            )))
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The narrow `statx` names a file exactly as a full `stat` does, and a missing file or a
    /// path through a regular file as gone.
    #[test]
    fn the_inode_query_agrees_with_a_full_stat() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a-wal");
        std::fs::write(&path, b"x").unwrap();
        assert_eq!(identity(&path), full_identity(&path));
        assert!(identity(&path).is_some());
        let replaced = dir.path().join("b-wal");
        std::fs::write(&replaced, b"y").unwrap();
        assert_ne!(identity(&path), identity(&replaced));
        std::fs::rename(&replaced, &path).unwrap();
        assert_eq!(identity(&path), full_identity(&path));
        assert_eq!(identity(&dir.path().join("missing")), None);
        assert_eq!(identity(&path.join("below-a-file")), None);
    }
}
