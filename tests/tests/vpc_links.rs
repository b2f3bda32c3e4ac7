//! VPC links as upstream groups: a link made with CreateVpcLink, whose
//! target ARN the config maps to three backend processes; the method's
//! `connectionId` is `${stageVariables.vpcLinkId}`. Backends are killed and
//! restarted under load: round robin over the healthy ones, no 5xx once
//! the health check's threshold × interval has passed, the restarted one
//! back in the rotation, and AWS's 503 at once when none is healthy.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use apigw_tests::python::python_with_lambda_ric;
use apigw_tests::{Client, Node};
use http::Method;
use serde_json::{json, Value};

const NLB: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/private/50dc6c495c0c9188";

/// A backend process (`scripts/named_backend.py`).
struct Target {
    name: String,
    port: u16,
    child: Option<Child>,
}

impl Target {
    fn start(name: &str, port: u16) -> Target {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/named_backend.py");
        let mut child = Command::new(python_with_lambda_ric().expect("python"))
            .arg(script)
            .args([name, &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("backend starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("port line");
        Target {
            name: name.into(),
            port: line.trim().parse().expect("a port"),
            child: Some(child),
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn restart(&mut self) {
        *self = Target::start(&self.name.clone(), self.port);
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.kill();
    }
}

const API: &str = r#"
openapi: 3.0.1
info: {title: private}
paths:
  /orders:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: http://orders.internal.example:8080/orders
        connectionType: VPC_LINK
        connectionId: ${stageVariables.vpcLinkId}
"#;

/// The node, the link made, the stage pointed at it.
async fn start(targets: &[Target]) -> Node {
    let list: Vec<String> = targets
        .iter()
        .map(|t| format!("'127.0.0.1:{}'", t.port))
        .collect();
    let config = [
        "apis:",
        "  - id: private",
        "    openapi: api.yaml",
        "    stages: [{name: prod, variables: {vpcLinkId: none}}]",
        "upstreams:",
        &format!("  - target_arn: {NLB}"),
        &format!("    targets: [{}]", list.join(", ")),
        "    balance: round_robin",
        "    health_check: {interval_ms: 100, timeout_ms: 100, path: /health, healthy_threshold: 2, unhealthy_threshold: 2}",
        "    passive: {consecutive_failures: 1, ejection_ms: 5000}",
    ]
    .join("\n");
    let node = Node::builder()
        .file("api.yaml", API)
        .config(&config)
        .env("APIGW_ADMIN_ACCESS_KEY_ID", "AKIDADMIN")
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", "admin-secret")
        .start()
        .expect("node starts");
    let admin = node.admin_client();
    let made = admin
        .send(
            Method::POST,
            "/vpclinks",
            json!({"name": "orders", "targetArns": [NLB]}).to_string(),
        )
        .await
        .expect("CreateVpcLink");
    assert_eq!(made.status, 202, "{}", made.text());
    let id = made.json()["id"].as_str().expect("link id").to_string();
    let patch = json!({"patchOperations": [{"op": "replace", "path": "/variables/vpcLinkId", "value": id}]});
    let updated = admin
        .send(
            Method::PATCH,
            "/restapis/private/stages/prod",
            patch.to_string(),
        )
        .await
        .expect("UpdateStage");
    assert_eq!(updated.status, 200, "{}", updated.text());
    node
}

/// One call: its status, the backend that answered, how long it took.
async fn call(node: &Node) -> (u16, Option<String>, Duration, Value) {
    let started = Instant::now();
    let reply = Client::default()
        .get(&node.invoke_url("private", "prod", "/orders"))
        .await
        .expect("reply");
    let body = reply.json();
    let backend = body["backend"].as_str().map(str::to_string);
    (reply.status.as_u16(), backend, started.elapsed(), body)
}

/// Calls made for `span`: (statuses >= 500, backends that answered).
async fn load(node: &Node, span: Duration) -> (Vec<u16>, BTreeSet<String>) {
    let until = Instant::now() + span;
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    while Instant::now() < until {
        let (status, backend, _, _) = call(node).await;
        if status >= 500 {
            errors.push(status);
        }
        seen.extend(backend);
    }
    (errors, seen)
}

fn names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_killed_and_restarted_under_load() {
    let mut targets: Vec<Target> = ["a", "b", "c"]
        .iter()
        .map(|n| Target::start(n, 0))
        .collect();
    let node = start(&targets).await;

    let (status, _, _, body) = call(&node).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["host"], "orders.internal.example:8080",
        "the URI's host names the request"
    );
    let (errors, seen) = load(&node, Duration::from_millis(600)).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(seen, names(&["a", "b", "c"]), "round robin over all three");

    targets[1].kill();
    // 2 failed checks x 100 ms (passive ejection may come first): then no 5xx.
    let (_, _) = load(&node, Duration::from_millis(400)).await;
    let (errors, seen) = load(&node, Duration::from_millis(1000)).await;
    assert!(errors.is_empty(), "5xx after the threshold: {errors:?}");
    assert_eq!(seen, names(&["a", "c"]));
    let metrics = node
        .admin_client()
        .get("/metrics")
        .await
        .expect("metrics")
        .text();
    let gauge = |port: u16| {
        format!("apigw_upstream_target_healthy{{target_arn=\"{NLB}\",target=\"127.0.0.1:{port}\"}}")
    };
    assert!(
        metrics.contains(&format!("{} 0", gauge(targets[1].port))),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("{} 1", gauge(targets[0].port))),
        "{metrics}"
    );

    targets[1].restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (errors, seen) = load(&node, Duration::from_millis(300)).await;
        assert!(errors.is_empty(), "{errors:?}");
        if seen.contains("b") {
            break;
        }
        assert!(Instant::now() < deadline, "b never came back: {seen:?}");
    }

    for target in &mut targets {
        target.kill();
    }
    let _ = load(&node, Duration::from_millis(500)).await;
    for _ in 0..5 {
        let (status, _, took, body) = call(&node).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body, json!({"message": "Service Unavailable"}));
        assert!(took < Duration::from_millis(100), "answered in {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_link_fails_closed() {
    let targets = [Target::start("a", 0)];
    let node = Node::builder()
        .file("api.yaml", API)
        .config(&format!(
            "apis:\n  - id: private\n    openapi: api.yaml\n    stages: [{{name: prod, variables: {{vpcLinkId: nope}}}}]\n\
upstreams:\n  - target_arn: {NLB}\n    targets: ['127.0.0.1:{}']\n",
            targets[0].port
        ))
        .start()
        .expect("node starts");
    let (status, _, _, body) = call(&node).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body, json!({"message": "Internal server error"}));
}
