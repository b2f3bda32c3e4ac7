//! Real TLS over loopback: a server accepting with `apigw_tls::accept` and rustls clients.
//! SNI selection, refusals with `unrecognized_name`, policies, ALPN, certificate swaps.

mod common;

use std::sync::Arc;

use apigw_tls::{AcceptError, Alpn, TlsStore, TlsVersion};
use common::*;
use rustls::crypto::ring::cipher_suite as cs;
use rustls::{AlertDescription, Error as TlsErr};

#[tokio::test]
async fn two_domains_get_their_own_certificate_by_sni() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let a = ca.server(&["a.example.com"])?;
    let b = ca.server(&["b.example.com"])?;
    let store = Arc::new(TlsStore::new());
    store.put("a.example.com", domain(&a, "TLS_1_2"), now())?;
    store.put("B.Example.com", domain(&b, "TLS_1_2"), now())?;
    let (addr, mut rx) = serve(store).await?;
    let config = ClientSpec::trusting(&ca.pem).config()?;
    for (name, leaf) in [("a.example.com", &a), ("b.example.com", &b)] {
        let stream = connect(addr, name, config.clone()).await??;
        let served = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first().cloned());
        assert_eq!(served, Some(leaf.der()), "{name}");
        let info = next(&mut rx).await??;
        assert_eq!(info.domain, name);
        assert_eq!(info.server_name, name);
    }
    Ok(())
}

#[tokio::test]
async fn exact_domain_wins_over_wildcard_and_wildcard_serves_the_rest() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let wild = ca.server(&["*.example.com"])?;
    let api = ca.server(&["api.example.com"])?;
    let store = Arc::new(TlsStore::new());
    store.put("*.example.com", domain(&wild, "TLS_1_2"), now())?;
    store.put("api.example.com", domain(&api, "TLS_1_2"), now())?;
    let (addr, mut rx) = serve(store).await?;
    let config = ClientSpec::trusting(&ca.pem).config()?;

    let s = connect(addr, "api.example.com", config.clone()).await??;
    assert_eq!(
        s.get_ref().1.peer_certificates().map(|c| c[0].clone()),
        Some(api.der())
    );
    assert_eq!(next(&mut rx).await??.domain, "api.example.com");

    let s = connect(addr, "shop.example.com", config.clone()).await??;
    assert_eq!(
        s.get_ref().1.peer_certificates().map(|c| c[0].clone()),
        Some(wild.der())
    );
    let info = next(&mut rx).await??;
    assert_eq!(
        (info.domain.as_str(), info.server_name.as_str()),
        ("*.example.com", "shop.example.com")
    );

    // Two labels below the wildcard are not covered, as in TLS.
    let e = connect(addr, "a.b.example.com", config).await?.err();
    assert_eq!(
        e.as_ref().and_then(tls_error),
        Some(TlsErr::AlertReceived(AlertDescription::UnrecognisedName))
    );
    assert!(
        matches!(next(&mut rx).await?, Err(AcceptError::UnknownServerName(n)) if n == "a.b.example.com")
    );
    Ok(())
}

#[tokio::test]
async fn unknown_sni_gets_unrecognized_name_and_no_certificate() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let store = Arc::new(TlsStore::new());
    store.put(
        "a.example.com",
        domain(&ca.server(&["a.example.com"])?, "TLS_1_2"),
        now(),
    )?;
    let (addr, mut rx) = serve(store).await?;
    let e = connect(
        addr,
        "other.example.org",
        ClientSpec::trusting(&ca.pem).config()?,
    )
    .await?
    .err();
    assert_eq!(
        e.as_ref().and_then(tls_error),
        Some(TlsErr::AlertReceived(AlertDescription::UnrecognisedName))
    );
    let outcome = next(&mut rx).await?;
    assert!(matches!(&outcome, Err(AcceptError::UnknownServerName(n)) if n == "other.example.org"));
    assert!(outcome.err().is_some_and(|e| e.is_client_fault()));
    Ok(())
}

