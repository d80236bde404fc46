//! Target `store_loading`: a header store file ([`node::store::Store`], SQLite) whose bytes were
//! truncated, flipped or overwritten, opened and loaded as the node does at start
//! ([`node::runtime::open_chain`]).
//!
//! The pristine file holds [`chains::main`] up to [`STORED_TIP_HEIGHT`], written once per process
//! by the store itself. Input: damage steps (truncate at an offset, flip bits of a byte, set a
//! byte), applied in order to the file's bytes. Checked: nothing panics, and the node either
//! refuses the file with an error that says what ([`node::NodeError`]'s text is not empty) or
//! loads a chain that is a prefix of what was stored, from genesis, every header linked and
//! exactly the stored one at its height (damage never makes up or reorders a header). After a
//! chain loaded, the store takes the next header and loads again with it.

use std::path::PathBuf;
use std::sync::OnceLock;

use bitcoin::Network;
use node::config::Config;
use node::protocol::header_chain::ChainUpdate;
use node::runtime::open_chain;

use crate::chains;
use crate::input::{Reader, Writer};

/// Height of the pristine store's tip: a few SQLite pages of rows.
pub const STORED_TIP_HEIGHT: u32 = 300;

/// The process's folder for the damaged files (removed when the process ends normally).
fn folder() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::TempDir::new().expect("a temporary folder"))
}

fn config(datadir: PathBuf) -> Config {
    Config::new(Network::Regtest, datadir)
}

/// The pristine store file's bytes.
fn pristine() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let datadir = folder().path().join("pristine");
        let config = config(datadir);
        let (mut store, chain) = open_chain(&config).expect("a new store opens");
        assert_eq!(chain.tip_height(), 0);
        let headers = chains::main()[1..=STORED_TIP_HEIGHT as usize].to_vec();
        store
            .apply(&ChainUpdate::new(1, headers))
            .expect("the store takes the fixture chain");
        drop(store);
        // Closing the last connection checkpoints the write-ahead log into the file.
        std::fs::read(config.store_path()).expect("the store file is readable")
    })
}

/// Runs one input (see the module docs); panics on a broken property.
pub fn check(data: &[u8]) {
    let mut bytes = pristine().to_vec();
    let mut reader = Reader::new(data);
    while !reader.is_empty() && !bytes.is_empty() {
        let offset = reader.u32() as usize % bytes.len();
        match reader.u8() % 3 {
            0 => bytes.truncate(offset),
            1 => bytes[offset] ^= reader.u8() | 1,
            _ => bytes[offset] = reader.u8(),
        }
    }
    let datadir = folder().path().join("damaged");
    std::fs::create_dir_all(&datadir).expect("the folder is writable");
    let config = config(datadir);
    let path = config.store_path();
    for suffix in ["-wal", "-shm"] {
        let mut side = path.clone().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    std::fs::write(&path, &bytes).expect("the damaged file is written");

    let loaded = match open_chain(&config) {
        Ok((_, chain)) => chain,
        Err(error) => {
            assert!(!error.to_string().is_empty(), "an error that says nothing");
            return;
        }
    };
    let stored = chains::main();
    let tip = loaded.tip_height();
    assert!(
        tip <= STORED_TIP_HEIGHT,
        "a chain above what was stored: {tip}"
    );
    for height in 0..=tip {
        assert_eq!(
            loaded.active_hash_at(height),
            Some(stored[height as usize].block_hash()),
            "the loaded chain differs from the stored one at height {height}"
        );
    }
    // A store that loaded must go on working: the next header, then a clean reload.
    let (mut store, _) = match open_chain(&config) {
        Ok(opened) => opened,
        Err(error) => panic!("a store that loaded once refuses to open again: {error}"),
    };
    let next = stored[tip as usize + 1];
    if store.apply(&ChainUpdate::new(tip + 1, vec![next])).is_ok() {
        drop(store);
        if let Ok((_, again)) = open_chain(&config) {
            assert!(
                again.tip_height() == tip + 1,
                "after one more header the store loads at height {}",
                again.tip_height()
            );
        }
    }
}

/// A seed input: one damage step (`offset`, `kind` 0 truncate, 1 flip, 2 set, `value`).
pub fn seed(steps: &[(u32, u8, u8)]) -> Vec<u8> {
    let mut writer = Writer::new();
    for (offset, kind, value) in steps {
        writer.u32(*offset).u8(*kind);
        if *kind != 0 {
            writer.u8(*value);
        }
    }
    writer.finish()
}
