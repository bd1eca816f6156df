//! `waldur-offering-users`: parse the command line, find the database, run the command.

use std::io::Read;
use std::process::ExitCode;

use clap::Parser;
use tokio::net::TcpListener;

use sqlx::postgres::PgConnectOptions;
use waldur_offering_users::config::{Cli, Command, ServeArgs};
use waldur_offering_users::db::{self, Database, DatabaseError, SessionLimits};
use waldur_offering_users::http::Settings;
use waldur_offering_users::server::{self, Listeners, Transport};
use waldur_offering_users::{directory, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let database = match Database::resolve(&cli.database) {
        Ok(database) => database,
        Err(e @ DatabaseError::NoDatabase) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let code = run(cli.command, &database).await;
    database.shutdown();
    code
}

async fn run(command: Command, database: &Database) -> ExitCode {
    if let Err(e) = db::migrate(&database.options).await {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match command {
        Command::Migrate => {
            println!("migrations applied");
            ExitCode::SUCCESS
        }
        Command::Import { file } => {
            let text = if file.as_os_str() == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).map(|_| text)
            } else {
                std::fs::read_to_string(&file)
            };
            let text = match text {
                Ok(text) => text,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", file.display());
                    return ExitCode::FAILURE;
                }
            };
            match db::connect(database.options.clone(), 2).await {
                Ok(pool) => import_text(&pool, &text).await,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Serve(args) => serve(database.options.clone(), *args).await,
    }
}

async fn import_text(pool: &sqlx::PgPool, text: &str) -> ExitCode {
    let started = std::time::Instant::now();
    let result = match directory::parse(text) {
        Ok(doc) => directory::import(pool, &doc).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(summary) => {
            print!("{summary}");
            println!("imported in {:.2} s", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("import failed, nothing written: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(options: PgConnectOptions, args: ServeArgs) -> ExitCode {
    let limits = SessionLimits {
        statement_timeout: args.limits.statement_timeout,
        idle_in_transaction_timeout: args.limits.idle_in_transaction_timeout,
    };
    let pool = match db::connect(db::limit_sessions(options.clone(), limits), args.pool_size).await {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.demo {
        match directory::import_demo(&pool).await {
            Ok(summary) => print!("{summary}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
        println!("demo tokens (send as 'Authorization: Token <key>'):");
        for (who, token) in demo_tokens() {
            println!("  {who:<18} {token}");
        }
    }
    let listener = match TcpListener::bind(&args.bind).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.bind);
            return ExitCode::from(2);
        }
    };
    let admin = match args.admin_bind.as_str() {
        "off" | "" => None,
        address => match TcpListener::bind(address).await {
            Ok(listener) => Some(listener),
            Err(e) => {
                eprintln!("error: cannot listen on {address} (--admin-bind; `off` disables it): {e}");
                return ExitCode::from(2);
            }
        },
    };
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or(args.bind.clone());
    println!("serving http://{address}/api/marketplace-offering-users/");
    if let Some(admin) = admin.as_ref().and_then(|l| l.local_addr().ok()) {
        println!("metrics and health on http://{admin}/metrics");
    }
    let transport = Transport::from_args(&args.limits);
    let listeners = Listeners { api: listener, admin };
    server::run(pool, options, Settings::from_args(&args), transport, listeners, shutdown_signal()).await;
    ExitCode::SUCCESS
}

/// The users and keys of the demo directory, read back from the bundled document.
fn demo_tokens() -> Vec<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(directory::DEMO).unwrap_or_default();
    doc["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| Some((u["username"].as_str()?.to_owned(), u["token"].as_str()?.to_owned())))
        .collect()
}

/// Resolves on SIGINT or SIGTERM; in-flight requests then finish before `serve` returns.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
