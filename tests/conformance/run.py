#!/usr/bin/env python3
"""Runs the conformance suite: replays the calls behind AWS's recorded
answers (LocalStack's snapshot files) against a fresh apigw node and
compares what it answers, entry by entry.

    python3 tests/conformance/run.py [--apigw target/debug/apigw] [--only PATTERN]
                                     [--json OUT] [--recorded DIR] [--python PY]

Prints a table per snapshot file (recorded cases, ported, not applicable,
passed, failed, not ported) and the most frequent causes of failure; --json
writes every case with its differences."""

import argparse
import fnmatch
import importlib
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import report  # noqa: E402
from harness.case import NOT_APPLICABLE, REGISTRY, Aborted, T  # noqa: E402
from harness.node import Node, NodeError  # noqa: E402
from harness.snapshot import Snap  # noqa: E402

PREFIX = "tests/aws/services/apigateway/"


def recorded_dir(explicit: str | None) -> Path:
    """The shared copy beside the checkout when there is one, else ours."""
    if explicit:
        return Path(explicit)
    shared = HERE.parents[2] / "shared" / "conformance" / "aws-recorded"
    return shared if shared.is_dir() else HERE / "aws-recorded"


def find_python(explicit: str | None) -> str:
    """An interpreter with awslambdaric for the local functions."""
    for candidate in (explicit, os.environ.get("APIGW_TEST_PYTHON"), sys.executable):
        if candidate and subprocess.run([candidate, "-c", "import awslambdaric"],
                                        capture_output=True).returncode == 0:
            return candidate
    return explicit or sys.executable


def load_cases() -> list:
    modules = []
    for path in sorted((HERE / "cases").glob("test_apigateway_*.py")):
        modules.append(importlib.import_module(f"cases.{path.stem}"))
    return modules


def wipe(t: T) -> bool:
    """Deletes what a test left; whether the node is empty again."""
    for api in t.raw("get_rest_apis", limit=500).get("items", []):
        t.raw("delete_rest_api", restApiId=api["id"])
    for plan in t.raw("get_usage_plans", limit=500).get("items", []):
        for key in t.raw("get_usage_plan_keys", usagePlanId=plan["id"]).get("items", []):
            t.raw("delete_usage_plan_key", usagePlanId=plan["id"], keyId=key["id"])
        t.raw("delete_usage_plan", usagePlanId=plan["id"])
    for key in t.raw("get_api_keys", limit=500).get("items", []):
        t.raw("delete_api_key", apiKey=key["id"])
    for domain in t.raw("get_domain_names", limit=500).get("items", []):
        t.raw("delete_domain_name", domainName=domain["domainName"])
    for link in t.raw("get_vpc_links", limit=500).get("items", []):
        t.raw("delete_vpc_link", vpcLinkId=link["id"])
    left = t.raw("get_rest_apis").get("items")
    return left == [] or left is None and "Error" not in t.raw("get_rest_apis")


