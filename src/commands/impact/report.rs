//! The impact report of both engines, as text and as JSON.

use scpctl_core::printable::printable;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use scpctl_core::impact::{PrincipalReport, PrincipalStats, Tally};
use serde::Serialize;
use serde_json::json;

use anyhow::Result;

use crate::cli::{Cli, ImpactArgs};
use crate::commands::base::report_out;
use crate::trail::{Out, Problem, Problems};

pub struct Report<'a> {
    pub policy: &'a str,
    pub network_sid: &'a str,
    pub tags: String,
    pub management_account: Option<&'a str>,
    pub management_looked_up: bool,
    pub tally: &'a Tally,
    pub problems: &'a Problems,
    pub files: u64,
    /// The policies in force, when given.
    pub in_force: Option<String>,
    /// AWS calls made to read them (`--org-policies`).
    pub api_calls: Option<BTreeMap<String, u64>>,
    pub signin: bool,
    /// What the replay cannot see, from the config (printed as `note:` lines).
    pub notes: Vec<&'static str>,
}

/// The notes a config gives both engines' reports.
pub fn config_notes(config: &scpctl_core::config::Config) -> Vec<&'static str> {
    config.network.opt_ins.replay_notes()
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn codes<K: Copy + Ord>(
    m: &BTreeMap<K, u64>,
    code: impl Fn(K) -> &'static str,
) -> serde_json::Map<String, serde_json::Value> {
    m.iter()
        .map(|(k, v)| (code(*k).to_string(), json!(v)))
        .collect()
}

/// The principals of a JSON report, each built as it is written: a report of many principals
/// with many outside addresses never holds all their lines (as strings) at once, so peak memory
/// does not grow with the report.
struct Principals<'a> {
    affected: &'a [(&'a str, &'a str, &'a PrincipalStats)],
    network_sid: &'a str,
}

impl Serialize for Principals<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.affected.iter().map(|(account, arn, p)| {
                PrincipalReport::new(account, arn, p, Some(self.network_sid))
            }),
        )
    }
}

