//! Fuzz target `frame_decoding`: see `headersim_fuzz::frames` for the input format and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| headersim_fuzz::frames::check(data));
