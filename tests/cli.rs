//! The `scpctl` binary as a user runs it: outputs, exit codes, messages, files written or not.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

const SEED_CIDRS: &str = r#"["192.0.2.0/24", "203.0.113.0/24", "2001:db8:1234::/48"]"#;

fn scpctl() -> Command {
    Command::cargo_bin("scpctl").unwrap()
}

/// A temp dir with `scpctl.toml` holding `text`.
fn project(text: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("scpctl.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn network(cidrs: &str) -> String {
    format!("[network]\ncidrs = {cidrs}\n")
}

fn run(config: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    scpctl().arg("--config").arg(config).args(args).assert()
}

/// `scpctl simulate` for an IAM user with the given exception tag value and source address.
fn simulate_user(
    config: &Path,
    tag_value: &str,
    source_ip: Option<&str>,
) -> assert_cmd::assert::Assert {
    let tag = format!("AccessException={tag_value}");
    let mut args = vec!["simulate", "--principal-type", "User", "--tag", &tag];
    if let Some(ip) = source_ip {
        args.extend(["--source-ip", ip]);
    }
    run(config, &args)
}

fn stdout_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

#[test]
fn renders_the_example_config_as_compact_json() {
    let a = scpctl()
        .args(["--config", "examples/scpctl.toml", "render"])
        .assert()
        .success();
    let out = stdout_of(&a);
    assert_eq!(out.lines().count(), 1, "compact: one line");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        doc["Statement"][0]["Sid"],
        "DenyIAMUsersWithoutAccessException"
    );
    assert_eq!(
        doc["Statement"][1]["Condition"]["NotIpAddress"]["aws:SourceIp"][2],
        "2001:db8:1234::/48"
    );
    // The example uses documentation ranges: the user is warned on stderr.
    a.stderr(
        predicate::str::contains("documentation range")
            .and(predicate::str::contains("560 of 10,240 characters")),
    );
}

#[test]
fn output_is_deterministic_whatever_the_input_order() {
    let (_d1, c1) = project(&network(
        r#"["2001:db8:1234::/48", "203.0.113.0/24", "192.0.2.0/25", "192.0.2.128/25"]"#,
    ));
    let (_d2, c2) = project(&network(SEED_CIDRS));
    let a = stdout_of(&run(&c1, &["render"]).success());
    let b = stdout_of(&run(&c2, &["render"]).success());
    assert_eq!(a, b);
    let pretty = stdout_of(&run(&c1, &["render", "--pretty"]).success());
    assert!(pretty.lines().count() > 30);
    let reparsed: serde_json::Value = serde_json::from_str(&pretty).unwrap();
    assert_eq!(serde_json::to_string(&reparsed).unwrap() + "\n", a);
}

