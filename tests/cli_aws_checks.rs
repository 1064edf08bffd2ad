//! AWS's own checks driven through the binary against a loopback stand-in that records each
//! request and answers as IAM (`SimulateCustomPolicy`, query protocol, XML) or IAM Access
//! Analyzer (`ValidatePolicy`, JSON) would: `simulate --online` (the chain root first, typed
//! context entries, a difference exiting 6 with the missing context values, one call per
//! scenario row), `validate --online --policy` (findings at FILE:LINE:COLUMN, exit 2 on a missing
//! file or a bad type), and `--no-access-check` refused with the SCP kind.

mod standin;

use std::time::Duration;

use assert_cmd::Command;
use standin::{form, serve, Answer};
use tempfile::TempDir;

fn scpctl(home: &TempDir) -> Command {
    let mut cmd = Command::cargo_bin("scpctl").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
        .env("AWS_ACCESS_KEY_ID", "AKIASTANDIN000000001")
        .env("AWS_SECRET_ACCESS_KEY", "standinsecret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .timeout(Duration::from_secs(120));
    cmd
}

/// IAM's answer to SimulateCustomPolicy for the action of the request.
fn simulation(action: &str, decision: &str, missing: &[&str], allowed_by_orgs: bool) -> Answer {
    let missing: String = missing
        .iter()
        .map(|k| format!("<member>{k}</member>"))
        .collect();
    Answer::xml(format!(
        "<SimulateCustomPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><SimulateCustomPolicyResult>\
         <IsTruncated>false</IsTruncated><EvaluationResults><member><EvalActionName>{action}</EvalActionName>\
         <EvalResourceName>*</EvalResourceName><EvalDecision>{decision}</EvalDecision><MatchedStatements/>\
         <MissingContextValues>{missing}</MissingContextValues>\
         <OrganizationsDecisionDetail><AllowedByOrganizations>{allowed_by_orgs}</AllowedByOrganizations></OrganizationsDecisionDetail>\
         </member></EvaluationResults></SimulateCustomPolicyResult>\
         <ResponseMetadata><RequestId>standin</RequestId></ResponseMetadata></SimulateCustomPolicyResponse>"
    ))
}

fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn allow_all(sid: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{sid}","Effect":"Allow","Action":"*","Resource":"*"}}]}}"#
    )
}

/// The context entry named `key` of a SimulateCustomPolicy form: (type, values).
fn entry(form: &[(String, String)], key: &str) -> Option<(String, Vec<String>)> {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    for i in 1.. {
        let name = get(&format!("ContextEntries.member.{i}.ContextKeyName"))?;
        if name == key {
            let kind = get(&format!("ContextEntries.member.{i}.ContextKeyType")).unwrap();
            let values = (1..)
                .map_while(|j| {
                    get(&format!(
                        "ContextEntries.member.{i}.ContextKeyValues.member.{j}"
                    ))
                })
                .collect();
            return Some((kind, values));
        }
    }
    None
}

