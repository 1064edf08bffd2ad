//! `[network] vpce_org_ids` and `vpce_accounts` (`aws:VpceOrgID`, `aws:VpceAccount`), checked
//! by evaluating the rendered documents against an independent truth function over every
//! combination: owner keys present or absent (a service that sends them or not), own or other
//! organization, listed or unlisted account, listed or unlisted endpoint and VPC, Region in or
//! out, CIDR inside or outside (the public address, or the private one through an endpoint),
//! via an AWS service or not; for the SCP and the identity fallback, with and without the other
//! opt-ins. The console sign-in RCP refuses them (Sign-In documents no owner keys).

use scpctl_core::cidr::CidrSet;
use scpctl_core::config::Config;
use scpctl_core::eval::{evaluate, RequestContext};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::render::{render, Layout, PolicyKind, RenderError};
use scpctl_core::scenario::scenario;

const ORG: &str = "o-a1b2c3d4e5";
const OTHER_ORG: &str = "o-f9e8d7c6b5";
const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
const VPC_EU: &str = "vpc-0a1b2c3d";
const VPC_OTHER: &str = "vpc-99998888";
const VPCE: &str = "vpce-0a1b2c3d4e5f67890";
const VPCE_OTHER: &str = "vpce-0f0f0f0f0f0f0f0f0";
/// A listed VPC (pinned to two Regions) and a listed endpoint.
const OPT_INS: &str = "vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\", \"eu-central-1\"] }]\nvpc_endpoints = [\"vpce-0a1b2c3d4e5f67890\"]\n";

fn config(extra: &str) -> (Config, CidrSet) {
    let text = format!("[network]\ncidrs = [\"192.0.2.0/24\"]\n{extra}");
    let config = Config::parse(&text, "t.toml").unwrap();
    let set = CidrSet::build(&config.network.cidrs, config.network.options, "t")
        .unwrap()
        .set;
    (config, set)
}

fn doc(c: &Config, set: &CidrSet, kind: PolicyKind) -> PolicyDocument {
    PolicyDocument::from_json(&render(c, set, kind, Layout::Single).unwrap()[0].compact).unwrap()
}

/// What the config lists, written out by hand for the truth function (not read from the
/// parsed config, so a parsing mistake cannot hide in both).
#[derive(Clone, Copy, Debug)]
struct Listed {
    orgs: bool,
    accounts: bool,
    vpcs_and_endpoint: bool,
}

impl Listed {
    fn toml(self) -> String {
        let mut out = String::new();
        if self.orgs {
            out.push_str(&format!("vpce_org_ids = [\"{ORG}\"]\n"));
        }
        if self.accounts {
            out.push_str(&format!("vpce_accounts = [\"{ACCOUNT}\"]\n"));
        }
        if self.vpcs_and_endpoint {
            out.push_str(OPT_INS);
        }
        out
    }

    fn without_owners(self) -> Listed {
        Listed {
            orgs: false,
            accounts: false,
            ..self
        }
    }

    fn all() -> Vec<Listed> {
        let mut out = Vec::new();
        for (orgs, accounts) in [(true, false), (false, true), (true, true)] {
            for vpcs_and_endpoint in [false, true] {
                out.push(Listed {
                    orgs,
                    accounts,
                    vpcs_and_endpoint,
                });
            }
        }
        out
    }
}

/// The endpoint's owner as a supporting service sends it; `None`: the keys are absent.
type Owner = Option<(&'static str, &'static str)>;

#[derive(Clone, Copy, Debug)]
enum Source {
    Public {
        inside: bool,
    },
    Endpoint {
        vpc: &'static str,
        vpce: &'static str,
        owner: Owner,
        private_inside: bool,
    },
}

fn sources() -> Vec<Source> {
    let mut out = vec![
        Source::Public { inside: true },
        Source::Public { inside: false },
    ];
    let owners: [Owner; 5] = [
        None,
        Some((ORG, ACCOUNT)),
        Some((ORG, OTHER_ACCOUNT)),
        Some((OTHER_ORG, ACCOUNT)),
        Some((OTHER_ORG, OTHER_ACCOUNT)),
    ];
    for vpc in [VPC_EU, VPC_OTHER] {
        for vpce in [VPCE, VPCE_OTHER] {
            for owner in owners {
                for private_inside in [false, true] {
                    out.push(Source::Endpoint {
                        vpc,
                        vpce,
                        owner,
                        private_inside,
                    });
                }
            }
        }
    }
    out
}

