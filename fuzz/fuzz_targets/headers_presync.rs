//! Fuzz target `headers_presync`: see `headersim_fuzz::presync` for the input format and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| headersim_fuzz::presync::check(data));