#[test]
fn renders_identity_policy_and_iac_formats() {
    let (_d, c) = project(&network(SEED_CIDRS));
    let out = stdout_of(&run(&c, &["render", "--kind", "identity"]).success());
    assert!(out.contains(r#""Sid":"DenyAccessOutsideEnterpriseNetwork""#));
    assert!(!out.contains("PrincipalTag"));
    run(&c, &["render", "--format", "terraform"])
        .success()
        .stdout(predicate::str::contains(
            "resource \"aws_organizations_policy\" \"restrict_iam_user_access_with_exceptions\"",
        ));
    run(
        &c,
        &["render", "--kind", "identity", "--format", "terraform"],
    )
    .success()
    .stdout(predicate::str::contains("resource \"aws_iam_policy\""));
    let cfn = stdout_of(&run(&c, &["render", "--format", "cloudformation"]).success());
    let cfn: serde_json::Value = serde_json::from_str(&cfn).unwrap();
    assert_eq!(
        cfn["Resources"]["RestrictIAMUserAccessWithExceptions"]["Type"],
        "AWS::Organizations::Policy"
    );
}

#[test]
fn bad_values_are_named_with_file_line_and_column_and_nothing_is_printed() {
    let (_d, c) = project(
        "[network]\ncidrs = [\n  \"192.0.2.0/24\",\n  \"192.0.2.300/24\",\n  \"10.0.0.1/8\",\n]\n",
    );
    let a = run(&c, &["render"]).failure().code(1).stdout("");
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("scpctl.toml:4:4: invalid CIDR \"192.0.2.300/24\""),
        "{err}"
    );
    assert!(
        err.contains(
            "scpctl.toml:5:4: \"10.0.0.1/8\" has host bits set; the network is 10.0.0.0/8"
        ),
        "{err}"
    );
}

#[test]
fn normalising_host_bits_is_opt_in() {
    let (_d, c) = project("[network]\ncidrs = [\"198.51.100.9/24\"]\nnormalize_host_bits = true\n");
    run(&c, &["render"])
        .success()
        .stdout(predicate::str::contains(
            r#""aws:SourceIp":"198.51.100.0/24""#,
        ));
}

#[test]
fn refusals_exit_1_with_a_reason() {
    let cases: [(&str, &str); 6] = [
        (
            "[network]\ncidrs = []\n",
            "an empty list would deny every tagged IAM user everywhere",
        ),
        ("[policy]\nname = \"x\"\n", "missing [network] table"),
        (
            "[network]\ncidrs = [\"0.0.0.0/0\"]\n",
            "matches every address",
        ),
        ("[network]\ncidrs = [\"::/0\"]\n", "matches every address"),
        (
            "[network]\ncidrs = [\"2001:db8::/129\"]\n",
            "/129 is longer than the /128",
        ),
        ("[network\ncidrs = []\n", "scpctl.toml:1:"),
    ];
    for (text, expected) in cases {
        let (_d, c) = project(text);
        run(&c, &["render"])
            .failure()
            .code(1)
            .stdout("")
            .stderr(predicate::str::contains(expected));
    }
}

#[test]
fn missing_config_names_its_path() {
    scpctl()
        .args(["--config", "/nonexistent/scpctl.toml", "render"])
        .assert()
        .failure()
        .code(1)
        .stderr(predicate::str::contains(
            "config file /nonexistent/scpctl.toml not found",
        ));
}

#[test]
fn private_ranges_warn_but_render() {
    let (_d, c) = project(&network(r#"["10.20.0.0/16", "198.51.100.0/24"]"#));
    run(&c, &["render"]).success().stderr(
        predicate::str::contains("10.20.0.0/16 is (or overlaps) a private RFC 1918 range")
            .and(predicate::str::contains("aws:SourceIp never holds")),
    );
}

#[test]
fn cidr_files_are_read_relative_to_the_config_with_line_numbers() {
    let (d, c) = project("[network]\ncidr_files = [\"egress.txt\"]\n");
    std::fs::write(
        d.path().join("egress.txt"),
        "# exported from IPAM\n198.51.100.0/24 # HQ\n\n2001:db8:42::/48\n",
    )
    .unwrap();
    run(&c, &["render"])
        .success()
        .stdout(predicate::str::contains(
            r#"["198.51.100.0/24","2001:db8:42::/48"]"#,
        ));
    std::fs::write(d.path().join("egress.txt"), "198.51.100.0/24\nnot-a-cidr\n").unwrap();
    run(&c, &["render"])
        .failure()
        .stderr(predicate::str::contains(
            "egress.txt:2: invalid CIDR \"not-a-cidr\"",
        ));
    std::fs::remove_file(d.path().join("egress.txt")).unwrap();
    run(&c, &["render"]).failure().stderr(
        predicate::str::contains("scpctl.toml:2:16: cidr_files entry \"egress.txt\"")
            .and(predicate::str::contains("not found")),
    );
}

/// Scattered /32s: every other address, so nothing aggregates.
fn scattered(n: u32) -> String {
    let list: Vec<String> = (0..n)
        .map(|i| format!("\"{}\"", std::net::Ipv4Addr::from(0x0b00_0000 + 2 * i)))
        .collect();
    network(&format!("[{}]", list.join(",")))
}

#[test]
fn too_large_fails_loudly_and_writes_nothing() {
    let (d, c) = project(&scattered(1200));
    let out = d.path().join("out");
    run(&c, &["render", "--out-dir", out.to_str().unwrap()])
        .failure()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains("over the limit of 10240 ([limits] scp_max_chars)")
                .and(predicate::str::contains("1200 CIDR entries")),
        );
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
    run(&c, &["validate"])
        .failure()
        .code(1)
        .stdout(predicate::str::contains("2 errors"));
    run(&c, &["validate", "--kind", "scp"])
        .failure()
        .code(1)
        .stdout(predicate::str::contains("1 error,"));
}

#[test]
fn split_statements_needs_out_dir_and_writes_both_documents() {
    let (d, c) = project(&network(SEED_CIDRS));
    run(&c, &["render", "--split-statements"]).failure().code(2);
    let out = d.path().join("policies");
    run(
        &c,
        &[
            "render",
            "--split-statements",
            "--out-dir",
            out.to_str().unwrap(),
        ],
    )
    .success()
    .stderr(predicate::str::contains("attach both to the same targets"));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "RestrictIAMUserAccessWithExceptions-Network.json",
            "RestrictIAMUserAccessWithExceptions-Untagged.json"
        ]
    );
}

