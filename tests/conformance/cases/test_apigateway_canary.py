"""test_apigateway_canary: canary settings on stages and deployments
(creating, updating, promoting with copy operations, validation) and
invoking a stage whose canary takes all traffic.

apigw does not support canary settings yet (a later issue): these ports
measure how far it is from AWS."""

import json
from functools import partial

from harness.case import case

MODULE = "test_apigateway_canary"
port = partial(case, MODULE)

DEFAULT = {"statusCode": 200, "message": "default deployment"}


def api_for_deployment(t, template: dict | None = None) -> tuple[str, str]:
    """The tests' `create_api_for_deployment`: GET / as a MOCK answering
    200 with `template` as its JSON body."""
    a = t.api(name=f"api-{t.uid()}")
    api, root = a["id"], a["rootResourceId"]
    ids = {"restApiId": api, "resourceId": root, "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_method_response", statusCode="200", **ids)
    t.do("put_integration", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}, **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="",
         responseTemplates={"application/json": json.dumps(template or DEFAULT)}, **ids)
    return api, root


def replace(path, value):
    return {"op": "replace", "path": path, "value": value}


def set_response_template(t, api, root, template: dict):
    """Replaces the response template (UpdateIntegrationResponse, as the test
    did; where apigw refuses that, PutIntegrationResponse with the same
    result, so the later entries still measure their own calls)."""
    ids = {"restApiId": api, "resourceId": root, "httpMethod": "GET", "statusCode": "200"}
    r = t.raw("update_integration_response", **ids,
              patchOperations=[replace("/responseTemplates/application~1json", json.dumps(template))])
    if "Error" in r:
        t.do("put_integration_response", selectionPattern="",
             responseTemplates={"application/json": json.dumps(template)}, **ids)


@port("TestStageCrudCanary::test_create_update_stages")
def create_update_stages(t):
    api, root = api_for_deployment(t)
    d1 = t.call("create-deployment-1", "create_deployment", restApiId=api).get("id", "missing")
    set_response_template(t, api, root, {"statusCode": 200, "message": "second deployment"})
    d2 = t.call("create-deployment-2", "create_deployment", restApiId=api).get("id", "missing")
    stage = {"restApiId": api, "stageName": "dev"}
    t.call("create-stage", "create_stage", deploymentId=d1, description="dev stage",
           variables={"testVar": "default"},
           canarySettings={"deploymentId": d2, "percentTraffic": 50,
                           "stageVariableOverrides": {"testVar": "canary"}}, **stage)
    t.call("get-stage", "get_stage", **stage)
    t.call("update-stage-canary-settings-overrides", "update_stage",
           patchOperations=[replace("/canarySettings/stageVariableOverrides/testVar", "updated")], **stage)
    t.call("update-stage-remove-canary-settings", "update_stage",
           patchOperations=[{"op": "remove", "path": "/canarySettings"}], **stage)
    t.call("get-stage-after-remove", "get_stage", **stage)


@port("TestStageCrudCanary::test_create_canary_deployment_with_stage")
def create_canary_deployment_with_stage(t):
    api, _ = api_for_deployment(t)
    dep = t.call("create-deployment", "create_deployment", restApiId=api).get("id", "missing")
    stage = {"restApiId": api, "stageName": "dev"}
    t.call("create-stage", "create_stage", deploymentId=dep, description="dev stage",
           variables={"testVar": "default"}, **stage)
    t.call("create-canary-deployment", "create_deployment",
           canarySettings={"percentTraffic": 50, "stageVariableOverrides": {"testVar": "canary"}}, **stage)
    t.call("get-stage", "get_stage", **stage)


@port("TestStageCrudCanary::test_create_canary_deployment")
def create_canary_deployment(t):
    api, _ = api_for_deployment(t)
    dep = t.call("create-deployment", "create_deployment", restApiId=api).get("id", "missing")
    dev1 = {"restApiId": api, "stageName": "dev1"}
    t.call("create-stage", "create_stage", deploymentId=dep, description="dev stage",
           variables={"testVar": "default"},
           canarySettings={"deploymentId": dep, "percentTraffic": 40,
                           "stageVariableOverrides": {"testVar": "canary1"}}, **dev1)
    canary = t.call("create-canary-deployment", "create_deployment",
                    canarySettings={"percentTraffic": 50, "stageVariableOverrides": {"testVar": "canary2"}},
                    **dev1).get("id", "missing")
    t.call("get-stage-1", "get_stage", **dev1)
    t.call("create-stage-2", "create_stage", restApiId=api, stageName="dev2", deploymentId=dep,
           description="dev stage", variables={"testVar": "default"},
           canarySettings={"deploymentId": canary, "percentTraffic": 60,
                           "stageVariableOverrides": {"testVar": "canary-overridden"}})
    t.call("bad-canary-deployment-id", "create_stage", restApiId=api, stageName="dev3", deploymentId=dep,
           description="dev stage", canarySettings={"deploymentId": "deploy"})


