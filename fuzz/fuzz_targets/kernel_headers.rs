//! Fuzz target `kernel_headers`: see `headersim_fuzz::kernel` for the input format and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: headersim_fuzz::kernel::init(),
    |data: &[u8]| headersim_fuzz::kernel::check(data)
);
