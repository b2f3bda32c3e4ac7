//! Custom domain names over the TLS listener (`--tls-listen`), against the
//! real binary with real TLS clients (rustls; `openssl s_client` where
//! installed): certificates by SNI, unknown names refused, security
//! policies, mutual TLS with `$context.identity.clientCert`, base path
//! mappings (also over the plain listener by `Host`), and a certificate
//! replaced by UpdateDomainName while an open connection keeps working.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;

use apigw_tests::{Client, Node};
use bytes::Bytes;
use http::Method;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Answers every GET with where the request landed and who called.
const API: &str = r#"
openapi: 3.0.1
info: {title: where}
paths:
  /{proxy+}:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"api":"$context.apiId","stage":"$context.stage","base":"$context.customDomain.basePathMatched","resource":"$context.resourcePath","proxy":"$input.params(''proxy'')","subject":"$context.identity.clientCert.subjectDN","issuer":"$context.identity.clientCert.issuerDN"}'
"#;

/// A CA and what it issued.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pem: String,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let issuer =
        CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("ca");
    let pem = issuer.pem();
    Ca { issuer, pem }
}

/// (certificate PEM, key PEM) for `names`, issued by `ca`.
fn leaf(ca: &Ca, names: &[&str], cn: &str) -> (String, String) {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("params");
    params.distinguished_name.push(DnType::CommonName, cn);
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &ca.issuer).expect("sign");
    (cert.pem(), key.serialize_pem())
}

fn roots(pems: &[&str]) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for pem in pems {
        for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots.add(c.expect("pem")).expect("root");
        }
    }
    Arc::new(roots)
}

/// What a client offers: versions, ALPN, a client certificate.
struct Offer<'a> {
    trust: &'a [&'a str],
    tls12_only: bool,
    alpn: &'a [&'a [u8]],
    client_cert: Option<&'a (String, String)>,
}

impl<'a> Offer<'a> {
    fn trusting(trust: &'a [&'a str]) -> Self {
        Offer {
            trust,
            tls12_only: false,
            alpn: &[b"http/1.1"],
            client_cert: None,
        }
    }
}

async fn connect(
    addr: SocketAddr,
    sni: &str,
    offer: &Offer<'_>,
) -> anyhow::Result<TlsStream<TcpStream>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if offer.tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .with_root_certificates(roots(offer.trust));
    let mut config = match offer.client_cert {
        Some((cert, key)) => builder.with_client_auth_cert(
            CertificateDer::pem_slice_iter(cert.as_bytes()).collect::<Result<_, _>>()?,
            PrivateKeyDer::from_pem_slice(key.as_bytes())?,
        )?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = offer.alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(addr).await?;
    let stream = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from(sni.to_string())?, tcp)
        .await?;
    // TLS 1.3 sends the verdict on a client certificate after the client's
    // Finished: one read shows it (a refusal arrives as an alert).
    Ok(stream)
}

/// An HTTP/1.1 or h2 (by the negotiated ALPN) connection over TLS.
enum Conn {
    H1(hyper::client::conn::http1::SendRequest<Empty<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Empty<Bytes>>),
}

async fn http(stream: TlsStream<TcpStream>) -> anyhow::Result<Conn> {
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    let io = TokioIo::new(stream);
    Ok(if h2 {
        let (send, conn) =
            hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io).await?;
        tokio::spawn(conn);
        Conn::H2(send)
    } else {
        let (send, conn) = hyper::client::conn::http1::handshake(io).await?;
        tokio::spawn(conn);
        Conn::H1(send)
    })
}

impl Conn {
    async fn get(
        &mut self,
        host: &str,
        path: &str,
    ) -> anyhow::Result<(u16, serde_json::Value, http::Version)> {
        let response = match self {
            Conn::H1(send) => {
                let request = http::Request::get(path)
                    .header("host", host)
                    .body(Empty::new())?;
                send.send_request(request).await?
            }
            Conn::H2(send) => {
                let request =
                    http::Request::get(format!("https://{host}{path}")).body(Empty::new())?;
                send.send_request(request).await?
            }
        };
        let status = response.status().as_u16();
        let version = response.version();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, serde_json::from_slice(&body)?, version))
    }
}

