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
