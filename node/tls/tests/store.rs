//! The store's checks on insert, its errors (AWS's families and wording), the notAfter
//! gauge, and that no type prints private key material.

mod common;

use std::sync::Arc;

use apigw_tls::{DomainTls, ErrorKind, PrivateKeyPem, TlsError, TlsStore, Truststore};
use common::*;

#[test]
fn a_key_that_is_not_the_certificates_is_refused() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let one = ca.server(&["a.example.com"])?;
    let other = ca.server(&["a.example.com"])?;
    let mut input = one.input(None);
    input.private_key = other.key_pem.as_str().into();
    let tls = DomainTls {
        certificate: input,
        security_policy: "TLS_1_2".into(),
        truststore: None,
    };
    let err = TlsStore::new().put("a.example.com", tls, now()).err();
    assert!(matches!(err, Some(TlsError::KeyMismatch)), "{err:?}");
    assert_eq!(err.map(|e| e.aws_error_type()), Some("BadRequestException"));
    Ok(())
}

#[test]
fn names_policies_and_pem_are_checked() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let leaf = ca.server(&["a.example.com", "*.shop.example.com"])?;
    let store = TlsStore::new();

    let err = store
        .put("b.example.com", domain(&leaf, "TLS_1_2"), now())
        .err();
    let text = err.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(matches!(err, Some(TlsError::NameMismatch { .. })));
    assert!(
        text.contains("b.example.com") && text.contains("a.example.com, *.shop.example.com"),
        "{text}"
    );

    let err = store
        .put("a.example.com", domain(&leaf, "TLS_1_3"), now())
        .err();
    let text = err.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(text.starts_with("Invalid security policy TLS_1_3: must be one of TLS_1_0, TLS_1_2, SecurityPolicy_TLS13_1_3_2025_09"), "{text}");
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::BadRequest));

    let mut bad = domain(&leaf, "TLS_1_2");
    bad.certificate.body = "not pem".into();
    assert!(matches!(
        store.put("a.example.com", bad, now()),
        Err(TlsError::CertificateBody(_))
    ));

    let mut two = domain(&leaf, "TLS_1_2");
    two.certificate.body = format!("{}{}", leaf.cert_pem, ca.pem);
    assert!(matches!(
        store.put("a.example.com", two, now()),
        Err(TlsError::CertificateBody(_))
    ));

    let mut bad_key = domain(&leaf, "TLS_1_2");
    bad_key.certificate.private_key =
        PrivateKeyPem::new("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assert!(matches!(
        store.put("a.example.com", bad_key, now()),
        Err(TlsError::PrivateKey(_))
    ));

    // A wildcard SAN covers one label, and a wildcard domain needs a wildcard SAN.
    store.put("x.shop.example.com", domain(&leaf, "TLS_1_2"), now())?;
    store.put("*.shop.example.com", domain(&leaf, "TLS_1_2"), now())?;
    assert!(store
        .put("a.b.shop.example.com", domain(&leaf, "TLS_1_2"), now())
        .is_err());
    assert!(matches!(
        store.put("bad_name", domain(&leaf, "TLS_1_2"), now()),
        Err(TlsError::InvalidDomainName(_))
    ));
    Ok(())
}

#[test]
fn chains_must_chain() -> anyhow::Result<()> {
    let root = Ca::new("Root CA")?;
    let inter = root.intermediate("Intermediate CA")?;
    let leaf = inter.server(&["a.example.com"])?;
    let store = TlsStore::new();
    let chained = |chain: &str| DomainTls {
        certificate: leaf.input(Some(chain)),
        security_policy: "TLS_1_2".into(),
        truststore: None,
    };
    store.put("a.example.com", chained(&inter.pem), now())?;
    store.put(
        "a.example.com",
        chained(&format!("{}{}", inter.pem, root.pem)),
        now(),
    )?;
    let err = store.put("a.example.com", chained(&root.pem), now()).err();
    let text = err.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(matches!(err, Some(TlsError::CertificateChain(_))));
    assert!(
        text.contains("CN=server") && text.contains("CN=Root CA"),
        "{text}"
    );
    let err = store.put("a.example.com", chained("garbage"), now()).err();
    assert!(matches!(err, Some(TlsError::CertificateChain(_))));
    Ok(())
}

#[tokio::test]
async fn a_served_chain_lets_clients_that_trust_only_the_root_connect() -> anyhow::Result<()> {
    let root = Ca::new("Root CA")?;
    let inter = root.intermediate("Intermediate CA")?;
    let leaf = inter.server(&["a.example.com"])?;
    let store = Arc::new(TlsStore::new());
    let tls = DomainTls {
        certificate: leaf.input(Some(&inter.pem)),
        security_policy: "TLS_1_2".into(),
        truststore: None,
    };
    store.put("a.example.com", tls, now())?;
    let (addr, mut rx) = serve(store).await?;
    let s = connect(
        addr,
        "a.example.com",
        ClientSpec::trusting(&root.pem).config()?,
    )
    .await??;
    assert_eq!(s.get_ref().1.peer_certificates().map(|c| c.len()), Some(2));
    next(&mut rx).await??;
    Ok(())
}

