#!/usr/bin/env python3
"""scpctl's benchmarks, side by side with the hand-written baselines (bench/baselines.py).

Run through scripts/bench.sh, which builds the release binaries and installs the emulator.
Writes docs/benchmarks.md (Markdown tables) and prints it.

- deploy speed: `scpctl apply` to 1, 10 and 50 OUs, first run and no-op re-run, against the
  moto emulator behind the fault proxy adding LATENCY ms to every call; baseline: the same work
  as a sequential boto3 script. Wall time (median of REPEAT runs) and API calls (counted by the
  proxy, independently of either tool).
- `exception list` over 1,000 and 10,000 users (baseline: ListUsers then ListUserTags per user,
  sequential; scpctl: GetAccountAuthorizationDetails a page of 1,000 users at a time; scpctl where
  that is denied: ListUserTags per user, 8 at a time) and `--all-accounts` over 20 accounts, same
  method. The sequential baseline at 10,000 users takes about 10 minutes a run: it runs once.
- `--only exceptions` runs only the exception benches and writes their sections alone (to merge
  into docs/benchmarks.md by hand).
- render: wall time of `scpctl validate` for 1k, 10k, 100k CIDRs; peak memory comes from the
  memory bench (a child process per size: a child of this Python process would inherit its
  high-water mark, which exec keeps).
"""
import argparse
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
POLICY = "RestrictIAMUserAccessWithExceptions"
CIDRS = '["192.0.2.0/24", "203.0.113.0/24", "2001:db8:1234::/48"]'


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listening on {port}")


