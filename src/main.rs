//! `waldur-offering-users`: parse the command line, find the database, run the command.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Instant;

use clap::Parser;
use tokio::net::TcpListener;

use sqlx::postgres::PgConnectOptions;
use sqlx::ConnectOptions;
use waldur_offering_users::config::{Cli, Command, HealthArgs, ImportArgs, ServeArgs};
use waldur_offering_users::db::{self, Database, DatabaseError, SessionLimits};
use waldur_offering_users::directory::{ImportOptions, Progress};
use waldur_offering_users::http::Settings;
use waldur_offering_users::server::{self, Listeners, Transport};
use waldur_offering_users::{directory, healthcheck, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The probe needs no database (and must not start the embedded one).
    if let Command::Health(args) = &cli.command {
        return health(args).await;
    }
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
    // Migrations go to DATABASE_MIGRATION_URL when it is set (PostgreSQL itself, when
    // DATABASE_URL is a transaction-pooling PgBouncer), else where everything else goes.
    let migrations = match cli.database.migration_database_url.as_deref().filter(|u| !u.is_empty()) {
        None => database.options.clone(),
        Some(url) => match PgConnectOptions::from_str(url) {
            Ok(options) => options,
            Err(e) => {
                eprintln!("error: invalid DATABASE_MIGRATION_URL: {e}");
                database.shutdown();
                return ExitCode::from(2);
            }
        },
    };
    let code = run(cli.command, &database, &migrations).await;
    database.shutdown();
    code
}

