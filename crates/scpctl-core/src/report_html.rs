//! `impact --output html`: one self-contained page drawn from the JSON document that
//! `impact --output json` prints, so every number on the page is the JSON's by construction.
//!
//! The page fetches nothing (inline CSS, SVG drawn here, a few lines of plain JavaScript for
//! sorting; a Content-Security-Policy that forbids any fetch), so it opens offline and as a mail
//! attachment. Every value that came from a record (ARNs, actions, addresses, times) or from the
//! command line is escaped: a record holding `<script>` shows as text. Without JavaScript the
//! tables stay sorted by denied count, most first.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// Forbids every fetch (no `connect-src`, `img-src` only `data:`, no frames, no forms); the
/// page's own style and script are inline.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Accounts with at most this many principals are shown open; larger ones start collapsed so a
/// page of thousands of principals stays quick to open.
const OPEN_UP_TO: usize = 50;
/// Outside addresses shown per principal; the JSON lists them all.
const ADDRESSES_SHOWN: usize = 5;
/// Problems listed on the page; the JSON and stderr list them all.
const PROBLEMS_SHOWN: usize = 50;

const STYLE: &str = r#"
:root{--bg:#fff;--fg:#1b1f24;--mute:#5c6670;--line:#d0d7de;--card:#f6f8fa;--accent:#0a58ca;--warn:#b42318;--s0:#d1495b;--s1:#edae49;--s2:#00798c;--s3:#30638e;--s4:#6a4c93;--s5:#8a8a8a;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mute:#9aa6b2;--line:#30363d;--card:#161b22;--accent:#58a6ff;--warn:#ff7b72;--s0:#ff7b8a;--s1:#f2c46d;--s2:#3fc1d0;--s3:#79a8e0;--s4:#b392f0;--s5:#aaaaaa}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:16px 20px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid var(--line);padding-bottom:3px}
.mute{color:var(--mute)}code,td{overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dt{color:var(--mute)}dd{margin:0}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:120px}
.card b{display:block;font-size:20px}.card.hot b{color:var(--warn)}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:var(--card);cursor:pointer;user-select:none;white-space:nowrap}table.sort td:first-child{min-width:16em}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
details{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:2px 8px}summary{cursor:pointer;padding:4px 0;font-weight:600}
svg{max-width:100%;height:auto}svg text{fill:var(--fg);font-size:11px}svg .axis{stroke:var(--line)}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.c0{fill:var(--s0);background:var(--s0)}.c1{fill:var(--s1);background:var(--s1)}.c2{fill:var(--s2);background:var(--s2)}.c3{fill:var(--s3);background:var(--s3)}.c4{fill:var(--s4);background:var(--s4)}.c5{fill:var(--s5);background:var(--s5)}
.note{background:var(--card);border-left:3px solid var(--accent);padding:6px 10px;margin:8px 0}
@page{size:A4;margin:12mm}
@media print{body{max-width:none;padding:0;font-size:10pt;background:#fff;color:#000}th{cursor:auto}details{break-inside:auto}tr{break-inside:avoid}h2{break-after:avoid}}
"#;

/// Sort a table by a clicked header (numbers as numbers, the rest as text), and open every
/// collapsed account before printing. Nothing else runs on the page.
const SCRIPT: &str = r#"
document.querySelectorAll("table.sort th").forEach(function(th,i){th.addEventListener("click",function(){
var t=th.closest("table"),b=t.tBodies[0],num=th.classList.contains("n"),d=th.dataset.d==="a"?-1:1;
var rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){var p=x.cells[i].textContent,q=y.cells[i].textContent;
return num?d*((parseFloat(q)||0)-(parseFloat(p)||0)):d*q.localeCompare(p);});
th.dataset.d=d===1?"a":"d";rows.forEach(function(r){b.appendChild(r);});});});
window.addEventListener("beforeprint",function(){document.querySelectorAll("details").forEach(function(e){e.open=true;});});
"#;

/// `s` with the five HTML-significant characters escaped: safe as text and inside quoted
/// attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters from a hostile record would only garble the page.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => esc(s),
        Some(Value::Null) | None => String::new(),
        Some(other) => esc(&other.to_string()),
    }
}

fn num(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_u64).unwrap_or(0)
}

fn obj(v: Option<&Value>) -> Option<&Map<String, Value>> {
    v.and_then(Value::as_object)
}

fn arr(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The page for one `impact --output json` document.
pub fn impact_html(report: &Value) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let policy = text(report.get("policy"));
    let totals = report.get("totals");
    let in_force = report.get("in_force").is_some_and(|v| !v.is_null());
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"generator\" content=\"scpctl impact\">\
<title>scpctl impact: {policy}</title><style>{STYLE}</style></head><body>\n"
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
    let _ = write!(
        s,
        "<dt>management account</dt><dd>{}</dd>",
        match report.get("management_account") {
            Some(Value::String(a)) => format!("{}: its principals are never restricted", esc(a)),
            _ => "not given: its principals are counted like any other".into(),
        }
    );
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
    chart(&mut s, obj(report.get("denied_by_day")));
    principals(&mut s, &accounts, in_force);
    suggestions(&mut s, arr(report.get("principals")));
    reasons(&mut s, report);

    s.push_str(
        "<h2>What this page leaves out</h2><p class=\"mute\">Each principal's outside addresses \
beyond the first five, records counted apart one by one, and per-record detail: \
<code>--output json</code> lists every address and suggestion, <code>--output jsonl</code> every \
would-be-denied event. Principals with nothing denied or undecided are not listed.</p>\n",
    );
    let _ = writeln!(s, "<script>{SCRIPT}</script></body></html>");
    s
}

