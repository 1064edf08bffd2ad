//! What scpctl wrote among an account's Sign-In resource permission statements, and the plan
//! that follows the config: which statements to put, which of scpctl's own to delete.
//!
//! AWS does not say who wrote a statement: `ListResourcePermissionStatements` returns each
//! statement's `sid` and `condition` only (AWS Sign-In API Reference,
//! `PermissionStatementSummary`: "sid", "condition"; the SDK's `PermissionStatementSummary`
//! has those two fields), never the client token it was put with, and statements carry no
//! tags. So scpctl keeps a ledger of the statements it wrote, per account, beside the config;
//! a statement not in the ledger is never deleted.
//!
//! Crash safety (the edge writes the ledger atomically at each step):
//! - before each put, the intent (the statement, no id yet); after AWS answers, its id;
//! - after each delete, the entry goes.
//!
//! A crash between a put and the record of its id leaves an intent: the next run adopts the
//! listed statement with the same fields. A crash between a delete and its record leaves an
//! entry whose id AWS no longer lists: the next run forgets it. Deleting is asked with a fixed
//! client token per statement id, and a statement already gone counts as deleted.

use serde::{Deserialize, Serialize};

use super::AccountStatement;

/// The ledger format this code reads and writes.
pub const LEDGER_VERSION: u32 = 1;

/// One statement scpctl wrote (`statement_id` set) or was about to write (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    pub statement: AccountStatement,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
}

/// The statements scpctl wrote in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    pub version: u32,
    pub account: String,
    pub statements: Vec<LedgerEntry>,
}

impl Ledger {
    pub fn new(account: &str) -> Ledger {
        Ledger {
            version: LEDGER_VERSION,
            account: account.to_string(),
            statements: Vec::new(),
        }
    }

    /// Read a ledger file's text; `source` names the file in errors. A ledger of another
    /// account or version is refused, never guessed at.
    pub fn parse(text: &str, source: &str, account: &str) -> Result<Ledger, String> {
        let ledger: Ledger = serde_json::from_str(text).map_err(|e| {
            format!("{source}: not a Sign-In statement ledger ({e}); move it aside to start a new one (scpctl then deletes no statement it wrote before)")
        })?;
        if ledger.version != LEDGER_VERSION {
            return Err(format!(
                "{source}: ledger version {} is not {LEDGER_VERSION}, the one this scpctl reads",
                ledger.version
            ));
        }
        if ledger.account != account {
            return Err(format!(
                "{source}: the ledger is of account {}, not {account}",
                crate::origin::excerpt(&ledger.account)
            ));
        }
        Ok(ledger)
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Before a put: the statement is about to be written (kept once).
    pub fn record_intent(&mut self, s: &AccountStatement) {
        if !self
            .statements
            .iter()
            .any(|e| &e.statement == s && e.statement_id.is_none())
        {
            self.statements.push(LedgerEntry {
                statement: s.clone(),
                statement_id: None,
            });
        }
    }

    /// After a put: AWS answered with the statement's id.
    pub fn record_answer(&mut self, s: &AccountStatement, id: &str) {
        self.statements
            .retain(|e| !(&e.statement == s && e.statement_id.is_none()));
        if !self
            .statements
            .iter()
            .any(|e| e.statement_id.as_deref() == Some(id))
        {
            self.statements.push(LedgerEntry {
                statement: s.clone(),
                statement_id: Some(id.to_string()),
            });
        }
    }

    /// After a delete (or when AWS says it is gone already).
    pub fn record_deleted(&mut self, id: &str) {
        self.statements
            .retain(|e| e.statement_id.as_deref() != Some(id));
    }
}

/// The account's statements against the config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatementPlan {
    /// Derived by the config and not in the account.
    pub puts: Vec<AccountStatement>,
    /// scpctl's own, no longer derived, to delete (with `prune`).
    pub deletes: Vec<(String, AccountStatement)>,
    /// scpctl's own, no longer derived, kept because `prune` is off.
    pub stale: Vec<(String, AccountStatement)>,
    /// Not derived and not scpctl's: left alone whatever the flags.
    pub foreign: Vec<(String, AccountStatement)>,
    /// The ledger as AWS now confirms it: entries whose statement is listed (by id, or an
    /// intent adopted by its fields); entries AWS no longer lists are forgotten.
    pub ledger: Ledger,
}

