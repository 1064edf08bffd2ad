#!/usr/bin/env python3
"""`scpctl impact` throughput against its floor and a plain-Python baseline.

    bench/impact.py [--gb 2] [--shape mix|s3|both] [--dir DIR] [--scpctl target/release/scpctl]
                    [--keep] [--write-doc]

1. Generates synthetic CloudTrail log files (`{"Records": [...]}`, gzip level 6 as CloudTrail
   writes them, 500 records a file), GB gigabytes uncompressed per shape, in an S3-like
   layout, twice (two seeds): the first half is the input, both halves the doubled input.
   Two shapes (`--shape`, both by default):
   - `mix`: management events, about 1.1 KB a record (identity, request parameters, user
     agent, TLS details), covering every identity type and source form the mapping handles;
   - `s3`: S3 data events as a real trail's (about 1.4 KB: nested `tlsDetails`,
     `additionalEventData`, `resources`, long request and object ids), IAM users (and a few
     roles and services) calling S3 from IPv4, IPv6 and service hosts.
2. Runs, each in a fresh child process, on the same files (per shape):
   - `zcat` over every file to /dev/null: the floor (one core: decompression only);
   - `scpctl impact DIR --tags-file ... --output json` (release build, every core);
   - `baseline`: a plain Python script doing the same work with `json` and `ipaddress`
     (one process, as people write it: gzip.open, json.load, per-record checks, a dict tally).
   Wall time, records/s, MB/s (uncompressed) and peak memory (the child's max RSS from wait4);
   then scpctl again on the doubled input, for the growth of its peak memory.
3. With --write-doc, replaces the "impact" section of docs/benchmarks.md.

No timing assertion anywhere: the numbers are reported, not checked.
"""
import argparse
import gzip
import ipaddress
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CIDRS = ["192.0.2.0/24", "203.0.113.0/24", "2001:db8:1234::/48"]
RECORDS_PER_FILE = 500
ACCOUNTS = [f"1111222233{i:02d}" for i in range(20)]

PADDING = {
    "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/ec2.describe-instances",
    "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                   "clientProvidedHostHeader": "ec2.eu-west-1.amazonaws.com"},
    "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-0123456789abcdef0"}]},
                          "filterSet": {"items": [{"name": "tag:Environment", "valueSet": {"items": [{"value": "production"}]}}]}},
    "responseElements": None,
    "readOnly": True,
    "managementEvent": True,
    "eventCategory": "Management",
}


def identity(rng, users, roles):
    roll = rng.random()
    acct = rng.choice(ACCOUNTS)
    if roll < 0.35:
        name = rng.choice(users)
        return {"type": "IAMUser", "principalId": "AIDA" + name.upper(), "arn": f"arn:aws:iam::{acct}:user/{name}",
                "accountId": acct, "accessKeyId": "AKIAEXAMPLEEXAMPLE", "userName": name}
    if roll < 0.80:
        role = rng.choice(roles)
        path = "aws-service-role/ecs.amazonaws.com/" if role.startswith("AWSServiceRole") else ""
        return {"type": "AssumedRole", "principalId": f"AROA{role.upper()}:session", "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/session",
                "accountId": acct, "accessKeyId": "ASIAEXAMPLEEXAMPLE",
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROA" + role.upper(),
                                                     "arn": f"arn:aws:iam::{acct}:role/{path}{role}", "accountId": acct, "userName": role},
                                   "attributes": {"creationDate": "2024-05-01T00:00:00Z", "mfaAuthenticated": "false"}}}
    if roll < 0.90:
        return {"type": "AWSService", "invokedBy": "ecs.amazonaws.com"}
    if roll < 0.93:
        return {"type": "Root", "principalId": acct, "arn": f"arn:aws:iam::{acct}:root", "accountId": acct}
    if roll < 0.96:
        return {"type": "AWSAccount", "principalId": "AIDAOTHER", "accountId": "999988887777"}
    return {"type": "FederatedUser", "principalId": f"{acct}:fed", "arn": f"arn:aws:sts::{acct}:federated-user/fed", "accountId": acct}


