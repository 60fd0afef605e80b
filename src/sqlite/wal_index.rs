//! A read-only view of the WAL-index header: it tells, without a system call, whether any
//! connection of any process has committed since a read snapshot began.
//!
//! The WAL-index is part of SQLite's documented file format (<https://sqlite.org/walformat.html>):
//! it lives in the database's `-shm` file, which every connection maps, and starts with two
//! copies of a 48-byte header that every commit rewrites (change counter, frame count,
//! checksums, salts). A writer stores the second copy, then the first, with a memory barrier
//! between; a reader takes the header only when both copies agree and it is marked initialised.
//! This module reads it the same way. Equal headers mean no commit happened between the two
//! readings: a commit always moves the frame count and checksums forward, and a WAL restart
//! changes the salts.
//!
//! The header is read through SQLite's own mapping of the file (the VFS's `xShmMap`, as SQLite
//! itself reaches it), never through a descriptor of our own: closing any descriptor of a file
//! drops every POSIX lock the process holds on it, SQLite's included, after which another
//! process may reinitialise the `-shm` file under our connections.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{fence, Ordering};

use rusqlite::{ffi, Connection};

/// Bytes of one copy of the header.
const HEADER: usize = 48;
/// Offset of the `isInit` byte inside a copy.
const IS_INIT: usize = 12;
/// Size of one region of the WAL-index, as SQLite maps it.
const REGION: i32 = 32 * 1024;

/// One reading of the WAL-index header.
pub type Header = [u8; HEADER];

/// The start of SQLite's mapping of a database's WAL-index.
///
/// Valid while a connection of this process keeps the database open in WAL mode; the store
/// reads it only while its own connections are open.
pub struct WalIndex {
    start: *const u8,
}

// SAFETY: `start` points into a shared mapping owned by SQLite for as long as the store's
// connections are open; it is only read, with volatile loads, under the store's own checks.
unsafe impl Send for WalIndex {}
unsafe impl Sync for WalIndex {}

impl WalIndex {
    /// The WAL-index of the database `conn` has open, once SQLite has mapped it (the
    /// connection has read the file in WAL mode); `None` otherwise.
    pub fn of(conn: &Connection) -> Option<Self> {
        // SAFETY: the handle is live for the duration of the borrow; SQLITE_FCNTL_FILE_POINTER
        // writes the main database's `sqlite3_file*`, and `xShmMap` with bExtend = 0 returns
        // region 0 of the mapping SQLite already holds (or null), without extending the file.
        unsafe {
            let mut file: *mut ffi::sqlite3_file = ptr::null_mut();
            let rc = ffi::sqlite3_file_control(
                conn.handle(),
                c"main".as_ptr(),
                ffi::SQLITE_FCNTL_FILE_POINTER,
                (&mut file as *mut *mut ffi::sqlite3_file).cast::<c_void>(),
            );
            if rc != ffi::SQLITE_OK || file.is_null() || (*file).pMethods.is_null() {
                return None;
            }
            let methods = &*(*file).pMethods;
            if methods.iVersion < 2 {
                return None;
            }
            let map = methods.xShmMap?;
            let mut region: *mut c_void = ptr::null_mut();
            if map(file, 0, REGION, 0, &mut region) != ffi::SQLITE_OK || region.is_null() {
                return None;
            }
            Some(WalIndex {
                start: region.cast::<u8>(),
            })
        }
    }

    /// The current header, or `None` when a commit is rewriting it right now (the two copies
    /// differ) or it is not initialised.
    pub fn header(&self) -> Option<Header> {
        let read = |at: usize| {
            let mut copy = [0u8; HEADER];
            for (i, byte) in copy.iter_mut().enumerate() {
                // SAFETY: `at + i < 2 * HEADER`, inside region 0 (32 KiB) of the mapping.
                *byte = unsafe { ptr::read_volatile(self.start.add(at + i)) };
            }
            copy
        };
        let first = read(0);
        fence(Ordering::Acquire);
        let second = read(HEADER);
        (first == second && first[IS_INIT] != 0).then_some(first)
    }
}
