"""Where apigw's time goes, before anything is changed (ops/bench/profile.sh
runs it):

- `perf`: perf record (cpu-clock samples, DWARF call graphs) of the apigw
  process under the http_proxy load; the top entries by self and by
  children time, and self time summed by area;
- `syscalls`: strace -c -f on apigw and on nginx's worker while each serves
  a fixed number of http_proxy requests; system calls per request;
- `allocs`: heap allocations per request of the real binary, counted by
  heaptrack (an LD_PRELOAD allocation tracer): two runs of each scenario
  with different request counts, the difference divided by the difference
  (so start-up allocations cancel out); plus the top allocation sites.

Each writes small text summaries to ops/bench/profiles/ (never perf.data)."""

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import configs  # noqa: E402
import procs  # noqa: E402
import scenarios  # noqa: E402
import targets  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "profiles")
LAYOUT = targets.LAYOUTS["1c"]


def h2load_count(url, requests, connections=64, headers=(), h2=False):
    """Sends exactly `requests` requests; fails unless all are 2xx."""
    argv = ["h2load", "-n", str(requests), f"-c{connections}", "-t1"]
    if not h2:
        argv.append("--h1")
    else:
        argv.append("-m32")
    for h in headers:
        argv += ["-H", h]
    r = subprocess.run(["taskset", "-c", LAYOUT.load_cores, *argv, url], capture_output=True,
                       text=True, timeout=600)
    m = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", r.stdout)
    if not m or int(m.group(1)) != requests:
        raise SystemExit(f"h2load against {url}: {m.group(0) if m else r.stdout[-500:]}")


def write(name, text):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)
    print(f"wrote ops/bench/profiles/{name}")


# --- perf ------------------------------------------------------------------

