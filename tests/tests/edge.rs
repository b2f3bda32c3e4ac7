//! Endpoint types and region failover on real processes: two regional
//! nodes (eu-central-1, us-east-1) and an edge node (eu-west-1) with a geo
//! database. The edge sends each client to its nearest healthy region over
//! QUIC (client address kept, bodies streamed), refuses REGIONAL and
//! PRIVATE APIs; a regional node refuses another region's REGIONAL API and
//! PRIVATE APIs from outside its networks. Then the nearest region is killed
//! and comes back while a client keeps calling: detection time, failed
//! requests and extra latency are measured and printed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use apigw_tests::cluster::{cluster_certs, free_udp_port, wait_for_stage_count, wait_for_view};
use apigw_tests::node::TempDir;
use apigw_tests::python::make_geo_db;
use apigw_tests::{Backend, Client, Node};
use http::Method;

const EDGE_API: &str = r#"
openapi: 3.0.1
info: {title: edge}
paths:
  /who:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"ip": "$context.identity.sourceIp", "id": "$context.requestId"}'}
  /echo:
    post:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: POST
        uri: '${stageVariables.backend}/echo'
"#;

fn mock_api(title: &str, endpoint: &str) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: {title}}}
x-amazon-apigateway-endpoint-configuration: {{types: [{endpoint}]}}
paths:
  /:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {{application/json: '{{"statusCode": 200}}'}}
        responses: {{default: {{statusCode: "200", responseTemplates: {{application/json: '{{"api": "{title}"}}'}}}}}}
"#
    )
}

/// A client in Paris (nearest: eu-central-1) and one in New York (us-east-1).
const PARIS: &str = "81.2.69.7";
const NEW_YORK: &str = "216.160.83.7";

struct Lab {
    _certs: TempDir,
    _geo: TempDir,
    dirs: Vec<Arc<TempDir>>,
    configs: Vec<String>,
}

impl Lab {
    fn new(backend: &str) -> Lab {
        let (certs, certs_path) = cluster_certs("1,2,3");
        let geo = TempDir::new("geo").expect("dir");
        let db = geo.0.join("geo.mmdb");
        make_geo_db(
            &db,
            "flat",
            &[
                ("81.2.69.0/24", 48.8566, 2.3522, "FR"),
                ("216.160.83.0/24", 40.7128, -74.0060, "US"),
            ],
        )
        .expect("geo database");
        let ports = [free_udp_port(), free_udp_port(), free_udp_port()];
        let regions = ["eu-central-1", "us-east-1", "eu-west-1"];
        let mut configs = Vec::new();
        for id in 1..=3u64 {
            let i = id as usize - 1;
            let peers: Vec<String> = (1..=3u64)
                .filter(|p| *p != id)
                .map(|p| format!("{{id: {p}, addr: '127.0.0.1:{}'}}", ports[p as usize - 1]))
                .collect();
            let role = if id == 3 { "edge" } else { "regional" };
            let mut config = format!(
                r#"
node:
  region: {region}
  trusted_proxies: ['127.0.0.1']
cluster:
  name: lab
  node_id: {id}
  role: {role}
  listen: 127.0.0.1:{port}
  certs: '{certs_path}'
  gossip_interval_ms: 100
  peers: [{peers}]
"#,
                region = regions[i],
                port = ports[i],
                peers = peers.join(", ")
            );
            if id == 2 {
                // us-east-1 answers PRIVATE APIs only from 10/8: loopback is outside.
                config = config.replace(
                    "  trusted_proxies: ['127.0.0.1']\n",
                    "  private_networks: ['10.0.0.0/8']\n",
                );
            }
            if id == 3 {
                config.push_str(&format!(
                    r#"
geo:
  database: '{}'
  regions:
    - {{name: eu-central-1, lat: 50.11, lon: 8.68}}
    - {{name: us-east-1, lat: 38.9, lon: -77.0}}
    - {{name: eu-west-1, lat: 53.35, lon: -6.26}}
"#,
                    db.display()
                ));
            }
            if id == 1 {
                config.push_str(&format!(
                    r#"
apis:
  - {{id: edgeapi, openapi: edge.yaml, stages: [{{name: prod, variables: {{backend: '{backend}'}}}}]}}
  - {{id: regapi, openapi: regional.yaml, region: eu-central-1, stages: [{{name: prod}}]}}
  - {{id: privapi, openapi: private.yaml, stages: [{{name: prod}}]}}
"#
                ));
            }
            configs.push(config);
        }
        Lab {
            _certs: certs,
            _geo: geo,
            dirs: (0..3)
                .map(|_| Arc::new(TempDir::new("edge-node").expect("dir")))
                .collect(),
            configs,
        }
    }

    fn start(&self, id: usize) -> Node {
        Node::builder()
            .file("edge.yaml", EDGE_API)
            .file("regional.yaml", &mock_api("regional", "REGIONAL"))
            .file("private.yaml", &mock_api("private", "PRIVATE"))
            .config(&self.configs[id - 1])
            .start_in(self.dirs[id - 1].clone())
            .unwrap_or_else(|e| panic!("node {id}: {e:#}"))
    }
}

async fn call(client: &Client, url: &str, from: &str) -> apigw_tests::Reply {
    client
        .send(Method::GET, url, &[("x-forwarded-for", from)], "")
        .await
        .expect("reply")
}

