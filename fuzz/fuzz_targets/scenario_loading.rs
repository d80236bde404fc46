//! Fuzz target `scenario_loading`: see `headersim_fuzz::scenario` for the input format and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| headersim_fuzz::scenario::check(data));