const REGIONS: [&str; 2] = ["eu-west-1", "ap-south-1"];

fn request(source: Source, region: &str, via: bool) -> RequestContext {
    let mut ctx = RequestContext::new("s3:GetObject")
        .with("aws:ViaAWSService", if via { "true" } else { "false" })
        .with("aws:RequestedRegion", region);
    match source {
        Source::Public { inside } => {
            ctx = ctx.with(
                "aws:SourceIp",
                if inside { "192.0.2.10" } else { "198.51.100.7" },
            )
        }
        Source::Endpoint {
            vpc,
            vpce,
            owner,
            private_inside,
        } => {
            // aws:VpcSourceIp is never what the network statement compares: an address of the
            // enterprise range inside a VPC must not let a request through by itself.
            ctx = ctx
                .with("aws:SourceVpc", vpc)
                .with("aws:SourceVpce", vpce)
                .with(
                    "aws:VpcSourceIp",
                    if private_inside {
                        "192.0.2.10"
                    } else {
                        "10.0.0.5"
                    },
                );
            if let Some((org, account)) = owner {
                ctx = ctx
                    .with("aws:VpceOrgID", org)
                    .with("aws:VpceAccount", account)
                    .with(
                        "aws:VpceOrgPaths",
                        format!("{org}/r-ab12/ou-ab12-11111111/"),
                    );
            }
        }
    }
    ctx
}

/// The semantics, independently: through via an AWS service, OR from a listed CIDR, OR through
/// a listed endpoint, OR from a listed VPC in one of its Regions, OR through an endpoint a
/// listed organization or account owns (only when the service sends the owner).
fn expected_through(listed: Listed, source: Source, region: &str, via: bool) -> bool {
    via || match source {
        Source::Public { inside } => inside,
        Source::Endpoint {
            vpc, vpce, owner, ..
        } => {
            let endpoint = listed.vpcs_and_endpoint && vpce == VPCE;
            let vpc_in_region = listed.vpcs_and_endpoint
                && vpc == VPC_EU
                && (region == "eu-west-1" || region == "eu-central-1");
            let owned = owner.is_some_and(|(org, account)| {
                (listed.orgs && org == ORG) || (listed.accounts && account == ACCOUNT)
            });
            endpoint || vpc_in_region || owned
        }
    }
}

fn tagged_user(ctx: RequestContext) -> RequestContext {
    ctx.with("aws:PrincipalType", "User")
        .with("aws:PrincipalTag/AccessException", "True")
}

