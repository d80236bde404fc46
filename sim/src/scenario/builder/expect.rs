//! Expectations about one host's connections, for [`super::ScenarioBuilder::expect_peer`].

use crate::scenario::{AfterSend, ConnectionExpect, PeerExpect, RunExpect, Window};

/// Expectations about the node's connections to one host (`expect.peers.HOST`); see
/// [`PeerExpect`] for what each checks.
#[derive(Debug, Clone, Default)]
pub struct ExpectPeer {
    pub(super) expect: PeerExpect,
}

impl ExpectPeer {
    /// Whether the first connection finished its handshake (`handshake`).
    pub fn handshake(mut self, done: bool) -> Self {
        self.expect.handshake = Some(done);
        self
    }

    /// The node's first disconnect of it has a reason containing `text`
    /// (`disconnect_reason`).
    pub fn disconnect_reason(mut self, text: impl Into<String>) -> Self {
        self.expect.disconnect_reason = Some(text.into());
        self
    }

    /// The node's first disconnect of it falls in `[min_ms, max_ms)` of simulated time
    /// (`disconnected_at`).
    pub fn disconnected_at_ms(mut self, min_ms: u64, max_ms: u64) -> Self {
        self.expect.disconnected_at = Some(Window { min_ms, max_ms });
        self
    }

    /// The node's first disconnect of it falls in `[min_ms, max_ms)` after the node last sent
    /// `command` on that connection (`disconnected_after`).
    pub fn disconnected_after(
        mut self,
        command: impl Into<String>,
        min_ms: u64,
        max_ms: u64,
    ) -> Self {
        self.expect.disconnected_after = Some(AfterSend {
            command: command.into(),
            min_ms,
            max_ms,
        });
        self
    }

    /// Whether the node never disconnected it (`never_disconnected`; `false`: it did).
    pub fn never_disconnected(mut self, never: bool) -> Self {
        self.expect.never_disconnected = Some(never);
        self
    }

    /// The node sent it exactly `count` messages of `command` (`sent`).
    pub fn sent(mut self, command: impl Into<String>, count: u64) -> Self {
        self.expect.sent.insert(command.into(), count);
        self
    }

    /// The node received exactly `count` messages of `command` from it (`received`).
    pub fn received(mut self, command: impl Into<String>, count: u64) -> Self {
        self.expect.received.insert(command.into(), count);
        self
    }

    /// The node added exactly `count` of its headers to its index (`headers_accepted`).
    pub fn headers_accepted(mut self, count: u64) -> Self {
        self.expect.headers_accepted = Some(count);
        self
    }

    /// Every ping it sent was answered within `ms` (`pong_latency_ms_max`).
    pub fn pong_latency_ms_max(mut self, ms: u64) -> Self {
        self.expect.pong_latency_ms_max = Some(ms);
        self
    }

    /// Whether the peer (not the node) ended the first connection (`closed_by_peer`).
    pub fn closed_by_peer(mut self, by_peer: bool) -> Self {
        self.expect.closed_by_peer = Some(by_peer);
        self
    }

    /// Its redial backoffs start with these (`reconnect_backoffs_ms`).
    pub fn reconnect_backoffs_ms(mut self, backoffs_ms: impl IntoIterator<Item = u64>) -> Self {
        self.expect.reconnect_backoffs_ms = Some(backoffs_ms.into_iter().collect());
        self
    }

    /// The commands the node sent on the first connection, exactly and in order
    /// (`sent_sequence`).
    pub fn sent_sequence<S: Into<String>>(mut self, commands: impl IntoIterator<Item = S>) -> Self {
        self.expect.sent_sequence = Some(commands.into_iter().map(Into::into).collect());
        self
    }

    /// The first commands the node sends on its first connection to this peer, in order; the
    /// rest is not checked (`sent_prefix`).
    pub fn sent_prefix<S: Into<String>>(mut self, commands: impl IntoIterator<Item = S>) -> Self {
        self.expect.sent_prefix = Some(commands.into_iter().map(Into::into).collect());
        self
    }

    /// Expectations about node run `run` (1: the first start) (`runs.RUN`); a second call for
    /// the same run adds to the first.
    pub fn run(mut self, run: u32, expect: impl FnOnce(ExpectRun) -> ExpectRun) -> Self {
        let current = self.expect.runs.remove(&run).unwrap_or_default();
        let updated = expect(ExpectRun { expect: current }).expect;
        self.expect.runs.insert(run, updated);
        self
    }

    /// Expectations about its connection number `k` (1 is the first, over all node runs)
    /// (`connections[k - 1]`; the connections before it are listed with no expectation); a
    /// second call for the same connection adds to the first.
    pub fn connection(
        mut self,
        k: usize,
        expect: impl FnOnce(ExpectConnection) -> ExpectConnection,
    ) -> Self {
        let index = k.saturating_sub(1);
        if self.expect.connections.len() <= index {
            self.expect
                .connections
                .resize(index + 1, ConnectionExpect::default());
        }
        let current = std::mem::take(&mut self.expect.connections[index]);
        self.expect.connections[index] = expect(ExpectConnection { expect: current }).expect;
        self
    }
}

/// Expectations about one connection of the node with a host
/// (`expect.peers.HOST.connections[k]`); see [`ConnectionExpect`].
#[derive(Debug, Clone, Default)]
pub struct ExpectConnection {
    expect: ConnectionExpect,
}

impl ExpectConnection {
    /// Whether it finished its handshake (`handshake`).
    pub fn handshake(mut self, done: bool) -> Self {
        self.expect.handshake = Some(done);
        self
    }

    /// The node sent exactly `count` messages of `command` on it (`sent`).
    pub fn sent(mut self, command: impl Into<String>, count: u64) -> Self {
        self.expect.sent.insert(command.into(), count);
        self
    }

    /// The node received exactly `count` messages of `command` on it (`received`).
    pub fn received(mut self, command: impl Into<String>, count: u64) -> Self {
        self.expect.received.insert(command.into(), count);
        self
    }
}

/// Expectations about the node's connections with one host during one node run
/// (`expect.peers.HOST.runs.RUN`); see [`RunExpect`].
#[derive(Debug, Clone, Default)]
pub struct ExpectRun {
    expect: RunExpect,
}

impl ExpectRun {
    /// At least `count` connections (`connections_min`).
    pub fn connections_min(mut self, count: u64) -> Self {
        self.expect.connections_min = Some(count);
        self
    }

    /// Exactly `count` of them finished their handshake (`handshakes`).
    pub fn handshakes(mut self, count: u64) -> Self {
        self.expect.handshakes = Some(count);
        self
    }

    /// The node ended every one of them with a reason containing `text` (`all_disconnected`).
    pub fn all_disconnected(mut self, text: impl Into<String>) -> Self {
        self.expect.all_disconnected = Some(text.into());
        self
    }

    /// Whether the node ended none of them (`never_disconnected`).
    pub fn never_disconnected(mut self, never: bool) -> Self {
        self.expect.never_disconnected = Some(never);
        self
    }
}
