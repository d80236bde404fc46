//! The rules' names, each with what it asserts ([`RULES`], in report order).

/// `handshake_order`.
pub const HANDSHAKE_ORDER: &str = "handshake_order";
/// `no_reject_under_core`.
pub const NO_REJECT_UNDER_CORE: &str = "no_reject_under_core";
/// `unserved_requests_disconnect`.
pub const UNSERVED_REQUESTS_DISCONNECT: &str = "unserved_requests_disconnect";
/// `sync_peer_eligible`.
pub const SYNC_PEER_ELIGIBLE: &str = "sync_peer_eligible";
/// `banned_hosts_refused`.
pub const BANNED_HOSTS_REFUSED: &str = "banned_hosts_refused";
/// `inbound_limit_kept`.
pub const INBOUND_LIMIT_KEPT: &str = "inbound_limit_kept";
/// `self_connections_refused`.
pub const SELF_CONNECTIONS_REFUSED: &str = "self_connections_refused";
/// `getheaders_not_repeated`.
pub const GETHEADERS_NOT_REPEATED: &str = "getheaders_not_repeated";
/// `frame_limits_kept`.
pub const FRAME_LIMITS_KEPT: &str = "frame_limits_kept";
/// `duplicate_handshake_messages`.
pub const DUPLICATE_HANDSHAKE_MESSAGES: &str = "duplicate_handshake_messages";
/// `messages_before_handshake`.
pub const MESSAGES_BEFORE_HANDSHAKE: &str = "messages_before_handshake";
/// `getheaders_to_sync_peer`.
pub const GETHEADERS_TO_SYNC_PEER: &str = "getheaders_to_sync_peer";
/// `low_work_chains_held_back`.
pub const LOW_WORK_CHAINS_HELD_BACK: &str = "low_work_chains_held_back";
/// `bans_kept_across_restarts`.
pub const BANS_KEPT_ACROSS_RESTARTS: &str = "bans_kept_across_restarts";
/// `sendheaders_once_synced`.
pub const SENDHEADERS_ONCE_SYNCED: &str = "sendheaders_once_synced";
/// `btcd_commands_read`.
pub const BTCD_COMMANDS_READ: &str = "btcd_commands_read";
/// `version_gates_kept`.
pub const VERSION_GATES_KEPT: &str = "version_gates_kept";
/// `automatic_dials_counted`.
pub const AUTOMATIC_DIALS_COUNTED: &str = "automatic_dials_counted";
/// `misbehaviour_counts_hold`.
pub const MISBEHAVIOUR_COUNTS_HOLD: &str = "misbehaviour_counts_hold";
/// `headers_sync_timeout_handed_over`.
pub const HEADERS_SYNC_TIMEOUT_HANDED_OVER: &str = "headers_sync_timeout_handed_over";
/// `outbound_services_required`.
pub const OUTBOUND_SERVICES_REQUIRED: &str = "outbound_services_required";
/// `headers_sync_started_once`.
pub const HEADERS_SYNC_STARTED_ONCE: &str = "headers_sync_started_once";
/// `punishment_by_connection`.
pub const PUNISHMENT_BY_CONNECTION: &str = "punishment_by_connection";
/// `insufficient_work_disconnect`.
pub const INSUFFICIENT_WORK_DISCONNECT: &str = "insufficient_work_disconnect";
/// `peer_closes_noticed`.
pub const PEER_CLOSES_NOTICED: &str = "peer_closes_noticed";
/// `proof_of_work_checked_first`.
pub const PROOF_OF_WORK_CHECKED_FIRST: &str = "proof_of_work_checked_first";
/// `block_invs_answered`.
pub const BLOCK_INVS_ANSWERED: &str = "block_invs_answered";
/// `features_by_version`.
pub const FEATURES_BY_VERSION: &str = "features_by_version";
/// `sync_stall_verdict`.
pub const SYNC_STALL_VERDICT: &str = "sync_stall_verdict";