/// Waits until the edge knows every peer's role and sees them up.
async fn wait_for_roles(edge: &Node) {
    wait_for_view(edge, "every peer up with its role", |view| {
        view["peers"].as_array().is_some_and(|peers| {
            peers.len() == 2
                && peers
                    .iter()
                    .all(|p| p["up"] == true && p["role"] == "regional")
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_routes_to_the_nearest_region_and_fails_over() {
    let backend = Backend::echo().await;
    let lab = Lab::new(&backend.url());
    let one = lab.start(1);
    let two = lab.start(2);
    let edge = lab.start(3);
    let client = Client::default();
    for node in [&one, &two, &edge] {
        wait_for_stage_count(&client, node, 3).await;
    }
    wait_for_roles(&edge).await;

    // Nearest region per client; the client's address reaches the context.
    let who = edge.invoke_url("edgeapi", "prod", "/who");
    let paris = call(&client, &who, PARIS).await;
    assert_eq!(paris.status, 200, "{}", paris.text());
    assert_eq!(paris.header("x-apigw-region"), Some("eu-central-1"));
    assert_eq!(paris.json()["ip"], PARIS);
    // The regional node used the edge's request id.
    assert_eq!(
        paris.json()["id"].as_str(),
        paris.header("x-amzn-requestid")
    );
    let new_york = call(&client, &who, NEW_YORK).await;
    assert_eq!(new_york.header("x-apigw-region"), Some("us-east-1"));
    assert_eq!(new_york.json()["ip"], NEW_YORK);
    // Unknown to the database (loopback): the edge's own location, Dublin,
    // whose nearest serving region is eu-central-1.
    let local = client.get(&who).await.expect("reply");
    assert_eq!(local.header("x-apigw-region"), Some("eu-central-1"));

    // A 1 MiB body streamed through the edge to an HTTP_PROXY backend and back.
    let big = "a".repeat(1024 * 1024);
    let echo = client
        .send(
            Method::POST,
            &edge.invoke_url("edgeapi", "prod", "/echo"),
            &[
                ("x-forwarded-for", NEW_YORK),
                ("content-type", "text/plain"),
            ],
            big.clone(),
        )
        .await
        .expect("reply");
    assert_eq!(echo.status, 200, "{}", echo.text());
    assert_eq!(echo.header("x-apigw-region"), Some("us-east-1"));
    assert_eq!(echo.json()["body"].as_str().map(str::len), Some(big.len()));

    // Endpoint types.
    let forbidden = |reply: &apigw_tests::Reply| {
        assert_eq!(reply.status, 403, "{}", reply.text());
        assert_eq!(reply.json(), serde_json::json!({"message": "Forbidden"}));
        assert_eq!(reply.header("x-amzn-errortype"), Some("ForbiddenException"));
    };
    let regional = |node: &Node| node.invoke_url("regapi", "prod", "/");
    forbidden(&call(&client, &regional(&edge), PARIS).await);
    forbidden(&client.get(&regional(&two)).await.expect("reply"));
    let served = client.get(&regional(&one)).await.expect("reply");
    assert_eq!(served.json()["api"], "regional");
    let private = |node: &Node| node.invoke_url("privapi", "prod", "/");
    assert_eq!(client.get(&private(&one)).await.expect("reply").status, 200);
    forbidden(&client.get(&private(&two)).await.expect("reply"));
    forbidden(&call(&client, &private(&edge), PARIS).await);

    // Failover: a Paris client calls every 20 ms; eu-central-1 is killed,
    // then restarted.
    let probe = |client: Client, url: String| async move {
        let started = Instant::now();
        let reply = client
            .send(Method::GET, &url, &[("x-forwarded-for", PARIS)], "")
            .await;
        let region = reply
            .as_ref()
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| r.header("x-apigw-region").map(str::to_string));
        (region, started.elapsed())
    };
    let killed_at = Instant::now();
    drop(one);
    let mut failed = 0;
    let mut slowest = Duration::ZERO;
    let detected = loop {
        let (region, took) = probe(client.clone(), who.clone()).await;
        slowest = slowest.max(took);
        match region.as_deref() {
            Some("us-east-1") => break killed_at.elapsed(),
            Some(_) => {}
            None => failed += 1,
        }
        assert!(killed_at.elapsed() < Duration::from_secs(15), "no failover");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // After detection, every call goes to us-east-1.
    for _ in 0..20 {
        let (region, _) = probe(client.clone(), who.clone()).await;
        assert_eq!(region.as_deref(), Some("us-east-1"));
    }
    let restarted_at = Instant::now();
    let one = lab.start(1);
    let start_took = restarted_at.elapsed();
    let moved_back = loop {
        let (region, took) = probe(client.clone(), who.clone()).await;
        slowest = slowest.max(took);
        match region.as_deref() {
            Some("eu-central-1") => break restarted_at.elapsed(),
            Some(_) => {}
            None => failed += 1,
        }
        assert!(
            restarted_at.elapsed() < Duration::from_secs(20),
            "traffic never moved back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "failover: detected in {} ms after the kill, moved back {} ms after the restart \
         (the process took {} ms to listen), {failed} failed requests, slowest request {} ms",
        detected.as_millis(),
        moved_back.as_millis(),
        start_took.as_millis(),
        slowest.as_millis()
    );
    // Idempotent calls are retried on the next region: none fail.
    assert_eq!(failed, 0, "requests failed during failover");
    assert!(detected < Duration::from_secs(3), "{detected:?}");
    let metrics = edge
        .admin_client()
        .get("/metrics")
        .await
        .expect("metrics")
        .text();
    assert!(metrics.contains("apigw_edge_forwarded_total"), "{metrics}");
    drop(one);
    drop(two);
}
