//! `waldur-offering-users`: parse the command line, find the database, run the command.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use tokio::net::TcpListener;

use sqlx::ConnectOptions;
use waldur_offering_users::config::{Cli, Command, HealthArgs, ImportArgs, ServeArgs};
use waldur_offering_users::db::{self, url, Database, DatabaseError, SessionLimits};
use waldur_offering_users::directory::{ImportOptions, Progress};
use waldur_offering_users::http::Settings;
use waldur_offering_users::lifecycle::exit::Exit;
use waldur_offering_users::lifecycle::startup::{self, Plan, Schema, StartError, StartupStatus};
use waldur_offering_users::lifecycle::stdio::{complain, say};
use waldur_offering_users::lifecycle::{signals, stdio};
use waldur_offering_users::server::{self, Listeners, Ready, Transport};
use waldur_offering_users::{directory, exposure, healthcheck, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    stdio::fill_closed_standard_descriptors();
    let cli = Cli::parse();
    // The probe needs no database (and must not start the embedded one).
    if let Command::Health(args) = &cli.command {
        return health(args).await;
    }
    // A usage error, found before any database is touched.
    if let Command::Serve(args) = &cli.command {
        if let Some(refusal) = exposure::refusal(&args.bind, args.links.public_url.as_ref(), &args.links.allowed_hosts)
        {
            complain(format_args!("{refusal}"));
            return Exit::Usage.into();
        }
    }
    telemetry::init(cli.log_format);
    let database = match Database::resolve(&cli.database) {
        Ok(database) => database,
        Err(e @ DatabaseError::NoDatabase) => {
            complain(format_args!("{e}"));
            return Exit::Usage.into();
        }
        Err(e @ DatabaseError::Locked(_)) => {
            complain(format_args!("error: {e}"));
            return Exit::DataDirectoryLocked.into();
        }
        Err(e) => {
            complain(format_args!("error: {e}"));
            return Exit::Usage.into();
        }
    };
    // Migrations go to DATABASE_MIGRATION_URL when it is set (PostgreSQL itself, when
    // DATABASE_URL is a transaction-pooling PgBouncer), else where everything else goes.
    let schema = match cli.database.migration_database_url.as_deref().filter(|u| !u.is_empty()) {
        None => Schema::Migrate { options: Box::new(database.options.clone()), separate: false },
        Some(given) => match db::refuse_unsupported(given)
            .map_err(|e| format!("DATABASE_MIGRATION_URL: {e}"))
            .and_then(|()| url::parse("DATABASE_MIGRATION_URL", given).map_err(|e| e.to_string()))
        {
            Ok(checked) => Schema::Migrate { options: Box::new(checked.options), separate: true },
            Err(e) => {
                complain(format_args!("error: {e}"));
                return Exit::Usage.into();
            }
        },
    };
    let schema = match &cli.command {
        Command::Serve(args) if args.no_migrate => Schema::WaitForMigrations,
        _ => schema,
    };
    let uses_database_url = !matches!(cli.command, Command::Migrate);
    let plan = Plan { schema, database_wait: cli.database.database_wait, uses_database_url };
    // A second SIGINT/SIGTERM (the first, for commands without a graceful stop) exits at once:
    // the embedded cluster is told to stop first, or it would run on without its server.
    let cluster = database.cluster.clone();
    let graceful = matches!(cli.command, Command::Serve(_));
    let stop = match signals::install(graceful, move || {
        if let Some(cluster) = cluster {
            cluster.stop_now();
        }
    }) {
        Ok(stop) => stop,
        Err(e) => {
            complain(format_args!("error: cannot handle signals: {e}"));
            return Exit::Failure.into();
        }
    };
    let (exit, deadline) = match cli.command {
        Command::Serve(args) => serve(&database, &plan, *args, stop).await,
        command => (run(command, &database, &plan).await, None),
    };
    // What is left of the shutdown's deadline, or the time a command's end may take.
    let left = deadline
        .map_or(std::time::Duration::from_secs(30), |d| d.saturating_duration_since(tokio::time::Instant::now()));
    database.shutdown(left);
    exit.into()
}

/// The exit code of a start-up that failed.
fn start_failed(e: &StartError) -> Exit {
    complain(format_args!("error: {e}"));
    match e {
        StartError::Embedded(_) => Exit::Failure,
        // A refusal (authentication, TLS required, no such database) is a setting to fix.
        StartError::Unreachable(e) if e.refused => Exit::Usage,
        StartError::Unreachable(_) => Exit::DatabaseUnreachable,
        StartError::Migration(_) => Exit::MigrationFailed,
    }
}

