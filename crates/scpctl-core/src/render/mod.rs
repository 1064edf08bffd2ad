//! Rendering the two policies from their templates, within AWS's size budgets.
//!
//! The templates (`templates/scp.json`, `templates/identity.json`) hold the seed guide's
//! documents with placeholders. Substitution is structural (on parsed JSON, never on text), so
//! no value can break the document. Every rendered document is parsed back and checked: its
//! shape, its tag condition, and that its CIDR list denotes exactly the configured set.

use serde_json::{Map, Value};

use crate::cidr::CidrSet;
use crate::config::{Config, ExceptionTag};
use crate::networks::{self, NetworkOptIns};

mod budget;
mod kinds;
mod selfcheck;

pub use kinds::*;

use budget::{too_large, Oversized};
use selfcheck::self_check;

fn default_description(kind: PolicyKind, tag: &ExceptionTag) -> String {
    match kind {
        PolicyKind::Scp => format!(
            "Deny IAM users without {}={}, and tagged IAM users outside the enterprise networks unless via an AWS service. Managed by scpctl.",
            tag.key, tag.value
        ),
        PolicyKind::Identity => {
            "Deny requests from outside the enterprise networks unless made via an AWS service. Managed by scpctl.".into()
        }
        PolicyKind::Signin => {
            "Deny console sign-in to IAM users outside the expected networks, except break-glass principals. Managed by scpctl.".into()
        }
    }
}

/// Render the policy of `kind` for a config and its (already built) CIDR set.
pub fn render(
    config: &Config,
    cidrs: &CidrSet,
    kind: PolicyKind,
    layout: Layout,
) -> Result<Vec<RenderedPolicy>, RenderError> {
    render_with(config, cidrs, &cidrs.compact_strings(), kind, layout, true)
}

/// [`render`] without the final size check: the identity-based policy's room depends on the
/// form it takes (an inline policy on a role holds 10,240 characters, more than a managed
/// policy's 6,144), which only the identity planner knows, from the account's quotas.
pub fn render_any_size(
    config: &Config,
    cidrs: &CidrSet,
    kind: PolicyKind,
    layout: Layout,
) -> Result<Vec<RenderedPolicy>, RenderError> {
    render_with(config, cidrs, &cidrs.compact_strings(), kind, layout, false)
}

/// Both, with the CIDRs spelled once (`spelled` is `cidrs.compact_strings()`). With
/// `check_size`, a document over its limit is refused before its self-check: it is never
/// output, and at 100,000 CIDRs the check would be most of the work.
fn render_with(
    config: &Config,
    cidrs: &CidrSet,
    spelled: &[String],
    kind: PolicyKind,
    layout: Layout,
    check_size: bool,
) -> Result<Vec<RenderedPolicy>, RenderError> {
    let tag = &config.policy.exception_tag;
    if kind == PolicyKind::Signin {
        if layout == Layout::SplitStatements {
            return Err(RenderError::SplitSignin);
        }
        if let Some(keys) = config.network.opt_ins.owner_settings() {
            return Err(RenderError::SigninEndpointOwners { keys });
        }
        return render_signin(config, cidrs);
    }
    let (template, name, description) = match kind {
        PolicyKind::Scp => (
            SCP_TEMPLATE,
            &config.policy.name,
            &config.policy.description,
        ),
        PolicyKind::Identity | PolicyKind::Signin => (
            IDENTITY_TEMPLATE,
            &config.identity.name,
            &config.identity.description,
        ),
    };
    let description = description
        .clone()
        .unwrap_or_else(|| default_description(kind, tag));
    let limit = kind.limit(&config.limits);
    let opts = &config.network.opt_ins;
    if check_size {
        // A long list is measured before it is built: a document over its limit is never
        // output, and at 100,000 CIDRs building, serialising and cloning it was most of the work.
        let measured = measure(
            template,
            tag,
            spelled,
            name,
            &description,
            kind,
            layout,
            opts,
        )?;
        if let Some(big) = measured.into_iter().flatten().find(|m| m.chars > limit) {
            let big = Oversized { limit, ..big };
            let split =
                || render_with(config, cidrs, spelled, kind, Layout::SplitStatements, true).ok();
            return Err(too_large(&big, config, cidrs, spelled, kind, layout, split));
        }
    }
    let document = fill(template, tag, &crate::policy::one_or_list(spelled), name)?;
    let docs = shape(document, kind, layout, name, description, opts)?;
    let rendered: Vec<RenderedPolicy> = docs
        .into_iter()
        .map(|(name, description, document)| {
            let compact = serde_json::to_string(&document).expect("a JSON value always serialises");
            RenderedPolicy {
                kind,
                name,
                description,
                document,
                compact,
                limit,
            }
        })
        .collect();
    if check_size {
        // What `measure` found to fit, checked again on the documents themselves.
        if let Some(big) = rendered.iter().find(|r| r.chars() > r.limit()) {
            let split =
                || render_with(config, cidrs, spelled, kind, Layout::SplitStatements, true).ok();
            return Err(too_large(
                &Oversized::of(big),
                config,
                cidrs,
                spelled,
                kind,
                layout,
                split,
            ));
        }
    }
    for r in &rendered {
        self_check(r, kind, layout, tag, cidrs, &config.network.opt_ins).map_err(|why| {
            RenderError::SelfCheck {
                name: r.name.clone(),
                why,
            }
        })?;
    }
    Ok(rendered)
}

