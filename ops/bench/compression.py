"""Helper of ops/bench/compression.sh (which starts and stops the processes):

  compression.py gen DIR          the response bodies: 1k.json, 16k.json,
                                  128k.json (deterministic API-like JSON)
  compression.py run ...          the correctness checks (curl, gzip -t,
                                  byte-for-byte), the wrk rounds, the tables

Strict like the suite: any non-2xx answer, socket error, or answer coded
otherwise than the target says (gzip for the gzip targets, none for the
baselines) fails the run (exit 1) and no table is printed."""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "suite"))

import procs  # noqa: E402  (the suite's CPU and process-tree helpers)

SIZES = [("1k", 1024), ("16k", 16 * 1024), ("128k", 128 * 1024)]
SAMPLES = 20  # answers per target whose wire size is taken (curl --compressed)

# --- the bodies ------------------------------------------------------------

FIRST = ["Maria", "James", "Aiko", "Lucas", "Fatima", "Noah", "Elena", "Omar", "Chloe",
         "Mateo", "Priya", "Liam", "Sofia", "Kenji", "Amara", "Jonas", "Ines", "Ravi"]
LAST = ["Lopez", "Smith", "Tanaka", "Martin", "Haddad", "Johnson", "Rossi", "Khan", "Dubois",
        "Garcia", "Patel", "Murphy", "Silva", "Sato", "Okafor", "Berg", "Costa", "Iyer"]
CITIES = [("Lyon", "FR", "69003"), ("Austin", "US", "78701"), ("Osaka", "JP", "530-0001"),
          ("Porto", "PT", "4000-322"), ("Leeds", "GB", "LS1 4AP"), ("Pune", "IN", "411001"),
          ("Munich", "DE", "80331"), ("Toronto", "CA", "M5H 2N2"), ("Turin", "IT", "10121")]
PRODUCTS = [("Wireless Mouse", 24.99), ("USB-C Cable 2m", 9.5), ("Mechanical Keyboard", 89.0),
            ("27in Monitor", 219.99), ("Laptop Stand", 34.9), ("Noise-Cancelling Headphones",
            149.0), ("Webcam 1080p", 49.99), ("Desk Lamp", 27.45), ("External SSD 1TB", 99.9),
            ("Phone Charger 30W", 19.99)]
STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "refunded"]
TAGS = ["priority", "gift", "b2b", "repeat-customer", "promo", "express", "fragile"]
WORDS = ("the order was shipped from the nearest warehouse and the customer was notified "
         "by email with the tracking number and an estimated delivery date; returns are "
         "accepted within thirty days of delivery for unused items in their original "
         "packaging, refunds go to the original payment method").split()


def _order(rng, i):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, country, postcode = rng.choice(CITIES)
    items = []
    for _ in range(rng.randint(1, 4)):
        name, price = rng.choice(PRODUCTS)
        items.append({"sku": f"SKU-{rng.randint(10000, 99999)}", "name": name,
                      "qty": rng.randint(1, 5), "unitPrice": price})
    total = round(sum(x["qty"] * x["unitPrice"] for x in items), 2)
    day, sec = rng.randint(1, 28), rng.randint(0, 86399)
    return {
        "id": f"ord_{100000 + i}",
        "customer": {"id": f"cus_{rng.randint(1000, 9999)}", "name": f"{first} {last}",
                     "email": f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com",
                     "address": {"city": city, "country": country, "postcode": postcode}},
        "status": rng.choice(STATUSES),
        "currency": "EUR" if country in ("FR", "PT", "DE", "IT") else "USD",
        "total": total,
        "items": items,
        "createdAt": f"2026-11-{day:02d}T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}Z",
        "tags": rng.sample(TAGS, rng.randint(0, 3)),
        "trackingNumber": f"1Z{rng.getrandbits(40):010X}" if rng.random() < 0.6 else None,
    }


def body(size):
    """Exactly `size` bytes of compact JSON: a page of orders (seeded, so
    the same bytes every run), its `note` padded to the exact length."""
    rng = random.Random(23)
    orders = []

    def render(note):
        return json.dumps({"data": orders, "count": len(orders), "next": f"cursor_{len(orders)}",
                           "note": note}, separators=(",", ":"))
    while True:
        orders.append(_order(rng, len(orders)))
        if len(render("")) > size:
            orders.pop()
            break
    pad = size - len(render(""))
    note = ""
    while len(note) < pad:
        note += (" " if note else "") + rng.choice(WORDS)
    text = render(note[:pad])
    assert len(text.encode()) == size, (size, len(text))
    json.loads(text)
    return text.encode()


