//! Requests to the running daemon (stop, reload) and how they arrive:
//! Unix signals, handled on the tokio runtime.
//!
//! - SIGHUP: reload configuration and rules.
//! - SIGTERM, SIGINT: stop reading, drain, deliver, checkpoint, exit 0. The
//!   first one starts the shutdown timeout, after which failing sinks are
//!   aborted (their memory queues go to the spool); a second one aborts at
//!   once.

use crate::source::tail::Waiter;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Notify;

/// What the daemon has been asked to do.
#[derive(Debug, Default)]
pub struct Control {
    stop: AtomicBool,
    reload: AtomicBool,
    wake: Notify,
}

impl Control {
    /// Nothing requested.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stop (idempotent).
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Reload at the next opportunity.
    pub fn request_reload(&self) {
        self.reload.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Whether a stop was requested.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Takes a pending reload request.
    pub fn take_reload(&self) -> bool {
        self.reload.swap(false, Ordering::SeqCst)
    }

    /// Whether a reload waits.
    pub fn reload_pending(&self) -> bool {
        self.reload.load(Ordering::SeqCst)
    }

    /// Wakes the tailer (a file event or a request). A wake with nobody
    /// waiting is kept for the next wait, so none is lost.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The tailer's [`Waiter`]: stops for a stop or reload request, sleeps on
/// the runtime until a wake or the timeout.
#[derive(Debug)]
pub struct TailWaiter {
    /// Requests.
    pub control: Arc<Control>,
    /// The daemon's runtime (the tailer runs on a plain thread).
    pub rt: tokio::runtime::Handle,
}

impl Waiter for TailWaiter {
    fn should_stop(&self) -> bool {
        self.control.stopping() || self.control.reload_pending()
    }

    fn wait(&self, timeout: Duration) {
        let c = self.control.clone();
        self.rt.block_on(async move {
            let _ = tokio::time::timeout(timeout, c.wake.notified()).await;
        });
    }
}

/// Installs the signal handlers (call on the runtime, before reading
/// anything, so an early SIGTERM is not fatal) and serves them until the
/// process ends. `abort` gives failing sinks up; it runs `timeout` after
/// the first stop signal, or at once on the second.
pub fn install_signals(
    control: Arc<Control>,
    timeout: Duration,
    abort: Arc<dyn Fn() + Send + Sync>,
) -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        let mut stops = 0u32;
        loop {
            let name = tokio::select! {
                _ = hup.recv() => {
                    crate::info!("SIGHUP: reloading configuration and rules");
                    control.request_reload();
                    continue;
                }
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            stops += 1;
            if stops == 1 {
                crate::info!(
                    "{name}: stopping (draining and delivering for up to {:.0}s)",
                    timeout.as_secs_f64()
                );
                control.request_stop();
                let abort = abort.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(timeout).await;
                    crate::warn!("shutdown timeout: giving up on sinks that still fail");
                    abort();
                });
            } else {
                crate::warn!("{name} again: giving up on sinks that still fail, now");
                abort();
            }
        }
    })
}
