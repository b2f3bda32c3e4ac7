//! Hostile templates: each one, unbounded, would take gigabytes, hours or
//! the whole stack; bounded, each ends with the limit it hit.

use super::*;

/// The process's peak resident size (`VmHWM`), where /proc says it.
pub(super) fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn render_with(template: &str, body: &str, limits: &Limits) -> Result<Rendered, RenderError> {
    Template::compile(template)
        .unwrap_or_else(|e| panic!("{template}: {e}"))
        .render(&bindings(body), limits)
}

fn limit_message(result: Result<Rendered, RenderError>) -> String {
    match result {
        Err(RenderError::Limit { message, .. }) => message,
        other => panic!("expected a limit, got {other:?}"),
    }
}

/// 300 copies of a 5 MiB string kept in a list: 1.5 GB unbounded.
const HOSTILE: &str = "#set($big = $input.body)#set($copies = [])\
#foreach($i in [1..300])#set($ignored = $copies.add(\"$big\"))#end$copies.size()";

#[test]
fn copies_of_a_big_string_hit_the_memory_budget() {
    let body = "x".repeat(5 << 20);
    let limits = Limits::default();
    let message = limit_message(render_with(HOSTILE, &body, &limits));
    assert!(message.contains("memory budget"), "{message}");
    assert!(
        message.contains(&limits.max_value_bytes.to_string()),
        "{message}"
    );
    // The same, with the string built by the template itself.
    let doubling = "#set($big = 'xxxxx')#foreach($i in [1..20])#set($big = \"$big$big\")#end\
#set($copies = [])#foreach($i in [1..300])#set($ignored = $copies.add(\"$big\"))#end";
    let message = limit_message(render_with(doubling, "", &limits));
    assert!(message.contains("memory budget"), "{message}");
    // A budget with room for them all lets the render finish.
    let roomy = Limits {
        max_value_bytes: 2 << 30,
        ..Limits::default()
    };
    let small_body = "x".repeat(1 << 10);
    let out = render_with(HOSTILE, &small_body, &roomy).expect("fits");
    assert_eq!(out.text, "300");
}

#[test]
fn the_hostile_render_stays_within_its_memory() {
    let body = "x".repeat(5 << 20);
    let result = render_with(HOSTILE, &body, &Limits::default());
    assert!(matches!(result, Err(RenderError::Limit { .. })));
    // Unbounded, this render alone reached 1.56 GB.
    if let Some(peak) = peak_rss_bytes() {
        assert!(peak < 512 << 20, "peak RSS {} MiB", peak >> 20);
    }
}

#[test]
fn values_no_longer_held_are_refunded() {
    // Growing a string a thousand times builds ~500 MB in all, but holds
    // little at once: the old string is freed by each #set.
    let piece = "x".repeat(128);
    let template = format!(
        "#set($piece = '{piece}')#set($s = '')#foreach($i in [1..1000])\
#set($s = \"$s$piece$piece$piece$piece$piece$piece$piece$piece\")#end$s.length()"
    );
    let out = render_with(&template, "", &Limits::default()).expect("renders");
    assert_eq!(out.text, "1024000");
    assert!(
        out.stats.peak_value_bytes < 8 << 20,
        "peak {}",
        out.stats.peak_value_bytes
    );
}