def gen(out):
    import gzip
    import hashlib
    os.makedirs(out, exist_ok=True)
    for name, size in SIZES:
        data = body(size)
        with open(f"{out}/{name}.json", "wb") as f:
            f.write(data)
        packed = len(gzip.compress(data, compresslevel=6, mtime=0))
        print(f"body {name}.json: {size} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}, "
              f"zlib level 6 (gzip -6) {packed} bytes ({size / packed:.2f}x)")


# --- the checks ------------------------------------------------------------

def curl(args):
    r = subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True)
    if r.returncode != 0:
        raise SystemExit(f"FAIL curl {' '.join(args)}: {r.stderr.decode().strip()}")
    return r.stdout.decode()


def headers_of(path):
    """The last response head in a `curl -D` file, as {lowercase name: value}."""
    with open(path, "rb") as f:
        heads = f.read().decode("latin-1").strip().split("\r\n\r\n")
    lines = heads[-1].split("\r\n")
    out = {"": lines[0]}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        out[name.strip().lower()] = value.strip()
    return out


def check(target, work, www):
    """One answer through `target`, checked: 200, coded as the target says,
    valid gzip that decodes to the original bytes (or the original bytes
    as they are). Returns what it saw."""
    original = f"{www}/{target['size']}.json"
    stem = f"{work}/check-{target['key']}"
    code = curl(["-H", "Accept-Encoding: gzip", "-D", f"{stem}.head", "-o", f"{stem}.body",
                 "-w", "%{http_code} %{size_download} %{size_header}", target["url"]])
    status, size_download, size_header = code.split()
    h = headers_of(f"{stem}.head")
    fail = lambda why: SystemExit(f"FAIL {target['key']}: {why} (headers: {h})")  # noqa: E731
    if status != "200":
        raise fail(f"status {status}")
    coding = h.get("content-encoding")
    if target["gzip"]:
        if coding != "gzip":
            raise fail(f"not compressed: Content-Encoding {coding!r}")
        if subprocess.run(["gzip", "-t", f"{stem}.body"], capture_output=True).returncode != 0:
            raise fail("gzip -t: not valid gzip")
        with open(f"{stem}.body.dec", "wb") as out:
            subprocess.run(["gzip", "-dc", f"{stem}.body"], stdout=out, check=True)
        decoded = f"{stem}.body.dec"
    else:
        if coding:
            raise fail(f"baseline answer is coded: Content-Encoding {coding!r}")
        decoded = f"{stem}.body"
    if subprocess.run(["cmp", "-s", decoded, original]).returncode != 0:
        raise fail(f"{decoded} differs from {original}")
    # As a client sees it: curl decodes; size_download is what came over.
    sizes = [int(size_download)]
    for i in range(SAMPLES):
        got = f"{stem}.compressed"
        sizes.append(int(curl(["--compressed", "-H", "Accept-Encoding: gzip", "-o", got,
                               "-w", "%{size_download}", target["url"]])))
        if subprocess.run(["cmp", "-s", got, original]).returncode != 0:
            raise fail(f"curl --compressed answer {i + 1} differs from {original}")
    # What curl's own --compressed offer (deflate, gzip, br, zstd) gets.
    offer_head = f"{stem}.offer.head"
    offered = curl(["--compressed", "-D", offer_head, "-o", "/dev/null",
                    "-w", "%{size_download}", target["url"]])
    framing = ("chunked" if "chunked" in h.get("transfer-encoding", "")
               else f"content-length" if "content-length" in h else "close")
    return {"status": int(status), "body_bytes": statistics.median(sizes),
            "body_min": min(sizes), "body_max": max(sizes),
            "header_bytes": int(size_header), "coding": coding or "identity",
            "framing": framing, "vary": h.get("vary", ""),
            "curl_compressed_offer": headers_of(offer_head).get("content-encoding", "identity"),
            "curl_compressed_offer_bytes": int(offered),
            "original_bytes": os.path.getsize(original)}


# --- the load --------------------------------------------------------------

