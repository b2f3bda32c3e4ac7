//! The region catalog: each region's name and coordinates, and the
//! great-circle distance between two points.

use serde::{Deserialize, Serialize};

/// A region of the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub name: String,
    /// Degrees north.
    pub lat: f64,
    /// Degrees east.
    pub lon: f64,
}

/// Every region, in the order the operator listed them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub regions: Vec<Region>,
}

impl Catalog {
    pub fn new(regions: Vec<Region>) -> Catalog {
        Catalog { regions }
    }

    pub fn get(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.name == name)
    }

    /// Regions by distance from `(lat, lon)`, nearest first.
    pub fn by_distance(&self, lat: f64, lon: f64) -> Vec<(&Region, f64)> {
        let mut all: Vec<_> = self
            .regions
            .iter()
            .map(|r| (r, distance_km(lat, lon, r.lat, r.lon)))
            .collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1));
        all
    }
}

/// Mean Earth radius (IUGG), kilometres.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in kilometres (haversine), points in degrees.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().clamp(0.0, 1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_distances() {
        // Paris - London: ~344 km; New York - Los Angeles: ~3936 km.
        let paris_london = distance_km(48.8566, 2.3522, 51.5074, -0.1278);
        assert!((paris_london - 344.0).abs() < 3.0, "{paris_london}");
        let ny_la = distance_km(40.7128, -74.0060, 34.0522, -118.2437);
        assert!((ny_la - 3936.0).abs() < 10.0, "{ny_la}");
        // Antipodes: half the circumference.
        let half = distance_km(0.0, 0.0, 0.0, 180.0);
        assert!((half - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6);
    }

    #[test]
    fn nearest_first() {
        let catalog = Catalog::new(vec![
            Region {
                name: "us-east-1".into(),
                lat: 38.9,
                lon: -77.0,
            },
            Region {
                name: "eu-west-1".into(),
                lat: 53.3,
                lon: -6.3,
            },
            Region {
                name: "ap-southeast-1".into(),
                lat: 1.35,
                lon: 103.8,
            },
        ]);
        let from_paris: Vec<_> = catalog
            .by_distance(48.85, 2.35)
            .into_iter()
            .map(|(r, _)| r.name.as_str())
            .collect();
        assert_eq!(from_paris, ["eu-west-1", "us-east-1", "ap-southeast-1"]);
        let from_sydney = catalog.by_distance(-33.87, 151.2);
        assert_eq!(from_sydney[0].0.name, "ap-southeast-1");
    }

    proptest! {
        #[test]
        fn distance_is_a_metric(a in -90.0f64..90.0, b in -180.0f64..180.0,
                                c in -90.0f64..90.0, d in -180.0f64..180.0,
                                e in -90.0f64..90.0, f in -180.0f64..180.0) {
            let ab = distance_km(a, b, c, d);
            prop_assert!(ab >= 0.0);
            prop_assert!((ab - distance_km(c, d, a, b)).abs() < 1e-6);
            prop_assert!(distance_km(a, b, a, b) < 1e-6);
            let bc = distance_km(c, d, e, f);
            let ac = distance_km(a, b, e, f);
            prop_assert!(ac <= ab + bc + 1e-6);
            prop_assert!(ab <= std::f64::consts::PI * EARTH_RADIUS_KM + 1e-6);
        }
    }
}
