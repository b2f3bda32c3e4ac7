"""Compares what apigw answers with what AWS answered, one named entry of a
recorded test at a time.

Our value is first put through the same normalisation LocalStack's snapshot
library applied to AWS's before recording (datetimes become "datetime", ISO
dates in strings "date", the account id 111111111111, the region "<region>",
"arn:aws:" "arn:<partition>:", strings that hold a JSON object are parsed
(once: the strings inside a parsed one stay strings, as LocalStack's
library left them; e.g. the templates inside an exported document),
ResponseMetadata keeps only HTTPStatusCode), plus whatever the test adds
(sorting lists, dropping keys). Then the recorded value and ours are walked
together: dict keys must match exactly, lists in order, scalars equal. A
placeholder `<kind:N>` in a recorded string (or dict key) binds to the part
of our string in its place, consistently for the whole test: the same
placeholder always stands for the same value, different placeholders for
different values. A placeholder without a number (`<region>`, `<latency>`)
matches anything.

A port can also leave parts out of the comparison, each with its reason (the
stand-ins of README "Substitutions"): `ignore` drops members at matching
paths from both sides (e.g. the headers CloudFront adds in front of an
edge-optimised endpoint), `skip_value` keeps the member but does not compare
its value (e.g. a Content-Length that depends on the echo backend's body)."""

import copy
import datetime
import fnmatch
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .node import ACCOUNT, REGION

PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+(?:-[A-Za-z0-9_.]+)*)(?::(\d+))?>")
# Tags of HTML pages AWS returned, not placeholders.
HTML_TAGS = {"html", "head", "body", "style", "pre", "h1", "h2", "p", "a", "code",
             "br", "div", "span", "title", "meta", "hr", "center"}
ISO8601 = re.compile(
    r"(?:[1-9]\d{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)|(?:[1-9]\d(?:0[48]|[2468][048]|[13579][26])"
    r"|(?:[2468][048]|[13579][26])00)-02-29)T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?"
    r"(?:Z|[+-][01]\d:?([0-5]\d)?)"
)
TIMESTAMP_KEY = re.compile(r"^.*timestamp.*$", re.IGNORECASE)


@dataclass
class Diff:
    """One difference: where, what kind, our value and AWS's."""
    path: str
    kind: str  # missing | extra | value | type | length | binding | case
    ours: Any = None
    aws: Any = None

    def to_json(self) -> dict:
        return {"path": self.path, "kind": self.kind,
                "ours": _short(self.ours), "aws": _short(self.aws)}


def _short(v: Any) -> Any:
    text = json.dumps(v, default=str)
    if len(text) > 600:
        return text[:600] + "..."
    return v


@dataclass
class Outcome:
    """What became of one named entry."""
    name: str
    status: str  # pass | fail | na
    diffs: list[Diff] = field(default_factory=list)
    op: str = ""
    note: str = ""


def _global_text(s: str) -> str:
    """LocalStack's priority-2 replacements on serialised text (our values)."""
    s = s.replace(ACCOUNT, "1" * 12)
    s = s.replace(REGION, "<region>")
    s = s.replace("arn:aws:", "arn:<partition>:")
    return ISO8601.sub("date", s)


def normalize(value: Any, drop_keys: set[str] = frozenset()) -> Any:
    """Our value in the recorded form (see the module docs)."""
    def walk(v: Any, key: str | None, parse: bool = True) -> Any:
        if isinstance(v, (io.IOBase,)) or hasattr(v, "read") and callable(v.read):
            v = v.read()
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if isinstance(v, datetime.datetime):
            return "datetime"
        if isinstance(v, dict):
            if "ResponseMetadata" in v and isinstance(v["ResponseMetadata"], dict):
                v = dict(v)
                meta = v["ResponseMetadata"]
                v["ResponseMetadata"] = {"HTTPHeaders": {},
                                         **({"HTTPStatusCode": meta["HTTPStatusCode"]}
                                            if meta.get("HTTPStatusCode") else {})}
            out = {}
            for k, item in v.items():
                if k in drop_keys:
                    continue
                if hasattr(item, "read") and callable(item.read):
                    item = item.read()
                if isinstance(item, bytes):
                    item = item.decode("utf-8", "replace")
                parsed = False
                if parse and isinstance(item, str) and item.startswith("{"):
                    try:
                        item, parsed = json.loads(item), True
                    except ValueError:
                        pass
                if (isinstance(k, str) and (TIMESTAMP_KEY.match(k) or k in ("creationTime", "ingestionTime"))
                        and not ISO8601.match(str(item)) and not isinstance(item, (dict, list))):
                    item = "timestamp"
                out[_global_text(str(k))] = walk(item, k, parse and not parsed)
            return out
        if isinstance(v, (list, tuple)):
            return [walk(x, key, parse) for x in v]
        if isinstance(v, str):
            return _global_text(v)
        return v

    root, parsed = value, False
    if isinstance(root, str) and root.startswith("{"):
        try:
            root, parsed = json.loads(root), True
        except ValueError:
            pass
    return walk(copy.copy(root), None, not parsed)


