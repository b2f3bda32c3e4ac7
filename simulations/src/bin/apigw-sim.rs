//! `apigw-sim SCENARIO [--seed N] [--out DIR]`: the same command as `apigw sim`.

fn main() -> std::process::ExitCode {
    apigw_simulations::cli::main(std::env::args().skip(1))
}