def perf(env, seconds):
    target = scenarios.BY_NAME["http_proxy"].start(env, LAYOUT, False)[0]
    data = os.path.join(env.work, "perf.data")
    # cpu-clock: this VM has no hardware counters (perf stat shows cycles
    # <not supported>); DWARF unwinding: the release build has no frame pointers.
    rec = subprocess.Popen(["taskset", "-c", LAYOUT.load_cores, "perf", "record", "-e",
                            "cpu-clock", "-F", "499", "--call-graph", "dwarf,16384", "-p",
                            str(target.proc.pid), "-o", data, "--", "sleep", str(seconds + 1)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)  # perf attaches to a running pid; nothing to wait on but its start
    subprocess.run(["taskset", "-c", LAYOUT.load_cores, "wrk", "-t1", "-c64",
                    f"-d{seconds}s", target.url], capture_output=True, check=True)
    rec.wait()
    header = (f"# perf record -e cpu-clock -F 499 --call-graph dwarf on apigw (1 worker, "
              f"core 1) under wrk -c64 http_proxy for {seconds} s; {procs.machine()['cpu']}, "
              f"kernel {os.uname().release}; load average {procs.loadavg()}\n")
    selfs = perf_rows(data, ["--no-children", "--sort", "dso,symbol"])
    write("perf-http_proxy-self.txt", header + "# top 40 by self time (dso, symbol)\n"
          + "\n".join(f"{pct:6.2f}%  {dso:<22} {sym}" for pct, _, dso, sym in selfs[:40])
          + "\n\n# self time by area (rules in ops/bench/suite/profile.py AREAS)\n"
          + "\n".join(f"{pct:6.2f}%  {area}" for area, pct in by_area(selfs)) + "\n")
    children = perf_rows(data, ["--children", "--no-inline", "--sort", "symbol"])
    kept = [r for r in children if not RUNTIME_FRAMES.search(r[3])]
    write("perf-http_proxy-children.txt", header + "# top 40 by children (callees included), "
          "without inlined frames and the runtime's own frames (block_on, run_task, "
          "thread start)\n# children   self\n"
          + "\n".join(f"{pct:6.2f}% {own:6.2f}%  {sym[:160]}" for pct, own, _, sym in kept[:40])
          + "\n")
    os.remove(data)


RUNTIME_FRAMES = re.compile(
    r"block_on|run_task|thread_start|start_thread|LocalKey|call_once|__rust_begin|"
    r"catch_unwind|0xffffffffffffffff|entry_SYSCALL|do_syscall_64|^\\{closure")

# Where a self-time sample belongs: the first rule whose pattern matches
# "dso symbol".
AREAS = [
    ("kernel: TCP/loopback send and receive (softirq included)",
     r"kernel.*(tcp|inet|ip_|skb|sock|net_|napi|loopback|dev_|bbr|_raw_spin|__virt_addr|"
     r"copy_to_iter|copy_from_iter|memcpy_orig|netif|nf_|sk_|__sys_|__x64_sys_send|recv)"),
    ("kernel: syscall entry, epoll, scheduling, other", r"kernel"),
    ("malloc / free (glibc)", r"libc.*(malloc|free|_int_|unlink_chunk|consolidate|realloc|"
     r"calloc|tcache)"),
    ("memmove / memcpy / memset", r"(memmove|memcpy|memset|memcmp)"),
    ("clock reads (vdso)", r"(vdso|clock_gettime)"),
    ("other libc", r"libc"),
    ("tracing / log filtering", r"(tracing|EnvFilter|env_filter|callsite)"),
    ("hyper HTTP/1 server and client", r"hyper(?!_util)"),
    ("hyper-util client pool / legacy client", r"hyper_util"),
    ("http crate: headers, URIs", r"\\bhttp::|HeaderMap|header::|HeaderValue"),
    ("tokio runtime, timers, I/O driver", r"tokio"),
    ("apigw pipeline and integration", r"apigw"),
    ("other user space", r""),
]


def perf_rows(data, flags):
    """(percent, self percent, dso, symbol) rows of perf report, best first."""
    r = subprocess.run(["perf", "report", "-i", data, "--stdio", "-g", "none",
                        "--percent-limit", "0.1", *flags], capture_output=True, text=True)
    rows = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(?:([\d.]+)%\s+)?(\S+)?\s*\[[.k]\]\s+(.*?)\s*$", line)
        if m:
            pct, own, dso, sym = m.groups()
            sym = re.sub(r"(\s+-)+$", "", sym)
            rows.append((float(pct), float(own or pct), dso or "", sym))
    return rows


def by_area(rows):
    totals = {}
    for pct, _, dso, sym in rows:
        text = f"{dso} {sym}"
        area = next(a for a, pattern in AREAS if re.search(pattern, text))
        totals[area] = totals.get(area, 0.0) + pct
    return sorted(totals.items(), key=lambda kv: -kv[1])


# --- syscalls --------------------------------------------------------------

def strace_count(pids, run):
    """strace -c -f on `pids` while `run()` goes; the summary's rows."""
    out = tempfile.NamedTemporaryFile("r", suffix=".strace", delete=False)
    argv = ["taskset", "-c", LAYOUT.load_cores, "strace", "-c", "-f", "-o", out.name]
    for pid in pids:
        argv += ["-p", str(pid)]
    tracer = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # strace prints nothing when it has attached; give it a moment
    run()
    tracer.send_signal(signal.SIGINT)
    tracer.wait()
    rows = {}
    for line in open(out.name):
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit() and f[-1] not in ("total",):
            calls = int(f[3])
            rows[f[-1]] = rows.get(f[-1], 0) + calls
    os.remove(out.name)
    return rows


def syscalls(env, requests):
    found = scenarios.BY_NAME["http_proxy"].start(env, LAYOUT, False)
    apigw, nginx = found[0], found[1]
    for t in found:
        h2load_count(t.url, 2000)  # warm: connections to the backend open
    counts = {
        "apigw": strace_count([apigw.proc.pid], lambda: h2load_count(apigw.url, requests)),
        "nginx": strace_count(procs.descendants(nginx.proc.pid)[1:],
                              lambda: h2load_count(nginx.url, requests)),
        "haproxy": strace_count([found[2].proc.pid],
                                lambda: h2load_count(found[2].url, requests)),
    }
    names = sorted({n for c in counts.values() for n in c},
                   key=lambda n: -counts["apigw"].get(n, 0))
    lines = [f"# strace -c -f while each proxy served {requests:,} HTTP_PROXY requests "
             "(h2load --h1 -c64, keep-alive, warmed); calls per request",
             f"{'syscall':<20}{'apigw':>10}{'nginx':>10}{'haproxy':>10}"]
    for n in names:
        lines.append(f"{n:<20}" + "".join(f"{counts[p].get(n, 0) / requests:>10.2f}"
                                           for p in ("apigw", "nginx", "haproxy")))
    lines.append(f"{'total':<20}" + "".join(f"{sum(counts[p].values()) / requests:>10.2f}"
                                             for p in ("apigw", "nginx", "haproxy")))
    write("syscalls-http_proxy.txt", "\n".join(lines) + "\n")


# --- allocations -----------------------------------------------------------

ALLOC_SCENARIOS = ["http_proxy", "key_throttle_log", "mock_template", "vtl", "h2c",
                   "lambda_proxy"]


def wrapped_run(env, scenario, requests, wrapper_line, comm):
    """Serves `requests` of `scenario` from an apigw started through
    `wrapper_line` (a shell line that execs apigw under a tracer), then
    SIGTERMs the process whose name starts with `comm` alone: the tracer
    writes its output when apigw exits."""
    real = env.apigw
    wrapper = os.path.join(env.work, "apigw-wrapped")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nexec {wrapper_line} {real} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    env.apigw = wrapper
    try:
        found = scenario.start(env, LAYOUT, False)
    finally:
        env.apigw = real
    target = found[0]
    for other in found[1:]:
        env.stop(other.proc)
    h2load_count(target.url, requests, connections=scenario.connections,
                 headers=target.headers, h2=scenario.load == "h2c")
    for pid in procs.descendants(target.proc.pid):
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip().startswith(comm):
                os.kill(pid, signal.SIGTERM)
    target.proc.popen.wait(timeout=300)
    env.stop(target.proc)


def heaptrack_run(env, scenario, requests, keep_top=False):
    """Allocation calls of one apigw run under heaptrack serving `requests`."""
    prefix = os.path.join(env.work, f"ht-{scenario.name}-{requests}")
    wrapped_run(env, scenario, requests, f"heaptrack -o {prefix}", "apigw")
    files = glob.glob(prefix + "*")
    if not files:
        raise SystemExit(f"heaptrack wrote nothing for {scenario.name}")
    text = subprocess.run(["heaptrack_print", "-f", files[0], "--print-peaks=0",
                           "--print-allocators=1", "--print-temporary=0", "--print-leaks=0",
                           "--peak-limit=15", "--sub-peak-limit=3"],
                          capture_output=True, text=True).stdout
    m = re.search(r"calls to allocation functions: (\d+)", text)
    b = re.search(r"bytes allocated in total \(ignoring deallocations\): ([\d.]+)([KMG]?B)", text)
    for f in files:
        os.remove(f)
    if not m:
        raise SystemExit(f"heaptrack_print: no totals for {scenario.name}:\n{text[-500:]}")
    scale = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9}[b.group(2)] if b else 0
    return int(m.group(1)), float(b.group(1)) * scale if b else 0.0, text if keep_top else ""


