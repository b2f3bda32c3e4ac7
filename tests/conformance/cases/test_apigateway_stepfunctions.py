"""test_apigateway_stepfunctions: AWS integrations with Step Functions'
StartExecution and DeleteStateMachine on the API's root resource.

Step Functions (and STS for the role) is a local moto server
(harness/aws.py); the state machine's task is a Pass state instead of the
test's echo Lambda function (the execution's result is not compared).
Without moto the cases are not applicable."""

import json
from functools import partial

from harness import aws
from harness.case import case

MODULE = "test_apigateway_stepfunctions"
port = partial(case, MODULE)
NOTE = "Step Functions is a local moto server; the state machine runs a Pass state"

if not aws.available():
    NOT_APPLICABLE_REASON = aws.UNAVAILABLE


def action(name: str):
    def run(t):
        t.snap.replace_values({"startDate": "<startDate>"})
        sm = aws.client("stepfunctions").create_state_machine(
            name=f"test-{t.uid()}", type="EXPRESS", roleArn=aws.role_arn(f"sfn-{t.uid()}"),
            definition=json.dumps({"Comment": "Hello World example", "StartAt": "step1",
                                   "States": {"step1": {"Type": "Pass", "End": True}}}),
        )["stateMachineArn"]
        a = t.api(name=f"test-{t.uid()}", description="test-step-function-integration")
        api, root = a["id"], a["rootResourceId"]
        ids = {"restApiId": api, "resourceId": root, "httpMethod": "POST"}
        t.do("put_method", authorizationType="NONE", **ids)
        t.do("put_method_response", statusCode="200", **ids)
        template = {"application/json": """
            {
            "input": "$util.escapeJavaScript($input.json('$'))",
            "stateMachineArn": "%s"
            }
            """ % sm}
        t.do("put_integration", integrationHttpMethod="POST", type="AWS",
             uri=f"arn:aws:apigateway:{aws.REGION}:states:action/{name}",
             credentials=aws.role_arn(f"apigw-{t.uid()}"),
             requestTemplates=template if name == "StartExecution" else {}, **ids)
        t.do("put_integration_response", selectionPattern="", responseTemplates={},
             statusCode="200", **ids)
        t.do("create_deployment", restApiId=api, stageName="dev")
        data = {"test": "test-value"} if name == "StartExecution" else {"stateMachineArn": sm}
        r = t.invoke("POST", api, "dev", "/", data=json.dumps(data))
        try:
            content = r.json()
        except ValueError:
            content = {"status": r.status_code, "text": r.text}
        entry = "start_execution_response" if name == "StartExecution" else "delete_state_machine_response"
        t.match(entry, content)
    return run


for _name in ("StartExecution", "DeleteStateMachine"):
    port(f"TestApigatewayStepfunctions::test_apigateway_with_step_function_integration[{_name}]",
         note=NOTE)(action(_name))
