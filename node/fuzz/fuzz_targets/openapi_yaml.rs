//! Fuzzes the OpenAPI import from text as `apigw check` and the import API
//! read it (`parse_document`: JSON when it starts with `{`, else YAML),
//! then compiles what imports. `cargo +nightly fuzz run openapi_yaml`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match apigw::import::parse_document(text) {
        Ok(doc) => common::import_and_compile(&doc),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