impl StatementPlan {
    /// Whether AWS would be written to.
    pub fn writes(&self) -> bool {
        !self.puts.is_empty() || !self.deletes.is_empty()
    }
}

/// Plan the account's statements: `present` as AWS lists them (id, fields), `wanted` as the
/// config derives them, `ledger` as last written.
pub fn plan_statements(
    ledger: &Ledger,
    present: &[(String, AccountStatement)],
    wanted: &[AccountStatement],
    prune: bool,
) -> StatementPlan {
    let mut confirmed = Ledger::new(&ledger.account);
    // Entries with an id AWS still lists.
    for e in &ledger.statements {
        if let Some(id) = &e.statement_id {
            if let Some((_, s)) = present.iter().find(|(pid, _)| pid == id) {
                confirmed.record_answer(s, id);
            }
        }
    }
    // Intents: a put whose answer was not recorded. Adopt a listed statement with the same
    // fields that no entry owns yet.
    for e in &ledger.statements {
        if e.statement_id.is_some() {
            continue;
        }
        let owned = |id: &str| {
            confirmed
                .statements
                .iter()
                .any(|c| c.statement_id.as_deref() == Some(id))
        };
        let adopt = present
            .iter()
            .find(|(id, s)| s == &e.statement && !owned(id))
            .map(|(id, _)| id.clone());
        if let Some(id) = adopt {
            confirmed.record_answer(&e.statement, &id);
        }
    }
    let ours = |id: &str| {
        confirmed
            .statements
            .iter()
            .any(|c| c.statement_id.as_deref() == Some(id))
    };
    let mut plan = StatementPlan::default();
    for (id, s) in present {
        if wanted.contains(s) {
            continue;
        }
        let entry = (id.clone(), s.clone());
        match (ours(id), prune) {
            (true, true) => plan.deletes.push(entry),
            (true, false) => plan.stale.push(entry),
            (false, _) => plan.foreign.push(entry),
        }
    }
    for s in wanted {
        if !present.iter().any(|(_, p)| p == s) && !plan.puts.contains(s) {
            plan.puts.push(s.clone());
        }
    }
    plan.ledger = confirmed;
    plan
}

