"""test_apigateway_eventbridge: an AWS integration with EventBridge's
PutEvents, the entries built by a request template that also sets
`X-Amz-Target` and the content type through `requestOverride`.

EventBridge (and STS for the role) is a local moto server (harness/aws.py);
without moto the case is not applicable."""

import json
from functools import partial

from harness import aws
from harness.case import case

MODULE = "test_apigateway_eventbridge"
port = partial(case, MODULE)

if not aws.available():
    NOT_APPLICABLE_REASON = aws.UNAVAILABLE

TEMPLATE = """
  #set($context.requestOverride.header.X-Amz-Target = "AWSEvents.PutEvents")
  #set($context.requestOverride.header.Content-Type = "application/x-amz-json-1.1")
  #set($inputRoot = $input.path('$'))
  {
    "Entries": [
      #foreach($elem in $inputRoot.items)
      {
        "Detail": "$util.escapeJavaScript($elem.Detail).replaceAll("\\\\'","'")",
        "DetailType": "$elem.DetailType",
        "Source":"$elem.Source"
      }#if($foreach.hasNext),#end
      #end
    ]
  }
"""


@port("test_apigateway_to_eventbridge", note="EventBridge is a local moto server")
def apigateway_to_eventbridge(t):
    aws.client("events")
    a = t.api(name=f"{t.uid()}-eventbridge")
    api = a["id"]
    resource = t.resource(api, a["rootResourceId"], "event")
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "POST"}
    t.do("put_method", authorizationType="NONE",
         requestParameters={"method.request.header.X-Amz-Target": False,
                            "method.request.header.Content-Type": False}, **ids)
    t.do("put_integration", integrationHttpMethod="POST", type="AWS",
         uri=f"arn:aws:apigateway:{aws.REGION}:events:action/PutEvents",
         passthroughBehavior="WHEN_NO_TEMPLATES", credentials=aws.role_arn(f"events-{t.uid()}"),
         requestParameters={}, requestTemplates={"application/json": TEMPLATE}, **ids)
    t.do("put_method_response", statusCode="200", responseModels={"application/json": "Empty"},
         responseParameters={}, **ids)
    t.do("put_integration_response", statusCode="200",
         responseTemplates={"application/json": "#set($inputRoot = $input.json('$'))\n$inputRoot"}, **ids)
    t.do("create_deployment", restApiId=api, stageName="dev")
    body = {"items": [{"Detail": '{"data":"Order is created"}', "DetailType": "Test", "Source": "order"}]}
    r = t.invoke("POST", api, "dev", "/event", data=json.dumps(body),
                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        content = r.json()
    except ValueError:
        content = {"status": r.status_code, "text": r.text}
    t.match("eventbridge-put-events-response", content)
