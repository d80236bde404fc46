//! Fuzz target `message_handling`: see `headersim_fuzz::handling` for the input format and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| headersim_fuzz::handling::check(data));
