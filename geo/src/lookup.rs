//! Client IP -> location from a MaxMind-format database (`.mmdb`).
//!
//! Records are read into our own [`Location`], so both layouts in use work:
//! GeoIP2/GeoLite2-City (`location.latitude`, `country.iso_code`) and the
//! flat one of the free DB-IP Lite databases (`latitude`, `longitude` as
//! 32-bit floats, `country_code`). The database is hot-swappable: a reload
//! that fails keeps the one in use.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwapOption;
use serde::{Deserialize, Serialize};

/// Where an address is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    /// ISO 3166-1 alpha-2, when the database has it.
    pub country: Option<String>,
}

/// Why a database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("cannot read the geo database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
}

/// Either layout; unknown fields are ignored.
#[derive(Deserialize)]
struct Record {
    location: Option<NestedLocation>,
    country: Option<NestedCountry>,
    latitude: Option<Coord>,
    longitude: Option<Coord>,
    country_code: Option<String>,
}

#[derive(Deserialize)]
struct NestedLocation {
    latitude: Option<Coord>,
    longitude: Option<Coord>,
}

/// A coordinate stored as a double (GeoIP2) or a float (DB-IP Lite): the
/// decoder refuses to widen a float into an `f64` field by itself.
#[derive(Clone, Copy)]
struct Coord(f64);

impl<'de> Deserialize<'de> for Coord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Coord, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Coord;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a coordinate (float or double)")
            }
            fn visit_f32<E>(self, v: f32) -> Result<Coord, E> {
                Ok(Coord(f64::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Coord, E> {
                Ok(Coord(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Coord, E> {
                Ok(Coord(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Coord, E> {
                Ok(Coord(v as f64))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Deserialize)]
struct NestedCountry {
    iso_code: Option<String>,
}

impl Record {
    fn into_location(self) -> Option<Location> {
        let nested = self.location.as_ref();
        let lat = self.latitude.or(nested.and_then(|l| l.latitude))?.0;
        let lon = self.longitude.or(nested.and_then(|l| l.longitude))?.0;
        if !(lat.is_finite() && lon.is_finite()) {
            return None;
        }
        let country = self.country_code.or(self.country.and_then(|c| c.iso_code));
        Some(Location { lat, lon, country })
    }
}

type Reader = maxminddb::Reader<Vec<u8>>;

/// A database that can be swapped while lookups run.
pub struct GeoDb {
    path: PathBuf,
    reader: ArcSwapOption<Reader>,
    loaded_mtime: Mutex<Option<SystemTime>>,
}

impl GeoDb {
    /// Opens the database at `path`.
    pub fn open(path: &Path) -> Result<Arc<GeoDb>, GeoError> {
        let db = GeoDb {
            path: path.to_path_buf(),
            reader: ArcSwapOption::empty(),
            loaded_mtime: Mutex::new(None),
        };
        db.reload()?;
        Ok(Arc::new(db))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file again and swaps it in; on error the old one stays.
    pub fn reload(&self) -> Result<(), GeoError> {
        let open_error = |reason: String| GeoError::Open {
            path: self.path.clone(),
            reason,
        };
        let mtime = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .map_err(|e| open_error(e.to_string()))?;
        let reader = Reader::open_readfile(&self.path).map_err(|e| open_error(e.to_string()))?;
        self.reader.store(Some(Arc::new(reader)));
        *self.loaded_mtime.lock().unwrap_or_else(|e| e.into_inner()) = Some(mtime);
        Ok(())
    }

    /// Reloads if the file changed since it was loaded; `Ok(true)` if it did.
    pub fn reload_if_changed(&self) -> Result<bool, GeoError> {
        let now = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let loaded = *self.loaded_mtime.lock().unwrap_or_else(|e| e.into_inner());
        if now.is_none() || now == loaded {
            return Ok(false);
        }
        self.reload().map(|()| true)
    }

    /// Where `ip` is, if the database knows it. IPv4-mapped IPv6 addresses
    /// (clients of a dual-stack listener) are looked up as IPv4.
    pub fn lookup(&self, ip: IpAddr) -> Option<Location> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let reader = self.reader.load_full()?;
        let found = reader.lookup(ip).ok()?;
        found.decode::<Record>().ok().flatten()?.into_location()
    }

    /// The database type from its metadata (e.g. `GeoIP2-City`).
    pub fn database_type(&self) -> Option<String> {
        self.reader
            .load_full()
            .map(|r| r.metadata().database_type.clone())
    }
}