class Emulator:
    """moto on a port it picks, the fault proxy with latency in front of it."""

    def __init__(self, moto, proxy, latency_ms):
        self.moto = subprocess.Popen(
            [moto, "-H", "127.0.0.1", "-p", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in self.moto.stderr:
            m = re.search(r"Running on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        # Keep draining moto's request log so it never blocks.
        import threading

        threading.Thread(target=lambda: [None for _ in self.moto.stderr], daemon=True).start()
        wait_port(self.port)
        self.direct = f"http://127.0.0.1:{self.port}"
        self.proxy = subprocess.Popen(
            [proxy, "--upstream", f"127.0.0.1:{self.port}", "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.proxy.stdout.readline().split()[-1]
        # A second proxy in front of the same emulator, for a caller without
        # iam:GetAccountAuthorizationDetails.
        self.denying = subprocess.Popen(
            [proxy, "--upstream", f"127.0.0.1:{self.port}", "--latency-ms", str(latency_ms),
             "--deny", "GetAccountAuthorizationDetails"],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.denying_url = self.denying.stdout.readline().split()[-1]

    def close(self):
        self.proxy.kill()
        self.denying.kill()
        self.moto.kill()

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(self.direct + "/moto-api/reset", method="POST")).read()

    def counts(self, via=None):
        return json.load(urllib.request.urlopen((via or self.url) + "/__faultproxy/counts"))

    def session(self):
        return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")

    def client(self, name, session=None):
        return (session or self.session()).client(name, endpoint_url=self.direct)

    def env(self, via=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=via or self.url,
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE="/nonexistent",
            AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
            AWS_EC2_METADATA_DISABLED="true",
        )
        return env


def seed_org(emu, n_ous):
    orgs = emu.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    return [
        orgs.create_organizational_unit(ParentId=root, Name=f"ou{i}")["OrganizationalUnit"]["Id"]
        for i in range(n_ous)
    ]


def timed(emu, cmd, via=None):
    """Wall seconds and the proxy's call counts for one command (through the proxy at `via`)."""
    before = emu.counts(via)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=emu.env(via), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    after = emu.counts(via)
    calls = after["total"] - before["total"]
    writes = sum(after["writes"].values()) - sum(before["writes"].values())
    return wall, calls, writes


def median_run(emu, repeat, cmd, via=None):
    """Median wall time over `repeat` runs, with the calls and writes of the first."""
    results = [timed(emu, cmd, via) for _ in range(repeat)]
    return statistics.median(r[0] for r in results), results[0][1], results[0][2]


def fmt(seconds):
    return f"{seconds:.2f} s"


def deploy_bench(emu, scpctl, config, content_file, sizes, repeat, concurrency):
    rows = []
    py = sys.executable
    for n in sizes:
        ous = []

        def fresh():
            emu.reset()
            ous[:] = seed_org(emu, n)
            return []

        def ou_args(flag):
            return [a for ou in ous for a in ((flag, ou) if flag else (ou,))]

        scp_first = []
        base_first = []
        scp_again = []
        base_again = []
        for _ in range(repeat):
            fresh()
            scp_first.append(timed(emu, [scpctl, "--config", config, "apply", "--yes", "--concurrency", str(concurrency)] + ou_args("--ou")))
            scp_again.append(timed(emu, [scpctl, "--config", config, "apply", "--yes", "--concurrency", str(concurrency)] + ou_args("--ou")))
            fresh()
            base_first.append(timed(emu, [py, os.path.join(HERE, "baselines.py"), "apply", POLICY, content_file] + ou_args(None)))
            base_again.append(timed(emu, [py, os.path.join(HERE, "baselines.py"), "apply", POLICY, content_file] + ou_args(None)))

        def med(rs):
            return statistics.median(r[0] for r in rs), rs[0][1], rs[0][2]

        rows.append((n, med(scp_first), med(base_first), med(scp_again), med(base_again)))
    return rows


def seed_users(emu, iam, n, tagged_every=10):
    """`n` users, every 10th tagged (one in five of those with the wrong case), 8 at a time
    straight to the emulator (no latency)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(i):
        tags = []
        if i % tagged_every == 0:
            value = "True" if i % (tagged_every * 5) else "true"
            tags = [{"Key": "AccessException", "Value": value}]
        if tags:
            iam.create_user(UserName=f"user{i:05d}", Tags=tags)
        else:
            iam.create_user(UserName=f"user{i:05d}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))


def member_iam(emu, account):
    creds = emu.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="bench"
    )["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    return emu.client("iam", session)


def exception_bench(emu, scpctl, config, user_sizes, accounts, users_per_account, repeat):
    """Rows per size of one account, and for --all-accounts: (name, (wall, calls, writes), runs)."""
    py = sys.executable
    base = [py, os.path.join(HERE, "baselines.py"), "exception-list"]
    tool = [scpctl, "--config", config, "exception", "list"]
    one = {}
    for users in user_sizes:
        emu.reset()
        seed_users(emu, emu.client("iam"), users)
        # The sequential baseline takes about 1 s per 16 users: at 10,000 users, one run.
        slow = 1 if users >= 10000 else repeat
        one[users] = [
            ("baseline (boto3, sequential ListUserTags)", median_run(emu, slow, base), slow),
            ("scpctl (GetAccountAuthorizationDetails pages)", median_run(emu, repeat, tool), repeat),
            ("scpctl where GetAccountAuthorizationDetails is denied (ListUserTags, 8 at a time)",
             median_run(emu, slow, tool, via=emu.denying_url), slow),
        ]
    emu.reset()
    orgs = emu.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    for i in range(accounts - 1):
        account = orgs.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]["AccountId"]
        seed_users(emu, member_iam(emu, account), users_per_account)
    seed_users(emu, emu.client("iam"), users_per_account)
    every = [
        ("baseline (boto3, sequential)", median_run(emu, repeat, base + ["--all-accounts"]), repeat),
        ("scpctl --all-accounts", median_run(emu, repeat, tool + ["--all-accounts"]), repeat),
        ("scpctl --all-accounts where GetAccountAuthorizationDetails is denied",
         median_run(emu, repeat, tool + ["--all-accounts"], via=emu.denying_url), repeat),
    ]
    return one, every


def exception_sections(w, one, every, accounts, per_account):
    def table(rows):
        w("| run | wall time | API calls | speed-up vs baseline |")
        w("|---|---|---:|---:|")
        base_wall = rows[0][1][0]
        for name, (wall, calls, _), runs in rows:
            note = "" if runs > 1 else " (1 run)"
            w(f"| {name} | {fmt(wall)}{note} | {calls} | {base_wall / wall:.1f}x |")
        w("")

    for users, rows in one.items():
        w(f"## exception list: {users:,} users in one account\n")
        table(rows)
    w(f"## exception list --all-accounts: {accounts} accounts, {per_account} users each\n")
    table(every)


def render_bench(scpctl, sizes, repeat):
    rows = []
    rng = random.Random(7)
    for n in sizes:
        with tempfile.TemporaryDirectory() as d:
            lines = set()
            while len(lines) < n:
                a = rng.randrange(11, 224)
                lines.add(f"{a}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(0, 256, 2)}")
            with open(os.path.join(d, "egress.txt"), "w") as f:
                f.write("\n".join(sorted(lines)) + "\n")
            cfg = os.path.join(d, "scpctl.toml")
            with open(cfg, "w") as f:
                f.write('[network]\ncidr_files = ["egress.txt"]\n')
            walls = []
            for _ in range(repeat):
                start = time.perf_counter()
                subprocess.run([scpctl, "--config", cfg, "validate"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                walls.append(time.perf_counter() - start)
            rows.append((n, statistics.median(walls)))
    return rows


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--scpctl", required=True)
    p.add_argument("--proxy", required=True)
    p.add_argument("--moto", required=True)
    p.add_argument("--capacity", help="capacity table (Markdown) produced by the capacity bench")
    p.add_argument("--memory", help="peak memory table (Markdown) produced by the memory bench")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    p.add_argument("--latency-ms", type=int, default=50)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="small sizes, one run: a smoke test of the script")
    p.add_argument("--only", choices=["exceptions"], help="only these benches, their sections alone")
    args = p.parse_args()

    ou_sizes = [1, 3] if args.quick else [1, 10, 50]
    user_sizes, accounts, per_account = ([50], 3, 5) if args.quick else ([1000, 10000], 20, 25)
    render_sizes = [1000, 10000] if args.quick else [1000, 10000, 100000]
    repeat = 1 if args.quick else args.repeat

    work = tempfile.mkdtemp()
    config = os.path.join(work, "scpctl.toml")
    with open(config, "w") as f:
        f.write(f"[network]\ncidrs = {CIDRS}\n")
    content_file = os.path.join(work, "policy.json")
    with open(content_file, "w") as f:
        f.write(subprocess.run([args.scpctl, "--config", config, "render"], capture_output=True, text=True, check=True).stdout)

    emu = Emulator(args.moto, args.proxy, args.latency_ms)
    try:
        if args.only != "exceptions":
            deploy = deploy_bench(emu, args.scpctl, config, content_file, ou_sizes, repeat, 8)
        one, every = exception_bench(emu, args.scpctl, config, user_sizes, accounts, per_account, repeat)
    finally:
        emu.close()
    out = []
    w = out.append
    if args.only == "exceptions":
        w(f"<!-- bench/run.py --only exceptions on {time.strftime('%Y-%m-%d')}; machine: {machine()} -->\n")
        exception_sections(w, one, every, accounts, per_account)
        text = "\n".join(out) + "\n"
        with open(args.out, "w") as f:
            f.write(text)
        print(text)
        return
    render = render_bench(args.scpctl, render_sizes, repeat)

    w("# Benchmarks\n")
    w(f"Generated by `scripts/bench.sh` on {time.strftime('%Y-%m-%d')}; machine: {machine()}.")
    w(f"AWS is the moto emulator behind `faultproxy --latency-ms {args.latency_ms}`: every call pays {args.latency_ms} ms, as a")
    w("round trip to AWS would. Wall times are medians of "
      f"{repeat} run(s); API calls are counted by the proxy, independently of the tools. The baseline is")
    w("`bench/baselines.py`: the same work as a sequential boto3 script, as users write it by hand.\n")
    w("## apply: deploy speed\n")
    w("| OUs | scpctl first run | baseline first run | speed-up | scpctl no-op re-run | baseline re-run | speed-up |")
    w("|---:|---|---|---:|---|---|---:|")
    for n, sf, bf, sa, ba in deploy:
        w(f"| {n} | {fmt(sf[0])}, {sf[1]} calls ({sf[2]} writes) | {fmt(bf[0])}, {bf[1]} calls ({bf[2]} writes) | "
          f"{bf[0] / sf[0]:.1f}x | {fmt(sa[0])}, {sa[1]} calls ({sa[2]} writes) | {fmt(ba[0])}, {ba[1]} calls ({ba[2]} writes) | {ba[0] / sa[0]:.1f}x |")
    w("")
    exception_sections(w, one, every, accounts, per_account)
    w("## render: time and peak memory\n")
    w("`scpctl validate` (read the CIDR file, parse, validate, aggregate, render, self-check) over scattered")
    w("IPv4 hosts, whole process, start-up included. Lists this long do not fit one SCP; the size error and")
    w("its advice are computed too.\n")
    w("| CIDRs | wall time |")
    w("|---:|---:|")
    for n, wall in render:
        w(f"| {n:,} | {wall * 1000:.0f} ms |")
    w("")
    if args.memory:
        w("Peak memory of build + render in the core (`cargo bench -p scpctl-core --bench memory`: one child")
        w("process per size, VmHWM; an empty child's subtracted in the first column):\n")
        w(open(args.memory).read().strip())
        w("")
    if args.capacity:
        w("## Capacity of one SCP, at 10,240 and at 5,120 characters\n")
        w("`cargo bench -p scpctl-core --bench capacity` (seeded random pools; goal: within 2% of the lower bound).\n")
        w(open(args.capacity).read().strip())
        w("")
    text = "\n".join(out) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
