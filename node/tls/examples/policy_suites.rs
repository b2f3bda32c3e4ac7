//! Lists what each security policy actually offers, by asking: for every AWS policy a
//! server is started (an ECDSA P-256 domain, and an RSA-2048 one when openssl can make the
//! certificate), and a rustls client connects offering one cipher suite (then one key
//! exchange group) at a time. With `openssl` installed, `s_client` then tries each TLS 1.2
//! suite of AWS's lists (CBC and RSA key exchange included) and TLS 1.0/1.1.
//! Prints Markdown tables (the ones in README.md).
//!
//! `cargo run -p apigw-tls --example policy_suites`

#[path = "support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::SystemTime;

use apigw_tls::policy::{iana_name, openssl_name};
use apigw_tls::{SecurityPolicy, TlsStore};
use rustls::crypto::ring::{default_provider, ALL_CIPHER_SUITES, ALL_KX_GROUPS};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// TLS 1.2 suites that appear in AWS's policy tables, as OpenSSL names them.
const AWS_TLS12: [&str; 20] = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
    "AES128-SHA256",
    "AES256-SHA256",
    "AES128-SHA",
    "AES256-SHA",
];

struct Server {
    addr: SocketAddr,
    roots: Arc<RootCertStore>,
    rsa: bool,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let scratch = support::Scratch::new("policy-suites")?;
    let ecdsa = support::ecdsa_cert(&["ecdsa.test"])?;
    let rsa = support::rsa_cert("rsa.test", &scratch.0);
    let has_openssl = rsa.is_some();
    let mut roots = RootCertStore::empty();
    for pem in std::iter::once(&ecdsa.trust_pem).chain(rsa.as_ref().map(|r| &r.trust_pem)) {
        for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots.add(c?)?;
        }
    }
    let trust_file = scratch.0.join("trust.pem");
    std::fs::write(
        &trust_file,
        format!(
            "{}{}",
            ecdsa.trust_pem,
            rsa.as_ref().map_or("", |r| &r.trust_pem)
        ),
    )?;
    let roots = Arc::new(roots);
    println!("| policy | TLS 1.3 suites | TLS 1.2 suites | key exchange |");
    println!("| --- | --- | --- | --- |");
    let mut openssl_rows = Vec::new();
    for policy in SecurityPolicy::all() {
        let store = Arc::new(TlsStore::new());
        store.put(
            "ecdsa.test",
            support::domain(&ecdsa, policy.name()),
            SystemTime::now(),
        )?;
        if let Some(rsa) = &rsa {
            store.put(
                "rsa.test",
                support::domain(rsa, policy.name()),
                SystemTime::now(),
            )?;
        }
        let (listener, addr) = support::bind(0).await?;
        let task = tokio::spawn(support::serve_https(listener, store));
        let server = Server {
            addr,
            roots: roots.clone(),
            rsa: rsa.is_some(),
        };
        let (tls13, tls12) = suites_accepted(&server).await?;
        let groups = groups_accepted(&server).await?;
        println!(
            "| `{}` | {} | {} | {} |",
            policy.name(),
            list(&tls13),
            list(&tls12),
            groups.join(", ")
        );
        if has_openssl {
            // s_client blocks: off the runtime, so the server keeps answering.
            let trust = trust_file.to_string_lossy().into_owned();
            let sweep = tokio::task::spawn_blocking(move || openssl_sweep(addr, &trust)).await??;
            openssl_rows.push((policy, sweep));
        }
        task.abort();
    }
    if !has_openssl {
        println!("\n(openssl not installed: no RSA domain, no s_client sweep)");
        return Ok(());
    }
    println!("\n`openssl s_client` with one suite at a time from AWS's lists (TLS 1.2), and TLS 1.0/1.1:\n");
    println!("| policy | TLS 1.2 suites accepted | refused | TLS 1.0 | TLS 1.1 |");
    println!("| --- | --- | --- | --- | --- |");
    for (policy, (ok, refused, v10, v11)) in openssl_rows {
        println!(
            "| `{}` | {} | {} | {} | {} |",
            policy.name(),
            list(&ok),
            refused.len(),
            yes(v10),
            yes(v11)
        );
    }
    Ok(())
}

