#!/usr/bin/env python3
"""Runs Terraform (hashicorp/aws 5.x) against a fresh apigw node, the way a
user would, and reports every step of every configuration.

For each configuration under configs/ (with provider.tf beside it):

    init      terraform init (provider from a filesystem mirror, no network)
    apply     terraform apply -auto-approve
    plan      terraform plan -detailed-exitcode: must be empty (exit 0)
    update    terraform apply -auto-approve -var revision=2 (a description,
              variable or throttle changes)
    replan    terraform plan -detailed-exitcode -var revision=2: empty
    destroy   terraform destroy -auto-approve
    leftovers boto3: nothing the configuration made is still there

It prints a table (configuration x step: ok / FAILED / skipped), then each
failure with its error (a provider panic is reduced to its message and the
provider function it happened in; a non-empty plan to the attributes that
differ). TF_LOG=DEBUG logs (HTTP requests and answers included) are kept for
failing steps only, under --out. Exit status: 0 all ok, 1 a step failed,
77 terraform or the provider mirror is missing (nothing was run).

    run.py [--apigw BIN] [--only a,b] [--out DIR] [--json FILE]
           [--record] [--patch NAME,...|all]

--record puts tools/patch_proxy.py between Terraform and apigw and writes
every exchange to OUT/CONFIG/exchanges.jsonl; --patch also lets the proxy
fill in what apigw's answers lack (see FINDINGS.md), to find what fails next.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
sys.path.insert(0, str(HERE / "tools"))

from apigw_node import ApigwNode, default_binary  # noqa: E402

STEPS = ["init", "apply", "plan", "update", "replan", "destroy", "leftovers"]
STEP_TIMEOUT = 900
SKIPPED = "skipped"


def mirror_dir():
    return Path(os.environ.get("APIGW_TF_PLUGIN_MIRROR", "/opt/tf-plugins"))


def missing_tools():
    """Why Terraform cannot run here, or None."""
    if shutil.which("terraform") is None:
        return "terraform is not on PATH"
    provider = mirror_dir() / "registry.terraform.io" / "hashicorp" / "aws"
    if not provider.is_dir() or not any(provider.iterdir()):
        return f"no hashicorp/aws provider in the filesystem mirror {mirror_dir()} (APIGW_TF_PLUGIN_MIRROR)"
    return None


class Step:
    """The outcome of one step."""

    def __init__(self, name, status, error="", log=None, seconds=0.0):
        self.name, self.status, self.error, self.log, self.seconds = name, status, error, log, seconds

    def to_json(self):
        return {"step": self.name, "status": self.status, "error": self.error,
                "log": str(self.log) if self.log else None, "seconds": round(self.seconds, 1)}


class Workspace:
    """One configuration copied into its own directory, with its logs."""

    def __init__(self, name, out, endpoint, node):
        self.name = name
        self.dir = out / name
        self.logs = self.dir / "logs"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.logs.mkdir(parents=True)
        shutil.copy(HERE / "provider.tf", self.dir / "provider.tf")
        for f in (HERE / "configs" / name).glob("*.tf"):
            shutil.copy(f, self.dir / f.name)
        (self.dir / "apigw.auto.tfvars.json").write_text(json.dumps({
            "endpoint": endpoint, "access_key": node.access_key,
            "secret_key": node.secret_key, "region": node.region,
        }))
        self.cli_config = self.dir / "terraform.rc"
        self.cli_config.write_text(
            'provider_installation {\n  filesystem_mirror {\n'
            f'    path = "{mirror_dir()}"\n  }}\n}}\n')

    def terraform(self, step, *args):
        """Runs `terraform args` with DEBUG logs; (exit code, stdout, stderr, log path)."""
        log = self.logs / f"{step}.log"
        env = dict(os.environ, TF_LOG="DEBUG", TF_LOG_PATH=str(log), TF_IN_AUTOMATION="1",
                   TF_INPUT="0", CHECKPOINT_DISABLE="1", TF_CLI_CONFIG_FILE=str(self.cli_config))
        try:
            p = subprocess.run(["terraform", *args, "-no-color"], cwd=self.dir, env=env,
                               capture_output=True, text=True, timeout=STEP_TIMEOUT)
            code, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            code, out, err = -1, _str(e.stdout), _str(e.stderr) + f"\nError: timed out after {STEP_TIMEOUT}s"
        (self.logs / f"{step}.out").write_text(out + "\n--- stderr ---\n" + err)
        return code, out, err, log


def _str(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")


def error_summary(out, err):
    """The errors Terraform printed, short: summary, resource, detail."""
    text = err if "Error: " in err or "panic: " in err else err + "\n" + out
    panic = re.search(r"^panic: (.*)$", text, re.M)
    if panic:
        frame = re.search(r"^(github\.com/hashicorp/terraform-provider-aws/internal/service/[^\n(]+)\(.*\n\s+(\S+:\d+)",
                          text, re.M)
        where = f" in {frame.group(1).rsplit('/', 1)[-1]} ({frame.group(2).rsplit('/', 1)[-1]})" if frame else ""
        return f"provider panic: {panic.group(1)}{where}"
    errors = []
    for block in re.split(r"\n(?=Error: )", text):
        if not block.startswith("Error: "):
            continue
        lines = [l.strip() for l in block.splitlines() if l.strip()]
        summary = lines[0][len("Error: "):]
        where = next((l[len("with "):].rstrip(",") for l in lines if l.startswith("with ")), "")
        detail = [l for l in lines[1:] if not re.match(r"(with |on |\d+:|\S+ = |[│╵╷])", l)]
        errors.append(" ".join(filter(None, [f"[{where}]" if where else "", summary, " ".join(detail)]))[:600])
    if errors:
        return " | ".join(dict.fromkeys(errors))
    tail = [l for l in text.strip().splitlines() if l.strip()][-3:]
    return " ".join(tail)[:600] or "failed without a message"


def _differences(before, after, prefix=""):
    """Paths where two JSON values differ, with old -> new."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for k in sorted(set(before) | set(after)):
            out += _differences(before.get(k), after.get(k), f"{prefix}.{k}" if prefix else k)
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after)):
            out += _differences(b, a, f"{prefix}[{i}]")
        return out
    if before == after:
        return []
    return [f"{prefix}: {_short(before)} -> {_short(after)}"]


