//! `impact --output html` in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `scripts/test.sh` and found through `SCPCTL_CHROMIUM`) loads the page scpctl writes. The
//! numbers in the rendered DOM are the JSON report's; a hostile record stays text and its script
//! never runs; the page makes no network request; a 1280x800 screenshot is not blank; 10,000
//! principals make a page under 5 MB.
//!
//! The browser helpers are shared with `tests/html_denials.rs` (`tests/browser/mod.rs`).
//! `SCPCTL_WRITE_SCREENSHOT=1` also copies the demo report's screenshot to
//! `docs/impact-report.png`, the picture in the README.

mod browser;

use assert_cmd::Command;
use browser::*;
use serde_json::{json, Value};

const PROD: &str = "222222222222";
const SANDBOX: &str = "333333333333";
const DATA: &str = "444444444444";
const MANAGEMENT: &str = "111111111111";
const CIDRS: &str = r#"["192.0.2.0/24", "203.0.113.0/24", "2001:db8:1234::/48"]"#;

fn record(i: usize, account: &str, user: &str, ip: &str, day: u32, event: (&str, &str)) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": format!("AIDA{i:08}"),
            "arn": format!("arn:aws:iam::{account}:user/{user}"), "accountId": account,
            "userName": user},
        "eventTime": format!("2026-04-{day:02}T09:{:02}:00Z", i % 60),
        "eventSource": format!("{}.amazonaws.com", event.0),
        "eventName": event.1,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": ip,
        "eventID": format!("00000000-0000-0000-0000-{i:012}"),
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
    })
}

