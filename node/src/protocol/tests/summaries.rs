//! The trace's summaries of messages ([`MessageSummary`](crate::protocol::events::MessageSummary)).

use super::*;

/// The trace's words for a message: each summary's key fields as the trace shows them,
/// and the height of a `getheaders`' first locator entry (the run report's
/// `first_locator_height`).
#[test]
fn message_summaries_render_their_key_fields_and_the_first_locator_height() {
    let chain = HeaderChain::new(REGTEST);
    let genesis = chain.tip_hash();
    let summary = |message: &NetworkMessage| events::MessageSummary::of(message, &chain);
    assert_eq!(
        summary(&NetworkMessage::Ping(0x2a)).fields(),
        "nonce=0x000000000000002a"
    );
    assert_eq!(
        summary(&NetworkMessage::Headers(vec![])).fields(),
        "count=0"
    );
    assert_eq!(summary(&NetworkMessage::Verack).fields(), "");
    let getheaders = |locator: Vec<BlockHash>| {
        NetworkMessage::GetHeaders(GetHeadersMessage {
            version: 70_016,
            locator_hashes: locator,
            stop_hash: BlockHash::all_zeros(),
        })
    };
    let known = summary(&getheaders(vec![genesis]));
    assert_eq!(
        known.fields(),
        format!("locator_len=1 locator_heights=[0] locator[0]={genesis} stop=0")
    );
    assert_eq!(known.first_locator_height(), Some(Some(0)));
    let unknown = BlockHash::from_byte_array([1; 32]);
    assert_eq!(
        summary(&getheaders(vec![unknown, genesis])).first_locator_height(),
        Some(None)
    );
    assert_eq!(summary(&getheaders(vec![])).first_locator_height(), None);
    assert_eq!(
        summary(&NetworkMessage::Ping(1)).first_locator_height(),
        None
    );
}