/// The console sign-in RCP (`crate::signin`): one document, checked, within `[limits]
/// rcp_max_chars`.
fn render_signin(config: &Config, cidrs: &CidrSet) -> Result<Vec<RenderedPolicy>, RenderError> {
    let document = crate::signin::document(config, cidrs);
    let compact = serde_json::to_string(&document).expect("a JSON value always serialises");
    let r = RenderedPolicy {
        kind: PolicyKind::Signin,
        name: config.console.name.clone(),
        description: config.console.description.clone().unwrap_or_else(|| {
            default_description(PolicyKind::Signin, &config.policy.exception_tag)
        }),
        document,
        compact,
        limit: config.limits.rcp_max_chars,
    };
    if r.chars() > r.limit() {
        let spelled = cidrs.compact_strings();
        return Err(too_large(
            &Oversized::of(&r),
            config,
            cidrs,
            &spelled,
            PolicyKind::Signin,
            Layout::Single,
            // Only the SCP splits its statements.
            || None,
        ));
    }
    crate::signin::self_check(&r.compact, config, cidrs).map_err(|why| RenderError::SelfCheck {
        name: r.name.clone(),
        why,
    })?;
    Ok(vec![r])
}

/// The `[network]` opt-ins (VPCs, endpoints, VPC-resident actions) on the network statement:
/// statement 2 of the SCP, the one statement of the identity policy.
fn add_networks(document: &mut Value, kind: PolicyKind, opts: &NetworkOptIns) {
    if !opts.any() {
        return;
    }
    let network_index = match kind {
        PolicyKind::Scp => 1,
        PolicyKind::Identity | PolicyKind::Signin => 0,
    };
    let Some(statement) = document.get_mut("Statement") else {
        return;
    };
    let single = statement.is_object();
    let mut statements = match std::mem::take(statement) {
        Value::Array(items) => items,
        other => vec![other],
    };
    networks::apply(&mut statements, network_index, opts);
    *statement = if single && statements.len() == 1 {
        statements.remove(0)
    } else {
        Value::Array(statements)
    };
}

/// The documents of a layout, each with its name and description, from the filled document
/// (with its `[network]` opt-ins added here).
fn shape(
    mut document: Value,
    kind: PolicyKind,
    layout: Layout,
    name: &str,
    description: String,
    opts: &NetworkOptIns,
) -> Result<Vec<(String, String, Value)>, RenderError> {
    add_networks(&mut document, kind, opts);
    Ok(match layout {
        Layout::Single => vec![(name.to_string(), description, document)],
        Layout::SplitStatements => {
            if kind == PolicyKind::Identity {
                return Err(RenderError::SplitIdentity);
            }
            split_statements(document, name, &description)
        }
    })
}

