//! Fuzzes the SigV4 `Authorization` header parser: any text is refused or
//! read into parts that are all pieces of it. `cargo +nightly fuzz run sigv4`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(a) = apigw::dataplane::iam::parse(header) {
        for part in [a.access_key_id, a.region, a.service, a.signature] {
            assert!(header.contains(part));
        }
    }
});
