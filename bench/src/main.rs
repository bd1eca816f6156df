//! `bench`: the benchmark of the server (BENCHMARKS.md), rerunnable by anyone.
//!
//! 1. Seeds `wou_bench_<scale>` on `DATABASE_URL`'s server (or the embedded cluster in
//!    `./.data/bench-postgres`) with `COPY`, or reuses it when it already holds that scale.
//! 2. Starts the release server as a separate process and captures the SQL each scenario
//!    issues from its statement log (statements per request; the text pgbench replays).
//! 3. Drives every scenario with `wrk` at each connection count, recording requests/s, p50,
//!    p99 and the server's peak RSS; replays the scenario's statements with `pgbench` at the
//!    same concurrency.
//! 4. Prints a markdown table and writes it into `BENCHMARKS.md` under `## Scale <scale>`.
//!
//! `cargo build --release && cargo run --release -p waldur-bench -- --scale 100k`

mod load;
mod replay;
mod report;
mod seed;
mod server;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use waldur_offering_users::domain::state::Transition;
use waldur_offering_users::embedded::{Durability, EmbeddedCluster};
use waldur_offering_users::store::auth::hash_key;
use waldur_offering_users::MIGRATOR;

use replay::{Statement, Values};
use report::Row;
use seed::Principals;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scale {
    #[value(name = "1k")]
    K1,
    #[value(name = "100k")]
    K100,
    #[value(name = "1m")]
    M1,
}

impl Scale {
    fn rows(self) -> i64 {
        match self {
            Scale::K1 => 1_000,
            Scale::K100 => 100_000,
            Scale::M1 => 1_000_000,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scale::K1 => "1k",
            Scale::K100 => "100k",
            Scale::M1 => "1m",
        }
    }
}

/// Benchmark the server at a chosen scale and write the table into BENCHMARKS.md.
#[derive(Debug, Parser)]
#[command(name = "bench")]
struct Args {
    /// Offering users in the database: 1k, 100k or 1m.
    #[arg(long, value_enum)]
    scale: Scale,
    /// HTTP connections (and pgbench clients), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    connections: Vec<u32>,
    /// Length of each wrk and pgbench run (`10s`, `1m`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: u64,
    /// Scenarios to run, comma-separated (S1…S6).
    #[arg(long, value_delimiter = ',', default_value = "S1,S2,S3,S4,S5,S6")]
    scenarios: Vec<String>,
    /// The markdown file to write the `## Scale <scale>` section into.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// Print the table only; leave the markdown file alone.
    #[arg(long)]
    no_write: bool,
    /// Also write `EXPLAIN (ANALYZE, BUFFERS)` of the read scenarios' statements to this file.
    #[arg(long)]
    explain: Option<PathBuf>,
    /// Seed again even if the database already holds this scale.
    #[arg(long)]
    reseed: bool,
    /// Seed (or check) the database, then exit.
    #[arg(long)]
    seed_only: bool,
    /// Skip the pgbench replay.
    #[arg(long)]
    no_pgbench: bool,
    /// The server's connection pool size (`serve --pool-size`).
    #[arg(long, default_value_t = 16)]
    pool_size: u32,
    /// The server binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/waldur-offering-users")]
    server: PathBuf,
    /// PostgreSQL server to create `wou_bench_<scale>` on; the embedded cluster if unset.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Data directory of the embedded cluster (when there is no DATABASE_URL).
    #[arg(long, default_value = "./.data/bench-postgres")]
    data_dir: PathBuf,
    /// Where scripts and server logs go.
    #[arg(long, default_value = "target/bench")]
    work_dir: PathBuf,
}

fn parse_duration(text: &str) -> Result<u64, String> {
    let (number, factor) = match text.strip_suffix('m') {
        Some(n) => (n, 60),
        None => (text.strip_suffix('s').unwrap_or(text), 1),
    };
    number.parse::<u64>().map(|n| n * factor).map_err(|_| format!("not a duration: {text} (e.g. 10s, 1m)"))
}

