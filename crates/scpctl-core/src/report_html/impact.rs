//! `impact --output html`: one self-contained page drawn from the JSON document that
//! `impact --output json` prints, in the shared frame ([`super::page`]). Without JavaScript the
//! tables stay sorted by denied count, most first.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::page::{
    account_open, accounts, arr, card, chart, counted_list, esc, foot, head, management, num, obj,
    text, time_range, ADDRESSES_SHOWN,
};

/// Problems listed on the page; the JSON and stderr list them all.
const PROBLEMS_SHOWN: usize = 50;

/// The page for one `impact --output json` document.
pub fn impact_html(report: &Value) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let policy = text(report.get("policy"));
    let totals = report.get("totals");
    let in_force = report.get("in_force").is_some_and(|v| !v.is_null());
    head(
        &mut s,
        "impact",
        report.get("policy").and_then(Value::as_str).unwrap_or(""),
    );
    let _ = writeln!(
        s,
        "<h1>Impact of {policy}</h1><p class=\"mute\">What enforcing this policy would deny, replayed \
from CloudTrail records by <code>scpctl impact</code>. Generated offline; this page fetches nothing.</p>"
    );

    // The assumptions the numbers rest on.
    s.push_str("<h2>Policy and assumptions</h2><dl>");
    let _ = write!(s, "<dt>policy</dt><dd id=\"policy\">{policy}</dd>");
    let _ = write!(
        s,
        "<dt>principal tags</dt><dd>{}</dd>",
        text(report.get("tags_assumption"))
    );
    management(&mut s, report);
    let accounts = accounts(arr(report.get("principals")));
    let _ = write!(
        s,
        "<dt>accounts in the report</dt><dd>{}</dd>",
        accounts.len()
    );
    if let Some((first, last)) = time_range(arr(report.get("principals"))) {
        let _ = write!(
            s,
            "<dt>time range seen</dt><dd>{} .. {}</dd>",
            esc(first),
            esc(last)
        );
    }
    let _ = write!(
        s,
        "<dt>policies in force</dt><dd>{}</dd>",
        if in_force {
            text(report.get("in_force"))
        } else {
            "none given: every denial counts as new".into()
        }
    );
    let _ = writeln!(
        s,
        "<dt>input files</dt><dd>{}</dd></dl>",
        num(totals.and_then(|t| t.get("files")))
    );

    headline(&mut s, report, in_force);
    per_day(&mut s, obj(report.get("denied_by_day")));
    principals(&mut s, &accounts, in_force);
    suggestions(&mut s, arr(report.get("principals")));
    reasons(&mut s, report);

    s.push_str(
        "<h2>What this page leaves out</h2><p class=\"mute\">Each principal's outside addresses \
beyond the first five, records counted apart one by one, and per-record detail: \
<code>--output json</code> lists every address and suggestion, <code>--output jsonl</code> every \
would-be-denied event. Principals with nothing denied or undecided are not listed.</p>\n",
    );
    foot(&mut s);
    s
}

fn headline(s: &mut String, report: &Value, in_force: bool) {
    let t = report.get("totals");
    let g = |k: &str| num(t.and_then(|t| t.get(k)));
    s.push_str("<h2>Headline</h2><div class=\"cards\">");
    card(s, "records", "records read", g("records"), false);
    card(s, "decided", "decided", g("decided"), false);
    card(s, "denied", "would be denied", g("denied"), g("denied") > 0);
    card(
        s,
        "principals_denied",
        "principals denied",
        g("principals_denied"),
        false,
    );
    if in_force {
        card(s, "newly_denied", "newly denied", g("newly_denied"), true);
        card(
            s,
            "denied_today",
            "denied today already",
            g("denied_today"),
            false,
        );
    }
    card(s, "apart", "counted apart", g("apart"), false);
    card(s, "skipped", "skipped", g("skipped"), false);
    card(
        s,
        "problems",
        "input problems",
        g("problems"),
        g("problems") > 0,
    );
    s.push_str("</div>\n");
}

/// Stacked bars: one per day, one colour per statement.
fn per_day(s: &mut String, by_day: Option<&Map<String, Value>>) {
    s.push_str("<h2>Would-be-denied calls per day</h2>");
    let Some(by_day) = by_day.filter(|m| !m.is_empty()) else {
        s.push_str("<p class=\"mute\">No per-day counts: nothing would be denied, or the report came from <code>--engine athena</code>.</p>\n");
        return;
    };
    chart(
        s,
        by_day,
        &[],
        "would-be-denied calls per day and statement",
    );
}

