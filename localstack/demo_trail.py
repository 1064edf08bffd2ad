"""Demo for `impact --org-policies`: a region-deny SCP on the Sandbox OU (what an organization
already runs) and a small CloudTrail file of calls from the demo accounts.

Run after seed_demo.py, with its output in the environment:
    eval "$(.venv/bin/python localstack/seed_demo.py)"
    .venv/bin/python localstack/demo_trail.py "$OU_SANDBOX" "$ACCOUNT_PROD_APP" "$ACCOUNT_SANDBOX" > demo-trail.json
Safe to run again: the SCP is found by name before it is created and attached once.
"""

import json
import os
import sys

import boto3

REGION_DENY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyOutsideEU",
            "Effect": "Deny",
            "NotAction": ["iam:*", "sts:*", "organizations:*", "support:*"],
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}
            },
        }
    ],
}


def attach_region_deny(orgs, target: str) -> None:
    policy_id = None
    for page in orgs.get_paginator("list_policies").paginate(
        Filter="SERVICE_CONTROL_POLICY"
    ):
        for p in page["Policies"]:
            if p["Name"] == "region-deny":
                policy_id = p["Id"]
    if policy_id is None:
        policy_id = orgs.create_policy(
            Name="region-deny",
            Description="Deny outside the EU Regions",
            Type="SERVICE_CONTROL_POLICY",
            Content=json.dumps(REGION_DENY, separators=(",", ":")),
        )["Policy"]["PolicySummary"]["Id"]
    attached = orgs.list_policies_for_target(
        TargetId=target, Filter="SERVICE_CONTROL_POLICY"
    )["Policies"]
    if not any(p["Id"] == policy_id for p in attached):
        orgs.attach_policy(PolicyId=policy_id, TargetId=target)


def record(i: int, account: str, user: str, ip: str, region: str, event: str) -> dict:
    source, name = event.split(":")
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": f"AIDA{user.upper().replace('-', '')}",
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "userName": user,
        },
        "eventTime": f"2026-04-0{1 + i % 9}T09:{i:02d}:00Z",
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "eventID": f"00000000-0000-0000-0000-{i:012d}",
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
    }


def main() -> None:
    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )
    orgs = session.client(
        "organizations",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL", "http://localhost:4566"),
    )
    if len(sys.argv) != 4:
        sys.exit("usage: demo_trail.py OU_SANDBOX ACCOUNT_PROD_APP ACCOUNT_SANDBOX")
    ou_sandbox, prod, sandbox = sys.argv[1:]
    attach_region_deny(orgs, ou_sandbox)
    inside, outside, home = "192.0.2.10", "198.51.100.7", "198.51.100.23"
    calls = [
        # prod-app: no region deny on its path; the new SCP alone decides.
        (prod, "deploy-bot", inside, "us-east-1", "s3:PutObject"),
        (prod, "deploy-bot", outside, "us-east-1", "s3:PutObject"),
        (prod, "deploy-bot", outside, "us-east-1", "cloudformation:UpdateStack"),
        (prod, "alice", home, "eu-west-1", "ec2:DescribeInstances"),
        (prod, "alice", inside, "eu-west-1", "ec2:DescribeInstances"),
        # sandbox: the region deny already refuses us-east-1 (except global services).
        (sandbox, "tester", outside, "us-east-1", "ec2:RunInstances"),
        (sandbox, "tester", inside, "us-east-1", "ec2:RunInstances"),
        (sandbox, "tester", outside, "us-east-1", "iam:ListUsers"),
        (sandbox, "tester", outside, "eu-west-1", "ec2:RunInstances"),
        (sandbox, "tester", inside, "eu-west-1", "ec2:RunInstances"),
    ]
    records = [record(i, *c) for i, c in enumerate(calls)]
    print(json.dumps({"Records": records}, indent=1))


if __name__ == "__main__":
    main()