/// What one scenario does.
#[derive(Debug, Clone)]
struct Scenario {
    id: &'static str,
    /// For the legend.
    description: &'static str,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// The same request over and over.
    Fixed { method: &'static str, path: String, token: String, values: Values },
    /// S6: begin_creating then username PATCH on distinct pool records.
    Transitions { token: String, begin: Values, patch: Values },
}

const LIST: &str = "/api/marketplace-offering-users/";
/// S6 pool records start at this id (far above the seeded ones).
const POOL_FIRST_ID: i64 = 100_000_000;

fn scenarios(p: &Principals) -> Vec<Scenario> {
    let owner_s1 = |token: &str| Values {
        caller_id: seed::S1_OWNER_ID,
        token_hash: hash_key(token),
        limit: 10,
        ..Default::default()
    };
    let staff =
        Values { caller_id: seed::STAFF_ID, token_hash: hash_key(&p.staff_token), limit: 10, ..Default::default() };
    let begin = Transition::BeginCreating;
    vec![
        Scenario {
            id: "S1",
            description:
                "agent poll: `?offering_uuid=X&is_restricted=false&page_size=100`, the offering with 10k users \
                          (min(10k, scale/2)), its provider's owner",
            kind: Kind::Fixed {
                method: "GET",
                path: format!("{LIST}?offering_uuid={}&is_restricted=false&page_size=100", p.s1_offering_uuid.simple()),
                token: p.s1_owner_token.clone(),
                values: Values {
                    offering_uuid: Some(p.s1_offering_uuid),
                    is_restricted: Some(false),
                    limit: 100,
                    ..owner_s1(&p.s1_owner_token)
                },
            },
        },
        Scenario {
            id: "S2",
            description: "staff list `?page_size=10` over everything (exact `X-Result-Count`)",
            kind: Kind::Fixed {
                method: "GET",
                path: format!("{LIST}?page_size=10"),
                token: p.staff_token.clone(),
                values: staff.clone(),
            },
        },
        Scenario {
            id: "S3",
            description: "owner of 50 offerings: `?state=OK&query=smi&page_size=10`",
            kind: Kind::Fixed {
                method: "GET",
                path: format!("{LIST}?state=OK&query=smi&page_size=10"),
                token: p.s3_owner_token.clone(),
                values: Values {
                    caller_id: seed::S3_OWNER_ID,
                    token_hash: hash_key(&p.s3_owner_token),
                    states: Some(vec![5]),
                    query: Some("smi".into()),
                    limit: 10,
                    ..Default::default()
                },
            },
        },
        Scenario {
            id: "S4",
            description: "retrieve one record of the S1 offering as its provider's owner",
            kind: Kind::Fixed {
                method: "GET",
                path: format!("{LIST}{}/", p.s4_record_uuid.simple()),
                token: p.s1_owner_token.clone(),
                values: Values { record_uuid: Some(p.s4_record_uuid), ..owner_s1(&p.s1_owner_token) },
            },
        },
        Scenario {
            id: "S5",
            description: "`HEAD` count as staff, no filter (exact count of every record)",
            kind: Kind::Fixed { method: "HEAD", path: LIST.to_owned(), token: p.staff_token.clone(), values: staff },
        },
        Scenario {
            id: "S6",
            description: "agents: `begin_creating` then username `PATCH` on distinct Requested records (one row per \
                          request: req/s = transitions/s)",
            kind: Kind::Transitions {
                token: p.s1_owner_token.clone(),
                begin: Values {
                    pool_record: true,
                    target_state: Some(begin.target().db()),
                    source_states: Some(begin.sources().iter().map(|s| s.db()).collect()),
                    action: Some(begin.action().to_owned()),
                    ..owner_s1(&p.s1_owner_token)
                },
                patch: Values {
                    pool_record: true,
                    action: Some("marketplace_offering_user_updated".into()),
                    new_username: Some("agent".into()),
                    ..owner_s1(&p.s1_owner_token)
                },
            },
        },
    ]
}

/// What the calibration learnt about a scenario.
struct Calibration {
    statements_per_request: f64,
    /// The statements of one request (two for S6), with their values.
    requests: Vec<(Vec<Statement>, Values)>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    if !load::wrk_available() {
        return Err(load::WRK_MISSING.into());
    }
    if !args.server.is_file() && !args.seed_only {
        return Err(format!("no server binary at {}: run `cargo build --release` first", args.server.display()));
    }
    warn_if_stale(&args.server);
    std::fs::create_dir_all(&args.work_dir).map_err(|e| e.to_string())?;
    let work_dir = args.work_dir.canonicalize().map_err(|e| e.to_string())?;

