//! Fuzz target `store_loading`: see `headersim_fuzz::store` for the input format and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| headersim_fuzz::store::check(data));
