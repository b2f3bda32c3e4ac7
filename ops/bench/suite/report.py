"""Medians, spreads and ratios of the rounds, as a table and as JSON.

Per target and scenario: the median over rounds of req/s (with min-max),
of the latency percentiles, of the proxy's CPU use (% of one core) and of
the requests served per CPU-second of the proxy. Ratios are apigw's median
over the peer's (or, for api_size, over the 1-path API's)."""

import statistics


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(scenario, runs):
    """runs: [{target, round, rps, p50_ms, ..., cpu_pct, req_per_cpu_s}]"""
    out = {}
    for name in dict.fromkeys(r["target"] for r in runs):
        mine = [r for r in runs if r["target"] == name]
        rps = [r["rps"] for r in mine]
        summary = {"rounds": len(mine), "rps_median": _median(rps), "rps_min": min(rps),
                   "rps_max": max(rps)}
        for key in ("p50_ms", "p99_ms", "p999_ms", "mean_ms", "cpu_pct", "req_per_cpu_s",
                    "other_load"):
            summary[key] = _median([r.get(key) for r in mine])
        out[name] = summary
    return out


def ratios(scenario, summary):
    """apigw over each peer, for req/s and for req per CPU-second."""
    base = scenario.baseline
    if base:
        pairs = [(name, base) for name in summary if name != base]
    else:
        pairs = [("apigw", peer) for peer in summary if peer != "apigw"]
    out = {}
    for mine, theirs in pairs:
        a, b = summary.get(mine), summary.get(theirs)
        if not a or not b:
            continue
        out[f"{mine}/{theirs}"] = {
            "rps": a["rps_median"] / b["rps_median"],
            "req_per_cpu_s": (a["req_per_cpu_s"] / b["req_per_cpu_s"]
                              if a["req_per_cpu_s"] and b["req_per_cpu_s"] else None)}
    return out


def _f(value, fmt):
    return "-" if value is None else format(value, fmt)


def _x(value):
    return "" if value is None else f"{value:.2f}x"


def _row_ratio(result, name):
    """The ratio shown on `name`'s row: apigw over this peer, or (with a
    baseline) this target over the baseline."""
    for key, r in result["ratios"].items():
        mine, theirs = key.split("/", 1)
        if (mine == name) if result["baseline"] else (theirs == name):
            return r
    return None


def table(results):
    """Markdown table rows for every scenario in `results`."""
    lines = ["| scenario | target | req/s median | min-max | p50 ms | p99 ms | p99.9 ms "
             "| proxy CPU % | req per CPU-s | apigw/peer req/s | apigw/peer per CPU-s |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for result in results:
        for name, s in result["summary"].items():
            r = _row_ratio(result, name)
            lines.append(
                f"| {result['scenario']} | {name} | {s['rps_median']:,.0f} | "
                f"{s['rps_min']:,.0f}-{s['rps_max']:,.0f} | {_f(s['p50_ms'], '.2f')} | "
                f"{_f(s['p99_ms'], '.2f')} | {_f(s['p999_ms'], '.2f')} | "
                f"{_f(s['cpu_pct'], '.0f')} | {_f(s['req_per_cpu_s'], ',.0f')} | "
                f"{_x(r and r['rps'])} | {_x(r and r['req_per_cpu_s'])} |")
    return "\n".join(lines)


def size_table(results):
    """api_size's start, redeploy and idle RSS per API size."""
    for result in results:
        if result["scenario"] == "api_size":
            lines = ["| paths | APIs | resources | first start s | redeploy s | idle RSS MB |",
                     "| ---: | ---: | ---: | ---: | ---: | ---: |"]
            for info in result["sizes"]:
                lines.append(f"| {info['paths']:,} | {info['apis']} | {info['resources']:,} | "
                             f"{info['ready_s']:.2f} | {info['deploy_s']:.2f} | "
                             f"{info['idle_rss_mb']:.0f} |")
            return "\n".join(lines)
    return ""
