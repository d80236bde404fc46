//! The `import` section: header import rate (`HeaderChain::accept_headers` and
//! `Store::apply`, 2000 headers per batch) against its limit, the same headers' double-SHA256
//! and an append of the same rows to a bare SQLite table.

use std::path::Path;
use std::time::Instant;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;

use super::figures::{median, BenchReport};

/// Raw 80-byte headers from a file.
pub(super) fn read_headers(path: &Path) -> Result<Vec<Header>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.is_empty() || bytes.len() % 80 != 0 {
        return Err(format!(
            "{}: {} bytes is not a whole number of 80-byte headers",
            path.display(),
            bytes.len()
        ));
    }
    bytes
        .chunks(80)
        .map(bitcoin::consensus::deserialize)
        .collect::<Result<Vec<Header>, _>>()
        .map_err(|e| format!("{}: not raw 80-byte headers: {e}", path.display()))
}

/// The seeded regtest chain `{"regtest": {"height": height, "seed": 1}}`, genesis first.
pub(super) fn regtest_chain(height: u32) -> Result<Vec<Header>, String> {
    crate::scenario::chain::ChainSpec::Regtest {
        height,
        seed: 1,
        fork: None,
    }
    .build()
    .map_err(|e| e.to_string())
}

/// Header import rate, node path and limit, interleaved `repeats` times.
pub(super) fn import_figures(
    report: &mut BenchReport,
    label: &str,
    network: bitcoin::Network,
    headers: &[Header],
    now_s: u64,
    repeats: u32,
) -> Result<(), String> {
    let count = (headers.len() - 1) as f64;
    let (mut node_s, mut limit_s) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        node_s.push(node_import_s(network, headers, now_s)?);
        limit_s.push(limit_import_s(headers)?);
    }
    let (node_rate, limit_rate) = (count / median(&node_s), count / median(&limit_s));
    let figure = report.add(
        "import",
        format!("{label}: accept_headers + Store::apply"),
        node_rate,
        "headers/s",
    );
    figure.versus("limit: double-SHA256 + bare SQLite append", limit_rate);
    let met = figure.ratio() >= 0.6;
    figure.target("ratio >= 0.6", met);
    Ok(())
}

/// Seconds the node's own import path takes for `headers[1..]`: a fresh store in a temporary
/// folder (WAL, `synchronous=FULL`, as the node opens it) holding genesis, then per 2000
/// headers `HeaderChain::accept_headers` and `Store::apply` of its update, as the node's
/// message handler does for one `headers` message.
fn node_import_s(network: bitcoin::Network, headers: &[Header], now_s: u64) -> Result<f64, String> {
    use node::protocol::header_chain::{ChainUpdate, HeaderChain};
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut store = node::store::Store::open(&dir.path().join("headers.sqlite"), network)
        .map_err(|e| e.to_string())?;
    let mut chain = HeaderChain::new(network);
    store
        .apply(&ChainUpdate::new(0, vec![headers[0]]))
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    for batch in headers[1..].chunks(2000) {
        let import = chain.accept_headers(batch, now_s);
        if let Some(error) = import.error {
            return Err(format!("the bench chain does not validate: {error}"));
        }
        if let Some(update) = import.update {
            store.apply(&update).map_err(|e| e.to_string())?;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    if chain.tip_height() as usize != headers.len() - 1 {
        return Err(format!(
            "imported to height {}, not {}",
            chain.tip_height(),
            headers.len() - 1
        ));
    }
    Ok(elapsed)
}

/// Seconds the limit takes for `headers[1..]`: each header's double-SHA256 and an insert of
/// `(height, hash, header)` into a table shaped like the node's (`height INTEGER PRIMARY KEY`,
/// no other index), one transaction per 2000, with the node's pragmas; nothing else.
fn limit_import_s(headers: &[Header]) -> Result<f64, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let sql = |e: rusqlite::Error| format!("limit database: {e}");
    let mut db = rusqlite::Connection::open(dir.path().join("limit.sqlite")).map_err(sql)?;
    db.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
    db.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
    db.execute_batch("CREATE TABLE headers (height INTEGER PRIMARY KEY, hash BLOB NOT NULL, header BLOB NOT NULL) STRICT;").map_err(sql)?;
    let started = Instant::now();
    let mut height = 1i64;
    for batch in headers[1..].chunks(2000) {
        let transaction = db.transaction().map_err(sql)?;
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO headers (height, hash, header) VALUES (?1, ?2, ?3)")
                .map_err(sql)?;
            for header in batch {
                let hash = header.block_hash().to_byte_array();
                let bytes = bitcoin::consensus::serialize(header);
                insert
                    .execute(rusqlite::params![height, &hash[..], bytes])
                    .map_err(sql)?;
                height += 1;
            }
        }
        transaction.commit().map_err(sql)?;
    }
    Ok(started.elapsed().as_secs_f64())
}
