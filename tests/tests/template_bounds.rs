//! A hostile mapping template against a running node: it keeps 300 copies
//! of a 5 MiB string (1.5 GB unbounded). The node answers AWS's 500, logs
//! which template hit which limit, and its memory stays far below what the
//! template asked for; a second request is served as usual.

use apigw_tests::{Client, Node};
use http::Method;

const API: &str = r#"
openapi: 3.0.1
info: {title: bounds}
paths:
  /hostile:
    post:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: >-
                #set($big = 'xxxxx')#foreach($i in [1..20])#set($big = "$big$big")#end
                #set($copies = [])#foreach($i in [1..300])#set($ignored = $copies.add("$big"))#end
                $copies.size()
  /fine:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"ok": true}'
"#;

/// Peak resident size of a process (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_past_its_memory_budget_gets_500_not_an_oom() {
    let node = Node::builder()
        .file("api.yaml", API)
        .config("apis:\n  - id: bounds\n    openapi: api.yaml\n    stages: [{name: prod}]\n")
        .start()
        .expect("starts");
    let client = Client::default();
    let reply = client
        .send(
            Method::POST,
            &node.invoke_url("bounds", "prod", "/hostile"),
            &[("content-type", "application/json")],
            "{}",
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.json(),
        serde_json::json!({"message": "Internal server error"})
    );
    let logged = node
        .wait_for_log(|v| v.to_string().contains("memory budget"))
        .expect("the limit is logged");
    let line = logged.to_string();
    eprintln!("{line}");
    assert!(line.contains("response template 200"), "{line}");
    assert!(line.contains("67108864 bytes"), "{line}");
    if let Some(peak) = peak_rss(node.pid()) {
        eprintln!("the node's peak RSS: {} MiB", peak >> 20);
        // The template asked for 1.5 GB; the budget holds it to 64 MiB.
        assert!(peak < 400 << 20, "peak RSS {} MiB", peak >> 20);
    }
    let fine = client
        .get(&node.invoke_url("bounds", "prod", "/fine"))
        .await
        .expect("reply");
    assert_eq!(fine.status, 200);
    assert_eq!(fine.json(), serde_json::json!({"ok": true}));
}
