//! The `denials` report as text, JSON and one HTML page (drawn from the JSON), over the core's
//! tally (`scpctl_core::denials::tally`).

use std::fmt::Write as _;

use scpctl_core::denials::tally::{Buckets, DenialTally, Events, PrincipalDenials};
use scpctl_core::printable::printable;
use serde::Serialize;

use crate::commands::base::report_out;

/// Addresses and actions shown per principal in the text; the JSON lists up to 1,000.
const SHOWN: usize = 10;

pub(super) struct Report<'a> {
    pub policy: &'a str,
    pub policy_id: Option<&'a str>,
    pub policy_id_source: &'a str,
    pub tags: &'a str,
    pub management_account: Option<&'a str>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub files: u64,
    pub problems: u64,
    pub tally: &'a DenialTally,
    /// What the prediction cannot see, from the config (printed as `note:` lines).
    pub notes: Vec<&'static str>,
}

fn events(e: &Events) -> String {
    let ids: Vec<String> = e
        .event_ids
        .iter()
        .map(|i| printable(i).into_owned())
        .collect();
    let more = e.count.saturating_sub(e.event_ids.len() as u64);
    let mut s = ids.join(", ");
    if more > 0 {
        let _ = write!(s, " and {more} more");
    }
    s
}

/// `value (n), ...`, the first [`SHOWN`], and how many more.
fn counted(list: &[(&str, u64)], other: u64) -> String {
    let shown: Vec<String> = list
        .iter()
        .take(SHOWN)
        .map(|(v, n)| format!("{} ({n})", printable(v)))
        .collect();
    let more = list.len().saturating_sub(SHOWN) as u64 + other;
    let mut s = shown.join(", ");
    if more > 0 {
        let _ = write!(s, " and {more} more");
    }
    s
}

impl Report<'_> {
    fn json_doc(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct Row<'a> {
            account: &'a str,
            principal: &'a str,
            refused: u64,
            #[serde(flatten)]
            counts: &'a PrincipalDenials,
        }
        #[derive(Serialize)]
        struct Totals {
            files: u64,
            records: u64,
            refused: u64,
            refused_by_ours: u64,
            #[serde(flatten)]
            buckets: Buckets,
            unattributed: u64,
            problems: u64,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            policy: &'a str,
            policy_id: Option<&'a str>,
            policy_id_source: &'a str,
            tags_assumption: &'a str,
            management_account: Option<&'a str>,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            notes: &'a [&'static str],
            since: Option<&'a str>,
            until: Option<&'a str>,
            totals: Totals,
            by_statement: &'a std::collections::BTreeMap<String, Buckets>,
            by_day: &'a std::collections::BTreeMap<String, Buckets>,
            principals: Vec<Row<'a>>,
        }
        let t = self.tally;
        let doc = Doc {
            policy: self.policy,
            policy_id: self.policy_id,
            policy_id_source: self.policy_id_source,
            tags_assumption: self.tags,
            management_account: self.management_account,
            notes: &self.notes,
            since: self.since,
            until: self.until,
            totals: Totals {
                files: self.files,
                records: t.records,
                refused: t.refused,
                refused_by_ours: t.ours,
                buckets: t.buckets(),
                unattributed: t
                    .principals
                    .values()
                    .flat_map(|m| m.values())
                    .map(|p| p.unattributed)
                    .sum(),
                problems: self.problems,
            },
            by_statement: &t.by_statement,
            by_day: &t.by_day,
            principals: t
                .shown()
                .map(|(account, principal, p)| Row {
                    account,
                    principal,
                    refused: p.refused_total(),
                    counts: p,
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    }

    fn text_doc(&self) -> String {
        let t = self.tally;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Denials in {} records of {} file(s): {} refused, {} by scpctl's policy {}",
            t.records, self.files, t.refused, t.ours, self.policy
        );
        let _ = writeln!(
            s,
            "policy id: {} ({})",
            self.policy_id.unwrap_or("unknown"),
            printable(self.policy_id_source)
        );
        let _ = writeln!(s, "tags: {}", printable(self.tags));
        if let Some(m) = self.management_account {
            let _ = writeln!(
                s,
                "management account {m}: its principals are never restricted"
            );
        }
        for note in &self.notes {
            let _ = writeln!(s, "note: {note}");
        }
        let mut account = "";
        let mut any = false;
        for (a, arn, p) in t.shown() {
            any = true;
            if a != account {
                let _ = writeln!(s, "\naccount {}", printable(a));
                account = a;
            }
            let _ = writeln!(s, "  {}", printable(arn));
            let _ = writeln!(
                s,
                "    {} record(s), {} refused: {} by scpctl's policy, {} by another SCP/RCP, {} by another policy type, {} unattributed ({} of which scpctl's policy would deny)",
                p.records,
                p.refused_total(),
                p.ours.count,
                p.other_scp_or_rcp,
                p.other_type,
                p.unattributed,
                p.unattributed_ours_would_deny
            );
            for (other, n) in &p.other_policies {
                let _ = writeln!(s, "      {n} by {}", printable(other));
            }
            let _ = writeln!(s, "    refused and predicted: {}", p.refused_and_predicted);
            if p.refused_not_predicted.count > 0 {
                let _ = writeln!(
                    s,
                    "    refused but not predicted (a mapping or evaluator gap): {}: {}",
                    p.refused_not_predicted.count,
                    events(&p.refused_not_predicted)
                );
            }
            if p.predicted_but_succeeded.count > 0 {
                let _ = writeln!(
                    s,
                    "    predicted but succeeded (not in force there yet, or a gap): {}: {}",
                    p.predicted_but_succeeded.count,
                    events(&p.predicted_but_succeeded)
                );
            }
            if !p.predicted_by_statement.is_empty() {
                let by: Vec<String> = p
                    .predicted_by_statement
                    .iter()
                    .map(|(sid, n)| format!("{} {n}", printable(sid)))
                    .collect();
                let _ = writeln!(s, "    predicted by statement: {}", by.join(", "));
            }
            if !p.addresses.counts.is_empty() {
                let _ = writeln!(
                    s,
                    "    from: {}",
                    counted(&p.addresses.sorted(), p.other_addresses)
                );
            }
            if !p.actions.counts.is_empty() {
                let _ = writeln!(
                    s,
                    "    actions: {}",
                    counted(&p.actions.sorted(), p.other_actions)
                );
            }
            if let (Some(f), Some(l)) = (&p.first_seen, &p.last_seen) {
                let _ = writeln!(s, "    seen {} .. {}", printable(f), printable(l));
            }
        }
        if !any {
            let _ = writeln!(
                s,
                "\nNo call in these records was refused or predicted to be."
            );
        }
        if !t.by_statement.is_empty() {
            let _ = writeln!(
                s,
                "\nby statement: refused and predicted / refused, not predicted / predicted, succeeded"
            );
            for (sid, b) in &t.by_statement {
                let _ = writeln!(
                    s,
                    "  {:>8} {:>8} {:>8}  {}",
                    b.refused_and_predicted,
                    b.refused_not_predicted,
                    b.predicted_but_succeeded,
                    printable(sid)
                );
            }
        }
        s
    }
}

impl report_out::Report for Report<'_> {
    fn text(&self) -> String {
        self.text_doc()
    }

    fn json_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.json_doc(w)
    }

    fn html(&self, json: &serde_json::Value) -> String {
        scpctl_core::report_html::denials_html(json)
    }
}
