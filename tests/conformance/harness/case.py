"""What a ported test sees: `T`, with the management API client, the data
plane, the snapshot recorder, helpers for the calls most tests make; and the
registry that maps each recorded test key to the function reproducing it
(or to the reason it cannot be reproduced here)."""

import json
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from .node import ACCOUNT, ADMIN_KEY, ADMIN_SECRET, REGION, Node
from .snapshot import Snap

# What each registered function reproduces: the recorded test key without
# the file part (`Class::test_name[param]`).
REGISTRY: dict[str, dict[str, "Ported"]] = {}
# Recorded tests that cannot run against apigw, with the reason.
NOT_APPLICABLE: dict[str, dict[str, str]] = {}


@dataclass
class Ported:
    key: str
    fn: Callable[["T"], None]
    note: str = ""


def case(module: str, key: str, note: str = ""):
    """Registers `fn` as the port of recorded test `key` of snapshot file `module`."""
    def register(fn):
        REGISTRY.setdefault(module, {})[key] = Ported(key, fn, note)
        return fn
    return register


def not_applicable(module: str, key: str, reason: str):
    """Records that test `key` cannot be reproduced against apigw, and why."""
    NOT_APPLICABLE.setdefault(module, {})[key] = reason


def short_uid() -> str:
    return uuid.uuid4().hex[:8]


def lambda_uri(function: str) -> str:
    """The API Gateway integration URI of a local function."""
    return (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}/invocations")