#[test]
fn single_operations_are_charged_before_they_allocate() {
    let limits = Limits {
        max_steps: 100_000,
        ..Limits::default()
    };
    // Two MiB, and each operation would make it larger than any value may be.
    let mib = "#set($s = 'x')#foreach($i in [1..21])#set($s = \"$s$s\")#end";
    for (what, op) in [
        ("replace with an empty target", "$s.replace('', 'yyyyyyyyyyyyyyyyyyyyyyyyyyyy')"),
        ("replaceAll", "$s.replaceAll('x{1024}', '$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0')"),
        ("split into characters", "$s.split('')"),
        ("concatenation", "$s.concat($s).concat($s).concat($s).concat($s).concat($s).concat($s).concat($s).concat($s).concat($s).concat($s)"),
        ("escaping", "$util.escapeJavaScript($s.replace('x', '\u{1}'))"),
    ] {
        let template = format!("{mib}#set($r = {op})");
        let message = limit_message(render_with(&template, "", &limits));
        assert!(
            message.contains("bytes") || message.contains("steps"),
            "{what}: {message}"
        );
    }
    // A range is checked before its list is made, even at i64's extremes.
    for range in [
        "[1..2000000000]",
        "[-9223372036854775808..9223372036854775807]",
        "[9223372036854775807..-9223372036854775808]",
    ] {
        let message = limit_message(render_with(&format!("#set($r = {range})"), "", &limits));
        assert!(message.contains("loop limit"), "{range}: {message}");
    }
    // A long list is refused by #foreach before it is copied.
    let zeros = format!("[{}0]", "0,".repeat(600_000));
    let template = format!("#set($l = $util.parseJson('{zeros}'))#foreach($x in $l)#end");
    let message = limit_message(render_with(&template, "", &limits));
    assert!(
        message.contains("1000") || message.contains("budget"),
        "{message}"
    );
}

#[test]
fn json_is_bounded_in_depth_and_size() {
    let limits = Limits::default();
    // serde_json refuses to nest past 128: an error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let template = format!("#set($v = $util.parseJson('{deep}'))");
    let err = render_with(&template, "", &limits).expect_err("too deep");
    assert!(matches!(err, RenderError::Eval { .. }), "{err}");
    let err = render_with("$input.json('$')", &deep, &limits).expect_err("too deep");
    assert!(matches!(err, RenderError::BadBody(_)), "{err}");
    // Many small nodes cost more than their text: the parse is charged.
    let wide = format!("[{}0]", "0,".repeat(2_000_000));
    let message = limit_message(render_with("$input.path('$').size()", &wide, &limits));
    assert!(message.contains("memory budget"), "{message}");
    // A path that multiplies the document is refused before it runs.
    let doc = serde_json::Value::Array((0..5_000).map(|i| serde_json::json!([[i]])).collect());
    let message = limit_message(render_with(
        "$input.json('$..*..*..*')",
        &doc.to_string(),
        &limits,
    ));
    assert!(message.contains("JSONPath"), "{message}");
    let nested = format!(
        "$input.path('$[?{}@.a{}]')",
        "(".repeat(1000),
        ")".repeat(1000)
    );
    let message = limit_message(render_with(&nested, "{}", &limits));
    assert!(message.contains("nests"), "{message}");
}

#[test]
fn lists_and_maps_cannot_contain_themselves() {
    let limits = Limits::default();
    for template in [
        "#set($l = [])#set($x = $l.add($l))",
        "#set($l = [])#set($m = {'l': $l})#set($x = $l.add($m))",
        "#set($m = {})#set($m.self = $m)",
        "#set($m = {})#set($x = $m.put('self', [$m]))",
        "#set($l = [1])#set($l[0] = $l)",
        "#set($x = $context.put('me', $context))",
    ] {
        let err = render_with(template, "", &limits).expect_err(template);
        assert!(
            matches!(&err, RenderError::Eval { message, .. } if message.contains("itself")),
            "{template}: {err}"
        );
    }
    // Adding a list's items to itself is no cycle.
    let out = render_with("#set($l = [1, 2])#set($x = $l.addAll($l))$l", "", &limits).expect("ok");
    assert_eq!(out.text, "[1, 2, 1, 2]");
}

