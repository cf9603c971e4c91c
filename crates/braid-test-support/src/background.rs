//! An axum app served on 127.0.0.1 from a thread of its own with its own tokio runtime, so a fake
//! server works the same from sync and async tests, and stops (its thread joined) when dropped. The
//! scripted model server and the fake GitHub both run on it.

use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use tokio::sync::oneshot;

/// A running server; dropping it stops the server.
#[derive(Debug)]
pub(crate) struct Background {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Serves `app` on a free port of 127.0.0.1 and returns once it accepts connections; `name` names the
    /// thread and the panics.
    ///
    /// Panics when no port can be bound or the runtime cannot be built, which only a broken test
    /// environment causes.
    pub(crate) fn start(name: &str, app: Router) -> Background {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{name}: cannot bind a port: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{name}: bound socket has no address: {e}"));
        listener.set_nonblocking(true).unwrap_or_else(|e| panic!("{name}: cannot make the listener non-blocking: {e}"));
        let (shutdown, stop) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{name}: cannot build a tokio runtime: {e}"));
        let label = name.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .unwrap_or_else(|e| panic!("{label}: cannot register the listener with tokio: {e}"))
                        // Events go out as many small writes; without TCP_NODELAY, Nagle's algorithm and
                        // delayed ACKs add tens of milliseconds per request.
                        .tap_io(|stream| {
                            let _ = stream.set_nodelay(true);
                        });
                    // Dropping the accept loop on shutdown is enough: the runtime is shut down right after,
                    // which also ends stalled streams that would otherwise keep a graceful shutdown waiting.
                    tokio::select! {
                        _ = axum::serve(listener, app).into_future() => {}
                        _ = stop => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .unwrap_or_else(|e| panic!("{name}: cannot spawn its thread: {e}"));
        Background { addr, shutdown: Some(shutdown), thread: Some(thread) }
    }

    /// Where the server listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