#[test]
fn simulate_online_sends_the_chain_root_first_with_typed_context_entries() {
    let home = TempDir::new().unwrap();
    let dir = TempDir::new().unwrap();
    let root = write(&dir, "root.json", &allow_all("RootLevel"));
    let ou = write(&dir, "ou.json", &allow_all("OuLevel"));
    let extra = write(&dir, "ou2.json", &allow_all("OuSecond"));
    let account = write(&dir, "account.json", &allow_all("AccountLevel"));
    let (url, requests) = serve(|_| simulation("s3:GetObject", "allowed", &[], true));
    let out = scpctl(&home)
        .args(["simulate", "--online", "--endpoint-url", &url])
        .args(["--scp-chain", &format!("{root},{ou}+{extra},{account}")])
        .args(["--action", "s3:GetObject", "--principal-type", "User"])
        .args(["--source-ip", "203.0.113.9"])
        .args(["--principal-arn", "arn:aws:iam::111122223333:user/alice"])
        .args(["--context", "aws:MultiFactorAuthAge=300"])
        .args(["--context", "aws:CalledVia=cloudformation.amazonaws.com"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies: Vec<_> = requests.try_iter().collect();
    assert_eq!(bodies.len(), 1, "one call");
    let f = form(&bodies[0].body);
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    assert_eq!(get("Action"), "SimulateCustomPolicy");
    // Root first, the account last; both files of the OU level on level 2.
    let level = |i: usize, j: usize| {
        get(&format!(
            "OrderedOrganizationPolicyInputList.member.{i}.ServiceControlPolicyInputList.member.{j}"
        ))
        .to_string()
    };
    assert!(level(1, 1).contains("RootLevel"), "{f:?}");
    assert!(level(2, 1).contains("OuLevel"), "{f:?}");
    assert!(level(2, 2).contains("OuSecond"), "{f:?}");
    assert!(level(3, 1).contains("AccountLevel"), "{f:?}");
    assert_eq!(level(4, 1), "", "three levels only");
    assert_eq!(get("CallerArn"), "arn:aws:iam::111122223333:user/alice");
    assert_eq!(get("ActionNames.member.1"), "s3:GetObject");
    assert_eq!(get("ResourceArns.member.1"), "*");
    assert!(get("PolicyInputList.member.1").contains(r#""Action":"*""#));
    assert_eq!(
        entry(&f, "aws:SourceIp"),
        Some(("ip".into(), vec!["203.0.113.9".into()]))
    );
    assert_eq!(
        entry(&f, "aws:MultiFactorAuthAge"),
        Some(("numeric".into(), vec!["300".into()]))
    );
    assert_eq!(
        entry(&f, "aws:ViaAWSService"),
        Some(("boolean".into(), vec!["false".into()]))
    );
    assert_eq!(
        entry(&f, "aws:CalledVia"),
        Some((
            "stringList".into(),
            vec!["cloudformation.amazonaws.com".into()]
        ))
    );
    // Sent, and said to be unconfirmed: AWS does not document that it reads these.
    assert_eq!(
        entry(&f, "aws:PrincipalType").map(|e| e.0),
        Some("string".into())
    );
    assert!(
        stdout.contains("unconfirmed: aws:PrincipalType"),
        "{stdout}"
    );
    assert!(stdout.contains("AWS (IAM SimulateCustomPolicy): allowed (OrganizationsDecisionDetail AllowedByOrganizations=true)"), "{stdout}");
    assert!(stdout.contains("agreement"), "{stdout}");
    assert!(!stdout.contains("DIFFERENCE"), "{stdout}");
}

#[test]
fn a_difference_with_aws_exits_6_and_lists_the_missing_context_values() {
    let home = TempDir::new().unwrap();
    let request = [
        "simulate",
        "--principal-type",
        "User",
        "--source-ip",
        "198.51.100.77",
        "--action",
        "s3:GetObject",
        "--online",
    ];
    // scpctl's SCP denies an IAM user without the exception tag; the stand-in says allowed.
    let answer =
        |_: &standin::Request| simulation("s3:GetObject", "allowed", &["aws:SourceIp"], true);
    let (url, requests) = serve(answer);
    let text = scpctl(&home)
        .args(["--config", "examples/scpctl.toml"])
        .args(request)
        .args(["--endpoint-url", &url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.status.code(), Some(6), "{stdout}");
    assert_eq!(requests.try_iter().count(), 1);
    assert!(
        stdout.starts_with("DENIED by DenyIAMUsersWithoutAccessException"),
        "{stdout}"
    );
    // The tag the SCP reads and the request lacks, listed from scpctl's own reading.
    assert!(
        stdout.contains("does not give (AWS does not list keys read only by SCPs): aws:principaltag/accessexception"),
        "{stdout}"
    );
    assert!(
        stdout.contains("*** DIFFERENCE *** scpctl decides explicitDeny, AWS decides allowed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("AWS MissingContextValues: aws:SourceIp"),
        "{stdout}"
    );

    let (url, _requests) = serve(answer);
    let json = scpctl(&home)
        .args(["--config", "examples/scpctl.toml", "--output", "json"])
        .args(request)
        .args(["--endpoint-url", &url])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(6));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let online = &doc["online"];
    assert_eq!(online["difference"], true, "{doc}");
    assert_eq!(online["scpctl_decision"], "explicitDeny");
    assert_eq!(online["aws_decision"], "allowed");
    assert_eq!(
        online["missing_context_values"],
        serde_json::json!(["aws:SourceIp"])
    );
    assert_eq!(online["allowed_by_organizations"], true);
    assert_eq!(doc["denied"], true);

    // The management account: SCPs do not apply, nothing is asked, nothing is compared.
    let (url, requests) = serve(answer);
    let out = scpctl(&home)
        .args(["--config", "examples/scpctl.toml"])
        .args(request)
        .args(["--management-account", "--endpoint-url", &url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("not compared"), "{stdout}");
    assert_eq!(requests.try_iter().count(), 0);
}

#[test]
fn scenario_online_asks_once_per_compared_row_and_adds_an_aws_column() {
    let home = TempDir::new().unwrap();
    // The stand-in answers explicitDeny for every action it is asked about.
    let answer = |r: &standin::Request| {
        let f = form(&r.body);
        let action = f
            .iter()
            .find(|(k, _)| k == "ActionNames.member.1")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        simulation(&action, "explicitDeny", &[], false)
    };
    let (url, requests) = serve(answer);
    let out = scpctl(&home)
        .args(["--config", "examples/scpctl.toml", "--output", "json"])
        .args(["simulate", "--scenario", "--online", "--endpoint-url", &url])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let rows = doc["rows"].as_array().unwrap();
    let compared = rows
        .iter()
        .filter(|r| r["online"]["compared"] == true)
        .count();
    assert!(compared > 2 && compared <= rows.len(), "{doc}");
    assert_eq!(
        requests.try_iter().count(),
        compared,
        "one call per compared row"
    );
    // Rows scpctl's SCP does not deny differ from AWS's explicitDeny: exit 6.
    let differences = rows
        .iter()
        .filter(|r| r["online"]["difference"] == true)
        .count();
    assert_eq!(
        differences,
        rows.iter()
            .filter(|r| r["online"]["compared"] == true && r["denied"] == false)
            .count()
    );
    assert!(differences > 0);
    assert_eq!(out.status.code(), Some(6));

    let (url, _) = serve(answer);
    let text = scpctl(&home)
        .args(["--config", "examples/scpctl.toml"])
        .args([
            "simulate",
            "--scenario",
            "--wide",
            "--online",
            "--endpoint-url",
            &url,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    let header = stdout.lines().find(|l| l.starts_with("SOURCE")).unwrap();
    assert!(header.trim_end().ends_with("AWS GIVES"), "{header}");
    assert!(stdout.contains("*** DIFFERENCE ***"), "{stdout}");
    assert_eq!(text.status.code(), Some(6));
}

#[test]
fn online_simulation_is_for_scps_and_needs_online_for_its_connection_flags() {
    let home = TempDir::new().unwrap();
    let out = scpctl(&home)
        .args(["--config", "examples/scpctl.toml"])
        .args([
            "simulate",
            "--kind",
            "identity",
            "--principal-type",
            "User",
            "--online",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kind scp"));
    let out = scpctl(&home)
        .args(["--config", "examples/scpctl.toml"])
        .args([
            "simulate",
            "--principal-type",
            "User",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn no_access_check_is_refused_with_the_scp_kind() {
    let home = TempDir::new().unwrap();
    for verb in ["plan", "apply"] {
        let out = scpctl(&home)
            .args([
                "--config",
                "examples/scpctl.toml",
                verb,
                "--ou",
                "ou-ab12-cd34ef56",
            ])
            .arg("--no-access-check")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{verb}: {stderr}");
        assert!(
            stderr.contains("--no-access-check applies to the identity-based policy only")
                && stderr.contains("--kind scp"),
            "{stderr}"
        );
    }
}

#[test]
fn no_access_check_is_refused_by_identity_detach_before_any_call() {
    let home = TempDir::new().unwrap();
    let out = scpctl(&home)
        .args([
            "--config",
            "examples/scpctl.toml",
            "detach",
            "--kind",
            "identity",
            "--user",
            "legacy-app",
            "--no-access-check",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--no-access-check applies to plan and apply only"),
        "{stderr}"
    );
}

#[test]
fn validate_online_sends_policy_files_with_their_type_and_shows_file_line_column() {
    let home = TempDir::new().unwrap();
    let dir = TempDir::new().unwrap();
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Deny\",\n      \"Action\": \"s3:*\",\n      \"Resource\": \"*\",\n      \"Principal\": \"*\"\n    }\n  ]\n}\n";
    let file = write(&dir, "rcp.json", text);
    // A finding pointing at Statement[0].Action.
    let finding = r#"{"findings":[{"findingType":"ERROR","issueCode":"STANDIN_ISSUE","findingDetails":"from the stand-in","learnMoreLink":"https://docs.aws.amazon.com/x","locations":[{"path":[{"value":"Statement"},{"index":0},{"value":"Action"}],"span":{"start":{"line":0,"column":0,"offset":0},"end":{"line":0,"column":1,"offset":1}}}]}]}"#;
    let (url, requests) = serve(move |_| Answer::json(finding));
    let out = scpctl(&home)
        .args([
            "validate",
            "--online",
            "--policy",
            &file,
            "--policy-type",
            "rcp",
        ])
        .args(["--endpoint-url", &url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent: Vec<_> = requests.try_iter().collect();
    assert_eq!(sent.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&sent[0].body).unwrap();
    assert_eq!(body["policyType"], "RESOURCE_CONTROL_POLICY");
    assert_eq!(body["policyDocument"], text, "sent as it is on disk");
    // `"Action": "s3:*"` is on line 6; its value starts at column 17.
    assert!(
        stdout.contains(&format!(
            "ERROR STANDIN_ISSUE at {file}:6:17: from the stand-in"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("(RESOURCE_CONTROL_POLICY)"), "{stdout}");

    // --fail-on error is still met by an ERROR; a directory sends each *.json in name order.
    write(&dir, "a.json", &allow_all("First"));
    let (url, requests) = serve(|_| Answer::json(r#"{"findings":[]}"#));
    let out = scpctl(&home)
        .args(["--output", "json", "validate", "--online"])
        .args([
            "--policy-dir",
            &dir.path().display().to_string(),
            "--policy-type",
            "scp",
        ])
        .args(["--endpoint-url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = doc["online"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["policy"].as_str().unwrap())
        .collect();
    assert!(
        names[0].ends_with("a.json") && names[1].ends_with("rcp.json"),
        "{names:?}"
    );
    let sent: Vec<_> = requests.try_iter().collect();
    assert_eq!(sent.len(), 2);
    for s in &sent {
        let body: serde_json::Value = serde_json::from_str(&s.body).unwrap();
        assert_eq!(body["policyType"], "SERVICE_CONTROL_POLICY");
    }
}

#[test]
fn validate_policy_files_refuses_a_missing_file_or_a_bad_type_with_exit_2() {
    let home = TempDir::new().unwrap();
    let dir = TempDir::new().unwrap();
    let present = write(&dir, "p.json", &allow_all("Present"));
    let missing = dir.path().join("absent.json").display().to_string();
    let (url, requests) = serve(|_| Answer::json(r#"{"findings":[]}"#));
    let out = scpctl(&home)
        .args([
            "validate", "--online", "--policy", &present, "--policy", &missing,
        ])
        .args(["--policy-type", "identity", "--endpoint-url", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("absent.json"), "{stderr}");
    assert_eq!(requests.try_iter().count(), 0, "nothing sent");

    let out = scpctl(&home)
        .args([
            "validate",
            "--online",
            "--policy",
            &present,
            "--policy-type",
            "bogus",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bogus"), "{stderr}");

    // The type is required with files, and files with the type.
    let out = scpctl(&home)
        .args(["validate", "--online", "--policy", &present])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = scpctl(&home)
        .args([
            "--config",
            "examples/scpctl.toml",
            "validate",
            "--online",
            "--policy-type",
            "scp",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