def allocs(env, small, large, names):
    lines = [f"# heap allocation calls per request of target/release/apigw (heaptrack 1.4),"
             f" ({large:,} - {small:,} requests) difference / {large - small:,}",
             f"{'scenario':<20}{'allocs/req':>12}{'bytes/req':>12}"]
    for name in names:
        scenario = scenarios.BY_NAME[name]
        a1, b1, _ = heaptrack_run(env, scenario, small)
        a2, b2, top = heaptrack_run(env, scenario, large, keep_top=name == "http_proxy")
        n = large - small
        lines.append(f"{name:<20}{(a2 - a1) / n:>12.1f}{(b2 - b1) / n:>12.0f}")
        print(lines[-1], flush=True)
        env.stop_all()
        if top:
            write("heaptrack-http_proxy-top.txt", top_sites(top, large))
    write("allocs-per-request.txt", "\n".join(lines) + "\n")


def callgrind_run(env, scenario, requests):
    """Instructions executed by one apigw run under callgrind serving
    `requests` (all threads, start-up included)."""
    out = os.path.join(env.work, f"cg-{scenario.name}-{requests}.out")
    wrapped_run(env, scenario, requests,
                f"valgrind --tool=callgrind --callgrind-out-file={out} --dump-instr=no",
                "callgrind")
    with open(out) as f:
        m = re.search(r"^totals: (\d+)", f.read(), re.M)
    keep = os.environ.get("CALLGRIND_KEEP")
    if keep:
        # CALLGRIND_KEEP=DIR: the run's output stays, for callgrind_annotate.
        os.makedirs(keep, exist_ok=True)
        shutil.move(out, os.path.join(keep, os.path.basename(out)))
    else:
        os.remove(out)
    if not m:
        raise SystemExit(f"callgrind wrote no totals for {scenario.name}")
    return int(m.group(1))


def instructions(env, small, large, names, label):
    """Instructions per request: machine load changes seconds, not these, so
    two builds can be compared on a busy machine."""
    lines = [f"# instructions per request of {label} (valgrind callgrind), "
             f"({large:,} - {small:,} requests) difference / {large - small:,}",
             f"{'scenario':<20}{'instructions/req':>18}"]
    for name in names:
        scenario = scenarios.BY_NAME[name]
        n1 = callgrind_run(env, scenario, small)
        env.stop_all()
        n2 = callgrind_run(env, scenario, large)
        env.stop_all()
        lines.append(f"{name:<20}{(n2 - n1) / (large - small):>18,.0f}")
        print(lines[-1], flush=True)
    write("instructions-per-request.txt", "\n".join(lines) + "\n")


def top_sites(text, requests):
    """The MOST CALLS section of heaptrack_print, shortened."""
    start = text.find("MOST CALLS TO ALLOCATION FUNCTIONS")
    section = text[start:text.find("PEAK MEMORY CONSUMERS", start)]
    out = [f"# heaptrack_print, apigw http_proxy run of {requests:,} requests (start-up "
           "included); the top sites by calls, each with its call stack"]
    out += [l[:200] for l in section.splitlines()[:400]]
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--apigw", required=True)
    p.add_argument("what", nargs="*", default=["perf", "syscalls", "allocs"])
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--requests", type=int, default=50000)
    p.add_argument("--scenario", action="append", default=[])
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="apigw-profile.")
    env = targets.Env(work, os.path.abspath(args.apigw))
    targets.ENV = env
    try:
        if "perf" in args.what:
            perf(env, args.seconds)
            env.stop_all()
        if "syscalls" in args.what:
            syscalls(env, args.requests)
            env.stop_all()
        if "allocs" in args.what:
            allocs(env, 2000, 12000, args.scenario or ALLOC_SCENARIOS)
        if "instructions" in args.what:
            instructions(env, 500, 2500, args.scenario or ["http_proxy"], args.apigw)
    finally:
        env.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