/// What stands for the CIDR list while a document is measured: a string no template, tag or
/// network opt-in yields (checked: see [`measure`]).
const LIST_SENTINEL: &str = "\u{1}scpctl-cidr-list\u{1}";

/// The documents `render` would give, measured without their CIDR list: each document is built
/// with [`LIST_SENTINEL`] where the list goes, serialised (a few hundred characters), and the
/// list's own JSON length (`one_or_list` of `spelled`) is added for each place it takes. `None`
/// when the sentinel could also come from elsewhere in the document (then only the full build
/// answers). Exact: the same characters as the full document's `compact`.
#[allow(clippy::too_many_arguments)]
fn measure(
    template: &str,
    tag: &ExceptionTag,
    spelled: &[String],
    name: &str,
    description: &str,
    kind: PolicyKind,
    layout: Layout,
    opts: &NetworkOptIns,
) -> Result<Option<Vec<Oversized>>, RenderError> {
    let sentinel = serde_json::to_string(LIST_SENTINEL).expect("a string always serialises");
    let docs_with = |value: Value| -> Result<Vec<(String, String, Value)>, RenderError> {
        let document = fill(template, tag, &value, name)?;
        shape(document, kind, layout, name, description.to_string(), opts)
    };
    // The same documents with `null` for the list: the sentinel found there did not come from
    // the list (a tag value spelled like it), so counting it would be wrong.
    for (_, _, document) in docs_with(Value::Null)? {
        let text = serde_json::to_string(&document).expect("a JSON value always serialises");
        if text.contains(&sentinel) {
            return Ok(None);
        }
    }
    let sentinel_chars = sentinel.chars().count();
    let list_chars = list_json_chars(spelled);
    let size = |value: &Value| {
        let text = serde_json::to_string(value).expect("a JSON value always serialises");
        let places = text.matches(sentinel.as_str()).count();
        text.chars().count() - places * sentinel_chars + places * list_chars
    };
    let docs = docs_with(Value::String(LIST_SENTINEL.to_string()))?;
    Ok(Some(
        docs.into_iter()
            .map(|(name, _, document)| Oversized {
                name,
                chars: size(&document),
                limit: 0,
                statement1_chars: size(&document["Statement"][0]),
            })
            .collect(),
    ))
}

/// The characters of `crate::policy::one_or_list(spelled)` serialised compactly, without
/// building it: one entry is a plain string, more a list of strings.
fn list_json_chars(spelled: &[String]) -> usize {
    let string_chars = |s: &String| {
        if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            s.chars().count() + 2
        } else {
            serde_json::to_string(s).map_or(0, |j| j.chars().count())
        }
    };
    match spelled {
        [one] => string_chars(one),
        many => 2 + many.len().saturating_sub(1) + many.iter().map(string_chars).sum::<usize>(),
    }
}

/// Parse a template and substitute the placeholders structurally: `cidrs` (the list, or what
/// stands for it) for `{{CIDRS}}`, the tag for its placeholders.
fn fill(
    template: &str,
    tag: &ExceptionTag,
    cidrs: &Value,
    name: &str,
) -> Result<Value, RenderError> {
    let mut doc: Value = serde_json::from_str(template).map_err(|e| RenderError::SelfCheck {
        name: name.to_string(),
        why: format!("template is not JSON: {e}"),
    })?;
    // IAM accepts a single value or a list; one entry is spelled as a plain string (2 fewer
    // characters), as the policy grammar allows (`crate::policy::one_or_list`).
    substitute(&mut doc, tag, cidrs);
    Ok(doc)
}