class Bindings:
    """Placeholder -> our value, for one test."""

    def __init__(self):
        self.by_name: dict[str, str] = {}
        self.by_value: dict[str, str] = {}

    def pattern(self, template: str) -> tuple[re.Pattern, list[str]] | None:
        """A regex for a recorded string, and the new placeholders it binds;
        None when the string holds no placeholder."""
        parts, new, pos, any_ph = [], [], 0, False
        for m in PLACEHOLDER.finditer(template):
            if m.group(1) in HTML_TAGS and m.group(2) is None:
                continue
            any_ph = True
            parts.append(re.escape(template[pos:m.start()]))
            pos = m.end()
            name = m.group(0)
            if m.group(2) is None:
                parts.append("(?:.*?)")
            elif name in self.by_name:
                parts.append(re.escape(self.by_name[name]))
            elif name in new:
                parts.append(f"(?P=g{new.index(name)})")
            else:
                parts.append(f"(?P<g{len(new)}>.+?)")
                new.append(name)
        if not any_ph:
            return None
        parts.append(re.escape(template[pos:]))
        return re.compile("".join(parts), re.DOTALL), new

    def match(self, template: str, ours: str) -> tuple[bool, str]:
        """Whether `ours` fits `template`; binds what it finds. (ok, why not)."""
        compiled = self.pattern(template)
        if compiled is None:
            return template == ours, ""
        regex, new = compiled
        m = regex.fullmatch(ours)
        if not m:
            return False, ""
        for i, name in enumerate(new):
            value = m.group(f"g{i}")
            other = self.by_value.get(value)
            if other is not None and other != name:
                return False, f"{name} would be {value!r}, which {other} already is"
        for i, name in enumerate(new):
            value = m.group(f"g{i}")
            self.by_name[name] = value
            self.by_value[value] = name
        return True, ""

    def fits(self, template: str, ours: str) -> bool:
        """Like match, without binding."""
        compiled = self.pattern(template)
        if compiled is None:
            return template == ours
        return compiled[0].fullmatch(ours) is not None


def _same_scalar(aws: Any, ours: Any) -> bool:
    if isinstance(aws, bool) or isinstance(ours, bool):
        return type(aws) is type(ours) and aws == ours
    if isinstance(aws, (int, float)) and isinstance(ours, (int, float)):
        return aws == ours
    return type(aws) is type(ours) and aws == ours


@dataclass
class Rules:
    """Paths (fnmatch patterns over `.key.key[0]` paths, compared without
    regard to case) left out of a comparison."""
    ignored: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)

    @staticmethod
    def _hit(patterns: list[str], path: str) -> bool:
        low = path.lower()
        return any(fnmatch.fnmatchcase(low, p.lower()) for p in patterns)

    def ignores(self, path: str) -> bool:
        return self._hit(self.ignored, path)

    def skips_value(self, path: str) -> bool:
        return self._hit(self.unchecked, path)


NO_RULES = Rules()


def compare(aws: Any, ours: Any, b: Bindings, path: str, out: list[Diff], rules: Rules = NO_RULES):
    """Walks both values and appends each difference to `out`."""
    if path and rules.skips_value(path):
        return
    if isinstance(aws, dict):
        if not isinstance(ours, dict):
            out.append(Diff(path, "type", ours, aws))
            return
        _compare_dicts(aws, ours, b, path, out, rules)
    elif isinstance(aws, list):
        if not isinstance(ours, list):
            out.append(Diff(path, "type", ours, aws))
            return
        for i in range(min(len(aws), len(ours))):
            compare(aws[i], ours[i], b, f"{path}[{i}]", out, rules)
        for i in range(len(ours), len(aws)):
            out.append(Diff(f"{path}[{i}]", "missing", None, aws[i]))
        for i in range(len(aws), len(ours)):
            out.append(Diff(f"{path}[{i}]", "extra", ours[i], None))
    elif isinstance(aws, str) and PLACEHOLDER.search(aws):
        if isinstance(ours, (int, float)) and not isinstance(ours, bool):
            m = PLACEHOLDER.fullmatch(aws)
            if m and m.group(2) is None:
                return
        if not isinstance(ours, str):
            out.append(Diff(path, "type", ours, aws))
            return
        ok, why = b.match(aws, ours)
        if not ok:
            out.append(Diff(path, "binding" if why else "value", ours, aws if not why else f"{aws} ({why})"))
    elif not _same_scalar(aws, ours):
        out.append(Diff(path, "type" if type(aws) is not type(ours) and None not in (aws, ours)
                        and not (isinstance(aws, (int, float)) and isinstance(ours, (int, float)))
                        else "value", ours, aws))