    // The database server: DATABASE_URL's, or the embedded cluster.
    let (admin, cluster) = match args.database_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => (PgConnectOptions::from_str(url).map_err(|e| format!("bad DATABASE_URL: {e}"))?, None),
        None => {
            let cluster = EmbeddedCluster::start_shared(&args.data_dir, Durability::Fast)
                .map_err(|e| format!("embedded PostgreSQL: {e:?}"))?;
            (cluster.connect_options(), Some(cluster))
        }
    };
    let db_name = format!("wou_bench_{}", args.scale.name());
    let url = database_url(args.database_url.as_deref(), &admin, &db_name)?;
    let result = bench(&args, &admin, &db_name, &url, &work_dir).await;
    if let Some(cluster) = cluster {
        cluster.stop_within(std::time::Duration::from_secs(60));
    }
    result
}

async fn bench(args: &Args, admin: &PgConnectOptions, db_name: &str, url: &str, work_dir: &Path) -> Result<(), String> {
    let scale = args.scale;
    let seeding = prepare_database(admin, db_name, scale.rows(), args.reseed).await?;
    if args.seed_only {
        return Ok(());
    }
    let bench_options = admin.clone().database(db_name);
    let mut conn = bench_options.connect().await.map_err(|e| e.to_string())?;
    let pg_version: String =
        sqlx::query_scalar("SELECT version()").fetch_one(&mut conn).await.map_err(|e| e.to_string())?;
    // Fresh tokens: no sliding refresh inside the runs (it happens at most once a minute).
    sqlx::query("UPDATE api_tokens SET created = now()").execute(&mut conn).await.map_err(|e| e.to_string())?;

    let principals = Principals::new();
    let chosen: Vec<Scenario> = scenarios(&principals)
        .into_iter()
        .filter(|s| args.scenarios.iter().any(|c| c.eq_ignore_ascii_case(s.id)))
        .collect();
    let has_s6 = chosen.iter().any(|s| matches!(s.kind, Kind::Transitions { .. }));
    let pool_size = (args.duration as i64 * 5_000).clamp(20_000, seed::POOL_CAPACITY);

    // Calibration: statements per request and their text, from the statement log.
    println!("calibrating (statement log) …");
    let log = work_dir.join(format!("server-{}-calibration.log", scale.name()));
    let mut server = server::Server::start(&args.server, url, args.pool_size, "warn,sqlx::query=debug", &log, true)?;
    let mut calibrations = Vec::new();
    for scenario in &chosen {
        if has_s6 && matches!(scenario.kind, Kind::Transitions { .. }) {
            seed::reset_pool(&mut conn, POOL_FIRST_ID, 100).await.map_err(|e| e.to_string())?;
        }
        let c = calibrate(&server, scenario, &log)?;
        println!("  {}: {:.1} statements/request", scenario.id, c.statements_per_request);
        calibrations.push(c);
    }
    server.stop();

    let explained = match &args.explain {
        Some(file) => Some(explain(&chosen, &calibrations, url, file)?),
        None => None,
    };

    let log = work_dir.join(format!("server-{}.log", scale.name()));
    let mut server = server::Server::start(&args.server, url, args.pool_size, "warn", &log, false)?;
    let mut rows = Vec::new();
    for &connections in &args.connections {
        for (scenario, calibration) in chosen.iter().zip(&calibrations) {
            let name = format!("{}-{}-c{connections}", scale.name(), scenario.id);
            let (script, wrk_args) = match &scenario.kind {
                Kind::Fixed { method, path, token, .. } => (load::fixed_request_script(method, path, token), vec![]),
                Kind::Transitions { token, .. } => {
                    seed::reset_pool(&mut conn, POOL_FIRST_ID, pool_size).await.map_err(|e| e.to_string())?;
                    let threads = connections.clamp(1, 2) as i64;
                    let wrk_args =
                        vec![POOL_FIRST_ID.to_string(), (pool_size / threads).to_string(), connections.to_string()];
                    (load::transitions_script(token), wrk_args)
                }
            };
            server.reset_peak_rss();
            let wrk = load::run_wrk(server.addr, &script, work_dir, &name, connections, args.duration, &wrk_args)?;
            let peak_rss_kb = server.peak_rss_kb();
            let pgbench = if args.no_pgbench {
                Err("skipped (--no-pgbench)".to_owned())
            } else {
                replay_with_pgbench(
                    &mut conn,
                    scenario,
                    calibration,
                    url,
                    work_dir,
                    &name,
                    connections,
                    args.duration,
                    pool_size,
                )
                .await
            };
            let row = Row {
                scenario: scenario.id.to_owned(),
                connections,
                requests_per_sec: wrk.requests_per_sec,
                p50_ms: wrk.p50_ms,
                p99_ms: wrk.p99_ms,
                errors: wrk.errors,
                statements: Some(calibration.statements_per_request),
                pgbench,
                peak_rss_kb,
            };
            println!(
                "  {} c={connections}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors, pgbench {}",
                row.scenario,
                row.requests_per_sec,
                row.p50_ms,
                row.p99_ms,
                row.errors,
                row.pgbench.as_ref().map_or_else(|e| e.clone(), |r| format!("{r:.0}/s"))
            );
            rows.push(row);
        }
    }
    server.stop();
    if has_s6 {
        seed::drop_pool(&mut conn).await.map_err(|e| e.to_string())?;
    }

    let body = section(args, &chosen, &rows, &pg_version, &seeding);
    println!("\n## Scale {}\n\n{body}", scale.name());
    if let Some(file) = explained {
        println!("query plans written to {}", file.display());
    }
    if !args.no_write {
        report::write_section(&args.out, &format!("## Scale {}", scale.name()), &body).map_err(|e| e.to_string())?;
        println!("written to {}", args.out.display());
    }
    Ok(())
}

