//! `apigw completions SHELL` and `apigw man`: shell completions and man
//! pages generated from the command line's own clap definitions, so they
//! name exactly the subcommands and flags the binary takes.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;

/// Writes the completion script for `shell` to stdout.
pub fn completions<C: CommandFactory>(shell: clap_complete::Shell) -> Result<()> {
    let mut command = C::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "apigw", &mut script);
    print_all(&script).context("writing the completions")
}

/// Writes `bytes` to stdout; a reader that went away (`| head`) is no error.
fn print_all(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `apigw(1)` to stdout; with `dir`, that page and one per subcommand
/// (`apigw-serve.1`, `apigw-store-backup.1`, ...) into `dir`.
pub fn man<C: CommandFactory>(dir: Option<&Path>) -> Result<()> {
    let command = C::command();
    match dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .context("rendering the man page")?;
            print_all(&page).context("writing the man page")
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            println!("man pages written into {}", dir.display());
            Ok(())
        }
    }
}
