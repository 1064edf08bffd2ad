#!/usr/bin/env python3
"""Seed a demo organization into the emulator: root, nested OUs, member accounts, IAM users.

Run with the emulator's Python (boto3 comes with moto):
    .venv/bin/python localstack/seed_demo.py [--endpoint-url http://localhost:4566]
Prints the ids as shell assignments (eval-able) and writes nothing else. Safe to run again:
what exists is found by name and reused.
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

    # Safe to run again: everything is found by name before it is created, so a second run
    # prints the same ids and creates nothing.
    try:
        orgs.create_organization(FeatureSet="ALL")
    except orgs.exceptions.AlreadyInOrganizationException:
        pass
    root = orgs.list_roots()["Roots"][0]["Id"]

    def ou(parent: str, name: str) -> str:
        for page in orgs.get_paginator("list_organizational_units_for_parent").paginate(
            ParentId=parent
        ):
            for unit in page["OrganizationalUnits"]:
                if unit["Name"] == name:
                    return unit["Id"]
        return orgs.create_organizational_unit(ParentId=parent, Name=name)[
            "OrganizationalUnit"
        ]["Id"]

    workloads = ou(root, "Workloads")
    prod = ou(workloads, "Prod")
    dev = ou(workloads, "Dev")
    sandbox = ou(root, "Sandbox")

    existing = {
        a["Name"]: a["Id"]
        for page in orgs.get_paginator("list_accounts").paginate()
        for a in page["Accounts"]
    }
    accounts = {}
    for name, parent in [("prod-app", prod), ("dev-app", dev), ("sandbox", sandbox)]:
        account = existing.get(name)
        if account is None:
            status = orgs.create_account(
                AccountName=name, Email=f"{name}@example.com"
            )["CreateAccountStatus"]
            account = status["AccountId"]
        current = orgs.list_parents(ChildId=account)["Parents"][0]["Id"]
        if current != parent:
            orgs.move_account(
                AccountId=account, SourceParentId=current, DestinationParentId=parent
            )
        accounts[name] = account

    # IAM users in the management account, as in the guide's test scenario (the AWS guide's section 4.6).
    # TagUser replaces a tag of the same key, so a second run resets the demo tags.
    # svc-new-export holds no tag: the README's exception walk-through grants it the exception.
    for user in ["svc-legacy-app", "svc-onprem-backup", "svc-new-export", "alice"]:
        try:
            iam.create_user(UserName=user)
        except iam.exceptions.EntityAlreadyExistsException:
            pass
    iam.tag_user(
        UserName="svc-legacy-app", Tags=[{"Key": "AccessException", "Value": "True"}]
    )
    iam.tag_user(
        UserName="svc-onprem-backup", Tags=[{"Key": "AccessException", "Value": "true"}]
    )
    iam.untag_user(
        UserName="svc-new-export",
        TagKeys=[
            "AccessException",
            "AccessExceptionReason",
            "AccessExceptionExpires",
            "AccessExceptionGrantedBy",
            "AccessExceptionGrantedAt",
        ],
    )
    # For the identity-based fallback (--kind identity): a group of CI users and a role
    # assumed by federated identities (the AWS guide's section 5.2).
    try:
        iam.create_group(GroupName="ci-deployers")
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/corp-idp"},"Action":"sts:AssumeRoleWithSAML"}]}'
    try:
        iam.create_role(RoleName="federated-engineers", AssumeRolePolicyDocument=trust)
    except iam.exceptions.EntityAlreadyExistsException:
        pass

    print(f"ROOT={root}")
    print(f"OU_WORKLOADS={workloads}")
    print(f"OU_PROD={prod}")
    print(f"OU_DEV={dev}")
    print(f"OU_SANDBOX={sandbox}")
    for name, account in accounts.items():
        print(f"ACCOUNT_{name.upper().replace('-', '_')}={account}")


if __name__ == "__main__":
    main()
