"""Client side of ops/bench/failover.sh.

  failover_client.py run URL XFF RPS SECONDS OUT.csv
      calls URL as a client at XFF (X-Forwarded-For) RPS times a second
      (one keep-alive connection per worker, a fresh one after an error)
      and writes "scheduled,done,status,region" per request (epoch
      seconds; a request held up behind a slow one counts from when it
      should have been sent, so stalls are not hidden).
  failover_client.py report OUT.csv EVENTS HOME FAILOVER
      reads the events file ("name epoch-seconds" lines: killed,
      restarted, listening) and prints the figures: detection time, failed
      requests, latency before / during / after, time to move back.
"""
import csv
import http.client
import statistics
import sys
import threading
import time
import urllib.parse


def run(url, xff, rps, seconds, out):
    parsed = urllib.parse.urlsplit(url)
    workers = max(1, min(8, rps // 25))
    interval = workers / rps
    rows, lock = [], threading.Lock()
    stop = time.time() + seconds

    def worker(offset):
        conn = None
        next_at = time.time() + offset
        while next_at < stop:
            time.sleep(max(0.0, next_at - time.time()))
            scheduled = next_at
            next_at += interval
            status, region = 0, ""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
                conn.request("GET", parsed.path, headers={"X-Forwarded-For": xff})
                reply = conn.getresponse()
                reply.read()
                status, region = reply.status, reply.getheader("x-apigw-region", "")
            except OSError:
                conn = None
            with lock:
                rows.append((scheduled, time.time(), status, region))

    threads = [threading.Thread(target=worker, args=(i * interval / workers,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w", newline="") as f:
        csv.writer(f).writerows(sorted(rows))


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def report(out, events_path, home, failover):
    rows = [(float(a), float(b), int(c), d) for a, b, c, d in csv.reader(open(out))]
    events = {}
    for line in open(events_path):
        name, at = line.split()
        events[name] = float(at)
    killed, restarted, listening = events["killed"], events["restarted"], events["listening"]
    took = lambda part: [r[1] - r[0] for r in part if r[2] == 200]
    failed = [r for r in rows if r[2] != 200]
    before = [r for r in rows if r[1] < killed]
    first_moved = min((r[1] for r in rows if r[3] == failover and r[1] > killed), default=None)
    first_back = min((r[1] for r in rows if r[3] == home and r[1] > restarted), default=None)
    # Requests answered between the kill and the first fallback answer.
    detecting = [r for r in rows if r[1] >= killed and first_moved and r[1] <= first_moved]
    on_failover = [r for r in rows if first_moved and first_moved < r[1] and r[0] < restarted]
    after = [r for r in rows if first_back and r[0] > first_back]
    print(f"  requests                {len(rows)}, {len(failed)} failed"
          f"{' (' + ', '.join(sorted({str(r[2]) for r in failed})) + ')' if failed else ''}")
    print(f"  before the kill         p50 {pct(took(before), .5):7.2f} ms  p99 {pct(took(before), .99):7.2f} ms"
          f"  ({sum(r[3] == home for r in before)} of {len(before)} answered by {home})")
    if first_moved:
        print(f"  detection               first {failover} answer {1000 * (first_moved - killed):.0f} ms after the kill")
        print(f"  while detecting         {len(detecting)} requests answered, slowest "
              f"{pct(took(detecting), 1):.0f} ms (held or retried)")
        print(f"  until the restart       p50 {pct(took(on_failover), .5):7.2f} ms  p99 {pct(took(on_failover), .99):7.2f} ms")
    else:
        print(f"  detection               NEVER: no {failover} answer")
    if first_back:
        print(f"  back to {home:<15} {1000 * (first_back - listening):.0f} ms after the restarted node "
              f"accepted connections ({1000 * (listening - restarted):.0f} ms after its start)")
        print(f"  after                   p50 {pct(took(after), .5):7.2f} ms  p99 {pct(took(after), .99):7.2f} ms")
    else:
        print(f"  back to {home:<15} NEVER")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        report(*sys.argv[2:6])
