//! `denials --output html` in a real browser (headless Chromium, as `tests/html_report.rs`,
//! through the shared `tests/browser/mod.rs`): the numbers in the rendered DOM are the JSON
//! report's (headline, the three comparison buckets per statement, per day and per principal);
//! a hostile record stays text and its script never runs; the page makes no network request; a
//! 1280x800 screenshot is not blank; the page on stdout is the page `--out` writes; 10,000
//! principals make a page under 5 MB.
//!
//! `SCPCTL_WRITE_SCREENSHOT=1` also copies the demo report's screenshot to
//! `docs/denials-report.png`, the picture in the README.

mod browser;

use browser::*;
use serde_json::{json, Value};

const PROD: &str = "222222222222";
const SANDBOX: &str = "333333333333";
const DATA: &str = "444444444444";
const CIDRS: &str = r#"["192.0.2.0/24", "203.0.113.0/24", "2001:db8:1234::/48"]"#;
const OURS: &str = "p-ours12345";
const OTHER: &str =
    "arn:aws:organizations::999988887777:policy/o-exampleorg/service_control_policy/p-other9876";

fn ours_arn() -> String {
    format!("arn:aws:organizations::999988887777:policy/o-exampleorg/service_control_policy/{OURS}")
}

/// How a call ended.
#[derive(Clone, Copy, PartialEq)]
enum End {
    Succeeded,
    /// Refused, the message naming scpctl's policy by ARN.
    OursByArn,
    /// Refused, "explicit deny in a service control policy" without ARN.
    ScpPhrase,
    /// Refused by another SCP named by ARN.
    Other,
    /// A bare "Access Denied".
    Bare,
}

fn record(i: usize, account: &str, user: &str, ip: &str, day: u32, end: End) -> Value {
    let arn = format!("arn:aws:iam::{account}:user/{user}");
    let events = [
        ("s3", "PutObject"),
        ("iam", "ListRoles"),
        ("ec2", "DescribeInstances"),
        ("lambda", "UpdateFunctionCode"),
    ];
    let (source, name) = events[i % events.len()];
    let mut r = json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": format!("AIDA{i:08}"),
            "arn": arn, "accountId": account, "userName": user},
        "eventTime": format!("2026-04-{day:02}T09:{:02}:00Z", i % 60),
        "eventSource": format!("{source}.amazonaws.com"),
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": ip,
        "eventID": format!("00000000-0000-0000-0000-{i:012}"),
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
    });
    let deny = |tail: &str| {
        format!("User: {arn} is not authorized to perform: {source}:{name} on resource: * with an explicit deny in a service control policy{tail}")
    };
    let (code, message) = match end {
        End::Succeeded => return r,
        End::OursByArn => ("AccessDenied", deny(&format!(": {}", ours_arn()))),
        End::ScpPhrase => ("AccessDenied", deny("")),
        End::Other => ("AccessDenied", deny(&format!(": {OTHER}"))),
        End::Bare => ("AccessDenied", "Access Denied".to_string()),
    };
    r["errorCode"] = json!(code);
    r["errorMessage"] = json!(message);
    r
}