#[test]
fn deep_and_shared_values_print_within_bounds() {
    let limits = Limits {
        max_output_bytes: 1 << 20,
        ..Limits::default()
    };
    // A thousand levels deep: refused when printed, freed without recursing.
    let deep = "#set($l = [])#foreach($i in [1..1000])#set($l = [$l])#end";
    let message = limit_message(render_with(&format!("{deep}$l"), "", &limits));
    assert!(message.contains("nests"), "{message}");
    assert!(render_with(&format!("{deep}#set($l = 1)$l"), "", &limits).is_ok());
    // Doubled sixty times: 2^60 items if printed, compared or converted.
    let doubled = "#set($l = ['x'])#foreach($i in [1..60])#set($l = [$l, $l])#end";
    let message = limit_message(render_with(&format!("{doubled}$l"), "", &limits));
    assert!(message.contains("output"), "{message}");
    let twin = "#set($k = ['x'])#foreach($i in [1..60])#set($k = [$k, $k])#end";
    let message = limit_message(render_with(
        &format!("{doubled}{twin}#if($l == $k)same#end"),
        "",
        &limits,
    ));
    assert!(message.contains("bytes"), "{message}");
    let message = limit_message(render_with(
        &format!("{doubled}#set($s = $l.toString())"),
        "",
        &limits,
    ));
    assert!(message.contains("bytes"), "{message}");
}

#[test]
fn templates_nest_within_bounds_when_compiled() {
    for (what, text) in [
        (
            "parentheses",
            format!("$x.a({}1{})", "(".repeat(10_000), ")".repeat(10_000)),
        ),
        (
            "negations",
            format!("#set($a = {}true)", "!".repeat(100_000)),
        ),
        (
            "an operator chain",
            format!("#set($a = 1{})", " + 1".repeat(100_000)),
        ),
        ("a reference chain", format!("$a{}", ".b".repeat(100_000))),
        ("a method chain", format!("$a{}", ".trim()".repeat(100_000))),
        (
            "lists",
            format!("#set($a = {}1{})", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        (
            "blocks",
            format!("{}x{}", "#if(true)".repeat(10_000), "#end".repeat(10_000)),
        ),
    ] {
        let err = Template::compile(&text).expect_err(what);
        assert!(err.message.contains("nest"), "{what}: {err}");
    }
    // What real templates do stays well inside.
    assert!(Template::compile(&format!("#set($a = 1{})", " + 1".repeat(50))).is_ok());
    assert!(
        Template::compile(&format!("{}x{}", "#if(true)".repeat(50), "#end".repeat(50))).is_ok()
    );
}

/// The deepest templates that compile, run on a thread with the 2 MiB
/// stack tokio gives its workers: each ends with a value or a limit, and
/// the thread (and the process) lives.
#[test]
fn the_deepest_templates_fit_a_worker_stack() {
    let deep_expr = format!("$a{}", ".trim()".repeat(parse::MAX_EXPR_DEPTH - 1));
    let blocks = parse::MAX_BLOCK_DEPTH - 1;
    let deep_blocks = format!(
        "{}{deep_expr}{}",
        "#if(true)".repeat(blocks),
        "#end".repeat(blocks)
    );
    let parens = parse::MAX_NESTING - 2;
    let nested = format!("#set($x = {}1{})", "(".repeat(parens), ")".repeat(parens));
    let recursive = format!("#macro(r $n){deep_blocks}#r($n)#end#r(1)");
    let templates = [deep_expr, deep_blocks, nested, recursive];
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            templates
                .iter()
                .map(|text| {
                    let template = Template::compile(text).map_err(|e| e.to_string())?;
                    match template.render(&bindings(""), &Limits::default()) {
                        Ok(_) | Err(RenderError::Limit { .. }) => Ok(()),
                        Err(e) => Err(e.to_string()),
                    }
                })
                .collect::<Result<Vec<()>, String>>()
        })
        .expect("spawns");
    let outcome = handle
        .join()
        .expect("the thread did not overflow its stack");
    assert_eq!(outcome, Ok(vec![(); 4]));
}

/// Inputs cargo-fuzz found (node/fuzz), kept so they stay fixed.
#[test]
fn inputs_found_by_fuzzing() {
    for text in [
        // `#set(` followed by a multi-byte character: the parser sliced
        // one byte into it looking for `$`.
        "#set(\u{711} lt$uti{\"a\": [1, 2]}'))$o.orget(1) $o",
    ] {
        if let Ok(template) = Template::compile(text) {
            let _ = template.render(&bindings("{}"), &Limits::default());
        }
    }
}
