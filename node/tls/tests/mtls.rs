//! Mutual TLS over loopback: trusted, missing and untrusted client certificates, the
//! `$context.identity.clientCert` fields, truststore warnings and truststore swaps.

mod common;

use std::sync::Arc;

use apigw_tls::{AcceptError, DomainTls, TlsError, TlsStore, Truststore};
use common::*;
use rustls::{AlertDescription, CertificateError, Error as TlsErr};

/// A store with `a.example.com` requiring client certificates from `client_ca`.
fn mtls_store(server_ca: &Ca, client_ca: &Ca) -> anyhow::Result<Arc<TlsStore>> {
    let store = Arc::new(TlsStore::new());
    let tls = DomainTls {
        certificate: server_ca.server(&["a.example.com"])?.input(None),
        security_policy: "TLS_1_2".into(),
        truststore: Some(Truststore::from_pem(client_ca.pem.as_bytes(), now())?),
    };
    store.put("a.example.com", tls, now())?;
    Ok(store)
}

#[tokio::test]
async fn a_trusted_client_certificate_is_accepted_and_its_fields_read() -> anyhow::Result<()> {
    let server_ca = Ca::new("Server CA")?;
    let client_ca = Ca::new("Client CA")?;
    let client = client_ca.client("client-1")?;
    let (addr, mut rx) = serve(mtls_store(&server_ca, &client_ca)?).await?;
    let mut spec = ClientSpec::trusting(&server_ca.pem);
    spec.identity = Some(&client);
    let mut s = connect(addr, "a.example.com", spec.config()?).await??;
    assert_eq!(round_trip(&mut s, "hello").await?, "hello");
    let info = next(&mut rx).await??;
    let cert = info
        .client_cert
        .ok_or_else(|| anyhow::anyhow!("no client cert"))?;
    assert_eq!(cert.subject_dn, "CN=client-1,O=Example\\, Inc.,C=US");
    assert_eq!(cert.issuer_dn, "CN=Client CA");
    assert_eq!(cert.serial_number, "01:02:a1");
    assert_eq!(cert.not_before, "May  8 00:00:00 2024 GMT");
    assert_eq!(cert.not_after, "Aug  5 00:00:00 2099 GMT");
    assert_eq!(cert.client_cert_pem, client.cert_pem.replace("\r\n", "\n"));
    Ok(())
}

#[tokio::test]
async fn no_client_certificate_is_refused() -> anyhow::Result<()> {
    let server_ca = Ca::new("Server CA")?;
    let client_ca = Ca::new("Client CA")?;
    let (addr, mut rx) = serve(mtls_store(&server_ca, &client_ca)?).await?;
    let client = ClientSpec::trusting(&server_ca.pem).config()?;
    // TLS 1.3 clients finish first and hear the refusal on their first read.
    let failed = match connect(addr, "a.example.com", client).await? {
        Err(e) => tls_error(&e),
        Ok(mut s) => round_trip(&mut s, "x")
            .await
            .err()
            .as_ref()
            .and_then(tls_error),
    };
    assert_eq!(
        failed,
        Some(TlsErr::AlertReceived(AlertDescription::CertificateRequired))
    );
    assert!(matches!(
        next(&mut rx).await?,
        Err(AcceptError::Handshake(TlsErr::NoCertificatesPresented))
    ));
    Ok(())
}

#[tokio::test]
async fn an_untrusted_client_certificate_is_refused() -> anyhow::Result<()> {
    let server_ca = Ca::new("Server CA")?;
    let client_ca = Ca::new("Client CA")?;
    let stranger = Ca::new("Other CA")?.client("mallory")?;
    let (addr, mut rx) = serve(mtls_store(&server_ca, &client_ca)?).await?;
    let mut spec = ClientSpec::trusting(&server_ca.pem);
    spec.identity = Some(&stranger);
    let failed = match connect(addr, "a.example.com", spec.config()?).await? {
        Err(e) => tls_error(&e),
        Ok(mut s) => round_trip(&mut s, "x")
            .await
            .err()
            .as_ref()
            .and_then(tls_error),
    };
    assert_eq!(
        failed,
        Some(TlsErr::AlertReceived(AlertDescription::UnknownCA))
    );
    let outcome = next(&mut rx).await?;
    assert!(matches!(
        &outcome,
        Err(AcceptError::Handshake(TlsErr::InvalidCertificate(
            CertificateError::UnknownIssuer
        )))
    ));
    assert!(outcome.err().is_some_and(|e| e.is_client_fault()));
    Ok(())
}