fn replace_tags(s: &str, tag: &ExceptionTag) -> String {
    s.replace("{{TAG_KEY}}", &tag.key)
        .replace("{{TAG_VALUE}}", &tag.value)
}

fn substitute(v: &mut Value, tag: &ExceptionTag, cidrs: &Value) {
    match v {
        Value::String(s) if s == "{{CIDRS}}" => *v = cidrs.clone(),
        Value::String(s) => *s = replace_tags(s, tag),
        Value::Array(items) => items.iter_mut().for_each(|i| substitute(i, tag, cidrs)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (key, mut value) in old {
                substitute(&mut value, tag, cidrs);
                map.insert(replace_tags(&key, tag), value);
            }
        }
        _ => {}
    }
}

fn split_statements(
    document: Value,
    name: &str,
    description: &str,
) -> Vec<(String, String, Value)> {
    let statements = document["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let version = document["Version"].clone();
    let rest = |stmts: &[Value]| {
        let mut m = Map::new();
        m.insert("Version".into(), version.clone());
        m.insert("Statement".into(), Value::Array(stmts.to_vec()));
        Value::Object(m)
    };
    let one = |stmt: &Value| rest(std::slice::from_ref(stmt));
    vec![
        (
            format!("{name}{SPLIT_UNTAGGED_SUFFIX}"),
            format!("{description} Part 1 of 2 (statement 1); attach together with {name}{SPLIT_NETWORK_SUFFIX}."),
            one(&statements[0]),
        ),
        (
            format!("{name}{SPLIT_NETWORK_SUFFIX}"),
            format!("{description} Part 2 of 2 (statement 2); attach together with {name}{SPLIT_UNTAGGED_SUFFIX}."),
            rest(&statements[1..]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cidr::CidrOptions;
    use crate::cidr::SourcedValue;
    use crate::origin::Origin;

    pub(crate) fn config(cidrs: &[&str]) -> (Config, CidrSet) {
        config_with(cidrs, "")
    }

    /// A config with more TOML after the network table (e.g. a `[limits]` table).
    fn config_with(cidrs: &[&str], more: &str) -> (Config, CidrSet) {
        let list = cidrs
            .iter()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let config =
            Config::parse(&format!("[network]\ncidrs = [{list}]\n{more}"), "t.toml").unwrap();
        let set = CidrSet::build(&config.network.cidrs, config.network.options, "t")
            .unwrap()
            .set;
        (config, set)
    }

    #[test]
    fn seed_scp_has_the_guides_statements_in_compact_form() {
        let (c, set) = config(&["192.0.2.0/24", "203.0.113.0/24", "2001:db8:1234::/48"]);
        let r = render(&c, &set, PolicyKind::Scp, Layout::Single).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].compact,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyIAMUsersWithoutAccessException","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"User"},"StringNotEquals":{"aws:PrincipalTag/AccessException":"True"}}},{"Sid":"DenyIAMUsersOutsideApprovedNetwork","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"User","aws:PrincipalTag/AccessException":"True"},"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24","2001:db8:1234::/48"]},"Bool":{"aws:ViaAWSService":"false"}}}]}"#
        );
        assert_eq!(r[0].name, "RestrictIAMUserAccessWithExceptions");
    }

    #[test]
    fn a_single_cidr_is_a_plain_string_and_ipv4_hosts_drop_slash_32() {
        let (c, set) = config(&["198.51.100.7/32"]);
        let r = render(&c, &set, PolicyKind::Identity, Layout::Single).unwrap();
        assert!(
            r[0].compact.contains(r#""aws:SourceIp":"198.51.100.7""#),
            "{}",
            r[0].compact
        );
        assert!(r[0]
            .compact
            .contains(r#""Statement":{"Sid":"DenyAccessOutsideEnterpriseNetwork""#));
    }

    #[test]
    fn custom_tag_is_used_in_both_statements() {
        let mut c = Config::parse("[policy]\nexception_tag = { key = \"NetOk\", value = \"yes\" }\n[network]\ncidrs=[\"192.0.2.0/24\"]", "t").unwrap();
        c.policy.name = "P".into();
        let set = CidrSet::build(&c.network.cidrs, c.network.options, "t")
            .unwrap()
            .set;
        let r = render(&c, &set, PolicyKind::Scp, Layout::Single).unwrap();
        assert_eq!(
            r[0].compact
                .matches(r#""aws:PrincipalTag/NetOk":"yes""#)
                .count(),
            2
        );
        assert!(!r[0].compact.contains("PrincipalTag/AccessException"));
    }

    #[test]
    fn split_gives_two_documents_each_with_one_statement() {
        let (c, set) = config(&["192.0.2.0/24"]);
        let r = render(&c, &set, PolicyKind::Scp, Layout::SplitStatements).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].name, "RestrictIAMUserAccessWithExceptions-Untagged");
        assert_eq!(r[1].name, "RestrictIAMUserAccessWithExceptions-Network");
        assert!(r[0].compact.contains(SID_UNTAGGED) && !r[0].compact.contains("SourceIp"));
        assert!(r[1].compact.contains(SID_OUTSIDE_NETWORK) && r[1].compact.contains("SourceIp"));
        assert_eq!(
            render(&c, &set, PolicyKind::Identity, Layout::SplitStatements),
            Err(RenderError::SplitIdentity)
        );
    }

    fn scattered(n: u32) -> Vec<SourcedValue> {
        // Every other /32 from 11.0.0.0: never adjacent, so nothing aggregates.
        (0..n)
            .map(|i| {
                SourcedValue::new(
                    std::net::Ipv4Addr::from(0x0b00_0000 + 2 * i).to_string(),
                    Origin::label("t"),
                )
            })
            .collect()
    }

    const LEGACY: &str = "[limits]\nscp_max_chars = 5120\nscps_per_target = 5\n";

    fn too_large_at(n: u32, more: &str) -> (usize, String) {
        let (c, _) = config_with(&["192.0.2.0/24"], more);
        let set = CidrSet::build(&scattered(n), CidrOptions::default(), "t")
            .unwrap()
            .set;
        let err = render(&c, &set, PolicyKind::Scp, Layout::Single).unwrap_err();
        let RenderError::TooLarge {
            chars, over, limit, ..
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(*chars - *limit, *over);
        (*limit, err.to_string())
    }

    #[test]
    fn too_large_says_by_how_much_and_what_helps() {
        // AWS's current quota by default: 10,240 characters.
        let (limit, msg) = too_large_at(1000, "");
        assert_eq!(limit, 10240);
        assert!(
            msg.contains("over the limit of 10240 ([limits] scp_max_chars)"),
            "{msg}"
        );
        assert!(msg.contains("not enough on its own"), "{msg}");
        assert!(msg.contains("Never split the CIDR list"), "{msg}");
        assert!(!msg.contains("Raise it"), "{msg}");
        // An organization keeping the old figure: the setting is read, and named.
        let (limit, msg) = too_large_at(500, LEGACY);
        assert_eq!(limit, 5120);
        assert!(
            msg.contains("over the limit of 5120 ([limits] scp_max_chars)"),
            "{msg}"
        );
        assert!(msg.contains("accepts 10240 characters"), "{msg}");
    }

    #[test]
    fn the_500_cidrs_the_old_quota_refused_fit_the_new_one() {
        let (c, _) = config(&["192.0.2.0/24"]);
        let set = CidrSet::build(&scattered(500), CidrOptions::default(), "t")
            .unwrap()
            .set;
        let r = render(&c, &set, PolicyKind::Scp, Layout::Single).unwrap();
        assert!(r[0].chars() > 5120 && r[0].chars() <= 10240);
        assert_eq!(r[0].limit(), 10240);
    }

    #[test]
    fn shorten_advice_never_asks_for_more_entries_than_the_list_has() {
        let (c, set) = config_with(
            &["192.0.2.0/24", "203.0.113.0/24"],
            "[limits]\nscp_max_chars = 200\n",
        );
        let msg = render(&c, &set, PolicyKind::Scp, Layout::Single)
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("Shorten the list"), "{msg}");
        assert!(msg.contains("Even one CIDR entry would not fit"), "{msg}");
    }

    #[test]
    fn shorten_advice_for_a_long_list_is_what_really_fits() {
        // 3,000 scattered hosts: about 600 fit in 10,240 characters, so about 2,400 must go
        // (an average rounded down once asked for more entries than the list had).
        let (c, _) = config(&["192.0.2.0/24"]);
        let set = CidrSet::build(&scattered(3000), CidrOptions::default(), "t")
            .unwrap()
            .set;
        let msg = render(&c, &set, PolicyKind::Scp, Layout::Single)
            .unwrap_err()
            .to_string();
        let remove: usize = msg
            .split("Shorten the list by about ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{msg}"));
        let ok = |n: u32| {
            let s = CidrSet::build(&scattered(n), CidrOptions::default(), "t")
                .unwrap()
                .set;
            render(&c, &s, PolicyKind::Scp, Layout::Single).is_ok()
        };
        // The largest count that fits, by bisection.
        let (mut lo, mut hi) = (1u32, 3000u32);
        while lo + 1 < hi {
            let mid = (lo + hi) / 2;
            if ok(mid) {
                lo = mid
            } else {
                hi = mid
            }
        }
        let fits = lo as usize;
        let exact = 3000 - fits;
        assert!(
            remove.abs_diff(exact) * 100 <= exact * 2,
            "advice {remove}, exact {exact}"
        );
    }

    #[test]
    fn split_is_suggested_when_it_would_be_enough() {
        let (c, _) = config_with(&["192.0.2.0/24"], LEGACY);
        // Find a size that fails as one document but fits once statement 1 moves out.
        let fits = |n| {
            let set = CidrSet::build(&scattered(n), CidrOptions::default(), "t")
                .unwrap()
                .set;
            (
                render(&c, &set, PolicyKind::Scp, Layout::Single).is_ok(),
                set,
            )
        };
        let mut n = 300;
        while fits(n).0 {
            n += 1;
        }
        let (_, set) = fits(n);
        let msg = render(&c, &set, PolicyKind::Scp, Layout::Single)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("which is enough here"), "{msg}");
        assert!(msg.contains("one more of the 5 SCPs"), "{msg}");
        assert!(render(&c, &set, PolicyKind::Scp, Layout::SplitStatements).is_ok());
    }

    #[test]
    fn identity_policy_has_its_own_budget() {
        // Under the old SCP quota the IAM managed policy (6,144) held more than the SCP.
        let (c, _) = config_with(&["192.0.2.0/24"], LEGACY);
        let set = CidrSet::build(&scattered(400), CidrOptions::default(), "t")
            .unwrap()
            .set;
        assert!(render(&c, &set, PolicyKind::Scp, Layout::Single).is_err());
        let r = render(&c, &set, PolicyKind::Identity, Layout::Single).unwrap();
        assert!(r[0].chars() <= 6144 && r[0].chars() > 5120);
    }

    #[test]
    fn the_self_check_catches_endpoint_owners_missing_misplaced_or_changed() {
        let (c, set) = config_with(
            &["192.0.2.0/24"],
            "vpce_org_ids = [\"o-a1b2c3d4e5\"]\nvpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }]\n",
        );
        let good = render(&c, &set, PolicyKind::Scp, Layout::Single).unwrap();
        let opts = &c.network.opt_ins;
        let check = |compact: String| {
            let mut r = good[0].clone();
            r.compact = compact;
            selfcheck::self_check(
                &r,
                PolicyKind::Scp,
                Layout::Single,
                &c.policy.exception_tag,
                &set,
                opts,
            )
        };
        assert_eq!(check(good[0].compact.clone()), Ok(()));
        // Dropped from the pin: the pin would deny what statement 2 lets through.
        let pin_dropped = good[0].compact.replacen(
            r#","StringNotEqualsIfExists":{"aws:VpceOrgID":"o-a1b2c3d4e5"}"#,
            "",
            1,
        );
        assert_ne!(pin_dropped, good[0].compact);
        let e = check(pin_dropped).unwrap_err();
        assert!(
            e.contains("DenyVpcOutsideItsRegions1") && e.contains("lacks aws:VpceOrgID"),
            "{e}"
        );
        let changed = good[0].compact.replace("o-a1b2c3d4e5", "o-a1b2c3d4e6");
        assert!(check(changed).unwrap_err().contains("aws:VpceOrgID"));
        let operator = good[0].compact.replacen(
            r#""StringNotEqualsIfExists":{"aws:VpceOrgID""#,
            r#""StringEqualsIfExists":{"aws:VpceOrgID""#,
            1,
        );
        assert!(check(operator)
            .unwrap_err()
            .contains("StringNotEqualsIfExists"));
        // In statement 1 it does not belong.
        let (plain, _) = config(&["192.0.2.0/24"]);
        let r = render(&plain, &set, PolicyKind::Scp, Layout::Single).unwrap();
        let mut tampered = r[0].clone();
        tampered.compact = r[0].compact.replacen(
            r#""StringNotEquals":{"aws:PrincipalTag"#,
            r#""StringNotEqualsIfExists":{"aws:VpceOrgID":"o-a1b2c3d4e5"},"StringNotEquals":{"aws:PrincipalTag"#,
            1,
        );
        let e = selfcheck::self_check(
            &tampered,
            PolicyKind::Scp,
            Layout::Single,
            &plain.policy.exception_tag,
            &set,
            &plain.network.opt_ins,
        )
        .unwrap_err();
        assert!(e.contains("carries aws:VpceOrgID"), "{e}");
    }

    /// The plain path `render` had before sizes were measured: every document built in full,
    /// the first one over its limit refused with its size error (the split asked the same way).
    fn plain_render(
        c: &Config,
        set: &CidrSet,
        kind: PolicyKind,
        layout: Layout,
    ) -> Result<Vec<RenderedPolicy>, RenderError> {
        let spelled = set.compact_strings();
        let docs = render_any_size(c, set, kind, layout)?;
        if let Some(big) = docs.iter().find(|r| r.chars() > r.limit()) {
            let split = || plain_render(c, set, kind, Layout::SplitStatements).ok();
            return Err(too_large(
                &Oversized::of(big),
                c,
                set,
                &spelled,
                kind,
                layout,
                split,
            ));
        }
        Ok(docs)
    }

    /// Configs that shape the documents differently: plain, a custom tag, endpoint owners with
    /// VPC Regions (pins), endpoints with the VPC-resident actions exempted; `limit` as
    /// `[limits] scp_max_chars`.
    fn varied_config(variant: usize, limit: usize) -> Config {
        let (policy, network) = match variant % 4 {
            0 => ("", ""),
            1 => ("exception_tag = { key = \"Net-Ok\", value = \"yes please\" }\n", ""),
            2 => (
                "",
                "vpce_org_ids = [\"o-a1b2c3d4e5\"]\nvpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }, { id = \"vpc-0a1b2c3e\", regions = [\"us-east-1\", \"us-west-2\"] }]\n",
            ),
            _ => (
                "",
                "vpc_endpoints = [\"vpce-0a1b2c3d4e5f67890\"]\nexempt_vpc_resident_actions = true\n",
            ),
        };
        Config::parse(
            &format!("[policy]\n{policy}[network]\ncidrs = [\"192.0.2.0/24\"]\n{network}[limits]\nscp_max_chars = {limit}\n"),
            "t.toml",
        )
        .unwrap()
    }

    fn varied_set(v4: &[(u32, u8)], v6: &[(u64, u8)]) -> CidrSet {
        let v4 = v4
            .iter()
            .map(|&(a, p)| {
                ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(a | 0x0b00_0000), 8 + p % 25).unwrap()
            })
            .collect();
        let v6 = v6
            .iter()
            .map(|&(a, p)| {
                let addr =
                    std::net::Ipv6Addr::from((0x2001_0db8_u128 << 96) | (u128::from(a) << 32));
                ipnet::Ipv6Net::new(addr, 32 + p % 97).unwrap()
            })
            .collect();
        CidrSet::from_networks(v4, v6)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// The fast path (sizes measured without building the list) answers exactly as the
        /// plain one: the same sizes and statement 1 as the full documents, and `render` the
        /// same documents or the same size error, for every kind, layout, limit and opt-in.
        #[test]
        fn measured_sizes_and_render_equal_the_full_build(
            v4 in proptest::collection::vec((proptest::prelude::any::<u32>(), 0u8..25), 0..700),
            v6 in proptest::collection::vec((proptest::prelude::any::<u64>(), 0u8..97), 0..120),
            limit in 150usize..=10_240,
            variant in 0usize..4,
            identity in proptest::prelude::any::<bool>(),
            split in proptest::prelude::any::<bool>(),
        ) {
            let set = varied_set(&v4, &v6);
            proptest::prop_assume!(!set.is_empty());
            let c = varied_config(variant, limit);
            let kind = if identity { PolicyKind::Identity } else { PolicyKind::Scp };
            let layout = if split { Layout::SplitStatements } else { Layout::Single };
            let spelled = set.compact_strings();
            let (template, name, description) = match kind {
                PolicyKind::Scp => (SCP_TEMPLATE, &c.policy.name, "d"),
                _ => (IDENTITY_TEMPLATE, &c.identity.name, "d"),
            };
            let full = render_any_size(&c, &set, kind, layout);
            let measured = measure(template, &c.policy.exception_tag, &spelled, name, description, kind, layout, &c.network.opt_ins);
            match (&full, &measured) {
                (Ok(docs), Ok(Some(sizes))) => {
                    let of_full: Vec<Oversized> = docs.iter().map(|d| Oversized { limit: 0, ..Oversized::of(d) }).collect();
                    proptest::prop_assert_eq!(&of_full, sizes);
                }
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a, b),
                other => proptest::prop_assert!(false, "{:?}", other),
            }
            proptest::prop_assert_eq!(render(&c, &set, kind, layout), plain_render(&c, &set, kind, layout));
        }
    }

    #[test]
    fn a_tag_spelled_like_the_sentinel_leaves_the_measure_to_the_full_build() {
        let mut c = varied_config(0, 200);
        c.policy.exception_tag.value = LIST_SENTINEL.to_string();
        let set = varied_set(&[(1, 24), (1 << 9, 24)], &[]);
        let spelled = set.compact_strings();
        let measured = measure(
            SCP_TEMPLATE,
            &c.policy.exception_tag,
            &spelled,
            "n",
            "d",
            PolicyKind::Scp,
            Layout::Single,
            &c.network.opt_ins,
        );
        assert_eq!(measured, Ok(None));
        assert_eq!(
            render(&c, &set, PolicyKind::Scp, Layout::Single),
            plain_render(&c, &set, PolicyKind::Scp, Layout::Single)
        );
        assert!(render(&c, &set, PolicyKind::Scp, Layout::Single).is_err());
    }

    #[test]
    fn list_json_chars_is_the_serialised_length() {
        for list in [
            vec![],
            vec!["1.2.3.4".to_string()],
            vec!["a\"b".into(), "é\u{1}".into(), "10.0.0.0/8".into()],
        ] {
            let json = serde_json::to_string(&crate::policy::one_or_list(&list)).unwrap();
            assert_eq!(list_json_chars(&list), json.chars().count(), "{json}");
        }
    }
}