fn card(s: &mut String, id: &str, label: &str, n: u64, hot: bool) {
    let _ = write!(
        s,
        "<div class=\"card{}\"><b id=\"t-{id}\">{n}</b>{label}</div>",
        if hot { " hot" } else { "" }
    );
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
fn chart(s: &mut String, by_day: Option<&Map<String, Value>>) {
    s.push_str("<h2>Would-be-denied calls per day</h2>");
    let Some(by_day) = by_day.filter(|m| !m.is_empty()) else {
        s.push_str("<p class=\"mute\">No per-day counts: nothing would be denied, or the report came from <code>--engine athena</code>.</p>\n");
        return;
    };
    let mut sids: Vec<&str> = Vec::new();
    let mut max = 0u64;
    for v in by_day.values() {
        let mut total = 0;
        for (sid, n) in obj(Some(v)).into_iter().flatten() {
            if !sids.contains(&sid.as_str()) {
                sids.push(sid);
            }
            total += n.as_u64().unwrap_or(0);
        }
        max = max.max(total);
    }
    sids.sort_unstable();
    let colour = |sid: &str| sids.iter().position(|x| *x == sid).unwrap_or(0).min(5);
    let (w, h, left, bottom, top) = (960.0_f64, 240.0_f64, 56.0, 28.0, 10.0);
    let plot_w = w - left - 10.0;
    let plot_h = h - bottom - top;
    let days = by_day.len() as f64;
    let slot = plot_w / days;
    let bar = (slot * 0.8).max(1.0);
    let _ = write!(
        s,
        "<svg id=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"would-be-denied calls per day and statement\">"
    );
    let _ = write!(
        s,
        "<line class=\"axis\" x1=\"{left}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\"/><line class=\"axis\" x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{y}\"/>",
        y = top + plot_h,
        x2 = w - 10.0
    );
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{max}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>",
        left - 4.0,
        top + 10.0,
        left - 4.0,
        top + plot_h
    );
    let label_every = (by_day.len() / 8).max(1);
    for (i, (day, v)) in by_day.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = top + plot_h;
        for (sid, n) in obj(Some(v)).into_iter().flatten() {
            let n = n.as_u64().unwrap_or(0);
            let bh = if max == 0 {
                0.0
            } else {
                plot_h * n as f64 / max as f64
            };
            y -= bh;
            let _ = write!(
                s,
                "<rect class=\"c{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" data-day=\"{}\" data-n=\"{n}\"><title>{}: {} {n}</title></rect>",
                colour(sid),
                esc(day),
                esc(day),
                esc(sid)
            );
        }
        if i % label_every == 0 || i + 1 == by_day.len() {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + bar / 2.0,
                h - 8.0,
                esc(day.get(5..).unwrap_or(day))
            );
        }
    }
    s.push_str("</svg><div class=\"legend\">");
    for sid in &sids {
        let _ = write!(
            s,
            "<span><i class=\"c{}\"></i>{}</span>",
            colour(sid),
            esc(sid)
        );
    }
    s.push_str("</div>\n");
}

/// Principals grouped by account, in the JSON's order (account, then ARN).
fn accounts(principals: &[Value]) -> Vec<(String, Vec<&Value>)> {
    let mut out: Vec<(String, Vec<&Value>)> = Vec::new();
    for p in principals {
        let account = p
            .get("account")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match out.last_mut() {
            Some((a, v)) if *a == account => v.push(p),
            _ => out.push((account, vec![p])),
        }
    }
    out
}

fn time_range(principals: &[Value]) -> Option<(&str, &str)> {
    let first = principals
        .iter()
        .filter_map(|p| p.get("first_seen")?.as_str())
        .min()?;
    let last = principals
        .iter()
        .filter_map(|p| p.get("last_seen")?.as_str())
        .max()?;
    Some((first, last))
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
        let _ = write!(
            s,
            "<details class=\"account\" data-account=\"{a}\"{open}><summary>account {a}: {n} principal(s), {denied} would be denied</summary>",
            a = esc(account),
            n = list.len(),
            open = if list.len() <= OPEN_UP_TO { " open" } else { "" },
        );
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
    let addresses = arr(p.get("outside_addresses"));
    for (i, a) in addresses.iter().take(ADDRESSES_SHOWN).enumerate() {
        let _ = write!(
            s,
            "{}{} ({})",
            if i > 0 { ", " } else { "" },
            text(a.get("address")),
            num(a.get("count"))
        );
    }
    let more = addresses.len().saturating_sub(ADDRESSES_SHOWN) as u64
        + num(p.get("other_outside_addresses"));
    if more > 0 {
        let _ = write!(s, " and {more} more");
    }
    s.push_str("</td><td>");
    for (i, a) in arr(p.get("top_denied_actions")).iter().enumerate() {
        let _ = write!(
            s,
            "{}{} ({})",
            if i > 0 { ", " } else { "" },
            text(a.get("action")),
            num(a.get("count"))
        );
    }
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