fn denied_total(p: &Value) -> u64 {
    obj(p.get("denied"))
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

fn principals(s: &mut String, accounts: &[(String, Vec<&Value>)], in_force: bool) {
    s.push_str("<h2>Principals by account</h2>");
    if accounts.is_empty() {
        s.push_str("<p>No request in these records would be denied.</p>\n");
        return;
    }
    s.push_str(
        "<p class=\"mute\">Click a column to sort; sorted by denied count, most first.</p>\n",
    );
    for (account, list) in accounts {
        let denied: u64 = list.iter().map(|p| denied_total(p)).sum();
        account_open(s, account, list.len(), &format!("{denied} would be denied"));
        s.push_str("<table class=\"sort\"><thead><tr><th>principal</th><th>type</th><th class=\"n\">requests</th><th class=\"n\">denied</th><th>by statement</th>");
        if in_force {
            s.push_str("<th class=\"n\">newly denied</th><th class=\"n\">denied today</th>");
        }
        s.push_str("<th class=\"n\">undecided</th><th>outside addresses</th><th>most denied actions</th><th>first seen</th><th>last seen</th></tr></thead><tbody>\n");
        let mut rows: Vec<&&Value> = list.iter().collect();
        rows.sort_by_key(|p| std::cmp::Reverse(denied_total(p)));
        for p in rows {
            row(s, p, in_force);
        }
        s.push_str("</tbody></table></details>\n");
    }
}

fn row(s: &mut String, p: &Value, in_force: bool) {
    let _ = write!(
        s,
        "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>",
        text(p.get("principal_arn")),
        text(p.get("principal_type")),
        num(p.get("requests")),
        denied_total(p)
    );
    for (i, (sid, n)) in obj(p.get("denied")).into_iter().flatten().enumerate() {
        let _ = write!(
            s,
            "{}{} {}",
            if i > 0 { ", " } else { "" },
            esc(sid),
            n.as_u64().unwrap_or(0)
        );
    }
    s.push_str("</td>");
    if in_force {
        let _ = write!(
            s,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td>",
            num(p.get("newly_denied")),
            num(p.get("denied_today"))
        );
    }
    let _ = write!(s, "<td class=\"n\">{}</td><td>", num(p.get("undecided")));
    counted_list(
        s,
        arr(p.get("outside_addresses")),
        "address",
        ADDRESSES_SHOWN,
        num(p.get("other_outside_addresses")),
    );
    s.push_str("</td><td>");
    let actions = arr(p.get("top_denied_actions"));
    counted_list(s, actions, "action", actions.len(), 0);
    let _ = writeln!(
        s,
        "</td><td>{}</td><td>{}</td></tr>",
        text(p.get("first_seen")),
        text(p.get("last_seen"))
    );
}

fn suggestions(s: &mut String, principals: &[Value]) {
    s.push_str("<h2>CIDR suggestions</h2>");
    let with: Vec<&Value> = principals
        .iter()
        .filter(|p| !arr(p.get("suggested_cidrs")).is_empty())
        .collect();
    s.push_str(
        "<p class=\"note\">Suggestions to review, never applied. They are offered only for users \
denied by the network statement alone: the smallest additions to <code>[network] cidrs</code> \
that would let their outside addresses through (an IPv4 address as itself, an IPv6 address as \
its /64). An address outside the CIDRs may also be a leaked key: check who calls from it first.</p>",
    );
    if with.is_empty() {
        s.push_str("<p class=\"mute\">None.</p>\n");
        return;
    }
    s.push_str("<table class=\"sort\"><thead><tr><th>account</th><th>principal</th><th>add to [network] cidrs</th></tr></thead><tbody>\n");
    for p in with {
        let cidrs: Vec<String> = arr(p.get("suggested_cidrs"))
            .iter()
            .map(|c| text(Some(c)))
            .collect();
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(p.get("account")),
            text(p.get("principal_arn")),
            cidrs.join(", ")
        );
    }
    s.push_str("</tbody></table>\n");
}