/// A demo-like organization's fortnight: a deploy bot calling from outside, excepted users at
/// home, untagged users, a management-account admin (never restricted), console sign-ins, and
/// one hostile record whose user name and action try to inject markup and a fetch.
fn demo(hostile_port: u16) -> (Vec<Value>, Value) {
    let inside = ["192.0.2.10", "203.0.113.44", "2001:db8:1234::9"];
    let outside = ["198.51.100.7", "198.51.100.23", "2001:db8:ffff:1::5"];
    let events = [
        ("s3", "PutObject"),
        ("cloudformation", "UpdateStack"),
        ("ec2", "DescribeInstances"),
        ("lambda", "UpdateFunctionCode"),
        ("s3", "GetObject"),
    ];
    let users = [
        (PROD, "deploy-bot", true, 3),
        (PROD, "alice", true, 5),
        (PROD, "legacy-export", false, 7),
        (SANDBOX, "tester", true, 2),
        (SANDBOX, "intern", false, 11),
        (DATA, "etl-nightly", true, 4),
        (DATA, "analyst", true, 9),
        (MANAGEMENT, "admin", false, 1),
    ];
    let mut records = Vec::new();
    let mut i = 0;
    for day in 1..=14u32 {
        for (account, user, _, every) in users {
            for k in 0..3 {
                i += 1;
                let ip = if (i + k) % every == 0 {
                    outside[i % outside.len()]
                } else {
                    inside[i % inside.len()]
                };
                records.push(record(
                    i,
                    account,
                    user,
                    ip,
                    day,
                    events[(i + k) % events.len()],
                ));
            }
        }
    }
    // Not API calls a policy decides: counted apart or skipped, with their reasons.
    records.push(
        json!({"eventType": "AwsConsoleSignIn", "eventSource": "signin.amazonaws.com",
        "eventTime": "2026-04-03T08:00:00Z"}),
    );
    records.push(json!({"userIdentity": {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
        "eventSource": "s3.amazonaws.com", "eventName": "PutObject", "eventTime": "2026-04-03T08:00:00Z"}));
    let hostile_user = format!(
        "x\"><img src=http://127.0.0.1:{hostile_port}/leak onerror=document.title='pwned'><script>document.title='pwned'</script>"
    );
    let mut h = record(
        9999,
        PROD,
        &hostile_user,
        "198.51.100.66",
        7,
        ("s3", "<script>document.title='pwned'</script>"),
    );
    h["userIdentity"]["arn"] = json!(format!("arn:aws:iam::{PROD}:user/{hostile_user}"));
    records.push(h);
    let mut tags = serde_json::Map::new();
    for (account, user, excepted, _) in users {
        if excepted {
            tags.insert(
                format!("arn:aws:iam::{account}:user/{user}"),
                json!({"AccessException": "True"}),
            );
        }
    }
    (records, Value::Object(tags))
}

/// `impact` on the demo project, with its tags and management account.
fn project(records: &[Value], tags: &Value) -> ReportRun {
    ReportRun::new(
        CIDRS,
        records,
        tags,
        &[
            "impact",
            "--tags-file",
            "tags.json",
            "--management-account",
            MANAGEMENT,
        ],
    )
}

fn denied_total(p: &Value) -> u64 {
    p["denied"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum()
}

#[test]
fn the_demo_report_renders_in_chromium_with_the_json_numbers_safely_and_offline() {
    let (port, hits, control_hits) = armed_listener();

    let (records, tags) = demo(port);
    let run = project(&records, &tags);
    let (json, page) = run.both("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let dom = browse(&page, &["--dump-dom", "--virtual-time-budget=3000"]);

    let title = format!("scpctl impact: {}", json["policy"].as_str().unwrap());
    assert_safe_and_offline(&html, &dom, &title, port, &hits, control_hits);

    // The headline numbers are the JSON's.
    let totals = &json["totals"];
    for key in [
        "records",
        "decided",
        "denied",
        "principals_denied",
        "apart",
        "skipped",
        "problems",
    ] {
        let n = totals[key].as_u64().unwrap();
        assert!(
            dom.contains(&format!("<b id=\"t-{key}\">{n}</b>")),
            "{key} = {n} not on the page"
        );
    }
    assert!(totals["denied"].as_u64().unwrap() > 0);
    assert!(totals["skipped"].as_u64().unwrap() > 0 && totals["apart"].as_u64().unwrap() > 0);
    // Each principal's row: ARN, type, requests, denied; each account's section.
    let principals = json["principals"].as_array().unwrap();
    assert!(principals.len() >= 5);
    for p in principals {
        let row = format!(
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            dom_text(p["principal_arn"].as_str().unwrap()),
            p["principal_type"].as_str().unwrap(),
            p["requests"],
            denied_total(p)
        );
        assert!(dom.contains(&row), "no row {row}");
        for a in p["top_denied_actions"].as_array().unwrap() {
            let action = dom_text(a["action"].as_str().unwrap());
            assert!(dom.contains(&format!("{action} ({})", a["count"])));
        }
        if let Some(cidrs) = p["suggested_cidrs"].as_array() {
            for c in cidrs {
                assert!(dom.contains(c.as_str().unwrap()));
            }
        }
    }
    assert!(
        !principals.iter().any(|p| p["account"] == MANAGEMENT),
        "the management account is never restricted"
    );
    // The chart: one bar segment per day and statement, adding up to the denied total.
    let by_day = json["denied_by_day"].as_object().unwrap();
    assert_eq!(by_day.len(), 14);
    let mut bars = 0;
    let mut sum = 0;
    for (day, sids) in by_day {
        for n in sids.as_object().unwrap().values() {
            let n = n.as_u64().unwrap();
            assert!(dom.contains(&format!("data-day=\"{day}\" data-n=\"{n}\"")));
            bars += 1;
            sum += n;
        }
    }
    assert_eq!(dom.matches("<rect ").count(), bars);
    assert_eq!(sum, totals["denied"].as_u64().unwrap());

    // A 1280x800 screenshot that is not blank.
    screenshot(&page, &run.dir.path().join("shot.png"), "impact-report.png");
}

#[test]
fn ten_thousand_principals_make_a_page_under_5_mb_that_chromium_loads() {
    let accounts: Vec<String> = (0..20).map(|a| format!("5555000000{a:02}")).collect();
    let mut records = Vec::new();
    for i in 0..10_000usize {
        let account = &accounts[i % accounts.len()];
        let user = format!("svc-{i:05}");
        for k in 0..2 {
            let ip = format!("198.51.{}.{}", 100 + (i % 3), (i + k) % 250 + 1);
            records.push(record(
                i * 2 + k,
                account,
                &user,
                &ip,
                1 + (i % 28) as u32,
                ("s3", "GetObject"),
            ));
        }
    }
    let run = project(&records, &json!({}));
    let (json, page) = run.both("report.html");
    assert_eq!(json["principals"].as_array().unwrap().len(), 10_000);
    let size = std::fs::metadata(&page).unwrap().len();
    assert!(size < 5_000_000, "{size} bytes");
    let (dom, took) = timed_dump(&page);
    eprintln!(
        "10,000 principals: page {size} bytes, Chromium --dump-dom in {:.2?}",
        took
    );
    assert_eq!(
        dom.matches("<details class=\"account\"").count(),
        20,
        "one section per account"
    );
    assert!(
        !dom.contains("<details class=\"account\" data-account=\"555500000000\" open"),
        "large accounts start collapsed"
    );
    let denied = json["totals"]["denied"].as_u64().unwrap();
    assert!(dom.contains(&format!("<b id=\"t-denied\">{denied}</b>")));
    assert_eq!(dom.matches("<tr><td>arn:aws:iam::5555").count(), 10_000);
}

#[test]
fn html_is_for_impact_only_and_out_refuses_jsonl_before_any_work() {
    let run = project(&demo(9).0, &demo(9).1);
    let a = Command::cargo_bin("scpctl")
        .unwrap()
        .current_dir(run.dir.path())
        .args(["--config", "scpctl.toml", "--output", "html", "render"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("--output html is for `impact` and `denials` only"),
        "{err}"
    );
    let a = run.run("jsonl", &["--out", "x.jsonl"]).failure();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("--out x.jsonl"), "{err}");
    assert!(!run.dir.path().join("x.jsonl").exists());
    // Without --out the page goes to stdout, the same page as --out writes.
    let stdout = run.run("html", &[]).success().get_output().stdout.clone();
    let page = std::fs::read(run.both("report.html").1).unwrap();
    assert_eq!(stdout, page);
    assert!(String::from_utf8(page)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
}
