//! `simulate --online`: the request scpctl decides, asked of IAM's policy simulator
//! (SimulateCustomPolicy) too: the SCPs as the organization's levels (root first), an identity
//! policy that allows everything, the action, the resource, the caller and every context key as
//! a typed entry. AWS's decision is printed beside scpctl's; a difference exits 6.
//!
//! The rendered SCP and `--policy` files go on one level beside FullAWSAccess (as an SCP is
//! attached in an organization: an SCP that only denies allows nothing by itself); `--scp-chain`
//! levels go as given. scpctl's side is evaluated on the same chain, so both answer the same
//! question.

use std::path::Path;

use anyhow::{Context, Result};
use scpctl_core::aws_checks::{
    compare, keys_not_given, simulator_entries, Comparison, NotTaken, SimDecision,
};
use scpctl_core::eval::{CompiledPolicy, Denial, PolicySet, PolicyType, RequestContext};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::printable::printable;
use serde_json::{json, Value};

use crate::aws::iam_simulate::{IamSimulator, Simulation, SimulationRequest, SIMULATE_PERMISSION};
use crate::cli::{Kind, SimulateArgs};
use crate::commands::base::policies::json_files;
use crate::commands::base::session;
use crate::load::read_text;
use crate::problems::usage;

/// The content of AWS's FullAWSAccess SCP (AWS Organizations User Guide, "Inheritance for
/// service control policies": attached to every root, OU and account by default).
pub const FULL_AWS_ACCESS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// The organization's levels, as text for AWS and compiled for scpctl.
pub struct Chain {
    pub docs: Vec<Vec<String>>,
    pub set: PolicySet,
}

fn compiled(label: &str, text: &str) -> Result<(String, CompiledPolicy)> {
    let doc = PolicyDocument::from_json(text)
        .with_context(|| format!("{label}: not a policy document"))?;
    let policy = CompiledPolicy::new(&doc, PolicyType::Scp)
        .with_context(|| format!("cannot evaluate {label}"))?;
    Ok((label.to_string(), policy))
}

fn file(path: &Path) -> Result<(String, (String, CompiledPolicy))> {
    let text = read_text(path, "policy file")?;
    let label = path.display().to_string();
    let policy = compiled(&label, &text)?;
    Ok((text, policy))
}

/// What `--online` sends: `--scp-chain` levels as given, or the `--policy` files (or the
/// rendered SCP, `rendered` = (name, compact text)) beside FullAWSAccess on one level.
pub fn chain(args: &SimulateArgs, rendered: Option<(&str, &str)>) -> Result<Chain> {
    if args.kind != Kind::Scp {
        return Err(usage(
            "--online asks IAM's policy simulator about SCPs (the organization's levels): use it with --kind scp".into(),
        ));
    }
    let has_files = !args.policy.is_empty() || args.policy_dir.is_some();
    if has_files && !args.scp_chain.is_empty() {
        return Err(usage(
            "--online sends either the --scp-chain levels or the --policy files beside FullAWSAccess, not both: put the files into the chain".into(),
        ));
    }
    let mut docs = Vec::new();
    let mut set = PolicySet::new();
    if !args.scp_chain.is_empty() {
        let n = args.scp_chain.len();
        for (i, level) in args.scp_chain.iter().enumerate() {
            if level.trim().is_empty() {
                return Err(usage(format!(
                    "--scp-chain: level {} of {n} is empty; a level with no SCP would deny every request implicitly",
                    i + 1
                )));
            }
            let mut texts = Vec::new();
            let mut policies = Vec::new();
            for f in level.split('+') {
                let (text, policy) = file(Path::new(f.trim()))?;
                texts.push(text);
                policies.push(policy);
            }
            let name = match i {
                0 => "root".to_string(),
                _ if i + 1 == n => "account".to_string(),
                _ => format!("ou-{i}"),
            };
            set.add_level(name, true, policies);
            docs.push(texts);
        }
        return Ok(Chain { docs, set });
    }
    let mut texts = Vec::new();
    let mut policies = Vec::new();
    if has_files {
        let mut paths = args.policy.clone();
        if let Some(dir) = &args.policy_dir {
            paths.extend(json_files(dir)?);
        }
        for p in &paths {
            let (text, policy) = file(p)?;
            texts.push(text);
            policies.push(policy);
        }
    } else if let Some((name, text)) = rendered {
        texts.push(text.to_string());
        policies.push(compiled(name, text)?);
    }
    texts.push(FULL_AWS_ACCESS.to_string());
    policies.push(compiled("FullAWSAccess", FULL_AWS_ACCESS)?);
    set.add_level("account", true, policies);
    docs.push(texts);
    Ok(Chain { docs, set })
}

/// scpctl's decision on the chain, in the simulator's terms.
pub fn scpctl_decision(set: &PolicySet, ctx: &RequestContext) -> SimDecision {
    match set.evaluate(ctx).denial {
        Some(Denial::Explicit { .. }) => SimDecision::ExplicitDeny,
        Some(Denial::Implicit { .. }) => SimDecision::ImplicitDeny,
        None => SimDecision::Allowed,
    }
}

/// One request asked of both.
pub enum Online {
    /// SCPs do not apply to the caller; the simulator cannot be told so (it would apply them).
    NotCompared(String),
    Compared {
        scpctl: SimDecision,
        aws: Box<Simulation>,
        comparison: Comparison,
        /// Keys the policies read that the request does not give (scpctl's reading).
        not_given: Vec<String>,
        /// Keys sent or not sent with a reservation.
        not_taken: Vec<NotTaken>,
    },
}

