//! apigw-geo: client IP -> location (maxminddb), the region catalog, and the
//! choice of the nearest healthy region.
//!
//! - [`lookup`]: a hot-swappable MaxMind-format database read into our own
//!   [`Location`] (GeoIP2-City's nested layout and DB-IP Lite's flat one);
//! - [`catalog`]: regions with coordinates, and great-circle distances;
//! - [`choose`]: the nearest healthy region, adjusted for load, with
//!   hysteresis so a client's region does not flap.

pub mod catalog;
pub mod choose;
pub mod lookup;

pub use catalog::{distance_km, Catalog, Region};
pub use choose::{Choice, Chooser, RegionState};
pub use lookup::{GeoDb, GeoError, Location};
