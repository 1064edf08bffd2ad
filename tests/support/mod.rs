//! Emulator tests' support: a real moto server per test on a free loopback port, the `scpctl`
//! binary pointed at it through the standard AWS environment, and the tests' own SDK clients
//! for seeding and for checking results independently of scpctl's reads.
//!
//! A missing moto server fails the test loudly (never a skip): `scripts/test.sh` installs the
//! pinned version (`localstack/moto.sh install`).

#![allow(dead_code)] // each test binary uses its own part of this module

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_organizations::config::Credentials;
use aws_sdk_organizations::types::PolicyType;
use tempfile::TempDir;

pub const SCP_NAME: &str = "RestrictIAMUserAccessWithExceptions";
pub const CIDRS: &str = r#"["192.0.2.0/24", "203.0.113.0/24", "2001:db8:1234::/48"]"#;

fn moto_server() -> PathBuf {
    let path = std::env::var_os("SCPCTL_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server"));
    assert!(
        path.exists(),
        "the moto server emulator is not installed at {}: run scripts/test.sh, which installs it \
         (or localstack/moto.sh install). Emulator tests never skip.",
        path.display()
    );
    path
}

/// The Python beside the moto server (its venv has boto3), for the demo seeding script.
pub fn emulator_python() -> PathBuf {
    moto_server().with_file_name("python")
}

/// One moto server with fresh state, stopped when dropped.
pub struct Emulator {
    child: Child,
    pub endpoint: String,
    pub rt: tokio::runtime::Runtime,
    pub orgs: aws_sdk_organizations::Client,
    pub iam: aws_sdk_iam::Client,
    _home: TempDir,
}

impl Emulator {
    pub fn start() -> Emulator {
        use std::io::BufRead;
        let bin = moto_server();
        // Port 0: the server picks a free port itself and prints it, so two tests can never
        // race for the same port (a probe-then-bind would).
        let mut child = Process::new(&bin)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining: the server logs every request to stderr.
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(rest) = line.split("Running on http://127.0.0.1:").nth(1) {
                    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let _ = tx.send(port.parse::<u16>().ok());
                }
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(port)) => port,
            other => {
                let _ = child.kill();
                panic!("moto server did not report its port: {other:?}");
            }
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto server not reachable on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Emulator::connect(child, port)
    }

    fn connect(child: Child, port: u16) -> Emulator {
        let endpoint = format!("http://127.0.0.1:{port}");
        let rt = tokio::runtime::Runtime::new().unwrap();
        let config = rt.block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
                .region(Region::new("us-east-1"))
                .endpoint_url(&endpoint)
                .load(),
        );
        Emulator {
            child,
            endpoint,
            orgs: aws_sdk_organizations::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            rt,
            _home: TempDir::new().unwrap(),
        }
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// `scpctl` with only the standard AWS environment pointing at this emulator: no profile,
    /// config or credentials file of the machine can leak in.
    pub fn scpctl(&self) -> Command {
        let mut cmd = Command::cargo_bin("scpctl").unwrap();
        for (key, _) in std::env::vars() {
            if key.starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        let nowhere = self._home.path().join("none");
        cmd.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", &nowhere)
            .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A demo organization: root, `n` OUs under it, one member account in the first OU.
pub struct Org {
    pub root: String,
    pub ous: Vec<String>,
    pub account: String,
}

pub fn seed_org(emu: &Emulator, n_ous: usize) -> Org {
    emu.block_on(async {
        let orgs = &emu.orgs;
        orgs.create_organization().send().await.unwrap();
        let root = orgs.list_roots().send().await.unwrap().roots()[0]
            .id()
            .unwrap()
            .to_string();
        let mut ous = Vec::new();
        for i in 0..n_ous {
            let ou = orgs
                .create_organizational_unit()
                .parent_id(&root)
                .name(format!("ou{i}"))
                .send()
                .await
                .unwrap();
            ous.push(ou.organizational_unit().unwrap().id().unwrap().to_string());
        }
        let created = orgs
            .create_account()
            .account_name("member")
            .email("member@example.com")
            .send()
            .await
            .unwrap();
        let account = created
            .create_account_status()
            .unwrap()
            .account_id()
            .unwrap()
            .to_string();
        Org { root, ous, account }
    })
}

/// SCPs named `name` (checked with the tests' own client).
pub fn policies_named(emu: &Emulator, name: &str) -> Vec<String> {
    emu.block_on(async {
        let pages = emu
            .orgs
            .list_policies()
            .filter(PolicyType::ServiceControlPolicy)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .unwrap();
        pages
            .iter()
            .flat_map(|p| p.policies())
            .filter(|p| p.name() == Some(name))
            .map(|p| p.id().unwrap().to_string())
            .collect()
    })
}

/// Names of the SCPs attached directly to a target.
pub fn attached_names(emu: &Emulator, target: &str) -> Vec<String> {
    emu.block_on(async {
        let out = emu
            .orgs
            .list_policies_for_target()
            .target_id(target)
            .filter(PolicyType::ServiceControlPolicy)
            .send()
            .await
            .unwrap();
        let mut names: Vec<String> = out
            .policies()
            .iter()
            .map(|p| p.name().unwrap().to_string())
            .collect();
        names.sort();
        names
    })
}

pub fn policy_content(emu: &Emulator, id: &str) -> String {
    emu.block_on(async {
        let out = emu
            .orgs
            .describe_policy()
            .policy_id(id)
            .send()
            .await
            .unwrap();
        out.policy().unwrap().content().unwrap().to_string()
    })
}

/// A project dir with `scpctl.toml` listing `cidrs` (a TOML array).
pub fn project(cidrs: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("scpctl.toml");
    std::fs::write(&path, format!("[network]\ncidrs = {cidrs}\n")).unwrap();
    (dir, path)
}

pub fn stdout_json(a: &assert_cmd::assert::Assert) -> serde_json::Value {
    let out = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {out}"))
}

pub fn stderr_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

/// Progress bars are drawn only on a terminal: a test's stderr (a pipe) holds no carriage
/// return, no terminal escape and no bar.
pub fn assert_no_progress(stderr: &str) {
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b') && !stderr.contains("=>"),
        "progress output on a stderr that is not a terminal: {stderr:?}"
    );
}

pub fn stdout_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).to_string()
}

