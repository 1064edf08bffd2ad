//! What scpctl sends to an endpoint and how it takes the answer, seen by a one-connection-at-a-time
//! HTTP listener on a loopback port: `--profile` picks the identity that signs whatever the
//! environment holds (the access key id in the `Authorization` header), and a server error that
//! is not an AWS error is not retried.

mod standin;

use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use standin::{Answer, Request};
use tempfile::TempDir;

const PROFILE_KEY: &str = "AKIAPROFILEOTHER0001";
const ENV_KEY: &str = "AKIAENVIRONMENT00001";

/// A listener that refuses every request (403, not retried).
fn capture_server() -> (String, mpsc::Receiver<Request>) {
    let answer = r#"{"__type":"AccessDeniedException","message":"refused by the test listener"}"#;
    serve(
        "403 Forbidden",
        "x-amzn-ErrorType: AccessDeniedException\r\n",
        answer,
    )
}

/// A listener that answers every request with `status`, `headers` and `answer`.
fn serve(
    status: &'static str,
    headers: &'static str,
    answer: &'static str,
) -> (String, mpsc::Receiver<Request>) {
    standin::serve(move |_| Answer {
        status,
        headers: format!("Content-Type: application/x-amz-json-1.1\r\n{headers}"),
        body: answer.to_string(),
    })
}

/// The access key id that signed a request.
fn signed_by(r: &Request) -> String {
    r.header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .map(|rest| rest.split('/').next().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// The SDK's attempt header (`attempt=N; max=M`).
fn attempt(r: &Request) -> String {
    r.header("amz-sdk-request").unwrap_or("").to_string()
}

/// A home with `~/.aws/config` and `~/.aws/credentials` that define the profile `other`.
fn aws_home() -> TempDir {
    let home = TempDir::new().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    std::fs::write(aws.join("config"), "[profile other]\nregion = us-east-1\n").unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[other]\naws_access_key_id = {PROFILE_KEY}\naws_secret_access_key = profilesecret\n"
        ),
    )
    .unwrap();
    home
}

/// Runs `scpctl exception list` against the listener; returns the key id that signed its first
/// request, and the command's output.
fn signing_key(
    extra_env: &[(&str, &str)],
    args: &[&str],
) -> (Option<String>, std::process::Output) {
    let home = aws_home();
    let (url, rx) = capture_server();
    let mut cmd = scpctl_in(&home);
    cmd.args(["--config", "examples/scpctl.toml", "exception", "list"])
        .args(["--endpoint-url", &url, "--timeout", "10"])
        .args(args);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd.timeout(Duration::from_secs(60)).output().unwrap();
    (
        rx.recv_timeout(Duration::from_secs(1))
            .ok()
            .map(|r| signed_by(&r)),
        out,
    )
}

/// scpctl with only the environment these tests give: the home with the profile `other`, no
/// instance metadata, us-east-1.
fn scpctl_in(home: &TempDir) -> Command {
    let mut cmd = Command::cargo_bin("scpctl").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join(".aws/config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join(".aws/credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1");
    cmd
}

const ENV_CREDENTIALS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", ENV_KEY),
    ("AWS_SECRET_ACCESS_KEY", "environmentsecret"),
];

#[test]
fn an_explicit_profile_signs_even_with_credentials_in_the_environment() {
    let (key, out) = signing_key(&ENV_CREDENTIALS, &["--profile", "other"]);
    assert_eq!(key.as_deref(), Some(PROFILE_KEY), "{out:?}");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("profilesecret") && !stderr.contains("environmentsecret"));
}

#[test]
fn without_profile_the_environment_signs_and_aws_profile_keeps_its_usual_place() {
    let (key, out) = signing_key(&ENV_CREDENTIALS, &[]);
    assert_eq!(key.as_deref(), Some(ENV_KEY), "{out:?}");
    // The standard chain: environment credentials come before AWS_PROFILE.
    let with_aws_profile = [
        ENV_CREDENTIALS[0],
        ENV_CREDENTIALS[1],
        ("AWS_PROFILE", "other"),
    ];
    let (key, out) = signing_key(&with_aws_profile, &[]);
    assert_eq!(key.as_deref(), Some(ENV_KEY), "{out:?}");
    // AWS_PROFILE alone selects the profile.
    let (key, out) = signing_key(&[("AWS_PROFILE", "other")], &[]);
    assert_eq!(key.as_deref(), Some(PROFILE_KEY), "{out:?}");
}

#[test]
fn a_profile_that_does_not_exist_is_named_and_nothing_is_sent() {
    let (key, out) = signing_key(&ENV_CREDENTIALS, &["--profile", "nonexistent"]);
    assert_eq!(key, None, "no request is signed");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nonexistent") && stderr.contains("profile"),
        "{stderr}"
    );
    assert!(!stderr.to_lowercase().contains("imds"), "{stderr}");
}