def source(rng, outside):
    roll = rng.random()
    if roll < 0.45:
        return f"192.0.2.{rng.randrange(1, 255)}", None
    if roll < 0.70:
        return rng.choice(outside), None
    if roll < 0.75:
        return f"2001:db8:1234::{rng.randrange(1, 9999):x}", None
    if roll < 0.85:
        return rng.choice(["cloudformation.amazonaws.com", "lambda.amazonaws.com", "AWS Internal", "signin.amazonaws.com"]), None
    if roll < 0.95:
        return f"10.0.{rng.randrange(256)}.{rng.randrange(1, 255)}", "vpce-0123456789abcdef0"
    return rng.choice(["035.249.253.232", "redacted", ""]), None


S3_PADDING_TLS = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"}
S3_ACTIONS = ["GetObject", "GetObject", "GetObject", "PutObject", "HeadObject", "ListObjects", "DeleteObject"]


def s3_source(rng, outside):
    roll = rng.random()
    if roll < 0.50:
        return f"192.0.2.{rng.randrange(1, 255)}"
    if roll < 0.70:
        return rng.choice(outside)
    if roll < 0.82:
        return f"2001:db8:1234:{rng.randrange(1, 99):x}::{rng.randrange(1, 9999):x}"
    if roll < 0.88:
        return f"2001:db8:9999::{rng.randrange(1, 9999):x}"
    if roll < 0.96:
        return rng.choice(["athena.amazonaws.com", "glue.amazonaws.com", "AWS Internal"])
    return f"203.0.113.{rng.randrange(1, 255)}"


def s3_event(rng, users, roles, outside, acct, day):
    """One S3 data event as CloudTrail writes it (CloudTrail User Guide, data events)."""
    bucket = f"datalake-{acct[-4:]}"
    key = f"raw/day={day:02d}/part-{rng.getrandbits(64):016x}.parquet"
    roll = rng.random()
    if roll < 0.85:
        name = rng.choice(users)
        ui = {"type": "IAMUser", "principalId": "AIDA" + name.upper().replace("-", ""), "arn": f"arn:aws:iam::{acct}:user/{name}",
              "accountId": acct, "accessKeyId": f"AKIA{rng.getrandbits(64):016X}", "userName": name}
    elif roll < 0.95:
        role = rng.choice(roles)
        ui = {"type": "AssumedRole", "principalId": f"AROA{role.upper()}:session", "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/session",
              "accountId": acct, "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
              "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROA" + role.upper(),
                                                   "arn": f"arn:aws:iam::{acct}:role/{role}", "accountId": acct, "userName": role},
                                 "attributes": {"creationDate": "2024-05-01T00:00:00Z", "mfaAuthenticated": "false"}}}
    else:
        ui = {"type": "AWSService", "invokedBy": "athena.amazonaws.com"}
    action = rng.choice(S3_ACTIONS)
    r = {"eventVersion": "1.10", "userIdentity": ui,
         "eventTime": f"2024-05-{day:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
         "eventSource": "s3.amazonaws.com", "eventName": action, "awsRegion": "eu-west-1",
         "sourceIPAddress": s3_source(rng, outside),
         "userAgent": "[aws-sdk-java/2.25.10 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE]",
         "requestParameters": {"bucketName": bucket, "Host": f"{bucket}.s3.eu-west-1.amazonaws.com", "key": key},
         "responseElements": None,
         "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                 "bytesTransferredIn": 0 if action != "PutObject" else rng.randrange(1, 1 << 24),
                                 "AuthenticationMethod": "AuthHeader",
                                 "x-amz-id-2": f"{rng.getrandbits(256):064x}"[:44] + "=",
                                 "bytesTransferredOut": rng.randrange(1, 1 << 24) if action == "GetObject" else 0},
         "requestID": f"{rng.getrandbits(64):016X}", "eventID": f"{rng.getrandbits(128):032x}",
         "readOnly": action not in ("PutObject", "DeleteObject"),
         "resources": [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
                       {"accountId": acct, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}],
         "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": acct,
         "eventCategory": "Data",
         "tlsDetails": {**S3_PADDING_TLS, "clientProvidedHostHeader": f"{bucket}.s3.eu-west-1.amazonaws.com"}}
    if rng.random() < 0.05:
        r["vpcEndpointId"] = "vpce-0123456789abcdef0"
        r["sourceIPAddress"] = f"10.1.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return r