/// The `action` of each change in a plan/apply JSON document.
pub fn actions(doc: &serde_json::Value) -> Vec<String> {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap().to_string())
        .collect()
}

/// Write operations in an `api_calls` map ([`faultproxy::is_write`]).
pub fn writes(doc: &serde_json::Value) -> Vec<String> {
    doc["api_calls"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| faultproxy::is_write(k))
        .cloned()
        .collect()
}

/// An IAM client acting in `account`, through STS AssumeRole as scpctl does (moto keeps one
/// IAM state per account id).
pub fn member_iam(emu: &Emulator, account: &str) -> aws_sdk_iam::Client {
    emu.block_on(async {
        let base = aws_config::defaults(BehaviorVersion::latest())
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .region(Region::new("us-east-1"))
            .endpoint_url(&emu.endpoint)
            .load()
            .await;
        let sts = aws_sdk_sts::Client::new(&base);
        let out = sts
            .assume_role()
            .role_arn(format!(
                "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
            ))
            .role_session_name("tests")
            .send()
            .await
            .unwrap();
        let c = out.credentials().unwrap();
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "assumed",
        );
        let config = base
            .to_builder()
            .credentials_provider(
                aws_sdk_organizations::config::SharedCredentialsProvider::new(creds),
            )
            .build();
        aws_sdk_iam::Client::new(&config)
    })
}

/// Create a user with tags.
pub fn create_user(emu: &Emulator, iam: &aws_sdk_iam::Client, user: &str, tags: &[(&str, &str)]) {
    emu.block_on(async {
        iam.create_user().user_name(user).send().await.unwrap();
        for (k, v) in tags {
            let tag = aws_sdk_iam::types::Tag::builder()
                .key(*k)
                .value(*v)
                .build()
                .unwrap();
            iam.tag_user()
                .user_name(user)
                .tags(tag)
                .send()
                .await
                .unwrap();
        }
    })
}

/// A user's tags, sorted.
pub fn user_tags(emu: &Emulator, iam: &aws_sdk_iam::Client, user: &str) -> Vec<(String, String)> {
    emu.block_on(async {
        let out = iam.list_user_tags().user_name(user).send().await.unwrap();
        let mut tags: Vec<(String, String)> = out
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        tags.sort();
        tags
    })
}

impl Emulator {
    /// The emulator's address, for a fault proxy in front of it.
    pub fn upstream(&self) -> std::net::SocketAddr {
        self.endpoint.trim_start_matches("http://").parse().unwrap()
    }

    /// A fault proxy in front of this emulator (strict by default), on the tests' runtime.
    pub fn proxy(&self) -> faultproxy::Proxy {
        self.proxy_with(faultproxy::Limits::default())
    }

    /// A strict proxy enforcing these quotas (an organization on other figures than scpctl's).
    pub fn proxy_with(&self, limits: faultproxy::Limits) -> faultproxy::Proxy {
        let mut config = faultproxy::Config::new(self.upstream());
        config.limits = limits;
        self.block_on(faultproxy::Proxy::start(config)).unwrap()
    }

    /// `scpctl` pointed at a proxy instead of the emulator.
    pub fn scpctl_via(&self, proxy: &faultproxy::Proxy) -> Command {
        let mut cmd = self.scpctl();
        cmd.env("AWS_ENDPOINT_URL", proxy.url());
        cmd
    }

    /// Forget all state (moto's `/moto-api/reset`).
    pub fn reset(&self) {
        use std::io::{Read, Write};
        let mut s = TcpStream::connect(self.upstream()).unwrap();
        write!(
            s,
            "POST /moto-api/reset HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.upstream()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    }
}

/// An organization with `n` member accounts (no OUs); their ids.
pub fn seed_members(emu: &Emulator, n: usize) -> Vec<String> {
    emu.block_on(async {
        emu.orgs.create_organization().send().await.unwrap();
        let mut members = Vec::new();
        for i in 0..n {
            let out = emu
                .orgs
                .create_account()
                .account_name(format!("m{i}"))
                .email(format!("m{i}@example.com"))
                .send()
                .await
                .unwrap();
            let status = out.create_account_status().unwrap();
            members.push(status.account_id().unwrap().to_string());
        }
        members
    })
}