/// A fortnight after the policy went in force in PROD and DATA but not yet in SANDBOX: the
/// calls the replay predicts denied are refused with scpctl's ARN in PROD, with the phrase in
/// DATA, and go through in SANDBOX; alice (excepted, at home) is once refused by ARN (a gap);
/// another SCP and bare denials here and there; and one hostile record whose user name and
/// action try to inject markup and a fetch.
fn demo(hostile_port: u16) -> (Vec<Value>, Value) {
    let inside = ["192.0.2.10", "203.0.113.44", "2001:db8:1234::9"];
    let outside = ["198.51.100.7", "198.51.100.23", "2001:db8:ffff:1::5"];
    // (account, user, excepted, one call in `every` from outside)
    let users = [
        (PROD, "deploy-bot", true, 3),
        (PROD, "alice", true, 5),
        (PROD, "legacy-export", false, 7),
        (SANDBOX, "tester", true, 2),
        (SANDBOX, "intern", false, 11),
        (DATA, "etl-nightly", true, 4),
        (DATA, "analyst", true, 9),
    ];
    let mut records = Vec::new();
    let mut i = 0;
    for day in 1..=14u32 {
        for (account, user, excepted, every) in users {
            for k in 0..3 {
                i += 1;
                let out = (i + k) % every == 0;
                let ip = if out {
                    outside[i % outside.len()]
                } else {
                    inside[i % inside.len()]
                };
                let predicted = !excepted || out;
                let end = match (account, predicted) {
                    (SANDBOX, _) => End::Succeeded,
                    (PROD, true) => End::OursByArn,
                    (DATA, true) => End::ScpPhrase,
                    _ if i % 17 == 0 => End::Other,
                    _ if i % 23 == 0 => End::Bare,
                    _ => End::Succeeded,
                };
                records.push(record(i, account, user, ip, day, end));
            }
        }
    }
    // Alice at home, refused with scpctl's ARN: the replay does not predict it.
    records.push(record(9000, PROD, "alice", "192.0.2.10", 9, End::OursByArn));
    let hostile_user = format!(
        "x\"><img src=http://127.0.0.1:{hostile_port}/leak onerror=document.title='pwned'><script>document.title='pwned'</script>"
    );
    let mut h = record(9999, PROD, "h", "198.51.100.66", 7, End::OursByArn);
    h["userIdentity"]["arn"] = json!(format!("arn:aws:iam::{PROD}:user/{hostile_user}"));
    h["userIdentity"]["userName"] = json!(hostile_user);
    h["eventName"] = json!("<script>document.title='pwned'</script>");
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

/// `denials` on the demo project, with its tags and scpctl's policy id.
fn project(records: &[Value], tags: &Value) -> ReportRun {
    ReportRun::new(
        CIDRS,
        records,
        tags,
        &["denials", "--tags-file", "tags.json", "--policy-id", OURS],
    )
}

const BUCKETS: [&str; 3] = [
    "refused_and_predicted",
    "refused_not_predicted",
    "predicted_but_succeeded",
];

#[test]
fn the_demo_denials_render_in_chromium_with_the_json_numbers_safely_and_offline() {
    let (port, hits, control_hits) = armed_listener();

    let (records, tags) = demo(port);
    let run = project(&records, &tags);
    let (json, page) = run.both("denials.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let dom = browse(&page, &["--dump-dom", "--virtual-time-budget=3000"]);

    let title = format!("scpctl denials: {}", json["policy"].as_str().unwrap());
    assert_safe_and_offline(&html, &dom, &title, port, &hits, control_hits);

    // The headline numbers are the JSON's, and every bucket is filled.
    let totals = &json["totals"];
    for key in [
        "records",
        "refused",
        "refused_by_ours",
        "unattributed",
        "problems",
    ]
    .into_iter()
    .chain(BUCKETS)
    {
        let n = totals[key].as_u64().unwrap();
        assert!(
            dom.contains(&format!("<b id=\"t-{key}\">{n}</b>")),
            "{key} = {n} not on the page"
        );
    }
    for key in BUCKETS.into_iter().chain(["unattributed"]) {
        assert!(totals[key].as_u64().unwrap() > 0, "{key} empty: {totals}");
    }
    // Per statement: one row each, the three buckets' cells.
    for (sid, b) in json["by_statement"].as_object().unwrap() {
        let row = format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            dom_text(sid),
            b[BUCKETS[0]],
            b[BUCKETS[1]],
            b[BUCKETS[2]]
        );
        assert!(dom.contains(&row), "no row {row}");
    }
    // Per day: one bar segment per non-zero bucket, adding up to the totals.
    let by_day = json["by_day"].as_object().unwrap();
    assert_eq!(by_day.len(), 14);
    let mut bars = 0;
    let mut sums = [0u64; 3];
    for (day, b) in by_day {
        for (i, key) in BUCKETS.iter().enumerate() {
            let n = b[key].as_u64().unwrap();
            sums[i] += n;
            if n > 0 {
                bars += 1;
                assert!(dom.contains(&format!(
                    "data-day=\"{day}\" data-n=\"{n}\" data-series=\"{key}\""
                )));
            }
        }
    }
    assert_eq!(dom.matches("<rect ").count(), bars);
    for (i, key) in BUCKETS.iter().enumerate() {
        assert_eq!(sums[i], totals[key].as_u64().unwrap(), "{key}");
    }
    // Per principal: the row's numbers, addresses and actions.
    let principals = json["principals"].as_array().unwrap();
    assert!(principals.len() >= 6);
    for p in principals {
        let row = format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            dom_text(p["principal"].as_str().unwrap()),
            p["records"],
            p["refused"],
            p["ours"]["count"],
            p["refused_and_predicted"],
            p["refused_not_predicted"]["count"],
            p["predicted_but_succeeded"]["count"],
        );
        assert!(dom.contains(&row), "no row {row}");
        for a in p["addresses"].as_array().unwrap().iter().take(5) {
            assert!(dom.contains(&format!(
                "{} ({})",
                dom_text(a["address"].as_str().unwrap()),
                a["count"]
            )));
        }
        for a in p["actions"].as_array().unwrap().iter().take(5) {
            assert!(dom.contains(&format!(
                "{} ({})",
                dom_text(a["action"].as_str().unwrap()),
                a["count"]
            )));
        }
    }
    assert!(dom.contains(&format!("{OTHER}</td><td class=\"n\">")));

    screenshot(
        &page,
        &run.dir.path().join("shot.png"),
        "denials-report.png",
    );

    // Without --out the page goes to stdout, the same page as --out writes.
    let stdout = run.run("html", &[]).success().get_output().stdout.clone();
    assert_eq!(stdout, html.as_bytes());
}

