//! The `apigw` command: `serve` runs a node, `check` validates a config.

mod access;
mod apply;
mod check;
mod cluster;
mod config;
mod edge;
mod functions;
mod json_log;
mod logging;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A self-hosted gateway for AWS API Gateway REST APIs.
#[derive(Debug, Parser)]
#[command(name = "apigw", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a gateway node (data plane on 127.0.0.1:8080, admin on 127.0.0.1:9090).
    Serve(serve::ServeArgs),
    /// Validate a config file and the OpenAPI documents it names, or one OpenAPI document.
    Check {
        /// A config file (YAML) or an OpenAPI 3 / Swagger 2 document.
        file: PathBuf,
    },
    /// Cluster certificates.
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Cluster(command) => cluster::run(command).map(|()| ExitCode::SUCCESS),
        Command::Check { file } => check::run(&file).map(|ok| {
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
