"""The local functions the Lambda-backed ports call: one declaration per
handler under `functions/`, started by the node the runner launches. A port
lists the ones it uses in its module's `FUNCTIONS`; where a recorded test
created a function (CreateFunction), the port calls the declared one by name
instead, and the recorded `<function-name:N>` placeholders bind to it."""

from pathlib import Path

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"

PROXY_ECHO = {"name": "conformance-proxy-echo", "handler": "handlers.proxy_echo"}
ECHO = {"name": "conformance-echo", "handler": "handlers.echo"}
STATUS_FROM_BODY = {"name": "conformance-status-from-body", "handler": "handlers.status_from_body"}
RESPONSE_FROM_BODY = {"name": "conformance-response-from-body", "handler": "handlers.response_from_body"}
NODE_STYLE_GREETING = {"name": "conformance-node-style-greeting",
                       "handler": "handlers.node_style_greeting"}
SELECT_PATTERN = {"name": "conformance-select-pattern", "handler": "lambda_select_pattern.handler"}


def as_task_root(value):
    """Our value with the functions folder written as Lambda's task root
    (`/var/task`), where the recorded stack traces place the handler file."""
    if isinstance(value, str):
        return value.replace(str(FUNCTIONS_DIR), "/var/task")
    if isinstance(value, dict):
        return {k: as_task_root(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_task_root(v) for v in value]
    return value