#[test]
fn every_combination_is_decided_as_the_semantics_say_for_both_kinds() {
    let mut checked = 0;
    for listed in Listed::all() {
        let (c, set) = config(&listed.toml());
        for kind in [PolicyKind::Scp, PolicyKind::Identity] {
            let policy = doc(&c, &set, kind);
            for source in sources() {
                for region in REGIONS {
                    for via in [false, true] {
                        let ctx = request(source, region, via);
                        let ctx = match kind {
                            PolicyKind::Scp => tagged_user(ctx),
                            _ => ctx,
                        };
                        let d = evaluate(&policy, &ctx).unwrap();
                        assert_eq!(
                            !d.denied,
                            expected_through(listed, source, region, via),
                            "{kind:?} {listed:?} {source:?} {region} via={via}: {:?}",
                            d.statement
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 6 * 2 * 42 * 2 * 2);
}

/// For a service that does not send the owner's keys (or a request not through an endpoint)
/// the keys are absent, and the policy must decide exactly as the same config without
/// `vpce_org_ids` / `vpce_accounts`: never wider, never narrower.
#[test]
fn absent_owner_keys_never_widen_or_narrow_anything() {
    for listed in Listed::all() {
        let (with, set) = config(&listed.toml());
        let (without, _) = config(&listed.without_owners().toml());
        for kind in [PolicyKind::Scp, PolicyKind::Identity] {
            let a = doc(&with, &set, kind);
            let b = doc(&without, &set, kind);
            for source in sources() {
                if matches!(source, Source::Endpoint { owner: Some(_), .. }) {
                    continue;
                }
                for region in REGIONS {
                    for via in [false, true] {
                        for ctx in [
                            tagged_user(request(source, region, via)),
                            request(source, region, via).with("aws:PrincipalType", "User"),
                            request(source, region, via).with("aws:PrincipalType", "AssumedRole"),
                        ] {
                            let (da, db) =
                                (evaluate(&a, &ctx).unwrap(), evaluate(&b, &ctx).unwrap());
                            assert_eq!(
                                (da.denied, da.statement.clone()),
                                (db.denied, db.statement.clone()),
                                "{kind:?} {listed:?} {source:?} {region} via={via}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn untagged_users_stay_denied_and_roles_are_never_affected_through_an_owned_endpoint() {
    let (c, set) = config(&format!(
        "vpce_org_ids = [\"{ORG}\"]\nvpce_accounts = [\"{ACCOUNT}\"]\n"
    ));
    let policy = doc(&c, &set, PolicyKind::Scp);
    for source in sources() {
        let base = request(source, "eu-west-1", false);
        let untagged = base.clone().with("aws:PrincipalType", "User");
        assert_eq!(
            evaluate(&policy, &untagged).unwrap().statement.as_deref(),
            Some("DenyIAMUsersWithoutAccessException"),
            "{source:?}"
        );
        let role = base.with("aws:PrincipalType", "AssumedRole");
        assert!(!evaluate(&policy, &role).unwrap().denied, "{source:?}");
    }
}

/// The operator the keys sit under, on its own: `StringNotEqualsIfExists` matches (the deny
/// applies) when the key is absent or holds an unlisted value, and not when it holds a listed
/// one. With `aws:SourceIp` absent (through an endpoint) the statement then denies exactly
/// when no endpoint key names a listed network.
#[test]
fn string_not_equals_if_exists_truth_table() {
    let statement = |cond: &str| {
        PolicyDocument::from_json(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"T","Effect":"Deny","Action":"*","Resource":"*","Condition":{{{cond}}}}}]}}"#
        ))
        .unwrap()
    };
    let owners = statement(&format!(
        r#""StringNotEqualsIfExists":{{"aws:VpceOrgID":"{ORG}","aws:VpceAccount":"{ACCOUNT}"}}"#
    ));
    // (aws:VpceOrgID, aws:VpceAccount) -> denied
    let table: [(Option<&str>, Option<&str>, bool); 9] = [
        (None, None, true),
        (Some(ORG), None, false),
        (Some(OTHER_ORG), None, true),
        (None, Some(ACCOUNT), false),
        (None, Some(OTHER_ACCOUNT), true),
        (Some(ORG), Some(ACCOUNT), false),
        (Some(ORG), Some(OTHER_ACCOUNT), false),
        (Some(OTHER_ORG), Some(ACCOUNT), false),
        (Some(OTHER_ORG), Some(OTHER_ACCOUNT), true),
    ];
    for (org, account, denied) in table {
        let mut ctx = RequestContext::new("s3:GetObject");
        if let Some(o) = org {
            ctx = ctx.with("aws:VpceOrgID", o);
        }
        if let Some(a) = account {
            ctx = ctx.with("aws:VpceAccount", a);
        }
        assert_eq!(
            evaluate(&owners, &ctx).unwrap().denied,
            denied,
            "{org:?} {account:?}"
        );
    }
}

#[test]
fn vpce_org_paths_is_multivalued_for_set_operators() {
    let policy = PolicyDocument::from_json(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"T","Effect":"Deny","Action":"*","Resource":"*","Condition":{{"ForAllValues:StringNotLike":{{"aws:VpceOrgPaths":"{ORG}/r-ab12/ou-ab12-11111111/*"}}}}}}]}}"#
    ))
    .unwrap();
    let paths = |values: &[&str]| {
        values
            .iter()
            .fold(RequestContext::new("s3:GetObject"), |c, v| {
                c.with("aws:VpceOrgPaths", *v)
            })
    };
    let inside = format!("{ORG}/r-ab12/ou-ab12-11111111/ou-ab12-22222222/");
    let outside = format!("{OTHER_ORG}/r-cd34/");
    // Every path outside the OU: denied; one inside among several: not.
    assert!(evaluate(&policy, &paths(&[&outside])).unwrap().denied);
    assert!(
        !evaluate(&policy, &paths(&[&outside, &inside]))
            .unwrap()
            .denied
    );
    assert!(!evaluate(&policy, &paths(&[&inside])).unwrap().denied);
}

