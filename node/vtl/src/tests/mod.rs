//! Templates as people write them for API Gateway, rendered and compared.

use indexmap::IndexMap;
use serde_json::json;

use super::*;

fn context() -> Value {
    let mut identity = IndexMap::new();
    identity.insert("sourceIp".to_string(), Value::str("10.1.2.3"));
    let mut override_section = IndexMap::new();
    override_section.insert("header".to_string(), Value::map(IndexMap::new()));
    let mut c = IndexMap::new();
    c.insert("requestId".to_string(), Value::str("req-1"));
    c.insert("stage".to_string(), Value::str("prod"));
    c.insert("httpMethod".to_string(), Value::str("POST"));
    c.insert("resourcePath".to_string(), Value::str("/pets/{id}"));
    c.insert("identity".to_string(), Value::map(identity));
    c.insert("responseOverride".to_string(), Value::map(override_section));
    Value::map(c)
}

fn stage_variables() -> Value {
    let mut m = IndexMap::new();
    m.insert("env".to_string(), Value::str("blue"));
    m.insert("table-name".to_string(), Value::str("pets"));
    Value::map(m)
}

pub(super) fn bindings(body: &str) -> Bindings<'_> {
    Bindings {
        body: body.as_bytes(),
        path: vec![("id".into(), "42".into())],
        querystring: vec![("q".into(), "cats".into()), ("page".into(), "2".into())],
        header: vec![
            ("X-Trace".into(), "t-1".into()),
            ("Content-Type".into(), "application/json".into()),
        ],
        context: context(),
        stage_variables: stage_variables(),
        body_from_client: true,
    }
}

fn render(template: &str, body: &str) -> String {
    let t = Template::compile(template).unwrap_or_else(|e| panic!("{template}: {e}"));
    t.render(&bindings(body), &Limits::default())
        .unwrap_or_else(|e| panic!("{template}: {e}"))
        .text
}

#[test]
fn recorded_input_path_cases() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/vtl_input_path_cases.localstack.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("conformance data not beside the checkout; skipping");
        return;
    };
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 10);
    for case in cases {
        // The recording's backend echoes the client's JSON under `json`.
        let body = json!({"json": case["client_request_json_body"]}).to_string();
        let template = case["response_template"].as_str().expect("template");
        let expected = case["expected_client_response_body"]
            .as_str()
            .expect("expected");
        assert_eq!(render(template, &body), expected, "{}", case["name"]);
    }
}

#[test]
fn references_and_context() {
    assert_eq!(
        render(
            r#"{"id": "$input.params('id')", "q": "$input.params('q')", "t": "$input.params('x-trace')", "none": "$input.params('nope')"}"#,
            ""
        ),
        r#"{"id": "42", "q": "cats", "t": "t-1", "none": ""}"#
    );
    assert_eq!(
        render(
            "$context.requestId/${context.stage}/$context.identity.sourceIp",
            ""
        ),
        "req-1/prod/10.1.2.3"
    );
    assert_eq!(
        render("$stageVariables.env-$stageVariables.table-name", ""),
        "blue-pets"
    );
    assert_eq!(
        render(
            "a=$undefined b=$!undefined c=$5 d=# e=$ f=$context.stage.",
            ""
        ),
        "a= b= c=$5 d=# e=$ f=prod."
    );
    assert_eq!(render("$input.params().path.id $input.params().querystring.get('page') $input.params().header.size()", ""), "42 2 2");
}