/// The fixed client token of the delete of statement `id` (1-64 characters of `[!-~]`): a
/// retry after a lost answer is the same request.
pub fn delete_token(id: &str) -> String {
    // FNV-1a, as the put's token: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("scpctl-signin-delete-v1|{id}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("scpctl-del-{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "111122223333";

    fn ip(cidr: &str) -> AccountStatement {
        AccountStatement {
            source_ip: Some(cidr.into()),
            ..AccountStatement::default()
        }
    }

    fn listed(items: &[(&str, &AccountStatement)]) -> Vec<(String, AccountStatement)> {
        items
            .iter()
            .map(|(id, s)| (id.to_string(), (*s).clone()))
            .collect()
    }

    /// Carry out a plan against `aws` the way the edge does, crashing after `steps` events
    /// (each ledger write and each AWS write is one); returns the ledger as last written.
    fn run(
        ledger: &Ledger,
        aws: &mut Vec<(String, AccountStatement)>,
        wanted: &[AccountStatement],
        steps: usize,
    ) -> Ledger {
        let plan = plan_statements(ledger, aws, wanted, true);
        let mut written = ledger.clone();
        let mut events = 0;
        let mut crashed = || {
            events += 1;
            events > steps
        };
        let mut l = plan.ledger.clone();
        // The reconciled ledger is written before any AWS write.
        if crashed() {
            return written;
        }
        written = l.clone();
        for s in &plan.puts {
            l.record_intent(s);
            if crashed() {
                return written;
            }
            written = l.clone();
            // AWS: the same client token twice creates nothing more.
            if crashed() {
                return written;
            }
            let id = match aws.iter().find(|(_, p)| p == s) {
                Some((id, _)) => id.clone(),
                None => {
                    let id = format!("new {s}");
                    aws.push((id.clone(), s.clone()));
                    id
                }
            };
            l.record_answer(s, &id);
            if crashed() {
                return written;
            }
            written = l.clone();
        }
        for (id, _) in &plan.deletes {
            if crashed() {
                return written;
            }
            aws.retain(|(p, _)| p != id);
            l.record_deleted(id);
            if crashed() {
                return written;
            }
            written = l.clone();
        }
        written
    }

    #[test]
    fn a_ledger_round_trips_and_is_refused_for_another_account_or_version() {
        let mut l = Ledger::new(ACCOUNT);
        l.record_intent(&ip("192.0.2.0/24"));
        l.record_answer(&ip("192.0.2.0/24"), "sid1");
        l.record_intent(&ip("198.51.100.0/24"));
        let text = l.to_json();
        assert_eq!(Ledger::parse(&text, "f", ACCOUNT).unwrap(), l);
        let e = Ledger::parse(&text, "f.json", "444455556666").unwrap_err();
        assert!(
            e.contains("f.json") && e.contains("not 444455556666"),
            "{e}"
        );
        let e = Ledger::parse(
            &text.replace("\"version\": 1", "\"version\": 7"),
            "f",
            ACCOUNT,
        )
        .unwrap_err();
        assert!(e.contains("version 7"), "{e}");
        let e = Ledger::parse("{", "f.json", ACCOUNT).unwrap_err();
        assert!(e.contains("f.json: not a Sign-In statement ledger"), "{e}");
    }

    #[test]
    fn only_statements_in_the_ledger_are_deleted_and_only_with_prune() {
        let keep = ip("192.0.2.0/24");
        let gone = ip("198.51.100.0/24");
        let theirs = ip("203.0.113.0/24");
        let mut ledger = Ledger::new(ACCOUNT);
        ledger.record_answer(&keep, "a");
        ledger.record_answer(&gone, "b");
        let aws = listed(&[("a", &keep), ("b", &gone), ("c", &theirs)]);
        let wanted = vec![keep.clone(), ip("10.0.0.0/8")];
        let plan = plan_statements(&ledger, &aws, &wanted, true);
        assert_eq!(plan.puts, vec![ip("10.0.0.0/8")]);
        assert_eq!(plan.deletes, listed(&[("b", &gone)]));
        assert_eq!(plan.foreign, listed(&[("c", &theirs)]));
        assert!(plan.stale.is_empty());
        let plan = plan_statements(&ledger, &aws, &wanted, false);
        assert!(plan.deletes.is_empty());
        assert_eq!(plan.stale, listed(&[("b", &gone)]));
        assert_eq!(plan.foreign, listed(&[("c", &theirs)]));
    }

    #[test]
    fn a_statement_the_config_derives_is_never_deleted_whoever_wrote_it() {
        let s = ip("192.0.2.0/24");
        let mut ledger = Ledger::new(ACCOUNT);
        ledger.record_answer(&s, "a");
        let plan = plan_statements(
            &ledger,
            &listed(&[("a", &s), ("x", &s)]),
            std::slice::from_ref(&s),
            true,
        );
        assert!(!plan.writes(), "{plan:?}");
        assert_eq!(plan.ledger, ledger);
    }

    #[test]
    fn an_intent_adopts_the_listed_statement_with_its_fields_once() {
        let s = ip("192.0.2.0/24");
        let mut ledger = Ledger::new(ACCOUNT);
        ledger.record_intent(&s);
        // Two listed with the same fields (one written by hand): one is adopted, the other
        // stays someone else's.
        let aws = listed(&[("a", &s), ("b", &s)]);
        let plan = plan_statements(&ledger, &aws, &[], true);
        assert_eq!(plan.deletes, listed(&[("a", &s)]));
        assert_eq!(plan.foreign, listed(&[("b", &s)]));
        assert_eq!(plan.ledger.statements[0].statement_id.as_deref(), Some("a"));
        // An intent AWS never saw is forgotten; a wanted statement is simply put again.
        let plan = plan_statements(&ledger, &[], std::slice::from_ref(&s), true);
        assert_eq!(plan.puts, vec![s]);
        assert!(plan.ledger.statements.is_empty());
    }

    #[test]
    fn an_entry_aws_no_longer_lists_is_forgotten() {
        let s = ip("192.0.2.0/24");
        let mut ledger = Ledger::new(ACCOUNT);
        ledger.record_answer(&s, "a");
        let plan = plan_statements(&ledger, &[], &[], true);
        assert!(!plan.writes());
        assert!(plan.ledger.statements.is_empty());
    }

    /// A crash after every ledger write, at every point of a run that puts two statements and
    /// deletes two: the next run converges to the same account and ledger as a run without a
    /// crash, never deletes a statement scpctl did not write, and a third run is a no-op.
    #[test]
    fn a_crash_at_any_point_converges_on_the_next_run() {
        let old = [ip("192.0.2.0/24"), ip("198.51.100.0/24"), ip("10.0.0.0/8")];
        let theirs = ip("172.16.0.0/12");
        let wanted = vec![old[0].clone(), ip("203.0.113.0/24"), ip("100.64.0.0/10")];
        let start = || {
            let mut ledger = Ledger::new(ACCOUNT);
            for (i, s) in old.iter().enumerate() {
                ledger.record_answer(s, &format!("old{i}"));
            }
            let aws: Vec<(String, AccountStatement)> = old
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("old{i}"), s.clone()))
                .chain([("theirs".to_string(), theirs.clone())])
                .collect();
            (ledger, aws)
        };
        let settled = |aws: &[(String, AccountStatement)]| {
            let mut fields: Vec<AccountStatement> = aws.iter().map(|(_, s)| s.clone()).collect();
            fields.sort();
            fields
        };
        let (ledger, mut aws) = start();
        let clean = run(&ledger, &mut aws, &wanted, usize::MAX);
        let expected = settled(&aws);
        assert_eq!(expected.len(), 4);
        assert!(expected.contains(&theirs));
        assert_eq!(clean.statements.len(), 3);
        // 1 reconciliation write, 3 events per put, 2 per delete, and one past the end.
        for crash in 0..=11 {
            let (ledger, mut aws) = start();
            let partial = run(&ledger, &mut aws, &wanted, crash);
            assert!(aws.iter().any(|(id, _)| id == "theirs"), "crash {crash}");
            let after = run(&partial, &mut aws, &wanted, usize::MAX);
            assert_eq!(settled(&aws), expected, "crash {crash}");
            let mut ids: Vec<String> = after
                .statements
                .iter()
                .map(|e| e.statement_id.clone().unwrap())
                .collect();
            ids.sort();
            let mut listed_ours: Vec<String> = aws
                .iter()
                .filter(|(id, _)| id != "theirs")
                .map(|(id, _)| id.clone())
                .collect();
            listed_ours.sort();
            assert_eq!(ids, listed_ours, "crash {crash}");
            let again = plan_statements(&after, &aws, &wanted, true);
            assert!(!again.writes(), "crash {crash}: {again:?}");
            assert_eq!(again.ledger, after, "crash {crash}");
        }
    }

    #[test]
    fn delete_tokens_are_fixed_per_statement_and_valid() {
        let a = delete_token("AbC+/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV=");
        assert_eq!(
            a,
            delete_token("AbC+/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV=")
        );
        assert_ne!(a, delete_token("other"));
        assert!((1..=64).contains(&a.len()) && a.bytes().all(|b| (b'!'..=b'~').contains(&b)));
    }
}
