//! The frame every report page shares: the head (Content-Security-Policy, style), the foot (the
//! sorting script), escaping, reading values from the JSON document, headline cards, principals
//! grouped by account, and the per-day stacked-bar chart drawn as inline SVG.
//!
//! The page fetches nothing (inline CSS, SVG drawn here, a few lines of plain JavaScript for
//! sorting; a Content-Security-Policy that forbids any fetch), so it opens offline and as a mail
//! attachment. Every value that came from a record (ARNs, actions, addresses, times) or from the
//! command line is escaped: a record holding `<script>` shows as text.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// Forbids every fetch (no `connect-src`, `img-src` only `data:`, no frames, no forms); the
/// page's own style and script are inline.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Accounts with at most this many principals are shown open; larger ones start collapsed so a
/// page of thousands of principals stays quick to open.
pub const OPEN_UP_TO: usize = 50;
/// Addresses (and actions) shown per principal; the JSON lists them all.
pub const ADDRESSES_SHOWN: usize = 5;

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
th{background:var(--card);cursor:pointer;user-select:none;white-space:nowrap}table.sort td:first-child{min-width:16em}td.n,th.n,.num9 td:nth-child(n+2):nth-child(-n+10){text-align:right;font-variant-numeric:tabular-nums}
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

/// A JSON value as escaped text (empty for null or missing).
pub fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => esc(s),
        Some(Value::Null) | None => String::new(),
        Some(other) => esc(&other.to_string()),
    }
}

pub fn num(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_u64).unwrap_or(0)
}

pub fn obj(v: Option<&Value>) -> Option<&Map<String, Value>> {
    v.and_then(Value::as_object)
}

pub fn arr(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The document's start: the policy forbidding fetches, the style, the title (escaped here).
pub fn head(s: &mut String, command: &str, title: &str) {
    let title = esc(title);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"generator\" content=\"scpctl {command}\">\
<title>scpctl {command}: {title}</title><style>{STYLE}</style></head><body>\n"
    );
}

/// The document's end: the sorting script, the page's only one.
pub fn foot(s: &mut String) {
    let _ = writeln!(s, "<script>{SCRIPT}</script></body></html>");
}

/// One headline number, `id="t-<id>"`.
pub fn card(s: &mut String, id: &str, label: &str, n: u64, hot: bool) {
    let _ = write!(
        s,
        "<div class=\"card{}\"><b id=\"t-{id}\">{n}</b>{label}</div>",
        if hot { " hot" } else { "" }
    );
}

/// The management account's line of the assumptions.
pub fn management(s: &mut String, report: &Value) {
    let _ = write!(
        s,
        "<dt>management account</dt><dd>{}</dd>",
        match report.get("management_account") {
            Some(Value::String(a)) => format!("{}: its principals are never restricted", esc(a)),
            _ => "not given: its principals are counted like any other".into(),
        }
    );
}

/// One series of the chart: its key in the per-day objects, its legend and its colour (0-5).
pub struct Series<'a> {
    pub key: &'a str,
    pub label: &'a str,
    pub colour: usize,
}

/// Stacked bars, one per day (`{"YYYY-MM-DD": {"<series>": n}}`), one colour per series:
/// the given ones in their order, or every key found, sorted, coloured by position. Segments
/// of zero are not drawn.
pub fn chart(s: &mut String, by_day: &Map<String, Value>, series: &[Series<'_>], aria: &str) {
    let found: Vec<Series<'_>>;
    let series = if series.is_empty() {
        let mut keys: Vec<&str> = Vec::new();
        for v in by_day.values() {
            for k in obj(Some(v)).into_iter().flat_map(Map::keys) {
                if !keys.contains(&k.as_str()) {
                    keys.push(k);
                }
            }
        }
        keys.sort_unstable();
        found = keys
            .iter()
            .enumerate()
            .map(|(i, k)| Series {
                key: k,
                label: k,
                colour: i.min(5),
            })
            .collect();
        &found[..]
    } else {
        series
    };
    let day_total = |v: &Value| -> u64 {
        series
            .iter()
            .map(|se| num(obj(Some(v)).and_then(|m| m.get(se.key))))
            .sum()
    };
    let max = by_day.values().map(day_total).max().unwrap_or(0);
    let (w, h, left, bottom, top) = (960.0_f64, 240.0_f64, 56.0, 28.0, 10.0);
    let plot_w = w - left - 10.0;
    let plot_h = h - bottom - top;
    let days = by_day.len().max(1) as f64;
    let slot = plot_w / days;
    let bar = (slot * 0.8).max(1.0);
    let _ = write!(
        s,
        "<svg id=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        esc(aria)
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
        for se in series {
            let n = num(obj(Some(v)).and_then(|m| m.get(se.key)));
            if n == 0 {
                continue;
            }
            let bh = if max == 0 {
                0.0
            } else {
                plot_h * n as f64 / max as f64
            };
            y -= bh;
            let _ = write!(
                s,
                "<rect class=\"c{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" data-day=\"{}\" data-n=\"{n}\" data-series=\"{}\"><title>{}: {} {n}</title></rect>",
                se.colour.min(5),
                esc(day),
                esc(se.key),
                esc(day),
                esc(se.label)
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
    for se in series {
        let _ = write!(
            s,
            "<span><i class=\"c{}\"></i>{}</span>",
            se.colour.min(5),
            esc(se.label)
        );
    }
    s.push_str("</div>\n");
}

/// Principals grouped by account, in the JSON's order (account, then ARN).
pub fn accounts(principals: &[Value]) -> Vec<(String, Vec<&Value>)> {
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

/// The earliest `first_seen` and latest `last_seen` over the principals.
pub fn time_range(principals: &[Value]) -> Option<(&str, &str)> {
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

/// An account's collapsible section, open when small; the caller closes it.
pub fn account_open(s: &mut String, account: &str, principals: usize, summary: &str) {
    let _ = write!(
        s,
        "<details class=\"account\" data-account=\"{a}\"{open}><summary>account {a}: {principals} principal(s), {summary}</summary>",
        a = esc(account),
        open = if principals <= OPEN_UP_TO { " open" } else { "" },
    );
}

/// `[{"<key>": v, "count": n}]` as `v (n), ...`, the first `shown`, with `and N more` for the
/// rest and for `more` uncounted ones.
pub fn counted_list(s: &mut String, list: &[Value], key: &str, shown: usize, more: u64) {
    for (i, a) in list.iter().take(shown).enumerate() {
        let _ = write!(
            s,
            "{}{} ({})",
            if i > 0 { ", " } else { "" },
            text(a.get(key)),
            num(a.get("count"))
        );
    }
    let more = list.len().saturating_sub(shown) as u64 + more;
    if more > 0 {
        let _ = write!(s, " and {more} more");
    }
}