impl Online {
    pub fn is_difference(&self) -> bool {
        matches!(self, Online::Compared { comparison, .. } if comparison.is_difference())
    }

    /// The AWS column of the scenario table.
    pub fn cell(&self) -> String {
        match self {
            Online::NotCompared(_) => "not compared".into(),
            Online::Compared {
                aws, comparison, ..
            } => {
                if comparison.is_difference() {
                    format!("{} *** DIFFERENCE ***", aws.decision)
                } else {
                    aws.decision.to_string()
                }
            }
        }
    }
}

/// The simulator's client, from the session made with `simulate`'s own connection flags.
pub async fn simulator(args: &SimulateArgs) -> IamSimulator {
    let config = session::sdk_config(&args.connection.aws()).await;
    IamSimulator::new(&config, &session::counter())
}

/// Ask AWS `ctx` on `chain` and compare with scpctl's answer on the same chain.
pub async fn ask(sim: &IamSimulator, chain: &Chain, ctx: &RequestContext) -> Result<Online> {
    if ctx.management_account {
        return Ok(Online::NotCompared(
            "the caller is in the management account, which SCPs never restrict; the simulator cannot be told so".into(),
        ));
    }
    if ctx.is_service_linked_role() {
        return Ok(Online::NotCompared(
            "the caller is a service-linked role, which SCPs never restrict; the simulator cannot be told so".into(),
        ));
    }
    let context = simulator_entries(ctx);
    let caller = ctx.get("aws:PrincipalArn").and_then(|v| v.first().cloned());
    let request = SimulationRequest {
        chain: &chain.docs,
        action: &ctx.action,
        resource: ctx.resource.as_deref(),
        caller_arn: caller.as_deref(),
        context: &context.entries,
    };
    let aws = sim.simulate(&request).await?;
    let scpctl = scpctl_decision(&chain.set, ctx);
    Ok(Online::Compared {
        scpctl,
        comparison: compare(scpctl, aws.decision),
        aws: Box::new(aws),
        not_given: keys_not_given(&chain.set.statement_read_keys(), ctx),
        not_taken: context.not_taken,
    })
}

/// The `online` field of the JSON output.
pub fn to_json(online: &Online) -> Value {
    match online {
        Online::NotCompared(why) => json!({"compared": false, "reason": why}),
        Online::Compared {
            scpctl,
            aws,
            comparison,
            not_given,
            not_taken,
        } => json!({
            "compared": true,
            "permission": SIMULATE_PERMISSION,
            "scpctl_decision": scpctl.as_str(),
            "aws_decision": aws.decision.as_str(),
            "allowed_by_organizations": aws.allowed_by_organizations,
            "difference": comparison.is_difference(),
            "missing_context_values": aws.missing_context_values,
            "keys_not_given": not_given,
            "unconfirmed": not_taken.iter().filter(|n| n.sent).map(|n| json!({"key": n.key, "reason": n.reason})).collect::<Vec<_>>(),
            "not_sent": not_taken.iter().filter(|n| !n.sent).map(|n| json!({"key": n.key, "reason": n.reason})).collect::<Vec<_>>(),
            "matched_statements": aws.matched.iter().map(|m| json!({
                "source_policy_id": m.source_policy_id,
                "source_policy_type": m.source_policy_type,
                "start": m.start.map(|(l, c)| json!({"line": l, "column": c})),
                "end": m.end.map(|(l, c)| json!({"line": l, "column": c})),
            })).collect::<Vec<_>>(),
            "notes": aws.notes,
        }),
    }
}

/// The text block after scpctl's own answer.
pub fn print(online: &Online) -> std::io::Result<()> {
    match online {
        Online::NotCompared(why) => outln!("AWS (IAM SimulateCustomPolicy): not compared: {why}"),
        Online::Compared {
            scpctl,
            aws,
            comparison,
            not_given,
            not_taken,
        } => {
            let detail = match aws.allowed_by_organizations {
                Some(a) => format!("OrganizationsDecisionDetail AllowedByOrganizations={a}"),
                None => "no OrganizationsDecisionDetail".into(),
            };
            outln!(
                "AWS (IAM SimulateCustomPolicy): {} ({detail})",
                aws.decision
            )?;
            outln!("scpctl, same chain:             {scpctl}")?;
            match comparison {
                Comparison::Agreement(_) => outln!("agreement: AWS and scpctl decide alike")?,
                Comparison::Difference { scpctl, aws } => {
                    outln!("*** DIFFERENCE *** scpctl decides {scpctl}, AWS decides {aws}")?
                }
            }
            let missing = if aws.missing_context_values.is_empty() {
                "none".to_string()
            } else {
                printable(&aws.missing_context_values.join(", ")).into_owned()
            };
            outln!("AWS MissingContextValues: {missing}")?;
            if !not_given.is_empty() {
                outln!(
                    "keys the SCPs read that this request does not give (AWS does not list keys read only by SCPs): {}",
                    not_given.join(", ")
                )?;
            }
            for n in not_taken {
                let how = if n.sent { "unconfirmed" } else { "not sent" };
                outln!("{how}: {}: {}", printable(&n.key), n.reason)?;
            }
            for n in &aws.notes {
                outln!("note: {}", printable(n))?;
            }
            Ok(())
        }
    }
}
