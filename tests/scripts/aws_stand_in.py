"""Sets up and reads back the AWS resources tests/tests/aws_services.rs uses,
in a moto server, through boto3 (as a user of those services would).

Usage: aws_stand_in.py setup|check ENDPOINT_URL

setup: a bucket with seed.txt, two queues, a table, a stream, a state
machine, a rule sending the default bus's `apigw.test` events to a queue,
and an SSM parameter; prints their names and ARNs as JSON.
check: prints what the gateway left there: the uploaded object, the queue
messages, the table's items, the stream's records, the executions and the
events delivered.
"""

import base64
import json
import sys

import boto3

REGION = "us-east-1"
BUCKET = "apigw-bucket"
QUEUE = "apigw-queue"
EVENTS_QUEUE = "apigw-events"
TABLE = "apigw-table"
STREAM = "apigw-stream"
MACHINE = "apigw-machine"
PARAMETER = "/apigw/greeting"


def client(endpoint, service):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def setup(endpoint):
    c = lambda s: client(endpoint, s)
    c("s3").create_bucket(Bucket=BUCKET)
    c("s3").put_object(Bucket=BUCKET, Key="seed.txt", Body=b"seeded", ContentType="text/plain")
    sqs = c("sqs")
    queue_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    events_url = sqs.create_queue(QueueName=EVENTS_QUEUE)["QueueUrl"]
    events_arn = sqs.get_queue_attributes(QueueUrl=events_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    c("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    c("kinesis").create_stream(StreamName=STREAM, ShardCount=1)
    machine = c("stepfunctions").create_state_machine(
        name=MACHINE,
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/apigw-states",
    )["stateMachineArn"]
    events = c("events")
    events.put_rule(Name="apigw-rule", EventPattern=json.dumps({"source": ["apigw.test"]}))
    events.put_targets(Rule="apigw-rule", Targets=[{"Id": "queue", "Arn": events_arn}])
    c("ssm").put_parameter(Name=PARAMETER, Value="hello from ssm", Type="String")
    account = c("sts").get_caller_identity()["Account"]
    return {"queue_url": queue_url, "machine": machine, "account": account}


def check(endpoint):
    c = lambda s: client(endpoint, s)
    s3 = c("s3")
    objects = {}
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        got = s3.get_object(Bucket=BUCKET, Key=item["Key"])
        objects[item["Key"]] = {
            "base64": base64.b64encode(got["Body"].read()).decode(),
            "content_type": got.get("ContentType"),
        }
    sqs = c("sqs")

    def drain(name):
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [m["Body"] for m in got.get("Messages", [])]

    items = c("dynamodb").scan(TableName=TABLE)["Items"]
    kinesis = c("kinesis")
    shard = kinesis.list_shards(StreamName=STREAM)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=STREAM, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = [r["Data"].decode() for r in kinesis.get_records(ShardIterator=iterator)["Records"]]
    sfn = c("stepfunctions")
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    executions = [
        json.loads(sfn.describe_execution(executionArn=e["executionArn"]).get("input") or "null")
        for e in sfn.list_executions(stateMachineArn=machine)["executions"]
    ]
    events = [json.loads(body) for body in drain(EVENTS_QUEUE)]
    return {
        "objects": objects,
        "messages": drain(QUEUE),
        "items": items,
        "records": records,
        "executions": executions,
        "events": [{"source": e.get("source"), "detail": e.get("detail")} for e in events],
    }


if __name__ == "__main__":
    what, endpoint = sys.argv[1], sys.argv[2]
    print(json.dumps(setup(endpoint) if what == "setup" else check(endpoint)))
