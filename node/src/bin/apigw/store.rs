//! `apigw store check | backup | restore`, and how `apigw serve` opens its
//! store: a store file that is there and cannot be read stops the start
//! with what to do, unless `--init-store` says to set it aside and start
//! empty.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use apigw::progress::Progress;
use apigw::store::backup::Backup;
use apigw::store::check::check_dir;
use apigw::store::{Store, StoreError, FILE};
use apigw_cluster::redb_file;
use clap::Subcommand;

use crate::remote::{Admin, Target};

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Verify a store without starting a node: every page, every record,
    /// the references between them (exit status 1 on a problem).
    Check {
        #[arg(long, env = "APIGW_DATA_DIR", default_value = "apigw-data")]
        data_dir: PathBuf,
    },
    /// Write a backup of a running node's store (through its admin API), or,
    /// with --data-dir, of a stopped node's.
    Backup {
        /// Where to write it (JSON; holds API key values: keep it private).
        file: PathBuf,
        /// Read this stopped node's data directory instead of asking a node.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[command(flatten)]
        target: Target,
    },
    /// Make a node's store what a backup holds: a running node's (through
    /// its admin API, and so through Raft in a cluster), or, with
    /// --data-dir, a stopped single node's.
    Restore {
        file: PathBuf,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Replace what the store holds (else only an empty one is restored
        /// into); offline, also set an unreadable store file aside.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        target: Target,
    },
}

/// The largest backup taken from a node.
const MAX_BACKUP_ANSWER: usize = 1 << 30;

/// How long an online backup or restore may take.
const REMOTE_TIMEOUT: Duration = Duration::from_secs(300);

pub fn run(command: StoreCommand) -> Result<ExitCode> {
    match command {
        StoreCommand::Check { data_dir } => check(&data_dir),
        StoreCommand::Backup {
            file,
            data_dir: Some(dir),
            ..
        } => backup_offline(&dir, &file).map(|()| ExitCode::SUCCESS),
        StoreCommand::Backup { file, target, .. } => {
            backup_online(&target, &file).map(|()| ExitCode::SUCCESS)
        }
        StoreCommand::Restore {
            file,
            data_dir: Some(dir),
            force,
            ..
        } => restore_offline(&dir, &file, force).map(|()| ExitCode::SUCCESS),
        StoreCommand::Restore {
            file,
            force,
            target,
            ..
        } => restore_online(&target, &file, force).map(|()| ExitCode::SUCCESS),
    }
}

/// Opens the store `apigw serve` runs on (see the module doc).
pub fn open_for_serve(data_dir: &Path, init_store: bool) -> Result<Store> {
    match Store::open(data_dir) {
        Err(StoreError::File(e)) if init_store && e.is_damage() => {
            let aside = redb_file::set_aside(e.path())
                .with_context(|| format!("cannot move {} aside", e.path().display()))?;
            tracing::warn!(error = %e, kept_as = %aside.display(), "--init-store: the unreadable store was set aside; starting with an empty one");
            Store::open(data_dir).map_err(|e| failure(data_dir, e))
        }
        other => other.map_err(|e| failure(data_dir, e)),
    }
}

/// The error a start ends with, with what the operator can do.
fn failure(data_dir: &Path, e: StoreError) -> anyhow::Error {
    let dir = data_dir.display();
    match e {
        StoreError::File(e) if e.is_damage() => anyhow::anyhow!(
            "{e}\n  Nothing was changed and the node did not start. `apigw store check --data-dir {dir}` \
             describes the damage. To recover, restore a backup (`apigw store restore BACKUP --data-dir {dir} --force`), \
             or start empty with `apigw serve --init-store` (the unreadable file is kept, renamed {FILE}.unreadable-TIME)."
        ),
        StoreError::TooNew { .. } => anyhow::anyhow!("{e}\n  Run the newer apigw, or restore a backup this version can read."),
        other => anyhow::Error::new(other).context(format!("cannot open the store in {dir}")),
    }
}

