//! Property tests in the spirit of the cargo-fuzz targets (node/fuzz):
//! template-shaped noise never panics the parser or the renderer; a render
//! ends with a value or an error within its limits, and its counters are
//! exact (a render that needed N steps or B bytes passes with exactly that
//! bound and fails with one less), so the bounds are checked wherever work
//! or memory is spent; JSONPath never selects more than its cost estimate.

use proptest::prelude::*;

use super::*;
use crate::jsonpath::{count_nodes, estimated_visits, select, Found};

/// Pieces templates are made of, so the noise reaches deep into the grammar.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("#set($a = ".to_string()),
        Just("#if(".to_string()),
        Just("#elseif(".to_string()),
        Just("#else".to_string()),
        Just("#end".to_string()),
        Just("#foreach($i in ".to_string()),
        Just("#macro(m $x)".to_string()),
        Just("#m(".to_string()),
        Just("#break".to_string()),
        Just("#stop".to_string()),
        Just("##".to_string()),
        Just("#*".to_string()),
        Just("*#".to_string()),
        Just("$input.path('$.a')".to_string()),
        Just("$input.json('$')".to_string()),
        Just("$util.escapeJavaScript(".to_string()),
        Just("$a".to_string()),
        Just("$!{a}".to_string()),
        Just("$a.size()".to_string()),
        Just("[1..3]".to_string()),
        Just("{'k': 1}".to_string()),
        Just("\"$a x\"".to_string()),
        Just("'q'".to_string()),
        "[ -~\n]{0,4}".prop_map(|s| s),
        prop::sample::select(vec![
            "(", ")", "[", "]", "{", "}", ",", "=", "==", "+", "-", "*", "/", "%", "!", "&&", "||",
            "\\", "$", "#", "\"", "'"
        ])
        .prop_map(str::to_string),
    ]
}

/// Whole statements that build values, so renders that succeed spend
/// memory in every way the engine charges it.
fn statement() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "#set($s = \"$s$s\")",
        "#set($s = $s + $a)",
        "#set($s = $s.concat($a))",
        "#set($s = $s.replace('a', 'bb'))",
        "#set($s = $s.replaceAll('(b)', '$1$1'))",
        "#set($s = $s.toUpperCase())",
        "#set($l = $s.split('b'))",
        "#set($x = $l.add($s))",
        "#set($x = $l.addAll($l))",
        "#set($x = $m.put($s, $l))",
        "#set($m.k = $a)",
        "#set($l = [$l, $m, $s])",
        "#set($l = $m.keySet())",
        "#set($l = $m.entrySet())",
        "#set($l = $l.subList(0, 2))",
        "#set($s = $util.escapeJavaScript($s))",
        "#set($s = $util.base64Encode($s))",
        "#set($s = $util.urlEncode($s))",
        "#set($m = $util.parseJson('{\"a\": [1, \"two\", {\"b\": null}]}'))",
        "#set($l = $input.path('$.a'))",
        "#set($s = $input.json('$..*'))",
        "#set($s = $l.toString())",
        "#set($s = \"$m\")",
        "#if($l == $m)=#end",
        "#if($l.contains($s))c#end",
        "#foreach($i in [1..3])$i#set($s = \"$s$i\")#end",
        "#foreach($e in $m.entrySet())$e.key#end",
        "$s",
        "$l",
        "$m",
        "$input.body",
    ])
    .prop_map(str::to_string)
}

const PRELUDE: &str = "#set($a = 'ab,cd')#set($s = 'ab')#set($l = [1, 'x'])#set($m = {'k': 'v'})";

fn small_limits() -> Limits {
    Limits {
        max_steps: 20_000,
        max_loop_iterations: 100,
        max_output_bytes: 64 * 1024,
        max_value_bytes: 1024 * 1024,
        max_depth: 8,
    }
}

const BODY: &str = r#"{"a": [1, {"b": "c"}], "s": "x"}"#;

