//! `denials --output html`: predicted against observed, one self-contained page drawn from the
//! JSON document that `denials --output json` prints, in the shared frame ([`super::page`]).
//! Without JavaScript the tables stay sorted by refused count, most first.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::page::{
    account_open, accounts, arr, card, chart, counted_list, esc, foot, head, management, num, obj,
    text, time_range, Series, ADDRESSES_SHOWN,
};

/// Event ids shown per principal and bucket; the JSON keeps up to 50, the JSONL all.
const EVENTS_SHOWN: usize = 3;

/// The three comparison buckets: key, what it means, colour.
const BUCKETS: [(&str, &str, usize); 3] = [
    ("refused_and_predicted", "refused and predicted", 2),
    (
        "refused_not_predicted",
        "refused by scpctl's policy, not predicted",
        0,
    ),
    ("predicted_but_succeeded", "predicted, but succeeded", 1),
];

/// The page for one `denials --output json` document.
pub fn denials_html(report: &Value) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let policy = text(report.get("policy"));
    head(
        &mut s,
        "denials",
        report.get("policy").and_then(Value::as_str).unwrap_or(""),
    );
    let _ = writeln!(
        s,
        "<h1>Denials against {policy}</h1><p class=\"mute\">What the trail shows refused, and by \
which policy, against what the replay through the rendered policy predicts, by \
<code>scpctl denials</code>. Generated offline; this page fetches nothing.</p>"
    );
    let principals = arr(report.get("principals"));
    let accounts = accounts(principals);

    s.push_str("<h2>Policy and assumptions</h2><dl>");
    let _ = write!(s, "<dt>policy</dt><dd id=\"policy\">{policy}</dd>");
    let _ = write!(
        s,
        "<dt>policy id</dt><dd id=\"policy-id\">{} ({})</dd>",
        match report.get("policy_id") {
            Some(Value::String(id)) => esc(id),
            _ => "unknown".into(),
        },
        text(report.get("policy_id_source"))
    );
    let _ = write!(
        s,
        "<dt>principal tags</dt><dd>{}</dd>",
        text(report.get("tags_assumption"))
    );
    management(&mut s, report);
    let window = |k: &str| match report.get(k) {
        Some(Value::String(t)) => esc(t),
        _ => "open".into(),
    };
    let _ = write!(
        s,
        "<dt>time window</dt><dd>{} .. {}</dd>",
        window("since"),
        window("until")
    );
    let _ = write!(
        s,
        "<dt>accounts in the report</dt><dd>{}</dd>",
        accounts.len()
    );
    if let Some((first, last)) = time_range(principals) {
        let _ = write!(
            s,
            "<dt>time range seen</dt><dd>{} .. {}</dd>",
            esc(first),
            esc(last)
        );
    }
    let t = report.get("totals");
    let g = |k: &str| num(t.and_then(|t| t.get(k)));
    let _ = writeln!(s, "<dt>input files</dt><dd>{}</dd></dl>", g("files"));

    s.push_str("<h2>Headline</h2><div class=\"cards\">");
    card(&mut s, "records", "records read", g("records"), false);
    card(&mut s, "refused", "refused", g("refused"), false);
    card(
        &mut s,
        "refused_by_ours",
        "by scpctl's policy",
        g("refused_by_ours"),
        false,
    );
    for (key, label, _) in BUCKETS {
        let hot = key != "refused_and_predicted" && g(key) > 0;
        card(&mut s, key, label, g(key), hot);
    }
    card(
        &mut s,
        "unattributed",
        "unattributed",
        g("unattributed"),
        false,
    );
    card(
        &mut s,
        "problems",
        "input problems",
        g("problems"),
        g("problems") > 0,
    );
    s.push_str("</div>\n");
    s.push_str(
        "<p class=\"note\">Predicted against observed. <b>Refused and predicted</b>: scpctl's \
policy refused the call and the replay says it would. <b>Refused, not predicted</b>: the message \
names scpctl's policy by its ARN but the replay does not deny the call: a mapping or evaluator \
gap to report. <b>Predicted, but succeeded</b>: the replay denies the call and it went through: \
the policy is not in force there yet, or a gap. A call refused by another policy is not in these \
buckets; one refused with a bare <code>Access Denied</code> is unattributed.</p>\n",
    );

    by_statement(&mut s, obj(report.get("by_statement")));
    s.push_str("<h2>Per day</h2>");
    match obj(report.get("by_day")).filter(|m| !m.is_empty()) {
        Some(by_day) => {
            let series: Vec<Series> = BUCKETS
                .iter()
                .map(|(key, label, colour)| Series {
                    key,
                    label,
                    colour: *colour,
                })
                .collect();
            chart(
                &mut s,
                by_day,
                &series,
                "refused and predicted calls per day and comparison bucket",
            );
        }
        None => s.push_str(
            "<p class=\"mute\">No per-day counts: nothing was refused by scpctl's policy or predicted.</p>\n",
        ),
    }
    principal_tables(&mut s, &accounts);
    other_policies(&mut s, principals);

    s.push_str(
        "<h2>What this page leaves out</h2><p class=\"mute\">Each principal's addresses and \
actions beyond the first five, event ids beyond the first three per bucket, and the calls \
themselves: <code>--output json</code> lists up to 1,000 addresses and actions and 50 event ids \
per principal, <code>--output jsonl</code> every refused or predicted call. Principals with \
nothing refused and nothing predicted are not listed; input problems are listed on stderr.</p>\n",
    );
    foot(&mut s);
    s
}

