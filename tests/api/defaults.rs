//! The command line's defaults are the library's: `serve` with no flag runs with
//! `Settings::default()` and `Transport::default()`, which tests and embedders use.

use clap::Parser;
use waldur_offering_users::config::{Cli, Command};
use waldur_offering_users::http::Settings;
use waldur_offering_users::server::Transport;

#[test]
fn serve_without_flags_runs_with_the_librarys_defaults() {
    // Parsed as the binary parses it (a setting in the environment would count as a flag).
    let cli = Cli::try_parse_from(["waldur-offering-users", "serve"]).expect("parses");
    let Command::Serve(args) = cli.command else { panic!("not serve") };
    assert_eq!(format!("{:?}", Settings::from_args(&args)), format!("{:?}", Settings::default()));
    assert_eq!(format!("{:?}", Transport::from_args(&args.limits)), format!("{:?}", Transport::default()));
}
