//! Payload compression as API Gateway does it, on a real node with a real
//! backend: the matrix of the client's `Accept-Encoding` (absent, `*`,
//! gzip, deflate, br) x the mapped body below/above the API's
//! `minimumCompressionSize` x the backend's answer already coded or not x
//! a response template or a proxy; an API without the setting; request
//! bodies in gzip and deflate decoded before the backend, other codings
//! refused with 415, a decoded body over the payload limit with 413.

use std::io::Write;

use apigw_tests::{Backend, Client, Node, Reply, Seen};
use bytes::Bytes;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use http::{Method, Response};
use http_body_util::Full;

/// The API's `minimumCompressionSize`.
const MINIMUM: usize = 1000;
/// What the response template adds to the backend's body.
const PADDING: usize = 600;

fn api(backend: &str, compression: bool) -> String {
    let minimum = match compression {
        true => format!("x-amazon-apigateway-minimum-compression-size: {MINIMUM}\n"),
        false => String::new(),
    };
    // A space, so the padding is not read as part of the reference.
    let padding = format!(" {}", "p".repeat(PADDING - 1));
    format!(
        r#"openapi: 3.0.1
info: {{title: compression}}
{minimum}paths:
  /proxy/{{size}}/{{coded}}:
    get:
      parameters: [{{name: size, in: path, required: true}}, {{name: coded, in: path, required: true}}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: {backend}/data/{{size}}/{{coded}}
        requestParameters:
          integration.request.path.size: method.request.path.size
          integration.request.path.coded: method.request.path.coded
  /mapped/{{size}}/{{coded}}:
    get:
      parameters: [{{name: size, in: path, required: true}}, {{name: coded, in: path, required: true}}]
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: {backend}/data/{{size}}/{{coded}}
        requestParameters:
          integration.request.path.size: method.request.path.size
          integration.request.path.coded: method.request.path.coded
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.Content-Encoding: integration.response.header.Content-Encoding
            responseTemplates:
              application/json: '$input.body{padding}'
  /echo:
    post:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: POST
        uri: {backend}/echo
"#
    )
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).expect("zlib");
    e.finish().expect("zlib")
}

fn gunzip(coding: &str, data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    let read = match coding {
        "gzip" => flate2::read::GzDecoder::new(data).read_to_end(&mut out),
        _ => flate2::read::ZlibDecoder::new(data).read_to_end(&mut out),
    };
    read.expect("a body in the coding it names");
    out
}

/// `/data/{size}/{coded}`: `size` bytes of JSON-ish text, gzip-coded
/// (with `Content-Encoding`) when `coded` is 1; `/echo`: the request's
/// body and its `Content-Encoding`.
async fn backend() -> Backend {
    Backend::start(|seen: Seen| async move {
        let parts: Vec<&str> = seen.target.split('/').collect();
        if parts.get(1) == Some(&"echo") {
            let coding = seen
                .headers
                .get("content-encoding")
                .map(|v| v.to_str().unwrap_or("?").to_string());
            let answer =
                serde_json::json!({"body": String::from_utf8_lossy(&seen.body), "coding": coding});
            return Response::new(Full::new(Bytes::from(answer.to_string())));
        }
        let size: usize = parts.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
        let text: Vec<u8> = b"{\"pet\": \"dog\"}, "
            .iter()
            .copied()
            .cycle()
            .take(size)
            .collect();
        let mut r = Response::builder().header("content-type", "application/json");
        let body = match parts.get(3) == Some(&"1") {
            true => {
                r = r.header("content-encoding", "gzip");
                gzip(&text)
            }
            false => text,
        };
        r.body(Full::new(Bytes::from(body))).expect("a response")
    })
    .await
}

fn start(backend: &Backend, compression: bool) -> Node {
    Node::builder()
        .file("api.yaml", &api(&backend.url(), compression))
        .config("apis:\n  - id: zip\n    openapi: api.yaml\n    stages: [{name: prod}, {name: cached, cache: {enabled: true}}]\n")
        .start()
        .expect("node starts")
}

