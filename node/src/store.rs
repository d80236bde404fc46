//! SQLite header store (synchronous): the best chain only, one row per height.
//!
//! The store keeps no hash index: the node holds the hash → height map in memory, as Bitcoin
//! Core's block index does, and a unique index on the 32-byte hash measured about 7× slower
//! bulk inserts. A change of the best chain arrives as a [`ChainUpdate`] and is written in one
//! transaction; [`Store::load`] re-checks heights, hashes and linkage so that a damaged file is
//! reported instead of trusted.
//!
//! The lowest row is the chain's base: genesis at height 0, or the header of a trusted start
//! (`node::trusted_start`) at its height. [`Store::check_base`] records which base a file was
//! created with (in the `meta` table, so no schema change) and refuses to open it with another,
//! so a file never mixes two starts.

use std::path::Path;

use bitcoin::block::Header;
use bitcoin::consensus::{encode, Encodable};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Network};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};

use crate::protocol::header_chain::{ChainUpdate, HeaderChain};
use crate::protocol::Ban;

/// Size of a consensus-serialized block header in bytes.
const HEADER_SIZE_BYTES: usize = 80;

/// Size of a block hash in bytes.
const HASH_SIZE_BYTES: usize = 32;

/// Key of the `meta` row that records which network the file belongs to.
const NETWORK_KEY: &str = "network";

/// Key of the `meta` row holding the height of the base (the lowest row), in decimal.
const BASE_HEIGHT_KEY: &str = "base_height";

/// Key of the `meta` row holding the hash of the base, in the usual (reversed) hex.
const BASE_HASH_KEY: &str = "base_hash";

/// Key of the `meta` row holding [`StoreBase::identity`], compared whole on every open.
const BASE_IDENTITY_KEY: &str = "base_identity";

/// Schema migrations, applied in order, each inside its own transaction by
/// `rusqlite_migration` (its version lives in SQLite's `user_version`). Append only.
const MIGRATION_LIST: &[M<'static>] = &[
    M::up(
        "CREATE TABLE headers (
            height INTEGER PRIMARY KEY,
            hash BLOB NOT NULL,
            header BLOB NOT NULL
        ) STRICT;
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT;",
    ),
    // Manual bans (Core's `banlist.json`): one row per banned host.
    M::up(
        "CREATE TABLE banned (
            host TEXT PRIMARY KEY,
            ban_until_ms INTEGER NOT NULL
        ) STRICT;",
    ),
];

/// [`MIGRATION_LIST`] as `rusqlite_migration` wants it.
const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_LIST);

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error while doing `context`.
    #[error("sqlite error while {context}: {source}")]
    Sqlite {
        /// What the store was doing, e.g. "deleting replaced headers".
        context: &'static str,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// A schema migration failed.
    #[error("schema migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The file was created for another network.
    #[error("the store file belongs to network `{file}`, but the node runs on `{expected}`")]
    NetworkMismatch {
        /// The network recorded in the file.
        file: String,
        /// The network the node was opened with.
        expected: String,
    },
    /// A stored row is damaged or does not continue the chain below it.
    #[error("corrupt header store at height {height}: {detail}")]
    Corrupt {
        /// Height of the offending row.
        height: u32,
        /// What is wrong with it.
        detail: String,
    },
    /// An update would leave a gap: it starts above the height after the stored rows.
    #[error("update starting at height {start_height} would leave a gap above the {row_count} stored rows from height {base_height}")]
    Gap {
        /// Height of the update's first header.
        start_height: u32,
        /// Rows (heights `base_height..base_height + row_count`) currently stored.
        row_count: u64,
        /// Height of the base (0 unless the file was created from a trusted start).
        base_height: u32,
    },
    /// An update would replace the base or rows below it.
    #[error(
        "update starting at height {start_height} would replace the base at height {base_height}"
    )]
    BelowBase {
        /// Height of the update's first header.
        start_height: u32,
        /// Height of the base.
        base_height: u32,
    },
    /// The file was created from another start (genesis or a different trusted header) than
    /// the node is configured with.
    #[error("the store file was created from {file}, but the node is configured to start from {expected}; use another data folder or the same start")]
    BaseMismatch {
        /// The start recorded in the file.
        file: String,
        /// The configured start.
        expected: String,
    },
}

/// The base a store file is created from: the lowest row and what identifies the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreBase {
    /// Height of the base row (0 for genesis).
    pub height: u32,
    /// Hash of the base header.
    pub hash: BlockHash,
    /// Everything that defines the start, as text: genesis and its hash, or every field of the
    /// trusted start (a different chainwork or period-first value is a different start).
    pub identity: String,
}

