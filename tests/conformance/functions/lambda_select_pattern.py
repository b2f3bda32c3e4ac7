"""Stand-in for test_lambda_selection_patterns' function: the event's
statusCode picks an answer or an error. The raises sit on the lines the
recorded stack traces name (file lambda_select_pattern.py, lines 7 and 9)."""
def handler(event, context):
    code = event.get("statusCode")
    if code == "400":
        raise Exception("Error: Raising four hundred from within the Lambda function")
    if code == "500":
        raise Exception("Error: Raising five hundred from within the Lambda function")
    if code == "200":
        return "Pass"
    return "Error Value in the json request should either be 400 or 500 to demonstrate"
