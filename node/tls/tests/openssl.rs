//! The system's `openssl` against the server: `s_client` handshakes (SNI, versions, ALPN,
//! mutual TLS) and certificates only OpenSSL makes here (RSA keys, SHA-1 signatures).
//! Each test says so and passes without asserting anything else when `openssl` is absent.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use apigw_tls::{AcceptError, CertificateInput, DomainTls, TlsStore, Truststore};
use common::*;

macro_rules! require_openssl {
    () => {
        if !has_openssl() {
            eprintln!("skipped: openssl is not installed");
            return Ok(());
        }
    };
}

/// Runs `openssl s_client` to `addr` with stdin closed (it exits after the handshake).
async fn s_client(addr: std::net::SocketAddr, args: &[&str]) -> anyhow::Result<(bool, String)> {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-connect",
        &addr.to_string(),
        "-brief",
        "-verify_return_error",
    ])
    .args(args)
    .stdin(Stdio::null());
    let out: Output = tokio::task::spawn_blocking(move || cmd.output()).await??;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((
        out.status.success() && text.contains("CONNECTION ESTABLISHED"),
        text,
    ))
}

fn openssl(args: &[&str], dir: &Path) -> anyhow::Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

#[tokio::test]
async fn s_client_sees_the_right_certificate_policy_and_alpn() -> anyhow::Result<()> {
    require_openssl!();
    let scratch = Scratch::new("s-client")?;
    let ca = Ca::new("Test CA")?;
    let ca_file = scratch.write("ca.pem", &ca.pem)?;
    let ca_file = ca_file.to_string_lossy().into_owned();
    let store = Arc::new(TlsStore::new());
    store.put(
        "v13.example.com",
        domain(
            &ca.server(&["v13.example.com"])?,
            "SecurityPolicy_TLS13_1_3_2025_09",
        ),
        now(),
    )?;
    store.put(
        "v12.example.com",
        domain(&ca.server(&["v12.example.com"])?, "TLS_1_2"),
        now(),
    )?;
    let (addr, mut rx) = serve(store).await?;
    let base = ["-CAfile", ca_file.as_str()];

    let (ok, text) = s_client(
        addr,
        &[
            &base[..],
            &["-servername", "v13.example.com", "-alpn", "h2,http/1.1"],
        ]
        .concat(),
    )
    .await?;
    assert!(
        ok && text.contains("Protocol version: TLSv1.3") && text.contains("Verification: OK"),
        "{text}"
    );
    let info = next(&mut rx).await??;
    assert_eq!(
        (info.domain.as_str(), info.alpn),
        ("v13.example.com", Some(apigw_tls::Alpn::H2))
    );

    let (ok, text) = s_client(
        addr,
        &[&base[..], &["-servername", "v13.example.com", "-tls1_2"]].concat(),
    )
    .await?;
    assert!(!ok, "TLS 1.2 accepted under a TLS 1.3-only policy: {text}");
    assert!(next(&mut rx).await?.is_err());

    let (ok, text) = s_client(
        addr,
        &[
            &base[..],
            &[
                "-servername",
                "v12.example.com",
                "-tls1_2",
                "-cipher",
                "ECDHE-ECDSA-AES128-GCM-SHA256",
            ],
        ]
        .concat(),
    )
    .await?;
    assert!(
        ok && text.contains("Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256"),
        "{text}"
    );
    assert_eq!(
        next(&mut rx).await??.cipher_suite_openssl,
        "ECDHE-ECDSA-AES128-GCM-SHA256"
    );

    // CBC suites are in AWS's TLS_1_2 list but not in rustls.
    let (ok, text) = s_client(
        addr,
        &[
            &base[..],
            &[
                "-servername",
                "v12.example.com",
                "-tls1_2",
                "-cipher",
                "ECDHE-ECDSA-AES128-SHA256",
            ],
        ]
        .concat(),
    )
    .await?;
    assert!(!ok, "{text}");
    assert!(next(&mut rx).await?.is_err());

    let (ok, text) = s_client(
        addr,
        &[&base[..], &["-servername", "nobody.example.com"]].concat(),
    )
    .await?;
    assert!(!ok && text.contains("unrecognized name"), "{text}");
    assert!(matches!(
        next(&mut rx).await?,
        Err(AcceptError::UnknownServerName(_))
    ));

    let (ok, text) = s_client(addr, &[&base[..], &["-noservername"]].concat()).await?;
    assert!(!ok && text.contains("unrecognized name"), "{text}");
    assert!(matches!(
        next(&mut rx).await?,
        Err(AcceptError::NoServerName)
    ));
    Ok(())
}

