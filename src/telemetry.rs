//! Logging: `RUST_LOG` decides what is printed (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the global tracing subscriber; calling it twice is harmless.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}
