"""The benchmark suite's driver (ops/bench/suite.sh runs it): for each
scenario, start its targets, warm each up, then measure them in rounds that
alternate between them (the order rotates every round), and print medians,
spreads and apigw/peer ratios as a table, plus JSON.

Any non-2xx response or socket error stops the suite with the counts
(exit 1). Figures are never judged: there is no pass or fail on speed."""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import load  # noqa: E402
import procs  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402
import targets  # noqa: E402

FIXED_RATE = 5000


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--apigw", required=True, help="the release apigw binary")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1 round of 1 s per scenario, no warm-up; figures mean nothing")
    p.add_argument("--scenario", action="append", default=[],
                   help="only these (repeat or comma-separate); --list shows them")
    p.add_argument("--rounds", type=int, help="rounds per scenario [3]")
    p.add_argument("--seconds", type=int, help="seconds per measured run [8]")
    p.add_argument("--json", help="write the results here [/tmp/apigw-suite-TIME.json]")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder (configs, logs)")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = p.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.seconds = args.seconds or (1 if args.quick else 8)
    names = [n for arg in args.scenario for n in arg.split(",") if n]
    unknown = [n for n in names if n not in scenarios.BY_NAME]
    if unknown:
        p.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(scenarios.BY_NAME)}")
    args.names = names or list(scenarios.BY_NAME)
    return args


class CpuSample:
    """The machine's busy CPU time, to tell what others used during a run."""

    def __init__(self):
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + fields[4]
        self.busy = (sum(fields[:8]) - idle) / procs.CLOCK_TICKS


def children_cpu():
    t = os.times()
    return t.children_user + t.children_system


def measure(scenario, layout, target, seconds):
    """One run against `target`; its figures, its proxy's CPU use, and how
    much CPU everything else on the machine used meanwhile (in cores)."""
    cpu0, gen0, machine0, bk0 = target.cpu(), children_cpu(), CpuSample(), backend_cpu(target)
    start = time.monotonic()
    if scenario.load == "h2c":
        result = load.h2c(target.url, seconds, scenario.connections, 32, layout.load_threads,
                          layout.load_cores)
    elif scenario.load == "fixed_rate":
        result = load.fixed_rate(target.url, seconds, FIXED_RATE, scenario.connections,
                                 layout.load_cores)
    else:
        result = load.wrk(target.url, seconds, scenario.connections, layout.load_threads,
                          layout.load_cores, target.headers)
    wall = time.monotonic() - start
    proxy_cpu = target.cpu() - cpu0
    ours = proxy_cpu + (children_cpu() - gen0) + (backend_cpu(target) - bk0)
    result["cpu_pct"] = 100 * proxy_cpu / wall
    result["req_per_cpu_s"] = result["requests"] / proxy_cpu if proxy_cpu > 0 else None
    result["other_load"] = max(0.0, (CpuSample().busy - machine0.busy - ours) / wall)
    result["loadavg"] = procs.loadavg()[0]
    return result


ENV = None


def backend_cpu(target):
    """CPU of what serves the proxy: the backend nginx, or apigw's function
    processes."""
    pids = []
    if ENV.backend:
        pids += procs.descendants(ENV.backend.pid)
    if target.extra.get("exclude_children"):
        pids += procs.descendants(target.proc.pid)[1:]
    return procs.cpu_seconds(pids)