/// The rules, with what each asserts, in report order.
pub const RULES: [(&str, &str); 29] = [
    (HANDSHAKE_ORDER, "the node's first message on a connection is its version (on an inbound one, only after the peer's version), or under btcd a reject; it sends verack only after the peer's version, and before the handshake is done nothing but version, verack, wtxidrelay, sendaddrv2 and (btcd) reject"),
    (NO_REJECT_UNDER_CORE, "under Core the node never sends reject (removed in Core 0.20, BIP 61)"),
    (UNSERVED_REQUESTS_DISCONNECT, "under Core a peer that sends getcfilters, getcfheaders, getcfcheckpt, filterload, filteradd, filterclear, or (without NoBan) mempool is disconnected before anything else is sent to it or read from it (net_processing.cpp: NODE_BLOOM and NODE_COMPACT_FILTERS not offered)"),
    (SYNC_PEER_ELIGIBLE, "the sync peer is connected, has finished the handshake and offers NODE_NETWORK or NODE_NETWORK_LIMITED (btcd isSyncCandidate, Core CanServeBlocks)"),
    (BANNED_HOSTS_REFUSED, "a connection with a host banned at the time (NoBan hosts exempt) is refused: under Core an inbound one before its handshake finishes, under btcd either direction as soon as its handshake is done (handleAddPeerMsg), nothing else sent or read; and a connection is refused as banned only while its host is banned, under Core never a NoBan host's, and only in its profile's way (Core's refusal as it accepts, btcd's after the handshake)"),
    (INBOUND_LIMIT_KEPT, "an inbound connection that finds the inbound slots full (inbound_max) is disconnected before anything is sent or read, and one is refused for that only when they are full (btcd server.go MaxPeers; Core CreateNodeFromAcceptedSocket, whose eviction protects every peer of a handful)"),
    (DUPLICATE_HANDSHAKE_MESSAGES, "a version or verack after the handshake: btcd answers with a reject (RejectDuplicate) and closes the connection before reading anything else (peer.go inHandler); Core sets it aside (\"redundant version message\") and never rejects"),
    (SELF_CONNECTIONS_REFUSED, "a version carrying a nonce the node itself sent is a self-connection, closed before anything else is read (btcd: any of its last 50 sent nonces, peer.go sentNonces; Core: the nonce of an outbound connection still in its handshake, on an inbound one, CheckIncomingNonce), and only such a version is"),
    (GETHEADERS_NOT_REPEATED, "under btcd no getheaders goes out with the same first locator hash and stop hash as the previous one on its connection (peer.go PushGetHeadersMsg filters it)"),
    (MESSAGES_BEFORE_HANDSHAKE, "under btcd a peer's first message other than version is answered, when btcd knows its command, with a reject and then the close, and otherwise with the close alone (peer.go readRemoteVersionMsg); between the peer's version and its verack, any command btcd knows other than verack and sendaddrv2 closes the connection without a reject (waitToFinishNegotiation, ErrInvalidHandshake); btcd's commands are the rule's own list (wire/message.go makeEmptyMessage, v0.24)"),
    (GETHEADERS_TO_SYNC_PEER, "under btcd, while the best header is older than max_tip_age (24 h), so that btcd is not current (blockchain IsCurrent), getheaders go to the sync peer alone: only it is asked for headers (netsync startSync, handleHeadersMsg), and invs from other peers are ignored (handleInvMsg)"),
    (LOW_WORK_CHAINS_HELD_BACK, "under Core with a minimum chain work, no best chain below it is stored, except from a NoBan peer (which skips the anti-DoS check), from a low-work sync's REDOWNLOAD holding more than REDOWNLOAD_BUFFER_SIZE (14,441) redownloaded headers (headerssync.cpp), or as the valid prefix of a message outside a low-work sync whose later headers were refused; and a NoBan peer's headers are never taken for a low-work chain (Core sets already_validated_work for NoBan)"),
    (BANS_KEPT_ACROSS_RESTARTS, "under Core the bans in force when the node stops cleanly are loaded on its next start with the time they had left (banlist.json is written at shutdown, banman.cpp); after a crash a ban may be missing (Core writes the list every 15 minutes) but one that is loaded keeps its time, and none is loaded that had ended; btcd loads none (server.go keeps bans in memory)"),
    (SENDHEADERS_ONCE_SYNCED, "under Core sendheaders (BIP 130) goes out at most once per connection, and to a peer of common version 70012 or more whose headers made the node's best header one above the minimum chain work, before the node reads that peer's next message (net_processing.cpp MaybeSendSendHeaders, in SendMessages)"),
    (BTCD_COMMANDS_READ, "under btcd a message whose command btcd decodes (wire/message.go makeEmptyMessage, v0.24, the rule's own list) is never refused as a command btcd does not know"),
    (VERSION_GATES_KEPT, "under btcd a message is refused as too new for its connection exactly when the connection's protocol version (btcd's 70016 until the peer's version, then the lower of the two, peer.go handleRemoteVersionMsg) is below the version from which btcd's BtcDecode reads its command: sendaddrv2 70016, sendheaders 70012, feefilter 70013, reject 70002, mempool 60002, pong above 60000, the BIP 37 messages 70001 (wire/msg*.go), as this rule's own table states them"),
    (FRAME_LIMITS_KEPT, "a frame is refused as too large only above its profile's limit: Core's MAX_PROTOCOL_MESSAGE_LENGTH (4,000,000 bytes, net.h) for any frame; btcd's MaxPayloadLength of its command at protocol 70016 (wire/msg*.go), as this rule's own table states them; and under btcd a frame past that limit is never read (a payload refused for bytes left over was within it)"),
    (AUTOMATIC_DIALS_COUNTED, "a failed dial reports btcd's count of failed automatic dials (connmgr failedAttempts) exactly when it was an automatic slot's: under btcd one more than before, back to 0 after every established outbound connection and in a new process; under Core always 0; nothing for a permanent or once target"),
    (HEADERS_SYNC_TIMEOUT_HANDED_OVER, "under Core a sync peer is dropped for its headers-sync timeout, or reset if NoBan, only while another peer is preferred for download, one that can take over: outbound or NoBan, its handshake done, serving blocks (net_processing.cpp SendMessages: m_num_preferred_download_peers - fPreferredDownload >= 1; fPreferredDownload set at VERSION)"),
    (HEADERS_SYNC_STARTED_ONCE, "under Core the initial headers sync starts at most once per connection (again only after a NoBan peer's timeout reset it), and while the best header is older than max_tip_age only when no other peer's sync runs (net_processing.cpp SendMessages, \"Start block sync\": !fSyncStarted, nSyncStarted == 0 or a recent best header)"),
    (MISBEHAVIOUR_COUNTS_HOLD, "under Core a peer is punished for an addr or addrv2 of too many entries only above MAX_ADDR_TO_SEND (1,000), and for an inv or getdata only above MAX_INV_SZ (50,000), as the reason's own count states, and is punished for one above, right as it is read, as the count rust-bitcoin reads in what the peer wrote states (net_processing.cpp ProcessMessage); the punishment carried out or, for a manual or NoBan peer, set aside"),
    (PUNISHMENT_BY_CONNECTION, "under Core a peer that misbehaves (more than 2,000 headers, an invalid header, an inv or getdata over 50,000 entries, an addr or addrv2 over 1,000) is punished by who it is: a NoBan peer not at all, a manual one neither disconnected nor discouraged, one from a loopback address disconnected only, any other, inbound or automatic, disconnected with its address discouraged just before; and only such a punishment discourages (net_processing.cpp MaybeDiscourageAndDisconnect)"),
    (OUTBOUND_SERVICES_REQUIRED, "an outbound peer whose version lacks the services its profile requires is disconnected before anything else is sent or read, and no peer is disconnected for its services otherwise: under btcd every outbound connection (permanent ones too) of a peer at protocol 209 or more needs NODE_NETWORK, and from protocol 70002 gets a reject first (server.go OnVersion); under Core an automatic connection, not a manual one, needs NODE_WITNESS with NODE_NETWORK or NODE_NETWORK_LIMITED (net_processing.cpp ExpectServicesFromConn, HasAllDesirableServiceFlags; NODE_NETWORK_LIMITED without NODE_NETWORK is left unjudged, it depends on the tip's age)"),
    (INSUFFICIENT_WORK_DISCONNECT, "under Core a peer is dropped for insufficient work only as UpdatePeerStateForReceivedHeaders does: an automatic outbound one (not manual, not inbound), right after a headers message that was not full, during initial block download, and never when the last header it sent is the node's best header with the minimum chain work"),
    (PEER_CLOSES_NOTICED, "a connection its peer closed is ended by the node, which reports the close (or had disconnected the peer before), within 30 s of simulated time: both btcd (inHandler's read error) and Core (the socket's end in SocketHandler) drop a peer whose connection closed"),
    (PROOF_OF_WORK_CHECKED_FIRST, "a header is checked against the target of its own bits before any contextual check (btcd checkBlockHeaderSanity before checkBlockHeaderContext; Core CheckBlockHeader before ContextualCheckBlockHeader), so a header refused as bad-diffbits meets the target of the bits it carries"),
    (BLOCK_INVS_ANSWERED, "under Core an inv announcing a block the node does not know is answered at once with a getheaders to its sender when that peer's headers sync has started, or when it has had no such getheaders before its sync and the block is not the one that last triggered one, unless a getheaders to it sent less than HEADERS_RESPONSE_TIME (2 min) ago is unanswered (net_processing.cpp ProcessMessage INV, MaybeSendGetHeaders)"),
    (FEATURES_BY_VERSION, "before its verack the node sends exactly the feature messages its profile sends at the connection's common protocol version (the lower of 70016 and the peer's): under Core wtxidrelay then sendaddrv2 from 70016 (net_processing.cpp ProcessMessage VERSION: WTXID_RELAY_VERSION, BIP 155), under btcd sendaddrv2 from 70016 (peer.go writeSendAddrV2Msg, AddrV2Version) and never wtxidrelay"),
    (SYNC_STALL_VERDICT, "under btcd a sync peer is disconnected as stalled only when its version advertised more than the node's best header height, and a sync peer that stays connected is let go only once the best header height reaches what its version advertised (netsync handleStallSample, shouldDCStalledSyncPeer: a stalled peer not above our height is kept and another chosen)"),
];
