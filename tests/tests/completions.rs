//! `apigw completions bash|zsh|fish` and `apigw man` name every subcommand
//! and flag the binary takes. What to expect is read from the binary's own
//! `--help` (its clap definitions), not from a copy in this test.

use std::process::Command;

use anyhow::{ensure, Result};
use apigw_tests::node::{run_apigw, TempDir};

/// The subcommands `apigw --help` lists (without `help`).
fn subcommands() -> Result<Vec<String>> {
    let (status, help, _) = run_apigw(&["--help"])?;
    ensure!(status.success(), "apigw --help failed");
    let names: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    ensure!(names.len() >= 8, "too few subcommands in --help: {help}");
    Ok(names)
}

/// The long flags `apigw serve --help` lists.
fn serve_flags() -> Result<Vec<String>> {
    let (status, help, _) = run_apigw(&["serve", "--help"])?;
    ensure!(status.success(), "apigw serve --help failed");
    let flags: Vec<String> = help
        .split(|c: char| c.is_whitespace() || c == ',' || c == '=')
        .filter(|w| w.starts_with("--") && w.len() > 2 && *w != "--help")
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_string()
        })
        .collect();
    ensure!(flags.iter().any(|f| f == "--listen"), "{help}");
    Ok(flags)
}

fn completion(shell: &str) -> Result<String> {
    let (status, script, stderr) = run_apigw(&["completions", shell])?;
    ensure!(status.success(), "apigw completions {shell}: {stderr}");
    Ok(script)
}

#[test]
fn completions_name_every_subcommand_and_flag() -> Result<()> {
    let subcommands = subcommands()?;
    let flags = serve_flags()?;
    for shell in ["bash", "zsh", "fish"] {
        let script = completion(shell)?;
        for name in &subcommands {
            assert!(script.contains(name.as_str()), "{shell}: no `{name}`");
        }
        for flag in &flags {
            // fish names a long flag `-l NAME`.
            let written = match shell {
                "fish" => format!("-l {}", flag.trim_start_matches('-')),
                _ => flag.clone(),
            };
            assert!(script.contains(&written), "{shell}: no `{written}`");
        }
    }
    assert!(run_apigw(&["completions", "tcsh"])?.0.code() == Some(2));
    Ok(())
}

/// Sourced in bash, the script registers a completion for `apigw` that
/// offers `serve` for `apigw se<TAB>` and `--admin-listen` for
/// `apigw serve --adm<TAB>`.
#[test]
fn bash_completion_completes() -> Result<()> {
    let dir = TempDir::new("completions")?;
    let file = dir.0.join("apigw.bash");
    std::fs::write(&file, completion("bash")?)?;
    let script = r#"source "$1"
complete -p apigw
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=(); _apigw apigw "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"; echo "${COMPREPLY[*]}"; }
complete_words apigw se
complete_words apigw serve --adm
"#;
    let out = Command::new("bash")
        .args(["-c", script, "bash"])
        .arg(&file)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].contains("-F _apigw") && lines[0].ends_with(" apigw"),
        "{stdout}"
    );
    assert_eq!(lines.get(1).copied(), Some("serve"), "{stdout}");
    assert_eq!(lines.get(2).copied(), Some("--admin-listen"), "{stdout}");
    Ok(())
}

#[test]
fn man_pages_describe_the_commands() -> Result<()> {
    let (status, page, stderr) = run_apigw(&["man"])?;
    ensure!(status.success(), "apigw man: {stderr}");
    assert!(page.contains(".TH apigw 1"), "{page}");
    for name in subcommands()? {
        assert!(page.contains(&name), "apigw(1) does not name `{name}`");
    }
    let dir = TempDir::new("man")?;
    let (status, _, stderr) = run_apigw(&["man", "--dir", &dir.0.to_string_lossy()])?;
    ensure!(status.success(), "apigw man --dir: {stderr}");
    let serve = std::fs::read_to_string(dir.0.join("apigw-serve.1"))?;
    for flag in serve_flags()? {
        // roff writes `-` as `\-`.
        let roff = flag.replace('-', "\\-");
        assert!(serve.contains(&roff), "apigw-serve(1) has no {flag}");
    }
    Ok(())
}
