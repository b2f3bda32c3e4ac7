//! WebSocket APIs end to end against the real binary: boto3's
//! `apigatewayv2` client builds the API (CreateApi .. CreateStage with
//! autoDeploy) on the admin listener, Python's `websockets` connects to the
//! data plane, boto3's `apigatewaymanagementapi` calls `@connections`, and
//! unmodified Python handlers run by awslambdaric record the Lambda events
//! they get (tests/functions/python/ws_app.py). The driver is
//! tests/scripts/websocket.py; it reports what it saw and the assertions
//! are here.

use apigw_tests::python::{python_with_lambda_ric, script_json};
use apigw_tests::{Backend, Node};
use serde_json::{json, Value};

const HANDLERS: &str = include_str!("../functions/python/ws_app.py");

fn config(record: &str) -> String {
    let python = python_with_lambda_ric().expect("python with awslambdaric");
    let python = python.display();
    let mut text = String::from(
        r#"node: {region: eu-west-3}
iam_users:
  - name: caller
    access_key_id: AKIDWSCALLER0001
    secret_access_key: wssecret
    policies:
      - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "execute-api:ManageConnections", Resource: "arn:aws:execute-api:*:*:*/prod/*/@connections/*"}]}
  - {name: invoker, access_key_id: AKIDWSINVOKER001, secret_access_key: invsecret}
functions:
"#,
    );
    for (name, handler) in [
        ("ws-connect", "connect"),
        ("ws-message", "message"),
        ("ws-disconnect", "disconnect"),
        ("ws-auth", "authorize"),
    ] {
        text += &format!(
            "  - {{name: {name}, command: ['{python}', -m, awslambdaric, 'ws_app.{handler}'], cwd: '.', env: {{RECORD: '{record}'}}}}\n"
        );
    }
    text
}

/// Runs the driver; its JSON report.
fn drive(node: &Node, iam: (&str, &str), backend: &str, record: &std::path::Path) -> Value {
    let keys = node.admin_keys().expect("admin keys");
    let script = format!("{}/scripts/websocket.py", env!("CARGO_MANIFEST_DIR"));
    let python = python_with_lambda_ric().expect("python with boto3 and websockets");
    let out = std::process::Command::new(python)
        .args([
            script.as_str(),
            &format!("http://{}", node.admin),
            &keys.access_key_id,
            &keys.secret_access_key,
            &node.region,
            &node.data.to_string(),
            iam.0,
            iam.1,
            backend,
        ])
        .env("RECORD_FILE", record)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        node.stderr()
    );
    serde_json::from_slice(&out.stdout).expect("the script's JSON")
}