#[test]
fn validate_reports_sizes_and_warnings_as_text_and_json() {
    let (_d, c) = project(&network(
        r#"["10.0.0.0/8", "198.51.100.0/25", "198.51.100.128/25"]"#,
    ));
    run(&c, &["validate"]).success().stdout(
        predicate::str::contains("3 CIDRs given, 2 after lossless aggregation")
            .and(predicate::str::contains("of 10,240 characters")),
    );
    let a = run(&c, &["--output", "json", "validate"]).success();
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["cidrs"]["aggregated"], 2);
    assert_eq!(report["warnings"][0]["value"], "10.0.0.0/8");
    assert_eq!(report["policies"][0]["limit"], 10240);
    assert_eq!(report["policies"][1]["limit"], 6144);
    // An invalid config still gives scripts one JSON document, with every error.
    let (_d, bad) = project(&network(r#"["x", "192.0.2.1/24"]"#));
    let a = run(&bad, &["--output", "json", "validate"])
        .failure()
        .code(1);
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["errors"].as_array().unwrap().len(), 2);
}

#[test]
fn init_writes_a_valid_starter_and_never_overwrites() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("new.toml");
    scpctl().arg("init").arg(&path).assert().success();
    run(&path, &["validate"]).success();
    std::fs::write(&path, "# mine\n").unwrap();
    scpctl()
        .arg("init")
        .arg(&path)
        .assert()
        .failure()
        .code(1)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
}

#[test]
fn simulate_explains_one_request() {
    let (_d, c) = project(&network(SEED_CIDRS));
    simulate_user(&c, "True", Some("198.51.100.7"))
        .success()
        .stdout(
            predicate::str::starts_with("DENIED by DenyIAMUsersOutsideApprovedNetwork").and(
                predicate::str::contains("[match] NotIpAddress aws:SourceIp"),
            ),
        );
    simulate_user(&c, "True", Some("2001:db8:1234::9"))
        .success()
        .stdout(
            predicate::str::starts_with("NOT DENIED")
                .and(predicate::str::contains("An SCP never grants access")),
        );
    simulate_user(&c, "true", Some("192.0.2.9"))
        .success()
        .stdout(predicate::str::starts_with(
            "DENIED by DenyIAMUsersWithoutAccessException",
        ));
    // No --source-ip: a VPC endpoint request, where aws:SourceIp is absent.
    simulate_user(&c, "True", None).success().stdout(
        predicate::str::starts_with("DENIED by DenyIAMUsersOutsideApprovedNetwork")
            .and(predicate::str::contains("(request: absent)")),
    );
    let a = run(
        &c,
        &[
            "--output",
            "json",
            "simulate",
            "--principal-type",
            "AssumedRole",
            "--source-ip",
            "198.51.100.7",
        ],
    )
    .success();
    let d: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(d["denied"], false);
    assert_eq!(d["statement"], serde_json::Value::Null);
    let a = run(
        &c,
        &[
            "--output",
            "json",
            "simulate",
            "--kind",
            "identity",
            "--principal-type",
            "User",
            "--source-ip",
            "198.51.100.7",
        ],
    )
    .success();
    let d: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(d["statement"], "DenyAccessOutsideEnterpriseNetwork");
}

/// IAM compares tag key names ignoring case (`aws:PrincipalTag/AccessException` matches a tag
/// `accessexception`), values case-sensitively.
#[test]
fn simulate_matches_the_tag_key_in_any_case_but_the_value_exactly() {
    let (_d, c) = project(&network(SEED_CIDRS));
    let tag = |t: &str| {
        run(
            &c,
            &[
                "simulate",
                "--principal-type",
                "User",
                "--tag",
                t,
                "--source-ip",
                "192.0.2.9",
            ],
        )
        .success()
    };
    for t in ["accessexception=True", "ACCESSEXCEPTION=True"] {
        tag(t).stdout(predicate::str::starts_with("NOT DENIED"));
    }
    tag("AccessException=true").stdout(predicate::str::starts_with(
        "DENIED by DenyIAMUsersWithoutAccessException",
    ));
    tag("accessexception=true").stdout(predicate::str::starts_with(
        "DENIED by DenyIAMUsersWithoutAccessException",
    ));
}

#[test]
fn simulate_rejects_bad_flags() {
    let (_d, c) = project(&network(SEED_CIDRS));
    run(
        &c,
        &[
            "simulate",
            "--principal-type",
            "User",
            "--source-ip",
            "300.1.1.1",
        ],
    )
    .failure()
    .code(2)
    .stderr(predicate::str::contains("300.1.1.1"));
    run(&c, &["simulate", "--principal-type", "Robot"])
        .failure()
        .code(2);
    run(
        &c,
        &["simulate", "--principal-type", "User", "--tag", "novalue"],
    )
    .failure()
    .code(2)
    .stderr(predicate::str::contains("KEY=VALUE"));
    run(&c, &["simulate"]).failure().code(2);
}