impl Report<'_> {
    fn principals(&self) -> Vec<PrincipalReport> {
        self.tally
            .affected()
            .into_iter()
            .map(|(account, arn, p)| PrincipalReport::new(account, arn, p, Some(self.network_sid)))
            .collect()
    }

    fn management_note(&self) -> String {
        match self.management_account {
            Some(a) => format!(
                "management account {a}{}: its principals are never restricted",
                if self.management_looked_up { " (from Organizations)" } else { "" }
            ),
            None => "management account not given (--management-account): its principals are counted like any other".into(),
        }
    }

    /// The JSON document, serialised straight to the output (no intermediate tree: a report
    /// of many principals stays cheap).
    fn json_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct Totals {
            files: u64,
            records: u64,
            decided: u64,
            denied: u64,
            principals_denied: usize,
            apart: u64,
            skipped: u64,
            /// Every problem found; `problems` lists the first of each file.
            problems: u64,
            /// Inputs not read again (links back into the walk, a file under a second name).
            #[serde(skip_serializing_if = "is_zero")]
            not_read_again: u64,
            /// With the policies in force given: records they deny already.
            #[serde(skip_serializing_if = "Option::is_none")]
            denied_today: Option<u64>,
            /// With the policies in force given: records only the new policy denies.
            #[serde(skip_serializing_if = "Option::is_none")]
            newly_denied: Option<u64>,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            policy: &'a str,
            tags_assumption: &'a str,
            management_account: Option<&'a str>,
            totals: Totals,
            principals: Principals<'a>,
            apart: serde_json::Map<String, serde_json::Value>,
            undecided_network: serde_json::Map<String, serde_json::Value>,
            skipped: serde_json::Map<String, serde_json::Value>,
            /// Would-be-denied records per UTC day and Sid (not from `--engine athena`).
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            denied_by_day: &'a BTreeMap<String, BTreeMap<String, u64>>,
            problems: &'a [Problem],
            /// Problems found but not in `problems` (beyond the first of each file).
            #[serde(skip_serializing_if = "is_zero")]
            problems_unlisted: u64,
            #[serde(skip_serializing_if = "<[Problem]>::is_empty")]
            not_read_again: &'a [Problem],
            #[serde(skip_serializing_if = "Option::is_none")]
            in_force: Option<&'a str>,
            /// Why the policies in force deny, with counts.
            #[serde(skip_serializing_if = "Option::is_none")]
            denied_today_by: Option<&'a BTreeMap<String, u64>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            api_calls: Option<&'a BTreeMap<String, u64>>,
            #[serde(skip_serializing_if = "<[&str]>::is_empty")]
            notes: &'a [&'static str],
        }
        let t = self.tally;
        let with = self.in_force.is_some();
        let affected = t.affected();
        let doc = Doc {
            policy: self.policy,
            tags_assumption: &self.tags,
            management_account: self.management_account,
            totals: Totals {
                files: self.files,
                records: t.records,
                decided: t.decided,
                denied: t.denied,
                principals_denied: affected
                    .iter()
                    .filter(|(_, _, p)| !p.denied.is_empty())
                    .count(),
                apart: t.apart.values().sum(),
                skipped: t.skipped.values().sum(),
                problems: self.problems.total(),
                not_read_again: self.problems.links_total,
                denied_today: with.then(|| t.denied_today.values().sum()),
                newly_denied: with.then_some(t.newly_denied),
            },
            principals: Principals {
                affected: &affected,
                network_sid: self.network_sid,
            },
            apart: codes(&t.apart, |r| r.code()),
            undecided_network: codes(&t.undecided_network, |r| r.code()),
            skipped: codes(&t.skipped, |r| r.code()),
            denied_by_day: &t.denied_by_day,
            problems: &self.problems.listed,
            problems_unlisted: self.problems.unlisted(),
            not_read_again: &self.problems.links,
            in_force: self.in_force.as_deref(),
            denied_today_by: with.then_some(&t.denied_today),
            api_calls: self.api_calls.as_ref(),
            notes: &self.notes,
        };
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    }

    pub fn text(&self) -> String {
        let t = self.tally;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Impact of {} on {} records in {} file(s)",
            self.policy, t.records, self.files
        );
        let _ = writeln!(s, "tags: {}", printable(&self.tags));
        let _ = writeln!(s, "{}", self.management_note());
        for note in &self.notes {
            let _ = writeln!(s, "note: {note}");
        }
        if let Some(f) = &self.in_force {
            let _ = writeln!(s, "policies in force: {}", printable(f));
        }
        let what = if self.signin {
            "sign-in(s)"
        } else {
            "request(s)"
        };
        let verb = if self.signin {
            "would be refused"
        } else {
            "would be denied"
        };
        let principals = self.principals();
        let mut account = "";
        for p in &principals {
            if p.account != account {
                let _ = writeln!(s, "\naccount {}", printable(&p.account));
                account = &p.account;
            }
            let denied: u64 = p.denied.values().sum();
            let _ = writeln!(
                s,
                "  {} ({})",
                printable(&p.principal_arn),
                printable(p.principal_type.unwrap_or("unknown type"))
            );
            let by: Vec<String> = p
                .denied
                .iter()
                .map(|(sid, n)| format!("{} {n}", printable(sid)))
                .collect();
            let _ = write!(s, "    {} {what}, {denied} {verb}", p.requests);
            if !by.is_empty() {
                let _ = write!(s, ": {}", by.join(", "));
            }
            if self.in_force.is_some() {
                let _ = write!(
                    s,
                    "; {} newly denied, {} denied today already",
                    p.newly_denied, p.denied_today
                );
            }
            if p.undecided > 0 {
                let _ = write!(s, "; {} undecided (address unknown)", p.undecided);
            }
            let _ = writeln!(s);
            if !p.outside_addresses.is_empty() {
                let shown: Vec<String> = p
                    .outside_addresses
                    .iter()
                    .take(10)
                    .map(|c| format!("{} ({})", printable(&c.address.to_string()), c.count))
                    .collect();
                let more =
                    p.outside_addresses.len().saturating_sub(10) as u64 + p.other_outside_addresses;
                let _ = writeln!(
                    s,
                    "    outside the CIDRs: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                );
            }
            if !p.top_denied_actions.is_empty() {
                let shown: Vec<String> = p
                    .top_denied_actions
                    .iter()
                    .map(|c| format!("{} ({})", printable(&c.action), c.count))
                    .collect();
                let _ = writeln!(s, "    most denied actions: {}", shown.join(", "));
            }
            if let (Some(f), Some(l)) = (&p.first_seen, &p.last_seen) {
                let _ = writeln!(
                    s,
                    "    seen {} .. {}",
                    printable(&f.to_string()),
                    printable(&l.to_string())
                );
            }
            if let Some(cidrs) = &p.suggested_cidrs {
                // The first 20 on the terminal; the JSON report lists them all.
                const SHOWN: usize = 20;
                let more = cidrs.len().saturating_sub(SHOWN);
                let _ = writeln!(
                    s,
                    "    suggestion to review (never applied): add {}{} to [network] cidrs",
                    cidrs[..cidrs.len().min(SHOWN)].join(", "),
                    if more > 0 {
                        format!(" and {more} more (--output json lists them all)")
                    } else {
                        String::new()
                    }
                );
            }
        }
        if principals.is_empty() {
            let _ = writeln!(s, "\nNo {what} in these records {verb}.");
        }
        let denied_principals = principals.iter().filter(|p| !p.denied.is_empty()).count();
        if self.in_force.is_some() {
            let today: u64 = t.denied_today.values().sum();
            let _ = writeln!(
                s,
                "\nof {} decided records:\n  denied today already (by the policies in force): {today:>8}\n  newly denied by this policy:                     {:>8}",
                t.decided, t.newly_denied
            );
            for (why, n) in &t.denied_today {
                let _ = writeln!(s, "    today {n:>8}  {}", printable(why));
            }
        }
        let _ = writeln!(
            s,
            "\ntotals: {} records, {} decided, {} {verb} ({} principal(s)), {} apart, {} skipped",
            t.records,
            t.decided,
            t.denied,
            denied_principals,
            t.apart.values().sum::<u64>(),
            t.skipped.values().sum::<u64>()
        );
        for (r, n) in &t.apart {
            let _ = writeln!(s, "  apart   {n:>8}  {}: {}", r.code(), r.describe());
        }
        for (r, n) in &t.undecided_network {
            let _ = writeln!(
                s,
                "          {n:>8}    of which address unknown: {}",
                r.code()
            );
        }
        for (r, n) in &t.skipped {
            let _ = writeln!(s, "  skipped {n:>8}  {}", r.code());
        }
        if self.problems.total() > 0 {
            let _ = writeln!(
                s,
                "  problems {:>7}  input skipped (listed on stderr)",
                self.problems.total()
            );
        }
        s
    }
}

impl report_out::Report for Report<'_> {
    fn text(&self) -> String {
        Report::text(self)
    }

    fn json_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        Report::json_to(self, w)
    }

    fn html(&self, json: &serde_json::Value) -> String {
        scpctl_core::report_html::impact_html(json)
    }
}

/// Print the report (or write it to `--out`, all or nothing) in the chosen format.
pub fn emit(cli: &Cli, args: &ImpactArgs, report: &Report, out: &Out) -> Result<bool> {
    report_out::emit(report, cli.output, args.out.as_deref(), out)
}
