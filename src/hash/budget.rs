//! How a lane of `hash` and `stats` keeps to the CPU budget ([`crate::cpu`]) while it streams a
//! file: it holds a permit while it has bytes to hash, count or decode, and gives it back
//! before it waits for input (a read ahead, a `--max-rate` sleep, a pipe), so that a lane
//! waiting for I/O never keeps a permit from one that has work.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

use crate::codec::Reader;
use crate::cpu::{self, Permit};

/// A lane's CPU permit, held while there is work at hand. Clones share it (the lane's loop and
/// the [`PermitReader`] under its decoder), and share one wait for it too: a second wait queued
/// behind a forgotten first would never be served, as the semaphore hands permits out in turn.
#[derive(Clone, Default)]
pub(crate) struct LanePermit(Arc<Mutex<Slot>>);

/// Where a lane's permit stands.
#[derive(Default)]
enum Slot {
    #[default]
    Free,
    Waiting(Pin<Box<dyn Future<Output = Permit> + Send>>),
    Held(#[allow(dead_code, reason = "held to be dropped: that gives the permit back")] Permit),
}

impl LanePermit {
    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_held(&self) -> bool {
        matches!(*self.slot(), Slot::Held(_))
    }

    /// Ready once the permit is held (waiting for it, unless it is).
    fn poll_hold(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.slot();
        let permit = match &mut *slot {
            Slot::Held(_) => return Poll::Ready(()),
            Slot::Waiting(acquiring) => ready!(acquiring.as_mut().poll(cx)),
            Slot::Free => {
                let mut acquiring = Box::pin(cpu::acquire());
                let polled = acquiring.as_mut().poll(cx);
                let Poll::Ready(permit) = polled else {
                    *slot = Slot::Waiting(acquiring);
                    return Poll::Pending;
                };
                permit
            }
        };
        *slot = Slot::Held(permit);
        Poll::Ready(())
    }

    /// Waits for the permit unless it is held.
    pub(crate) async fn hold(&self) {
        std::future::poll_fn(|cx| self.poll_hold(cx)).await;
    }

    /// Takes the permit unless it is held, from a blocking thread (a lane).
    pub(crate) fn hold_blocking(&self) {
        if !self.is_held() {
            tokio::runtime::Handle::current().block_on(self.hold());
        }
    }

    /// Gives the permit back (before a wait).
    pub(crate) fn release(&self) {
        *self.slot() = Slot::Free;
    }
}

/// A reader that holds the lane's permit whenever it hands bytes on, and gives it back while
/// its input is not ready: what runs on the bytes it gives (a decoder, the hasher) runs under a
/// permit, the waits for its input do not.
pub(crate) struct PermitReader {
    inner: Reader,
    permit: LanePermit,
}

impl PermitReader {
    /// Reads `inner` under `permit`.
    pub(crate) fn new(inner: Reader, permit: LanePermit) -> Self {
        Self { inner, permit }
    }
}

impl AsyncBufRead for PermitReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if !this.permit.is_held() {
            // Input first: the permit is for working on it, not for waiting for it.
            if let Err(error) = ready!(Pin::new(&mut this.inner).poll_fill_buf(cx)) {
                return Poll::Ready(Err(error));
            }
            ready!(this.permit.poll_hold(cx));
        }
        match Pin::new(&mut this.inner).poll_fill_buf(cx) {
            Poll::Pending => {
                this.permit.release();
                Poll::Pending
            }
            ready => ready,
        }
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut self.get_mut().inner).consume(amt);
    }
}

impl AsyncRead for PermitReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        crate::input::poll_read_buffered(self, cx, buf)
    }
}