def generate(directory, gb, seed=7, shape="mix", start=0):
    rng = random.Random(seed)
    # The same principals and addresses for every seed (a doubled input is more of the same
    # organization's traffic); the records themselves follow the seed.
    fixed = random.Random(7)
    users = [f"svc-{i}" for i in range(300 if shape == "mix" else 400)]
    roles = [f"Role{i}" for i in range(200)] + ["AWSServiceRoleForECS"]
    outside = [f"198.51.{fixed.randrange(256)}.{fixed.randrange(1, 255)}" for _ in range(2000)]
    events = [("ec2.amazonaws.com", "DescribeInstances"), ("s3.amazonaws.com", "ListBuckets"), ("sts.amazonaws.com", "GetCallerIdentity"),
              ("monitoring.amazonaws.com", "GetMetricData"), ("iam.amazonaws.com", "ListUsers"), ("kms.amazonaws.com", "Decrypt")]
    target = int(gb * 1e9)
    written = records = 0
    files = start
    while written < target:
        day = 1 + files % 28
        acct = ACCOUNTS[files % len(ACCOUNTS)]
        d = os.path.join(directory, "AWSLogs", acct, "CloudTrail", "eu-west-1", "2024", "05", f"{day:02d}")
        os.makedirs(d, exist_ok=True)
        batch = []
        for _ in range(RECORDS_PER_FILE if shape == "mix" else 0):
            ip, vpce = source(rng, outside)
            es, en = rng.choice(events)
            r = {"eventVersion": "1.09", "userIdentity": identity(rng, users, roles),
                 "eventTime": f"2024-05-{day:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
                 "eventSource": es, "eventName": en, "awsRegion": "eu-west-1", "sourceIPAddress": ip,
                 "eventID": f"{rng.getrandbits(128):032x}", "eventType": "AwsApiCall" if rng.random() > 0.03 else "AwsServiceEvent",
                 "recipientAccountId": acct, **PADDING}
            if vpce:
                r["vpcEndpointId"] = vpce
            batch.append(r)
        if shape == "s3":
            batch = [s3_event(rng, users, roles, outside, acct, day) for _ in range(RECORDS_PER_FILE)]
        text = json.dumps({"Records": batch}, separators=(",", ":")).encode()
        name = os.path.join(d, f"{acct}_CloudTrail_eu-west-1_202405{day:02d}T0000Z_{files:08x}.json.gz")
        with open(name, "wb") as f:
            f.write(gzip.compress(text, compresslevel=6))
        written += len(text)
        files += 1
        records += RECORDS_PER_FILE
    files -= start
    tags = {f"arn:aws:iam::{a}:user/{u}": {"AccessException": "True"} for a in ACCOUNTS for u in users[::2]}
    with open(os.path.join(directory, "..", "tags.json"), "w") as f:
        json.dump(tags, f)
    return files, records, written


# --- the plain-Python baseline: the same replay, written the obvious way ---------------------