/// One GET on a new connection.
async fn get_once(
    addr: SocketAddr,
    sni: &str,
    offer: &Offer<'_>,
    path: &str,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let mut conn = http(connect(addr, sni, offer).await?).await?;
    let (status, body, _) = conn.get(sni, path).await?;
    Ok((status, body))
}

/// Whether the served certificate (DER) carries `name` (its CN and DNS name
/// are ASCII inside it).
fn served_certificate_names(stream: &TlsStream<TcpStream>, name: &str) -> bool {
    let der = &stream.get_ref().1.peer_certificates().expect("certs")[0];
    String::from_utf8_lossy(der.as_ref()).contains(name)
}

/// The node's TLS data-plane address, from its `listening` log line.
fn tls_addr(node: &Node) -> SocketAddr {
    let line = node
        .wait_for_log(|v| v["role"] == "dataplane-tls")
        .expect("the TLS listener is announced");
    line["addr"]
        .as_str()
        .expect("addr")
        .parse()
        .expect("an address")
}

/// Two domains in the config: `a.example.test` (TLS_1_2, mappings `(none)`,
/// `v1`, `v1/orders`) and `b.example.test` (TLS 1.3 only, `v2`); `m.example.test`
/// needs client certificates from `client_ca`.
struct Setup {
    node: Node,
    tls: SocketAddr,
    server_ca: Ca,
    client_ca: Ca,
}