async fn run(command: Command, database: &Database, migrations: &PgConnectOptions) -> ExitCode {
    if let Err(e) = db::migrate(migrations).await {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match command {
        Command::Migrate => {
            println!("migrations applied");
            ExitCode::SUCCESS
        }
        Command::Import { file, options } => {
            let mut view = ProgressView::new();
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
            view.line(format_args!("read {} ({:.1} MB)", file.display(), text.len() as f64 / 1e6));
            // One statement per kind (per 20,000 offering users) takes seconds on a large
            // document: sqlx's slow-statement warnings would only interrupt the progress.
            match db::connect(database.options.clone().disable_statement_logging(), 2).await {
                Ok(pool) => import_text(&pool, &text, options, &mut view).await,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Serve(args) => serve(database.options.clone(), *args).await,
        Command::Health(args) => health(&args).await,
    }
}

/// `health`: exit 0 when the server answers its readiness check with 200 in time, else 1
/// (also for a URL that cannot be probed: Docker reserves exit code 2).
async fn health(args: &HealthArgs) -> ExitCode {
    let target = match healthcheck::target(args.url.as_deref(), &args.bind) {
        Ok(target) => target,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match healthcheck::probe(&target, args.timeout).await {
        Ok(200) => {
            println!("ready: {} answered 200", target.url());
            ExitCode::SUCCESS
        }
        Ok(status) => {
            eprintln!("not ready: {} answered {status}", target.url());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("not ready: {}: {e}", target.url());
            ExitCode::FAILURE
        }
    }
}

async fn import_text(pool: &sqlx::PgPool, text: &str, args: ImportArgs, view: &mut ProgressView) -> ExitCode {
    let options = ImportOptions { dry_run: args.dry_run, overwrite_offering_users: args.overwrite_offering_users };
    let started = Instant::now();
    view.status(format_args!("parsing…"));
    let result = match directory::parse(text) {
        Ok(doc) => {
            view.line(format_args!("parsed"));
            directory::import_with(pool, &doc, options, &mut |event| view.show(event)).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(summary) => {
            view.line(format_args!("{}", if summary.dry_run { "rolled back (dry run)" } else { "committed" }));
            print!("{summary}");
            let what = if summary.dry_run { "dry run done" } else { "imported" };
            println!("{what} in {:.2} s", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            view.clear();
            eprintln!("import failed, nothing written: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An import's progress on standard error, when it is a terminal: the time since the command
/// started, each kind on a line of its own once done, the step in progress on one line
/// rewritten in place. Off a terminal (a pipe, a file, a CI log) it shows nothing, so the
/// output that scripts read is the summary on standard output alone, as before.
struct ProgressView {
    shown: bool,
    started: Instant,
    /// A status line is on screen, to be rewritten or cleared.
    pending: bool,
    /// The document's entries of the kind in progress.
    rows: Option<u64>,
}

impl ProgressView {
    fn new() -> Self {
        ProgressView { shown: std::io::stderr().is_terminal(), started: Instant::now(), pending: false, rows: None }
    }

    /// Replaces the status line with `text` on a line of its own.
    fn line(&mut self, text: std::fmt::Arguments<'_>) {
        self.write(text, true);
    }

    /// Shows `text` on the status line, in place of what it showed.
    fn status(&mut self, text: std::fmt::Arguments<'_>) {
        self.write(text, false);
    }

    /// Clears the status line (before an error message).
    fn clear(&mut self) {
        if self.shown && self.pending {
            eprint!("\r\x1b[K");
            self.pending = false;
        }
    }

    fn write(&mut self, text: std::fmt::Arguments<'_>, done: bool) {
        if !self.shown {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let mut err = std::io::stderr().lock();
        // `\r\x1b[K`: back to the start of the line and erase it.
        let _ = write!(err, "\r\x1b[K[{elapsed:7.1} s] {text}{}", if done { "\n" } else { "" });
        let _ = err.flush();
        self.pending = !done;
    }

    fn show(&mut self, event: Progress) {
        match event {
            Progress::Validated => self.line(format_args!("validated")),
            Progress::Started { kind, rows } => {
                self.rows = rows;
                match rows {
                    Some(rows) => self.status(format_args!("{kind}: {}…", plural(rows, "row"))),
                    None => self.status(format_args!("{kind}…")),
                }
            }
            Progress::Rows { kind, done, rows } => {
                self.status(format_args!("{kind}: {done} of {}…", plural(rows, "row")))
            }
            Progress::Done { kind, created, updated } => match self.rows {
                Some(rows) => {
                    self.line(format_args!("{kind}: {}, {created} created, {updated} updated", plural(rows, "row")))
                }
                None => self.line(format_args!("{kind}: {created} created, {updated} updated")),
            },
            Progress::Committing => self.status(format_args!("committing…")),
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
        for (who, token, what) in demo_tokens() {
            println!("  {who:<18} {token:<30} {what}");
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

/// The users and keys of the demo directory, read back from the bundled document, each with
/// what the user is: staff, support, inactive, or his roles and their scopes.
fn demo_tokens() -> Vec<(String, String, String)> {
    let doc: serde_json::Value = serde_json::from_str(directory::DEMO).unwrap_or_default();
    let list = |key: &str| doc[key].as_array().cloned().unwrap_or_default();
    let names: std::collections::HashMap<String, String> = ["customers", "projects", "offerings"]
        .iter()
        .flat_map(|kind| list(kind))
        .filter_map(|o| Some((o["uuid"].as_str()?.to_owned(), o["name"].as_str()?.to_owned())))
        .collect();
    let roles = list("roles");
    let hint = |user: &serde_json::Value| -> String {
        if user["is_staff"] == true {
            return "staff".into();
        }
        if user["is_support"] == true {
            return "support".into();
        }
        if user["is_active"] == false {
            return "inactive user (401)".into();
        }
        let held: Vec<String> = roles
            .iter()
            .filter(|r| r["user"] == user["uuid"])
            .map(|r| {
                let role = r["role"].as_str().unwrap_or_default().replace('.', " ").to_lowercase();
                let scope = r["scope"].as_object().and_then(|s| s.values().next()).and_then(|u| u.as_str());
                let name = scope.and_then(|u| names.get(u)).map_or("?", String::as_str);
                format!("{role} of {name}")
            })
            .collect();
        if held.is_empty() {
            "no role".into()
        } else {
            held.join(", ")
        }
    };
    list("users")
        .iter()
        .filter_map(|u| Some((u["username"].as_str()?.to_owned(), u["token"].as_str()?.to_owned(), hint(u))))
        .collect()
}

/// `1 row`, `2 rows`.
fn plural(count: u64, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
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