#[test]
fn the_keys_go_under_string_not_equals_if_exists_in_statement_2_and_every_pin() {
    let (c, set) = config(&format!(
        "vpce_org_ids = [\"{ORG}\"]\nvpce_accounts = [\"{ACCOUNT}\"]\nvpcs = [{{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }}, {{ id = \"vpc-11112222\", regions = [\"us-east-1\"] }}]\n"
    ));
    let r = render(&c, &set, PolicyKind::Scp, Layout::Single).unwrap();
    let owners = format!(r#""aws:VpceOrgID":"{ORG}","aws:VpceAccount":"{ACCOUNT}""#);
    // Statement 2 and the two pins, no endpoint listed: the block holds the owners alone in
    // the pins, beside aws:SourceVpc in statement 2.
    assert_eq!(r[0].compact.matches(&owners).count(), 3, "{}", r[0].compact);
    assert!(r[0].compact.contains(&format!(
        r#""StringNotEqualsIfExists":{{"aws:SourceVpc":["vpc-0a1b2c3d","vpc-11112222"],{owners}}}"#
    )));
    assert!(r[0]
        .compact
        .contains(&format!(r#""StringNotEqualsIfExists":{{{owners}}}"#)));
    assert!(r[0].compact.contains(r#""NotIpAddressIfExists""#));
    // Without them the bytes are those of the same config without the keys.
    let (plain, _) = config("vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }, { id = \"vpc-11112222\", regions = [\"us-east-1\"] }]\n");
    let plain = render(&plain, &set, PolicyKind::Scp, Layout::Single).unwrap();
    assert_eq!(
        r[0].compact
            .replace(&format!(",{owners}"), "")
            .replace(&format!(r#","StringNotEqualsIfExists":{{{owners}}}"#), ""),
        plain[0].compact
    );
}

#[test]
fn the_console_signin_rcp_refuses_the_owner_keys_with_the_reason() {
    for (extra, keys) in [
        (format!("vpce_org_ids = [\"{ORG}\"]\n"), "vpce_org_ids"),
        (
            format!("vpce_accounts = [\"{ACCOUNT}\"]\n"),
            "vpce_accounts",
        ),
        (
            format!("vpce_org_ids = [\"{ORG}\"]\nvpce_accounts = [\"{ACCOUNT}\"]\n"),
            "vpce_org_ids and vpce_accounts",
        ),
    ] {
        let (c, set) = config(&extra);
        let err = render(&c, &set, PolicyKind::Signin, Layout::Single).unwrap_err();
        assert_eq!(err, RenderError::SigninEndpointOwners { keys: keys.into() });
        let msg = err.to_string();
        assert!(
            msg.contains(keys)
                && msg.contains("AWS Sign-In documents only")
                && msg.contains("vpc_endpoints"),
            "{msg}"
        );
        // The SCP and the identity policy still render.
        assert!(render(&c, &set, PolicyKind::Scp, Layout::Single).is_ok());
        assert!(render(&c, &set, PolicyKind::Identity, Layout::Single).is_ok());
    }
    let (c, set) = config(OPT_INS);
    assert!(render(&c, &set, PolicyKind::Signin, Layout::Single).is_ok());
}

#[test]
fn the_scenario_rows_for_owners_agree_with_the_rendered_policy() {
    for listed in Listed::all() {
        let (c, set) = config(&listed.toml());
        for kind in [PolicyKind::Scp, PolicyKind::Identity] {
            let policy = doc(&c, &set, kind);
            let cases = scenario(kind, &c.policy.exception_tag, &set, &c.network.opt_ins);
            let owner_rows: Vec<_> = cases
                .iter()
                .filter(|r| r.source.contains("vpce_"))
                .collect();
            // Listed owner, another owner, an unsupported service; the listed account in another
            // organization with both lists; a listed VPC in another Region with VPCs.
            let wanted = 3
                + usize::from(listed.orgs && listed.accounts)
                + usize::from(listed.vpcs_and_endpoint);
            assert_eq!(owner_rows.len(), wanted, "{listed:?} {kind:?}");
            for case in cases {
                let d = evaluate(&policy, &case.request.context()).unwrap();
                assert_eq!(
                    d.statement.as_deref(),
                    case.expected.as_deref(),
                    "{listed:?} {kind:?}: {}",
                    case.title
                );
            }
        }
    }
}

/// Characters added per entry, measured on the rendered SCP (the identity policy adds the
/// same), and checked against what the grammar adds: the first entry alone also turns
/// `NotIpAddress` into `NotIpAddressIfExists` and opens the `StringNotEqualsIfExists` block;
/// beside endpoints or VPCs the block exists; a second entry turns the value into a list; each
/// further one adds `,"..."`. Every statement that carries the keys (statement 2 and each pin)
/// pays it. Run with `--nocapture` to see the figures.
#[test]
fn size_added_per_entry_is_what_the_grammar_adds_and_counts_in_the_budget() {
    let size = |extra: &str, kind: PolicyKind| {
        let (c, set) = config(extra);
        render(&c, &set, kind, Layout::Single).unwrap()[0].chars()
    };
    let orgs = |n: usize| -> String {
        let ids: Vec<String> = (0..n).map(|i| format!("\"o-a1b2c3d4e{i}\"")).collect();
        format!("vpce_org_ids = [{}]\n", ids.join(", "))
    };
    let accounts = |n: usize| -> String {
        let ids: Vec<String> = (0..n).map(|i| format!("\"11112222333{i}\"")).collect();
        format!("vpce_accounts = [{}]\n", ids.join(", "))
    };
    let endpoint = "vpc_endpoints = [\"vpce-0a1b2c3d4e5f67890\"]\n";
    for kind in [PolicyKind::Scp, PolicyKind::Identity] {
        let base = size("", kind);
        for (name, key, value_len, list) in [
            (
                "vpce_org_ids",
                "aws:VpceOrgID",
                12usize,
                &orgs as &dyn Fn(usize) -> String,
            ),
            ("vpce_accounts", "aws:VpceAccount", 12, &accounts),
        ] {
            let entry = |n| list(n);
            let pair = key.len() + 2 + 1 + value_len + 2; // "key":"value"
            let alone = size(&entry(1), kind) - base;
            assert_eq!(
                alone,
                ("IfExists".len()) + ",\"StringNotEqualsIfExists\":{}".len() + pair
            );
            let beside_endpoint =
                size(&format!("{endpoint}{}", entry(1)), kind) - size(endpoint, kind);
            assert_eq!(beside_endpoint, 1 + pair);
            // A listed VPC adds a pin, which carries the entry too.
            let vpc =
                "vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\", \"eu-central-1\"] }]\n";
            let beside_vpc = size(&format!("{vpc}{}", entry(1)), kind) - size(vpc, kind);
            let pin_block = ",\"StringNotEqualsIfExists\":{}".len() + pair;
            assert_eq!(beside_vpc, 1 + pair + pin_block);
            let second = size(&entry(2), kind) - size(&entry(1), kind);
            assert_eq!(second, 2 + 1 + value_len + 2);
            let third = size(&entry(3), kind) - size(&entry(2), kind);
            assert_eq!(third, 1 + value_len + 2);
            let second_with_pin = size(&format!("{vpc}{}", entry(2)), kind)
                - size(&format!("{vpc}{}", entry(1)), kind);
            assert_eq!(second_with_pin, 2 * second);
            println!(
                "{kind:?} {name}: first entry alone +{alone}, first beside listed endpoints +{beside_endpoint}, \
                 first beside a listed VPC group (one pin) +{beside_vpc}, second +{second} (+{second_with_pin} with one pin), \
                 each further +{third} per statement"
            );
        }
    }
    // The budget counts them: a limit the owners push over is refused.
    let (c, set) = config(&format!(
        "{}[limits]\nscp_max_chars = {}\n",
        orgs(3),
        size("", PolicyKind::Scp) + 20
    ));
    assert!(matches!(
        render(&c, &set, PolicyKind::Scp, Layout::Single),
        Err(RenderError::TooLarge { .. })
    ));
}

#[test]
fn account_level_signin_statements_refuse_the_owner_keys_too() {
    let (c, set) = config(&format!("{OPT_INS}vpce_accounts = [\"{ACCOUNT}\"]\n"));
    let e = scpctl_core::signin::account_statements(&c, &set, true).unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("[network] vpce_accounts")
            && e[0].contains("no field for the endpoint's owner"),
        "{e:?}"
    );
    let (c, set) = config(OPT_INS);
    assert!(scpctl_core::signin::account_statements(&c, &set, true).is_ok());
}