fn setup() -> Setup {
    let server_ca = ca("Server CA");
    let client_ca = ca("Client CA");
    let (a_cert, a_key) = leaf(&server_ca, &["a.example.test"], "a.example.test");
    let (b_cert, b_key) = leaf(&server_ca, &["b.example.test"], "b.example.test");
    let (m_cert, m_key) = leaf(&server_ca, &["m.example.test"], "m.example.test");
    let config = r#"
apis:
  - {id: one, openapi: api.yaml, stages: [{name: prod}, {name: beta}]}
  - {id: two, openapi: api.yaml, stages: [{name: live}]}
domains:
  - domain_name: a.example.test
    certificate: a.pem
    private_key: a.key
    base_path_mappings:
      - {api: one, stage: prod}
      - {base_path: v1, api: one}
      - {base_path: v1/orders, api: two, stage: live}
  - domain_name: b.example.test
    certificate: b.pem
    private_key: b.key
    security_policy: SecurityPolicy_TLS13_1_3_2025_09
    base_path_mappings: [{base_path: v2, api: two, stage: live}]
  - domain_name: m.example.test
    certificate: m.pem
    private_key: m.key
    truststore: clients.pem
    base_path_mappings: [{api: one, stage: prod}]
tls:
  truststores: {"s3://bucket/clients.pem": clients.pem}
"#;
    let node = Node::builder()
        .file("api.yaml", API)
        .file("a.pem", &a_cert)
        .file("a.key", &a_key)
        .file("b.pem", &b_cert)
        .file("b.key", &b_key)
        .file("m.pem", &m_cert)
        .file("m.key", &m_key)
        .file("clients.pem", &client_ca.pem)
        .config(config)
        .arg("--tls-listen")
        .arg("127.0.0.1:0")
        .start()
        .expect("starts");
    let tls = tls_addr(&node);
    Setup {
        node,
        tls,
        server_ca,
        client_ca,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sni_picks_each_domains_certificate_and_unknown_names_are_refused() {
    let s = setup();
    let trust = [s.server_ca.pem.as_str()];
    let offer = Offer::trusting(&trust);
    for name in ["a.example.test", "b.example.test"] {
        // The client verifies the served certificate against the name.
        let stream = connect(s.tls, name, &offer).await.expect("handshake");
        assert!(served_certificate_names(&stream, name));
    }
    let unknown = connect(s.tls, "c.example.test", &offer).await;
    let e = unknown.expect_err("an unknown name is refused");
    assert!(format!("{e:?}").contains("UnrecognisedName"), "{e:?}");

    if Command::new("openssl").arg("version").output().is_ok() {
        let ca = s.node.dir.0.join("server-ca.pem");
        std::fs::write(&ca, &s.server_ca.pem).expect("write");
        let s_client = |name: &str| {
            Command::new("openssl")
                .args([
                    "s_client",
                    "-verify_return_error",
                    "-alpn",
                    "h2,http/1.1",
                    "-servername",
                    name,
                    "-CAfile",
                ])
                .arg(&ca)
                .args(["-connect", &s.tls.to_string()])
                .stdin(Stdio::null())
                .output()
                .expect("openssl runs")
        };
        let ok = s_client("a.example.test");
        let text = String::from_utf8_lossy(&ok.stdout).to_string();
        assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
        assert!(text.contains("CN = a.example.test"), "{text}");
        assert!(text.contains("ALPN protocol: h2"), "{text}");
        let refused = s_client("nobody.example.test");
        let text = String::from_utf8_lossy(&refused.stderr).to_string();
        assert!(!refused.status.success(), "{text}");
        assert!(text.contains("unrecognized name"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_paths_match_longest_first_over_tls_h1_h2_and_the_plain_listener() {
    let s = setup();
    let trust = [s.server_ca.pem.as_str()];
    let h1 = Offer::trusting(&trust);
    let h2 = Offer {
        alpn: &[b"h2", b"http/1.1"],
        ..Offer::trusting(&trust)
    };
    let mut conn = http(connect(s.tls, "a.example.test", &h2).await.expect("tls"))
        .await
        .expect("h2");
    let (status, body, version) = conn
        .get("a.example.test", "/v1/orders/big")
        .await
        .expect("get");
    assert_eq!(status, 200, "{body}");
    assert_eq!(version, http::Version::HTTP_2);
    assert_eq!(body["api"], "two");
    assert_eq!(body["stage"], "live");
    assert_eq!(body["base"], "v1/orders");
    assert_eq!(body["proxy"], "big");
    // `v1` names no stage: the next segment does.
    let (_, body, _) = conn
        .get("a.example.test", "/v1/beta/x/y")
        .await
        .expect("get");
    assert_eq!(
        (&body["api"], &body["stage"], &body["base"], &body["proxy"]),
        (&"one".into(), &"beta".into(), &"v1".into(), &"x/y".into())
    );
    let (_, body, _) = conn.get("a.example.test", "/v1x/z").await.expect("get");
    assert_eq!(
        (&body["api"], &body["stage"], &body["base"], &body["proxy"]),
        (
            &"one".into(),
            &"prod".into(),
            &"(none)".into(),
            &"v1x/z".into()
        )
    );

    let (status, body) = get_once(s.tls, "a.example.test", &h1, "/v1/orders/small")
        .await
        .expect("h1");
    assert_eq!((status, &body["api"]), (200, &"two".into()));
    // b.example.test maps only `v2`, to two/live.
    let (status, body) = get_once(s.tls, "b.example.test", &h1, "/v2/anything")
        .await
        .expect("b");
    assert_eq!(
        (status, &body["api"], &body["stage"]),
        (200, &"two".into(), &"live".into())
    );

    // The plain listener routes by Host alike; an unmapped path on a known
    // domain is AWS's 403.
    let client = Client::default();
    let plain = |path: &str| format!("http://{}{path}", s.node.data);
    let reply = client
        .send(
            Method::GET,
            &plain("/v1/orders/big"),
            &[("host", "a.example.test")],
            "",
        )
        .await
        .expect("plain");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["base"], "v1/orders");
    let reply = client
        .send(
            Method::GET,
            &plain("/v2/x"),
            &[("host", "m.example.test:8443")],
            "",
        )
        .await
        .expect("plain");
    assert_eq!(reply.status, 200, "m maps the root");
    let unmapped = client
        .send(
            Method::GET,
            &plain("/v3/x"),
            &[("host", "b.example.test")],
            "",
        )
        .await
        .expect("plain");
    assert_eq!(unmapped.status, 403);
    assert_eq!(unmapped.json(), serde_json::json!({"message": "Forbidden"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls12_is_refused_under_the_tls13_policy_and_served_under_tls_1_2() {
    let s = setup();
    let trust = [s.server_ca.pem.as_str()];
    let tls12 = Offer {
        tls12_only: true,
        ..Offer::trusting(&trust)
    };
    let a = connect(s.tls, "a.example.test", &tls12)
        .await
        .expect("TLS 1.2 under TLS_1_2");
    assert_eq!(
        a.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    let b = connect(s.tls, "b.example.test", &tls12).await;
    let e = b.expect_err("TLS 1.2 refused under the TLS 1.3 policy");
    assert!(format!("{e:?}").contains("ProtocolVersion"), "{e:?}");
    let b13 = connect(s.tls, "b.example.test", &Offer::trusting(&trust))
        .await
        .expect("TLS 1.3");
    assert_eq!(
        b13.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_admits_trusted_client_certificates_and_fills_client_cert() {
    let s = setup();
    let trust = [s.server_ca.pem.as_str()];
    let trusted = leaf(&s.client_ca, &["client.example.test"], "alice");
    let stranger_ca = ca("Stranger CA");
    let untrusted = leaf(&stranger_ca, &["client.example.test"], "mallory");

    let with = |cert| Offer {
        client_cert: Some(cert),
        ..Offer::trusting(&trust)
    };
    let (status, body) = get_once(s.tls, "m.example.test", &with(&trusted), "/pets")
        .await
        .expect("trusted client");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["subject"], "CN=alice");
    assert_eq!(body["issuer"], "CN=Client CA");

    // TLS 1.3: the refusal comes after the client's Finished, on the first read.
    for offer in [Offer::trusting(&trust), with(&untrusted)] {
        let outcome = get_once(s.tls, "m.example.test", &offer, "/pets").await;
        assert!(outcome.is_err(), "refused: {outcome:?}");
    }
    // The same through the management API, the truststore named by an
    // s3:// URI the config maps to the file.
    let (cert, key) = leaf(&s.server_ca, &["mapi.example.test"], "mapi");
    let create = serde_json::json!({
        "domainName": "mapi.example.test",
        "certificateBody": cert,
        "certificatePrivateKey": key,
        "securityPolicy": "SecurityPolicy_TLS13_1_3_2025_09",
        "mutualTlsAuthentication": {"truststoreUri": "s3://bucket/clients.pem"},
    });
    let admin = s.node.admin_client();
    let reply = admin
        .send(Method::POST, "/domainnames", create.to_string())
        .await
        .expect("create");
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(
        reply.json()["mutualTlsAuthentication"]["truststoreUri"],
        "s3://bucket/clients.pem"
    );
    let mapping = serde_json::json!({"restApiId": "two", "stage": "live"});
    let reply = admin
        .send(
            Method::POST,
            "/domainnames/mapi.example.test/basepathmappings",
            mapping.to_string(),
        )
        .await
        .expect("mapping");
    assert_eq!(reply.status, 201, "{}", reply.text());
    let (status, body) = get_once(s.tls, "mapi.example.test", &with(&trusted), "/x")
        .await
        .expect("trusted client");
    assert_eq!(
        (status, &body["api"], &body["subject"]),
        (200, &"two".into(), &"CN=alice".into())
    );
    let outcome = get_once(s.tls, "mapi.example.test", &with(&untrusted), "/x").await;
    assert!(outcome.is_err(), "refused: {outcome:?}");

    // A domain without mutual TLS ignores client certificates.
    let (_, body) = get_once(s.tls, "a.example.test", &with(&trusted), "/x")
        .await
        .expect("a");
    assert_eq!(body["subject"], "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_domain_name_swaps_the_certificate_for_new_connections_only() {
    let s = setup();
    let admin = s.node.admin_client();
    let old_ca = ca("Old CA");
    let new_ca = ca("New CA");
    let (old_cert, old_key) = leaf(&old_ca, &["api.example.test"], "old");
    let (new_cert, new_key) = leaf(&new_ca, &["api.example.test"], "new");
    let create = serde_json::json!({
        "domainName": "api.example.test",
        "certificateName": "first",
        "certificateBody": old_cert,
        "certificatePrivateKey": old_key,
        "securityPolicy": "TLS_1_2",
        "endpointConfiguration": {"types": ["REGIONAL"]},
    });
    let reply = admin
        .send(Method::POST, "/domainnames", create.to_string())
        .await
        .expect("create");
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert!(!reply.text().contains("PRIVATE KEY"), "{}", reply.text());
    let mapping = serde_json::json!({"basePath": "shop", "restApiId": "one", "stage": "prod"});
    let reply = admin
        .send(
            Method::POST,
            "/domainnames/api.example.test/basepathmappings",
            mapping.to_string(),
        )
        .await
        .expect("mapping");
    assert_eq!(reply.status, 201, "{}", reply.text());

    let old_trust = [old_ca.pem.as_str()];
    let mut open = http(
        connect(s.tls, "api.example.test", &Offer::trusting(&old_trust))
            .await
            .expect("old cert"),
    )
    .await
    .expect("h1");
    let (status, body, _) = open
        .get("api.example.test", "/shop/cart")
        .await
        .expect("get");
    assert_eq!((status, &body["base"]), (200, &"shop".into()));

    let patch = serde_json::json!({"patchOperations": [
        {"op": "replace", "path": "/certificateBody", "value": new_cert},
        {"op": "replace", "path": "/certificatePrivateKey", "value": new_key},
        {"op": "replace", "path": "/certificateName", "value": "second"},
    ]});
    let reply = admin
        .send(
            Method::PATCH,
            "/domainnames/api.example.test",
            patch.to_string(),
        )
        .await
        .expect("update");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["certificateName"], "second");
    let got = admin
        .get("/domainnames/api.example.test")
        .await
        .expect("get");
    assert!(
        !got.text().contains("PRIVATE KEY") && !got.text().contains("BEGIN"),
        "{}",
        got.text()
    );

    // New connections get the new certificate (and fail against the old CA)...
    let new_trust = [new_ca.pem.as_str()];
    connect(s.tls, "api.example.test", &Offer::trusting(&new_trust))
        .await
        .expect("the new certificate");
    assert!(
        connect(s.tls, "api.example.test", &Offer::trusting(&old_trust))
            .await
            .is_err()
    );
    // ...while the connection opened before keeps serving.
    let (status, _, _) = open
        .get("api.example.test", "/shop/again")
        .await
        .expect("old connection");
    assert_eq!(status, 200);

    // A key that is not the certificate's is refused, and nothing changes.
    let (_, other_key) = leaf(&new_ca, &["api.example.test"], "other");
    let bad = serde_json::json!({"patchOperations": [
        {"op": "replace", "path": "/certificatePrivateKey", "value": other_key},
    ]});
    let reply = admin
        .send(
            Method::PATCH,
            "/domainnames/api.example.test",
            bad.to_string(),
        )
        .await
        .expect("update");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(!reply.text().contains("PRIVATE KEY"), "{}", reply.text());
    connect(s.tls, "api.example.test", &Offer::trusting(&new_trust))
        .await
        .expect("still the new certificate");

    let metrics = admin.get("/metrics").await.expect("metrics").text();
    assert!(
        metrics.contains("apigw_tls_certificate_not_after_seconds{domain=\"api.example.test\"}"),
        "{metrics}"
    );
    assert!(!s.node.log_lines().iter().any(|l| l.contains("PRIVATE KEY")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_execute_api_endpoint_leaves_only_the_custom_domain() {
    let closed = API.replace(
        "info: {title: where}\n",
        "info: {title: closed}\nx-amazon-apigateway-endpoint-configuration:\n  types: [REGIONAL]\n  disableExecuteApiEndpoint: true\n",
    );
    let config = r#"
apis:
  - {id: closed, openapi: closed.yaml, stages: [{name: prod}]}
  - {id: open, openapi: api.yaml, stages: [{name: prod}]}
"#;
    let node = Node::builder()
        .file("api.yaml", API)
        .file("closed.yaml", &closed)
        .config(config)
        .start()
        .expect("starts");
    let admin = node.admin_client();
    let create = serde_json::json!({"domainName": "shop.example.test", "regionalCertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/x", "endpointConfiguration": {"types": ["REGIONAL"]}});
    let reply = admin
        .send(Method::POST, "/domainnames", create.to_string())
        .await
        .expect("create");
    assert_eq!(reply.status, 201, "{}", reply.text());
    let mapping = serde_json::json!({"restApiId": "closed", "stage": "prod"});
    let reply = admin
        .send(
            Method::POST,
            "/domainnames/shop.example.test/basepathmappings",
            mapping.to_string(),
        )
        .await
        .expect("mapping");
    assert_eq!(reply.status, 201, "{}", reply.text());

    let client = Client::default();
    for url in [node.invoke_url("closed", "prod", "/x"), node.url("/prod/x")] {
        let host = if url.contains("/restapis/") {
            "127.0.0.1"
        } else {
            "closed.execute-api.localhost"
        };
        let reply = client
            .send(Method::GET, &url, &[("host", host)], "")
            .await
            .expect("default endpoint");
        assert_eq!(reply.status, 403, "{url}");
        assert_eq!(reply.json(), serde_json::json!({"message": "Forbidden"}));
    }
    let open = client
        .get(&node.invoke_url("open", "prod", "/x"))
        .await
        .expect("open");
    assert_eq!(open.status, 200);
    let via_domain = client
        .send(
            Method::GET,
            &node.url("/x"),
            &[("host", "shop.example.test")],
            "",
        )
        .await
        .expect("custom domain");
    assert_eq!(via_domain.status, 200, "{}", via_domain.text());
    assert_eq!(via_domain.json()["api"], "closed");

    let got = admin.get("/restapis/closed").await.expect("GetRestApi");
    assert_eq!(got.json()["disableExecuteApiEndpoint"], true);
    let patch = serde_json::json!({"patchOperations": [{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "false"}]});
    let reply = admin
        .send(Method::PATCH, "/restapis/closed", patch.to_string())
        .await
        .expect("UpdateRestApi");
    assert_eq!(
        reply.json()["disableExecuteApiEndpoint"],
        false,
        "{}",
        reply.text()
    );
    let reopened = client
        .get(&node.invoke_url("closed", "prod", "/x"))
        .await
        .expect("reopened");
    assert_eq!(reopened.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_certificate_file_is_served_without_a_restart() {
    let s = setup();
    let new_ca = ca("Rotated CA");
    let (cert, key) = leaf(&new_ca, &["a.example.test"], "a.example.test");
    let old_trust = [s.server_ca.pem.as_str()];
    let new_trust = [new_ca.pem.as_str()];
    let mut open = http(
        connect(s.tls, "a.example.test", &Offer::trusting(&old_trust))
            .await
            .expect("the first certificate"),
    )
    .await
    .expect("h1");
    // The key first: a moment where the two files disagree is refused by
    // the checks, and the old certificate keeps serving.
    std::fs::write(s.node.dir.0.join("a.key"), &key).expect("write key");
    std::fs::write(s.node.dir.0.join("a.pem"), &cert).expect("write cert");
    // The node re-reads files every 15 s: wait (bounded) until a new
    // handshake sees the new certificate.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    loop {
        if connect(s.tls, "a.example.test", &Offer::trusting(&new_trust))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new certificate file was not served within 40 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        connect(s.tls, "a.example.test", &Offer::trusting(&old_trust))
            .await
            .is_err()
    );
    let (status, _, _) = open
        .get("a.example.test", "/v1/orders/x")
        .await
        .expect("old connection");
    assert_eq!(status, 200);
}