def run_scenario(env, scenario, args):
    layout = targets.LAYOUTS[scenario.layout]
    print(f"\n== {scenario.name}: {scenario.what}\n   layout: {layout.describe()}", flush=True)
    found = scenario.start(env, layout, args.quick)
    if not args.quick:
        for target in found:
            measure(scenario, layout, target, min(2, args.seconds))
    if scenario.name == "lambda_proxy":
        targets.pin_functions(found[0], layout)
    runs = []
    for rnd in range(args.rounds):
        order = found[rnd % len(found):] + found[:rnd % len(found)]
        for target in order:
            r = measure(scenario, layout, target, args.seconds)
            r.update(target=target.name, round=rnd + 1)
            runs.append(r)
            print(f"   round {rnd + 1} {target.name:<12} {r['rps']:>10,.0f} req/s  "
                  f"p50 {fmt(r.get('p50_ms'))}  p99 {fmt(r.get('p99_ms'))} ms  "
                  f"proxy CPU {r['cpu_pct']:.0f}%  others {r['other_load']:.2f} cores  "
                  f"load {r['loadavg']:.2f}", flush=True)
    summary = report.summarize(scenario, runs)
    result = {"scenario": scenario.name, "what": scenario.what, "layout": layout.describe(),
              "load": scenario.load, "connections": scenario.connections,
              "baseline": scenario.baseline, "runs": runs, "summary": summary,
              "ratios": report.ratios(scenario, summary)}
    if scenario.name == "api_size":
        result["sizes"] = [{k: t.extra[k] for k in ("paths", "apis", "resources", "ready_s",
                                                    "deploy_s", "idle_rss_mb")} for t in found]
    for target in found:
        env.stop(target.proc)
    return result


def check_tally(env):
    """The suite's own check, before anything is measured: a run that gets
    non-2xx answers must fail (nginx with the key scenario's config, called
    without the key, answers 403)."""
    layout = targets.LAYOUTS["1c"]
    target = targets.nginx(env, layout, "keyed", "/pets", [scenarios.KEY_HEADER])
    try:
        load.wrk(target.url, 1, 4, 1, layout.load_cores)
    except load.Failed as e:
        print(f"check: a run answered 403 fails as it should ({e})")
        return
    finally:
        env.stop(target.proc)
    raise SystemExit("check: a run answered 403 did not fail: the status tally is broken")


def fmt(value):
    return "-" if value is None else f"{value:.2f}"


def git_commit(apigw):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
    r = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                       capture_output=True, text=True)
    return r.stdout.strip() or "?"


def main():
    global ENV
    args = parse_args()
    if args.list:
        for s in scenarios.SCENARIOS:
            print(f"{s.name:<18} {s.what}")
        return 0
    work = tempfile.mkdtemp(prefix="apigw-suite.")
    ENV = env = targets.Env(work, os.path.abspath(args.apigw))
    started = datetime.datetime.now().astimezone()
    out = {"started": started.isoformat(timespec="seconds"), "machine": procs.machine(),
           "commit": git_commit(args.apigw), "quick": args.quick, "rounds": args.rounds,
           "seconds": args.seconds, "loadavg_start": procs.loadavg(), "results": []}
    m = out["machine"]
    print(f"apigw {out['commit']} vs nginx {m['nginx']}, haproxy {m['haproxy']}; "
          f"{m['cpu']}, {m['cores']} cores, kernel {m['kernel']}; load average "
          f"{' '.join(map(str, out['loadavg_start']))}")
    print(f"{args.rounds} round(s) x {args.seconds} s per target and scenario; only 2xx count"
          + ("; QUICK: a smoke run, the figures mean nothing" if args.quick else ""))
    code = 0
    try:
        check_tally(env)
        for name in args.names:
            out["results"].append(run_scenario(env, scenarios.BY_NAME[name], args))
    except (load.Failed, SystemExit) as e:
        print(f"\nFAILED: {e}", file=sys.stderr)
        out["failed"] = str(e)
        code = 1
    finally:
        env.stop_all()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"scratch folder kept: {work}")
    out["loadavg_end"] = procs.loadavg()
    print_results(out)
    path = args.json or f"/tmp/apigw-suite-{started:%Y%m%d-%H%M%S}.json"
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"\nJSON: {path}")
    return code


def print_results(out):
    if not out["results"]:
        return
    print(f"\n{out['started']}, load average {out['loadavg_start']} -> {out['loadavg_end']}")
    for result in out["results"]:
        print(f"- {result['scenario']}: {result['what']}; {result['layout']}")
    print()
    print(report.table(out["results"]))
    sizes = report.size_table(out["results"])
    if sizes:
        print("\napi_size:\n" + sizes)


if __name__ == "__main__":
    sys.exit(main())
