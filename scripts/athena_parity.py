#!/usr/bin/env python3
"""Parity of `impact --engine athena` with the local replay, on DuckDB.

Writes a few thousand CloudTrail records (every identity type, address form, endpoint and event
type the rules name) as .json.gz log files, replays them locally (`impact --output jsonl` and
`--output json`), then runs the query `impact --engine athena --per-record --emit-sql` prints on
DuckDB over a table built from the same files with AWS's CloudTrail column names. Trino's own
pieces are modeled on DuckDB as Trino's sources define them (IpAddressFunctions.contains and the
VARCHAR-to-IPADDRESS cast), not by DuckDB's inet semantics:
- IPADDRESS is Trino's 16 bytes (a BLOB): an IPv4 value is stored IPv4-mapped, so
  `to_hex(CAST(ip AS VARBINARY))` starts with 00000000000000000000FFFF for IPv4 and mapped IPv6
  alike; the text parse refuses prefixes, zones and leading-zero octets (Guava's forString).
- `contains(network, ip)` turns a mapped network base and a mapped address back into 4 bytes,
  throws on a base that is not an address, a prefix longer than the base ("Prefix length exceeds
  address length") and IPv4 host bits ("Invalid CIDR"), and throws on two families, as Trino did
  before PR 18997 (current Trino answers false): passing proves the query never mixes them, so
  both versions decide alike.
- `regexp_like` is RE2's `regexp_matches`; every pattern the query uses must be anchored with
  `\A` and `\z` only (Trino's joni lets `$` match before a final newline, and `^` is not
  relied on either), which the script checks before running.
Requires per-event equality of the denied events and their Sid, and equal counts of every
status and reason.

usage: athena_parity.py SCPCTL CONFIG TAGS_FILE WORKDIR [RECORDS]   (python with duckdb, duckdb-extension-inet)
"""
import gzip, ipaddress, json, os, random, re, subprocess, sys, collections

import duckdb
import duckdb_extension_inet

scpctl, config, tags_file, work = sys.argv[1:5]
n_records = int(sys.argv[5]) if len(sys.argv) > 5 else 6000
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
           "::ffff:192.0.2.10", "::ffff:203.0.113.5", "::ffff:198.51.100.7", "::ffff:c633:6407", "::FFFF:C000:020A",
           "0:0:0:0:0:ffff:cb00:7101", "::ffff:0:0", "::ffff:20.0.2.9", "::c633:6407", "::ffff:1:2:3",
           "192.0.2.10\n", "198.51.100.7\n", "2001:db8:1234::5\n", "::ffff:198.51.100.7\n", "cloudformation.amazonaws.com\n",
           "\n192.0.2.10", "20.0.2.9", "20.5.198.1", "20.0.3.9", "035.249.253.232", "1.2.3.4, 5.6.7.8", "redacted", "", None, "AWS Internal",
           "signin.amazonaws.com", "Console.AmazonAWS.com", "cloudformation.amazonaws.com", "192.0.2.10/32",
           "fe80::1%eth0", "256.1.1.1", "::1", "1::2::3", "0.0.0.0", "10.0.0.1"]
EVENTS = [("AwsApiCall", "s3.amazonaws.com", "ListBuckets"), (None, "monitoring.amazonaws.com", "GetMetricData"),
          ("AwsApiCall", "rds-db.amazonaws.com", "connect"), ("AwsApiCall", "sts.amazonaws.com", "GetCallerIdentity"),
          ("AwsApiCall", "ec2.amazonaws.com", None), ("AwsApiCall", "example.com", "X"),
          ("AwsApiCall", "ES.amazonaws.com", "ESHttpGet"), ("AwsApiCall", "streams.dynamodb.amazonaws.com", "GetRecords"),
          ("AwsConsoleSignIn", "signin.amazonaws.com", "ConsoleLogin"), ("AwsServiceEvent", "kms.amazonaws.com", "RotateKey"),
          ("AwsMysteryEvent", "s3.amazonaws.com", "X"), ("AwsApiCall", "signin.amazonaws.com", "GetSigninToken"),
          ("AwsApiCall", "s3.amazonaws.com\n", "ListBuckets"), ("AwsApiCall\n", "s3.amazonaws.com", "ListBuckets")]