/// An endpoint without the API (moto answers HTTP 500 with an HTML page) fails at its first
/// answer, naming the status, instead of eight attempts and "no answer in time".
#[test]
fn a_server_error_without_an_aws_error_is_not_retried() {
    let home = aws_home();
    for args in [
        &["status", "--kind", "signin"][..],
        &["plan", "--kind", "signin", "--root"][..],
        &["exception", "list"][..],
    ] {
        let (url, rx) = serve(
            "500 Internal Server Error",
            "",
            "<html>not implemented</html>",
        );
        let started = std::time::Instant::now();
        let out = scpctl_in(&home)
            .args(["--config", "examples/scpctl.toml"])
            .args(args)
            .args([
                "--endpoint-url",
                &url,
                "--timeout",
                "5",
                "--profile",
                "other",
            ])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let elapsed = started.elapsed();
        let attempts: Vec<String> = rx.try_iter().map(|r| attempt(&r)).collect();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("answered HTTP 500 without an AWS error"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("no answer in time"), "{args:?}: {stderr}");
        assert!(
            !attempts.is_empty() && attempts.iter().all(|a| a.starts_with("attempt=1;")),
            "{args:?}: first attempts only, no retry: {attempts:?} ({stderr})"
        );
        assert!(
            elapsed < Duration::from_secs(5),
            "{args:?} took {elapsed:?}"
        );
    }
}

/// AWS's own server errors carry an AWS error and are still retried.
#[test]
fn an_aws_server_error_is_retried() {
    let home = aws_home();
    let (url, rx) = serve(
        "503 Service Unavailable",
        "x-amzn-ErrorType: ServiceUnavailableException\r\n",
        // STS (the first call) speaks XML.
        "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>try again</Message></Error></ErrorResponse>",
    );
    let out = scpctl_in(&home)
        .args(["--config", "examples/scpctl.toml", "exception", "list"])
        .args([
            "--endpoint-url",
            &url,
            "--timeout",
            "6",
            "--profile",
            "other",
        ])
        .timeout(Duration::from_secs(90))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let attempts: Vec<String> = rx.try_iter().map(|r| attempt(&r)).collect();
    assert!(
        attempts.iter().any(|a| a.starts_with("attempt=2;")),
        "retried: {attempts:?} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `validate --online`: each rendered document goes to ValidatePolicy; a finding is shown with
/// its type, code and place in the document as rendered, and a SECURITY_WARNING fails the run
/// unless `--fail-on error`.
#[test]
fn validate_online_shows_access_analyzers_findings_and_fails_on_them() {
    let home = aws_home();
    // A path into the SCP: Statement[1].Condition (the network statement).
    let answer = r#"{"findings":[{"findingType":"SECURITY_WARNING","issueCode":"TEST_ISSUE","findingDetails":"a finding from the test listener","learnMoreLink":"https://docs.aws.amazon.com/x","locations":[{"path":[{"value":"Statement"},{"index":1},{"value":"Condition"}],"span":{"start":{"line":0,"column":0,"offset":0},"end":{"line":0,"column":1,"offset":1}}}]}]}"#;
    let run = |fail_on: &str| {
        let (url, rx) = serve("200 OK", "", answer);
        let out = scpctl_in(&home)
            .args(["--config", "examples/scpctl.toml", "validate", "--online"])
            .args([
                "--fail-on",
                fail_on,
                "--endpoint-url",
                &url,
                "--profile",
                "other",
            ])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        (out, rx.try_iter().count())
    };
    let (out, requests) = run("security-warning");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(requests, 2, "the SCP and the fallback, one call each");
    assert!(
        stdout.contains(
            "online: RestrictIAMUserAccessWithExceptions (SERVICE_CONTROL_POLICY): 1 finding(s)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("(IDENTITY_POLICY)"), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains("SECURITY_WARNING TEST_ISSUE at 1:"))
        .unwrap_or_else(|| panic!("{stdout}"));
    // The column is where statement 2's Condition value starts in the compact render.
    let rendered = Command::cargo_bin("scpctl")
        .unwrap()
        .args(["--config", "examples/scpctl.toml", "render"])
        .output()
        .unwrap();
    let text = String::from_utf8(rendered.stdout).unwrap();
    let second = text.find("DenyIAMUsersOutsideApprovedNetwork").unwrap();
    let condition =
        second + text[second..].find("\"Condition\":").unwrap() + "\"Condition\":".len();
    assert!(line.contains(&format!("at 1:{}:", condition + 1)), "{line}");
    let (out, _) = run("error");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
