#!/usr/bin/env python3
"""Parity of `impact --engine athena` with the local replay, on DuckDB.

Writes a few thousand CloudTrail records (every identity type, address form, endpoint and event
type the rules name) as .json.gz log files, replays them locally (`impact --output jsonl` and
`--output json`), then runs the query `impact --engine athena --per-record --emit-sql` prints on
DuckDB over a table built from the same files with AWS's CloudTrail column names, rewriting only
Trino's `contains(cidr, ip)` and `IPADDRESS` type (DuckDB's `inet`), with `regexp_like` defined
as DuckDB's `regexp_matches`. Requires per-event equality of the denied events and their Sid,
and equal counts of every status and reason.

usage: athena_parity.py SCPCTL CONFIG TAGS_FILE WORKDIR   (python with duckdb, duckdb-extension-inet)
"""
import gzip, json, os, random, re, subprocess, sys, collections

import duckdb
import duckdb_extension_inet

scpctl, config, tags_file, work = sys.argv[1:5]
random.seed(24)

ALICE = "arn:aws:iam::111122223333:user/alice"
IDENTITIES = [
    {"type": "IAMUser", "arn": ALICE, "accountId": "111122223333", "userName": "alice", "principalId": "AIDAA"},
    {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops/bob", "userName": "bob"},
    {"type": "IAMUser", "arn": "arn:aws:iam::444455556666:user/it's-carol", "accountId": "444455556666", "userName": "carol"},
    {"type": "IAMUser", "accountId": "111122223333"},
    {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Deploy/s", "accountId": "111122223333",
     "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/Deploy"}, "attributes": {"mfaAuthenticated": "true"}}},
    {"type": "AssumedRole", "accountId": "111122223333",
     "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"}}},
    {"type": "AssumedRole", "accountId": "111122223333"},
    {"type": "Root", "arn": "arn:aws:iam::999988887777:root"},
    {"type": "FederatedUser", "arn": "arn:aws:sts::111122223333:federated-user/f", "accountId": "111122223333"},
    {"type": "AWSService", "invokedBy": "s3.amazonaws.com"},
    {"type": "AWSAccount", "accountId": "ANONYMOUS_PRINCIPAL"},
    {"type": "Unknown"}, {"type": "IdentityCenterUser"}, {"type": "SAMLUser"}, {"type": "WebIdentityUser"},
    {"type": "Martian", "arn": ALICE}, {"arn": ALICE}, None,
    {"type": "FederatedUser", "arn": "not-an-arn"},
    {"type": "IAMUser", "arn": "arn:aws:iam::555566667777:user/mgmt"},
]
SOURCES = ["192.0.2.10", "203.0.113.99", "198.51.100.7", "2001:db8:1234::5", "2001:DB8:1234::6", "2001:db8:9999::5",
           "::ffff:192.0.2.10", "035.249.253.232", "1.2.3.4, 5.6.7.8", "redacted", "", None, "AWS Internal",
           "signin.amazonaws.com", "Console.AmazonAWS.com", "cloudformation.amazonaws.com", "192.0.2.10/32",
           "fe80::1%eth0", "256.1.1.1", "::1", "1::2::3", "0.0.0.0", "10.0.0.1"]
EVENTS = [("AwsApiCall", "s3.amazonaws.com", "ListBuckets"), (None, "monitoring.amazonaws.com", "GetMetricData"),
          ("AwsApiCall", "rds-db.amazonaws.com", "connect"), ("AwsApiCall", "sts.amazonaws.com", "GetCallerIdentity"),
          ("AwsApiCall", "ec2.amazonaws.com", None), ("AwsApiCall", "example.com", "X"),
          ("AwsApiCall", "ES.amazonaws.com", "ESHttpGet"), ("AwsApiCall", "streams.dynamodb.amazonaws.com", "GetRecords"),
          ("AwsConsoleSignIn", "signin.amazonaws.com", "ConsoleLogin"), ("AwsServiceEvent", "kms.amazonaws.com", "RotateKey"),
          ("AwsMysteryEvent", "s3.amazonaws.com", "X"), ("AwsApiCall", "signin.amazonaws.com", "GetSigninToken")]
VPCES = [None, None, "vpce-0a1b2c3d4e5f67890", "vpce-11111111"]
TIMES = ["2024-05-01T12:00:00Z", "2024-05-31T23:59:59Z", "2024-06-01T00:00:00Z", "2024-04-30T23:59:59Z", "2024-05-01 12:00:00", None]

records = []
for i in range(6000):
    r = {"eventVersion": "1.09", "eventID": f"ev-{i:06d}", "awsRegion": random.choice(["eu-west-1", "us-east-1"]),
         "recipientAccountId": "111122223333"}
    ident = random.choice(IDENTITIES)
    if ident is not None:
        r["userIdentity"] = ident
    for key, value in (("sourceIPAddress", random.choice(SOURCES)), ("vpcEndpointId", random.choice(VPCES)),
                       ("eventTime", TIMES[0] if random.random() < 0.8 else random.choice(TIMES))):
        if value is not None:
            r[key] = value
    et, es, en = random.choice(EVENTS)
    for key, value in (("eventType", et), ("eventSource", es), ("eventName", en)):
        if value is not None:
            r[key] = value
    records.append(r)

