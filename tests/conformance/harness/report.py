"""The runner's output: the table per snapshot file, the JSON details, and
the failures grouped by cause (a cause is a kind of difference at a path
with the ids and indices taken out, so one missing member counts once per
case however many times it is missing)."""

import re
from collections import Counter, defaultdict

COLUMNS = ("recorded", "ported", "na", "pass", "fail", "not_ported")


def table(files: dict[str, dict]) -> str:
    """The per-file table (text), with a total line."""
    width = max([len(f) for f in files] + [5])
    head = f"{'file':<{width}}  " + "  ".join(f"{c:>10}" for c in COLUMNS)
    lines = [head, "-" * len(head)]
    total = Counter()
    for name, row in files.items():
        total.update({c: row[c] for c in COLUMNS})
        lines.append(f"{name:<{width}}  " + "  ".join(f"{row[c]:>10}" for c in COLUMNS))
    lines.append("-" * len(head))
    lines.append(f"{'total':<{width}}  " + "  ".join(f"{total[c]:>10}" for c in COLUMNS))
    return "\n".join(lines)


def _general_path(path: str) -> str:
    path = re.sub(r"\[\d+\]", "[*]", path)
    path = re.sub(r"<[^>]+>", "*", path)
    return path


def _short(v) -> str:
    text = str(v)
    return text if len(text) <= 70 else text[:67] + "..."


def signature(diff: dict, op: str) -> str:
    """A cause: what differs, generalised over ids and list positions."""
    path = _general_path(diff["path"])
    kind = diff["kind"]
    where = path.lstrip(".") or "(value)"
    if kind == "not_reached":
        return f"not reached: {diff.get('ours')}"
    if where.endswith("ResponseMetadata.HTTPStatusCode"):
        ours = f"{diff['ours']} {diff.get('code') or ''}".strip()
        aws = f"{diff['aws']} {diff.get('aws_code') or ''}".strip()
        return f"{op}: status {ours} where AWS answers {aws}"
    if where.endswith("Error.Code"):
        return f"{op}: error code {diff['ours']} where AWS answers {diff['aws']}"
    if where.endswith("Error.Message") or where == "message":
        return f"{op}: error message differs"
    if kind == "missing":
        return f"{op}: lacks `{where}` that AWS returns"
    if kind == "extra":
        return f"{op}: returns `{where}` that AWS omits"
    if kind == "binding":
        return f"{op}: `{where}` reuses a value AWS gives another id"
    if kind == "case":
        return f"{op}: header names in `{where.rsplit('.', 1)[0]}` spelled in another case"
    if kind == "type":
        return f"{op}: `{where}` has another type"
    return f"{op}: `{where}` differs"


def causes(cases: list[dict]) -> list[tuple[str, int, list[str]]]:
    """(cause, number of cases, some case names), most cases first."""
    seen: dict[str, set[str]] = defaultdict(set)
    for c in cases:
        if c["status"] != "fail":
            continue
        label = f"{c['file']}::{c['test']}::{c['name']}"
        diffs = c["diffs"]
        status = [d for d in diffs if d["path"].endswith("ResponseMetadata.HTTPStatusCode")]
        if status:
            # A different status makes the rest of the body moot: one cause.
            code = next((d for d in diffs if d["path"].endswith("Error.Code")), None)
            diffs = [dict(status[0], code=code and code["ours"], aws_code=code and code["aws"])]
        for d in diffs:
            seen[signature(d, c.get("op") or "?")].add(label)
    ranked = sorted(seen.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [(cause, len(names), sorted(names)[:3]) for cause, names in ranked]


def category(diff: dict, op: str) -> str:
    """A broader cause than `signature`: the same kind of gap across calls."""
    path = _general_path(diff["path"]).lstrip(".")
    leaf = path.rsplit(".", 1)[-1]
    kind = diff["kind"]
    if kind == "not_reached":
        text = str(diff.get("ours"))
        if "Warnings found during import" in text:
            return "import refused (failOnWarnings): apigw warns about an extension AWS accepts"
        if "not in apigw's GetResources" in text:
            return "a method AWS lists after import is missing from apigw's GetResources"
        return "not reached: " + _short(text)
    if path.endswith("ResponseMetadata.HTTPStatusCode"):
        ours = f"{diff['ours']} {diff.get('code') or ''}".strip()
        aws = f"{diff['aws']} {diff.get('aws_code') or ''}".strip()
        if str(diff["ours"]) == "404" and "NotFound" not in str(diff.get("code")):
            return f"operation not served by apigw ({op}: {ours})"
        return f"status differs: ours {ours}, AWS {aws}"
    if path.endswith("Error.Code"):
        return f"error code differs: ours {diff['ours']}, AWS {diff['aws']}"
    if path.endswith("Error.Message") or path == "message":
        return f"error message text differs ({op})"
    if kind == "extra" and diff.get("ours") in ({}, []):
        return f"empty `{leaf}` returned where AWS omits the member"
    if kind == "extra":
        return f"member `{leaf}` returned where AWS omits it"
    if kind == "missing":
        return f"member `{leaf}` that AWS returns is missing"
    if kind == "binding":
        return "one value where AWS gives two different ids"
    if kind == "case":
        return "header names spelled in another case than AWS's (e.g. `content-type` for `Content-Type`)"
    return f"value of `{leaf}` differs"


def categories(cases: list[dict]) -> list[tuple[str, int, list[str]]]:
    """(category, number of cases, some case names), most cases first."""
    seen: dict[str, set[str]] = defaultdict(set)
    for c in cases:
        if c["status"] != "fail":
            continue
        label = f"{c['file']}::{c['test']}::{c['name']}"
        diffs = c["diffs"]
        status = [d for d in diffs if d["path"].endswith("ResponseMetadata.HTTPStatusCode")]
        if status:
            code = next((d for d in diffs if d["path"].endswith("Error.Code")), None)
            diffs = [dict(status[0], code=code and code["ours"], aws_code=code and code["aws"])]
        for d in diffs:
            seen[category(d, c.get("op") or "?")].add(label)
    ranked = sorted(seen.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [(cat, len(names), sorted(names)[:3]) for cat, names in ranked]


def baseline(result: dict) -> str:
    """BASELINE.md: the table, the causes by category and by call, what is not ported."""
    out = ["# Conformance baseline", "",
           "Generated by `python3 tests/conformance/run.py --baseline tests/conformance/BASELINE.md`",
           f"against `{result.get('apigw', 'target/debug/apigw')}`. A case is one named entry of a",
           "recorded test (what AWS answered to one call). See README.md for how cases are compared.",
           "", "## Per snapshot file", "", "```", table(result["files"]), "```", "",
           "## Failures by cause (cases; a case with several causes counts under each)", ""]
    for cat, n, ex in categories(result["cases"]):
        out.append(f"- **{n}** {cat} (e.g. `{ex[0]}`)")
    out += ["", "## Failures by call and path (finer)", ""]
    for cause, n, ex in causes(result["cases"]):
        out.append(f"- {n}: {cause}")
    out += ["", "## Recorded tests not run", ""]
    seen = set()
    for c in result["cases"]:
        if c["status"] in ("na", "not_ported") and (c["file"], c["test"]) not in seen:
            seen.add((c["file"], c["test"]))
            why = c["note"] or "not ported yet"
            out.append(f"- `{c['file']}::{c['test']}`: {why}")
    return "\n".join(out) + "\n"