/// Records apart and skipped, with their reasons, and the first input problems.
fn reasons(s: &mut String, report: &Value) {
    s.push_str("<h2>Not decided</h2>");
    let mut any = false;
    for (key, title) in [
        ("apart", "counted apart"),
        ("undecided_network", "of which address unknown"),
        ("skipped", "skipped (not calls a policy authorizes)"),
        ("denied_today_by", "denied today already, by"),
    ] {
        let Some(m) = obj(report.get(key)).filter(|m| !m.is_empty()) else {
            continue;
        };
        any = true;
        let _ = write!(
            s,
            "<table class=\"sort\" id=\"r-{key}\"><thead><tr><th>{title}</th><th class=\"n\">records</th></tr></thead><tbody>"
        );
        for (why, n) in m {
            let _ = write!(
                s,
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
                esc(why),
                n.as_u64().unwrap_or(0)
            );
        }
        s.push_str("</tbody></table>\n");
    }
    let problems = arr(report.get("problems"));
    if !problems.is_empty() {
        any = true;
        s.push_str("<table><thead><tr><th>input problem</th></tr></thead><tbody>");
        for p in problems.iter().take(PROBLEMS_SHOWN) {
            let line = match p {
                Value::Object(m) => m
                    .values()
                    .map(|v| text(Some(v)))
                    .collect::<Vec<_>>()
                    .join(": "),
                other => text(Some(other)),
            };
            let _ = write!(s, "<tr><td>{line}</td></tr>");
        }
        s.push_str("</tbody></table>\n");
        let more = problems.len().saturating_sub(PROBLEMS_SHOWN) as u64
            + num(report.get("problems_unlisted"));
        if more > 0 {
            let _ = write!(
                s,
                "<p class=\"mute\">and {more} more (listed on stderr and in the JSON)</p>"
            );
        }
    }
    if !any {
        s.push_str("<p class=\"mute\">Every record was decided.</p>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::super::page::CSP;
    use super::*;
    use serde_json::json;

    fn report(arn: &str) -> Value {
        json!({
            "policy": "RestrictIAMUserAccessWithExceptions",
            "tags_assumption": "every user untagged",
            "management_account": null,
            "totals": {"files": 1, "records": 7, "decided": 5, "denied": 4, "principals_denied": 1,
                       "apart": 1, "skipped": 1, "problems": 0},
            "principals": [{"account": "111122223333", "principal_arn": arn, "principal_type": "User",
                "requests": 5, "denied": {"DenyOutside": 3, "DenyUntagged": 1}, "undecided": 0,
                "denied_today": 0, "newly_denied": 0,
                "outside_addresses": [{"address": "198.51.100.7", "count": 3}],
                "other_outside_addresses": 0,
                "top_denied_actions": [{"action": "s3:ListBuckets", "count": 4}],
                "first_seen": "2024-05-01T12:00:00Z", "last_seen": "2024-05-02T12:00:00Z",
                "suggested_cidrs": ["198.51.100.7/32"]}],
            "apart": {"verdict_depends_on_network": 1},
            "undecided_network": {},
            "skipped": {"console_sign_in": 1},
            "denied_by_day": {"2024-05-01": {"DenyOutside": 2}, "2024-05-02": {"DenyOutside": 1, "DenyUntagged": 1}},
            "problems": []
        })
    }

    #[test]
    fn hostile_values_are_text_and_nothing_is_fetched() {
        let hostile = "arn:aws:iam::111122223333:user/\"><img src=x onerror=alert(1)><script>document.title='pwned'</script>";
        let page = impact_html(&report(hostile));
        assert!(!page.contains("<img"), "an img tag from a record");
        assert!(!page.contains("<script>document"), "a script from a record");
        assert!(page.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
        assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        // One script element, the page's own, and a policy that forbids fetching.
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains(&format!("content=\"{CSP}\"")));
        for scheme in ["http:", "https:", "//"] {
            assert!(
                !page.replace("http-equiv", "").contains(scheme),
                "{scheme} in the page"
            );
        }
    }

    #[test]
    fn numbers_come_from_the_json() {
        let page = impact_html(&report("arn:aws:iam::111122223333:user/alice"));
        for (id, n) in [
            ("records", 7),
            ("decided", 5),
            ("denied", 4),
            ("skipped", 1),
        ] {
            assert!(page.contains(&format!("<b id=\"t-{id}\">{n}</b>")), "{id}");
        }
        // Per principal: requests and the denied total; the per-day bars add up per day.
        assert!(page.contains("<td class=\"n\">5</td><td class=\"n\">4</td>"));
        assert_eq!(page.matches("data-day=\"2024-05-02\"").count(), 2);
        assert!(page.contains("198.51.100.7/32"));
        assert!(page.contains("<details class=\"account\" data-account=\"111122223333\" open>"));
    }

    #[test]
    fn an_empty_report_still_makes_a_page() {
        let page = impact_html(&json!({}));
        assert!(page.contains("No request in these records would be denied."));
        assert!(page.ends_with("</html>\n"));
    }
}
