//! The node's event sink inside the simulator ([`SimSink`]): every event goes to the run's
//! trace recorder and to its invariant checker.

use std::cell::RefCell;
use std::rc::Rc;

use node::runtime::EventSink;
use node::{Event, Node, PeerId};

use crate::harness::invariants::Checker;
use crate::harness::trace::Recorder;

/// The node's event sink inside the simulator: forwards every event to a shared [`Recorder`]
/// and, when given, to the run's invariant [`Checker`].
#[derive(Debug, Clone)]
pub struct SimSink {
    /// The trace.
    pub recorder: Rc<RefCell<Recorder>>,
    /// The invariant checker, if any.
    pub checker: Option<Rc<RefCell<Checker>>>,
}

impl EventSink for SimSink {
    fn record(&mut self, now_ms: u64, event: &Event, node: &Node) {
        self.recorder.borrow_mut().record(now_ms, event);
        if let Some(checker) = &self.checker {
            checker.borrow_mut().event(now_ms, event, node);
        }
    }

    fn persisted(&mut self, _now_ms: u64, update: &node::protocol::header_chain::ChainUpdate) {
        if let Some(checker) = &self.checker {
            checker.borrow_mut().persisted(update);
        }
    }

    fn outbound_queued(&mut self, peer: PeerId, depth: node::runtime::QueueDepth) {
        if let Some(checker) = &self.checker {
            checker.borrow_mut().outbound_queued(peer, depth);
        }
    }
}