#[test]
fn ten_thousand_principals_make_a_denials_page_under_5_mb_that_chromium_loads() {
    let accounts: Vec<String> = (0..20).map(|a| format!("5555000000{a:02}")).collect();
    let mut records = Vec::new();
    for i in 0..10_000usize {
        let account = &accounts[i % accounts.len()];
        let user = format!("svc-{i:05}");
        for k in 0..2 {
            let ip = format!("198.51.{}.{}", 100 + (i % 3), (i + k) % 250 + 1);
            let end = if k == 0 {
                End::OursByArn
            } else {
                End::Succeeded
            };
            records.push(record(
                i * 2 + k,
                account,
                &user,
                &ip,
                1 + (i % 28) as u32,
                end,
            ));
        }
    }
    let run = project(&records, &json!({}));
    let (json, page) = run.both("denials.html");
    assert_eq!(json["principals"].as_array().unwrap().len(), 10_000);
    let size = std::fs::metadata(&page).unwrap().len();
    assert!(size < 5_000_000, "{size} bytes");
    let (dom, took) = timed_dump(&page);
    eprintln!(
        "10,000 principals (denials): page {size} bytes, Chromium --dump-dom in {:.2?}",
        took
    );
    assert_eq!(dom.matches("<details class=\"account\"").count(), 20);
    assert!(!dom.contains("<details class=\"account\" data-account=\"555500000000\" open"));
    let t = &json["totals"];
    assert_eq!(t["refused_and_predicted"], 10_000);
    assert_eq!(t["predicted_but_succeeded"], 10_000);
    assert!(dom.contains("<b id=\"t-refused_and_predicted\">10000</b>"));
    assert_eq!(dom.matches("<tr><td>arn:aws:iam::5555").count(), 10_000);
}
