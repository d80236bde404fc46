//! [`PROOF_OF_WORK_CHECKED_FIRST`](super::PROOF_OF_WORK_CHECKED_FIRST): a header is checked
//! against the target of its own `bits` before any contextual check, in both profiles (btcd
//! `checkBlockHeaderSanity` before `checkBlockHeaderContext`, `blockchain/validate.go`; Core
//! `CheckBlockHeader` before `ContextualCheckBlockHeader`, `validation.cpp`, and already
//! `HasValidProofOfWork` over the whole message in `ProcessHeadersMessage`). So a header
//! refused as `bad-diffbits` meets the target of the bits it carries: had it missed it, it
//! would have been refused as `high-hash`. The reason names those bits (`got`) and the hash,
//! which is all the rule needs.

use bitcoin::pow::{CompactTarget, Target};
use node::protocol::header_chain::HeaderError;
use node::{DisconnectReason, Event, PeerId};

/// The peer and why, when `event` refuses a header as `bad-diffbits` that misses the target
/// of its own bits.
pub(super) fn order_breach(event: &Event) -> Option<(&PeerId, String)> {
    let (peer, reason) = super::misbehaviour::punished(event)?;
    let DisconnectReason::InvalidHeader(HeaderError::BadDiffBits { hash, got, .. }) = reason else {
        return None;
    };
    let target = Target::from_compact(CompactTarget::from_consensus(*got));
    (!target.is_met_by(*hash)).then(|| {
        (
            peer,
            format!(
                "refused header {hash} as bad-diffbits, though its hash misses the target of its own bits {got:#010x}: its proof of work is checked first (high-hash)"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash as _;
    use bitcoin::BlockHash;

    fn refused(hash: BlockHash, got: u32) -> Event {
        Event::Disconnected {
            peer: PeerId(1),
            reason: DisconnectReason::InvalidHeader(HeaderError::BadDiffBits {
                height: 1,
                hash,
                expected: 0x207f_ffff,
                got,
            }),
        }
    }

    #[test]
    fn a_bad_diffbits_header_must_meet_its_own_target() {
        // All zeros meets every target; all ones (little-endian, so the top byte too) none.
        let low = BlockHash::all_zeros();
        let high = BlockHash::from_byte_array([0xff; 32]);
        assert!(order_breach(&refused(low, 0x207f_fffe)).is_none());
        assert!(order_breach(&refused(high, 0x207f_fffe)).is_some());
        // Other reasons are not judged.
        let other = Event::Disconnected {
            peer: PeerId(1),
            reason: DisconnectReason::InvalidHeader(HeaderError::HighHash {
                index: 0,
                hash: high,
                bits: 0x207f_fffe,
            }),
        };
        assert!(order_breach(&other).is_none());
    }
}