fn by_statement(s: &mut String, m: Option<&Map<String, Value>>) {
    s.push_str("<h2>By statement of scpctl's policy</h2>");
    let Some(m) = m.filter(|m| !m.is_empty()) else {
        s.push_str("<p class=\"mute\">No call was refused by scpctl's policy or predicted.</p>\n");
        return;
    };
    s.push_str("<table class=\"sort\" id=\"by-statement\"><thead><tr><th>statement</th>");
    for (_, label, _) in BUCKETS {
        let _ = write!(s, "<th class=\"n\">{label}</th>");
    }
    s.push_str("</tr></thead><tbody>\n");
    for (sid, b) in m {
        let _ = write!(s, "<tr><td>{}</td>", esc(sid));
        for (key, _, _) in BUCKETS {
            let _ = write!(s, "<td class=\"n\">{}</td>", num(b.get(key)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
}

fn events(v: Option<&Value>) -> String {
    let count = num(v.and_then(|e| e.get("count")));
    if count == 0 {
        return String::new();
    }
    let ids = arr(v.and_then(|e| e.get("event_ids")));
    let shown: Vec<String> = ids
        .iter()
        .take(EVENTS_SHOWN)
        .map(|i| text(Some(i)))
        .collect();
    let more = count.saturating_sub(shown.len() as u64);
    let mut out = shown.join(", ");
    if more > 0 {
        let _ = write!(out, " and {more} more");
    }
    out
}

fn principal_tables(s: &mut String, accounts: &[(String, Vec<&Value>)]) {
    s.push_str("<h2>Principals by account</h2>");
    if accounts.is_empty() {
        s.push_str("<p>No call in these records was refused or predicted to be.</p>\n");
        return;
    }
    s.push_str(
        "<p class=\"mute\">Click a column to sort; sorted by refused count, most first.</p>\n",
    );
    for (account, list) in accounts {
        let refused: u64 = list.iter().map(|p| num(p.get("refused"))).sum();
        let ours: u64 = list
            .iter()
            .map(|p| num(p.get("ours").and_then(|o| o.get("count"))))
            .sum();
        account_open(
            s,
            account,
            list.len(),
            &format!("{refused} refused, {ours} by scpctl's policy"),
        );
        s.push_str(
            // Numbers right-aligned by the `num9` rule, not a class per cell: 10,000 rows
            // stay under 5 MB.
            "<table class=\"sort num9\"><thead><tr><th>principal</th><th class=\"n\">records</th>\
<th class=\"n\">refused</th><th class=\"n\">by scpctl's policy</th>\
<th class=\"n\">refused and predicted</th><th class=\"n\">refused, not predicted</th>\
<th class=\"n\">predicted, succeeded</th><th class=\"n\">by another SCP/RCP</th>\
<th class=\"n\">by another policy type</th><th class=\"n\">unattributed</th>\
<th>predicted by statement</th><th>addresses</th><th>actions</th><th>events to check</th>\
<th>first seen</th><th>last seen</th></tr></thead><tbody>\n",
        );
        let mut rows: Vec<&&Value> = list.iter().collect();
        rows.sort_by_key(|p| std::cmp::Reverse(num(p.get("refused"))));
        for p in rows {
            row(s, p);
        }
        s.push_str("</tbody></table></details>\n");
    }
}

fn row(s: &mut String, p: &Value) {
    let count = |k: &str| num(p.get(k).and_then(|e| e.get("count")));
    let _ = write!(
        s,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
<td>{}</td><td>{}</td><td>{} ({} would be denied)</td><td>",
        text(p.get("principal")),
        num(p.get("records")),
        num(p.get("refused")),
        count("ours"),
        num(p.get("refused_and_predicted")),
        count("refused_not_predicted"),
        count("predicted_but_succeeded"),
        num(p.get("other_scp_or_rcp")),
        num(p.get("other_type")),
        num(p.get("unattributed")),
        num(p.get("unattributed_ours_would_deny")),
    );
    for (i, (sid, n)) in obj(p.get("predicted_by_statement"))
        .into_iter()
        .flatten()
        .enumerate()
    {
        let _ = write!(
            s,
            "{}{} {}",
            if i > 0 { ", " } else { "" },
            esc(sid),
            n.as_u64().unwrap_or(0)
        );
    }
    s.push_str("</td><td>");
    counted_list(
        s,
        arr(p.get("addresses")),
        "address",
        ADDRESSES_SHOWN,
        num(p.get("other_addresses")),
    );
    s.push_str("</td><td>");
    counted_list(
        s,
        arr(p.get("actions")),
        "action",
        ADDRESSES_SHOWN,
        num(p.get("other_actions")),
    );
    s.push_str("</td><td>");
    let gap = events(p.get("refused_not_predicted"));
    if !gap.is_empty() {
        let _ = write!(s, "not predicted: {gap}");
    }
    let succeeded = events(p.get("predicted_but_succeeded"));
    if !succeeded.is_empty() {
        let _ = write!(
            s,
            "{}succeeded: {succeeded}",
            if gap.is_empty() { "" } else { "; " }
        );
    }
    let _ = writeln!(
        s,
        "</td><td>{}</td><td>{}</td></tr>",
        text(p.get("first_seen")),
        text(p.get("last_seen"))
    );
}

/// The other policies named, summed over the principals.
fn other_policies(s: &mut String, principals: &[Value]) {
    let mut sum: BTreeMap<&str, u64> = BTreeMap::new();
    for p in principals {
        for (name, n) in obj(p.get("other_policies")).into_iter().flatten() {
            *sum.entry(name).or_default() += n.as_u64().unwrap_or(0);
        }
    }
    s.push_str("<h2>Refused by other policies</h2>");
    if sum.is_empty() {
        s.push_str("<p class=\"mute\">None named.</p>\n");
        return;
    }
    s.push_str("<table class=\"sort\" id=\"other-policies\"><thead><tr><th>policy</th><th class=\"n\">calls</th></tr></thead><tbody>\n");
    for (name, n) in sum {
        let _ = writeln!(s, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", esc(name));
    }
    s.push_str("</tbody></table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(arn: &str) -> Value {
        json!({
            "policy": "RestrictIAMUserAccessWithExceptions",
            "policy_id": "p-ours12345",
            "policy_id_source": "--policy-id",
            "tags_assumption": "every user untagged",
            "management_account": null,
            "since": "2026-02-01T00:00:00Z",
            "until": null,
            "totals": {"files": 1, "records": 9, "refused": 4, "refused_by_ours": 3,
                "refused_and_predicted": 2, "refused_not_predicted": 1,
                "predicted_but_succeeded": 1, "unattributed": 1, "problems": 0},
            "by_statement": {"DenyOutside": {"refused_and_predicted": 2, "refused_not_predicted": 0, "predicted_but_succeeded": 1},
                "(not predicted)": {"refused_and_predicted": 0, "refused_not_predicted": 1, "predicted_but_succeeded": 0}},
            "by_day": {"2026-02-01": {"refused_and_predicted": 2, "refused_not_predicted": 0, "predicted_but_succeeded": 1},
                "2026-02-02": {"refused_and_predicted": 0, "refused_not_predicted": 1, "predicted_but_succeeded": 0}},
            "principals": [{"account": "111122223333", "principal": arn, "refused": 4, "records": 6,
                "ours": {"count": 3, "event_ids": ["e1", "e2", "e3"]},
                "other_scp_or_rcp": 0, "other_type": 0, "unattributed": 1,
                "unattributed_ours_would_deny": 1, "refused_and_predicted": 2,
                "refused_not_predicted": {"count": 1, "event_ids": ["e3"]},
                "predicted_but_succeeded": {"count": 1, "event_ids": ["e4"]},
                "predicted_by_statement": {"DenyOutside": 3},
                "first_seen": "2026-02-01T10:00:00Z", "last_seen": "2026-02-02T10:00:00Z",
                "other_policies": {"arn:aws:organizations::1:policy/o-x/service_control_policy/p-other": 2},
                "addresses": [{"address": "198.51.100.7", "count": 4}], "other_addresses": 0,
                "actions": [{"action": "iam:ListRoles", "count": 4}], "other_actions": 0}]
        })
    }

    #[test]
    fn hostile_values_are_text_and_the_numbers_are_the_json() {
        let hostile = "arn:aws:iam::111122223333:user/\"><img src=x onerror=alert(1)><script>document.title='pwned'</script>";
        let page = denials_html(&report(hostile));
        assert!(!page.contains("<img"), "an img tag from a record");
        assert!(!page.contains("<script>document"));
        assert!(page.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains(&format!("content=\"{}\"", super::super::page::CSP)));
        for (id, n) in [
            ("records", 9),
            ("refused", 4),
            ("refused_by_ours", 3),
            ("refused_and_predicted", 2),
            ("refused_not_predicted", 1),
            ("predicted_but_succeeded", 1),
        ] {
            assert!(page.contains(&format!("<b id=\"t-{id}\">{n}</b>")), "{id}");
        }
        // The row, the chart's non-zero segments, the statement table, the other policy.
        assert!(page.contains("<td>6</td><td>4</td><td>3</td><td>2</td><td>1</td><td>1</td>"));
        assert_eq!(page.matches("<rect ").count(), 3);
        assert!(page.contains(
            "data-day=\"2026-02-02\" data-n=\"1\" data-series=\"refused_not_predicted\""
        ));
        assert!(page
            .contains("<tr><td>(not predicted)</td><td class=\"n\">0</td><td class=\"n\">1</td>"));
        assert!(page.contains("not predicted: e3; succeeded: e4"));
        assert!(page.contains("p-other</td><td class=\"n\">2</td>"));
        assert!(page.contains("2026-02-01T00:00:00Z .. open"));
    }

    #[test]
    fn an_empty_report_still_makes_a_page() {
        let page = denials_html(&json!({}));
        assert!(page.contains("No call in these records was refused or predicted to be."));
        assert!(page.contains("<dd id=\"policy-id\">unknown ()</dd>"));
        assert!(page.ends_with("</html>\n"));
    }
}
