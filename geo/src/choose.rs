//! Choosing the region a client's request goes to: the nearest healthy one
//! by great-circle distance, plus a penalty for load; with hysteresis, so a
//! client group keeps its region until another one is clearly better (or
//! its region goes down).
//!
//! Clients are grouped into cells (a one-degree square of latitude and
//! longitude): the choice is remembered per cell, so every client of a cell
//! moves together and the table stays small.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::catalog::{distance_km, Catalog};

/// How a region looks right now.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionState {
    pub name: String,
    /// Some node of the region that serves requests is up.
    pub healthy: bool,
    /// Requests in flight per serving node of the region (gossiped).
    pub load: f64,
}

/// Tuning of the choice.
#[derive(Debug, Clone)]
pub struct ChooserOptions {
    /// A client group moves to another region only if its score is lower
    /// than the current one's by this fraction (0.2: 20 % better).
    pub hysteresis: f64,
    /// Kilometres added to a region's distance per request in flight on
    /// each of its nodes.
    pub load_km_per_request: f64,
}

impl Default for ChooserOptions {
    fn default() -> Self {
        ChooserOptions {
            hysteresis: 0.2,
            load_km_per_request: 50.0,
        }
    }
}

/// The region chosen for a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// Healthy regions in the order to try: the chosen one first, then the
    /// others by score (for failover of idempotent requests).
    pub order: Vec<String>,
    pub distance_km: f64,
    /// The cell's region changed with this request.
    pub switched: bool,
}

/// Cells remembered at most; past this the table starts over.
const MAX_CELLS: usize = 100_000;

/// Remembers each cell's region.
pub struct Chooser {
    catalog: Catalog,
    options: ChooserOptions,
    sticky: Mutex<HashMap<(i16, i16), String>>,
}