trail = os.path.join(work, "AWSLogs", "111122223333", "CloudTrail", "eu-west-1", "2024", "05", "01")
os.makedirs(trail, exist_ok=True)
for n in range(6):
    with gzip.open(os.path.join(trail, f"part-{n}.json.gz"), "wt") as f:
        json.dump({"Records": records[n * 1000:(n + 1) * 1000]}, f)

common = ["--since", "2024-05-01", "--until", "2024-05-31", "--management-account", "555566667777", "--tags-file", tags_file]
def scpctl_out(*args):
    p = subprocess.run([scpctl, "--config", config, "impact", *args], capture_output=True, text=True)
    if p.returncode not in (0, 3):
        sys.exit(f"scpctl {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p.stdout

local_denied = {}
for line in scpctl_out(work, "--output", "jsonl", *common).splitlines():
    d = json.loads(line)
    local_denied[d["eventID"]] = d["sid"]
local = json.loads(scpctl_out(work, "--output", "json", *common))

sql = scpctl_out("--engine", "athena", "--table", "ct.trail", "--layout", "partitioned", "--per-record", "--emit-sql", *common)
# The two Trino-specific pieces.
sql = re.sub(r"\bcontains\(", "ip_contains(", sql).replace("AS IPADDRESS)", "AS INET)")

db = duckdb.connect()
ext = os.path.join(os.path.dirname(duckdb_extension_inet.__file__), "extensions", f"v{duckdb.__version__}", "inet.duckdb_extension")
db.execute(f"LOAD '{ext}'")
db.execute("CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)")
db.execute("CREATE MACRO ip_contains(c, ip) AS (CAST(c AS INET) >>= ip)")
db.execute("CREATE SCHEMA ct")
db.execute("""CREATE TABLE ct.trail (
  eventid VARCHAR, eventtype VARCHAR, eventsource VARCHAR, eventname VARCHAR, eventtime VARCHAR, awsregion VARCHAR,
  sourceipaddress VARCHAR, vpcendpointid VARCHAR, recipientaccountid VARCHAR,
  useridentity STRUCT(type VARCHAR, arn VARCHAR, accountid VARCHAR, principalid VARCHAR, username VARCHAR,
    sessioncontext STRUCT(attributes STRUCT(mfaauthenticated VARCHAR), sessionissuer STRUCT(arn VARCHAR))),
  account VARCHAR, region VARCHAR, year VARCHAR, month VARCHAR, day VARCHAR)""")

def identity(u):
    # AWS's JSON SerDe: camelCase keys into the lower-case columns, booleans read as text.
    if u is None:
        return None
    sc = u.get("sessionContext") or {}
    attrs, issuer = sc.get("attributes"), sc.get("sessionIssuer")
    return {"type": u.get("type"), "arn": u.get("arn"), "accountid": u.get("accountId"), "principalid": u.get("principalId"),
            "username": u.get("userName"),
            "sessioncontext": None if not sc else {
                "attributes": None if attrs is None else {"mfaauthenticated": attrs.get("mfaAuthenticated")},
                "sessionissuer": None if issuer is None else {"arn": issuer.get("arn")}}}

rows = [(r["eventID"], r.get("eventType"), r.get("eventSource"), r.get("eventName"), r.get("eventTime"), r.get("awsRegion"),
         r.get("sourceIPAddress"), r.get("vpcEndpointId"), r.get("recipientAccountId"), identity(r.get("userIdentity")),
         "111122223333", "eu-west-1", "2024", "05", "01") for r in records]
db.executemany("INSERT INTO ct.trail VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

result = db.execute(sql).fetchall()
assert len(result) == len(records), (len(result), len(records))
duck_denied, counts = {}, collections.Counter()
for eventid, status, sid, reason, *_ in result:
    counts[(status, reason)] += 1
    if status == "denied":
        duck_denied[eventid] = sid

bad = [(e, local_denied.get(e), duck_denied.get(e)) for e in set(local_denied) | set(duck_denied) if local_denied.get(e) != duck_denied.get(e)]
if bad:
    sys.exit(f"{len(bad)} events differ (eventID, local, athena SQL): {sorted(bad)[:20]}")
local_counts = collections.Counter()
local_counts[("denied", None)] = local["totals"]["denied"]
local_counts[("allowed", None)] = local["totals"]["decided"] - local["totals"]["denied"]
for k, v in local["apart"].items():
    local_counts[("apart", k)] = v
for k, v in local["skipped"].items():
    local_counts[("skip", k)] = v
counts = collections.Counter({k: v for k, v in counts.items() if v})
local_counts = collections.Counter({k: v for k, v in local_counts.items() if v})
if counts != local_counts:
    sys.exit(f"counts differ:\n local {sorted(local_counts.items(), key=str)}\n  duck {sorted(counts.items(), key=str)}")
print(f"parity: {len(records)} records, {len(local_denied)} denied, {len(counts)} status/reason classes equal; query {len(sql)} bytes")
for k, v in sorted(counts.items(), key=str):
    print(f"  {k[0]:8} {k[1] or '':32} {v}")