impl StoreBase {
    /// The base of `chain` (genesis, or its trusted start).
    pub fn of(chain: &HeaderChain) -> StoreBase {
        let identity = match chain.trusted_start() {
            None => format!("genesis {}", chain.base_hash()),
            Some(start) => format!(
                "trusted start height={} hash={} period_first_time={} period_first_bits={:#010x} chainwork={:x}",
                start.height,
                start.hash(),
                start.period_first_time,
                start.period_first_bits.to_consensus(),
                start.chainwork
            ),
        };
        StoreBase {
            height: chain.base_height(),
            hash: chain.base_hash(),
            identity,
        }
    }
}

/// Attaches a context to a rusqlite error.
fn sqlite(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { context, source }
}

/// The best-chain header store, backed by one SQLite connection.
///
/// Table `headers(height INTEGER PRIMARY KEY, hash BLOB, header BLOB) STRICT` holds one row per
/// height from the base (genesis at 0, or a trusted start's header at its height) upwards: the
/// 32-byte block hash in internal byte order ([`BlockHash::to_byte_array`]) and the 80-byte
/// consensus-serialized header. Table `meta(key, value) STRICT` records the `network`
/// (rust-bitcoin's `Network` display name, e.g. `regtest`) and, once [`Store::check_base`] ran,
/// the base: `base_height`, `base_hash` and `base_identity` ([`StoreBase`]). A file without
/// them (written before trusted starts existed, or never checked) has its base at height 0.
/// Table `banned(host TEXT PRIMARY KEY, ban_until_ms INTEGER) STRICT` holds the Core profile's
/// manual bans ([`Store::ban`], [`Store::load_bans`]).
#[derive(Debug)]
pub struct Store {
    connection: Connection,
}