def baseline(directory, tags_path):
    nets = [ipaddress.ip_network(c) for c in CIDRS]
    with open(tags_path) as f:
        tags = json.load(f)
    tally = {}
    counts = {"records": 0, "denied": 0, "apart": 0, "skipped": 0}
    for dirpath, _, names in os.walk(directory):
        for n in sorted(names):
            if not n.endswith(".json.gz"):
                continue
            with gzip.open(os.path.join(dirpath, n), "rt") as f:
                doc = json.load(f)
            for r in doc.get("Records", []):
                counts["records"] += 1
                if r.get("eventType", "AwsApiCall") != "AwsApiCall" or r.get("eventSource") == "signin.amazonaws.com":
                    counts["skipped"] += 1
                    continue
                ui = r.get("userIdentity") or {}
                if ui.get("type") != "IAMUser":
                    counts["apart"] += ui.get("type") not in ("AssumedRole", "Root", "FederatedUser")
                    continue
                arn = ui.get("arn")
                tagged = {k.lower(): v for k, v in tags.get(arn, {}).items()}.get("accessexception") == "True"
                src = r.get("sourceIPAddress") or ""
                via = src.endswith(".amazonaws.com") and src not in ("signin.amazonaws.com", "console.amazonaws.com")
                try:
                    ip = ipaddress.ip_address(src)
                except ValueError:
                    ip = None
                if r.get("eventSource") == "sts.amazonaws.com" and r.get("eventName") == "GetCallerIdentity":
                    # No policy denies it (IAM User Guide, GetCallerIdentity): scpctl's evaluator
                    # exempts it too.
                    sid = None
                elif not tagged:
                    sid = "DenyIAMUsersWithoutAccessException"
                elif via:
                    sid = None
                elif r.get("vpcEndpointId"):
                    sid = "DenyIAMUsersOutsideApprovedNetwork"
                elif ip is None:
                    counts["apart"] += 1
                    continue
                elif not any(ip in n for n in nets):
                    sid = "DenyIAMUsersOutsideApprovedNetwork"
                else:
                    sid = None
                p = tally.setdefault((ui.get("accountId"), arn), {"requests": 0, "denied": {}, "outside": {}})
                p["requests"] += 1
                if sid:
                    counts["denied"] += 1
                    p["denied"][sid] = p["denied"].get(sid, 0) + 1
                    if ip is not None and not any(ip in n for n in nets):
                        p["outside"][src] = p["outside"].get(src, 0) + 1
    print(json.dumps({"counts": counts, "principals": len(tally)}))


def measure(cmd, **kw):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss * 1024, proc.returncode


def fmt_bytes(n):
    return f"{n / 2**20:.0f} MiB"