#[test]
fn simulate_scenario_agrees_with_the_guide() {
    let a = scpctl()
        .args(["--config", "examples/scpctl.toml", "simulate", "--scenario"])
        .assert()
        .success();
    let out = stdout_of(&a);
    assert!(out.contains("13 of 13 rows agree with the guide."), "{out}");
    assert!(
        out.contains("§4.6 step 3") && out.contains("wrong case") && out.contains("VPC endpoint")
    );
    let a = scpctl()
        .args([
            "--config",
            "examples/scpctl.toml",
            "--output",
            "json",
            "simulate",
            "--scenario",
            "--kind",
            "identity",
        ])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert!(v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["agrees"] == true));
}

#[test]
fn simulate_scenario_flags_a_hand_edited_policy_that_differs() {
    let (d, c) = project(&network(SEED_CIDRS));
    // Only statement 1: tagged users are no longer held to the network.
    let policy = d.path().join("p.json");
    std::fs::write(&policy, r#"{"Version":"2012-10-17","Statement":[{"Sid":"Only1","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"User"},"StringNotEquals":{"aws:PrincipalTag/AccessException":"True"}}}]}"#).unwrap();
    run(
        &c,
        &[
            "simulate",
            "--scenario",
            "--policy",
            policy.to_str().unwrap(),
        ],
    )
    .failure()
    .code(3)
    .stdout(predicate::str::contains("<-- differs"));
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Condition":{"NumericLessThen":{"a":"1"}}}}"#,
    )
    .unwrap();
    run(
        &c,
        &[
            "simulate",
            "--principal-type",
            "User",
            "--policy",
            policy.to_str().unwrap(),
        ],
    )
    .failure()
    .code(1)
    .stderr(predicate::str::contains(
        "unknown condition operator \"NumericLessThen\"",
    ));
}

const FULL_ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"FullAWSAccess","Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const REGION_DENY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyOtherRegions","Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/BreakGlass"}}}]}"#;
const STORAGE_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"StorageOnly","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