@port("TestStageCrudCanary::test_create_canary_deployment_by_stage_update")
def create_canary_deployment_by_stage_update(t):
    api, _ = api_for_deployment(t)
    d1 = t.call("create-deployment", "create_deployment", restApiId=api).get("id", "missing")
    d2 = t.call("create-deployment-2", "create_deployment", restApiId=api).get("id", "missing")
    stage = {"restApiId": api, "stageName": "dev"}
    t.call("create-stage", "create_stage", deploymentId=d1, description="dev stage",
           variables={"testVar": "default"}, **stage)
    t.call("update-stage-with-deployment", "update_stage",
           patchOperations=[replace("/canarySettings/deploymentId", d2)], **stage)
    t.call("remove-stage-canary", "update_stage",
           patchOperations=[{"op": "remove", "path": "/canarySettings"}], **stage)
    t.call("update-stage-with-percent", "update_stage",
           patchOperations=[replace("/canarySettings/percentTraffic", "50")], **stage)
    t.call("get-stage", "get_stage", **stage)


@port("TestStageCrudCanary::test_create_canary_deployment_validation")
def create_canary_deployment_validation(t):
    api, _ = api_for_deployment(t)
    canary = {"percentTraffic": 50, "stageVariableOverrides": {"testVar": "canary"}}
    t.call("create-canary-deployment-no-stage", "create_deployment", restApiId=api, canarySettings=canary)
    t.call("create-canary-deployment-empty-stage", "create_deployment", restApiId=api, stageName="",
           canarySettings=canary)
    t.call("create-canary-deployment-non-existing-stage", "create_deployment", restApiId=api,
           stageName="non-existing", canarySettings=canary)


@port("TestStageCrudCanary::test_update_stage_canary_deployment_validation")
def update_stage_canary_deployment_validation(t):
    api, _ = api_for_deployment(t)
    stage = {"restApiId": api, "stageName": "dev"}
    t.do("create_deployment", **stage)
    t.call("get-stage", "get_stage", **stage)
    t.raw("create_deployment",
          canarySettings={"percentTraffic": 50, "stageVariableOverrides": {"testVar": "canary"}}, **stage)
    for name, operation in [
        ("update-stage-canary-settings-remove-overrides",
         {"op": "remove", "path": "/canarySettings/stageVariableOverrides"}),
        ("update-stage-canary-settings-bad-path", {"op": "remove", "path": "/canarySettings/badPath"}),
        ("update-stage-canary-settings-bad-path-2", replace("/canarySettings", "test")),
        ("update-stage-canary-settings-replace-bad-path", replace("/canarySettings/badPath", "badPath")),
    ]:
        t.call(name, "update_stage", patchOperations=[operation], **stage)
    no_canary = {"restApiId": api, "stageName": "dev2"}
    dep2 = t.do("create_deployment", **no_canary)["id"]
    # Every canarySettings path takes `replace`; `add` is refused.
    t.call("update-stage-add-deployment", "update_stage",
           patchOperations=[{"op": "add", "path": "/canarySettings/deploymentId", "value": dep2}],
           **no_canary)
    t.call("update-stage-no-deployment", "update_stage",
           patchOperations=[replace("/canarySettings/deploymentId", "deploy")], **no_canary)


@port("TestStageCrudCanary::test_update_stage_with_copy_ops")
def update_stage_with_copy_ops(t):
    api, _ = api_for_deployment(t)
    stage = {"restApiId": api, "stageName": "dev"}
    t.call("deployment-1", "create_deployment", variables={"testVar": "test", "testVar2": "test2"}, **stage)
    t.call("copy-with-bad-statement", "update_stage", patchOperations=[
        {"op": "copy", "path": "/canarySettings/stageVariableOverrides", "from": "/variables"},
        {"op": "copy", "path": "/canarySettings/deploymentId", "from": "/deploymentId"}], **stage)
    t.call("copy-with-no-replace", "update_stage", patchOperations=[
        {"op": "copy", "from": "/canarySettings/stageVariableOverrides", "path": "/variables"},
        {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"}], **stage)
    # Copy only promotes a canary to the stage, after a replace made one.
    promote = [replace("/canarySettings/percentTraffic", "0.0"),
               {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"},
               {"op": "copy", "from": "/canarySettings/stageVariableOverrides", "path": "/variables"}]
    t.call("update-stage-with-copy", "update_stage", patchOperations=promote, **stage)
    t.call("deployment-canary", "create_deployment",
           canarySettings={"percentTraffic": 50, "stageVariableOverrides": {"testVar": "override"}}, **stage)
    t.call("get-stage", "get_stage", **stage)
    t.call("update-stage-with-copy-2", "update_stage", patchOperations=promote, **stage)


@port("TestCanaryDeployments::test_invoking_canary_deployment")
def invoking_canary_deployment(t):
    def template(message):
        return {"statusCode": 200, "message": message, "variable": "$stageVariables.testVar",
                "nonExistingDefault": "$stageVariables.noStageVar",
                "nonOverridden": "$stageVariables.defaultVar", "isCanary": "$context.isCanaryRequest"}

    api, root = api_for_deployment(t, template("default deployment"))
    stage = {"restApiId": api, "stageName": "dev"}
    t.call("create-deployment-1", "create_deployment",
           variables={"testVar": "default", "defaultVar": "default"}, **stage)
    set_response_template(t, api, root, template("canary deployment"))
    t.call("create-deployment-2", "create_deployment",
           canarySettings={"percentTraffic": 0,
                           "stageVariableOverrides": {"testVar": "canary", "noStageVar": "canary"}}, **stage)

    def get():
        r = t.invoke("GET", api, "dev", "/")
        try:
            return r.json()
        except ValueError:
            return r.text

    t.match("response-deployment-1", get())
    t.call("update-stage", "update_stage",
           patchOperations=[replace("/canarySettings/percentTraffic", "100.0")], **stage)
    t.match("response-canary-deployment", get())