impl Store {
    /// Opens (creating it if needed) the store file at `path` for `network`.
    ///
    /// Runs pending migrations, switches to the write-ahead log with `synchronous=FULL`, records
    /// `network` in a new file and refuses a file recorded for another network.
    ///
    /// # Errors
    ///
    /// [`StoreError::Sqlite`] if the file cannot be opened or configured,
    /// [`StoreError::Migration`] if the schema cannot be brought up to date,
    /// [`StoreError::NetworkMismatch`] if the file belongs to another network.
    pub fn open(path: &Path, network: Network) -> Result<Store, StoreError> {
        let connection = Connection::open(path).map_err(sqlite("opening the store file"))?;
        // WAL: a commit appends to the log instead of rewriting pages in place, and readers
        // never block the writer. With synchronous=FULL the log is fsynced at every commit, so
        // a committed `apply` (one `headers` message) survives a crash or power loss; with
        // NORMAL, WAL mode could lose the last commits (the file stays consistent either way).
        let journal_mode: String = connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(sqlite("enabling the write-ahead log"))?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%journal_mode, "sqlite refused the write-ahead log");
        }
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite("setting synchronous=FULL"))?;
        Store::initialise(connection, network)
    }

    /// A store held in memory only, for tests.
    ///
    /// # Errors
    ///
    /// As [`Store::open`], except that a fresh in-memory database never mismatches.
    pub fn open_in_memory(network: Network) -> Result<Store, StoreError> {
        let connection =
            Connection::open_in_memory().map_err(sqlite("opening an in-memory store"))?;
        Store::initialise(connection, network)
    }

    /// Migrates the schema, then records or checks the network.
    fn initialise(mut connection: Connection, network: Network) -> Result<Store, StoreError> {
        MIGRATIONS.to_latest(&mut connection)?;
        let expected = network.to_string();
        let transaction = connection
            .transaction()
            .map_err(sqlite("starting the network check"))?;
        let recorded: Option<String> = transaction
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [NETWORK_KEY],
                |row| row.get(0),
            )
            .optional()
            .map_err(sqlite("reading the recorded network"))?;
        match recorded {
            Some(file) if file != expected => {
                return Err(StoreError::NetworkMismatch { file, expected });
            }
            Some(_) => {}
            None => {
                transaction
                    .execute(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                        [NETWORK_KEY, expected.as_str()],
                    )
                    .map_err(sqlite("recording the network"))?;
            }
        }
        transaction
            .commit()
            .map_err(sqlite("committing the network record"))?;
        Ok(Store { connection })
    }

    /// Records the base this file is created from, or checks it against the one recorded.
    ///
    /// A file that records no base yet adopts `base`, provided its lowest row (if any) is
    /// `base` itself; a file that records one must record exactly `base` (same
    /// [`StoreBase::identity`]). Runs in one transaction.
    ///
    /// # Errors
    ///
    /// [`StoreError::BaseMismatch`] naming both starts, or [`StoreError::Sqlite`].
    pub fn check_base(&mut self, base: &StoreBase) -> Result<(), StoreError> {
        let transaction = self
            .connection
            .transaction()
            .map_err(sqlite("starting the base check"))?;
        let recorded = read_meta(&transaction, BASE_IDENTITY_KEY)?;
        match recorded {
            Some(file) if file != base.identity => {
                return Err(StoreError::BaseMismatch {
                    file,
                    expected: base.identity.clone(),
                });
            }
            Some(_) => {}
            None => {
                let lowest: Option<(u32, Vec<u8>)> = transaction
                    .query_row(
                        "SELECT height, hash FROM headers ORDER BY height LIMIT 1",
                        [],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()
                    .map_err(sqlite("reading the lowest row"))?;
                if let Some((height, hash)) = lowest {
                    if height != base.height
                        || hash.as_slice() != base.hash.to_byte_array().as_slice()
                    {
                        let hash = <[u8; HASH_SIZE_BYTES]>::try_from(hash.as_slice()).map_or_else(
                            |_| "a damaged hash".to_string(),
                            |h| BlockHash::from_byte_array(h).to_string(),
                        );
                        return Err(StoreError::BaseMismatch {
                            file: format!("rows starting at height {height} ({hash})"),
                            expected: base.identity.clone(),
                        });
                    }
                }
                for (key, value) in [
                    (BASE_HEIGHT_KEY, base.height.to_string()),
                    (BASE_HASH_KEY, base.hash.to_string()),
                    (BASE_IDENTITY_KEY, base.identity.clone()),
                ] {
                    transaction
                        .execute(
                            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                            [key, value.as_str()],
                        )
                        .map_err(sqlite("recording the base"))?;
                }
            }
        }
        transaction
            .commit()
            .map_err(sqlite("committing the base record"))
    }

    /// The recorded base height and hash, or height 0 and no hash when none is recorded.
    fn recorded_base(connection: &Connection) -> Result<(u32, Option<BlockHash>), StoreError> {
        let height = match read_meta(connection, BASE_HEIGHT_KEY)? {
            None => 0,
            Some(text) => text.parse().map_err(|_| StoreError::Corrupt {
                height: 0,
                detail: format!("meta base_height `{text}` is not a height"),
            })?,
        };
        let hash = match read_meta(connection, BASE_HASH_KEY)? {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| StoreError::Corrupt {
                height,
                detail: format!("meta base_hash `{text}` is not a block hash"),
            })?),
        };
        Ok((height, hash))
    }

    /// All stored headers, ordered by height from the base; empty for a new store.
    ///
    /// Each row is re-checked: heights contiguous from the base (the recorded base height, or
    /// 0), the lowest row's hash equal to the recorded base hash, an 80-byte header blob that
    /// decodes, a stored hash equal to the header's `block_hash()`, and `prev_blockhash` equal
    /// to the hash of the row below.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] naming the first offending height, or [`StoreError::Sqlite`].
    pub fn load(&self) -> Result<Vec<Header>, StoreError> {
        let (base_height, base_hash) = Store::recorded_base(&self.connection)?;
        let mut statement = self
            .connection
            .prepare_cached("SELECT height, hash, header FROM headers ORDER BY height")
            .map_err(sqlite("preparing the header load"))?;
        let mut rows = statement.query([]).map_err(sqlite("loading headers"))?;
        let mut headers: Vec<Header> = Vec::new();
        let mut previous_hash: Option<BlockHash> = None;
        while let Some(row) = rows.next().map_err(sqlite("loading headers"))? {
            let stored_height: i64 = row.get(0).map_err(sqlite("reading a header height"))?;
            // The height this row must have; the node's heights are u32, so a store holding
            // rows above that is corrupt at u32::MAX.
            let height = u32::try_from(headers.len())
                .ok()
                .and_then(|offset| base_height.checked_add(offset))
                .unwrap_or(u32::MAX);
            if stored_height != i64::from(height) {
                return Err(StoreError::Corrupt {
                    height,
                    detail: format!(
                        "no row at this height (the next row is at height {stored_height}); \
                         heights must be contiguous from the base at {base_height}"
                    ),
                });
            }
            let corrupt = |detail: String| StoreError::Corrupt { height, detail };

            let hash_bytes: Vec<u8> = row.get(1).map_err(sqlite("reading a block hash"))?;
            let header_bytes: Vec<u8> = row.get(2).map_err(sqlite("reading a header"))?;
            let stored_hash = <[u8; HASH_SIZE_BYTES]>::try_from(hash_bytes.as_slice())
                .map(BlockHash::from_byte_array)
                .map_err(|_| {
                    corrupt(format!(
                        "hash blob is {} bytes, not {HASH_SIZE_BYTES}",
                        hash_bytes.len()
                    ))
                })?;
            if header_bytes.len() != HEADER_SIZE_BYTES {
                return Err(corrupt(format!(
                    "header blob is {} bytes, not {HEADER_SIZE_BYTES}",
                    header_bytes.len()
                )));
            }
            let header: Header = encode::deserialize(&header_bytes)
                .map_err(|error| corrupt(format!("header does not decode: {error}")))?;
            let hash = header.block_hash();
            if hash != stored_hash {
                return Err(corrupt(format!(
                    "stored hash {stored_hash} but the header hashes to {hash}"
                )));
            }
            if previous_hash.is_none() && base_hash.is_some_and(|base| base != hash) {
                return Err(corrupt(format!(
                    "the base row holds {hash}, not the recorded base {}",
                    base_hash.expect("checked above")
                )));
            }
            if let Some(previous_hash) = previous_hash {
                if header.prev_blockhash != previous_hash {
                    return Err(corrupt(format!(
                        "prev_blockhash {} is not the hash {previous_hash} of height {}",
                        header.prev_blockhash,
                        height - 1
                    )));
                }
            }
            previous_hash = Some(hash);
            headers.push(header);
        }
        Ok(headers)
    }

    /// Replaces every row at or above `update.start_height()` with `update.headers()`, in one
    /// transaction (nothing is written if any step fails). The `hash` column takes
    /// `update.hashes()`: the header is not hashed again here.
    ///
    /// # Errors
    ///
    /// [`StoreError::Gap`] if `start_height` is above the height after the last row (the rows
    /// would not be contiguous; an empty store takes its first row at the base height),
    /// [`StoreError::BelowBase`] if it is below the base (recorded by [`Store::check_base`], 0
    /// otherwise), or [`StoreError::Sqlite`].
    ///
    /// # Panics
    ///
    /// If the update reaches height `u32::MAX` (the node's heights are `u32`; a caller bug).
    pub fn apply(&mut self, update: &ChainUpdate) -> Result<(), StoreError> {
        let transaction = self
            .connection
            .transaction()
            .map_err(sqlite("starting a chain update"))?;
        let start_height = update.start_height();
        let (base_height, _) = Store::recorded_base(&transaction)?;
        if start_height < base_height {
            return Err(StoreError::BelowBase {
                start_height,
                base_height,
            });
        }
        let row_count = rows_from_base(&transaction, base_height)?;
        if u64::from(start_height) > u64::from(base_height) + row_count {
            return Err(StoreError::Gap {
                start_height,
                row_count,
                base_height,
            });
        }
        // One past the last height written; every written height must fit a u32.
        let end_height = u64::from(start_height) + update.headers().len() as u64;
        assert!(
            end_height <= u64::from(u32::MAX),
            "chain update from {} with {} headers overflows u32 heights",
            start_height,
            update.headers().len()
        );
        // The update must link: each header to the one before it, and the first to the stored
        // row it builds on (the node only persists chains it connected; TigerStyle: a broken
        // link here is our bug, not bad input).
        for (i, header) in update.headers().iter().enumerate().skip(1) {
            assert_eq!(
                header.prev_blockhash,
                update.hashes()[i - 1],
                "chain update from {start_height}: header {i} does not build on header {}",
                i - 1
            );
        }
        if let (Some(first), Some(below)) = (update.headers().first(), start_height.checked_sub(1))
        {
            if below >= base_height {
                let stored: Option<Vec<u8>> = transaction
                    .query_row(
                        "SELECT hash FROM headers WHERE height = ?1",
                        [below],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(sqlite("reading the row below a chain update"))?;
                assert_eq!(
                    stored.as_deref(),
                    Some(first.prev_blockhash.as_byte_array().as_slice()),
                    "chain update from {start_height} does not build on the stored row {below}"
                );
            }
        }
        transaction
            .execute("DELETE FROM headers WHERE height >= ?1", [start_height])
            .map_err(sqlite("deleting replaced headers"))?;
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO headers (height, hash, header) VALUES (?1, ?2, ?3)")
                .map_err(sqlite("preparing the header insert"))?;
            let mut bytes = [0u8; HEADER_SIZE_BYTES];
            for ((height, header), hash) in
                (start_height..).zip(update.headers()).zip(update.hashes())
            {
                header
                    .consensus_encode(&mut &mut bytes[..])
                    .expect("a header encodes into its 80 bytes");
                insert
                    .execute(params![height, hash.as_byte_array(), &bytes[..]])
                    .map_err(sqlite("inserting a header"))?;
            }
        }
        transaction
            .commit()
            .map_err(sqlite("committing a chain update"))
    }

    /// Height of the highest stored header, `None` for an empty store.
    ///
    /// # Errors
    ///
    /// [`StoreError::Sqlite`].
    pub fn tip_height(&self) -> Result<Option<u32>, StoreError> {
        let max: Option<u32> = self
            .connection
            .query_row("SELECT MAX(height) FROM headers", [], |row| row.get(0))
            .map_err(sqlite("reading the tip height"))?;
        Ok(max)
    }

    /// Records a manual ban, keeping the later end if `ban.host` is already banned (Core's
    /// `BanMan::Ban` only ever extends a ban). One statement, so one implicit transaction.
    ///
    /// # Errors
    ///
    /// [`StoreError::Sqlite`].
    pub fn ban(&mut self, ban: &Ban) -> Result<(), StoreError> {
        let until = i64::try_from(ban.ban_until_ms).unwrap_or(i64::MAX);
        self.connection
            .execute(
                "INSERT INTO banned (host, ban_until_ms) VALUES (?1, ?2)
                 ON CONFLICT (host) DO UPDATE SET ban_until_ms = MAX(ban_until_ms, excluded.ban_until_ms)",
                params![ban.host, until],
            )
            .map_err(sqlite("recording a ban"))?;
        Ok(())
    }

    /// The bans still running at `now_ms`, ordered by host. Expired ones are deleted first, as
    /// Core's `BanMan` drops them when it loads `banlist.json` (`SweepBanned`).
    ///
    /// # Errors
    ///
    /// [`StoreError::Sqlite`].
    pub fn load_bans(&mut self, now_ms: u64) -> Result<Vec<Ban>, StoreError> {
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        let transaction = self
            .connection
            .transaction()
            .map_err(sqlite("starting the ban load"))?;
        transaction
            .execute("DELETE FROM banned WHERE ban_until_ms <= ?1", [now])
            .map_err(sqlite("deleting expired bans"))?;
        let bans = {
            let mut statement = transaction
                .prepare_cached("SELECT host, ban_until_ms FROM banned ORDER BY host")
                .map_err(sqlite("preparing the ban load"))?;
            let rows = statement
                .query_map([], |row| {
                    let until: i64 = row.get(1)?;
                    // Rows at or below `now` were deleted above, so `until` is positive.
                    Ok(Ban {
                        host: row.get(0)?,
                        ban_until_ms: u64::try_from(until).unwrap_or(0),
                    })
                })
                .map_err(sqlite("loading bans"))?;
            rows.collect::<Result<Vec<Ban>, _>>()
                .map_err(sqlite("reading a ban"))?
        };
        transaction
            .commit()
            .map_err(sqlite("committing the ban load"))?;
        Ok(bans)
    }

    /// Number of stored headers (rows).
    ///
    /// # Errors
    ///
    /// [`StoreError::Sqlite`].
    pub fn row_count(&self) -> Result<u64, StoreError> {
        count_rows(&self.connection)
    }
}