VPCES = [None, None, "vpce-0a1b2c3d4e5f67890", "vpce-11111111"]
TIMES = ["2024-05-01T12:00:00Z", "2024-05-31T23:59:59Z", "2024-06-01T00:00:00Z", "2024-04-30T23:59:59Z", "2024-05-01 12:00:00", None,
         "2024-05-01T12:00:00Z\n", "\n2024-05-01T12:00:00Z"]

records = []
for i in range(n_records):
    r = {"eventVersion": "1.09", "eventID": f"ev-{i:06d}", "awsRegion": random.choice(["eu-west-1", "us-east-1"]),
         "recipientAccountId": "111122223333"}
    ident = random.choice(IDENTITIES)
    if ident is not None:
        r["userIdentity"] = ident
    for key, value in (("sourceIPAddress", random.choice(SOURCES)), ("vpcEndpointId", random.choice(VPCES)),
                       ("eventTime", TIMES[0] if random.random() < 0.8 else random.choice(TIMES))):
        if value is not None:
            r[key] = value
    if i < 2 * len(SOURCES):
        # First every address form decided once for a tagged and an untagged IAM user, whatever
        # the draw gives the rest.
        r["userIdentity"] = IDENTITIES[i % 2]
        r["eventTime"] = TIMES[0]
        r.pop("vpcEndpointId", None)
        if SOURCES[i // 2] is None:
            r.pop("sourceIPAddress", None)
        else:
            r["sourceIPAddress"] = SOURCES[i // 2]
    et, es, en = random.choice(EVENTS) if i >= 2 * len(SOURCES) else EVENTS[0]
    for key, value in (("eventType", et), ("eventSource", es), ("eventName", en)):
        if value is not None:
            r[key] = value
    records.append(r)

trail = os.path.join(work, "AWSLogs", "111122223333", "CloudTrail", "eu-west-1", "2024", "05", "01")
os.makedirs(trail, exist_ok=True)
for n in range(0, len(records), 1000):
    with gzip.open(os.path.join(trail, f"part-{n // 1000}.json.gz"), "wt") as f:
        json.dump({"Records": records[n:n + 1000]}, f)

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
# Trino's pieces, modeled (see the docstring). Every IPADDRESS value the query makes is
# TRY_CAST(column AS IPADDRESS); anything else left over fails here rather than run as DuckDB's.
sql = re.sub(r"TRY_CAST\((\w+) AS IPADDRESS\)", r"trino_ip(\1)", sql)
assert "IPADDRESS" not in sql, "an IPADDRESS use the model does not cover"

def trino_network(cidr):
    """IpAddressFunctions.contains' reading of its network literal (Guava's forString, a mapped
    base read as IPv4): (bits, network) or the exception Trino throws. Raised here, before any
    row: the query must never hold a network Trino refuses, whether or not a row reaches it."""
    if "/" not in cidr:
        raise ValueError(f"Invalid CIDR: {cidr}")
    base_s, p_s = cidr.split("/", 1)
    if not re.fullmatch(r"[0-9A-Fa-f:.]+", base_s) or re.search(r"(\A|[.:])0[0-9]+(\.|\Z)", base_s):
        raise ValueError(f"Invalid network IP address: {cidr}")
    base = ipaddress.ip_address(base_s)
    if base.version == 6 and base.ipv4_mapped is not None:
        base = base.ipv4_mapped
    p = int(p_s)
    if p < 0 or p > base.max_prefixlen:
        raise ValueError(f"Prefix length exceeds address length: {cidr}")
    if base.version == 4 and int(base) & ((1 << (32 - p)) - 1):
        raise ValueError(f"Invalid CIDR: {cidr}")
    return base.max_prefixlen, str(ipaddress.ip_network(f"{base}/{p}", strict=False))

def rewrite_contains(m):
    bits, net = trino_network(m.group(1).replace("''", "'"))
    return f"trino_in({m.group(2)}, {bits}, '{net}')"

n_contains = sql.count("contains(")
sql = re.sub(r"\bcontains\('((?:[^']|'')*)', (\w+)\)", rewrite_contains, sql)
assert "contains(" not in sql, "a contains() whose network is not a literal"
patterns = re.findall(r"regexp_like\([^,]+, '((?:[^']|'')*)'\)", sql)
assert patterns and len(patterns) == sql.count("regexp_like("), "a regexp_like whose pattern is not a literal"
for p in patterns:
    assert "$" not in p and "^" not in p.replace("[^", ""), f"anchor whose meaning joni and RE2 do not share: {p}"
    assert p.startswith("\\A") or "\\A" not in p, p

db = duckdb.connect()
ext = os.path.join(os.path.dirname(duckdb_extension_inet.__file__), "extensions", f"v{duckdb.__version__}", "inet.duckdb_extension")
db.execute(f"LOAD '{ext}'")
db.execute("CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)")
TOP = "CAST('-170141183460469231731687303715884105728' AS HUGEINT)"  # the top bit, flipped back
for macro in [
    # DuckDB's inet as (family, 128-bit value with the top bit flipped for IPv6, mask).
    "inet_value(i) AS CAST(i AS STRUCT(ip_type UTINYINT, address HUGEINT, mask USMALLINT)).address",
    # VARCHAR -> Trino's 16 bytes, NULL when Guava's forString would refuse it.
    "trino_ip(s) AS CASE WHEN s IS NULL OR NOT regexp_matches(s, '\\A[0-9A-Fa-f:.]+\\z') "
    "OR regexp_matches(s, '(\\A|[.:])0[0-9]+(\\.|\\z)') OR TRY_CAST(s AS INET) IS NULL THEN NULL "
    "WHEN family(TRY_CAST(s AS INET)) = 4 THEN unhex('00000000000000000000FFFF' || lpad(to_hex(inet_value(TRY_CAST(s AS INET))), 8, '0')) "
    f"ELSE unhex(lpad(to_hex(xor(inet_value(TRY_CAST(s AS INET)), {TOP})), 32, '0')) END",
    # InetAddress.getByAddress: a mapped value is an IPv4 address of 4 bytes.
    "trino_bits(b) AS CASE WHEN substr(to_hex(b), 1, 24) = '00000000000000000000FFFF' THEN 32 ELSE 128 END",
    "trino_text(b) AS CASE WHEN trino_bits(b) = 32 THEN concat_ws('.', "
    + ", ".join(f"CAST('0x' || substr(to_hex(b), {i}, 2) AS INTEGER)" for i in (25, 27, 29, 31))
    + ") ELSE concat_ws(':', " + ", ".join(f"substr(to_hex(b), {i}, 4)" for i in range(1, 33, 4)) + ") END",
    "trino_net(b, p) AS CAST(trino_text(b) || '/' || p AS INET)",
    # contains() once its network literal is read (trino_network): the address side per row.
    "trino_in(ip, bits, net) AS CASE WHEN ip IS NULL THEN NULL WHEN trino_bits(ip) <> bits "
    "THEN error('IP address version should be the same: ' || net || ' and ' || trino_text(ip)) "
    "ELSE CAST(net AS INET) >>= CAST(trino_text(ip) AS INET) END",
    # IpAddressFunctions.contains, step by step.
    "trino_contains(net, ip) AS CASE WHEN net IS NULL OR ip IS NULL THEN NULL "
    "WHEN strpos(net, '/') = 0 THEN error('Invalid CIDR: ' || net) "
    "WHEN trino_ip(split_part(net, '/', 1)) IS NULL THEN error('Invalid network IP address: ' || net) "
    "WHEN CAST(split_part(net, '/', 2) AS INTEGER) > trino_bits(trino_ip(split_part(net, '/', 1))) "
    "THEN error('Prefix length exceeds address length: ' || net) "
    "WHEN trino_bits(trino_ip(split_part(net, '/', 1))) = 32 AND network(trino_net(trino_ip(split_part(net, '/', 1)), split_part(net, '/', 2))) "
    "<> trino_net(trino_ip(split_part(net, '/', 1)), split_part(net, '/', 2)) THEN error('Invalid CIDR: ' || net) "
    "WHEN trino_bits(trino_ip(split_part(net, '/', 1))) <> trino_bits(ip) "
    "THEN error('IP address version should be the same: ' || net || ' and ' || trino_text(ip)) "
    "ELSE trino_net(trino_ip(split_part(net, '/', 1)), split_part(net, '/', 2)) >>= CAST(trino_text(ip) AS INET) END",
]:
    db.execute("CREATE MACRO " + macro)
# The model itself, on the cases Trino's sources decide (each would be a wrong parity otherwise).
for expr, want in [
    ("to_hex(trino_ip('198.51.100.7'))", "00000000000000000000FFFFC6336407"),
    ("to_hex(trino_ip('::ffff:c633:6407'))", "00000000000000000000FFFFC6336407"),
    ("to_hex(trino_ip('::ffff:198.51.100.7'))", "00000000000000000000FFFFC6336407"),
    ("to_hex(trino_ip('2001:db8::1'))", "20010DB8000000000000000000000001"),
    ("to_hex(trino_ip('8000::'))", "80000000000000000000000000000000"),
    ("trino_ip('035.1.2.3') IS NULL AND trino_ip('1.2.3.4/32') IS NULL AND trino_ip('1.2.3.4\n') IS NULL", True),
    ("trino_contains('198.51.100.0/24', trino_ip('::ffff:198.51.100.7'))", True),
    ("trino_contains('::ffff:198.51.100.0/24', trino_ip('198.51.100.7'))", True),
    ("trino_contains('2001:db8::/32', trino_ip('2001:db8:1::5'))", True),
    ("trino_contains('2001:db8::/32', trino_ip('2001:db9::5'))", False),
    ("trino_contains('0.0.0.0/0', trino_ip('1.2.3.4'))", True),
    ("regexp_like('1.2.3.4\n', '\\A1\\.2\\.3\\.4\\z')", False),
]:
    got = db.execute(f"SELECT {expr}").fetchone()[0]
    assert got == want, (expr, got, want)
for cidr, err in [("::ffff:203.0.113.0/120", "Prefix length exceeds"), ("192.0.2.1/24", "Invalid CIDR"),
                  ("035.0.0.0/8", "Invalid network IP address"), ("192.0.2.0", "Invalid CIDR")]:
    try:
        trino_network(cidr)
        sys.exit(f"the Trino model reads {cidr} without error")
    except ValueError as e:
        assert err in str(e), (cidr, e)
assert trino_network("::ffff:203.0.113.0/24") == (32, "203.0.113.0/24")
assert db.execute("SELECT trino_in(trino_ip('::ffff:c633:6407'), 32, '198.51.100.0/24')").fetchone()[0] is True
for expr, err in [("trino_in(trino_ip('::ffff:198.51.100.7'), 128, '::/1')", "version should be the same"),
                  ("trino_contains('::ffff:203.0.113.0/120', trino_ip('::1'))", "Prefix length exceeds"),
                  ("trino_contains('::/1', trino_ip('::ffff:198.51.100.7'))", "version should be the same"),
                  ("trino_contains('192.0.2.1/24', trino_ip('192.0.2.1'))", "Invalid CIDR")]:
    try:
        db.execute(f"SELECT {expr}").fetchone()
        sys.exit(f"the Trino model does not throw on {expr}")
    except duckdb.Error as e:
        assert err in str(e), (expr, e)
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
print(f"parity: {len(records)} records, {len(local_denied)} denied, {len(counts)} status/reason classes equal; query {len(sql)} bytes, {n_contains} contains terms")
for k, v in sorted(counts.items(), key=str):
    print(f"  {k[0]:8} {k[1] or '':32} {v}")