/// The URL of `db_name` on the server `admin` points at, as the server, pgbench and psql take it.
fn database_url(given: Option<&str>, admin: &PgConnectOptions, db_name: &str) -> Result<String, String> {
    if let Some(given) = given.filter(|u| !u.is_empty()) {
        let mut url = url::Url::parse(given).map_err(|e| format!("bad DATABASE_URL: {e}"))?;
        url.set_path(&format!("/{db_name}"));
        return Ok(url.to_string());
    }
    let socket = admin.get_socket().ok_or("embedded cluster without a socket")?;
    Ok(format!("postgresql://{}@/{db_name}?host={}&port={}", admin.get_username(), socket.display(), admin.get_port()))
}

/// How the database came to be.
struct Seeding {
    reused: bool,
    seconds: f64,
    rows: i64,
}

/// Creates and seeds `db_name`, or reuses it when its marker says it holds `rows` rows of
/// this generator version and its migrations are current.
async fn prepare_database(admin: &PgConnectOptions, db_name: &str, rows: i64, reseed: bool) -> Result<Seeding, String> {
    let err = |e: sqlx::Error| e.to_string();
    let mut conn = admin.connect().await.map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(db_name)
        .fetch_one(&mut conn)
        .await
        .map_err(err)?;
    if exists && !reseed {
        let mut db = admin.clone().database(db_name).connect().await.map_err(err)?;
        let marker: Option<(i64, i32, f64)> =
            sqlx::query_as("SELECT offering_users, seed_version, seconds FROM bench_seed")
                .fetch_optional(&mut db)
                .await
                .unwrap_or(None);
        if let Some((seeded, version, seconds)) = marker {
            if seeded == rows && version == seed::SEED_VERSION && MIGRATOR.run(&mut db).await.is_ok() {
                seed::drop_pool(&mut db).await.map_err(err)?;
                println!("reusing {db_name} ({rows} offering users, seeded earlier in {seconds:.1} s)");
                return Ok(Seeding { reused: true, seconds, rows });
            }
        }
        db.close().await.ok();
    }
    println!("seeding {db_name} with {rows} offering users …");
    let started = Instant::now();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")).execute(&mut conn).await.map_err(err)?;
    sqlx::query(&format!("CREATE DATABASE {db_name}")).execute(&mut conn).await.map_err(err)?;
    let mut db = admin.clone().database(db_name).connect().await.map_err(err)?;
    MIGRATOR.run(&mut db).await.map_err(|e| format!("migrations: {e}"))?;
    let written = seed::seed(&mut db, rows).await.map_err(|e| format!("seeding: {e}"))?;
    let vacuum = Instant::now();
    sqlx::query("VACUUM (ANALYZE)").execute(&mut db).await.map_err(err)?;
    println!("  VACUUM (ANALYZE) in {:.1} s", vacuum.elapsed().as_secs_f64());
    let seconds = started.elapsed().as_secs_f64();
    sqlx::query(
        "CREATE TABLE bench_seed (offering_users bigint NOT NULL, seed_version integer NOT NULL, \
         seconds float8 NOT NULL, seeded_at timestamptz NOT NULL DEFAULT now())",
    )
    .execute(&mut db)
    .await
    .map_err(err)?;
    sqlx::query("INSERT INTO bench_seed (offering_users, seed_version, seconds) VALUES ($1, $2, $3)")
        .bind(written)
        .bind(seed::SEED_VERSION)
        .bind(seconds)
        .execute(&mut db)
        .await
        .map_err(err)?;
    println!("seeded {written} offering users in {seconds:.1} s (COPY, indexes, VACUUM ANALYZE)");
    Ok(Seeding { reused: false, seconds, rows: written })
}