async fn get(client: &Client, url: &str, accept: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = accept.map(|a| ("accept-encoding", a)).into_iter().collect();
    let reply = client
        .send(Method::GET, url, &headers, "")
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{url}: {}", reply.text());
    reply
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_are_compressed_exactly_when_aws_would() {
    let backend = backend().await;
    let node = start(&backend, true);
    let client = Client::default();
    let mut compressed_cells = 0;
    for route in ["proxy", "mapped"] {
        for size in [300usize, 500, 3000] {
            for coded in [false, true] {
                let url =
                    node.invoke_url("zip", "prod", &format!("/{route}/{size}/{}", coded as u8));
                // The same answer without Accept-Encoding: what any other
                // cell must be, or decode to.
                let plain = get(&client, &url, None).await;
                let mapped = size + if route == "mapped" { PADDING } else { 0 };
                for accept in [None, Some("*"), Some("gzip"), Some("deflate"), Some("br")] {
                    let reply = get(&client, &url, accept).await;
                    let cell = format!("{route} size {size} coded {coded} accept {accept:?}");
                    let expect = match accept {
                        Some(c @ ("gzip" | "deflate")) if mapped >= MINIMUM && !coded => Some(c),
                        _ => None,
                    };
                    let coding = reply.header("content-encoding");
                    match expect {
                        Some(c) => {
                            compressed_cells += 1;
                            assert_eq!(coding, Some(c), "{cell}: {:?}", reply.headers);
                            assert!(reply.body.len() < plain.body.len(), "{cell}");
                            assert_eq!(gunzip(c, &reply.body), plain.body.as_ref(), "{cell}");
                        }
                        None => {
                            assert_eq!(coding, plain.header("content-encoding"), "{cell}");
                            assert_eq!(reply.body, plain.body, "{cell}");
                        }
                    }
                }
            }
        }
    }
    // proxy 3000, mapped 500+600 and 3000+600, each in gzip and deflate.
    assert_eq!(compressed_cells, 6);
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_minimum_nothing_is_compressed() {
    let backend = backend().await;
    let node = start(&backend, false);
    let client = Client::default();
    let url = node.invoke_url("zip", "prod", "/proxy/5000/0");
    let reply = get(&client, &url, Some("gzip")).await;
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.body.len(), 5000);
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_are_decoded_or_refused() {
    let backend = backend().await;
    let node = start(&backend, true);
    let client = Client::default();
    let url = node.invoke_url("zip", "prod", "/echo");
    let text = b"{\"name\": \"rex\", \"kind\": \"dog\"}".repeat(20);
    for (coding, body) in [
        ("gzip", gzip(&text)),
        ("deflate", zlib(&text)),
        ("identity", text.clone()),
    ] {
        let reply = client
            .send(Method::POST, &url, &[("content-encoding", coding)], body)
            .await
            .expect("reply");
        assert_eq!(reply.status, 200, "{coding}: {}", reply.text());
        let seen = reply.json();
        assert_eq!(
            seen["body"],
            String::from_utf8_lossy(&text).as_ref(),
            "{coding}"
        );
        // AWS never passes a client's Content-Encoding on (apigw neither).
        assert_eq!(seen["coding"], serde_json::Value::Null, "{coding}");
    }
    for (coding, body) in [("br", text.clone()), ("gzip", b"not gzip at all".to_vec())] {
        let reply = client
            .send(Method::POST, &url, &[("content-encoding", coding)], body)
            .await
            .expect("reply");
        assert_eq!(reply.status, 415, "{coding}");
        assert_eq!(
            reply.json(),
            serde_json::json!({"message": "Unsupported Media Type"})
        );
    }
    // 11 MB of zeros in about 11 kB: decoded, it is over the 10 MB limit.
    let bomb = gzip(&vec![0u8; 11 * 1024 * 1024]);
    assert!(bomb.len() < 64 * 1024);
    let reply = client
        .send(Method::POST, &url, &[("content-encoding", "gzip")], bomb)
        .await
        .expect("reply");
    assert_eq!(reply.status, 413, "{}", reply.text());
    let echoed = backend
        .seen()
        .iter()
        .filter(|s| s.target == "/echo")
        .count();
    assert_eq!(echoed, 3, "refused bodies never reach the backend");
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_hits_are_compressed_for_each_client() {
    let backend = backend().await;
    let node = start(&backend, true);
    let client = Client::default();
    let url = node.invoke_url("zip", "cached", "/proxy/3000/0");
    let first = get(&client, &url, Some("gzip")).await;
    assert_eq!(first.header("content-encoding"), Some("gzip"));
    let plain = get(&client, &url, None).await;
    assert_eq!(plain.header("content-encoding"), None);
    let again = get(&client, &url, Some("deflate")).await;
    assert_eq!(again.header("content-encoding"), Some("deflate"));
    assert_eq!(gunzip("deflate", &again.body), plain.body.as_ref());
    assert_eq!(gunzip("gzip", &first.body), plain.body.as_ref());
    let calls = backend
        .seen()
        .iter()
        .filter(|s| s.target == "/data/3000/0")
        .count();
    assert_eq!(
        calls, 1,
        "one backend call; the cache keeps the plain answer"
    );
    node.stop().expect("stops");
}