/// Waits (bounded) until `handler` has recorded `count` events:
/// `$disconnect` runs after the client has seen the close.
fn wait_for_events(record: &std::path::Path, handler: &str, count: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while events(record, handler).len() < count && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The recorded events, by handler.
fn events(record: &std::path::Path, handler: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(record).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["handler"] == handler)
        .map(|e| e["event"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_api_built_with_boto3_serves_real_clients() {
    let backend = Backend::echo().await;
    let record = std::env::temp_dir().join(format!("apigw-ws-events-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&record);
    let node = Node::builder()
        .file("ws_app.py", HANDLERS)
        .config(&config(&record.display().to_string()))
        .start()
        .expect("node starts");
    let seen = drive(
        &node,
        ("AKIDWSCALLER0001", "wssecret"),
        &backend.url(),
        &record,
    );
    management(&seen);
    connect_and_routes(&seen);
    callbacks_and_limits(&seen);
    lambda_events(&seen, &record, &node.region);
    metrics(&node, &seen).await;
    let _ = std::fs::remove_file(&record);
}

/// The per-route series on `/metrics`, as AWS's metric names count.
async fn metrics(node: &Node, seen: &Value) {
    let reply = node.admin_client().get("/metrics").await.expect("metrics");
    let text = reply.text();
    let id = seen["api_id"].as_str().unwrap_or_default();
    let value = |name: &str, route: &str| -> Option<f64> {
        let series = format!("{name}{{api=\"{id}\",stage=\"prod\",route=\"{route}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&series))
            .and_then(|v| v.parse().ok())
    };
    // Nine attempts: three refused (no token, Deny, the function's 403),
    // six accepted.
    assert_eq!(
        value("apigw_websocket_connect_total", "$connect"),
        Some(9.0),
        "{text}"
    );
    assert_eq!(
        value("apigw_websocket_client_errors_total", "$connect"),
        Some(2.0)
    );
    assert_eq!(
        value("apigw_websocket_integration_errors_total", "$connect"),
        Some(1.0)
    );
    assert_eq!(value("apigw_websocket_messages_total", "echo"), Some(1.0));
    assert_eq!(value("apigw_websocket_messages_total", "talk"), Some(1.0));
    assert_eq!(
        value("apigw_websocket_client_errors_total", "limited"),
        Some(1.0)
    );
    assert!(value("apigw_websocket_integration_latency_seconds_count", "talk") == Some(1.0));
    assert!(text.contains("apigw_websocket_connections "));
}

fn management(seen: &Value) {
    let api = &seen["create_api"];
    let id = seen["api_id"].as_str().unwrap_or_default();
    assert_eq!(api["ProtocolType"], "WEBSOCKET");
    assert_eq!(api["RouteSelectionExpression"], "$request.body.action");
    assert_eq!(
        api["ApiKeySelectionExpression"],
        "$request.header.x-api-key"
    );
    assert_eq!(
        api["ApiEndpoint"],
        format!("wss://{id}.execute-api.eu-west-3.amazonaws.com")
    );
    assert!(api["CreatedDate"].as_str().is_some_and(|d| d.contains('T')));
    assert_eq!(api["Tags"], json!({"team": "blue"}));
    let code = |name: &str| seen[name]["code"].clone();
    assert_eq!(code("http_api"), "BadRequestException");
    assert!(seen["http_api"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("HTTP APIs are not supported")));
    assert_eq!(code("missing_api"), "NotFoundException");
    assert_eq!(code("bad_integration"), "BadRequestException");
    assert_eq!(code("jwt_authorizer"), "BadRequestException");
    assert_eq!(code("duplicate_route"), "ConflictException");
    assert_eq!(seen["duplicate_route"]["status"], 409);
    assert_eq!(code("auth_off_connect"), "BadRequestException");
    assert_eq!(seen["stage"]["auto"], true);
    assert!(
        seen["stage"]["deployment"].is_string(),
        "autoDeploy deployed"
    );
    assert_eq!(
        seen["manual_deployment"],
        json!({"status": "DEPLOYED", "auto": false})
    );
    assert_eq!(seen["deployments"], 2);
    assert_eq!(
        seen["routes"],
        json!([
            "$connect",
            "$default",
            "$disconnect",
            "echo",
            "limited",
            "quiet",
            "relay",
            "talk",
            "templated"
        ])
    );
    assert_eq!(seen["apis"], json!([id]));
    assert_eq!(seen["tags"], json!({"env": "test", "team": "blue"}));
    assert_eq!(seen["updated_name"], "chat2");
    assert_ne!(
        seen["stage_after_update"], seen["stage"]["deployment"],
        "an autoDeploy stage follows definition changes"
    );
}

fn connect_and_routes(seen: &Value) {
    assert_eq!(seen["no_token"], 401, "missing identity source");
    assert_eq!(seen["denied"], 403, "the authorizer's Deny");
    assert_eq!(seen["connect_refused"], 403, "the $connect function's 403");
    assert_eq!(seen["subprotocol"], "chat");
    let conn = seen["talk"]["connectionId"].clone();
    assert_eq!(
        seen["echo"],
        json!({"echo": {"x": 1}, "route": "echo", "connectionId": conn, "eventType": "MESSAGE"})
    );
    assert_eq!(seen["talk"]["got"], r#"{"action": "talk", "data": "hi"}"#);
    assert_eq!(seen["talk"]["routeKey"], "talk");
    let fallback = json!({"default": true, "route": "$default"});
    assert_eq!(seen["not_json"], fallback);
    assert_eq!(seen["no_route"], fallback);
    assert_eq!(seen["pong"], true);
    // routeSettings throttle: burst 1, then AWS's error frame.
    assert_eq!(seen["limited_first"]["echo"], 1);
    assert_eq!(seen["limited_second"]["message"], "Too Many Requests");
    assert_eq!(seen["limited_second"]["connectionId"], conn);
    // HTTP_PROXY: the message as it is, POSTed; the backend's body back.
    assert_eq!(seen["relay"]["method"], "POST");
    assert_eq!(seen["relay"]["target"], "/relay");
    assert_eq!(seen["relay"]["body"], r#"{"action": "relay", "data": 5}"#);
    // HTTP: the request template's output.
    assert_eq!(
        seen["templated"]["body"],
        r#"{"wrapped": [1,2], "route": "templated"}"#
    );
}

fn callbacks_and_limits(seen: &Value) {
    let got = &seen["get_connection"];
    assert_eq!(got["Identity"]["SourceIp"], "127.0.0.1");
    assert_eq!(got["Identity"]["UserAgent"], "ws-test");
    assert!(got["ConnectedAt"].as_str() <= got["LastActiveAt"].as_str());
    assert_eq!(seen["pushed"], json!({"pushed": true}));
    assert_eq!(
        seen["invoker_post"]["code"], "ForbiddenException",
        "no ManageConnections"
    );
    assert_eq!(seen["unsigned_post"], 403);
    assert_eq!(seen["plain_get"], 426, "a GET without Upgrade");
    assert_eq!(seen["deleted_close"], 1000);
    assert_eq!(seen["gone"]["code"], "GoneException");
    assert_eq!(seen["gone"]["status"], 410);
    assert_eq!(seen["gone_get"]["status"], 410);
    assert_eq!(seen["fragmented_ok"], true, "64 KB in 16 KB frames passes");
    assert_eq!(seen["too_big_message"], 1009);
    assert_eq!(seen["too_big_frame"], 1009);
    assert_eq!(seen["invalid_utf8"]["opcode"], 8);
    assert_eq!(seen["invalid_utf8"]["code"], 1007);
    // A client that reads nothing: posts are refused once its bounded
    // queue (64 frames) and the socket buffers are full.
    let slow = &seen["slow_client"];
    assert_eq!(slow["code"], "LimitExceededException", "{slow}");
    assert!(slow["posts"].as_u64().is_some_and(|n| n < 1000), "{slow}");
    eprintln!("128 KB posts to a client that reads nothing, until 429: {slow}");
}

fn lambda_events(seen: &Value, record: &std::path::Path, region: &str) {
    let id = seen["api_id"].as_str().unwrap_or_default();
    let conn = seen["talk"]["connectionId"].as_str().unwrap_or_default();
    let connects = events(record, "connect");
    let connect = connects
        .iter()
        .find(|e| e["requestContext"]["connectionId"] == conn)
        .expect("the CONNECT event of the main connection");
    let ctx = &connect["requestContext"];
    assert_eq!(ctx["eventType"], "CONNECT");
    assert_eq!(ctx["routeKey"], "$connect");
    assert_eq!(ctx["apiId"], id);
    assert_eq!(ctx["stage"], "prod");
    assert_eq!(ctx["messageDirection"], "IN");
    assert_eq!(ctx["identity"]["sourceIp"], "127.0.0.1");
    assert!(ctx["connectedAt"].as_u64().is_some() && ctx["requestTimeEpoch"].as_u64().is_some());
    assert!(ctx["domainName"].is_string() && ctx["requestId"].is_string());
    assert_eq!(connect["isBase64Encoded"], false);
    assert_eq!(connect["queryStringParameters"]["x"], "1");
    assert_eq!(
        connect["multiValueQueryStringParameters"]["x"],
        json!(["1"])
    );
    assert_eq!(connect["headers"]["Sec-WebSocket-Protocol"], "chat, other");
    assert!(connect["multiValueHeaders"]["Sec-WebSocket-Key"].is_array());

    let messages = events(record, "message");
    let talk = messages
        .iter()
        .find(|e| e["requestContext"]["routeKey"] == "talk")
        .expect("the MESSAGE event");
    let mctx = &talk["requestContext"];
    assert_eq!(mctx["eventType"], "MESSAGE");
    assert_eq!(mctx["connectionId"], conn);
    assert_eq!(mctx["connectedAt"], ctx["connectedAt"]);
    assert!(mctx["messageId"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(
        mctx["authorizer"],
        json!({"principalId": "ada", "team": "blue"})
    );
    assert_eq!(talk["body"], r#"{"action": "talk", "data": "hi"}"#);
    assert_eq!(talk["isBase64Encoded"], false);
    assert!(talk.get("headers").is_none() && talk.get("multiValueHeaders").is_none());

    wait_for_events(record, "disconnect", 5);
    let disconnects = events(record, "disconnect");
    let by_conn: Vec<&Value> = disconnects
        .iter()
        .filter(|e| e["requestContext"]["connectionId"] == conn)
        .collect();
    assert_eq!(by_conn.len(), 1, "$disconnect runs once per connection");
    let dctx = &by_conn[0]["requestContext"];
    assert_eq!(dctx["eventType"], "DISCONNECT");
    assert_eq!(dctx["disconnectStatusCode"], 1000);
    assert!(by_conn[0].get("multiValueHeaders").is_none());
    let codes: Vec<u64> = disconnects
        .iter()
        .filter_map(|e| e["requestContext"]["disconnectStatusCode"].as_u64())
        .collect();
    for code in [1000, 1007, 1009, 4001] {
        assert!(
            codes.contains(&code),
            "a $disconnect with {code}: {codes:?}"
        );
    }
    let reasons: Vec<&str> = disconnects
        .iter()
        .filter_map(|e| e["requestContext"]["disconnectReason"].as_str())
        .collect();
    assert!(reasons.contains(&"done here"), "{reasons:?}");

    let auth = &events(record, "authorize")[0];
    assert_eq!(auth["type"], "REQUEST");
    assert_eq!(
        auth["methodArn"],
        format!("arn:aws:execute-api:{region}:000000000000:{id}/prod/$connect")
    );
}

#[test]
fn connections_end_at_their_limits_and_follow_their_stage() {
    let node = Node::builder()
        .config("websocket: {idle_timeout_ms: 1000, max_duration_ms: 2500}\n")
        .start()
        .expect("node starts");
    let keys = node.admin_keys().expect("admin keys");
    let args = [
        format!("http://{}", node.admin),
        keys.access_key_id.clone(),
        keys.secret_access_key.clone(),
        node.region.clone(),
        node.data.to_string(),
    ];
    let seen = script_json("websocket_limits.py", &args).expect("the script runs");
    let after = |which: &str| seen[which]["after"].as_f64().unwrap_or_default();
    assert_eq!(seen["silent"]["code"], 1001, "{seen}");
    assert!((0.9..5.0).contains(&after("silent")), "{seen}");
    assert_eq!(seen["chatty"]["code"], 1001, "{seen}");
    assert!((2.4..6.0).contains(&after("chatty")), "{seen}");
    assert_eq!(
        seen["redeployed"],
        json!({"first": "v1", "second": "v2", "after_delete": 1001})
    );
}

/// A WebSocket API made through node 1 of a two-node cluster (through
/// Raft) is served by node 2; `@connections` calls on node 1 reach the
/// connection on node 2 over QUIC; once node 2 is gone they get 410 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_api_made_on_one_node_is_served_by_another() {
    use apigw_tests::cluster::{cluster_certs, free_udp_port, wait_for_view};
    let (_certs, certs_path) = cluster_certs("1,2");
    let ports = [free_udp_port(), free_udp_port()];
    let start = |id: usize| {
        let peer = 1 - id;
        Node::builder()
            .env("APIGW_ADMIN_ACCESS_KEY_ID", "AKIDWSCLUSTER001")
            .env("APIGW_ADMIN_SECRET_ACCESS_KEY", "clustersecret")
            .config(&format!(
                "cluster: {{name: lab, node_id: {}, listen: '127.0.0.1:{}', certs: '{certs_path}', gossip_interval_ms: 50, peers: [{{id: {}, addr: '127.0.0.1:{}'}}]}}\n{CALLER}",
                id + 1,
                ports[id],
                peer + 1,
                ports[peer]
            ))
            .start()
            .expect("node starts")
    };
    let (one, two) = (start(0), start(1));
    for node in [&one, &two] {
        wait_for_view(node, "a leader", |v| v["raft"]["leader"].is_u64()).await;
    }
    let script = format!(
        "{}/scripts/websocket_cluster.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let python = python_with_lambda_ric().expect("python with boto3 and websockets");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg(format!("http://{}", one.admin))
        .args(["AKIDWSCLUSTER001", "clustersecret", &one.region])
        .arg(two.data.to_string())
        .arg(one.data.to_string())
        .args(["AKIDWSCALLER0001", "wssecret"])
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("the script's JSON");
    assert_eq!(seen["answer"], json!({"echo": {"n": 1}}), "{seen}");
    assert_eq!(seen["pushed"], "ok", "{seen}");
    assert_eq!(seen["got"], json!({"from": "node 1"}));
    assert_eq!(seen["identity"]["SourceIp"], "127.0.0.1");
    assert_eq!(seen["after_close"], "GoneException");

    // A connection whose node is gone: 410 from node 1, within its deadline.
    two.stop().expect("stops");
    let python = python_with_lambda_ric().expect("python");
    let script = format!(
        "{}/scripts/websocket_cluster.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args(["gone", &one.region, &one.data.to_string()])
        .arg(seen["api_id"].as_str().unwrap_or_default())
        .arg(seen["connection_id"].as_str().unwrap_or_default())
        .args(["AKIDWSCALLER0001", "wssecret"])
        .output()
        .await
        .expect("python runs");
    let gone: Value = serde_json::from_slice(&out.stdout).expect("the script's JSON");
    assert_eq!(gone["code"], "GoneException", "{gone}");
    assert!(gone["seconds"].as_f64().is_some_and(|s| s < 5.0), "{gone}");
    eprintln!("post for a connection on a stopped node: {gone}");
    one.stop().expect("stops");
}

/// The IAM user that calls `@connections` in the cluster test.
const CALLER: &str = r#"iam_users:
  - name: caller
    access_key_id: AKIDWSCALLER0001
    secret_access_key: wssecret
    policies:
      - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "execute-api:ManageConnections", Resource: "*"}]}
"#;

#[test]
fn every_part_can_be_read_changed_and_deleted_as_on_aws() {
    let node = Node::builder().start().expect("node starts");
    let keys = node.admin_keys().expect("admin keys");
    let args = [
        format!("http://{}", node.admin),
        keys.access_key_id.clone(),
        keys.secret_access_key.clone(),
        node.region.clone(),
    ];
    let seen = script_json("websocket_manage.py", &args).expect("the script runs");
    let expected = json!({
        "missing_selection": "BadRequestException",
        "bad_selection": "BadRequestException",
        "import": "BadRequestException",
        "integration_defaults": {"ConnectionType": "INTERNET", "TimeoutInMillis": 29000, "PassthroughBehavior": "WHEN_NO_MATCH"},
        "short_timeout": "BadRequestException",
        "no_uri": "BadRequestException",
        "updated_integration": "d",
        "integration_responses": ["/2\\d\\d/"],
        "bad_response_key": "BadRequestException",
        "response_deleted": "NotFoundException",
        "route_defaults": {"ApiKeyRequired": false, "AuthorizationType": "NONE"},
        "rename_taken": "ConflictException",
        "renamed": "three",
        "bad_target": "BadRequestException",
        "bad_route_response": "BadRequestException",
        "route_responses": 1,
        "route_response": "$default",
        "route_deleted": "NotFoundException",
        "route_of_other": "NotFoundException",
        "bad_source": "BadRequestException",
        "authorizer_name": "h2",
        "authorizers": 1,
        "authorizer_deleted": "NotFoundException",
        "stage_taken": "ConflictException",
        "bad_stage_name": "BadRequestException",
        "missing_deployment": "NotFoundException",
        "stage_variables": {"v": "2"},
        "deployment_in_use": "BadRequestException",
        "deployment_description": "first",
        "stage_moved": true,
        "deployments_left": true,
        "stage_tags": {"b": "2"},
        "stages_left": 0,
        "empty_deploy": "BadRequestException",
        "api_deleted": "NotFoundException",
        "bad_id": "NotFoundException",
    });
    for (k, v) in expected.as_object().into_iter().flatten() {
        assert_eq!(&seen[k], v, "{k}: {seen}");
    }
}

/// A WebSocket API declared in the config file (apigatewayv2's members,
/// parts named) is stored, visible to boto3 and served.
#[test]
fn a_websocket_api_declared_in_the_config_file_is_served() {
    let config = r#"
websocket_apis:
  - id: chatcfg
    name: chat
    routeSelectionExpression: $request.body.action
    integrations:
      echo:
        integrationType: MOCK
        requestTemplates: {$default: '{"statusCode": 200}'}
        responses:
          - {integrationResponseKey: $default, responseTemplates: {$default: '{"said": $input.json(''$.text''), "route": "$context.routeKey"}'}}
    routes:
      - {routeKey: say, integration: echo, twoWay: true}
    stages:
      - {stageName: Prod, stageVariables: {mood: good}}
"#;
    let node = Node::builder().config(config).start().expect("node starts");
    let keys = node.admin_keys().expect("admin keys");
    let script = r#"
import asyncio, json, sys, boto3
from websockets.asyncio.client import connect
admin, key, secret, region, data = sys.argv[1:6]
v2 = boto3.client("apigatewayv2", endpoint_url=admin, region_name=region,
                  aws_access_key_id=key, aws_secret_access_key=secret)
routes = [r["RouteKey"] for r in v2.get_routes(ApiId="chatcfg")["Items"]]
stage = v2.get_stage(ApiId="chatcfg", StageName="Prod")
async def talk():
    async with connect("ws://%s/restapis/chatcfg/Prod/_user_request_/" % data) as ws:
        await ws.send(json.dumps({"action": "say", "text": "hi"}))
        return json.loads(await asyncio.wait_for(ws.recv(), 5))
print(json.dumps({"routes": routes, "variables": stage["StageVariables"], "answer": asyncio.run(talk())}))
"#;
    let python = python_with_lambda_ric().expect("python with boto3");
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(format!("http://{}", node.admin))
        .args([&keys.access_key_id, &keys.secret_access_key, &node.region])
        .arg(node.data.to_string())
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        node.stderr()
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("the script's JSON");
    assert_eq!(
        seen,
        json!({"routes": ["say"], "variables": {"mood": "good"}, "answer": {"said": "hi", "route": "say"}})
    );
}

/// An admin user scoped by policy is judged on `/apis/...` ARNs for
/// apigatewayv2 calls, as AWS names them.
#[test]
fn scoped_admin_users_are_judged_on_v2_resource_arns() {
    let config = r#"
admin_users:
  - name: reader
    access_key_id: AKIDWSREADER0001
    secret_access_key: readersecret
    policies:
      - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "apigateway:GET", Resource: "arn:aws:apigateway:*::/apis*"}]}
"#;
    let node = Node::builder().config(config).start().expect("node starts");
    let script = r#"
import json, sys, boto3, botocore
admin, region = sys.argv[1:3]
v2 = boto3.client("apigatewayv2", endpoint_url=admin, region_name=region,
                  aws_access_key_id="AKIDWSREADER0001", aws_secret_access_key="readersecret")
listed = len(v2.get_apis()["Items"])
try:
    v2.create_api(Name="x", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.a")
    created = "ok"
except botocore.exceptions.ClientError as e:
    created = e.response["Error"]["Code"]
print(json.dumps({"listed": listed, "created": created}))
"#;
    let python = python_with_lambda_ric().expect("python with boto3");
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(format!("http://{}", node.admin))
        .arg(&node.region)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("the script's JSON");
    assert_eq!(
        seen,
        json!({"listed": 0, "created": "AccessDeniedException"})
    );
}