#[tokio::test]
async fn s_client_with_a_client_certificate() -> anyhow::Result<()> {
    require_openssl!();
    let scratch = Scratch::new("s-client-mtls")?;
    let server_ca = Ca::new("Server CA")?;
    let client_ca = Ca::new("Client CA")?;
    let client = client_ca.client("openssl-client")?;
    let ca_file = scratch
        .write("ca.pem", &server_ca.pem)?
        .to_string_lossy()
        .into_owned();
    let cert = scratch
        .write("client.pem", &client.cert_pem)?
        .to_string_lossy()
        .into_owned();
    let key = scratch
        .write("client.key", &client.key_pem)?
        .to_string_lossy()
        .into_owned();
    let store = Arc::new(TlsStore::new());
    store.put(
        "m.example.com",
        DomainTls {
            certificate: server_ca.server(&["m.example.com"])?.input(None),
            security_policy: "TLS_1_2".into(),
            truststore: Some(Truststore::from_pem(client_ca.pem.as_bytes(), now())?),
        },
        now(),
    )?;
    let (addr, mut rx) = serve(store).await?;
    let (ok, text) = s_client(
        addr,
        &[
            "-CAfile",
            &ca_file,
            "-servername",
            "m.example.com",
            "-cert",
            &cert,
            "-key",
            &key,
        ],
    )
    .await?;
    assert!(ok, "{text}");
    let info = next(&mut rx).await??;
    assert_eq!(
        info.client_cert.map(|c| c.subject_dn).as_deref(),
        Some("CN=openssl-client,O=Example\\, Inc.,C=US")
    );
    Ok(())
}

#[tokio::test]
async fn rsa_certificates_from_openssl_serve_ecdhe_rsa_suites() -> anyhow::Result<()> {
    require_openssl!();
    let scratch = Scratch::new("rsa")?;
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "rsa.key",
            "-out",
            "rsa.pem",
            "-subj",
            "/CN=rsa.example.com",
            "-days",
            "30",
            "-addext",
            "subjectAltName=DNS:rsa.example.com",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
        &scratch.0,
    )?;
    let cert_pem = std::fs::read_to_string(scratch.0.join("rsa.pem"))?;
    let key_pem = std::fs::read_to_string(scratch.0.join("rsa.key"))?;
    let store = Arc::new(TlsStore::new());
    let input = CertificateInput {
        body: cert_pem.clone(),
        private_key: key_pem.into(),
        chain: None,
    };
    store.put(
        "rsa.example.com",
        DomainTls {
            certificate: input,
            security_policy: "TLS_1_2".into(),
            truststore: None,
        },
        now(),
    )?;
    let (addr, mut rx) = serve(store).await?;
    let mut spec = ClientSpec::trusting(&cert_pem);
    static TLS12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    spec.versions = &TLS12;
    connect(addr, "rsa.example.com", spec.config()?).await??;
    assert_eq!(
        next(&mut rx).await??.cipher_suite,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    );
    Ok(())
}

#[test]
fn weak_truststore_certificates_are_reported() -> anyhow::Result<()> {
    require_openssl!();
    let scratch = Scratch::new("weak")?;
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:1024",
            "-sha1",
            "-nodes",
            "-keyout",
            "w.key",
            "-out",
            "sha1.pem",
            "-subj",
            "/CN=SHA1 CA",
            "-days",
            "30",
        ],
        &scratch.0,
    )?;
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:1024",
            "-sha256",
            "-nodes",
            "-keyout",
            "w2.key",
            "-out",
            "small.pem",
            "-subj",
            "/CN=Small CA",
            "-days",
            "30",
        ],
        &scratch.0,
    )?;
    let good = Ca::new("Good CA")?;
    let bundle = format!(
        "{}{}{}",
        std::fs::read_to_string(scratch.0.join("sha1.pem"))?,
        std::fs::read_to_string(scratch.0.join("small.pem"))?,
        good.pem
    );
    let t = Truststore::from_pem(bundle.as_bytes(), now())?;
    assert_eq!(t.trusted, 1);
    assert_eq!(t.warnings, vec![
        "Certificate CN=SHA1 CA is invalid: unsupported signature algorithm sha1WithRSAEncryption (SHA-256 or stronger is required)".to_string(),
        "Certificate CN=Small CA is invalid: weak RSA key of 1024 bits (RSA-2048 or ECDSA-256 or stronger is required)".to_string(),
    ]);
    Ok(())
}
