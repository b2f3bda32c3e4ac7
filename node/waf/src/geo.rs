//! The location lookup geo and ASN match statements use. The node
//! implements [`GeoLookup`] with its MaxMind database; tests use a table.

use std::collections::HashMap;
use std::net::IpAddr;

/// What is known about an address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeoInfo {
    /// ISO 3166-1 alpha-2 country code (`US`).
    pub country: Option<String>,
    /// ISO 3166-2 subdivision code without the country (`OR` for Oregon).
    pub region: Option<String>,
    /// The autonomous system number.
    pub asn: Option<u32>,
}

/// Looks up an address. Called at most once per address per evaluation;
/// must not block on I/O.
pub trait GeoLookup {
    /// The location of `ip` (all `None` when unknown).
    fn lookup(&self, ip: IpAddr) -> GeoInfo;
}

/// Knows nothing: every address is country `XX` in labels and `-` in logs.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoGeo;

impl GeoLookup for NoGeo {
    fn lookup(&self, _ip: IpAddr) -> GeoInfo {
        GeoInfo::default()
    }
}

/// A fixed table from address to location, for tests and small setups.
#[derive(Debug, Clone, Default)]
pub struct StaticGeo(pub HashMap<IpAddr, GeoInfo>);

impl GeoLookup for StaticGeo {
    fn lookup(&self, ip: IpAddr) -> GeoInfo {
        self.0.get(&ip).cloned().unwrap_or_default()
    }
}