fn list(names: &[String]) -> String {
    match names.is_empty() {
        true => "—".to_string(),
        false => names.join(", "),
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "accepted"
    } else {
        "refused"
    }
}

/// Which of rustls's nine suites the server accepts, one at a time.
async fn suites_accepted(server: &Server) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (mut tls13, mut tls12) = (Vec::new(), Vec::new());
    for suite in ALL_CIPHER_SUITES {
        let is13 = suite.tls13().is_some();
        let rsa_suite = openssl_name(*suite).contains("-RSA-");
        if rsa_suite && !server.rsa {
            continue;
        }
        let name = if rsa_suite { "rsa.test" } else { "ecdsa.test" };
        let provider = CryptoProvider {
            cipher_suites: vec![*suite],
            ..default_provider()
        };
        if handshake(
            server,
            name,
            provider,
            if is13 {
                &rustls::version::TLS13
            } else {
                &rustls::version::TLS12
            },
        )
        .await?
        {
            let label = if is13 {
                iana_name(*suite)
            } else {
                openssl_name(*suite)
            };
            if is13 {
                tls13.push(label.to_string())
            } else {
                tls12.push(label.to_string())
            }
        }
    }
    Ok((tls13, tls12))
}

/// Which key exchange groups the server accepts (TLS 1.3, one group at a time).
async fn groups_accepted(server: &Server) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for group in ALL_KX_GROUPS {
        let provider = CryptoProvider {
            kx_groups: vec![*group as &dyn SupportedKxGroup],
            ..default_provider()
        };
        if handshake(server, "ecdsa.test", provider, &rustls::version::TLS13).await? {
            out.push(format!("{:?}", group.name()));
        }
    }
    Ok(out)
}

async fn handshake(
    server: &Server,
    name: &str,
    provider: CryptoProvider,
    version: &'static rustls::SupportedProtocolVersion,
) -> anyhow::Result<bool> {
    let config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[version])?
        .with_root_certificates(server.roots.clone())
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(server.addr).await?;
    let sn = ServerName::try_from(name.to_string())?;
    Ok(TlsConnector::from(Arc::new(config))
        .connect(sn, tcp)
        .await
        .is_ok())
}

type Sweep = (Vec<String>, Vec<String>, bool, bool);

/// `openssl s_client` with each AWS TLS 1.2 suite, then TLS 1.0 and 1.1.
fn openssl_sweep(addr: SocketAddr, trust: &str) -> anyhow::Result<Sweep> {
    let (mut ok, mut refused) = (Vec::new(), Vec::new());
    for cipher in AWS_TLS12 {
        let name = if cipher.contains("ECDSA") {
            "ecdsa.test"
        } else {
            "rsa.test"
        };
        let accepted = s_client(addr, trust, name, &["-tls1_2", "-cipher", cipher])?;
        if accepted {
            ok.push(cipher.to_string())
        } else {
            refused.push(cipher.to_string())
        }
    }
    let v10 = s_client(
        addr,
        trust,
        "ecdsa.test",
        &["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"],
    )?;
    let v11 = s_client(
        addr,
        trust,
        "ecdsa.test",
        &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
    )?;
    Ok((ok, refused, v10, v11))
}

fn s_client(addr: SocketAddr, trust: &str, name: &str, extra: &[&str]) -> anyhow::Result<bool> {
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-brief",
            "-verify_return_error",
            "-CAfile",
            trust,
            "-servername",
            name,
            "-connect",
        ])
        .arg(addr.to_string())
        .args(extra)
        .stdin(Stdio::null())
        .output()?;
    Ok(out.status.success()
        && String::from_utf8_lossy(&out.stderr).contains("CONNECTION ESTABLISHED"))
}
