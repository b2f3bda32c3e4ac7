//! Process lifecycle: persistence across restarts, graceful shutdown, bad
//! configuration, `apigw check`.

use std::sync::Arc;
use std::time::Duration;

use apigw_tests::node::{run_apigw, TempDir};
use apigw_tests::{Backend, Client, Node};

const API: &str = r#"
openapi: 3.0.1
info: {title: life}
paths:
  /hello:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"v": "$stageVariables.v"}'}
"#;

fn config(v: &str) -> String {
    format!("apis:\n  - id: life\n    openapi: api.yaml\n    stages: [{{name: prod, variables: {{v: '{v}'}}}}]\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_survives_restarts_and_bad_configs() {
    let dir = Arc::new(TempDir::new("persist").expect("dir"));
    let client = Client::default();
    let node = Node::builder()
        .file("api.yaml", API)
        .config(&config("one"))
        .start_in(dir.clone())
        .expect("starts");
    assert_eq!(
        client
            .get(&node.invoke_url("life", "prod", "/hello"))
            .await
            .expect("reply")
            .json()["v"],
        "one"
    );
    assert!(node.stop().expect("stops").success());

    // No config this time: the stored API and stage are served.
    let node = Node::builder().start_in(dir.clone()).expect("restarts");
    assert_eq!(
        client
            .get(&node.invoke_url("life", "prod", "/hello"))
            .await
            .expect("reply")
            .json()["v"],
        "one"
    );
    node.stop().expect("stops");

    // A broken document: the node refuses to start and says why...
    let broken = Node::builder()
        .file("api.yaml", "openapi: 3.0.1\ninfo: {title: life}\npaths:\n  /x:\n    get:\n      x-amazon-apigateway-integration: {type: warp}\n")
        .config(&config("two"))
        .start_in(dir.clone());
    let err = broken.err().expect("refused").to_string();
    assert!(
        err.contains("paths./x.get.x-amazon-apigateway-integration.type"),
        "{err}"
    );

    // ...and what was stored before is still there.
    let node = Node::builder().start_in(dir.clone()).expect("restarts");
    assert_eq!(
        client
            .get(&node.invoke_url("life", "prod", "/hello"))
            .await
            .expect("reply")
            .json()["v"],
        "one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_on_the_same_data_dir_is_refused() {
    let dir = Arc::new(TempDir::new("lock").expect("dir"));
    let _first = Node::builder().start_in(dir.clone()).expect("starts");
    let second = Node::builder().start_in(dir.clone());
    let err = second.err().expect("refused").to_string();
    assert!(err.contains("in use by another apigw process"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish() {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let started_tx = std::sync::Mutex::new(Some(started_tx));
    let backend = Backend::start(move |_| {
        if let Some(tx) = started_tx.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = tx.send(());
        }
        async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            apigw_tests::backend::json_response(200, &serde_json::json!({"finished": true}))
        }
    })
    .await;
    let api = format!(
        "openapi: 3.0.1\ninfo: {{title: slow}}\npaths:\n  /slow:\n    get:\n      x-amazon-apigateway-integration: {{type: http_proxy, httpMethod: GET, uri: '{}/slow'}}\n",
        backend.url()
    );
    let mut node = Node::builder()
        .file("api.yaml", &api)
        .config("apis:\n  - id: slow\n    openapi: api.yaml\n    stages: [{name: prod}]\n")
        .start()
        .expect("starts");
    let url = node.invoke_url("slow", "prod", "/slow");
    let in_flight = tokio::spawn(async move { Client::default().get(&url).await });
    started_rx.await.expect("the request reached the backend");
    node.terminate().expect("SIGTERM");
    let reply = in_flight.await.expect("task").expect("reply");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["finished"], true);
    let status = tokio::task::spawn_blocking(move || node.wait(Duration::from_secs(10)))
        .await
        .expect("join")
        .expect("exits");
    assert!(status.success());
}

#[test]
fn check_reports_fields_and_lines() {
    let dir = TempDir::new("check").expect("dir");
    let good = dir.0.join("good.yaml");
    std::fs::write(dir.0.join("api.yaml"), API).expect("write");
    std::fs::write(&good, config("x")).expect("write");
    let (status, out, _) = run_apigw(&["check", good.to_str().expect("utf8")]).expect("runs");
    assert!(status.success(), "{out}");
    assert!(out.contains("ok"), "{out}");

    let bad_config = dir.0.join("bad.yaml");
    std::fs::write(
        &bad_config,
        "apis:\n  - openapi: api.yaml\n    stages:\n      - nam: prod\n",
    )
    .expect("write");
    let (status, out, _) = run_apigw(&["check", bad_config.to_str().expect("utf8")]).expect("runs");
    assert!(!status.success());
    assert!(out.contains("line 4"), "{out}");
    assert!(out.contains("apis[0].stages[0]"), "{out}");

    let bad_doc = dir.0.join("doc.yaml");
    std::fs::write(&bad_doc, "openapi: 3.0.1\ninfo: {title: t}\npaths:\n  /a:\n    get:\n      x-amazon-apigateway-integration: {type: http, httpMethod: GET, uri: 'ftp://x'}\n").expect("write");
    let (status, out, _) = run_apigw(&["check", bad_doc.to_str().expect("utf8")]).expect("runs");
    assert!(!status.success());
    assert!(
        out.contains("paths./a.get.x-amazon-apigateway-integration.uri"),
        "{out}"
    );

    let petstore = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ops/examples/petstore-openapi3.yaml"
    );
    let (status, out, _) = run_apigw(&["check", petstore]).expect("runs");
    assert!(status.success(), "{out}");
    assert!(
        out.contains("API \"PetStore\" with 3 resources and 6 methods"),
        "{out}"
    );
}