/// `migrate` and `import`: the database made ready, then the command.
async fn run(command: Command, database: &Database, plan: &Plan) -> Exit {
    if let Err(e) = startup::prepare(database, plan, &StartupStatus::default()).await {
        return start_failed(&e);
    }
    match command {
        Command::Migrate => {
            say(format_args!("migrations applied"));
            Exit::Success
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
                    complain(format_args!("error: cannot read {}: {e}", file.display()));
                    return Exit::Failure;
                }
            };
            view.line(format_args!("read {} ({:.1} MB)", file.display(), text.len() as f64 / 1e6));
            // One statement per kind (per 20,000 offering users) takes seconds on a large
            // document: sqlx's slow-statement warnings would only interrupt the progress.
            match db::connect(database.options.clone().disable_statement_logging(), 2).await {
                Ok(pool) => import_text(&pool, &text, options, &mut view).await,
                Err(e) => {
                    complain(format_args!("error: {e}"));
                    Exit::DatabaseUnreachable
                }
            }
        }
        Command::Serve(_) | Command::Health(_) => unreachable!("handled by main"),
    }
}

/// `health`: exit 0 when the server answers its readiness check with 200 in time, else 1
/// (also for a URL that cannot be probed: Docker reserves exit code 2).
async fn health(args: &HealthArgs) -> ExitCode {
    let target = match healthcheck::target(args.url.as_deref(), &args.bind) {
        Ok(target) => target,
        Err(e) => {
            complain(format_args!("error: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match healthcheck::probe(&target, args.timeout).await {
        Ok(200) => {
            say(format_args!("ready: {} answered 200", target.url()));
            ExitCode::SUCCESS
        }
        Ok(status) => {
            complain(format_args!("not ready: {} answered {status}", target.url()));
            ExitCode::FAILURE
        }
        Err(e) => {
            complain(format_args!("not ready: {}: {e}", target.url()));
            ExitCode::FAILURE
        }
    }
}

async fn import_text(pool: &sqlx::PgPool, text: &str, args: ImportArgs, view: &mut ProgressView) -> Exit {
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
            say(format_args!("{}", summary.to_string().trim_end()));
            let what = if summary.dry_run { "dry run done" } else { "imported" };
            say(format_args!("{what} in {:.2} s", started.elapsed().as_secs_f64()));
            Exit::Success
        }
        Err(e) => {
            view.clear();
            complain(format_args!("import failed, nothing written: {e}"));
            Exit::Failure
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

/// `serve`: the listeners first, then the database (`lifecycle::startup`), then the API until
/// a stop is requested. Returns the exit and the shutdown's deadline, if it got that far.
async fn serve(
    database: &Database,
    plan: &Plan,
    args: ServeArgs,
    stop: signals::StopRequest,
) -> (Exit, Option<tokio::time::Instant>) {
    // Client connections, pool connections, the monitor's and the fold's, and a margin for
    // listeners, logs and the embedded cluster's pipes.
    let descriptors = args.limits.max_connections as u64 + u64::from(args.pool_size) + 64;
    waldur_offering_users::fd_limit::raise_open_file_limit(descriptors);
    let listener = match TcpListener::bind(&args.bind).await {
        Ok(listener) => listener,
        Err(e) => {
            complain(format_args!("error: cannot listen on {}: {e}", args.bind));
            return (Exit::Usage, None);
        }
    };
    let admin = match args.admin_bind.as_str() {
        "off" | "" => None,
        address => match TcpListener::bind(address).await {
            Ok(listener) => Some(listener),
            Err(e) => {
                complain(format_args!("error: cannot listen on {address} (--admin-bind; `off` disables it): {e}"));
                return (Exit::Usage, None);
            }
        },
    };
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or(args.bind.clone());
    say(format_args!("serving http://{address}/api/marketplace-offering-users/"));
    if let Some(admin) = admin.as_ref().and_then(|l| l.local_addr().ok()) {
        say(format_args!("metrics and health on http://{admin}/metrics"));
    }
    let status = StartupStatus::default();
    let ready = async {
        startup::prepare(database, plan, &status).await.map_err(|e| start_failed(&e))?;
        let limits = SessionLimits {
            statement_timeout: args.limits.statement_timeout,
            idle_in_transaction_timeout: args.limits.idle_in_transaction_timeout,
        };
        let pool =
            db::connect(db::limit_sessions(database.options.clone(), limits), args.pool_size).await.map_err(|e| {
                complain(format_args!("error: {e}"));
                Exit::DatabaseUnreachable
            })?;
        if args.demo {
            import_demo(&pool).await?;
        }
        tracing::info!("ready");
        Ok(Ready { pool, options: database.options.clone(), connect_timeout: database.connect_timeout })
    };
    let transport = Transport::from_args(&args.limits);
    let listeners = Listeners { api: listener, admin };
    let settings = Settings::from_args(&args);
    match server::start_and_run(status.clone(), ready, settings, transport, listeners, stop.requested()).await {
        Ok(deadline) => (Exit::Success, Some(deadline)),
        Err(exit) => (exit, None),
    }
}

/// `serve --demo`: the demo directory imported, its tokens printed.
async fn import_demo(pool: &sqlx::PgPool) -> Result<(), Exit> {
    match directory::import_demo(pool).await {
        Ok(summary) => say(format_args!("{}", summary.to_string().trim_end())),
        Err(e) => {
            complain(format_args!("error: {e}"));
            return Err(Exit::Failure);
        }
    }
    say(format_args!("demo tokens (send as 'Authorization: Token <key>'):"));
    for (who, token, what) in demo_tokens() {
        say(format_args!("  {who:<18} {token:<30} {what}"));
    }
    Ok(())
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
