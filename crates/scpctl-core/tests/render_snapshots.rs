//! Whole rendered documents under snapshot: the seed policy (§4.2 with the example ranges of
//! §5.1 and §6.2), the identity fallback (§5.1), and the IaC wrappers.

use scpctl_core::cidr::CidrSet;
use scpctl_core::config::Config;
use scpctl_core::iac;
use scpctl_core::render::{render, Layout, PolicyKind, RenderedPolicy};

fn seed(kind: PolicyKind, layout: Layout) -> Vec<RenderedPolicy> {
    let config = Config::parse(
        "[network]\ncidrs = [\"192.0.2.0/24\", \"203.0.113.0/24\", \"2001:db8:1234::/48\"]\n",
        "seed.toml",
    )
    .unwrap();
    let set = CidrSet::build(&config.network.cidrs, config.network.options, "seed")
        .unwrap()
        .set;
    render(&config, &set, kind, layout).unwrap()
}

#[test]
fn seed_scp_compact() {
    insta::assert_snapshot!(seed(PolicyKind::Scp, Layout::Single)[0].compact);
}

#[test]
fn seed_scp_pretty() {
    insta::assert_snapshot!(seed(PolicyKind::Scp, Layout::Single)[0].pretty());
}

#[test]
fn seed_identity_pretty() {
    insta::assert_snapshot!(seed(PolicyKind::Identity, Layout::Single)[0].pretty());
}

#[test]
fn seed_scp_split_compact() {
    let docs = seed(PolicyKind::Scp, Layout::SplitStatements);
    let both: Vec<String> = docs
        .iter()
        .map(|d| format!("{}: {}", d.name, d.compact))
        .collect();
    insta::assert_snapshot!(both.join("\n"));
}

#[test]
fn seed_terraform() {
    let mut docs = seed(PolicyKind::Scp, Layout::Single);
    docs.extend(seed(PolicyKind::Identity, Layout::Single));
    insta::assert_snapshot!(iac::terraform(&docs));
}

#[test]
fn seed_cloudformation() {
    let mut docs = seed(PolicyKind::Scp, Layout::Single);
    docs.extend(seed(PolicyKind::Identity, Layout::Single));
    insta::assert_snapshot!(iac::cloudformation(&docs));
}
