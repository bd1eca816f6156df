//! Settings from flags and environment (`--help` documents each one).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The command line of `waldur-offering-users`.
#[derive(Debug, Parser)]
#[command(
    name = "waldur-offering-users",
    version,
    about = "Waldur's /api/marketplace-offering-users/ API, reimplemented over PostgreSQL"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve the API until SIGINT/SIGTERM.
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Upsert a directory document (users, organisations, offerings, roles, …) in one transaction.
    Import {
        /// The JSON document to import; `-` reads standard input.
        file: PathBuf,
    },
}

/// Where the data lives.
#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL connection URL. Without it the server runs its own embedded cluster
    /// (see --data-dir) from the PostgreSQL binaries installed on the machine.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Data directory of the embedded PostgreSQL cluster, used when DATABASE_URL is unset.
    #[arg(long, env = "WALDUR_DATA_DIR", default_value = "./.data/postgres", global = true)]
    pub data_dir: PathBuf,
}

// The URL may carry a password: never print it.
impl std::fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("database_url", &self.database_url.as_ref().map(|_| "<redacted>"))
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

/// Settings of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long = "bind", env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind: String,
    /// Import the bundled demo directory first and print its tokens.
    #[arg(long)]
    pub demo: bool,
    /// Hide offering users from service providers until the user consents to the offering's
    /// active terms of service (list and retrieve only; staff, support and the user himself
    /// always see them).
    #[arg(long, env = "ENFORCE_USER_CONSENT_FOR_OFFERINGS", default_value_t = true,
          action = clap::ArgAction::Set, value_parser = parse_flag)]
    pub enforce_user_consent: bool,
    /// Size of the database connection pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pub pool_size: u32,
}

/// Accepts the spellings people use for booleans in environment variables.
pub fn parse_flag(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(format!("expected true or false, got {other:?}")),
    }
}
