//! Paths that try to climb: dot segments and slashes in every encoding,
//! sent byte for byte on a raw socket, through HTTP_PROXY and HTTP
//! integrations with a greedy `{proxy}` and named `{param}`s. What a real
//! backend on loopback receives must stay under the prefix the integration
//! URI names, and a path is routed (and its API key checked) as the
//! backend will see it.

use apigw_tests::{Backend, Node};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn api(backend: &str) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: paths}}
components:
  securitySchemes:
    api_key: {{type: apiKey, name: x-api-key, in: header}}
paths:
  /echo/{{proxy+}}:
    x-amazon-apigateway-any-method:
      parameters: [{{name: proxy, in: path, required: true}}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: {backend}/echo/{{proxy}}
        requestParameters:
          integration.request.path.proxy: method.request.path.proxy
  /raw/{{proxy+}}:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: {backend}/raw/{{proxy}}
  /keyed:
    get:
      security: [{{api_key: []}}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: {backend}/keyed
  /items/{{id}}:
    get:
      parameters: [{{name: id, in: path, required: true}}]
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: {backend}/base/items/{{id}}
        requestParameters:
          integration.request.path.id: method.request.path.id
        responses: {{default: {{statusCode: "200"}}}}
  /files/{{path+}}:
    get:
      parameters: [{{name: path, in: path, required: true}}]
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: {backend}/store/{{path}}
        responses: {{default: {{statusCode: "200"}}}}
  /lookup:
    get:
      parameters: [{{name: to, in: query}}]
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: {backend}/dir/{{name}}
        requestParameters:
          integration.request.path.name: method.request.querystring.to
        responses: {{default: {{statusCode: "200"}}}}
  /spread:
    get:
      parameters: [{{name: to, in: query}}]
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: {backend}/tree/{{proxy}}
        requestParameters:
          integration.request.path.proxy: method.request.querystring.to
        responses: {{default: {{statusCode: "200"}}}}
"#
    )
}

const KEY: &str = "paths-key-0123456789abcdef";

fn config() -> String {
    format!(
        "api_keys:\n  - {{name: k, value: {KEY}}}\nusage_plans:\n  - {{name: p, stages: [{{api: paths, stage: prod}}], keys: [k]}}\napis:\n  - {{id: paths, openapi: api.yaml, stages: [{{name: prod}}]}}\n"
    )
}

