use std::process::ExitCode;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match switchboard::cli::run(clap::Parser::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // With its context: "database sb.db: migrating schema version 3 failed: …".
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
