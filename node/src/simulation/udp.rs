//! quinn over turmoil's simulated UDP: the small `AsyncUdpSocket` adapter
//! that lets the cluster's real QUIC transport run inside a simulation.

use std::fmt;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use quinn::udp::{RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, UdpPoller};

type Readable = Pin<Box<dyn std::future::Future<Output = io::Result<()>> + Send>>;

/// A turmoil UDP socket as quinn sees one.
pub struct SimSocket {
    socket: Arc<turmoil::net::UdpSocket>,
    /// The pending wait for a datagram (quinn polls receive from one task).
    readable: Mutex<Option<Readable>>,
}

impl fmt::Debug for SimSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimSocket")
            .field("local", &self.socket.local_addr().ok())
            .finish()
    }
}

impl SimSocket {
    /// Binds a simulated socket (inside a turmoil host).
    pub async fn bind(addr: SocketAddr) -> io::Result<Arc<SimSocket>> {
        let socket = turmoil::net::UdpSocket::bind(addr).await?;
        Ok(Arc::new(SimSocket {
            socket: Arc::new(socket),
            readable: Mutex::new(None),
        }))
    }

    /// Binds `0.0.0.0:port`, retrying for up to 10 s: after a crash the
    /// previous instance's socket may still hold the port.
    pub async fn bind_port(port: u16) -> Option<Arc<SimSocket>> {
        for _ in 0..100 {
            if let Ok(socket) = SimSocket::bind(SocketAddr::from(([0, 0, 0, 0], port))).await {
                return Some(socket);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        None
    }
}

/// Sends never block on the simulated network.
#[derive(Debug)]
struct AlwaysWritable;

impl UdpPoller for AlwaysWritable {
    fn poll_writable(self: Pin<&mut Self>, _cx: &mut Context) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncUdpSocket for SimSocket {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        Box::pin(AlwaysWritable)
    }

    fn try_send(&self, transmit: &Transmit) -> io::Result<()> {
        match transmit.segment_size {
            Some(size) if size < transmit.contents.len() => {
                for chunk in transmit.contents.chunks(size) {
                    self.socket.try_send_to(chunk, transmit.destination)?;
                }
            }
            _ => {
                self.socket
                    .try_send_to(transmit.contents, transmit.destination)?;
            }
        }
        Ok(())
    }

    fn poll_recv(
        &self,
        cx: &mut Context,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        let (Some(buf), Some(slot)) = (bufs.first_mut(), meta.first_mut()) else {
            return Poll::Ready(Ok(0));
        };
        loop {
            match self.socket.try_recv_from(buf) {
                Ok((len, from)) => {
                    *slot = RecvMeta {
                        addr: from,
                        len,
                        stride: len,
                        ..RecvMeta::default()
                    };
                    return Poll::Ready(Ok(1));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            let mut pending = self.readable.lock().unwrap_or_else(|e| e.into_inner());
            let future = pending.get_or_insert_with(|| {
                let socket = self.socket.clone();
                Box::pin(async move { socket.readable().await })
            });
            match future.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    *pending = None;
                    result?;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}