class Runner:
    def __init__(self, args):
        self.args = args
        self.python = find_python(args.python)
        self.node: Node | None = None
        self.functions = []

    def fresh_node(self) -> Node:
        if self.node:
            self.node.stop()
        self.node = Node(self.args.apigw, self.functions, self.python)
        return self.node

    def run_test(self, module_name: str, key: str, recorded: dict, fn) -> list[dict]:
        if self.node is None or not self.node.alive():
            self.fresh_node()
        snap = Snap(recorded)
        t = T(self.node, snap)
        note = ""
        started = time.monotonic()
        try:
            fn(t)
        except Aborted as e:
            note = f"aborted: {e}"
        except Exception as e:  # noqa: BLE001 - a broken port is a result too
            note = f"aborted: {type(e).__name__}: {e}"
            if self.args.verbose:
                traceback.print_exc()
        t.close()
        elapsed = time.monotonic() - started
        rows = []
        for name in recorded:
            o = snap.outcomes.get(name)
            row = {"file": module_name, "test": key, "name": name, "seconds": round(elapsed, 2)}
            if o is None:
                why = note or "the port never matched this entry"
                row.update(status="fail", op="", note=why,
                           diffs=[{"path": "", "kind": "not_reached", "ours": why, "aws": None}])
            else:
                row.update(status=o.status, op=o.op, note=o.note,
                           diffs=[d.to_json() for d in o.diffs])
            rows.append(row)
        try:
            if not (self.node.alive() and wipe(t)):
                self.fresh_node()
        except Exception:  # noqa: BLE001 - a node that cannot be cleaned is replaced
            self.fresh_node()
        return rows

    def run(self) -> dict:
        modules = {m.__name__.split(".")[-1]: m for m in load_cases()}
        declared = {}
        for m in modules.values():
            for f in getattr(m, "FUNCTIONS", []):
                declared.setdefault(f["name"], f)
        self.functions = list(declared.values())
        base = recorded_dir(self.args.recorded)
        files, cases = {}, []
        for path in sorted(base.glob("*.snapshot.json")):
            module_name = path.name.removesuffix(".snapshot.json")
            data = json.loads(path.read_text())
            ported = REGISTRY.get(module_name, {})
            na = NOT_APPLICABLE.get(module_name, {})
            file_na = getattr(modules.get(module_name), "NOT_APPLICABLE_REASON", None)
            row = dict.fromkeys(report.COLUMNS, 0)
            for full_key, test in data.items():
                key = full_key.split("::", 1)[1]
                recorded = test.get("recorded-content", {})
                row["recorded"] += len(recorded)
                if self.args.only and not fnmatch.fnmatch(f"{module_name}::{key}", f"*{self.args.only}*"):
                    continue
                if key in ported:
                    if self.args.verbose:
                        print(f"... {module_name}::{key}", file=sys.stderr)
                    rows = self.run_test(module_name, key, recorded, ported[key].fn)
                    row["ported"] += sum(r["status"] != "na" for r in rows)
                    row["na"] += sum(r["status"] == "na" for r in rows)
                    row["pass"] += sum(r["status"] == "pass" for r in rows)
                    row["fail"] += sum(r["status"] == "fail" for r in rows)
                    cases.extend(rows)
                elif key in na or file_na:
                    reason = na.get(key) or file_na
                    row["na"] += len(recorded)
                    cases.extend({"file": module_name, "test": key, "name": n, "status": "na",
                                  "note": reason, "op": "", "diffs": []} for n in recorded)
                else:
                    row["not_ported"] += len(recorded)
                    cases.extend({"file": module_name, "test": key, "name": n,
                                  "status": "not_ported", "note": "", "op": "", "diffs": []}
                                 for n in recorded)
            files[module_name] = row
        if self.node:
            self.node.stop()
        total = {c: sum(r[c] for r in files.values()) for c in report.COLUMNS}
        return {"recorded_dir": str(base), "files": files, "total": total, "cases": cases}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--apigw", default=str(HERE.parents[1] / "target" / "debug" / "apigw"))
    p.add_argument("--only", help="run only tests whose file::Class::test matches this (glob)")
    p.add_argument("--json", help="write every case and its differences here")
    p.add_argument("--recorded", help="folder of *.snapshot.json [../shared/... or the vendored copy]")
    p.add_argument("--python", help="interpreter with awslambdaric for the functions")
    p.add_argument("--causes", type=int, default=25, help="how many causes of failure to print")
    p.add_argument("--baseline", help="write the baseline report (markdown) here")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    try:
        result = Runner(args).run()
    except NodeError as e:
        print(e, file=sys.stderr)
        return 2
    print(report.table(result["files"]))
    grouped = report.causes(result["cases"])
    result["causes"] = [{"cause": c, "cases": n, "examples": ex} for c, n, ex in grouped]
    if grouped and args.causes:
        print("\nmost frequent causes of failure (cases):")
        for cause, n, _ in grouped[: args.causes]:
            print(f"{n:>5}  {cause}")
    result["apigw"] = args.apigw
    if args.baseline:
        Path(args.baseline).write_text(report.baseline(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    print(f"\nSUMMARY passed={result['total']['pass']} failed={result['total']['fail']} "
          f"ported={result['total']['ported']} recorded={result['total']['recorded']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
