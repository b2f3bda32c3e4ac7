//! Observability against a real node: stage access logs in AWS's four
//! console presets (golden lines, ids and times masked), UpdateStage's
//! refusals of bad formats, `/metrics` counts after a known request mix,
//! and trace ids (new ones start with the epoch; a client's Root reaches
//! the backend and comes back).

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use apigw::observability::access_format::presets;
use apigw_tests::{Backend, Client, Node, Reply};
use http::Method;

const STAGES: &[&str] = &["clf", "json", "xml", "csv", "m", "t"];

fn api(backend: &str) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: obs}}
paths:
  /pets:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {{application/json: '{{"statusCode": 200}}'}}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {{application/json: '{{"ok":true}}'}}
  /http:
    get:
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: {backend}/plain
        responses:
          default: {{statusCode: "200"}}
  /up/{{proxy+}}:
    x-amazon-apigateway-any-method:
      parameters: [{{name: proxy, in: path, required: true}}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: {backend}/upstream/{{proxy}}
        requestParameters:
          integration.request.path.proxy: method.request.path.proxy
"#
    )
}

async fn start(backend: &Backend) -> Node {
    let stages: Vec<String> = STAGES.iter().map(|s| format!("{{name: {s}}}")).collect();
    let config = format!(
        "apis:\n  - id: obs\n    openapi: api.yaml\n    stages: [{}]\n",
        stages.join(", ")
    );
    Node::builder()
        .file("api.yaml", &api(&backend.url()))
        .config(&config)
        .start()
        .expect("node starts")
}

/// UpdateStage with these `(op, path, value)` operations.
async fn update_stage(node: &Node, stage: &str, ops: &[(&str, &str, &str)]) -> Reply {
    let ops: Vec<serde_json::Value> = ops
        .iter()
        .map(|(op, path, value)| serde_json::json!({"op": op, "path": path, "value": value}))
        .collect();
    let body = serde_json::json!({ "patchOperations": ops }).to_string();
    node.admin_client()
        .send(
            Method::PATCH,
            &format!("/restapis/obs/stages/{stage}"),
            body,
        )
        .await
        .expect("UpdateStage answers")
}

