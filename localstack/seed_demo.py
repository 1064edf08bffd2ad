#!/usr/bin/env python3
"""Seed a demo organization into the emulator: root, nested OUs, member accounts, IAM users.

Run with the emulator's Python (boto3 comes with moto):
    .venv/bin/python localstack/seed_demo.py [--endpoint-url http://localhost:4566]
Prints the ids as shell assignments (eval-able) and writes nothing else.
"""
import argparse
import os

import boto3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL", "http://localhost:4566"),
    )
    args = parser.parse_args()
    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )
    orgs = session.client("organizations", endpoint_url=args.endpoint_url)
    iam = session.client("iam", endpoint_url=args.endpoint_url)

    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]

    def ou(parent: str, name: str) -> str:
        return orgs.create_organizational_unit(ParentId=parent, Name=name)[
            "OrganizationalUnit"
        ]["Id"]

    workloads = ou(root, "Workloads")
    prod = ou(workloads, "Prod")
    dev = ou(workloads, "Dev")
    sandbox = ou(root, "Sandbox")

    accounts = {}
    for name, parent in [("prod-app", prod), ("dev-app", dev), ("sandbox", sandbox)]:
        status = orgs.create_account(
            AccountName=name, Email=f"{name}@example.com"
        )["CreateAccountStatus"]
        account = status["AccountId"]
        orgs.move_account(
            AccountId=account, SourceParentId=root, DestinationParentId=parent
        )
        accounts[name] = account

    # IAM users in the management account, as in the guide's test scenario (seed 003 section 4.6).
    for user in ["svc-legacy-app", "svc-onprem-backup", "alice"]:
        iam.create_user(UserName=user)
    iam.tag_user(
        UserName="svc-legacy-app", Tags=[{"Key": "AccessException", "Value": "True"}]
    )
    iam.tag_user(
        UserName="svc-onprem-backup", Tags=[{"Key": "AccessException", "Value": "true"}]
    )

    print(f"ROOT={root}")
    print(f"OU_WORKLOADS={workloads}")
    print(f"OU_PROD={prod}")
    print(f"OU_DEV={dev}")
    print(f"OU_SANDBOX={sandbox}")
    for name, account in accounts.items():
        print(f"ACCOUNT_{name.upper().replace('-', '_')}={account}")


if __name__ == "__main__":
    main()
