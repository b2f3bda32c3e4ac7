//! The geo database: both record layouts in use (GeoIP2-City's nested one,
//! DB-IP Lite's flat one with 32-bit floats), addresses it does not know,
//! and swapping the file while the node runs (a broken file keeps the old).

use apigw_geo::GeoDb;
use apigw_tests::node::TempDir;
use apigw_tests::python::make_geo_db;

const LONDON: (&str, f64, f64, &str) = ("81.2.69.0/24", 51.5142, -0.0931, "GB");
const SEATTLE: (&str, f64, f64, &str) = ("216.160.83.0/24", 47.6062, -122.3321, "US");

#[test]
fn both_layouts_give_the_same_locations() {
    let dir = TempDir::new("geo").expect("dir");
    for layout in ["city", "flat"] {
        let path = dir.0.join(format!("{layout}.mmdb"));
        make_geo_db(&path, layout, &[LONDON, SEATTLE]).expect("database written");
        let db = GeoDb::open(&path).expect("opens");
        let london = db
            .lookup("81.2.69.160".parse().expect("an address"))
            .expect("known");
        assert_eq!(london.country.as_deref(), Some("GB"), "{layout}");
        // f32 in the flat layout: within ~1e-5 degrees.
        assert!((london.lat - 51.5142).abs() < 1e-4, "{layout}: {london:?}");
        assert!((london.lon + 0.0931).abs() < 1e-4, "{layout}: {london:?}");
        let seattle = db
            .lookup("216.160.83.9".parse().expect("an address"))
            .expect("known");
        assert_eq!(seattle.country.as_deref(), Some("US"));
        // IPv4 in an IPv6 database, through the IPv4-mapped form.
        assert!(
            db.lookup("::ffff:81.2.69.1".parse().expect("an address"))
                .is_some(),
            "{layout}"
        );
        assert_eq!(
            db.lookup("127.0.0.1".parse().expect("an address")),
            None,
            "{layout}"
        );
        assert_eq!(
            db.lookup("2001:db8::1".parse().expect("an address")),
            None,
            "{layout}"
        );
    }
}

#[test]
fn the_database_is_swapped_while_in_use_and_a_broken_one_is_refused() {
    let dir = TempDir::new("geo-swap").expect("dir");
    let path = dir.0.join("geo.mmdb");
    make_geo_db(&path, "flat", &[LONDON]).expect("database written");
    let db = GeoDb::open(&path).expect("opens");
    assert!(db
        .lookup("216.160.83.9".parse().expect("an address"))
        .is_none());
    assert!(
        !db.reload_if_changed().expect("unchanged"),
        "nothing changed yet"
    );

    // A new release of the database (written aside, then renamed in).
    std::thread::sleep(std::time::Duration::from_millis(20));
    let next = dir.0.join("next.mmdb");
    make_geo_db(&next, "city", &[LONDON, SEATTLE]).expect("database written");
    std::fs::rename(&next, &path).expect("renamed");
    assert!(db.reload_if_changed().expect("reloads"));
    assert_eq!(
        db.lookup("216.160.83.9".parse().expect("an address"))
            .and_then(|l| l.country),
        Some("US".to_string())
    );

    // A truncated file: refused with a clear error, the old one stays.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&path, b"not a database").expect("written");
    let error = db.reload_if_changed().expect_err("refused").to_string();
    assert!(error.contains("geo.mmdb"), "{error}");
    assert!(db
        .lookup("216.160.83.9".parse().expect("an address"))
        .is_some());
    assert!(GeoDb::open(&dir.0.join("missing.mmdb")).is_err());
}
