//! Opening the redb files a node keeps its state in (the node's store
//! `apigw.redb`, the Raft log `raft/raft.redb`) so that a damaged file is
//! never taken for an empty one and never crashes the process.
//!
//! redb's own `Database::create` treats a 0-byte file as a new database,
//! and its plain open trusts the file (a file altered outside redb may make
//! it panic; its debug builds also panic on some impossible states). Here:
//!
//! - an absent file is created (a new node starts empty);
//! - a 0-byte file is [`RedbFileError::Empty`]: something truncated it, and
//!   starting empty would drop everything the node served;
//! - an existing file is opened with redb's integrity check (every page's
//!   checksum verified) and any failure, error or panic, is
//!   [`RedbFileError::Unreadable`] naming the file.
//!
//! The files hold private keys (custom domains, client certificates) and
//! credentials: they are made readable by their owner only (mode 0600,
//! their folder 0700 when made here), and an existing file readable by
//! others is narrowed to 0600 on open.
//!
//! [`guarded`] is the one place in the node that catches a panic: around
//! redb's open and the first full read of a file, where a panic can only
//! mean that the file's bytes are not what redb wrote.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;

use redb::{Builder, Database, DatabaseError, ReadOnlyDatabase};

/// Why a state file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RedbFileError {
    /// Another process (a running node) holds the file.
    #[error("{} is in use by another process (a running apigw node?)", path.display())]
    InUse { path: PathBuf },
    /// The file exists and has no bytes.
    #[error("{} is empty (0 bytes): it holds no store, yet it is not absent", path.display())]
    Empty { path: PathBuf },
    /// The file exists and is not a readable redb database.
    #[error("{} cannot be read: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
}

impl RedbFileError {
    /// The file concerned.
    pub fn path(&self) -> &Path {
        match self {
            RedbFileError::InUse { path }
            | RedbFileError::Empty { path }
            | RedbFileError::Unreadable { path, .. } => path,
        }
    }

    /// Whether the file's content is at fault (not another process).
    pub fn is_damage(&self) -> bool {
        !matches!(self, RedbFileError::InUse { .. })
    }
}

/// Whether a file opened by [`open`] was there before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Created,
    Existing,
}

/// Opens `path` for reading and writing: creates it when absent, refuses a
/// 0-byte file, verifies an existing one.
pub fn open(path: &Path) -> Result<(Database, Opened), RedbFileError> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let db = guarded(path, || {
                Database::create(path).map_err(|e| describe(path, e))
            })?;
            // Before anything is written into it (a file made with the
            // mode would be left empty by a crash here, and an empty file
            // is refused on the next start).
            owner_only(path).map_err(|e| unreadable(path, e))?;
            Ok((db, Opened::Created))
        }
        Err(e) => Err(unreadable(path, e)),
        Ok(meta) if meta.len() == 0 => Err(RedbFileError::Empty {
            path: path.to_path_buf(),
        }),
        Ok(meta) => {
            narrow_to_owner(path, &meta);
            let db = guarded(path, || {
                Builder::new()
                    .set_check_integrity_on_open(true)
                    .open(path)
                    .map_err(|e| describe(path, e))
            })?;
            Ok((db, Opened::Existing))
        }
    }
}

/// Makes `dir` and its parents when absent; a folder made here is its
/// owner's only (0700). An existing folder is left as it is: its mode is
/// the operator's (a mounted volume, systemd's StateDirectory).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Sets `path` to 0600.
fn owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// An existing file others can read or write becomes 0600. Best effort: a
/// file the node cannot chmod (not its owner) it can still open as before.
fn narrow_to_owner(path: &Path, meta: &std::fs::Metadata) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            let _ = owner_only(path);
        }
    }
    #[cfg(not(unix))]
    let _ = (path, meta);
}

/// Opens an existing `path` without writing to it (redb does not verify
/// page checksums on this path: see [`verified_copy`]).
pub fn open_read_only(path: &Path) -> Result<ReadOnlyDatabase, RedbFileError> {
    match std::fs::metadata(path) {
        Err(e) => Err(unreadable(path, e)),
        Ok(meta) if meta.len() == 0 => Err(RedbFileError::Empty {
            path: path.to_path_buf(),
        }),
        Ok(_) => guarded(path, || {
            ReadOnlyDatabase::open(path).map_err(|e| match e {
                // Not shut down cleanly: redb repairs it on the next
                // writable open, which a read-only handle may not do.
                DatabaseError::RepairAborted => RedbFileError::Unreadable {
                    path: path.to_path_buf(),
                    reason: "it was not closed cleanly and needs redb's repair".into(),
                },
                other => describe(path, other),
            })
        }),
    }
}

/// Copies `path` to `scratch` and opens the copy with redb's integrity
/// check (which needs a writable handle), so a file can be verified page
/// by page without being written to. The caller removes `scratch`.
pub fn verified_copy(path: &Path, scratch: &Path) -> Result<Database, RedbFileError> {
    std::fs::copy(path, scratch).map_err(|e| unreadable(path, e))?;
    guarded(path, || {
        Builder::new()
            .set_check_integrity_on_open(true)
            .open(scratch)
            .map_err(|e| describe(path, e))
    })
}

/// Moves an unreadable file aside (`{name}.unreadable-{unix seconds}`)
/// so a new one can be made; nothing is deleted. Returns the new name.
pub fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".unreadable-{secs}"));
    let aside = PathBuf::from(name);
    std::fs::rename(path, &aside)?;
    Ok(aside)
}

thread_local! {
    /// Set while this thread runs [`guarded`]: its panics are reported as
    /// damage, not printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, which opens or reads the redb file `path`, turning a panic
/// into [`RedbFileError::Unreadable`].
///
/// This is the only `catch_unwind` in apigw, and it stays here: redb may
/// panic on a file whose bytes it did not write (its debug builds panic on
/// "impossible" states by design), and such a file must give the operator a
/// message naming it, not a crash. Anything `f` touched is dropped with the
/// error; nothing half-opened escapes. While `f` runs, this thread's panic
/// messages are not printed (other threads' are, as usual).
pub fn guarded<T>(
    path: &Path,
    f: impl FnOnce() -> Result<T, RedbFileError>,
) -> Result<T, RedbFileError> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    match outcome {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            Err(RedbFileError::Unreadable {
                path: path.to_path_buf(),
                reason: format!("redb failed on its content ({what})"),
            })
        }
    }
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> RedbFileError {
    RedbFileError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn describe(path: &Path, e: DatabaseError) -> RedbFileError {
    match e {
        DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
            RedbFileError::InUse {
                path: path.to_path_buf(),
            }
        }
        DatabaseError::UpgradeRequired(v) => RedbFileError::Unreadable {
            path: path.to_path_buf(),
            reason: format!("it is in redb's old file format {v}, which this apigw does not read"),
        },
        other => unreadable(path, other),
    }
}

#[cfg(test)]
mod tests;