/// A temp dir holding the given policy files.
fn policies(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn simulate_files(args: &[&str]) -> assert_cmd::assert::Assert {
    // No config is needed when the policies are files.
    scpctl()
        .args(["--config", "/nonexistent/scpctl.toml", "simulate"])
        .args(args)
        .assert()
}

#[test]
fn simulate_several_policies_names_the_file_and_sid() {
    let d = policies(&[
        ("a-full.json", FULL_ACCESS),
        ("b-regions.json", REGION_DENY),
        ("notes.txt", "ignored"),
    ]);
    let full = d.path().join("a-full.json");
    let regions = d.path().join("b-regions.json");
    let (full, regions) = (full.to_str().unwrap(), regions.to_str().unwrap());
    let far = [
        "--action",
        "ec2:RunInstances",
        "--context",
        "aws:RequestedRegion=us-east-1",
    ];
    let mut args = vec!["--policy", full, "--policy", regions];
    args.extend(far);
    simulate_files(&args).success().stdout(
        predicate::str::starts_with(format!("DENIED by DenyOtherRegions in {regions}")).and(
            predicate::str::contains("[match] StringNotEquals aws:RequestedRegion"),
        ),
    );
    // The same from the directory, as one JSON document.
    let dir = d.path().to_str().unwrap();
    let mut args = vec!["--policy-dir", dir];
    args.extend(far);
    let a = scpctl()
        .args([
            "--config",
            "/nonexistent/scpctl.toml",
            "--output",
            "json",
            "simulate",
        ])
        .args(&args)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(v["denied"], true);
    assert_eq!(v["statement"], "DenyOtherRegions");
    assert_eq!(v["policy"], regions);
    assert_eq!(
        v["policies"].as_array().unwrap().len(),
        2,
        "notes.txt is not a policy"
    );
    // The break-glass role and a global service are not denied.
    simulate_files(
        &[
            &[
                "--policy-dir",
                dir,
                "--principal-arn",
                "arn:aws:iam::111122223333:role/BreakGlass",
            ][..],
            &far[..],
        ]
        .concat(),
    )
    .success()
    .stdout(predicate::str::starts_with("NOT DENIED"));
    simulate_files(&[
        "--policy-dir",
        dir,
        "--action",
        "iam:CreateRole",
        "--context",
        "aws:RequestedRegion=us-east-1",
    ])
    .success()
    .stdout(predicate::str::starts_with("NOT DENIED"));
}

#[test]
fn simulate_an_scp_chain_denies_where_a_level_allows_nothing() {
    let d = policies(&[
        ("root.json", FULL_ACCESS),
        ("regions.json", REGION_DENY),
        ("ou.json", STORAGE_ONLY),
        ("account.json", FULL_ACCESS),
    ]);
    let p = |f: &str| d.path().join(f).to_str().unwrap().to_string();
    let chain = format!(
        "{}+{},{},{}",
        p("root.json"),
        p("regions.json"),
        p("ou.json"),
        p("account.json")
    );
    let eu = ["--context", "aws:RequestedRegion=eu-west-1"];
    simulate_files(
        &[
            &["--scp-chain", &chain, "--action", "s3:GetObject"][..],
            &eu[..],
        ]
        .concat(),
    )
    .success()
    .stdout(predicate::str::starts_with("NOT DENIED"));
    simulate_files(
        &[
            &["--scp-chain", &chain, "--action", "ec2:RunInstances"][..],
            &eu[..],
        ]
        .concat(),
    )
    .success()
    .stdout(predicate::str::starts_with(
        "DENIED: implicit deny: no Allow statement matches at level ou-1",
    ));
    // SCPs do not apply to the management account, nor to service-linked roles: the rule is named.
    simulate_files(&[
        "--scp-chain",
        &chain,
        "--action",
        "ec2:RunInstances",
        "--management-account",
    ])
    .success()
    .stdout(
        predicate::str::starts_with("NOT DENIED")
            .and(predicate::str::contains("management account")),
    );
    simulate_files(&[
        "--scp-chain",
        &chain,
        "--action",
        "ec2:RunInstances",
        "--principal-arn",
        "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
    ])
    .success()
    .stdout(predicate::str::starts_with("NOT DENIED").and(predicate::str::contains("service-linked roles")));
}

#[test]
fn simulate_matches_resources() {
    let d = policies(&[(
        "secret.json",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secret-*/*"}]}"#,
    )]);
    let f = d.path().join("secret.json");
    let f = f.to_str().unwrap();
    simulate_files(&[
        "--policy",
        f,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::secret-hr/a.csv",
    ])
    .success()
    .stdout(predicate::str::starts_with("DENIED by NoSecrets"));
    simulate_files(&["--policy", f, "--action", "s3:GetObject"])
        .success()
        .stdout(
            predicate::str::starts_with("NOT DENIED")
                .and(predicate::str::contains("no resource given")),
        );
}

#[test]
fn simulate_refuses_what_iam_refuses_and_bad_request_values() {
    let d = policies(&[
        (
            "prefix.json",
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Odd","Effect":"Deny","Action":"*:GetBucket","Resource":"*"}]}"#,
        ),
        (
            "old.json",
            r#"{"Statement":[{"Sid":"Old","Effect":"Deny","Action":"*","Resource":"*"}]}"#,
        ),
    ]);
    let f = |n: &str| d.path().join(n).to_str().unwrap().to_string();
    simulate_files(&["--policy", &f("prefix.json")])
        .failure()
        .code(1)
        .stderr(predicate::str::contains("prefix.json").and(predicate::str::contains("statement Odd: Action: action \"*:GetBucket\" has a wildcard in its service prefix")));
    simulate_files(&["--policy", &f("old.json")])
        .failure()
        .code(1)
        .stderr(
            predicate::str::contains("old.json").and(predicate::str::contains(
                "needs \"Version\": \"2012-10-17\"",
            )),
        );
    // As an identity policy, no Version is 2008-10-17: accepted.
    simulate_files(&["--kind", "identity", "--policy", &f("old.json")])
        .success()
        .stdout(predicate::str::starts_with("DENIED by Old"));
    simulate_files(&["--policy", &f("old.json"), "--context", "aws:SourceIp=abc"])
        .failure()
        .code(2)
        .stderr(predicate::str::contains("aws:SourceIp").and(predicate::str::contains("abc")));
    simulate_files(&[
        "--policy",
        &f("old.json"),
        "--context",
        "aws:CurrentTime=noon",
    ])
    .failure()
    .code(2);
    simulate_files(&["--policy", &f("old.json"), "--principal-arn", "BreakGlass"])
        .failure()
        .code(2);
    simulate_files(&["--policy-dir", d.path().join("none").to_str().unwrap()])
        .failure()
        .code(1);
}

#[test]
fn help_explains_who_is_affected() {
    scpctl().arg("--help").assert().success().stdout(
        predicate::str::contains("IAM roles and IAM Identity Center").and(
            predicate::str::contains("never restrict the management account"),
        ),
    );
    for cmd in ["render", "validate", "init", "simulate"] {
        scpctl().args([cmd, "--help"]).assert().success();
    }
}

#[test]
fn detach_help_speaks_of_detaching_only() {
    let a = scpctl().args(["detach", "--help"]).assert().success();
    let help = stdout_of(&a);
    assert!(help.contains("Detach the managed SCP"), "{help}");
    let attach_lines: Vec<&str> = help
        .lines()
        .filter(|l| l.to_lowercase().replace("detach", "").contains("attach"))
        .collect();
    assert!(attach_lines.is_empty(), "{attach_lines:?}");
}

/// The README's `exception grant` examples hold values a grant accepts: no comma in a tag value,
/// an `--expires` that does not go stale (a date in the past would be refused).
#[test]
fn readme_grant_examples_hold_values_a_grant_accepts() {
    use scpctl_core::exception::Date;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let today = Date::from_unix_days(40_000); // 2079: a fixed date may not be in the past then
    let mut seen = 0;
    for line in readme
        .lines()
        .filter(|l| l.trim_start().starts_with("scpctl exception grant "))
    {
        if let Some(rest) = line.split("--reason \"").nth(1) {
            let reason = rest.split('"').next().unwrap();
            scpctl_core::tags::validate_value(reason).unwrap_or_else(|e| panic!("{line}: {e}"));
        }
        if let Some(rest) = line.split("--expires ").nth(1) {
            let value = rest.split_whitespace().next().unwrap();
            let d = Date::parse_expires(value, today).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert!(d >= today, "{line}: {d} goes stale");
        }
        seen += 1;
    }
    assert!(seen > 0, "no grant example found in the README");
}

/// Every network flag of `simulate` means exactly the key it names: on a grid of addresses, listed
/// and unlisted VPCs and endpoints, Regions and calls via a service, the flags and the same keys
/// given with `--context` give the same verdict, and each key holds one value.
#[test]
fn simulate_network_flags_equal_the_same_keys_given_as_context() {
    let (_dir, config) = project(
        r#"[network]
cidrs = ["198.51.100.0/24", "2001:db8:1234::/48"]
vpcs = [{ id = "vpc-0a1b2c3d", regions = ["eu-west-1", "eu-central-1"] }]
vpc_endpoints = ["vpce-0a1b2c3d4e5f67890"]
"#,
    );
    // (flag, --context key, value): one request's network keys.
    let networks: &[&[(&str, &str, &str)]] = &[
        &[("--source-ip", "aws:SourceIp", "198.51.100.7")],
        &[("--source-ip", "aws:SourceIp", "203.0.113.9")],
        &[("--source-ip", "aws:SourceIp", "2001:db8:1234::5")],
        &[("--source-ip", "aws:SourceIp", "2001:db8:ffff::5")],
        &[("--source-vpc", "aws:SourceVpc", "vpc-0a1b2c3d")],
        &[("--source-vpc", "aws:SourceVpc", "vpc-99999999")],
        &[("--source-vpce", "aws:SourceVpce", "vpce-0a1b2c3d4e5f67890")],
        &[("--source-vpce", "aws:SourceVpce", "vpce-00000000000000001")],
        &[
            ("--source-vpc", "aws:SourceVpc", "vpc-0a1b2c3d"),
            ("--source-vpce", "aws:SourceVpce", "vpce-00000000000000001"),
        ],
        &[
            ("--source-vpc", "aws:SourceVpc", "vpc-99999999"),
            ("--source-vpce", "aws:SourceVpce", "vpce-0a1b2c3d4e5f67890"),
        ],
        &[],
    ];
    let regions = [
        None,
        Some("eu-west-1"),
        Some("eu-central-1"),
        Some("ap-south-1"),
    ];
    let verdict = |args: &[String]| -> (serde_json::Value, serde_json::Value) {
        let a = scpctl()
            .arg("--config")
            .arg(&config)
            .args(["--output", "json", "simulate"])
            .args(args)
            .assert()
            .success();
        let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
        for (key, values) in v["request"]["context"].as_object().unwrap() {
            assert_eq!(
                values.as_array().unwrap().len(),
                1,
                "{key} holds one value: {v}"
            );
        }
        (v["denied"].clone(), v["statement"].clone())
    };
    let mut denied = 0;
    let mut cases = 0;
    for network in networks {
        for region in regions {
            for via in [false, true] {
                let mut common: Vec<String> =
                    ["--principal-type", "User", "--tag", "AccessException=True"]
                        .map(String::from)
                        .to_vec();
                if via {
                    common.push("--via-aws-service".into());
                }
                let mut flags = common.clone();
                let mut context = common;
                let mut keys: Vec<(&str, &str, &str)> = network.to_vec();
                if let Some(r) = region {
                    keys.push(("--region", "aws:RequestedRegion", r));
                }
                for (flag, key, value) in keys {
                    flags.extend([flag.to_string(), value.to_string()]);
                    context.extend(["--context".to_string(), format!("{key}={value}")]);
                }
                let by_flags = verdict(&flags);
                assert_eq!(
                    by_flags,
                    verdict(&context),
                    "flags {flags:?} vs {context:?}"
                );
                denied += usize::from(by_flags.0 == serde_json::Value::Bool(true));
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 88);
    // The grid holds both answers, so the comparison is not between two constant verdicts.
    assert!(
        denied > 10 && denied < cases - 10,
        "{denied} of {cases} denied"
    );
    // The issue's request: a listed VPC called in a Region it is not pinned to.
    run(
        &config,
        &[
            "simulate",
            "--principal-type",
            "User",
            "--tag",
            "AccessException=True",
            "--source-vpc",
            "vpc-0a1b2c3d",
            "--region",
            "ap-south-1",
        ],
    )
    .success()
    .stdout(predicate::str::starts_with(
        "DENIED by DenyVpcOutsideItsRegions",
    ));
}

#[test]
fn simulate_refuses_a_context_key_that_a_flag_already_sets() {
    let (_dir, config) = project(&network(SEED_CIDRS));
    for (flag, context) in [
        (
            &["--source-ip", "192.0.2.1"][..],
            "aws:SourceIp=203.0.113.1",
        ),
        (
            &["--region", "eu-west-1"][..],
            "AWS:requestedregion=us-east-1",
        ),
        (
            &["--tag", "AccessException=True"][..],
            "aws:PrincipalTag/accessexception=False",
        ),
        (&[][..], "aws:ViaAWSService=true"),
    ] {
        run(
            &config,
            &[
                &["simulate", "--principal-type", "User"][..],
                flag,
                &["--context", context][..],
            ]
            .concat(),
        )
        .code(2)
        .stderr(
            predicate::str::contains("already set by")
                .and(predicate::str::contains("give each key once")),
        );
    }
}

/// A name from the config never moves a file out of `--out-dir`: traversal and absolute names are
/// refused naming the key, before anything is written; a directory in the way of the second file
/// of `--split-statements` leaves the first unwritten; `man --out-dir` replaces a symlink instead
/// of writing through it.
#[test]
fn out_dir_writes_only_inside_the_directory_all_or_nothing() {
    let outer = TempDir::new().unwrap();
    let victim = outer.path().join("victim.tf");
    std::fs::write(&victim, "keep").unwrap();
    let od = outer.path().join("od");
    for (table, name) in [
        ("policy", "../victim".to_string()),
        ("policy", outer.path().join("abs").display().to_string()),
        ("console", "../victim".to_string()),
        ("policy", "..".to_string()),
    ] {
        let (_dir, c) = project(&format!(
            "{}[{table}]\nname = {name:?}\n",
            network(SEED_CIDRS)
        ));
        for kind in ["scp", "signin"] {
            run(
                &c,
                &[
                    "render",
                    "--kind",
                    kind,
                    "--format",
                    "terraform",
                    "--out-dir",
                    od.to_str().unwrap(),
                ],
            )
            .failure()
            .stderr(predicate::str::contains(format!("[{table}] name")));
        }
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert!(!outer.path().join("abs.tf").exists());
    assert!(!od.exists() || std::fs::read_dir(&od).unwrap().next().is_none());

    // --split-statements: the second target is a directory, so neither file is written.
    let (_dir, c) = project(&network(SEED_CIDRS));
    let split = outer.path().join("split");
    std::fs::create_dir_all(split.join("RestrictIAMUserAccessWithExceptions-Network.json"))
        .unwrap();
    run(
        &c,
        &[
            "render",
            "--split-statements",
            "--out-dir",
            split.to_str().unwrap(),
        ],
    )
    .failure()
    .stderr(predicate::str::contains("is a directory"));
    assert_eq!(
        std::fs::read_dir(&split).unwrap().count(),
        1,
        "nothing written beside the directory"
    );

    // man --out-dir: an existing symlink is replaced, its target untouched.
    #[cfg(unix)]
    {
        let man = outer.path().join("man");
        std::fs::create_dir(&man).unwrap();
        std::os::unix::fs::symlink(&victim, man.join("scpctl.1")).unwrap();
        scpctl()
            .args(["man", "--out-dir"])
            .arg(&man)
            .assert()
            .success();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(!std::fs::symlink_metadata(man.join("scpctl.1"))
            .unwrap()
            .file_type()
            .is_symlink());
    }
}

/// The scenario tables fit 100 columns (one block per row); `--wide` keeps one line per row.
#[test]
fn simulate_scenario_fits_100_columns_unless_wide() {
    for kind in ["scp", "identity", "signin"] {
        let a = scpctl()
            .args([
                "--config",
                "examples/scpctl.toml",
                "simulate",
                "--scenario",
                "--kind",
                kind,
            ])
            .assert()
            .success();
        let out = stdout_of(&a);
        let widest = out.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(widest <= 100, "--kind {kind}: {widest} columns\n{out}");
        assert!(out.contains("policy gives:"), "{out}");
    }
    let a = scpctl()
        .args([
            "--config",
            "examples/scpctl.toml",
            "simulate",
            "--scenario",
            "--wide",
        ])
        .assert()
        .success();
    let out = stdout_of(&a);
    assert!(out.lines().nth(1).unwrap().starts_with("SOURCE"), "{out}");
    assert!(out.lines().map(|l| l.chars().count()).max().unwrap() > 100);
}

/// The README's `simulate` example is what the binary prints, line for line up to its "...".
#[test]
fn the_readme_simulate_example_matches_the_output() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let command = "$ scpctl simulate --principal-type User --tag AccessException=True --source-ip 198.51.100.7\n";
    let start = readme.find(command).expect("the README shows the example") + command.len();
    let shown: Vec<&str> = readme[start..]
        .lines()
        .take_while(|l| l.trim() != "..." && !l.starts_with("```"))
        .collect();
    let a = scpctl()
        .args([
            "--config",
            "examples/scpctl.toml",
            "simulate",
            "--principal-type",
            "User",
        ])
        .args([
            "--tag",
            "AccessException=True",
            "--source-ip",
            "198.51.100.7",
        ])
        .assert()
        .success();
    let out = stdout_of(&a);
    let printed: Vec<&str> = out.lines().take(shown.len()).collect();
    assert!(shown.len() >= 5);
    assert_eq!(shown, printed);
}

/// Issue 32, points 5 and 6 (self-contained: its own policy files).
/// AWS Organizations User Guide, "SCP evaluation": every level must have an SCP that allows the
/// request, so a level with no SCP denies every request implicitly; an empty entry is refused
/// naming the empty level, never skipped. IAM User Guide, "Condition operators": each operator
/// reads values of its type; a request value it cannot read is a usage error (exit 2) naming the
/// key, operator and value.
#[test]
fn simulate_refuses_an_empty_chain_level_and_a_value_the_operator_cannot_read() {
    let dir = TempDir::new().unwrap();
    let full = dir.path().join("full.json");
    std::fs::write(
        &full,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(
        &keys,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"FewKeys","Effect":"Deny","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericNotEquals":{"s3:max-keys":"10"}}},{"Sid":"OwnArn","Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"ArnNotLike":{"aws:ResourceArn":"arn:aws:s3:::mine/*"}}}]}"#,
    )
    .unwrap();
    let (f, k) = (full.to_str().unwrap(), keys.to_str().unwrap());
    let cli = |args: &[&str]| {
        scpctl()
            .args(["--config", "/nonexistent/scpctl.toml", "simulate"])
            .args(args)
            .assert()
    };
    for (chain, level) in [
        (format!("{f},,{f}"), "level 2 of 3 (ou-1) is empty"),
        (format!(",{f}"), "level 1 of 2 (root) is empty"),
        (format!("{f}, "), "level 2 of 2 (account) is empty"),
    ] {
        cli(&["--scp-chain", &chain, "--action", "s3:GetObject"])
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(level).and(predicate::str::contains("--scp-chain")));
    }
    cli(&[
        "--scp-chain",
        &format!("{f},{f}"),
        "--action",
        "s3:GetObject",
    ])
    .success()
    .stdout(predicate::str::starts_with("NOT DENIED"));

    // Point 6: the negated operators no longer answer "matches" for a value they cannot read.
    cli(&[
        "--policy",
        k,
        "--action",
        "s3:ListBucket",
        "--context",
        "s3:max-keys=soon",
    ])
    .code(2)
    .stdout(predicate::str::is_empty())
    .stderr(
        predicate::str::contains("s3:max-keys=\"soon\"")
            .and(predicate::str::contains("NumericNotEquals"))
            .and(predicate::str::contains("a number"))
            .and(predicate::str::contains("statement FewKeys in")),
    );
    cli(&[
        "--scp-chain",
        &format!("{f}+{k}"),
        "--action",
        "s3:GetObject",
        "--context",
        "aws:ResourceArn=not-an-arn",
    ])
    .code(2)
    .stderr(
        predicate::str::contains("aws:ResourceArn=\"not-an-arn\"")
            .and(predicate::str::contains("ArnNotLike"))
            .and(predicate::str::contains("an ARN")),
    );
    // Values of the right type are decided as before.
    cli(&[
        "--policy",
        k,
        "--action",
        "s3:ListBucket",
        "--context",
        "s3:max-keys=11",
    ])
    .success()
    .stdout(predicate::str::starts_with("DENIED by FewKeys"));
    cli(&[
        "--policy",
        k,
        "--action",
        "s3:GetObject",
        "--context",
        "aws:ResourceArn=arn:aws:s3:::mine/x",
    ])
    .success()
    .stdout(predicate::str::starts_with("NOT DENIED"));
}
