//! Fuzzes the VTL parser and renderer: any text either fails to compile with
//! a positioned error or compiles and renders within the limits (output,
//! steps and the memory budget), never panicking. Run with
//! `cargo +nightly fuzz run vtl` from `node/`.
#![no_main]

use apigw_vtl::{Bindings, Limits, RenderError, Template, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let template = match Template::compile(text) {
        Ok(t) => t,
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "{e}");
            return;
        }
    };
    let bindings = Bindings {
        body: br#"{"a": [1, {"b": "c"}], "s": "x"}"#,
        path: vec![("id".into(), "1".into())],
        querystring: vec![],
        header: vec![],
        context: Value::map(Default::default()),
        stage_variables: Value::map(Default::default()),
        body_from_client: true,
    };
    let limits = Limits {
        max_steps: 20_000,
        max_loop_iterations: 100,
        max_output_bytes: 64 * 1024,
        max_value_bytes: 1024 * 1024,
        max_depth: 8,
    };
    match template.render(&bindings, &limits) {
        Ok(out) => {
            assert!(out.text.len() <= limits.max_output_bytes);
            assert!(out.stats.steps <= limits.max_steps);
            assert!(out.stats.peak_value_bytes <= limits.max_value_bytes);
        }
        Err(RenderError::Limit { .. } | RenderError::Eval { .. } | RenderError::BadBody(_)) => {}
    }
});