def lambda_arn(function: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"


def role_arn(name: str) -> str:
    """A made-up IAM role ARN of the shape AWS needed (apigw has no IAM)."""
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


# The headers CloudFront adds in front of an edge-optimised endpoint (the
# recorded APIs' default): not API Gateway's, and apigw has no CDN in front.
CLOUDFRONT_REASON = ("the headers CloudFront adds in front of an edge-optimised endpoint "
                     "(Via, X-Amz-Cf-*, X-Cache, CloudFront-*) are left out on both sides")
CLOUDFRONT_PATHS = ("*.via", "*.x-amz-cf-id", "*.x-amz-cf-pop", "*.x-cache", "*.cloudfront-*")


class Aborted(Exception):
    """A step the rest of the test needs did not succeed."""


class T:
    """One running test."""

    def __init__(self, node: Node, snap: Snap):
        self.node = node
        self.snap = snap
        self.client = self._client(True)
        self.unchecked = self._client(False)
        self.http = requests.Session()
        self.cleanups: list[Callable[[], None]] = []

    def echo(self, trim_x_headers: bool = False, style: str = "lambda-url"):
        """An HTTP echo backend for this test (see harness/echo.py)."""
        from .echo import EchoServer
        server = EchoServer(trim_x_headers, style)
        self.cleanups.append(server.stop)
        return server

    def close(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception:  # noqa: BLE001 - cleanup is best effort
                pass

    def _client(self, validate: bool):
        return boto3.client(
            "apigateway", endpoint_url=self.node.admin_url, region_name=REGION,
            aws_access_key_id=ADMIN_KEY, aws_secret_access_key=ADMIN_SECRET,
            config=Config(parameter_validation=validate, connect_timeout=5, read_timeout=60,
                          retries={"max_attempts": 1, "mode": "standard"}),
        )

    # --- the management API -------------------------------------------------

    def raw(self, op: str, /, unchecked: bool = False, **kwargs) -> dict:
        """Calls `op`; a ClientError's response is returned as the tests record it."""
        self.snap.last_op = op
        client = self.unchecked if unchecked else self.client
        try:
            return getattr(client, op)(**kwargs)
        except ClientError as e:
            return e.response

    def call(self, entry: str, op: str, /, unchecked: bool = False, **kwargs) -> dict:
        """Calls `op` and matches its answer (or error) against entry `name`."""
        response = self.raw(op, unchecked=unchecked, **kwargs)
        self.snap.match(entry, response)
        return response

    def do(self, op: str, /, unchecked: bool = False, **kwargs) -> dict:
        """A set-up step: calls `op`, aborts the test if it fails."""
        response = self.raw(op, unchecked=unchecked, **kwargs)
        if "Error" in response:
            raise Aborted(f"{op} failed: {response['Error']}")
        return response

    def match(self, name: str, value: Any, unchecked: tuple[str, ...] = (), reason: str = ""):
        self.snap.match(name, value, unchecked, reason)

    def without_cloudfront(self):
        """Leaves CloudFront's headers out of the comparison (see CLOUDFRONT_REASON)."""
        self.snap.ignore(CLOUDFRONT_REASON, *CLOUDFRONT_PATHS)

    def uid(self) -> str:
        return short_uid()

    def api(self, name: str | None = None, **kwargs) -> dict:
        """Creates a REST API (the tests' `apigw_create_rest_api`)."""
        return self.with_root(self.do("create_rest_api", name=name or f"test-api-{short_uid()}", **kwargs))

    def with_root(self, api: dict) -> dict:
        """A CreateRestApi answer with `rootResourceId` (looked up when the
        answer lacks it, so later steps still measure their own calls)."""
        if "id" in api and "rootResourceId" not in api:
            api = dict(api, rootResourceId=self.root_id(api["id"]))
        return api

    def root_id(self, api_id: str) -> str:
        items = self.do("get_resources", restApiId=api_id)["items"]
        return next(i["id"] for i in items if i["path"] == "/")

    def resource(self, api_id: str, parent: str, part: str) -> str:
        return self.do("create_resource", restApiId=api_id, parentId=parent, pathPart=part)["id"]

    def mock_method(self, api_id: str, resource_id: str, method: str = "GET",
                    template: str = '{"statusCode": 200}', **method_kwargs):
        """A method with a MOCK integration (no responses)."""
        self.do("put_method", restApiId=api_id, resourceId=resource_id, httpMethod=method,
                authorizationType=method_kwargs.pop("authorizationType", "NONE"), **method_kwargs)
        self.do("put_integration", restApiId=api_id, resourceId=resource_id, httpMethod=method,
                type="MOCK", requestTemplates={"application/json": template})

    def deploy(self, api_id: str, stage: str, **kwargs) -> dict:
        return self.do("create_deployment", restApiId=api_id, stageName=stage, **kwargs)

    # --- the data plane -----------------------------------------------------

    def url(self, api_id: str, stage: str, path: str = "/") -> str:
        """The path-style invoke URL: /restapis/{id}/{stage}/_user_request_{path}."""
        return f"{self.node.data_url}/restapis/{api_id}/{stage}/_user_request_{path}"

    def invoke(self, method: str, api_id: str, stage: str, path: str = "/",
               headers: dict | None = None, **kwargs) -> requests.Response:
        """A request to the data plane by host name, as `{api}.execute-api.{region}.amazonaws.com`."""
        h = {"Host": f"{api_id}.execute-api.{REGION}.amazonaws.com"}
        h.update(headers or {})
        self.snap.last_op = "invoke"
        kwargs.setdefault("timeout", 35)
        return self.http.request(method, f"{self.node.data_url}/{stage}{path}" if stage
                                 else f"{self.node.data_url}{path}", headers=h, **kwargs)

    def invoke_until(self, method: str, api_id: str, stage: str, path: str = "/",
                     expect: Callable[[requests.Response], bool] | None = None,
                     **kwargs) -> requests.Response:
        """Invokes once; AWS tests retry while a deployment spreads, apigw
        applies a deployment before answering, so one attempt is enough."""
        return self.invoke(method, api_id, stage, path, **kwargs)


def body_of(response: requests.Response) -> Any:
    """The JSON body, or the text when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return response.text


def dumps(value: Any) -> str:
    return json.dumps(value)