/// A JSON document of a few levels.
fn json_doc() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-c]{0,3}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(5, 64, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::vec(("[a-c]{1,2}", inner), 0..5)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// JSONPath-shaped noise.
fn path_piece() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        ".a",
        ".b",
        ".c",
        "..",
        "..*",
        ".*",
        "[*]",
        "[0]",
        "[-1]",
        "[0,1]",
        "[0,0,0]",
        "[1:3]",
        "[::-1]",
        "['a']",
        "['a','b']",
        "[?@.a]",
        "[?@.a == 1]",
        "[?$.a]",
        "[?@..a]",
        "[?match(@, 'a.*')]",
        "[?count(@.*) > 1]",
        ".a-b",
        "(",
        ")",
        "[",
        "]",
        "?",
        ",",
        "'",
        "$",
        "@",
    ])
    .prop_map(str::to_string)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn noise_never_panics(pieces in prop::collection::vec(piece(), 0..24)) {
        let text: String = pieces.concat();
        if let Ok(template) = Template::compile(&text) {
            let limits = small_limits();
            match template.render(&bindings(BODY), &limits) {
                Ok(out) => {
                    prop_assert!(out.text.len() <= limits.max_output_bytes);
                    prop_assert!(out.stats.steps <= limits.max_steps);
                    prop_assert!(out.stats.peak_value_bytes <= limits.max_value_bytes);
                }
                Err(RenderError::Limit { .. } | RenderError::Eval { .. } | RenderError::BadBody(_)) => {}
            }
        }
    }

    #[test]
    fn any_text_compiles_or_says_where(text in "\\PC{0,64}") {
        if let Err(e) = Template::compile(&text) {
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
    }

    #[test]
    fn counters_are_exact(statements in prop::collection::vec(statement(), 1..12)) {
        let text = format!("{PRELUDE}{}", statements.concat());
        let template = Template::compile(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let limits = small_limits();
        let Ok(out) = template.render(&bindings(BODY), &limits) else {
            return Ok(());
        };
        let RenderStats { steps, peak_value_bytes: peak } = out.stats;
        let with = |steps: u64, bytes: usize| Limits { max_steps: steps, max_value_bytes: bytes, ..small_limits() };
        prop_assert_eq!(template.render(&bindings(BODY), &with(steps, peak)).map(|o| o.text), Ok(out.text));
        let fewer_steps = template.render(&bindings(BODY), &with(steps - 1, peak));
        prop_assert!(matches!(fewer_steps, Err(RenderError::Limit { .. })), "{text}: {fewer_steps:?}");
        let fewer_bytes = template.render(&bindings(BODY), &with(steps, peak - 1));
        prop_assert!(matches!(fewer_bytes, Err(RenderError::Limit { .. })), "{text}: {fewer_bytes:?}");
    }

    #[test]
    fn paths_select_no_more_than_their_estimate(
        doc in json_doc(),
        pieces in prop::collection::vec(path_piece(), 0..6),
    ) {
        let path = format!("${}", pieces.concat());
        let n = count_nodes(&doc);
        match select(&doc, &path, n) {
            Ok(Found::Many(nodes)) => {
                prop_assert!(nodes.len() as u128 <= estimated_visits(&path, n), "{path} on {doc}");
            }
            Ok(Found::One(_)) | Err(_) => {}
        }
        // As `$input.path` reads it, with the leniencies.
        let _ = crate::jsonpath::json_path(&doc, &pieces.concat());
    }
}

/// Memory stays bounded across everything above: the process's peak
/// resident size is far below what one unbounded render would take.
#[test]
fn statements_at_scale_stay_in_budget() {
    // Smaller than the defaults so the test is quick; unbounded, any of
    // these would take gigabytes all the same.
    let limits = Limits {
        max_steps: 200_000,
        max_output_bytes: 2 << 20,
        max_value_bytes: 16 << 20,
        ..Limits::default()
    };
    let amplifiers = [
        "#set($s = 'x')#foreach($i in [1..40])#set($s = \"$s$s\")#end",
        "#set($s = 'xxxxxxxx')#foreach($i in [1..30])#set($s = $s.replace('x', 'xx'))#end",
        "#set($s = 'x')#foreach($i in [1..30])#set($s = $s.replaceAll('x', '$0$0'))#end",
        "#set($l = ['x'])#foreach($i in [1..60])#set($l = [$l, $l])#end$l",
        "#set($l = ['x'])#foreach($i in [1..60])#set($l = [$l, $l])#end#set($s = \"$l\")",
        "#set($s = 'ab')#foreach($i in [1..21])#set($s = \"$s$s\")#end#set($l = $s.split(''))",
        "#set($l = [])#set($s = 'ab')#foreach($i in [1..22])#set($s = \"$s$s\")#end#foreach($i in [1..100])#set($x = $l.add($s.toUpperCase()))#end",
    ];
    for text in amplifiers {
        let template = Template::compile(text).expect("compiles");
        let result = template.render(&bindings(BODY), &limits);
        assert!(
            matches!(result, Err(RenderError::Limit { .. })),
            "{text}: {result:?}"
        );
    }
    if let Some(peak) = super::bounded::peak_rss_bytes() {
        assert!(peak < 400 << 20, "peak RSS {} MiB", peak >> 20);
    }
}
