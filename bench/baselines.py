#!/usr/bin/env python3
"""What users write by hand (the guide's steps, with boto3), run sequentially: the baselines
scpctl is measured against. Same work, same checks, one call at a time.

    baselines.py apply POLICY_NAME CONTENT_FILE OU [OU ...]
    baselines.py exception-list [--all-accounts] [--role-name NAME]

Credentials and endpoint come from the environment (AWS_ENDPOINT_URL, ...), as for scpctl.
Prints one JSON line: {"calls": N, "writes": N, ...}.
"""
import argparse
import json
import sys

import boto3
from botocore.exceptions import ClientError

CALLS = {"total": 0, "writes": 0}


def count(event_name, **_):
    CALLS["total"] += 1
    op = event_name.split(".")[-1]
    if not op.startswith(("List", "Describe", "Get")):
        CALLS["writes"] += 1


def client(name, session=None):
    c = (session or boto3.session.Session()).client(name)
    c.meta.events.register("before-call.*.*", count)
    return c


def apply(name, content_file, ous):
    """Enable SCPs, create or update the policy, check each OU's attachments, attach."""
    content = open(content_file).read().strip()
    orgs = client("organizations")
    root = orgs.list_roots()["Roots"][0]
    enabled = any(
        t["Type"] == "SERVICE_CONTROL_POLICY" and t["Status"] == "ENABLED"
        for t in root.get("PolicyTypes", [])
    )
    if not enabled:
        orgs.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    policy_id = None
    for page in orgs.get_paginator("list_policies").paginate(Filter="SERVICE_CONTROL_POLICY"):
        for p in page["Policies"]:
            if p["Name"] == name:
                policy_id = p["Id"]
    if policy_id is None:
        policy_id = orgs.create_policy(
            Name=name,
            Description="by hand",
            Type="SERVICE_CONTROL_POLICY",
            Content=content,
        )["Policy"]["PolicySummary"]["Id"]
    else:
        orgs.update_policy(PolicyId=policy_id, Content=content)
    for ou in ous:
        attached = [
            p["Id"]
            for page in orgs.get_paginator("list_policies_for_target").paginate(
                TargetId=ou, Filter="SERVICE_CONTROL_POLICY"
            )
            for p in page["Policies"]
        ]
        if policy_id in attached:
            continue
        if len(attached) >= 5:
            sys.exit(f"{ou} already has 5 SCPs")
        try:
            orgs.attach_policy(PolicyId=policy_id, TargetId=ou)
        except ClientError as e:
            if e.response["Error"]["Code"] != "DuplicatePolicyAttachmentException":
                raise


def exceptions_in(iam, account):
    rows = []
    for page in iam.get_paginator("list_users").paginate():
        for user in page["Users"]:
            tags = iam.list_user_tags(UserName=user["UserName"])["Tags"]
            for t in tags:
                if t["Key"].lower() == "accessexception":
                    rows.append({"user": user["UserName"], "account": account, "value": t["Value"]})
    return rows


def exception_list(all_accounts, role_name):
    base = boto3.session.Session()
    me = client("sts", base).get_caller_identity()["Account"]
    if not all_accounts:
        return exceptions_in(client("iam", base), me)
    orgs = client("organizations", base)
    rows = []
    for page in orgs.get_paginator("list_accounts").paginate():
        for account in page["Accounts"]:
            if account.get("Status", "ACTIVE") != "ACTIVE":
                continue
            if account["Id"] == me:
                session = base
            else:
                creds = client("sts", base).assume_role(
                    RoleArn=f"arn:aws:iam::{account['Id']}:role/{role_name}",
                    RoleSessionName="baseline",
                )["Credentials"]
                session = boto3.session.Session(
                    aws_access_key_id=creds["AccessKeyId"],
                    aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds["SessionToken"],
                )
            rows.extend(exceptions_in(client("iam", session), account["Id"]))
    return rows


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("apply")
    a.add_argument("name")
    a.add_argument("content_file")
    a.add_argument("ous", nargs="+")
    e = sub.add_parser("exception-list")
    e.add_argument("--all-accounts", action="store_true")
    e.add_argument("--role-name", default="OrganizationAccountAccessRole")
    args = parser.parse_args()
    if args.command == "apply":
        apply(args.name, args.content_file, args.ous)
        print(json.dumps(CALLS))
    else:
        rows = exception_list(args.all_accounts, args.role_name)
        print(json.dumps({**CALLS, "rows": len(rows)}))


if __name__ == "__main__":
    main()