def _short(v):
    s = json.dumps(v)
    return s if len(s) <= 80 else s[:77] + "..."


def plan_changes(ws, plan_file):
    """What a saved plan would change: one line per resource."""
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(ws.cli_config), CHECKPOINT_DISABLE="1")
    p = subprocess.run(["terraform", "show", "-json", plan_file], cwd=ws.dir, env=env,
                       capture_output=True, text=True, timeout=STEP_TIMEOUT)
    try:
        plan = json.loads(p.stdout)
    except ValueError:
        return ["(terraform show -json failed) " + p.stderr.strip()[:300]]
    lines = []
    for rc in plan.get("resource_changes", []):
        change = rc["change"]
        actions = change["actions"]
        if actions == ["no-op"] or actions == ["read"]:
            continue
        if actions == ["create"] or actions == ["delete"]:
            lines.append(f"{rc['address']}: {actions[0]} (gone from apigw or not in state)")
            continue
        diffs = _differences(change.get("before"), change.get("after"))
        unknown = sorted(k for k, v in (change.get("after_unknown") or {}).items() if v is True)
        replace = [".".join(map(str, p)) for p in change.get("replace_paths") or []]
        text = f"{rc['address']}: {'/'.join(actions)}"
        if replace:
            text += f" (forces replacement: {', '.join(replace)})"
        text += "; " + "; ".join(diffs + [f"{k}: (known after apply)" for k in unknown if not any(d.startswith(k + ':') for d in diffs)])
        lines.append(text)
    return lines or ["plan exit 2 but no resource changes (output changes only?)"]


def inventory(client):
    """Everything on the node that a configuration could leave behind."""
    items = set()

    def pages(op, **kw):
        for page in client.get_paginator(op).paginate(**kw):
            yield from page.get("items", [])

    for api in pages("get_rest_apis"):
        items.add(f"rest api {api['id']} ({api.get('name')})")
    for key in pages("get_api_keys"):
        items.add(f"api key {key['id']} ({key.get('name')})")
    for plan in pages("get_usage_plans"):
        items.add(f"usage plan {plan['id']} ({plan.get('name')})")
    for cert in pages("get_client_certificates"):
        items.add(f"client certificate {cert['clientCertificateId']}")
    for domain in pages("get_domain_names"):
        items.add(f"domain name {domain['domainName']}")
        for m in pages("get_base_path_mappings", domainName=domain["domainName"]):
            items.add(f"base path mapping {domain['domainName']}/{m.get('basePath')}")
    return items


def account_state(client):
    try:
        return client.get_account().get("cloudwatchRoleArn")
    except Exception as e:  # noqa: BLE001 - reported as part of the leftovers step
        return f"(GetAccount failed: {e})"


