//! The `apigw` command: `serve` runs a node, `check` validates a config,
//! `sim` runs a cluster scenario, `completions` and `man` describe the
//! command line itself.

mod access;
mod apply;
mod aws;
mod capacity;
mod check;
mod cluster;
mod config;
mod edge;
mod functions;
mod generate;
mod json_log;
mod logging;
mod remote;
mod serve;
mod store;
mod template;
mod upstreams;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: per-thread free lists; the request path allocates and frees
/// dozens of small objects per request, which glibc's malloc serves about
/// twice as slowly (ops/bench/profiles/instructions-per-request.txt).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// `apigw --version`: the package version and the commit it was built from
/// (`unknown` outside a git checkout; see build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("APIGW_COMMIT"),
    ")"
);

/// A self-hosted gateway for AWS API Gateway REST APIs.
#[derive(Debug, Parser)]
#[command(name = "apigw", version = VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a gateway node (data plane on 127.0.0.1:8080, admin on 127.0.0.1:9090).
    Serve(serve::ServeArgs),
    /// Validate a config file and the OpenAPI documents it names, one OpenAPI
    /// document, or a SAM/CloudFormation template (`--template`).
    Check {
        /// A config file (YAML) or an OpenAPI 3 / Swagger 2 document.
        #[arg(required_unless_present = "template")]
        file: Option<PathBuf>,
        #[command(flatten)]
        template: template::TemplateArgs,
    },
    /// Cluster certificates.
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
    /// Check, back up or restore a node's store.
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Run a cluster scenario in simulated time and report on it
    /// (`apigw sim SCENARIO.yaml [--seed N] [--out DIR]`).
    Sim {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Deploy an API's working definition to a stage of a running node.
    Deploy {
        /// The API's id or name.
        api: String,
        stage: String,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        target: remote::Target,
    },
    /// Point a stage back at the deployment it had before (or `--to` one).
    Rollback {
        /// The API's id or name.
        api: String,
        stage: String,
        /// A deployment id.
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        target: remote::Target,
    },
    /// Show what `apply` would change on a running node (exit status 2 when
    /// something would).
    Diff {
        /// A config file whose `apis` to compare.
        #[arg(required_unless_present = "template")]
        config: Option<PathBuf>,
        #[command(flatten)]
        template: template::TemplateArgs,
        #[command(flatten)]
        target: remote::Target,
    },
    /// Bring a running node's APIs and stages in line with a config file's
    /// `apis` (or a template's APIs), showing what changes.
    Apply {
        #[arg(required_unless_present = "template")]
        config: Option<PathBuf>,
        #[command(flatten)]
        template: template::TemplateArgs,
        #[command(flatten)]
        target: remote::Target,
    },
    /// Print a completion script for a shell (`source <(apigw completions bash)`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page apigw(1); with `--dir`, write it and one page per
    /// subcommand there.
    Man {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Cluster(command) => cluster::run(command).map(|()| ExitCode::SUCCESS),
        Command::Sim { args } => Ok(apigw::simulation::cli::main(args)),
        Command::Store(command) => store::run(command),
        Command::Deploy {
            api,
            stage,
            description,
            target,
        } => remote::deploy(&target, &api, &stage, description).map(|()| ExitCode::SUCCESS),
        Command::Rollback {
            api,
            stage,
            to,
            target,
        } => remote::rollback(&target, &api, &stage, to).map(|()| ExitCode::SUCCESS),
        Command::Diff {
            config,
            template,
            target,
        } => remote::diff_config(&target, config.as_deref(), &template).map(|changes| {
            if changes {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }),
        Command::Apply {
            config,
            template,
            target,
        } => {
            remote::apply_config(&target, config.as_deref(), &template).map(|()| ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            generate::completions::<Cli>(shell).map(|()| ExitCode::SUCCESS)
        }
        Command::Man { dir } => generate::man::<Cli>(dir.as_deref()).map(|()| ExitCode::SUCCESS),
        Command::Check { file, template } => check::run(file.as_deref(), &template).map(|ok| {
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("apigw: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
