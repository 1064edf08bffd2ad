//! A document over its size limit: the error, with how far over it is and what would make room.

use crate::cidr::CidrSet;
use crate::config::Config;

use super::kinds::*;

/// What the size error needs of the document over its limit: its name, its size, its limit and
/// the size of its statement 1 (what `--split-statements` would move out). Measured either on the
/// full document ([`Oversized::of`]) or, for a long list, without building it (`super::measure`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Oversized {
    pub name: String,
    pub chars: usize,
    pub limit: usize,
    /// `Statement[0]` serialised compactly, in characters (4, `null`, when there is none).
    pub statement1_chars: usize,
}

impl Oversized {
    pub fn of(r: &RenderedPolicy) -> Oversized {
        Oversized {
            name: r.name.clone(),
            chars: r.chars(),
            limit: r.limit(),
            statement1_chars: serde_json::to_string(&r.document["Statement"][0])
                .map_or(0, |s| s.chars().count()),
        }
    }
}

pub(super) fn too_large(
    big: &Oversized,
    config: &Config,
    cidrs: &CidrSet,
    spelled: &[String],
    kind: PolicyKind,
    layout: Layout,
    // The same policy rendered with `Layout::SplitStatements` (asked only when it may help).
    split: impl FnOnce() -> Option<Vec<RenderedPolicy>>,
) -> RenderError {
    let chars = big.chars;
    let limit = big.limit;
    let over = chars - limit;
    let entries = cidrs.len();
    let list_chars: usize = spelled.iter().map(|s| s.chars().count() + 3).sum();
    // What the entries cost on average (each with its quotes and comma), and what the document
    // costs without them: the entries that fit are the room left over that average.
    let per_entry = list_chars as f64 / entries.max(1) as f64;
    let fixed = chars.saturating_sub(list_chars);
    let cheapest = spelled
        .iter()
        .map(|s| s.chars().count() + 3)
        .min()
        .unwrap_or(0);
    let mut advice = Vec::new();
    if entries > 1 && fixed + cheapest <= limit {
        let keep = (((limit - fixed) as f64 / per_entry).floor() as usize).clamp(1, entries - 1);
        let remove = entries - keep;
        advice.push(format!(
            "  - Shorten the list by about {remove} of its {entries} entries (about {:.0} characters each): replace scattered \
             addresses with the enclosing prefixes your network really owns. scpctl merges only losslessly; it never widens a range for you.",
            per_entry
        ));
    } else {
        // Never ask for more entries than the list has: the fixed part alone does not fit.
        advice.push(format!(
            "  - Even one CIDR entry would not fit: the policy without its list is about {} characters. Raise the limit.",
            chars.saturating_sub(list_chars)
        ));
    }
    if kind == PolicyKind::Scp && limit < crate::config::AWS_SCP_MAX_CHARS {
        advice.push(format!(
            "  - [limits] scp_max_chars is {limit}; AWS Organizations accepts {} characters since 2026-05-15. Raise it if your organization does not keep the old figure.",
            crate::config::AWS_SCP_MAX_CHARS
        ));
    }
    if kind == PolicyKind::Signin && limit < crate::config::AWS_RCP_MAX_CHARS {
        advice.push(format!(
            "  - [limits] rcp_max_chars is {limit}; AWS Organizations accepts {} characters in an RCP. Raise it if your organization does not keep a lower figure.",
            crate::config::AWS_RCP_MAX_CHARS
        ));
    }
    if kind == PolicyKind::Signin && (!config.network.opt_ins.vpcs.is_empty()) {
        advice.push("  - Each group of VPCs with its own Regions adds a statement that repeats the scope and break-glass lists: give VPCs the same Regions to share one.".into());
    }
    if kind == PolicyKind::Scp && layout == Layout::Single {
        // Any error (the split is too large as well) means the split is not enough.
        let split = split();
        if let Some(network_doc) = split
            .into_iter()
            .flatten()
            .find(|d| d.name.ends_with(SPLIT_NETWORK_SUFFIX))
        {
            let freed = chars - network_doc.chars();
            advice.push(format!(
                "  - `render --split-statements --out-dir DIR` moves statement 1 (it holds no CIDRs) into a second SCP and frees {freed} \
                 characters, which is enough here; it uses one more of the {} SCPs a target may have ([limits] scps_per_target).",
                config.limits.scps_per_target
            ));
        } else {
            let statement1 = big.statement1_chars;
            advice.push(format!(
                "  - `render --split-statements` would free only about {} characters (statement 1): not enough on its own.",
                statement1 + 1
            ));
        }
    }
    advice.push("  - Never split the CIDR list itself across statements or policies: each NotIpAddress deny would block what the other allows.".into());
    RenderError::TooLarge {
        name: big.name.clone(),
        kind: kind.describe(),
        chars,
        limit,
        over,
        entries,
        setting: kind
            .limit_setting()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default(),
        advice: advice.join("\n"),
    }
}