LUA = r"""
-- tallies statuses (only 2xx count), answers coded gzip, and bytes read
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; bad = 0; gz = 0 end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
  local ce = headers["Content-Encoding"] or headers["content-encoding"]
  if ce == "gzip" then gz = gz + 1 end
end
function done(summary, latency, requests)
  local o, b, g = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad"); g = g + t:get("gz") end
  local e = summary.errors
  io.write(string.format('COMPRESSION {"ok":%d,"non2xx":%d,"gzip":%d,"requests":%d,' ..
    '"bytes":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n', o, b, g, summary.requests, summary.bytes,
    summary.duration, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def busy_cpu():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / procs.CLOCK_TICKS


def children_cpu():
    t = os.times()
    return t.children_user + t.children_system


def wrk(target, seconds, args, lua):
    pids = procs.descendants(target["pid"])
    backend = procs.descendants(args.backend_pid)
    cpu0, bk0, gen0, all0 = (procs.cpu_seconds(pids), procs.cpu_seconds(backend),
                             children_cpu(), busy_cpu())
    t0 = time.monotonic()
    r = subprocess.run(["taskset", "-c", args.load_cores, "wrk", "-t1", f"-c{args.connections}",
                        f"-d{seconds}s", "--latency", "-H", "Accept-Encoding: gzip", "-s", lua,
                        target["url"]], capture_output=True, text=True, timeout=seconds + 60)
    wall = time.monotonic() - t0
    proxy_cpu = procs.cpu_seconds(pids) - cpu0
    others = (busy_cpu() - all0 - proxy_cpu - (procs.cpu_seconds(backend) - bk0)
              - (children_cpu() - gen0)) / wall
    line = next((l for l in r.stdout.splitlines() if l.startswith("COMPRESSION ")), None)
    if r.returncode != 0 or line is None:
        raise SystemExit(f"FAIL wrk {target['key']}: exit {r.returncode}\n{r.stdout[-600:]}"
                         f"{r.stderr[-400:]}")
    t = json.loads(line[len("COMPRESSION "):])
    errors = t["connect"] + t["read"] + t["write"] + t["timeout"]
    want_gz = t["ok"] if target["gzip"] else 0
    if t["non2xx"] or errors or t["ok"] == 0 or t["gzip"] != want_gz:
        raise SystemExit(
            f"FAIL {target['key']}: {t['ok']} 2xx, {t['non2xx']} non-2xx, {t['gzip']} coded gzip "
            f"(want {want_gz}), socket errors connect {t['connect']} read {t['read']} "
            f"write {t['write']} timeout {t['timeout']}")
    secs = t["duration_us"] / 1e6
    return {"rps": t["ok"] / secs, "p50_ms": t["p50_us"] / 1000, "p99_ms": t["p99_us"] / 1000,
            "wire_bytes": t["bytes"] / t["requests"], "cpu_pct": 100 * proxy_cpu / wall,
            "others": max(0.0, others), "requests": t["ok"],
            "per_cpu_s": t["ok"] / proxy_cpu if proxy_cpu > 0 else float("nan")}


def run(args):
    targets = []
    for size, _ in SIZES:
        for proxy, base, pid in (("apigw", args.apigw_url, args.apigw_pid),
                                 ("nginx", args.nginx_url, args.nginx_pid)):
            for gz in (True, False):
                mode = "gzip" if gz else "identity"
                path = (f"/restapis/{'gz' if gz else 'plain'}/b/_user_request_/{size}.json"
                        if proxy == "apigw" else f"/{'gz' if gz else 'plain'}/{size}.json")
                targets.append({"key": f"{proxy}-{mode}-{size}", "proxy": proxy, "mode": mode,
                                "size": size, "gzip": gz, "url": base + path, "pid": pid})
    print("\n== correctness (curl -H 'Accept-Encoding: gzip' -o: gzip -t, decoded == original; "
          f"then {SAMPLES} x curl --compressed: decoded == original, size_download median)")
    for t in targets:
        t["check"] = check(t, args.work, args.www)
        c = t["check"]
        spread = (f" ({c['body_min']}-{c['body_max']} over {SAMPLES + 1})"
                  if c["body_min"] != c["body_max"] else "")
        print(f"ok {t['key']:<22} {c['coding']:<8} body {c['body_bytes']:>6.0f} B{spread} of "
              f"{c['original_bytes']:>6}, head {c['header_bytes']:>3} B, {c['framing']}"
              f"{', vary ' + c['vary'] if c['vary'] else ''}; curl --compressed offer -> "
              f"{c['curl_compressed_offer']} {c['curl_compressed_offer_bytes']} B")
    lua = f"{args.work}/compression.lua"
    with open(lua, "w") as f:
        f.write(LUA)
    print(f"\n== load: wrk -t1 -c{args.connections} -H 'Accept-Encoding: gzip' --latency, "
          f"{args.rounds} rounds x {args.seconds} s, order rotating; 2 s warm-up each")
    print(f"load average at start: {' '.join(map(str, procs.loadavg()))}")
    for t in targets:
        wrk(t, 2, args, lua)
        t["rounds"] = []
    for n in range(args.rounds):
        shift = n * len(targets) // args.rounds
        for t in targets[shift:] + targets[:shift]:
            r = wrk(t, args.seconds, args, lua)
            t["rounds"].append(r)
            print(f"round {n + 1} {t['key']:<22} {r['rps']:>8,.0f} req/s  p50 {r['p50_ms']:6.2f}"
                  f"  p99 {r['p99_ms']:6.2f} ms  wire {r['wire_bytes']:>8,.0f} B/resp  proxy CPU "
                  f"{r['cpu_pct']:3.0f} %  others {r['others']:.2f} cores", flush=True)
    print(f"load average at end: {' '.join(map(str, procs.loadavg()))}")
    report(targets, args)


def med(t, field):
    return statistics.median(r[field] for r in t["rounds"])


def report(targets, args):
    by = {t["key"]: t for t in targets}
    print("\n== throughput and latency (medians of rounds; req/s min-max in brackets)\n")
    print("| size | coding | apigw req/s | nginx req/s | apigw/nginx | apigw p50 / p99 ms "
          "| nginx p50 / p99 ms | apigw CPU % | nginx CPU % | apigw req per CPU-s "
          "| nginx req per CPU-s | apigw/nginx per CPU-s | others cores |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, _ in SIZES:
        for mode in ("gzip", "identity"):
            a, g = by[f"apigw-{mode}-{size}"], by[f"nginx-{mode}-{size}"]
            spread = lambda t: (f"{min(r['rps'] for r in t['rounds']):,.0f}-"  # noqa: E731
                                f"{max(r['rps'] for r in t['rounds']):,.0f}")
            others = statistics.median(r["others"] for r in a["rounds"] + g["rounds"])
            print(f"| {size} | {mode} | {med(a, 'rps'):,.0f} ({spread(a)}) | {med(g, 'rps'):,.0f} "
                  f"({spread(g)}) | {med(a, 'rps') / med(g, 'rps'):.2f}x | {med(a, 'p50_ms'):.2f}"
                  f" / {med(a, 'p99_ms'):.2f} | {med(g, 'p50_ms'):.2f} / {med(g, 'p99_ms'):.2f} | "
                  f"{med(a, 'cpu_pct'):.0f} | {med(g, 'cpu_pct'):.0f} | {med(a, 'per_cpu_s'):,.0f} | "
                  f"{med(g, 'per_cpu_s'):,.0f} | {med(a, 'per_cpu_s') / med(g, 'per_cpu_s'):.2f}x | "
                  f"{others:.2f} |")
    print("\n== bytes per response (body: curl size_download, what came over the wire before "
          "decoding; wire: wrk's bytes read / responses, head + chunk framing + body)\n")
    print("| size | original B | apigw body B | nginx body B | apigw/nginx body | apigw ratio "
          "| nginx ratio | apigw wire B | nginx wire B | apigw framing | nginx framing |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for size, _ in SIZES:
        for mode in ("gzip", "identity"):
            a, g = by[f"apigw-{mode}-{size}"], by[f"nginx-{mode}-{size}"]
            ca, cg = a["check"], g["check"]
            orig = ca["original_bytes"]
            print(f"| {size} {mode} | {orig:,} | {ca['body_bytes']:,.0f} | {cg['body_bytes']:,.0f} | "
                  f"{ca['body_bytes'] / cg['body_bytes']:.3f} | {orig / ca['body_bytes']:.2f}x | "
                  f"{orig / cg['body_bytes']:.2f}x | {med(a, 'wire_bytes'):,.0f} | "
                  f"{med(g, 'wire_bytes'):,.0f} | {ca['framing']} | {cg['framing']} |")
    print("\n== what gzip costs each proxy (gzip req/s / identity req/s, medians)\n")
    print("| size | apigw gzip/identity | nginx gzip/identity |")
    print("| --- | ---: | ---: |")
    for size, _ in SIZES:
        ratio = lambda p: med(by[f"{p}-gzip-{size}"], "rps") / med(by[f"{p}-identity-{size}"],  # noqa: E731
                                                                     "rps")
        print(f"| {size} | {ratio('apigw'):.2f}x | {ratio('nginx'):.2f}x |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"targets": [{k: v for k, v in t.items() if k != "pid"} for t in targets]},
                      f, indent=1)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("out")
    r = sub.add_parser("run")
    for name in ("apigw-url", "nginx-url", "www", "work", "load-cores"):
        r.add_argument(f"--{name}", required=True)
    for name in ("apigw-pid", "nginx-pid", "backend-pid", "rounds", "seconds", "connections"):
        r.add_argument(f"--{name}", type=int, required=True)
    r.add_argument("--json")
    args = p.parse_args()
    if args.cmd == "gen":
        gen(args.out)
    else:
        run(args)


if __name__ == "__main__":
    main()
