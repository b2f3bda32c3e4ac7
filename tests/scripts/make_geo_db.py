"""Writes a MaxMind-format geo database for tests (PyPI mmdb-writer).

Usage: make_geo_db.py SPEC.json OUT.mmdb
SPEC: {"layout": "city" | "flat", "networks": [{"cidr": "81.2.69.0/24",
       "lat": 51.5, "lon": -0.1, "country": "GB"}, ...]}

"city" is GeoIP2-City's nested layout with 64-bit floats; "flat" is the
layout of the DB-IP Lite databases published on npm (@ip-location-db), with
32-bit float coordinates.
"""
import json
import sys

from mmdb_writer import MMDBWriter, MmdbF32, MmdbF64
from netaddr import IPSet


def main():
    spec = json.load(open(sys.argv[1]))
    flat = spec["layout"] == "flat"
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="dbip-city-lite" if flat else "GeoIP2-City",
        languages=["en"],
        description="apigw test database",
    )
    for net in spec["networks"]:
        if flat:
            record = {
                "city": net.get("city", "Somewhere"),
                "country_code": net["country"],
                "latitude": MmdbF32(net["lat"]),
                "longitude": MmdbF32(net["lon"]),
            }
        else:
            record = {
                "city": {"names": {"en": net.get("city", "Somewhere")}},
                "country": {"iso_code": net["country"], "names": {"en": net["country"]}},
                "location": {"latitude": MmdbF64(net["lat"]), "longitude": MmdbF64(net["lon"]),
                             "accuracy_radius": 50},
            }
        writer.insert_network(IPSet([net["cidr"]]), record)
    writer.to_db_file(sys.argv[2])


if __name__ == "__main__":
    main()
