//! The markdown the benchmark prints and writes into `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::path::Path;

/// One row of the table.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub scenario: String,
    pub connections: u32,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub statements: Option<f64>,
    /// pgbench's rate in requests/s, or why there is none.
    pub pgbench: Result<f64, String>,
    pub peak_rss_kb: Option<u64>,
}

/// CPU, cores, memory, kernel and PostgreSQL of this machine.
pub(crate) fn machine(postgres_version: &str) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gb = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, {mem_gb:.1} GiB RAM, Linux {}; {}",
        kernel.trim(),
        postgres_version.split(" on ").next().unwrap_or(postgres_version)
    )
}

fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// The table, with the scenario legend below it.
pub(crate) fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| scenario | conns | req/s | p50 | p99 | errors | SQL stmts/req | pgbench req/s | ours / pgbench | server peak RSS |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let (pgbench, ratio) = match &r.pgbench {
            Ok(rate) => (format!("{rate:.0}"), format!("{:.2}", r.requests_per_sec / rate)),
            Err(_) => ("n/a".into(), "n/a".into()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {} | {} | {} | {pgbench} | {ratio} | {} |",
            r.scenario,
            r.connections,
            r.requests_per_sec,
            ms(r.p50_ms),
            ms(r.p99_ms),
            r.errors,
            r.statements.map_or("n/a".into(), |s| format!("{s:.1}")),
            r.peak_rss_kb.map_or("n/a".into(), |kb| format!("{:.1} MB", kb as f64 / 1024.0)),
        );
    }
    for r in rows {
        if let Err(why) = &r.pgbench {
            let _ = writeln!(out, "\npgbench n/a for {} at {}: {why}", r.scenario, r.connections);
        }
    }
    out
}

/// Replaces the section under `heading` (up to the next `## `) in `file`, or appends it.
pub(crate) fn write_section(file: &Path, heading: &str, body: &str) -> std::io::Result<()> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|_| "# Benchmarks\n".into());
    let section = format!("{heading}\n\n{}\n", body.trim_end());
    let updated = match text.find(&format!("{heading}\n")) {
        Some(start) => {
            let after = start + heading.len() + 1;
            let end = text[after..].find("\n## ").map_or(text.len(), |i| after + i + 1);
            format!("{}{}{}{}", &text[..start], section, if end < text.len() { "\n" } else { "" }, &text[end..])
        }
        None => format!("{}\n{section}", text.trim_end_matches('\n').to_owned() + "\n"),
    };
    std::fs::write(file, updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_and_the_rest_kept() {
        let dir = std::env::temp_dir().join(format!("wou-bench-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("B.md");
        std::fs::write(&file, "# B\n\nintro\n\n## Scale 1k\n\nold\n\n## History\n\nkept\n").expect("write");
        write_section(&file, "## Scale 1k", "new").expect("replace");
        write_section(&file, "## Scale 1m", "added").expect("append");
        let text = std::fs::read_to_string(&file).expect("read");
        assert_eq!(text, "# B\n\nintro\n\n## Scale 1k\n\nnew\n\n## History\n\nkept\n\n## Scale 1m\n\nadded\n");
        std::fs::remove_dir_all(&dir).ok();
    }
}
