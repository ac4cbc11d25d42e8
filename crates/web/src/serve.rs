//! Binding and serving with graceful shutdown.

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Endpoint, Server};
use std::net::SocketAddr;
use std::time::Duration;

/// A bound listener whose address is known before serving (port 0 in tests).
pub struct Bound {
    acceptor: poem::listener::TcpAcceptor,
    pub addr: SocketAddr,
}

pub async fn bind(addr: &str) -> std::io::Result<Bound> {
    let acceptor = TcpListener::bind(addr.to_owned()).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("listener has no socket address"))?;
    Ok(Bound { acceptor, addr })
}

impl Bound {
    /// Serves until `shutdown` resolves, then gives in-flight requests 30 s.
    pub async fn serve<E: Endpoint + 'static>(
        self,
        app: E,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, shutdown, Some(Duration::from_secs(30)))
            .await
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