/// Sends a few requests of the scenario one after another and reads the statements they
/// caused from the server's log.
fn calibrate(server: &server::Server, scenario: &Scenario, log: &Path) -> Result<Calibration, String> {
    const N: usize = 10;
    // Warm the connections (prepared-statement cache), then measure.
    let send = |i: usize| -> Result<usize, String> {
        let check = |(status, body): (u16, String), what: &str| {
            if (200..300).contains(&status) {
                Ok(())
            } else {
                Err(format!("{} calibration: {what} answered {status}: {body}", scenario.id))
            }
        };
        match &scenario.kind {
            Kind::Fixed { method, path, token, .. } => {
                check(server::request(server.addr, method, path, token, None)?, path)?;
                Ok(1)
            }
            Kind::Transitions { token, .. } => {
                let path = format!("{LIST}{}/", seed::pool_uuid(POOL_FIRST_ID + i as i64));
                check(server::request(server.addr, "POST", &format!("{path}begin_creating/"), token, None)?, "begin")?;
                let body = format!("{{\"username\": \"agent{i}\"}}");
                check(server::request(server.addr, "PATCH", &path, token, Some(&body))?, "PATCH")?;
                Ok(2)
            }
        }
    };
    send(99)?;
    std::thread::sleep(std::time::Duration::from_millis(100));
    let start = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0) as usize;
    let mut requests = 0;
    for i in 0..N {
        requests += send(i)?;
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let text = std::fs::read(log).map_err(|e| e.to_string())?;
    let statements = replay::parse_log(&String::from_utf8_lossy(&text[start.min(text.len())..]));
    if statements.is_empty() {
        return Err(format!("{}: no statements in the server log {}", scenario.id, log.display()));
    }
    // Split into requests: each starts with the token lookup.
    let mut per_request: Vec<Vec<Statement>> = Vec::new();
    for s in statements.iter() {
        if replay::is_token_lookup(s) || per_request.is_empty() {
            per_request.push(Vec::new());
        }
        if let Some(last) = per_request.last_mut() {
            last.push(s.clone());
        }
    }
    let requests_of_last = match &scenario.kind {
        Kind::Fixed { values, .. } => vec![(per_request.pop().unwrap_or_default(), values.clone())],
        Kind::Transitions { begin, patch, .. } => {
            let patch_statements = per_request.pop().unwrap_or_default();
            let begin_statements = per_request.pop().unwrap_or_default();
            vec![(begin_statements, begin.clone()), (patch_statements, patch.clone())]
        }
    };
    Ok(Calibration {
        statements_per_request: replay::statement_count(&statements) as f64 / requests as f64,
        requests: requests_of_last,
    })
}