/// Sends `GET {target}` exactly as written (no client-side normalisation)
/// and returns the status code and the body.
async fn raw_get(node: &Node, target: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(node.data)
        .await
        .expect("connect");
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        node.data
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("an answer within 30 s")
    .expect("read the answer");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn base(path: &str) -> String {
    format!("/restapis/paths/prod/_user_request_{path}")
}

/// Whether a path the backend received stays under `prefix`, judged the way
/// a normalising backend would: percent-decoding `.`, then RFC 3986 dot
/// segment removal.
fn stays_under(target: &str, prefix: &str) -> bool {
    let path = target.split('?').next().unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for segment in path.split('/').skip(1) {
        let decoded = segment.replace("%2e", ".").replace("%2E", ".");
        match decoded.as_str() {
            "." => {}
            ".." => {
                out.pop();
            }
            _ => out.push(decoded),
        }
    }
    let resolved = format!("/{}", out.join("/"));
    resolved.starts_with(prefix) && !path.contains("/../") && !path.ends_with("/..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dot_segments_never_climb_out_of_the_integration_prefix() {
    let backend = Backend::echo().await;
    let node = Node::builder()
        .file("api.yaml", &api(&backend.url()))
        .config(&config())
        .start()
        .expect("node starts");

    // The reported bypass: an open greedy resource beside a keyed one.
    for climb in [
        "/echo/../keyed",
        "/echo/%2e%2e/keyed",
        "/echo/%2E%2e/keyed",
        "/echo/.%2e/keyed",
        "/echo/%2e./keyed",
        "/echo/x/../../keyed",
        "/echo/%2e/%2e%2e/keyed",
        "/echo/./../keyed",
    ] {
        let before = backend.seen().len();
        let (status, body) = raw_get(&node, &base(climb)).await;
        let seen = backend.seen();
        let reached: Vec<&str> = seen[before..].iter().map(|s| s.target.as_str()).collect();
        assert_eq!(
            (status, reached.len()),
            (403, 0),
            "{climb} is /keyed once resolved, which needs the API key: {body}"
        );
        assert!(body.contains("Forbidden"), "{climb}: {body}");
    }

    // Resolved, the same paths with the key reach /keyed as /keyed.
    let before = backend.seen().len();
    let mut stream = tokio::net::TcpStream::connect(node.data)
        .await
        .expect("connect");
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nx-api-key: {KEY}\r\nConnection: close\r\n\r\n",
        base("/echo/%2e%2e/keyed"),
        node.data
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let seen = backend.seen();
    assert_eq!(
        seen[before..]
            .iter()
            .map(|s| s.target.as_str())
            .collect::<Vec<_>>(),
        vec!["/keyed"]
    );

    // Inside a greedy path: each stays under /echo/ (or /raw/, /store/), and
    // encoded slashes and backslashes stay data inside one segment.
    let cases: &[(&str, &str)] = &[
        ("/echo/a/b/..", "/echo/a"),
        ("/echo/a/./b", "/echo/a/b"),
        ("/echo/a/%2e", "/echo/a"),
        ("/echo/a/b/%2e%2e/c", "/echo/a/c"),
        ("/echo/..%2fkeyed", "/echo/..%2Fkeyed"),
        ("/echo/..%2Fkeyed", "/echo/..%2Fkeyed"),
        ("/echo/a%2f..%2f..%2fkeyed", "/echo/a%2F..%2F..%2Fkeyed"),
        ("/echo/..%5ckeyed", "/echo/..%5Ckeyed"),
        ("/echo/%252e%252e/keyed", "/echo/%252e%252e/keyed"),
        ("/echo/%2e%2e%2fkeyed", "/echo/..%2Fkeyed"),
        ("/echo/ke%79ed", "/echo/keyed"),
        ("/raw/..%2f..%2fkeyed", "/raw/..%2F..%2Fkeyed"),
        ("/raw/a/b/../c", "/raw/a/c"),
        ("/files/a/%2e%2e/b", "/store/b"),
        ("/files/..%2fsecret", "/store/..%2Fsecret"),
        ("/items/..%2f..%2fadmin", "/base/items/..%2F..%2Fadmin"),
        ("/items/%2e%2e%5cadmin", "/base/items/..%5Cadmin"),
        ("/items/a%2fb", "/base/items/a%2Fb"),
    ];
    for (sent, expected) in cases {
        let before = backend.seen().len();
        let (status, body) = raw_get(&node, &base(sent)).await;
        let seen = backend.seen();
        let reached: Vec<&str> = seen[before..].iter().map(|s| s.target.as_str()).collect();
        assert_eq!(
            (status, reached.clone()),
            (200, vec![*expected]),
            "{sent}: {body}"
        );
        let prefix = format!("/{}/", expected.split('/').nth(1).unwrap_or_default());
        assert!(stays_under(expected, &prefix), "{sent} -> {expected}");
    }

    // Climbing above a named parameter's segment resolves the route first:
    // /items/x/.. is /items, which has no method.
    let before = backend.seen().len();
    let (status, _) = raw_get(&node, &base("/items/x/%2e%2e")).await;
    assert_eq!(status, 403);
    assert_eq!(backend.seen().len(), before, "no route, no backend call");

    // Values mapped from the query string cannot smuggle dot segments in.
    for (sent, verdict) in [
        ("/lookup?to=..", None),
        ("/lookup?to=.", None),
        ("/lookup?to=%2e%2e", None),
        ("/lookup?to=../keyed", Some("/dir/..%2Fkeyed")),
        ("/spread?to=a/../../keyed", None),
        ("/spread?to=a/./b", None),
        ("/spread?to=a/b", Some("/tree/a/b")),
    ] {
        let before = backend.seen().len();
        let (status, body) = raw_get(&node, &base(sent)).await;
        let seen = backend.seen();
        let reached: Vec<&str> = seen[before..].iter().map(|s| s.target.as_str()).collect();
        match verdict {
            None => assert_eq!(
                (status, reached.len()),
                (400, 0),
                "{sent}: refused, never sent: {reached:?} {body}"
            ),
            Some(target) => assert_eq!((status, reached), (200, vec![target]), "{sent}"),
        }
    }

    // Above the stage root: the resolved path names no stage of this API.
    let before = backend.seen().len();
    let (status, _) = raw_get(&node, &base("/../../../keyed")).await;
    assert_eq!(status, 403);
    assert_eq!(backend.seen().len(), before);

    // A literal backslash passes the HTTP parser and stays data.
    let before = backend.seen().len();
    let (status, _) = raw_get(&node, &base("/echo/..\\keyed")).await;
    let seen = backend.seen();
    let reached: Vec<&str> = seen[before..].iter().map(|s| s.target.as_str()).collect();
    assert_eq!(
        (status, reached),
        (200, vec!["/echo/..%5Ckeyed"]),
        "data in its segment, sent escaped"
    );
    node.stop().expect("stops");
}