fn check(dir: &Path) -> Result<ExitCode> {
    let report = check_dir(dir).map_err(|e| match e {
        StoreError::InUse(_) => anyhow::anyhow!(
            "{e}: a running node's store is checked by backing it up (`apigw store backup FILE --admin URL`)"
        ),
        other => anyhow::Error::new(other).context(format!("store check of {}", dir.display())),
    })?;
    println!("{}: {}", report.file.display(), report.contents.summary());
    for note in &report.notes {
        println!("  note: {note}");
    }
    for problem in &report.problems {
        println!("  problem: {problem}");
    }
    let raft = dir.join("raft").join(apigw_cluster::raft::FILE);
    if raft.exists() {
        // Read-only, so a running member's file is refused, not disturbed.
        match redb_file::open_read_only(&raft) {
            Ok(_) => println!("{}: opens", raft.display()),
            Err(e) => {
                println!("  problem: {e}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    if report.problems.is_empty() {
        println!("ok");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{} problems", report.problems.len());
        Ok(ExitCode::FAILURE)
    }
}

fn backup_offline(dir: &Path, file: &Path) -> Result<()> {
    let progress = Progress::spinner(format!("backup: reading and checking {}", dir.display()));
    let report = check_dir(dir).map_err(|e| match e {
        StoreError::InUse(_) => anyhow::anyhow!(
            "{e}: back up a running node through its admin API (`apigw store backup FILE --admin URL`)"
        ),
        other => anyhow::Error::new(other),
    })?;
    if let Some(p) = report.problems.first() {
        bail!(
            "{} has {} problems (first: {p}); `apigw store check --data-dir {}` lists them. \
             No backup was written: a backup restores faithfully or not at all",
            report.file.display(),
            report.problems.len(),
            dir.display()
        );
    }
    progress.step("backup: writing");
    write_backup(file, &Backup::new(report.contents))
}

fn backup_online(target: &Target, file: &Path) -> Result<()> {
    eprintln!("backup: asking {} for a consistent copy", target.admin);
    let progress = Progress::spinner(format!("backup: waiting for {}", target.admin));
    let (status, body) = crate::remote::runtime()?.block_on(Admin::raw(
        target,
        "GET",
        "/store/backup",
        Vec::new(),
        MAX_BACKUP_ANSWER,
        REMOTE_TIMEOUT,
    ))?;
    drop(progress);
    if status != 200 {
        bail!(
            "GET /store/backup: {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let backup =
        Backup::parse(&body).context("the node's answer is not a backup this apigw reads")?;
    write_backup(file, &backup)
}

/// Writes `backup` to `file` (readable by its owner only), whole or not at all.
fn write_backup(file: &Path, backup: &Backup) -> Result<()> {
    let bytes = backup.to_bytes();
    let partial = file.with_extension("partial");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options
            .open(&partial)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        out.write_all(&bytes)?;
        out.sync_all()?;
    }
    std::fs::rename(&partial, file).with_context(|| format!("cannot write {}", file.display()))?;
    eprintln!(
        "backup: {} ({} bytes) written to {}",
        backup.contents.summary(),
        bytes.len(),
        file.display()
    );
    if !backup.secrets_in_clear.is_empty() {
        eprintln!(
            "backup: it holds secrets in clear ({}): keep it private",
            backup.secrets_in_clear.join("; ")
        );
    }
    Ok(())
}

fn read_backup(file: &Path) -> Result<(Vec<u8>, Backup)> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let backup =
        Backup::parse(&bytes).with_context(|| format!("{} cannot be restored", file.display()))?;
    Ok((bytes, backup))
}

fn restore_offline(dir: &Path, file: &Path, force: bool) -> Result<()> {
    let (_, backup) = read_backup(file)?;
    let raft = dir.join("raft").join(apigw_cluster::raft::FILE);
    if raft.exists() {
        bail!(
            "{} belongs to a cluster member ({} exists), whose store is rebuilt from the Raft log: \
             restore through a running member (`apigw store restore FILE --admin URL`)",
            dir.display(),
            raft.display()
        );
    }
    let store = match Store::open(dir) {
        Err(StoreError::InUse(_)) => bail!(
            "a node is running on {}: stop it, or restore through it (`apigw store restore FILE --admin URL`)",
            dir.display()
        ),
        Err(StoreError::File(e)) if force && e.is_damage() => {
            let aside = redb_file::set_aside(e.path())?;
            eprintln!("restore: {e}; set aside as {}", aside.display());
            Store::open(dir)?
        }
        other => other.map_err(|e| failure(dir, e))?,
    };
    let current = store.export()?;
    if !force && !current.is_empty() {
        bail!(
            "{} holds {}: pass --force to replace it with the backup",
            store.path().display(),
            current.summary()
        );
    }
    eprintln!(
        "restore: writing {} into {}",
        backup.contents.summary(),
        store.path().display()
    );
    let progress = Progress::spinner("restore: writing the store");
    store.replace_all(&backup.contents)?;
    drop(progress);
    eprintln!("restore: done");
    Ok(())
}

fn restore_online(target: &Target, file: &Path, force: bool) -> Result<()> {
    let (bytes, backup) = read_backup(file)?;
    eprintln!(
        "restore: sending {} to {}",
        backup.contents.summary(),
        target.admin
    );
    let path = if force {
        "/store/restore?force=true"
    } else {
        "/store/restore"
    };
    let progress = Progress::spinner(format!("restore: {} applying it", target.admin));
    let (status, body) = crate::remote::runtime()?.block_on(Admin::raw(
        target,
        "POST",
        path,
        bytes,
        1 << 20,
        REMOTE_TIMEOUT,
    ))?;
    drop(progress);
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if status != 200 {
        let message = answer["message"].as_str().map_or_else(
            || String::from_utf8_lossy(&body).into_owned(),
            str::to_string,
        );
        bail!("POST /store/restore: {status}: {message}");
    }
    eprintln!("restore: done, {} changes", answer["changes"]);
    Ok(())
}
