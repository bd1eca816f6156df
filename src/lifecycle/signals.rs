//! What signals do.
//!
//! - SIGINT or SIGTERM: the first asks for a graceful stop (`serve`'s shutdown, bounded by
//!   `--shutdown-timeout`); a second one exits at once ([`Exit::Interrupted`]), after telling an
//!   embedded cluster this process started to stop immediately. Commands without a graceful
//!   stop (`migrate`, `import`) exit at the first one the same way: their work is one
//!   transaction, rolled back.
//! - SIGHUP: logged and ignored (a closed terminal or a supervisor's reload must not kill the
//!   server and leave its embedded cluster running).

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

use super::exit::Exit;

/// Resolves once a graceful stop is asked for.
pub struct StopRequest(watch::Receiver<bool>);

impl StopRequest {
    /// Waits for the first SIGINT/SIGTERM.
    pub async fn requested(mut self) {
        let _ = self.0.wait_for(|asked| *asked).await;
    }
}

/// Takes over SIGINT, SIGTERM and SIGHUP for the rest of the process's life. `graceful`:
/// whether the first SIGINT/SIGTERM asks for a graceful stop (else it exits at once).
/// `before_exit` runs before an exit at once.
pub fn install(graceful: bool, before_exit: impl FnOnce() + Send + 'static) -> std::io::Result<StopRequest> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let (asked, requests) = watch::channel(false);
    let mut before_exit = Some(before_exit);
    tokio::spawn(async move {
        let mut stopping = !graceful;
        loop {
            let name = tokio::select! {
                _ = interrupt.recv() => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
                _ = hangup.recv() => {
                    tracing::info!("SIGHUP ignored");
                    continue;
                }
            };
            if stopping {
                tracing::warn!(signal = name, "stopping at once");
                if let Some(before_exit) = before_exit.take() {
                    before_exit();
                }
                std::process::exit(Exit::Interrupted.code().into());
            }
            tracing::info!(signal = name, "shutting down (a second SIGINT/SIGTERM stops at once)");
            stopping = true;
            let _ = asked.send(true);
        }
    });
    Ok(StopRequest(requests))
}