#[test]
fn input_json_and_path() {
    let body = r#"{"name": "Rex", "tags": ["a", "b"], "owner": {"id": 7}, "price": 12.5}"#;
    assert_eq!(
        render("$input.json('$')", body),
        r#"{"name":"Rex","tags":["a","b"],"owner":{"id":7},"price":12.5}"#
    );
    assert_eq!(render("$input.json('$.name')", body), r#""Rex""#);
    assert_eq!(render("$input.path('$.name')", body), "Rex");
    assert_eq!(render("$input.path('$.owner').id", body), "7");
    assert_eq!(render("$input.path('$.tags').size()", body), "2");
    assert_eq!(render("$input.path('$.price')", body), "12.5");
    assert_eq!(render("$input.json('$.missing')", body), "null");
    assert_eq!(render("$input.body", body), body);
    assert_eq!(render("$input.json('$')", ""), "{}");
}

#[test]
fn set_if_and_foreach() {
    let body =
        r#"{"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}]}"#;
    let template = r#"#set($items = $input.path('$.items'))
{
  "count": $items.size(),
  "items": [
#foreach($item in $items)
    {"id": $item.id, "label": "$item.name.toUpperCase()", "i": $foreach.index}#if($foreach.hasNext),#end

#end
  ]
}"#;
    let out = render(template, body);
    let parsed: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"));
    assert_eq!(
        parsed,
        json!({"count": 3, "items": [
            {"id": 1, "label": "A", "i": 0},
            {"id": 2, "label": "B", "i": 1},
            {"id": 3, "label": "C", "i": 2}
        ]})
    );
    assert_eq!(
        render(
            "#if($context.stage == 'prod')P#elseif($context.stage == 'dev')D#{else}O#end",
            ""
        ),
        "P"
    );
    assert_eq!(render("#if($nothing)yes#{else}no#end", ""), "no");
    assert_eq!(
        render("#if(!$nothing && 1 < 2 and not false)ok#end", ""),
        "ok"
    );
    assert_eq!(
        render("#foreach($i in [1..5])#if($i == 3)#break#end$i#end", ""),
        "12"
    );
    assert_eq!(
        render("#foreach($i in [3..1])$i$velocityCount #end", ""),
        "31 22 13 "
    );
    assert_eq!(render("a#stop b", ""), "a");
}

#[test]
fn whitespace_of_directive_lines() {
    let template = "{\n  #set($a = 1)\n  #if($a == 1)\n  \"a\": $a\n  #end\n}";
    assert_eq!(render(template, ""), "{\n  \"a\": 1\n}");
    assert_eq!(render("#set($x = 'y')$x", ""), "y");
}

#[test]
fn maps_lists_and_methods() {
    let template = r#"#set($m = {"a": 1, "b": "two"})
#set($l = ["x", "y"])
#set($ignored = $l.add("z"))
#set($m.c = 3)
$m $m.keySet() $l $l.size() $l.get(2) $m.containsKey('b') $m.get('b').length()
#foreach($e in $m.entrySet())$e.key=$e.value;#end"#;
    assert_eq!(
        render(template, ""),
        "{a=1, b=two, c=3} [a, b, c] [x, y, z] 3 z true 3\na=1;b=two;c=3;"
    );
    assert_eq!(
        render("$l.isEmpty() #set($l = [])$l.isEmpty() $l.empty", ""),
        " true true"
    );
}

#[test]
fn strings() {
    let t = r#"#set($s = " Hello, World ")$s.trim().toLowerCase()|$s.contains("World")|$s.replaceAll("o(.)", "0$1")|$s.trim().substring(0, 5)|$s.trim().split(", ").size()|$s.indexOf("W")|$s.length()"#;
    assert_eq!(
        render(t, ""),
        "hello, world|true| Hell0, W0rld |Hello|2|8|14"
    );
    assert_eq!(
        render(r#"#set($n = "a'b")"$util.escapeJavaScript($n)" ${n}s"#, ""),
        r#""a\'b" a'bs"#
    );
    assert_eq!(
        render(
            r#"#set($name = "Rex")#set($g = "Hi $name, \"quoted\"")$g \"text\""#,
            ""
        ),
        r#"Hi Rex, "quoted" \"text\""#
    );
    assert_eq!(render("#set($a = 'x' + 1)$a", ""), "x1");
}

#[test]
fn arithmetic_and_comparison() {
    assert_eq!(render("#set($a = 7)$a $math #set($b = $a / 2)$b #set($c = $a * 1.5)$c #set($d = $a % 4)$d #set($e = -$a + 10)$e", ""), "7  3 10.5 3 3");
    assert_eq!(
        render(
            "#if(2 > 1.5 && 'b' > 'a' && 3 >= 3 && 2 != 3 && 2 eq 2.0)ok#end",
            ""
        ),
        "ok"
    );
    assert_eq!(render("#set($z = 1 / 0)[$z]", ""), "[]");
}

#[test]
fn util_functions() {
    assert_eq!(
        render("$util.urlEncode('a b&c')|$util.urlDecode('a+b%26c')", ""),
        "a+b%26c|a b&c"
    );
    assert_eq!(
        render(
            "$util.base64Encode('hello')|$util.base64Decode('aGVsbG8=')",
            ""
        ),
        "aGVsbG8=|hello"
    );
    assert_eq!(
        render(
            r#"#set($o = $util.parseJson('{"a": [1, 2]}'))$o.a.get(1) $o"#,
            ""
        ),
        r#"2 {a=[1,2]}"#
    );
}

#[test]
fn null_set_keeps_the_old_value() {
    // Velocity 1.7: assigning null leaves the variable as it was.
    assert_eq!(render("#set($a = 'x')#set($a = $nothing)$a", ""), "x");
}

#[test]
fn macros_and_comments() {
    let t = "#macro(greet $who)Hi $who!#end## a comment\n#greet('Ann') #* block\ncomment *#done #[[$raw #if]]#";
    assert_eq!(render(t, ""), "Hi Ann! done $raw #if");
    assert_eq!(render("#unknown(1) stays", ""), "#unknown(1) stays");
}

#[test]
fn response_override() {
    let t = Template::compile("#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Tea = 'earl grey')teapot")
        .expect("compiles");
    let out = t
        .render(&bindings(""), &Limits::default())
        .expect("renders");
    assert_eq!(out.text, "teapot");
    assert_eq!(out.status_override, Some(418));
    assert_eq!(
        out.header_overrides,
        vec![("X-Tea".to_string(), "earl grey".to_string())]
    );
}

#[test]
fn compile_errors_have_positions() {
    let e = Template::compile("{\n  #if($a == 1)\n  x\n}").expect_err("unclosed");
    assert_eq!((e.line, e.column), (2, 3), "{e}");
    let e = Template::compile("ok\n#set($a = )").expect_err("no value");
    assert_eq!(e.line, 2, "{e}");
    let e = Template::compile("#end").expect_err("stray end");
    assert_eq!((e.line, e.column), (1, 1));
    assert!(Template::compile("#include('x')").is_err());
    assert!(Template::compile("#set($a = 'unterminated)").is_err());
    assert!(Template::compile("color: #fff; $5").is_ok());
}

#[test]
fn renders_are_bounded() {
    let limits = Limits::default();
    let big = Template::compile("#foreach($i in [1..5000])x#end").expect("compiles");
    assert!(matches!(
        big.render(&bindings(""), &limits),
        Err(RenderError::Limit { .. })
    ));
    // Doubling a string grows past the output limit and stops.
    let doubling = Template::compile(
        "#set($s = 'xxxxxxxxxx')#foreach($i in [1..100])#set($s = \"$s$s\")#end$s.length()",
    )
    .expect("compiles");
    let err = doubling
        .render(&bindings(""), &limits)
        .expect_err("bounded");
    assert!(matches!(err, RenderError::Limit { line: 1, .. }), "{err}");
    // Nested loops multiply: the step budget ends them.
    let nested = Template::compile(
        "#foreach($a in [1..1000])#foreach($b in [1..1000])#set($x = $a)#end#end",
    )
    .expect("compiles");
    assert!(matches!(
        nested.render(&bindings(""), &limits),
        Err(RenderError::Limit { .. })
    ));
    // Runaway macro recursion.
    let recursive = Template::compile("#macro(r $n)#r($n)#end#r(1)").expect("compiles");
    assert!(matches!(
        recursive.render(&bindings(""), &limits),
        Err(RenderError::Limit { .. })
    ));
}

#[test]
fn bad_json_bodies_are_the_clients_fault() {
    let t = Template::compile("$input.json('$.a')").expect("compiles");
    let err = t
        .render(&bindings("{not json"), &Limits::default())
        .expect_err("bad body");
    assert!(
        matches!(err, RenderError::BadBody(ref m) if m.starts_with("Could not parse request body into json")),
        "{err}"
    );
}

#[test]
fn real_world_dynamodb_request() {
    let template = r##"{
    "TableName": "$stageVariables.table-name",
    "Item": {
        "id": {"S": "$context.requestId"},
        "name": {"S": "$util.escapeJavaScript($input.path('$.name'))"},
        #if($input.path('$.tags').size() > 0)
        "tags": {"SS": [#foreach($t in $input.path('$.tags'))"$t"#if($foreach.hasNext), #end#end]},
        #end
        "ip": {"S": "$context.identity.sourceIp"}
    }
}"##;
    let out = render(template, r#"{"name": "O'Brien", "tags": ["x", "y"]}"#);
    let expected = "{\n    \"TableName\": \"pets\",\n    \"Item\": {\n        \"id\": {\"S\": \"req-1\"},\n        \"name\": {\"S\": \"O\\'Brien\"},\n        \"tags\": {\"SS\": [\"x\", \"y\"]},\n        \"ip\": {\"S\": \"10.1.2.3\"}\n    }\n}";
    assert_eq!(out, expected);
}

/// The shape of the console's "Method Request passthrough" template: nested
/// loops over `$input.params()` and `$stageVariables` with `hasNext` commas.
#[test]
fn method_request_passthrough() {
    let template = r##"#set($allParams = $input.params())
{
"body-json" : $input.json('$'),
"params" : {
#foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
"$type" : {
    #foreach($paramName in $params.keySet())
    "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
        #if($foreach.hasNext),#end
    #end
}
    #if($foreach.hasNext),#end
#end
},
"stage-variables" : {
#foreach($key in $stageVariables.keySet())
"$key" : "$util.escapeJavaScript($stageVariables.get($key))"
    #if($foreach.hasNext),#end
#end
},
"context" : {
    "http-method" : "$context.httpMethod",
    "stage" : "$context.stage",
    "source-ip" : "$context.identity.sourceIp",
    "request-id" : "$context.requestId",
    "resource-path" : "$context.resourcePath"
    }
}
"##;
    let out = render(template, r#"{"pet": {"name": "Rex"}}"#);
    let parsed: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"));
    assert_eq!(
        parsed,
        json!({
            "body-json": {"pet": {"name": "Rex"}},
            "params": {
                "path": {"id": "42"},
                "querystring": {"q": "cats", "page": "2"},
                "header": {"X-Trace": "t-1", "Content-Type": "application/json"}
            },
            "stage-variables": {"env": "blue", "table-name": "pets"},
            "context": {
                "http-method": "POST", "stage": "prod", "source-ip": "10.1.2.3",
                "request-id": "req-1", "resource-path": "/pets/{id}"
            }
        })
    );
}

/// A response template that reshapes a list and counts with a map.
#[test]
fn reshaping_a_response() {
    let template = r##"#set($root = $input.path('$'))
#set($byType = {})
#foreach($pet in $root.pets)
#set($n = $byType.get($pet.type))
#if(!$n)#set($n = 0)#end
#set($ignored = $byType.put($pet.type, $n + 1))
#end
{"count": $root.pets.size(), "types": {#foreach($e in $byType.entrySet())"$e.key": $e.value#if($foreach.hasNext), #end#end}, "first": "$root.pets[0].name", "cheap": [#foreach($p in $root.pets)#if($p.price < 10)"$p.name"#if($foreach.hasNext),#end#end#end]}
"##;
    let body = r#"{"pets": [{"name": "a", "type": "dog", "price": 5}, {"name": "b", "type": "cat", "price": 25.5}, {"name": "c", "type": "dog", "price": 9.99}]}"#;
    let out = render(template, body);
    let parsed: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{out}: {e}"));
    assert_eq!(
        parsed,
        json!({"count": 3, "types": {"dog": 2, "cat": 1}, "first": "a", "cheap": ["a", "c"]})
    );
}

mod bounded;
mod fuzz;

#[test]
fn a_template_reads_only_what_its_text_names() {
    let reads = |text: &str| Template::compile(text).expect("compiles").reads();
    assert_eq!(
        reads(r#"{"id": "$input.path('$.id')"}"#),
        Reads {
            context: false,
            params: false,
            stage_variables: false
        }
    );
    let all = reads("$context.stage $input.params('x') $stageVariables.v");
    assert_eq!(all, Reads::ALL);
    // Every way of spelling a reference counts.
    assert!(reads("${context.requestId}").context);
    assert!(reads("#set($c = $!context) $c.stage").context);
    assert!(reads("#foreach($k in $input.params().header.keySet())$k#end").params);
}
