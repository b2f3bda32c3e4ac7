"""The scenarios: what each proxy is asked to do, how it is loaded, and
what apigw is compared with. `SCENARIOS` lists them in the order they run."""

from dataclasses import dataclass, field

import configs
import targets as t

KEY_HEADER = f"x-api-key: {configs.API_KEY}"


@dataclass
class Scenario:
    name: str
    layout: str
    load: str              # wrk | h2c | fixed_rate
    what: str              # one line for the table's notes
    start: object          # fn(env, layout, quick) -> [Target]
    connections: int = 64
    baseline: str = ""     # the target the ratios divide by (default: each peer)
    notes: list = field(default_factory=list)


def _trio(label, kind_apigw, kind_peer, check_path, headers=(), **apigw_config):
    """apigw with API `kind_apigw(backend)`, nginx and haproxy of `kind_peer`."""
    def start(env, layout, quick):
        port = t.backend(env, layout)
        api = kind_apigw(port)
        return [t.apigw(env, layout, f"apigw-{label}-{layout.name}", api, check_path, headers,
                        **apigw_config),
                t.nginx(env, layout, kind_peer, check_path, headers),
                t.haproxy(env, layout, kind_peer, check_path, headers)]
    return start


def _h2c(env, layout, quick):
    port = t.backend(env, layout)
    return [t.apigw(env, layout, "apigw-h2c", configs.api_http_proxy(port), "/pets"),
            t.nginx(env, layout, "h2c", "/pets"), t.haproxy(env, layout, "h2c", "/pets")]


def _lambda(env, layout, quick):
    return [t.lambda_apigw(env, layout, LAMBDA_CONNECTIONS), t.direct_function(env, layout)]


def _sized(env, layout, quick):
    port = t.backend(env, layout)
    out = []
    per_api = configs.MAX_PATHS_PER_API
    for paths in ((1, 100, 1000) if quick else (1, 1000, 10000)):
        # Past the import limit of one document, more APIs of that size.
        first = min(paths, per_api)
        more = [(f"more{i}", configs.api_sized(port, per_api))
                for i in range((paths - first) // per_api)]
        target = t.apigw(env, layout, f"apigw-{paths}", configs.api_sized(port, first),
                         f"/r{first - 1}/items/7", more_apis=more)
        target.name = f"{paths} paths"
        target.extra.update(paths=paths, resources=3 * paths + 1 + len(more), apis=1 + len(more))
        t.measure_size(target)
        out.append(target)
    return out


LAMBDA_CONNECTIONS = 8

_http_proxy = _trio("proxy", configs.api_http_proxy, "proxy", "/pets")
_keyed = _trio("keyed", lambda port: configs.api_http_proxy(port, keys=True), "keyed", "/pets",
               [KEY_HEADER], access_log=True, keys=True)
_mock = _trio("mock", lambda port: configs.api_mock(), "fixed", "/pets")
_vtl = _trio("vtl", configs.api_vtl, "proxy", configs.VTL_PATH)

SCENARIOS = [
    Scenario("http_proxy", "1c", "wrk", "HTTP_PROXY pass-through to the backend", _http_proxy),
    Scenario("key_throttle_log", "1c", "wrk",
             "API key + usage-plan throttle + JSON access log (nginx: key map, limit_req, "
             "JSON log; haproxy: key ACL, stick-table rate, JSON log to stdout)", _keyed),
    Scenario("mock_template", "1c", "wrk",
             "apigw MOCK with a response template vs a fixed body answered by the proxy",
             _mock),
    Scenario("vtl", "1c", "wrk",
             "apigw HTTP integration with request + response VTL templates; nginx and "
             "haproxy cannot template: they pass the same request through", _vtl),
    Scenario("h2c", "1c", "h2c", "h2c (prior knowledge), h2load -c16 -m32, HTTP/1.1 to the "
             "backend", _h2c, connections=16),
    Scenario("fixed_rate", "1c", "fixed_rate", "HTTP_PROXY at a fixed 5,000 req/s "
             "(h2load --h1, 50 connections): latency percentiles", _http_proxy, connections=50),
    Scenario("lambda_proxy", "1c", "wrk",
             f"AWS_PROXY to a local Python function (awslambdaric, {LAMBDA_CONNECTIONS} "
             "warm instances on core 0) vs the same handler behind a threaded Python HTTP "
             "server on core 0", _lambda, connections=LAMBDA_CONNECTIONS),
    Scenario("api_size", "1c", "wrk", "HTTP_PROXY on a node holding 1 / 1,000 / 10,000 paths "
             "(3 resources each; one document may declare 1,000 paths, so 10,000 are 10 APIs "
             "of 1,000): req/s, first start, redeploy of the routed API, idle RSS", _sized,
             baseline="1 paths"),
    Scenario("http_proxy_2c", "2c", "wrk", "http_proxy with 2 workers on 2 cores",
             _http_proxy),
    Scenario("mock_template_2c", "2c", "wrk", "mock_template with 2 workers on 2 cores",
             _mock),
]

BY_NAME = {s.name: s for s in SCENARIOS}
