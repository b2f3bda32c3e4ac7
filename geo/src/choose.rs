//! Choosing the region a client's request goes to: the healthy one with the
//! lowest score, in kilometres: the great-circle distance from the client,
//! plus a penalty for load, plus the measured round-trip time to the region
//! turned into kilometres (an unmeasured region counts the RTT its distance
//! predicts); with hysteresis, so a client group keeps its region until
//! another one is clearly better (or its region goes down).
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
    /// Measured round-trip time to the region, ms (an EWMA of gossip pings
    /// and forwarded requests); `None`: estimated from the distance.
    pub rtt_ms: Option<f64>,
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
    /// Kilometres per millisecond of round-trip time: light in fibre covers
    /// ~100 km per RTT millisecond, so a region's RTT and its distance
    /// weigh alike while the network behaves, and an RTT spike counts as
    /// the distance it would take to cause it. 0 ignores RTT.
    pub km_per_rtt_ms: f64,
}

impl Default for ChooserOptions {
    fn default() -> Self {
        ChooserOptions {
            hysteresis: 0.2,
            load_km_per_request: 50.0,
            km_per_rtt_ms: 100.0,
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

    /// A region's score (km): distance, load penalty, RTT (measured, else
    /// what the distance predicts).
    fn score(&self, distance: f64, state: &RegionState) -> f64 {
        let o = &self.options;
        let rtt_km = match state.rtt_ms {
            Some(ms) if ms.is_finite() => ms.max(0.0) * o.km_per_rtt_ms,
            _ if o.km_per_rtt_ms > 0.0 => distance,
            _ => 0.0,
        };
        distance + state.load.max(0.0) * o.load_km_per_request + rtt_km
    }

    /// Healthy regions of the catalog with their score (km: distance, load
    /// penalty, RTT) from `(lat, lon)`, best first.
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
                Some((region.name.clone(), self.score(distance, state), distance))
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
                rtt_ms: None,
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
        // Unmeasured RTT counts the distance again: 960 vs 1560 km.
        // 5 in flight: +250 km -> 1210 vs 1560: eu-central-1 still best.
        s[2].load = 5.0;
        assert_eq!(
            c.choose(PARIS.0, PARIS.1, &s)
                .expect("a healthy region")
                .order[0],
            "eu-central-1"
        );
        // 14 in flight: 1660 vs 1560: eu-west-1 better, but by 6 %: stay.
        s[2].load = 14.0;
        let stay = c.choose(PARIS.0, PARIS.1, &s).expect("a healthy region");
        assert_eq!(stay.order[0], "eu-central-1");
        assert!(!stay.switched);
        // 30 in flight: 2460 vs 1560: move.
        s[2].load = 30.0;
        let moved = c.choose(PARIS.0, PARIS.1, &s).expect("a healthy region");
        assert_eq!(moved.order[0], "eu-west-1");
        assert!(moved.switched);
        // Load falls back a little (14): no flap back to eu-central-1.
        s[2].load = 14.0;
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
            rtt_ms: None,
        }];
        let choice = c
            .choose(PARIS.0, PARIS.1, &only_us)
            .expect("a healthy region");
        assert_eq!(choice.order, ["us-east-1"]);
    }

    #[test]
    fn a_latency_spike_moves_traffic_and_it_comes_back() {
        let c = chooser();
        let mut s = states(ALL, 0.0);
        for st in &mut s {
            st.rtt_ms = Some(8.0);
        }
        let first = c.choose(PARIS.0, PARIS.1, &s).expect("a healthy region");
        assert_eq!(first.order[0], "eu-central-1");
        // A small wobble (8 -> 10 ms: +200 km) moves nothing.
        s[2].rtt_ms = Some(10.0);
        assert!(!c.choose(PARIS.0, PARIS.1, &s).expect("healthy").switched);
        // A spike to 150 ms: 15,480 km against 1,580: move.
        s[2].rtt_ms = Some(150.0);
        let away = c.choose(PARIS.0, PARIS.1, &s).expect("healthy");
        assert_eq!(away.order[0], "eu-west-1");
        assert!(away.switched);
        // Falling back to 12 ms (1,680 vs 1,580) is not yet 20 % better.
        s[2].rtt_ms = Some(12.0);
        assert_eq!(
            c.choose(PARIS.0, PARIS.1, &s).expect("healthy").order[0],
            "eu-west-1"
        );
        // Back to normal: 1,280 vs 1,580 km is 19 % better: still stays;
        // a little lower and it moves back.
        s[2].rtt_ms = Some(8.0);
        assert_eq!(
            c.choose(PARIS.0, PARIS.1, &s).expect("healthy").order[0],
            "eu-west-1"
        );
        s[2].rtt_ms = Some(7.0);
        let back = c.choose(PARIS.0, PARIS.1, &s).expect("healthy");
        assert_eq!(back.order[0], "eu-central-1");
        assert!(back.switched);
    }

    proptest::proptest! {
        /// Whatever the load and RTT, a region marked down is never chosen,
        /// nor listed for failover.
        #[test]
        fn a_region_down_is_never_chosen(
            lat in -90.0f64..90.0, lon in -180.0f64..180.0,
            loads in proptest::collection::vec(0.0f64..100.0, 3),
            rtts in proptest::collection::vec(proptest::option::of(0.0f64..1000.0), 3),
            up in proptest::collection::vec(proptest::bool::ANY, 3),
        ) {
            let c = chooser();
            let s: Vec<RegionState> = ALL.iter().enumerate().map(|(i, n)| RegionState {
                name: (*n).into(), healthy: up[i], load: loads[i], rtt_ms: rtts[i],
            }).collect();
            for _ in 0..2 {
                match c.choose(lat, lon, &s) {
                    Some(choice) => {
                        for name in &choice.order {
                            let st = s.iter().find(|x| &x.name == name).expect("known");
                            proptest::prop_assert!(st.healthy);
                        }
                    }
                    None => proptest::prop_assert!(up.iter().all(|u| !u)),
                }
            }
        }
    }
}