/// The `meta` value of `key`, if recorded.
fn read_meta(connection: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    connection
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
            row.get(0)
        })
        .optional()
        .map_err(sqlite("reading the meta table"))
}

/// `SELECT COUNT(*)` over the headers table.
fn count_rows(connection: &Connection) -> Result<u64, StoreError> {
    let count: i64 = connection
        .query_row("SELECT COUNT(*) FROM headers", [], |row| row.get(0))
        .map_err(sqlite("counting headers"))?;
    Ok(u64::try_from(count).expect("SQLite COUNT(*) is never negative"))
}

/// Rows from `base_height` up to the highest one: `MAX(height)` is one B-tree descent on the
/// integer primary key, where `COUNT(*)` reads every page (it made each append cost as much as
/// the rows already stored). The rows are contiguous (every apply keeps them so, and
/// [`Store::load`] checks it), so this is their count.
fn rows_from_base(connection: &Connection, base_height: u32) -> Result<u64, StoreError> {
    let top: Option<i64> = connection
        .query_row("SELECT MAX(height) FROM headers", [], |row| row.get(0))
        .map_err(sqlite("reading the highest stored height"))?;
    Ok(top.map_or(0, |top| {
        u64::try_from(top + 1 - i64::from(base_height)).unwrap_or(0)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::block::Version;
    use bitcoin::{CompactTarget, TxMerkleNode};
    use std::path::PathBuf;

    const MAINNET_HEADERS: &str = "/work/shared/data/headers/mainnet_0-10236.bin";

    /// A chain of `count` linked synthetic headers on top of `parent`; `salt` tells forks apart.
    fn synthetic_chain(parent: BlockHash, count: u32, salt: u32) -> Vec<Header> {
        let mut headers = Vec::new();
        let mut prev_blockhash = parent;
        for n in 0..count {
            let header = Header {
                version: Version::from_consensus(0x2000_0000),
                prev_blockhash,
                merkle_root: TxMerkleNode::from_byte_array([salt as u8; 32]),
                time: 1_600_000_000 + n * 600,
                bits: CompactTarget::from_consensus(0x207f_ffff),
                nonce: salt.wrapping_mul(1_000_003).wrapping_add(n),
            };
            prev_blockhash = header.block_hash();
            headers.push(header);
        }
        headers
    }

    /// Real mainnet headers 0..=10236, or `None` (with a notice) when the file is absent
    /// outside CI.
    fn mainnet_headers() -> Option<Vec<Header>> {
        let bytes = match std::fs::read(MAINNET_HEADERS) {
            Ok(bytes) => bytes,
            Err(error) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{MAINNET_HEADERS} is required under CI=true: {error}");
                }
                eprintln!("notice: skipping, {MAINNET_HEADERS} unavailable: {error}");
                return None;
            }
        };
        assert_eq!(
            bytes.len() % HEADER_SIZE_BYTES,
            0,
            "{MAINNET_HEADERS} is not 80-byte records"
        );
        let headers = bytes
            .chunks_exact(HEADER_SIZE_BYTES)
            .map(|chunk| encode::deserialize::<Header>(chunk).expect("fixture header decodes"))
            .collect();
        Some(headers)
    }

    fn update(start_height: u32, headers: &[Header]) -> ChainUpdate {
        ChainUpdate::new(start_height, headers.to_vec())
    }

    fn temp_store_path(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("headers.sqlite")
    }

    #[test]
    fn an_empty_store_loads_an_empty_chain() {
        let store = Store::open_in_memory(Network::Regtest).expect("open");
        assert!(store.load().expect("load").is_empty());
        assert_eq!(store.tip_height().expect("tip"), None);
        assert_eq!(store.row_count().expect("count"), 0);
    }

    #[test]
    fn an_extension_then_a_reorg_load_as_the_new_best_chain() {
        let mut store = Store::open_in_memory(Network::Regtest).expect("open");
        let main = synthetic_chain(BlockHash::all_zeros(), 10, 1);
        store.apply(&update(0, &main[..6])).expect("first batch");
        store.apply(&update(6, &main[6..])).expect("extension");
        assert_eq!(store.load().expect("load"), main);
        assert_eq!(store.tip_height().expect("tip"), Some(9));

        // Reorg: a fork from height 7 replaces heights 7..=9 with four new headers.
        let fork = synthetic_chain(main[6].block_hash(), 4, 2);
        store.apply(&update(7, &fork)).expect("reorg");
        let mut expected = main[..7].to_vec();
        expected.extend_from_slice(&fork);
        assert_eq!(store.load().expect("load"), expected);
        assert_eq!(store.tip_height().expect("tip"), Some(10));
        assert_eq!(store.row_count().expect("count"), 11);

        // A shorter replacement removes the rows above it.
        let short = synthetic_chain(main[3].block_hash(), 1, 3);
        store.apply(&update(4, &short)).expect("shorter reorg");
        let mut expected = main[..4].to_vec();
        expected.extend_from_slice(&short);
        assert_eq!(store.load().expect("load"), expected);
        assert_eq!(store.row_count().expect("count"), 5);
    }

    #[test]
    fn real_mainnet_headers_round_trip_in_batches_of_2000() {
        let Some(mainnet) = mainnet_headers() else {
            return;
        };
        assert_eq!(mainnet.len(), 10_237);
        let mut store = Store::open_in_memory(Network::Bitcoin).expect("open");
        for (index, batch) in mainnet.chunks(2000).enumerate() {
            let start_height = u32::try_from(index * 2000).expect("small");
            store.apply(&update(start_height, batch)).expect("apply");
        }
        assert_eq!(store.load().expect("load"), mainnet);
        assert_eq!(store.tip_height().expect("tip"), Some(10_236));
    }

    #[test]
    fn load_names_the_height_of_a_broken_link() {
        let mut store = Store::open_in_memory(Network::Regtest).expect("open");
        let chain = synthetic_chain(BlockHash::all_zeros(), 6, 1);
        store.apply(&update(0, &chain)).expect("apply");

        // Height 4 replaced directly by a self-consistent header that does not link to 3.
        let stranger = synthetic_chain(BlockHash::from_byte_array([9; 32]), 1, 7)[0];
        store
            .connection
            .execute(
                "UPDATE headers SET hash = ?1, header = ?2 WHERE height = 4",
                params![
                    &stranger.block_hash().to_byte_array()[..],
                    encode::serialize(&stranger)
                ],
            )
            .expect("tamper");
        match store.load() {
            Err(StoreError::Corrupt { height: 4, detail }) => {
                assert!(detail.contains("prev_blockhash"), "{detail}")
            }
            other => panic!("expected corruption at height 4, got {other:?}"),
        }
    }

    #[test]
    fn load_detects_a_wrong_hash_a_short_blob_and_a_missing_height() {
        let chain = synthetic_chain(BlockHash::all_zeros(), 5, 1);
        let tampered = |sql: &str| {
            let mut store = Store::open_in_memory(Network::Regtest).expect("open");
            store.apply(&update(0, &chain)).expect("apply");
            store.connection.execute(sql, []).expect("tamper");
            store.load().expect_err("corrupt")
        };
        assert!(matches!(
            tampered("UPDATE headers SET hash = zeroblob(32) WHERE height = 2"),
            StoreError::Corrupt { height: 2, .. }
        ));
        assert!(matches!(
            tampered("UPDATE headers SET header = zeroblob(79) WHERE height = 3"),
            StoreError::Corrupt { height: 3, .. }
        ));
        assert!(matches!(
            tampered("UPDATE headers SET hash = zeroblob(31) WHERE height = 1"),
            StoreError::Corrupt { height: 1, .. }
        ));
        assert!(matches!(
            tampered("DELETE FROM headers WHERE height = 2"),
            StoreError::Corrupt { height: 2, .. }
        ));
    }

    #[test]
    fn a_file_for_another_network_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = temp_store_path(&dir);
        drop(Store::open(&path, Network::Regtest).expect("create"));
        match Store::open(&path, Network::Bitcoin) {
            Err(error @ StoreError::NetworkMismatch { .. }) => {
                let text = error.to_string();
                assert!(
                    text.contains("`regtest`") && text.contains("`bitcoin`"),
                    "{text}"
                );
            }
            other => panic!("expected a network mismatch, got {other:?}"),
        }
    }

    #[test]
    fn a_reopened_file_returns_the_same_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = temp_store_path(&dir);
        let chain = synthetic_chain(BlockHash::all_zeros(), 50, 1);
        {
            let mut store = Store::open(&path, Network::Regtest).expect("create");
            store.apply(&update(0, &chain[..30])).expect("apply");
            store.apply(&update(30, &chain[30..])).expect("apply");
        }
        let store = Store::open(&path, Network::Regtest).expect("reopen");
        assert_eq!(store.load().expect("load"), chain);
        let journal_mode: String = store
            .connection
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .expect("journal_mode");
        assert_eq!(journal_mode.to_ascii_lowercase(), "wal");
    }

    #[test]
    fn an_update_that_would_leave_a_gap_is_refused_and_writes_nothing() {
        let mut store = Store::open_in_memory(Network::Regtest).expect("open");
        let chain = synthetic_chain(BlockHash::all_zeros(), 8, 1);
        store.apply(&update(0, &chain[..5])).expect("apply");
        match store.apply(&update(6, &chain[6..])) {
            Err(
                error @ StoreError::Gap {
                    start_height: 6,
                    row_count: 5,
                    base_height: 0,
                },
            ) => {
                let text = error.to_string();
                assert!(text.contains('6') && text.contains('5'), "{text}");
            }
            other => panic!("expected a gap error, got {other:?}"),
        }
        assert_eq!(store.load().expect("load"), chain[..5]);
        // Starting exactly at the row count is an extension.
        store.apply(&update(5, &chain[5..])).expect("extension");
        assert_eq!(store.load().expect("load"), chain);
    }

    #[test]
    #[should_panic(expected = "does not build on the stored row 4")]
    fn an_update_that_does_not_build_on_the_row_below_is_our_bug_and_panics() {
        let mut store = Store::open_in_memory(Network::Regtest).expect("open");
        let chain = synthetic_chain(BlockHash::all_zeros(), 6, 1);
        store.apply(&update(0, &chain)).expect("apply");
        // Builds on height 3, written from height 5.
        let fork = synthetic_chain(chain[3].block_hash(), 2, 2);
        let _ = store.apply(&update(5, &fork));
    }

    #[test]
    #[should_panic(expected = "header 1 does not build on header 0")]
    fn an_update_whose_headers_do_not_link_panics() {
        let mut store = Store::open_in_memory(Network::Regtest).expect("open");
        let mut chain = synthetic_chain(BlockHash::all_zeros(), 3, 1);
        chain.swap(1, 2);
        let _ = store.apply(&update(0, &chain));
    }

    #[test]
    fn a_failing_insert_rolls_back_the_whole_update() {
        let mut store = Store::open_in_memory(Network::Regtest).expect("open");
        let chain = synthetic_chain(BlockHash::all_zeros(), 6, 1);
        store.apply(&update(0, &chain)).expect("apply");
        // Make the third insert fail, after the delete and two inserts have run.
        store
            .connection
            .execute_batch(
                "CREATE TRIGGER refuse_height_5 BEFORE INSERT ON headers WHEN NEW.height = 5
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .expect("trigger");
        let fork = synthetic_chain(chain[2].block_hash(), 4, 2);
        let error = store.apply(&update(3, &fork)).expect_err("trigger refuses");
        assert!(
            matches!(
                error,
                StoreError::Sqlite {
                    context: "inserting a header",
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(store.load().expect("load"), chain);
    }

    // ----- recorded bases -----

    #[test]
    fn a_file_without_a_recorded_base_adopts_it_only_if_its_lowest_row_matches() {
        let chain = synthetic_chain(BlockHash::all_zeros(), 5, 1);
        let mut store = Store::open_in_memory(Network::Regtest).expect("open");
        store.apply(&update(0, &chain)).expect("apply");
        let other = StoreBase {
            height: 3,
            hash: chain[3].block_hash(),
            identity: "trusted start at 3".into(),
        };
        match store.check_base(&other) {
            Err(StoreError::BaseMismatch { file, .. }) => {
                assert!(file.starts_with("rows starting at height 0"), "{file}")
            }
            other => panic!("expected a base mismatch, got {other:?}"),
        }
        let own = StoreBase {
            height: 0,
            hash: chain[0].block_hash(),
            identity: "genesis".into(),
        };
        store.check_base(&own).expect("its own base");
        store.check_base(&own).expect("recorded, and the same");
        assert_eq!(store.load().expect("load"), chain);
    }

    #[test]
    fn updates_below_the_base_or_past_the_next_height_are_refused() {
        let chain = synthetic_chain(BlockHash::all_zeros(), 10, 1);
        let mut store = Store::open_in_memory(Network::Regtest).expect("open");
        let base = StoreBase {
            height: 4,
            hash: chain[0].block_hash(),
            identity: "trusted start at 4".into(),
        };
        store.check_base(&base).expect("record");
        assert!(matches!(
            store.apply(&update(5, &chain[1..])),
            Err(StoreError::Gap {
                start_height: 5,
                row_count: 0,
                base_height: 4
            })
        ));
        store
            .apply(&update(4, &chain[..6]))
            .expect("base and five more");
        assert!(matches!(
            store.apply(&update(3, &chain[..2])),
            Err(StoreError::BelowBase {
                start_height: 3,
                base_height: 4
            })
        ));
        assert!(matches!(
            store.apply(&update(11, &chain[7..])),
            Err(StoreError::Gap { .. })
        ));
        store
            .apply(&update(10, &chain[6..]))
            .expect("extension at the next height");
        assert_eq!(store.load().expect("load"), chain);
        assert_eq!(store.tip_height().expect("tip"), Some(13));

        // The base row replaced behind the store's back is reported.
        let stranger = synthetic_chain(BlockHash::from_byte_array([7; 32]), 1, 9)[0];
        store
            .connection
            .execute(
                "UPDATE headers SET hash = ?1, header = ?2 WHERE height = 4",
                params![
                    &stranger.block_hash().to_byte_array()[..],
                    encode::serialize(&stranger)
                ],
            )
            .expect("tamper");
        match store.load() {
            Err(StoreError::Corrupt { height: 4, detail }) => {
                assert!(detail.contains("recorded base"), "{detail}")
            }
            other => panic!("expected corruption at the base, got {other:?}"),
        }
        store
            .connection
            .execute("DELETE FROM headers WHERE height = 4", [])
            .expect("tamper");
        assert!(matches!(
            store.load(),
            Err(StoreError::Corrupt { height: 4, .. })
        ));
    }

    fn ban(host: &str, ban_until_ms: u64) -> Ban {
        Ban {
            host: host.to_string(),
            ban_until_ms,
        }
    }

    #[test]
    fn bans_survive_a_reopen_keep_their_later_end_and_expired_ones_are_dropped_at_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = temp_store_path(&dir);
        {
            let mut store = Store::open(&path, Network::Regtest).expect("create");
            store.ban(&ban("p", 90_000)).expect("ban p");
            store
                .ban(&ban("p", 50_000))
                .expect("a shorter ban does not shorten it");
            store.ban(&ban("q", 20_000)).expect("ban q");
            store.ban(&ban("a", 30_000)).expect("ban a");
            store
                .ban(&ban("a", 120_000))
                .expect("a longer ban extends it");
        }
        let mut store = Store::open(&path, Network::Regtest).expect("reopen");
        assert_eq!(
            store.load_bans(10_000).expect("load"),
            vec![ban("a", 120_000), ban("p", 90_000), ban("q", 20_000)],
            "ordered by host"
        );
        assert_eq!(
            store.load_bans(20_000).expect("load"),
            vec![ban("a", 120_000), ban("p", 90_000)],
            "q ended at 20 s"
        );
        let rows: i64 = store
            .connection
            .query_row("SELECT COUNT(*) FROM banned", [], |r| r.get(0))
            .expect("count");
        assert_eq!(
            rows, 2,
            "the expired ban is deleted from the file, not only skipped"
        );
    }

    #[test]
    fn a_file_from_before_the_ban_table_is_migrated_and_keeps_its_headers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = temp_store_path(&dir);
        let chain = synthetic_chain(BlockHash::all_zeros(), 3, 1);
        {
            let mut connection = Connection::open(&path).expect("open");
            Migrations::from_slice(&MIGRATION_LIST[..1])
                .to_latest(&mut connection)
                .expect("first migration only");
            connection
                .execute(
                    "INSERT INTO meta (key, value) VALUES ('network', 'regtest')",
                    [],
                )
                .expect("network");
            for (height, header) in chain.iter().enumerate() {
                connection
                    .execute(
                        "INSERT INTO headers (height, hash, header) VALUES (?1, ?2, ?3)",
                        params![
                            height as i64,
                            &header.block_hash().to_byte_array()[..],
                            encode::serialize(header)
                        ],
                    )
                    .expect("insert");
            }
        }
        let mut store = Store::open(&path, Network::Regtest).expect("migrates");
        assert_eq!(store.load().expect("load"), chain);
        assert!(store.load_bans(0).expect("empty ban table").is_empty());
        store
            .ban(&ban("p", 1_000))
            .expect("the new table takes bans");
    }
}