/// Sends a stage's access log to log group `/apigw/{stage}` in `format`.
async fn log_stage(node: &Node, stage: &str, format: &str) {
    let arn = format!("arn:aws:logs:us-east-1:123456789012:log-group:/apigw/{stage}");
    let reply = update_stage(
        node,
        stage,
        &[
            ("replace", "/accessLogSettings/destinationArn", &arn),
            ("replace", "/accessLogSettings/format", format),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

fn log_file(node: &Node, stage: &str) -> PathBuf {
    node.dir
        .0
        .join("data/logs")
        .join(format!("_apigw_{stage}.log"))
}

/// The file's lines once it has `n` (the writer flushes when idle).
fn wait_lines(path: &PathBuf, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Retries a GET until the stage answers with the new settings applied
/// (UpdateStage reaches the data plane through the snapshot swap).
async fn get(url: &str) -> Reply {
    Client::default().get(url).await.expect("reply")
}

/// `dd/Mon/yyyy:hh:mm:ss +0000` -> `<time>`; the reply's ids -> `<id>`, `<ext>`.
fn mask(line: &str, replies: &[&Reply]) -> String {
    let mut out = line.to_string();
    for r in replies {
        for (header, tag) in [("x-amzn-requestid", "<id>"), ("x-amz-apigw-id", "<ext>")] {
            if let Some(v) = r.header(header) {
                out = out.replace(v, tag);
            }
        }
    }
    while let Some(end) = out.find(" +0000") {
        let start = end.saturating_sub(20);
        out.replace_range(start..end + 6, "<time>");
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_four_presets_write_aws_lines() {
    let backend = Backend::echo().await;
    let node = start(&backend).await;
    for (stage, format) in [
        ("clf", presets::CLF),
        ("json", presets::JSON),
        ("xml", presets::XML),
        ("csv", presets::CSV),
    ] {
        log_stage(&node, stage, format).await;
    }
    let mut seen = Vec::new();
    for stage in ["clf", "json", "xml", "csv"] {
        let ok = get(&node.invoke_url("obs", stage, "/pets")).await;
        assert_eq!(ok.status, 200, "{}", ok.text());
        assert_eq!(ok.text().len(), 11);
        let missing = get(&node.invoke_url("obs", stage, "/nothing")).await;
        assert_eq!(missing.status, 403);
        let lines = wait_lines(&log_file(&node, stage), 2);
        assert_eq!(lines.len(), 2, "{stage}: {lines:?}");
        seen.push((stage, mask(&lines[0], &[&ok]), mask(&lines[1], &[&missing])));
    }
    let golden = [
        (
            "clf",
            r#"127.0.0.1 - - [<time>] "GET /pets HTTP/1.1" 200 11 <id> <ext>"#,
            r#"127.0.0.1 - - [<time>] "GET - HTTP/1.1" 403 42 <id> <ext>"#,
        ),
        (
            "json",
            r#"{ "requestId":"<id>", "extendedRequestId":"<ext>", "ip": "127.0.0.1", "caller":"-", "user":"-", "requestTime":"<time>", "httpMethod":"GET", "resourcePath":"/pets", "status":"200", "protocol":"HTTP/1.1", "responseLength":"11" }"#,
            r#"{ "requestId":"<id>", "extendedRequestId":"<ext>", "ip": "127.0.0.1", "caller":"-", "user":"-", "requestTime":"<time>", "httpMethod":"GET", "resourcePath":"-", "status":"403", "protocol":"HTTP/1.1", "responseLength":"42" }"#,
        ),
        (
            "xml",
            r#"<request id="<id>"> <extendedRequestId><ext></extendedRequestId> <ip>127.0.0.1</ip> <caller>-</caller> <user>-</user> <requestTime><time></requestTime> <httpMethod>GET</httpMethod> <resourcePath>/pets</resourcePath> <status>200</status> <protocol>HTTP/1.1</protocol> <responseLength>11</responseLength> </request>"#,
            r#"<request id="<id>"> <extendedRequestId><ext></extendedRequestId> <ip>127.0.0.1</ip> <caller>-</caller> <user>-</user> <requestTime><time></requestTime> <httpMethod>GET</httpMethod> <resourcePath>-</resourcePath> <status>403</status> <protocol>HTTP/1.1</protocol> <responseLength>42</responseLength> </request>"#,
        ),
        (
            "csv",
            r#"127.0.0.1,-,-,<time>,GET,/pets,HTTP/1.1,200,11,<id>,<ext>"#,
            r#"127.0.0.1,-,-,<time>,GET,-,HTTP/1.1,403,42,<id>,<ext>"#,
        ),
    ];
    for ((stage, ok, missing), (g_stage, g_ok, g_missing)) in seen.iter().zip(golden) {
        assert_eq!(*stage, g_stage);
        assert_eq!(ok, g_ok, "{stage}");
        assert_eq!(missing, g_missing, "{stage}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_formats_are_refused_as_aws_does() {
    let backend = Backend::echo().await;
    let node = start(&backend).await;
    let long = format!("$context.requestId {}", "x".repeat(3100));
    let reply = update_stage(
        &node,
        "m",
        &[("replace", "/accessLogSettings/format", &long)],
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(
        reply.json()["message"],
        "Access Log format must be at most 3 KB"
    );
    let no_id = "$context.status $context.identity.sourceIp";
    let reply = update_stage(
        &node,
        "m",
        &[("replace", "/accessLogSettings/format", no_id)],
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(
        reply.json()["message"],
        format!("Access Log format must include either $context.requestId or $context.extendedRequestId : '{no_id}'")
    );
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("BadRequestException")
    );
    let fine = "$context.extendedRequestId $context.status";
    let reply = update_stage(
        &node,
        "m",
        &[("replace", "/accessLogSettings/format", fine)],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["accessLogSettings"]["format"], fine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_a_known_request_mix() {
    let backend = Backend::echo().await;
    let node = start(&backend).await;
    let reply = update_stage(&node, "m", &[("replace", "/*/*/metrics/enabled", "true")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    for _ in 0..3 {
        assert_eq!(get(&node.invoke_url("obs", "m", "/pets")).await.status, 200);
    }
    for _ in 0..2 {
        assert_eq!(
            get(&node.invoke_url("obs", "m", "/nothing")).await.status,
            403
        );
    }
    assert_eq!(get(&node.invoke_url("obs", "t", "/up/x")).await.status, 200);
    let text = node
        .admin_client()
        .get("/metrics")
        .await
        .expect("metrics")
        .text();
    for line in [
        r#"apigw_requests_total{api="obs",stage="m",status="200"} 3"#,
        r#"apigw_requests_total{api="obs",stage="m",status="403"} 2"#,
        r#"apigw_requests_total{api="obs",stage="m",resource="/pets",method="GET",status="200"} 3"#,
        r#"apigw_requests_total{api="obs",stage="t",status="200"} 1"#,
        r#"apigw_request_duration_seconds_count{api="obs",stage="m"} 5"#,
        r#"apigw_request_duration_seconds_count{api="obs",stage="m",resource="/pets",method="GET"} 3"#,
        r#"apigw_integration_duration_seconds_count{api="obs",stage="t"} 1"#,
        "apigw_metrics_series_overflow_total 0",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
    let stage_t_series = text
        .lines()
        .filter(|l| l.contains("stage=\"t\",resource="))
        .count();
    assert_eq!(stage_t_series, 0, "no method labels without metricsEnabled");
    assert!(text
        .lines()
        .any(|l| l.starts_with("apigw_requests_in_flight ")));
}

fn root_of(header: &str) -> &str {
    header
        .split(';')
        .find_map(|f| f.strip_prefix("Root="))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_trace_ids_start_with_the_epoch_and_match_the_log() {
    let backend = Backend::echo().await;
    let node = start(&backend).await;
    let reply = update_stage(&node, "t", &[("replace", "/tracingEnabled", "true")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    log_stage(&node, "t", "$context.requestId $context.xrayTraceId").await;
    let reply = get(&node.invoke_url("obs", "t", "/http")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let header = reply
        .header("x-amzn-trace-id")
        .expect("trace header")
        .to_string();
    let root = root_of(&header);
    assert_eq!(root.len(), 35, "{header}");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let epoch = u64::from_str_radix(&root[2..10], 16).expect("hex epoch");
    assert!(now.abs_diff(epoch) <= 5, "{header} vs {now}");
    assert!(
        header.contains(";Parent=") && header.ends_with(";Sampled=1"),
        "{header}"
    );
    let seen = backend.seen();
    let sent = seen[0]
        .headers
        .get("x-amzn-trace-id")
        .and_then(|v| v.to_str().ok());
    assert_eq!(sent, Some(header.as_str()));
    let lines = wait_lines(&log_file(&node, "t"), 1);
    let id = reply.header("x-amzn-requestid").expect("request id");
    assert_eq!(lines, [format!("{id} {root}")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_trace_reaches_the_backend() {
    let backend = Backend::echo().await;
    let node = start(&backend).await;
    let given = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let reply = Client::default()
        .send(
            Method::GET,
            &node.invoke_url("obs", "t", "/up/b"),
            &[("x-amzn-trace-id", given)],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let reply = Client::default()
        .send(
            Method::GET,
            &node.invoke_url("obs", "t", "/up/c"),
            &[("traceparent", tp)],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let seen = backend.seen();
    let header = |i: usize, name: &str| {
        seen[i]
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        root_of(&header(0, "x-amzn-trace-id")),
        "1-5759e988-bd862e3fe1be46a994272793"
    );
    // API Gateway sends no traceparent of its own: only a client's goes on.
    assert_eq!(header(0, "traceparent"), "");
    assert_eq!(
        root_of(&header(1, "x-amzn-trace-id")),
        "1-4bf92f35-77b34da6a3ce929d0e0e4736"
    );
    let sent_tp = header(1, "traceparent");
    assert!(
        sent_tp.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{sent_tp}"
    );
    assert!(
        sent_tp.ends_with("-01") && !sent_tp.contains("00f067aa0ba902b7"),
        "{sent_tp}"
    );
    // An HTTP (non-proxy) integration's answer carries it back.
    let reply = Client::default()
        .send(
            Method::GET,
            &node.invoke_url("obs", "t", "/http"),
            &[("x-amzn-trace-id", given)],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-amzn-trace-id"), Some(given));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxied_answers_log_length_and_integration_status() {
    let backend = Backend::echo().await;
    let node = start(&backend).await;
    let format = "$context.requestId $context.status $context.responseLength $context.integrationStatus $context.integration.latency";
    log_stage(&node, "m", format).await;
    let reply = get(&node.invoke_url("obs", "m", "/up/z")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = reply.header("x-amzn-requestid").expect("request id");
    let lines = wait_lines(&log_file(&node, "m"), 1);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let fields: Vec<&str> = lines[0].split(' ').collect();
    let length = reply.text().len().to_string();
    assert_eq!(
        fields[..4],
        [id, "200", length.as_str(), "200"],
        "{}",
        lines[0]
    );
    assert!(fields[4].parse::<u64>().is_ok(), "{}", lines[0]);
}
