//! Fuzzes the node's config file parser (YAML). It lives in the binary,
//! not the library, so it is included here by path. Any text is read or
//! refused with a message, never a panic. `cargo +nightly fuzz run config`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../src/bin/apigw/config.rs"]
mod config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = config::parse(text) {
        assert!(!e.to_string().is_empty());
    }
});