impl Chooser {
    pub fn new(catalog: Catalog, options: ChooserOptions) -> Chooser {
        Chooser {
            catalog,
            options,
            sticky: Mutex::new(HashMap::new()),
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Healthy regions of the catalog with their score (distance plus load
    /// penalty, km) from `(lat, lon)`, best first.
    pub fn rank(&self, lat: f64, lon: f64, states: &[RegionState]) -> Vec<(String, f64, f64)> {
        let mut ranked: Vec<(String, f64, f64)> = self
            .catalog
            .regions
            .iter()
            .filter_map(|region| {
                let state = states.iter().find(|s| s.name == region.name)?;
                if !state.healthy {
                    return None;
                }
                let distance = distance_km(lat, lon, region.lat, region.lon);
                let score = distance + state.load.max(0.0) * self.options.load_km_per_request;
                Some((region.name.clone(), score, distance))
            })
            .collect();
        ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        ranked
    }

    /// The region for a client at `(lat, lon)`; `None` if no region is healthy.
    pub fn choose(&self, lat: f64, lon: f64, states: &[RegionState]) -> Option<Choice> {
        let ranked = self.rank(lat, lon, states);
        let best = ranked.first()?;
        let cell = (lat.floor() as i16, lon.floor() as i16);
        let mut sticky = self.sticky.lock().unwrap_or_else(|e| e.into_inner());
        let current = sticky
            .get(&cell)
            .and_then(|name| ranked.iter().find(|(n, _, _)| n == name));
        let keep =
            current.filter(|(_, score, _)| best.1 >= score * (1.0 - self.options.hysteresis));
        let chosen = keep.unwrap_or(best).clone();
        let switched = sticky.get(&cell) != Some(&chosen.0);
        if switched {
            if sticky.len() >= MAX_CELLS {
                sticky.clear();
            }
            sticky.insert(cell, chosen.0.clone());
        }
        let mut order = vec![chosen.0.clone()];
        order.extend(
            ranked
                .into_iter()
                .map(|(n, _, _)| n)
                .filter(|n| *n != chosen.0),
        );
        Some(Choice {
            order,
            distance_km: chosen.2,
            switched,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Region;

    fn chooser() -> Chooser {
        Chooser::new(
            Catalog::new(vec![
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
                    name: "eu-central-1".into(),
                    lat: 50.1,
                    lon: 8.7,
                },
            ]),
            ChooserOptions::default(),
        )
    }

    fn states(healthy: &[&str], load: f64) -> Vec<RegionState> {
        ["us-east-1", "eu-west-1", "eu-central-1"]
            .into_iter()
            .map(|n| RegionState {
                name: n.into(),
                healthy: healthy.contains(&n),
                load,
            })
            .collect()
    }

    const ALL: &[&str] = &["us-east-1", "eu-west-1", "eu-central-1"];
    // Paris: eu-central-1 (~480 km) is nearer than eu-west-1 (~780 km).
    const PARIS: (f64, f64) = (48.85, 2.35);

    #[test]
    fn nearest_healthy_then_failover_order() {
        let c = chooser();
        let choice = c
            .choose(PARIS.0, PARIS.1, &states(ALL, 0.0))
            .expect("a healthy region");
        assert_eq!(choice.order, ["eu-central-1", "eu-west-1", "us-east-1"]);
        assert!(choice.switched);
        let down = c
            .choose(PARIS.0, PARIS.1, &states(&["us-east-1", "eu-west-1"], 0.0))
            .expect("a healthy region");
        assert_eq!(down.order, ["eu-west-1", "us-east-1"]);
        assert!(c.choose(PARIS.0, PARIS.1, &states(&[], 0.0)).is_none());
    }

    #[test]
    fn traffic_moves_back_when_the_region_returns() {
        let c = chooser();
        c.choose(PARIS.0, PARIS.1, &states(ALL, 0.0));
        let away = c
            .choose(PARIS.0, PARIS.1, &states(&["us-east-1", "eu-west-1"], 0.0))
            .expect("a healthy region");
        assert_eq!(away.order[0], "eu-west-1");
        // eu-central-1 is ~40 % nearer: past the 20 % hysteresis.
        let back = c
            .choose(PARIS.0, PARIS.1, &states(ALL, 0.0))
            .expect("a healthy region");
        assert_eq!(back.order[0], "eu-central-1");
        assert!(back.switched);
    }

    #[test]
    fn load_moves_traffic_only_past_the_hysteresis() {
        let c = chooser();
        let mut s = states(ALL, 0.0);
        assert_eq!(
            c.choose(PARIS.0, PARIS.1, &s)
                .expect("a healthy region")
                .order[0],
            "eu-central-1"
        );
        // 5 in flight: +250 km -> 730 vs 780: eu-central-1 still best.
        s[2].load = 5.0;
        assert_eq!(
            c.choose(PARIS.0, PARIS.1, &s)
                .expect("a healthy region")
                .order[0],
            "eu-central-1"
        );
        // 7 in flight: 830 vs 780: eu-west-1 better, but by 6 %: stay.
        s[2].load = 7.0;
        let stay = c.choose(PARIS.0, PARIS.1, &s).expect("a healthy region");
        assert_eq!(stay.order[0], "eu-central-1");
        assert!(!stay.switched);
        // 20 in flight: 1480 vs 780: move.
        s[2].load = 20.0;
        let moved = c.choose(PARIS.0, PARIS.1, &s).expect("a healthy region");
        assert_eq!(moved.order[0], "eu-west-1");
        assert!(moved.switched);
        // Load falls back a little (7): no flap back to eu-central-1.
        s[2].load = 7.0;
        assert_eq!(
            c.choose(PARIS.0, PARIS.1, &s)
                .expect("a healthy region")
                .order[0],
            "eu-west-1"
        );
    }

    #[test]
    fn regions_without_state_are_not_chosen() {
        let c = chooser();
        let only_us = vec![RegionState {
            name: "us-east-1".into(),
            healthy: true,
            load: 0.0,
        }];
        let choice = c
            .choose(PARIS.0, PARIS.1, &only_us)
            .expect("a healthy region");
        assert_eq!(choice.order, ["us-east-1"]);
    }
}