#[tokio::test]
async fn a_resumed_session_keeps_the_client_certificate() -> anyhow::Result<()> {
    let server_ca = Ca::new("Server CA")?;
    let client_ca = Ca::new("Client CA")?;
    let client = client_ca.client("client-1")?;
    let (addr, mut rx) = serve(mtls_store(&server_ca, &client_ca)?).await?;
    let mut spec = ClientSpec::trusting(&server_ca.pem);
    spec.identity = Some(&client);
    let config = spec.config()?;
    let mut first = connect(addr, "a.example.com", config.clone()).await??;
    round_trip(&mut first, "x").await?;
    next(&mut rx).await??;
    let mut second = connect(addr, "a.example.com", config).await??;
    round_trip(&mut second, "y").await?;
    let info = next(&mut rx).await??;
    assert!(info.resumed);
    assert_eq!(
        info.client_cert.map(|c| c.subject_dn).as_deref(),
        Some("CN=client-1,O=Example\\, Inc.,C=US")
    );
    Ok(())
}

#[tokio::test]
async fn a_replaced_truststore_applies_to_new_handshakes_only() -> anyhow::Result<()> {
    let server_ca = Ca::new("Server CA")?;
    let (ca_a, ca_b) = (Ca::new("CA A")?, Ca::new("CA B")?);
    let (alice, bob) = (ca_a.client("alice")?, ca_b.client("bob")?);
    let store = mtls_store(&server_ca, &ca_a)?;
    let (addr, mut rx) = serve(store.clone()).await?;
    let client = |leaf| {
        let mut spec = ClientSpec::trusting(&server_ca.pem);
        spec.identity = Some(leaf);
        spec.config()
    };
    let mut alice_open = connect(addr, "a.example.com", client(&alice)?).await??;
    assert_eq!(round_trip(&mut alice_open, "a").await?, "a");
    next(&mut rx).await??;

    store.set_truststore(
        "a.example.com",
        Some(Truststore::from_pem(ca_b.pem.as_bytes(), now())?),
    )?;

    let mut b = connect(addr, "a.example.com", client(&bob)?).await??;
    assert_eq!(round_trip(&mut b, "b").await?, "b");
    assert_eq!(
        next(&mut rx)
            .await??
            .client_cert
            .map(|c| c.subject_dn)
            .as_deref(),
        Some("CN=bob,O=Example\\, Inc.,C=US")
    );

    // A fresh Alice is refused (her old session does not resume under the new truststore)...
    let refused = match connect(addr, "a.example.com", client(&alice)?).await? {
        Err(e) => tls_error(&e),
        Ok(mut s) => round_trip(&mut s, "x")
            .await
            .err()
            .as_ref()
            .and_then(tls_error),
    };
    assert_eq!(
        refused,
        Some(TlsErr::AlertReceived(AlertDescription::UnknownCA))
    );
    assert!(next(&mut rx).await?.is_err());
    // ...while the connection she opened before still works.
    assert_eq!(
        round_trip(&mut alice_open, "still here").await?,
        "still here"
    );

    // Without a truststore, no client certificate is asked for.
    store.set_truststore("a.example.com", None)?;
    connect(
        addr,
        "a.example.com",
        ClientSpec::trusting(&server_ca.pem).config()?,
    )
    .await??;
    assert!(next(&mut rx).await??.client_cert.is_none());
    Ok(())
}

#[test]
fn truststore_warnings_name_the_certificates_left_out() -> anyhow::Result<()> {
    let good = Ca::new("Good CA")?;
    let old = Ca::expired("Old CA")?;
    let bundle = format!("{}{}", old.pem, good.pem);
    let t = Truststore::from_pem(bundle.as_bytes(), now())?;
    assert_eq!(t.trusted, 1);
    assert_eq!(
        t.warnings,
        vec!["Certificate CN=Old CA is invalid: expired on Jan  1 00:00:00 2020 GMT".to_string()]
    );

    let err = Truststore::from_pem(old.pem.as_bytes(), now()).err();
    let text = err.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(matches!(err, Some(TlsError::Truststore(_))));
    assert!(
        text.contains("no valid certificate") && text.contains("CN=Old CA"),
        "{text}"
    );
    assert!(Truststore::from_pem(b"not pem at all", now()).is_err());
    Ok(())
}

#[test]
fn truststores_load_from_files_within_the_size_quota() -> anyhow::Result<()> {
    let scratch = Scratch::new("truststore")?;
    let ca = Ca::new("File CA")?;
    let path = scratch.write("ca.pem", &ca.pem)?;
    assert_eq!(Truststore::load(&path, now())?.trusted, 1);
    let missing = Truststore::load(&scratch.0.join("missing.pem"), now()).err();
    assert!(matches!(missing, Some(TlsError::TruststoreRead { .. })));
    let big = "x".repeat(usize::try_from(apigw_tls::TRUSTSTORE_MAX_BYTES)? + 10);
    let big_path = scratch.write("big.pem", &big)?;
    let text = Truststore::load(&big_path, now())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(text.contains("larger than"), "{text}");
    Ok(())
}