#[tokio::test]
async fn no_sni_is_refused() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let store = Arc::new(TlsStore::new());
    store.put(
        "a.example.com",
        domain(&ca.server(&["a.example.com"])?, "TLS_1_2"),
        now(),
    )?;
    let (addr, mut rx) = serve(store).await?;
    // An IP address as the server name: rustls sends no SNI.
    let e = connect(addr, "127.0.0.1", ClientSpec::trusting(&ca.pem).config()?)
        .await?
        .err();
    assert_eq!(
        e.as_ref().and_then(tls_error),
        Some(TlsErr::AlertReceived(AlertDescription::UnrecognisedName))
    );
    assert!(matches!(
        next(&mut rx).await?,
        Err(AcceptError::NoServerName)
    ));
    Ok(())
}

#[tokio::test]
async fn tls12_refused_under_tls13_policy_and_accepted_under_tls_1_2() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
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
    let mut spec = ClientSpec::trusting(&ca.pem);
    static TLS12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    spec.versions = &TLS12;
    let tls12_only = spec.config()?;

    let e = connect(addr, "v13.example.com", tls12_only.clone())
        .await?
        .err();
    assert_eq!(
        e.as_ref().and_then(tls_error),
        Some(TlsErr::AlertReceived(AlertDescription::ProtocolVersion))
    );
    assert!(matches!(
        next(&mut rx).await?,
        Err(AcceptError::Handshake(_))
    ));

    connect(addr, "v12.example.com", tls12_only).await??;
    let info = next(&mut rx).await??;
    assert_eq!(info.version, TlsVersion::Tls12);
    assert_eq!(info.cipher_suite_openssl, "ECDHE-ECDSA-AES256-GCM-SHA384");

    // A default client gets TLS 1.3 under both.
    connect(
        addr,
        "v13.example.com",
        ClientSpec::trusting(&ca.pem).config()?,
    )
    .await??;
    let info = next(&mut rx).await??;
    assert_eq!(
        (info.version.as_str(), info.security_policy.name()),
        ("TLSv1.3", "SecurityPolicy_TLS13_1_3_2025_09")
    );
    Ok(())
}

#[tokio::test]
async fn fips_policy_never_negotiates_chacha20() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let store = Arc::new(TlsStore::new());
    store.put(
        "fips.example.com",
        domain(
            &ca.server(&["fips.example.com"])?,
            "SecurityPolicy_TLS13_1_3_FIPS_2025_09",
        ),
        now(),
    )?;
    store.put(
        "std.example.com",
        domain(
            &ca.server(&["std.example.com"])?,
            "SecurityPolicy_TLS13_1_3_2025_09",
        ),
        now(),
    )?;
    let (addr, mut rx) = serve(store).await?;
    let mut spec = ClientSpec::trusting(&ca.pem);
    spec.suites = Some(vec![cs::TLS13_CHACHA20_POLY1305_SHA256]);
    let chacha_only = spec.config()?;
    spec.suites = Some(vec![
        cs::TLS13_CHACHA20_POLY1305_SHA256,
        cs::TLS13_AES_128_GCM_SHA256,
    ]);
    let chacha_first = spec.config()?;

    let e = connect(addr, "fips.example.com", chacha_only.clone())
        .await?
        .err();
    assert_eq!(
        e.as_ref().and_then(tls_error),
        Some(TlsErr::AlertReceived(AlertDescription::HandshakeFailure))
    );
    assert!(next(&mut rx).await?.is_err());

    connect(addr, "fips.example.com", chacha_first).await??;
    assert_eq!(next(&mut rx).await??.cipher_suite, "TLS_AES_128_GCM_SHA256");

    // The non-FIPS policy does negotiate it: the refusal above is the policy's.
    connect(addr, "std.example.com", chacha_only).await??;
    assert_eq!(
        next(&mut rx).await??.cipher_suite,
        "TLS_CHACHA20_POLY1305_SHA256"
    );
    Ok(())
}

