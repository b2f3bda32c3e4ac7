//! Fuzzes the OpenAPI import from JSON: any bytes are refused with a syntax
//! error or imported (or refused with findings) and compiled, never
//! panicking. `cargo +nightly fuzz run openapi_json` from `node/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    common::import_and_compile(&doc);
});