def _compare_dicts(aws: dict, ours: dict, b: Bindings, path: str, out: list[Diff],
                   rules: Rules = NO_RULES):
    if rules.ignored:
        aws = {k: v for k, v in aws.items() if not rules.ignores(f"{path}.{k}")}
        ours = {k: v for k, v in ours.items() if not rules.ignores(f"{path}.{k}")}
    remaining = dict(ours)
    pending = []
    for k in aws:
        if k in remaining and not (PLACEHOLDER.search(k) and b.pattern(k)):
            compare(aws[k], remaining.pop(k), b, f"{path}.{k}", out, rules)
        else:
            pending.append(k)
    headers = path.lower().endswith("headers")
    for k in pending:
        hit = next((o for o in remaining if b.fits(k, o)), None)
        if hit is None and headers:
            # Header names match whatever their case; a different case is
            # a difference of its own.
            hit = next((o for o in remaining if o.lower() == k.lower()), None)
            if hit is not None:
                out.append(Diff(f"{path}.{k}", "case", hit, k))
                compare(aws[k], remaining.pop(hit), b, f"{path}.{k}", out, rules)
                continue
        if hit is None:
            out.append(Diff(f"{path}.{k}", "missing", None, aws[k]))
            continue
        b.match(k, hit)
        compare(aws[k], remaining.pop(hit), b, f"{path}.{k}", out, rules)
    for k, v in remaining.items():
        out.append(Diff(f"{path}.{k}", "extra", v, None))


class Snap:
    """The recorder one test matches its answers against."""

    def __init__(self, recorded: dict):
        self.recorded = recorded
        self.bindings = Bindings()
        self.outcomes: dict[str, Outcome] = {}
        self.sorters: list[tuple[str, Callable]] = []
        self.drop_keys: set[str] = set()
        self.transforms: list[Callable[[Any], Any]] = []
        self.rules = Rules()
        self.reasons: list[str] = []
        self.last_op = ""

    def sort(self, key: str, by: Callable | None = None):
        """Sorts every list under `key` (LocalStack's SortingTransformer)."""
        self.sorters.append((key, by))

    def drop(self, key: str):
        """Removes `key` everywhere (LocalStack's remove_key)."""
        self.drop_keys.add(key)

    def transform(self, fn: Callable[[Any], Any]):
        """Applies `fn` to our normalised value before comparing."""
        self.transforms.append(fn)

    def replace_text(self, old: str, new: str):
        """Replaces `old` by `new` in every string (LocalStack's regex
        transformer with a literal, as its tests use it for made-up ids)."""
        def walk(v):
            if isinstance(v, dict):
                return {walk(k): walk(x) for k, x in v.items()}
            if isinstance(v, list):
                return [walk(x) for x in v]
            if isinstance(v, str):
                return v.replace(old, new)
            return v
        self.transforms.append(walk)

    def replace_values(self, replacements: dict[str, Any]):
        """Replaces the value of every member named like a key of
        `replacements`, whatever its type (LocalStack's key_value transformer
        without reference replacement: `<X-Forwarded-For>` stands in for the
        header's list in multiValueHeaders too)."""
        def walk(v):
            if isinstance(v, dict):
                return {k: replacements[k] if k in replacements else walk(x) for k, x in v.items()}
            if isinstance(v, list):
                return [walk(x) for x in v]
            return v
        self.transforms.append(walk)

    def ignore(self, reason: str, *paths: str):
        """Leaves the members at `paths` out on both sides (see the module docs)."""
        self.rules.ignored.extend(paths)
        self._why(reason)

    def skip_value(self, reason: str, *paths: str):
        """Compares that the members at `paths` exist, not their values."""
        self.rules.unchecked.extend(paths)
        self._why(reason)

    def _why(self, reason: str):
        if reason not in self.reasons:
            self.reasons.append(reason)

    def _sorted(self, v: Any) -> Any:
        if isinstance(v, dict):
            out = {}
            for k, item in v.items():
                item = self._sorted(item)
                for key, by in self.sorters:
                    if k == key and isinstance(item, list):
                        try:
                            item = sorted(item, key=by)
                        except Exception:  # noqa: BLE001 - an unsortable list stays as it is
                            pass
                out[k] = item
            return out
        if isinstance(v, list):
            return [self._sorted(x) for x in v]
        return v

    def match(self, name: str, value: Any, unchecked: tuple[str, ...] = (), reason: str = ""):
        """Compares our `value` with the recorded entry `name`; `unchecked`
        paths (with their `reason`) are compared for presence only, in this
        entry alone."""
        if name in self.outcomes:
            raise KeyError(f"{name} matched twice")
        if name not in self.recorded:
            raise KeyError(f"no recorded entry {name}")
        ours = self._sorted(normalize(value, self.drop_keys))
        for fn in self.transforms:
            ours = fn(ours)
        rules = self.rules
        reasons = self.reasons
        if unchecked:
            rules = Rules(self.rules.ignored, self.rules.unchecked + list(unchecked))
            reasons = reasons + [reason]
        diffs: list[Diff] = []
        compare(self.recorded[name], ours, self.bindings, "", diffs, rules)
        self.outcomes[name] = Outcome(name, "fail" if diffs else "pass", diffs, self.last_op,
                                      "; ".join(r for r in reasons if r))

    def not_applicable(self, name: str, reason: str):
        """Marks an entry that cannot be compared here."""
        self.outcomes[name] = Outcome(name, "na", [], self.last_op, reason)
