//! Who the client is and which networks it comes from: the client address
//! behind trusted proxies (`X-Forwarded-For`), and the source networks
//! PRIVATE APIs answer.

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

/// Trusted proxies and private networks, from the node's config.
#[derive(Debug, Clone)]
pub struct SourceNetworks {
    trusted_proxies: Vec<IpNet>,
    private: Vec<IpNet>,
}

/// The networks PRIVATE APIs answer when the config names none.
pub const DEFAULT_PRIVATE: [&str; 6] = [
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
];

impl Default for SourceNetworks {
    fn default() -> Self {
        SourceNetworks {
            trusted_proxies: Vec::new(),
            private: DEFAULT_PRIVATE
                .iter()
                .filter_map(|n| n.parse().ok())
                .collect(),
        }
    }
}

/// A CIDR (or a bare address) that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a network (CIDR such as 10.0.0.0/8) or an address")]
pub struct BadNetwork(pub String);

/// Parses CIDRs; a bare address is a /32 or /128.
pub fn parse_networks(list: &[String]) -> Result<Vec<IpNet>, BadNetwork> {
    list.iter()
        .map(|text| {
            let text = text.trim();
            text.parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| BadNetwork(text.to_string()))
        })
        .collect()
}

impl SourceNetworks {
    pub fn new(trusted_proxies: Vec<IpNet>, private: Vec<IpNet>) -> SourceNetworks {
        SourceNetworks {
            trusted_proxies,
            private,
        }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the TCP peer, unless the peer is a trusted
    /// proxy; then the right-most `X-Forwarded-For` address that is not a
    /// trusted proxy (addresses further left could be forged by the client).
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted(peer) {
            return peer;
        }
        let mut client = peer;
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                // Garbage in the chain: stop at the last address we trust.
                return client;
            };
            client = ip;
            if !self.trusted(ip) {
                return ip;
            }
        }
        client
    }

    /// Whether a PRIVATE API answers `client`.
    pub fn is_private(&self, client: IpAddr) -> bool {
        let client = match client {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(client, IpAddr::V4),
            v4 => v4,
        };
        self.private.iter().any(|n| n.contains(&client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().expect("a header value"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn untrusted_peer_is_the_client() {
        let n = SourceNetworks::default();
        assert_eq!(
            n.client_ip(ip("127.0.0.1"), &headers(&["81.2.69.1"])),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn trusted_proxy_chain_is_walked_from_the_right() {
        let n = SourceNetworks::new(
            parse_networks(&["10.0.0.0/8".into(), "127.0.0.1".into()]).expect("networks"),
            vec![],
        );
        // client says it is 1.1.1.1 (forged), a real hop 81.2.69.1, then our proxies.
        let h = headers(&["1.1.1.1, 81.2.69.1", "10.1.1.1"]);
        assert_eq!(n.client_ip(ip("127.0.0.1"), &h), ip("81.2.69.1"));
        // Only trusted hops: the left-most of them.
        assert_eq!(
            n.client_ip(ip("127.0.0.1"), &headers(&["10.2.2.2"])),
            ip("10.2.2.2")
        );
        // No header: the proxy itself.
        assert_eq!(
            n.client_ip(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        // Garbage stops the walk at the last trusted address.
        assert_eq!(
            n.client_ip(ip("127.0.0.1"), &headers(&["81.2.69.1, nonsense"])),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn private_networks() {
        let n = SourceNetworks::default();
        assert!(n.is_private(ip("127.0.0.1")));
        assert!(n.is_private(ip("192.168.1.9")));
        assert!(n.is_private(ip("::ffff:10.0.0.1")));
        assert!(!n.is_private(ip("81.2.69.1")));
        assert!(parse_networks(&["10.0.0.0/33".into()]).is_err());
    }
}