def run_child(label, cmd, out_path=None):
    """Run one measured child; its stdout to `out_path` (or nowhere). A failure stops the bench
    with the child's exit code and where its output is, never with an empty report read later."""
    if out_path:
        with open(out_path, "w") as out:
            wall, rss, code = measure(cmd, stdout=out)
    else:
        wall, rss, code = measure(cmd, stdout=subprocess.DEVNULL)
    if code not in (0, 5):
        sys.exit(f"{label}: exit {code} (its stderr is above{'; its stdout is in ' + out_path if out_path else ''})")
    if out_path:
        # Read in a child: a report of every principal is tens of MB of Python objects, which the
        # next measured child (forked from here) would count in its peak memory.
        read = subprocess.run([sys.executable, "-c", "import json, sys; d = json.load(open(sys.argv[1])); "
                               "print(json.dumps(d.get('totals') or d.get('counts')))", out_path],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if read.returncode != 0 or not read.stdout.strip():
            size = os.path.getsize(out_path)
            sys.exit(f"{label}: exit {code} but its report {out_path} ({size} bytes) is not JSON: {read.stderr.strip()[-300:]}")
        return wall, rss, json.loads(read.stdout)
    return wall, rss, None


def generated(directory, gb, seed, shape, start):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--generate", directory, str(gb), str(seed), shape, str(start)],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return tuple(json.loads(out))


def run_shape(shape, args, work):
    """Generate one shape (two halves), run zcat, scpctl and Python on the first half and
    scpctl on both halves; return what the report needs."""
    base = os.path.join(work, shape)
    # A directory reused (--dir) starts empty: files of an earlier, larger run would otherwise
    # be read too.
    shutil.rmtree(base, ignore_errors=True)
    halves = [os.path.join(base, "a", "trail"), os.path.join(base, "b", "trail")]
    t0 = time.perf_counter()
    # Generated in a child: the children measured below are forked from this process, and a
    # forked child's peak resident set counts the parent's pages it starts with.
    files, records, size = generated(halves[0], args.gb, 7, shape, 0)
    generated(halves[1], args.gb, 8, shape, files)
    compressed = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(halves[0]) for n in ns)
    print(f"{shape}: generated {files} files, {records} records, {size / 1e9:.2f} GB ({compressed / 1e6:.0f} MB gzip), and as much again, in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    config = os.path.join(base, "scpctl.toml")
    with open(config, "w") as f:
        f.write("[network]\ncidrs = " + json.dumps(CIDRS) + "\n")
    tags = os.path.join(base, "a", "tags.json")
    gz = sorted(os.path.join(d, n) for d, _, ns in os.walk(halves[0]) for n in ns)
    listing = os.path.join(base, "files.txt")
    with open(listing, "w") as f:
        f.write("\n".join(gz))
    scpctl = [args.scpctl, "--config", config, "--output", "json", "impact"]
    runs = [
        ("zcat > /dev/null (floor, 1 core)", ["sh", "-c", f"xargs zcat < {listing} > /dev/null"], None),
        (f"scpctl impact ({os.cpu_count()} threads)", scpctl + [halves[0], "--tags-file", tags], os.path.join(base, "scpctl.json")),
        ("Python json + ipaddress (1 process)", [sys.executable, os.path.abspath(__file__), "--baseline", halves[0], tags], os.path.join(base, "python.json")),
    ]
    rows, reports = [], []
    for label, cmd, out_path in runs:
        wall, rss, report = run_child(label, cmd, out_path)
        rows.append((label, wall, rss))
        reports.append(report)
        print(f"{shape}: {label}: {wall:.2f} s, {records / wall:,.0f} records/s, {size / 1e6 / wall:,.0f} MB/s, peak {fmt_bytes(rss)}", file=sys.stderr)
    double_wall, double_rss, _ = run_child("scpctl impact, doubled input", scpctl + halves + ["--tags-file", tags], os.path.join(base, "scpctl2.json"))
    print(f"{shape}: scpctl on the doubled input: {double_wall:.2f} s, peak {fmt_bytes(double_rss)} ({(double_rss / rows[1][2] - 1) * 100:+.0f}%)", file=sys.stderr)
    ours = reports[1]["denied"]
    theirs = reports[2]["denied"]
    if ours != theirs:
        sys.exit(f"{shape}: scpctl reports {ours} would-be-denied requests, the Python baseline {theirs}: not the same work (outputs in {base})")
    return {"shape": shape, "files": files, "records": records, "size": size, "compressed": compressed,
            "rows": rows, "denied": ours, "double": (double_wall, double_rss), "load": os.getloadavg()}


SHAPES = {"mix": "management events, every identity type and source form, about 1.1 KB a record",
          "s3": "S3 data events (nested tlsDetails, additionalEventData, resources, long ids), about 1.5 KB a record"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=2.0, help="uncompressed size to generate per shape (GB; as much again for the doubled input)")
    ap.add_argument("--shape", choices=["mix", "s3", "both"], default="both", help="the record shape(s) to generate and measure")
    ap.add_argument("--dir", help="where to generate (default: a temporary directory)")
    ap.add_argument("--scpctl", default=os.path.join(ROOT, "target/release/scpctl"))
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--write-doc", action="store_true", help="replace the impact section of docs/benchmarks.md")
    ap.add_argument("--baseline", nargs=2, metavar=("DIR", "TAGS"), help=argparse.SUPPRESS)
    ap.add_argument("--generate", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.baseline:
        return baseline(*args.baseline)
    if args.generate:
        d, gb, seed, shape, start = args.generate
        print(json.dumps(generate(d, float(gb), seed=int(seed), shape=shape, start=int(start))))
        return None
    # Before minutes of generation: a missing binary would otherwise fail only at its run.
    if not (os.path.isfile(args.scpctl) and os.access(args.scpctl, os.X_OK)):
        sys.exit(f"{args.scpctl}: no such executable (build it: cargo build --release --locked)")

    work = args.dir or tempfile.mkdtemp(prefix="scpctl-impact-bench-")
    shapes = ["mix", "s3"] if args.shape == "both" else [args.shape]
    results = [run_shape(shape, args, work) for shape in shapes]
    cores = os.cpu_count() or 1
    lines = [
        "<!-- impact:begin -->",
        "## impact: replaying CloudTrail",
        "",
        f"Generated by `bench/impact.py --gb {args.gb:g} --shape {args.shape}` on {time.strftime('%Y-%m-%d')}; machine: {platform.system()} {platform.machine()}, "
        f"{cores} cores (shared with other work while measured), Python {platform.python_version()}; release build. "
        f"Synthetic CloudTrail files of {RECORDS_PER_FILE} records each, gzip level 6. "
        "MB/s are uncompressed megabytes; peak memory is the child's maximum resident set.",
    ]
    for r in results:
        zcat, py = r["rows"][0][1], r["rows"][2][1]
        ours = r["rows"][1]
        lines += [
            "",
            f"### {r['shape']}: {SHAPES[r['shape']]}",
            "",
            f"{r['files']:,} files, {r['records']:,} records, {r['size'] / 1e9:.2f} GB uncompressed, {r['compressed'] / 1e6:.0f} MB compressed. "
            f"Load average (1, 5, 15 min) after these runs: {r['load'][0]:.1f}, {r['load'][1]:.1f}, {r['load'][2]:.1f} on {cores} cores.",
            "",
            "| run | wall time | records/s | MB/s | peak memory | vs zcat | vs Python |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for label, wall, rss in r["rows"]:
            lines.append(f"| {label} | {wall:.2f} s | {r['records'] / wall:,.0f} | {r['size'] / 1e6 / wall:,.0f} | {fmt_bytes(rss)} | {wall / zcat:.2f}x | {py / wall:.1f}x |")
        dwall, drss = r["double"]
        lines += [
            "",
            f"Same would-be-denied count from scpctl and Python: {r['denied']:,} (the script checks). Per core, scpctl is "
            f"{py / (ours[1] * cores):.1f}x the baseline. On the doubled input ({2 * r['records']:,} records) scpctl took {dwall:.2f} s "
            f"with a peak of {fmt_bytes(drss)}: {(drss / ours[2] - 1) * 100:+.0f}% memory for twice the input.",
        ]
    lines += [
        "",
        "\"vs zcat\" is the run's wall time over zcat's (zcat: one core, decompression only); \"vs Python\" is the "
        "baseline's wall time over the run's. The Python baseline is the same replay written the obvious way (gzip, "
        "`json.load`, `ipaddress`, a dict tally), on one core; scpctl uses every core. Ratios between rows measured "
        "seconds apart on a shared machine carry the load's noise.",
        "<!-- impact:end -->",
    ]
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write_doc:
        doc_path = os.path.join(ROOT, "docs", "benchmarks.md")
        doc = open(doc_path).read() if os.path.exists(doc_path) else "# Benchmarks\n"
        if "<!-- impact:begin -->" in doc:
            head, rest = doc.split("<!-- impact:begin -->", 1)
            tail = rest.split("<!-- impact:end -->", 1)[1].lstrip("\n")
            doc = head + section + ("\n" + tail if tail else "")
        else:
            doc = doc.rstrip("\n") + "\n\n" + section
        with open(doc_path, "w") as f:
            f.write(doc)
    if not args.keep and not args.dir:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
