//! Fuzzes JSONPath as `$input.path`/`$input.json` run it: the first line is
//! the path, the rest the JSON document. A path runs only when its cost
//! estimate allows, and then selects no more nodes than the estimate.
//! `cargo +nightly fuzz run jsonpath`.
#![no_main]

use apigw_vtl::jsonpath::{count_nodes, estimated_visits, json_path, select, Found};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (path, doc) = text.split_once('\n').unwrap_or((text, "{}"));
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(doc) else {
        return;
    };
    let n = count_nodes(&doc);
    if let Ok(Found::Many(nodes)) = select(&doc, path, n) {
        assert!(nodes.len() as u128 <= estimated_visits(path, n));
    }
    let _ = json_path(&doc, path);
});