#[allow(clippy::too_many_arguments)]
async fn replay_with_pgbench(
    conn: &mut PgConnection,
    scenario: &Scenario,
    calibration: &Calibration,
    url: &str,
    work_dir: &Path,
    name: &str,
    connections: u32,
    seconds: u64,
    pool_size: i64,
) -> Result<f64, String> {
    let pool = match scenario.kind {
        Kind::Transitions { .. } => {
            seed::reset_pool(conn, POOL_FIRST_ID, pool_size).await.map_err(|e| e.to_string())?;
            Some((POOL_FIRST_ID - 1, pool_size / i64::from(connections)))
        }
        Kind::Fixed { .. } => None,
    };
    let script = replay::pgbench_script(&calibration.requests, pool)?;
    let scripts_per_sec = replay::run_pgbench(&script, work_dir, name, url, connections, seconds)?;
    // One script run replays one request (S6: two).
    Ok(scripts_per_sec * calibration.requests.len() as f64)
}

/// Writes EXPLAIN (ANALYZE, BUFFERS) of every read statement (after the token lookup).
fn explain(chosen: &[Scenario], calibrations: &[Calibration], url: &str, file: &Path) -> Result<PathBuf, String> {
    let mut out = String::new();
    for (scenario, calibration) in chosen.iter().zip(calibrations) {
        let Kind::Fixed { method, path, values, .. } = &scenario.kind else { continue };
        for (statements, _) in &calibration.requests {
            let token = statements.iter().find(|s| replay::is_token_lookup(s)).ok_or("no token statement")?;
            for (i, statement) in statements.iter().enumerate().filter(|(_, s)| !replay::is_token_lookup(s)) {
                let label = format!("{} {method} {path} — statement {}", scenario.id, i + 1);
                let script = replay::explain_script(&label, token, statement, values)?;
                out.push_str(&format!("\n{label}\n\n```sql\n{}\n```\n\n```\n", statement.sql.trim()));
                out.push_str(&replay::run_psql(url, &script)?);
                out.push_str("```\n");
            }
        }
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(file, out).map_err(|e| e.to_string())?;
    Ok(file.to_owned())
}

/// The markdown under `## Scale <scale>`.
fn section(args: &Args, chosen: &[Scenario], rows: &[Row], pg_version: &str, seeding: &Seeding) -> String {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let dirty = std::process::Command::new("git")
        .args(["status", "--porcelain", "--", "src", "migrations", "Cargo.toml"])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    let built = std::fs::metadata(&args.server)
        .and_then(|m| m.modified())
        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| "?".into());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    out.push_str(&format!(
        "Run {} at commit `{commit}`{} (server binary built {built}); {} offering users ({}); {} s per run; \
         server pool {} connections; load average at the end {load}.\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        if dirty { " plus uncommitted changes" } else { "" },
        seeding.rows,
        if seeding.reused {
            format!("database reused, seeded earlier in {:.1} s", seeding.seconds)
        } else {
            format!("seeded in {:.1} s", seeding.seconds)
        },
        args.duration,
        args.pool_size
    ));
    out.push_str(&format!("Machine: {}.\n\n", report::machine(pg_version)));
    out.push_str(&report::table(rows));
    out.push('\n');
    for s in chosen {
        out.push_str(&format!("- **{}**: {}\n", s.id, s.description));
    }
    out
}

/// Warns when a source file is newer than the server binary.
fn warn_if_stale(server: &Path) {
    let built = std::fs::metadata(server).and_then(|m| m.modified()).ok();
    // The benchmark's own sources (src/bin) do not go into the server.
    let newest = ["src/http", "src/store", "src/domain", "src/directory", "migrations"]
        .iter()
        .filter_map(|d| newest_mtime(Path::new(d)))
        .chain(
            ["src/lib.rs", "src/main.rs", "src/db.rs", "src/config.rs"]
                .iter()
                .filter_map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok()),
        )
        .max();
    if let (Some(built), Some(newest)) = (built, newest) {
        if newest > built {
            eprintln!("warning: sources are newer than {}: run `cargo build --release`", server.display());
        }
    }
}

fn newest_mtime(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let t = if path.is_dir() { newest_mtime(&path) } else { entry.metadata().and_then(|m| m.modified()).ok() };
        newest = newest.max(t);
    }
    newest
}