#[test]
fn an_expired_certificate_is_accepted_with_a_warning() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let mut params = rcgen::CertificateParams::new(vec!["old.example.com".to_string()])?;
    params.not_before = rcgen::date_time_ymd(2019, 5, 28);
    params.not_after = rcgen::date_time_ymd(2021, 8, 5);
    let old = ca.sign(params)?;
    let report = TlsStore::new().put("old.example.com", domain(&old, "TLS_1_2"), now())?;
    assert_eq!(
        report.warnings,
        vec!["The certificate expired on Aug  5 00:00:00 2021 GMT".to_string()]
    );
    assert_eq!(report.not_after, 1_628_121_600);
    Ok(())
}

#[test]
fn replacing_or_removing_an_unknown_domain_is_not_found() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let leaf = ca.server(&["a.example.com"])?;
    let store = TlsStore::new();
    let err = store
        .replace_certificate("a.example.com", &leaf.input(None), now())
        .err();
    assert_eq!(err.as_ref().map(TlsError::kind), Some(ErrorKind::NotFound));
    assert_eq!(
        err.map(|e| e.to_string()).as_deref(),
        Some("Invalid domain name identifier specified")
    );
    assert!(store
        .set_security_policy("a.example.com", "TLS_1_2")
        .is_err());
    assert!(!store.remove("a.example.com"));
    store.put("a.example.com", domain(&leaf, "TLS_1_2"), now())?;
    assert!(store
        .set_security_policy("a.example.com", "SecurityPolicy_TLS13_1_3_9999")
        .is_err());
    store.set_security_policy("a.example.com", "SecurityPolicy_TLS13_1_3_2025_09")?;
    assert_eq!(
        store
            .snapshot()
            .lookup("a.example.com")
            .map(|e| e.policy.name()),
        Some("SecurityPolicy_TLS13_1_3_2025_09")
    );
    assert!(store.remove("A.example.com"));
    assert!(store.snapshot().is_empty());
    Ok(())
}

#[test]
fn not_after_is_exposed_per_domain() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let mut params = rcgen::CertificateParams::new(vec!["b.example.com".to_string()])?;
    params.not_after = rcgen::date_time_ymd(2030, 1, 1);
    let b = ca.sign(params)?;
    let store = TlsStore::new();
    store.put("b.example.com", domain(&b, "TLS_1_2"), now())?;
    let mut params = rcgen::CertificateParams::new(vec!["a.example.com".to_string()])?;
    params.not_after = rcgen::date_time_ymd(2040, 6, 30);
    store.put("a.example.com", domain(&ca.sign(params)?, "TLS_1_2"), now())?;
    let gauge = store.snapshot().not_after_seconds();
    // 2040-06-30 and 2030-01-01, 00:00:00 UTC.
    assert_eq!(
        gauge,
        vec![
            ("a.example.com".to_string(), 2_224_627_200),
            ("b.example.com".to_string(), 1_893_456_000)
        ]
    );
    Ok(())
}

#[test]
fn no_type_prints_private_key_material() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let leaf = ca.server(&["a.example.com"])?;
    let other = ca.server(&["a.example.com"])?;
    // Every base64 line of both keys, so any slice of them would be caught.
    let secrets: Vec<String> = [&leaf.key_pem, &other.key_pem]
        .iter()
        .flat_map(|k| {
            k.lines()
                .filter(|l| !l.starts_with("-----"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let store = TlsStore::new();
    let tls = domain(&leaf, "TLS_1_2");
    let report = store.put("a.example.com", tls.clone(), now())?;
    let truststore = Truststore::from_pem(ca.pem.as_bytes(), now())?;
    let mut mismatched = leaf.input(None);
    mismatched.private_key = other.key_pem.as_str().into();
    let errors: Vec<TlsError> = [
        store
            .replace_certificate("a.example.com", &mismatched, now())
            .err(),
        store.put("z.example.com", tls.clone(), now()).err(),
        store
            .replace_certificate(
                "a.example.com",
                &{
                    let mut bad = leaf.input(None);
                    bad.private_key = format!("{}garbage", other.key_pem).into();
                    bad
                },
                now(),
            )
            .err(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(errors.len(), 3);
    let snapshot = store.snapshot();
    let cert = apigw_tls::ServerCertificate::validate("a.example.com", &leaf.input(None), now())?;
    let mut printed = vec![
        format!("{tls:?}"),
        format!("{tls:#?}"),
        format!("{:?}", tls.certificate),
        format!("{:?}", tls.certificate.private_key),
        format!("{report:?}"),
        format!("{store:?}"),
        format!("{snapshot:?}"),
        format!("{:?}", snapshot.lookup("a.example.com")),
        format!("{cert:?}"),
        format!("{truststore:?}"),
    ];
    for e in &errors {
        printed.push(format!("{e}"));
        printed.push(format!("{e:?}"));
    }
    for text in &printed {
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        for line in &secrets {
            assert!(!text.contains(line.as_str()), "key material in: {text}");
        }
    }
    assert!(printed[0].contains("<redacted>"));
    assert!(printed[3] == "<redacted>");
    Ok(())
}