def run_config(name, out, endpoint, node, client, proxy):
    """All steps of one configuration; the list of Step."""
    ws = Workspace(name, out, endpoint, node)
    if proxy:
        proxy.record = open(ws.dir / "exchanges.jsonl", "a")
    before = inventory(client)
    account_before = account_state(client)
    results = {}

    def run(step, args, plan=False):
        if proxy:
            proxy.step = step
        started = time.monotonic()
        code, out_text, err, log = ws.terraform(step, *args)
        seconds = time.monotonic() - started
        if code == 0:
            log.unlink(missing_ok=True)
            results[step] = Step(step, "ok", seconds=seconds)
        elif plan and code == 2:
            changes = plan_changes(ws, "tfplan")
            results[step] = Step(step, "FAILED", "plan not empty: " + " || ".join(changes), log, seconds)
        else:
            results[step] = Step(step, "FAILED", error_summary(out_text, err), log, seconds)
        return results[step].status == "ok"

    def skip(*steps, why):
        for s in steps:
            results[s] = Step(s, SKIPPED, why)

    if not run("init", ["init", "-input=false"]):
        skip("apply", "plan", "update", "replan", "destroy", "leftovers", why="init failed")
        return [results[s] for s in STEPS]
    if run("apply", ["apply", "-auto-approve", "-input=false"]):
        run("plan", ["plan", "-detailed-exitcode", "-input=false", "-out=tfplan"], plan=True)
        if run("update", ["apply", "-auto-approve", "-input=false", "-var", "revision=2"]):
            run("replan", ["plan", "-detailed-exitcode", "-input=false", "-out=tfplan", "-var", "revision=2"],
                plan=True)
        else:
            skip("replan", why="update failed")
    else:
        skip("plan", "update", "replan", why="apply failed")
    run("destroy", ["destroy", "-auto-approve", "-input=false", "-var", "revision=2"])
    left = sorted(inventory(client) - before)
    account_after = account_state(client)
    if name == "account" and account_after != account_before:
        left.append(f"account cloudwatchRoleArn {account_after!r} (was {account_before!r}; reset_on_delete = true)")
    results["leftovers"] = Step("leftovers", "FAILED" if left else "ok", "; ".join(left))
    (ws.dir / "tfplan").unlink(missing_ok=True)
    return [results[s] for s in STEPS]


def print_table(all_results):
    width = max(len(n) for n in [*all_results, "configuration"]) + 2
    print("configuration".ljust(width) + "".join(s.ljust(10) for s in STEPS))
    for name, steps in all_results.items():
        print(name.ljust(width) + "".join(s.status.ljust(10) for s in steps))
    print()
    for name, steps in all_results.items():
        for s in steps:
            if s.status == "FAILED":
                log = f"\n      log: {s.log}" if s.log and Path(s.log).exists() else ""
                print(f"{name} / {s.name}: {s.error}{log}")
    sys.stdout.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--apigw", default=default_binary())
    p.add_argument("--only", help="comma-separated configuration names")
    p.add_argument("--out", help="where workspaces and logs go (default: a new temporary directory)")
    p.add_argument("--json", help="also write the results here as JSON")
    p.add_argument("--record", action="store_true", help="record every HTTP exchange through a proxy")
    p.add_argument("--patch", default="", help="proxy patches to apply (implies --record)")
    a = p.parse_args()

    why = missing_tools()
    if why:
        print(f"SKIP: {why}")
        return 77
    names = sorted(d.name for d in (HERE / "configs").iterdir() if d.is_dir())
    if a.only:
        wanted = a.only.split(",")
        unknown = set(wanted) - set(names)
        if unknown:
            print(f"unknown configurations: {', '.join(sorted(unknown))} (have {', '.join(names)})")
            return 2
        names = wanted
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="apigw-terraform-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"workspaces and logs: {out}", flush=True)

    all_results = {}
    with ApigwNode(a.apigw) as node:
        client = node.client()
        endpoint, proxy = node.admin_url, None
        if a.record or a.patch:
            from patch_proxy import PATCHES, Proxy
            patches = list(PATCHES) if a.patch == "all" else [n for n in a.patch.split(",") if n]
            proxy = Proxy(node.admin_url, None, patches, (node.access_key, node.secret_key, node.region))
            endpoint = f"http://127.0.0.1:{proxy.serve()}"
        for name in names:
            print(f"== {name}", flush=True)
            all_results[name] = run_config(name, out, endpoint, node, client, proxy)
            for s in all_results[name]:
                print(f"   {s.name:<10}{s.status:<9}{s.seconds:6.1f}s  {s.error[:200]}", flush=True)
        shutil.copy(node.log_path, out / "apigw-node.log")
    print()
    print_table(all_results)
    if a.json:
        Path(a.json).write_text(json.dumps(
            {n: [s.to_json() for s in steps] for n, steps in all_results.items()}, indent=2))
    failed = any(s.status == "FAILED" for steps in all_results.values() for s in steps)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
