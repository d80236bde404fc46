//! Mutations of real mainnet headers: whole-message failures, unknown parents, known headers.

use super::*;

#[test]
fn header_missing_its_target_rejects_the_whole_message_as_high_hash() {
    let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
        return;
    };
    let mut chain = HeaderChain::new(Network::Bitcoin);
    let mut batch = headers[1..=100].to_vec();
    let target = batch[49].target();
    while target.is_met_by(batch[49].block_hash()) {
        batch[49].nonce = batch[49].nonce.wrapping_add(1);
    }
    let import = chain.accept_headers(&batch, NOW_S);
    assert_eq!(
        import.error,
        Some(HeaderError::HighHash {
            index: 49,
            hash: batch[49].block_hash(),
            bits: DIFFICULTY_1_BITS
        })
    );
    assert_eq!(
        (import.accepted, import.update, import.reorg_depth),
        (0, None, 0)
    );
    assert_eq!((chain.len(), chain.tip_height()), (1, 0));
    assert!(import
        .error
        .expect("error")
        .to_string()
        .starts_with("high-hash"));
}

#[test]
fn gap_in_the_message_is_non_continuous_and_adds_nothing() {
    let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
        return;
    };
    let mut chain = HeaderChain::new(Network::Bitcoin);
    let mut batch = headers[1..=100].to_vec();
    batch.remove(49); // drop height 50
    let import = chain.accept_headers(&batch, NOW_S);
    assert_eq!(
        import.error,
        Some(HeaderError::NonContinuous {
            index: 49,
            hash: headers[51].block_hash(),
            prev: headers[50].block_hash(),
        })
    );
    assert_eq!((import.accepted, import.update), (0, None));
    assert_eq!(chain.len(), 1);
    assert!(import
        .error
        .expect("error")
        .to_string()
        .starts_with("non-continuous headers sequence"));
}

#[test]
fn header_with_an_unknown_parent_is_prev_not_found() {
    let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
        return;
    };
    let mut chain = HeaderChain::new(Network::Bitcoin);
    let import = chain.accept_headers(&headers[100..=200], NOW_S);
    assert_eq!(
        import.error,
        Some(HeaderError::PrevNotFound {
            hash: headers[100].block_hash(),
            prev: headers[99].block_hash()
        })
    );
    assert_eq!((import.accepted, import.update), (0, None));
    assert!(import
        .error
        .expect("error")
        .to_string()
        .starts_with("prev-blk-not-found: header does not connect"));
}

#[test]
fn already_known_headers_are_skipped_and_not_counted() {
    let Some(headers) = read_headers("headers/mainnet_0-10236.bin") else {
        return;
    };
    let mut chain = HeaderChain::new(Network::Bitcoin);
    assert_eq!(chain.accept_headers(&headers[1..=100], NOW_S).accepted, 100);

    let import = chain.accept_headers(&headers[50..=150], NOW_S);
    assert_eq!(
        (import.error, import.accepted, import.reorg_depth),
        (None, 50, 0)
    );
    assert_eq!(
        import.update,
        Some(ChainUpdate::new(101, headers[101..=150].to_vec()))
    );

    let again = chain.accept_headers(&headers[50..=150], NOW_S);
    assert_eq!(again, Import::default());
    assert_eq!(chain.accept_headers(&[], NOW_S), Import::default());
    assert_eq!(chain.tip_height(), 150);
}
