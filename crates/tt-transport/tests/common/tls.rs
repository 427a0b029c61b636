//! A TLS server on 127.0.0.1 with a freshly generated self-signed certificate for
//! `localhost`: what a client that verifies certificates must refuse.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::server::PATIENCE;

/// The server; it stops when dropped.
pub struct SelfSignedServer {
    addr: SocketAddr,
    /// How the first TLS handshake ended (`Err` with rustls' message when the client refused).
    first: watch::Receiver<Option<Result<(), String>>>,
    task: JoinHandle<()>,
}

impl Drop for SelfSignedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SelfSignedServer {
    pub async fn start() -> SelfSignedServer {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (report, first) = watch::channel(None);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let handshake = acceptor.accept(tcp).await;
                report.send_if_modified(|first| {
                    let fresh = first.is_none();
                    if fresh {
                        *first = Some(handshake.map(drop).map_err(|e| e.to_string()));
                    }
                    fresh
                });
            }
        });
        SelfSignedServer { addr, first, task }
    }

    /// `wss://localhost:PORT/feed`.
    pub fn url(&self) -> String {
        format!("wss://localhost:{}/feed", self.addr.port())
    }

    /// How the first handshake ended.
    pub async fn first_handshake(&self) -> Result<(), String> {
        let mut first = self.first.clone();
        tokio::time::timeout(PATIENCE, first.wait_for(Option::is_some))
            .await
            .unwrap()
            .unwrap()
            .clone()
            .unwrap()
    }
}
