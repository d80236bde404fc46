//! The node's [`Network`] trait over turmoil's simulated TCP.

use std::io;

use node::runtime::Network;

/// turmoil's TCP. Addresses are `host:port` with turmoil host names; an accepted peer is
/// labelled by its host name only (never its ephemeral port, which must not reach the trace).
#[derive(Debug, Clone, Copy, Default)]
pub struct TurmoilNetwork;

impl Network for TurmoilNetwork {
    type Stream = turmoil::net::TcpStream;
    type Listener = turmoil::net::TcpListener;

    async fn connect(&self, addr: &str) -> io::Result<Self::Stream> {
        // turmoil's error text is the resolved IP and port; name the host we dialled instead.
        turmoil::net::TcpStream::connect(addr)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("{addr}: {}", e.kind())))
    }

    async fn bind(&self, addr: &str) -> io::Result<Self::Listener> {
        turmoil::net::TcpListener::bind(addr).await
    }

    async fn accept(&self, listener: &Self::Listener) -> io::Result<(Self::Stream, String)> {
        let (stream, remote) = listener.accept().await?;
        let host = turmoil::reverse_lookup(remote.ip()).unwrap_or_else(|| remote.ip().to_string());
        Ok((stream, host))
    }
}