#[tokio::test]
async fn alpn_offers_h2_and_http11_and_reports_the_choice() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let store = Arc::new(TlsStore::new());
    store.put(
        "a.example.com",
        domain(&ca.server(&["a.example.com"])?, "TLS_1_2"),
        now(),
    )?;
    let (addr, mut rx) = serve(store).await?;
    let cases: [(&[&[u8]], Option<Alpn>); 4] = [
        (&[b"h2"], Some(Alpn::H2)),
        (&[b"http/1.1"], Some(Alpn::Http11)),
        (&[b"h2", b"http/1.1"], Some(Alpn::H2)),
        (&[], None),
    ];
    for (offer, want) in cases {
        let mut spec = ClientSpec::trusting(&ca.pem);
        spec.alpn = offer.to_vec();
        let s = connect(addr, "a.example.com", spec.config()?).await??;
        assert_eq!(
            s.get_ref().1.alpn_protocol(),
            want.map(|a| a.as_str().as_bytes())
        );
        assert_eq!(next(&mut rx).await??.alpn, want);
    }
    // A client that speaks neither is refused.
    let mut spec = ClientSpec::trusting(&ca.pem);
    spec.alpn = vec![b"spdy/3"];
    let e = connect(addr, "a.example.com", spec.config()?).await?.err();
    assert_eq!(
        e.as_ref().and_then(tls_error),
        Some(TlsErr::AlertReceived(
            AlertDescription::NoApplicationProtocol
        ))
    );
    assert!(next(&mut rx).await?.is_err());
    Ok(())
}

#[tokio::test]
async fn certificate_swap_reaches_new_connections_and_spares_open_ones() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let old = ca.server(&["a.example.com"])?;
    let new = ca.server(&["a.example.com"])?;
    let store = Arc::new(TlsStore::new());
    store.put("a.example.com", domain(&old, "TLS_1_2"), now())?;
    let (addr, mut rx) = serve(store.clone()).await?;
    let config = ClientSpec::trusting(&ca.pem).config()?;

    let mut open = connect(addr, "a.example.com", config).await??;
    assert_eq!(round_trip(&mut open, "before").await?, "before");
    next(&mut rx).await??;

    store.replace_certificate("a.example.com", &new.input(None), now())?;

    // A client without the old session (a resumed one is sent no certificate at all).
    let fresh_client = ClientSpec::trusting(&ca.pem).config()?;
    let fresh = connect(addr, "a.example.com", fresh_client).await??;
    assert_eq!(
        fresh.get_ref().1.peer_certificates().map(|c| c[0].clone()),
        Some(new.der())
    );
    assert_ne!(old.der(), new.der());
    next(&mut rx).await??;
    // The connection made before the swap still carries data both ways.
    assert_eq!(
        round_trip(&mut open, "after the swap").await?,
        "after the swap"
    );
    Ok(())
}

#[tokio::test]
async fn sessions_resume_with_tickets() -> anyhow::Result<()> {
    let ca = Ca::new("Test CA")?;
    let store = Arc::new(TlsStore::new());
    store.put(
        "a.example.com",
        domain(&ca.server(&["a.example.com"])?, "TLS_1_2"),
        now(),
    )?;
    let (addr, mut rx) = serve(store).await?;
    let config = ClientSpec::trusting(&ca.pem).config()?;
    let mut first = connect(addr, "a.example.com", config.clone()).await??;
    // Reading lets the client take the tickets the server sends after the handshake.
    round_trip(&mut first, "x").await?;
    assert!(!next(&mut rx).await??.resumed);
    connect(addr, "a.example.com", config).await??;
    assert!(next(&mut rx).await??.resumed);
    Ok(())
}

#[tokio::test]
async fn a_client_that_never_speaks_times_out() -> anyhow::Result<()> {
    let store = TlsStore::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let _client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (tcp, _) = listener.accept().await?;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(200);
    let r = apigw_tls::accept(tcp, &store.snapshot(), deadline).await;
    assert!(matches!(r, Err(AcceptError::Timeout)));
    Ok(())
}
