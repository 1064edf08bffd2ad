//! The config model, the tags, and the planner's gates, force, abort and crash re-runs.

use std::collections::BTreeSet;

use super::state::*;
use super::*;
use crate::config::Config;
use crate::denials::tally::DenialTally;
use crate::denials::{Attribution, Observation};

const POLICY: &str = "RestrictIAMUserAccessWithExceptions";

const STAGES: &str = r#"[network]
cidrs = ["192.0.2.0/24"]

[[rollout.stages]]
targets = ["ou-ab12-canary01"]
soak = "2d"

[[rollout.stages]]
targets = ["ou-ab12-prod0001", "ou-ab12-prod0002"]
soak = "12h"

[[rollout.stages]]
targets = ["r-ab12"]

[rollout]
expected_denied = ["arn:aws:iam::*:user/stale-*"]
max_unexpected_principals = 0
"#;

fn settings() -> RolloutSettings {
    Config::parse(STAGES, "scpctl.toml")
        .unwrap()
        .rollout
        .unwrap()
}

fn errors(text: &str) -> Vec<String> {
    Config::parse(text, "scpctl.toml")
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn attached(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// A tally with one refusal by scpctl's policy per principal given.
fn refused(principals: &[&str]) -> DenialTally {
    let mut t = DenialTally::default();
    for (i, p) in principals.iter().enumerate() {
        t.add(&Observation {
            event_id: Some(format!("ev-{i}")),
            event_time: Some("2026-03-02T00:00:00Z".into()),
            account: "111122223333".into(),
            principal: p.to_string(),
            action: Some("iam:ListRoles".into()),
            source_ip: Some("198.51.100.7".into()),
            refused: Some(Attribution::Ours { by_arn: true }),
            error_code: Some("AccessDenied".into()),
            predicted: Some(true),
            statement: Some("DenyOutsideNetwork".into()),
        });
    }
    t
}

/// Apply a plan to the observed state, as the command layer would.
fn execute(
    tags: &mut Vec<(String, String)>,
    attachments: &mut BTreeSet<String>,
    set: &[(String, String)],
    remove: &[String],
    changes: &[crate::plan::Change],
) {
    tags.retain(|(k, _)| !remove.contains(k) && !set.iter().any(|(s, _)| s == k));
    tags.extend(set.iter().cloned());
    for c in changes {
        match c {
            crate::plan::Change::AttachPolicy { target, .. } => {
                attachments.insert(target.as_str().to_string());
            }
            crate::plan::Change::DetachPolicy { target, .. } => {
                attachments.remove(target.as_str());
            }
            other => panic!("unexpected change {other:?}"),
        }
    }
}

#[test]
fn the_config_model_parses_with_its_positions() {
    let s = settings();
    assert_eq!(s.stages.len(), 3);
    assert_eq!(s.stages[0].soak_seconds, 2 * 86_400);
    assert_eq!(s.stages[1].targets.len(), 2);
    assert_eq!(s.stages[2].soak_seconds, 0);
    assert_eq!(s.expected_denied, ["arn:aws:iam::*:user/stale-*"]);
    // Without [rollout] there are no settings.
    let plain = Config::parse("[network]\ncidrs = [\"192.0.2.0/24\"]\n", "t.toml").unwrap();
    assert!(plain.rollout.is_none());
}

#[test]
fn bad_stages_name_file_line_and_column() {
    let bad_target = STAGES.replace("\"ou-ab12-prod0002\"", "\"ou-prod\"");
    let e = errors(&bad_target);
    assert!(
        e.iter().any(|m| m.starts_with("scpctl.toml:9:33:")
            && m.contains("\"ou-prod\"")
            && m.contains("stage 2")),
        "{e:?}"
    );
    let bad_soak = STAGES.replace("\"12h\"", "\"12 hours\"");
    let e = errors(&bad_soak);
    assert!(
        e.iter()
            .any(|m| m.starts_with("scpctl.toml:10:9:")
                && m.contains("\"12 hours\" is not a duration")),
        "{e:?}"
    );
    // A stage without targets is a syntax error at the stage.
    let e = errors("[network]\ncidrs = [\"192.0.2.0/24\"]\n[[rollout.stages]]\nsoak = \"1d\"\n");
    assert!(
        e.iter()
            .any(|m| m.starts_with("scpctl.toml:3:") && m.contains("targets")),
        "{e:?}"
    );
    let e = errors("[network]\ncidrs = [\"192.0.2.0/24\"]\n[[rollout.stages]]\ntargets = [\"r-ab12\"]\nsoke = \"1d\"\n");
    assert!(e.iter().any(|m| m.contains("soke")), "{e:?}");
    let twice = STAGES.replace("\"r-ab12\"", "\"ou-ab12-canary01\"");
    let e = errors(&twice);
    assert!(e.iter().any(|m| m.contains("already in stage 1")), "{e:?}");
    let e = errors(&STAGES.replace("stale-*\"]", "stale-*\", \"stale\"]"));
    assert!(
        e.iter()
            .any(|m| m.contains("\"stale\" is not an ARN pattern")),
        "{e:?}"
    );
}

#[test]
fn durations_are_strict() {
    assert_eq!(parse_duration("30m"), Ok(1_800));
    assert_eq!(parse_duration("12h"), Ok(43_200));
    assert_eq!(parse_duration("2d"), Ok(172_800));
    for bad in [
        "",
        "d",
        "2",
        "2 d",
        "-1d",
        "1.5h",
        "2w",
        "1d12h",
        "99999999999999999999d",
        "400d",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn times_round_trip() {
    for t in [
        "1970-01-01T00:00:00Z",
        "2024-02-29T23:59:59Z",
        "2026-12-04T16:46:25Z",
    ] {
        assert_eq!(format_epoch(epoch_seconds(t).unwrap()), t);
    }
    assert_eq!(
        epoch_seconds("2026-03-01T00:00:00Z").unwrap()
            - epoch_seconds("2026-02-28T00:00:00Z").unwrap(),
        86_400
    );
    assert_eq!(epoch_seconds("2026-03-01"), None);
    assert_eq!(describe_seconds(90_060), "1d 1h 1m");
}

#[test]
fn tags_that_do_not_parse_are_reported_not_trusted() {
    let (state, problems) = RolloutState::parse(
        &tags(&[(TAG_STAGE, "7"), (TAG_STARTED, "yesterday"), ("Owner", "x")]),
        3,
    );
    assert_eq!(state.stage, None);
    assert_eq!(state.started, None);
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert!(
        keys.contains(&TAG_STAGE) && keys.contains(&TAG_STARTED),
        "{problems:?}"
    );
    let (_, problems) = RolloutState::parse(&tags(&[(TAG_STAGE, "1")]), 3);
    assert!(problems[0].why.contains("no valid"), "{problems:?}");
    let (_, problems) = RolloutState::parse(&tags(&[("Scpctl:Rollout-Stage", "1")]), 3);
    assert_eq!(problems.len(), 1);
    // next refuses on them; abort rewrites them.
    let bad = tags(&[(TAG_STAGE, "two"), (TAG_STARTED, "2026-03-01T00:00:00Z")]);
    let e = next(
        &settings(),
        POLICY,
        &bad,
        &attached(&[]),
        "2026-03-05T00:00:00Z",
        &DenialTally::default(),
        true,
    )
    .unwrap_err();
    assert!(
        matches!(e, Refusal::BadTags { .. }) && e.to_string().contains("\"two\""),
        "{e}"
    );
    let plan = abort(
        &settings(),
        POLICY,
        &bad,
        &attached(&["ou-ab12-canary01"]),
        "bad tags",
        "2026-03-05T00:00:00Z",
    );
    assert!(plan.tags.remove.contains(&TAG_STAGE.to_string()));
    // Every value scpctl writes obeys the tag rules.
    let (v, changed) = tag_value("rollback, see INC-42 (p1)\n");
    assert!(changed && crate::tags::validate_value(&v).is_ok(), "{v}");
    let (v, changed) = tag_value(&"x".repeat(300));
    assert!(changed && v.chars().count() == 256);
}

#[test]
fn a_three_stage_rollout_with_its_gates() {
    let s = settings();
    let mut t: Vec<(String, String)> = Vec::new();
    let mut a = attached(&["111122223333"]);
    let quiet = DenialTally::default();

    // The first next is stage 1, whatever the trail says.
    let p = next(
        &s,
        POLICY,
        &t,
        &a,
        "2026-03-01T00:00:00Z",
        &refused(&["arn:aws:iam::111122223333:user/bob"]),
        false,
    )
    .unwrap();
    assert_eq!((p.stage, p.completing, p.changes.len()), (1, false, 1));
    execute(&mut t, &mut a, &p.tags.set, &p.tags.remove, &p.changes);
    let st = status(&s, &t, &a);
    assert_eq!(st.state.stage, Some(1));
    assert_eq!(st.soak_ends.as_deref(), Some("2026-03-03T00:00:00Z"));
    assert_eq!(st.next_adds.len(), 2);
    assert_eq!(st.attached_elsewhere, ["111122223333"]);
    assert_eq!(st.state.denials_since(), Some("2026-03-01T00:00:00Z"));

    // Before the soak is over: refused, saying when it ends.
    let e = next(&s, POLICY, &t, &a, "2026-03-02T00:00:00Z", &quiet, false).unwrap_err();
    assert!(
        e.to_string()
            .contains("soak ends at 2026-03-03T00:00:00Z (1d left)"),
        "{e}"
    );

    // After it, an unexpected principal stops it, named with its events; an expected one does not.
    let bob = "arn:aws:iam::111122223333:user/bob";
    let e = next(
        &s,
        POLICY,
        &t,
        &a,
        "2026-03-04T00:00:00Z",
        &refused(&[bob, "arn:aws:iam::111122223333:user/stale-1"]),
        false,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(bob)
            && msg.contains("ev-0")
            && !msg.contains("stale-1")
            && msg.contains("at most 0"),
        "{msg}"
    );
    let ok = next(
        &s,
        POLICY,
        &t,
        &a,
        "2026-03-04T00:00:00Z",
        &refused(&["arn:aws:iam::111122223333:user/stale-1"]),
        false,
    )
    .unwrap();
    assert_eq!(ok.stage, 2);
    assert!(ok.forced.is_none());

    // --force goes past and says so in a tag.
    let p = next(
        &s,
        POLICY,
        &t,
        &a,
        "2026-03-04T00:00:00Z",
        &refused(&[bob]),
        true,
    )
    .unwrap();
    let forced = p.forced.clone().unwrap();
    assert!(
        forced.contains("stage 2") && forced.contains("1 unexpected"),
        "{forced}"
    );
    assert!(crate::tags::validate_value(&forced).is_ok());
    assert!(p.tags.set.contains(&(TAG_FORCED.to_string(), forced)));

    // A crash after the tags and one attachment: the re-run attaches only what is missing,
    // without a gate, even inside the new stage's soak.
    execute(&mut t, &mut a, &p.tags.set, &p.tags.remove, &p.changes[..1]);
    let r = next(
        &s,
        POLICY,
        &t,
        &a,
        "2026-03-04T00:01:00Z",
        &refused(&[bob]),
        false,
    )
    .unwrap();
    assert!(r.completing && r.tags.is_empty());
    assert_eq!(r.changes.len(), 1);
    execute(&mut t, &mut a, &r.tags.set, &r.tags.remove, &r.changes);
    assert!(status(&s, &t, &a).incomplete.is_empty());

    // Stage 2's soak is 12h; then the root, and then nothing more.
    assert!(next(&s, POLICY, &t, &a, "2026-03-04T06:00:00Z", &quiet, false).is_err());
    let p = next(&s, POLICY, &t, &a, "2026-03-04T12:00:00Z", &quiet, false).unwrap();
    assert_eq!(p.stage, 3);
    assert!(
        p.tags.remove.contains(&TAG_FORCED.to_string()),
        "a clean pass clears the forced tag"
    );
    execute(&mut t, &mut a, &p.tags.set, &p.tags.remove, &p.changes);
    let e = next(&s, POLICY, &t, &a, "2026-03-09T00:00:00Z", &quiet, false).unwrap_err();
    assert!(matches!(e, Refusal::Finished { stage: 3, .. }), "{e}");

    // Abort: detaches from every stage target (broadest first), leaves the rest, tags why.
    let plan = abort(
        &s,
        POLICY,
        &t,
        &a,
        "too many tickets",
        "2026-03-09T00:00:00Z",
    );
    let targets: Vec<&str> = plan
        .changes
        .iter()
        .map(|c| match c {
            crate::plan::Change::DetachPolicy { target, .. } => target.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(
        targets,
        [
            "r-ab12",
            "ou-ab12-prod0001",
            "ou-ab12-prod0002",
            "ou-ab12-canary01"
        ]
    );
    assert_eq!(plan.left_attached, ["111122223333"]);
    assert!(plan
        .tags
        .set
        .contains(&(TAG_REASON.to_string(), "too many tickets".to_string())));
    // A crash after two detachments: the re-run finishes them.
    execute(&mut t, &mut a, &[], &[], &plan.changes[..2]);
    let rerun = abort(
        &s,
        POLICY,
        &t,
        &a,
        "too many tickets",
        "2026-03-09T00:01:00Z",
    );
    assert_eq!(rerun.changes.len(), 2);
    execute(
        &mut t,
        &mut a,
        &rerun.tags.set,
        &rerun.tags.remove,
        &rerun.changes,
    );
    let st = status(&s, &t, &a);
    assert_eq!(st.state.stage, None);
    assert_eq!(st.state.reason.as_deref(), Some("too many tickets"));
    // A second abort writes nothing.
    let again = abort(&s, POLICY, &t, &a, "again", "2026-03-09T01:00:00Z");
    assert!(again.is_noop(), "{again:?}");
    // next resumes from the first stage, and clears the abort tags.
    let p = next(&s, POLICY, &t, &a, "2026-03-10T00:00:00Z", &quiet, false).unwrap();
    assert_eq!(p.stage, 1);
    assert!(
        p.tags.remove.contains(&TAG_ABORTED.to_string())
            && p.tags.remove.contains(&TAG_REASON.to_string())
    );
}

#[test]
fn a_manual_detach_inside_the_stages_in_force_is_put_back_first() {
    let s = settings();
    let t = tags(&[(TAG_STAGE, "2"), (TAG_STARTED, "2026-03-01T00:00:00Z")]);
    let a = attached(&["ou-ab12-canary01", "ou-ab12-prod0001"]);
    let p = next(
        &s,
        POLICY,
        &t,
        &a,
        "2026-03-10T00:00:00Z",
        &DenialTally::default(),
        false,
    )
    .unwrap();
    assert!(p.completing);
    assert_eq!(p.stage, 2);
    assert_eq!(p.changes.len(), 1);
    assert_eq!(status(&s, &t, &a).incomplete.len(), 1);
    let e = next(&s, POLICY, &t, &a, "March", &DenialTally::default(), false);
    assert!(e.is_ok(), "completing needs no clock");
    let full = attached(&["ou-ab12-canary01", "ou-ab12-prod0001", "ou-ab12-prod0002"]);
    let e = next(
        &s,
        POLICY,
        &t,
        &full,
        "March",
        &DenialTally::default(),
        false,
    )
    .unwrap_err();
    assert!(matches!(e, Refusal::BadTime { .. }));
}
