//! `scpctl simulate`: evaluate the rendered policy, or the policies given as files (several at
//! once, or an SCP chain), for one request; or the guide's scenario as a table.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use scpctl_core::eval::{
    CompiledPolicy, Decision, PolicySet, PolicyType, RequestContext, SetDecision, StatementTrace,
    UnreadableValue,
};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::render::{render, Layout, PolicyKind};
use scpctl_core::scenario::scenario;
use serde_json::json;

use super::online::{self, Online};
use crate::cli::{Cli, Kind, OutputFormat, SigninPhase, SimulateArgs};
use crate::commands::base::policies::{json_files, read_policy};
use crate::commands::base::session::block_on;
use crate::commands::base::table::{agreement_line, decision_text, print_table, scenario_exit};
use crate::exit;
use crate::load::{load, Loaded};

/// The policy under test and what to call it.
struct Subject {
    label: String,
    document: PolicyDocument,
    /// The document as read or rendered (what `--online` sends).
    text: String,
    /// Rendered by scpctl from the config (then Sids are compared too, not just the decision).
    rendered: bool,
}

fn subject(file: Option<&PathBuf>, loaded: Option<&Loaded>, kind: PolicyKind) -> Result<Subject> {
    if let Some(path) = file {
        let text = crate::load::read_text(path, "policy file")?;
        let document = PolicyDocument::from_json(&text)
            .with_context(|| format!("{}: not a policy document", path.display()))?;
        return Ok(Subject {
            label: path.display().to_string(),
            document,
            text,
            rendered: false,
        });
    }
    let loaded = loaded.context("internal: a config is needed to render the policy")?;
    let docs = render(&loaded.config, &loaded.cidrs.set, kind, Layout::Single)?;
    let doc = &docs[0];
    let document = PolicyDocument::from_json(&doc.compact)
        .context("internal: rendered policy does not parse")?;
    Ok(Subject {
        label: doc.name.clone(),
        document,
        text: doc.compact.clone(),
        rendered: true,
    })
}

fn policy_type(kind: Kind) -> Result<PolicyType> {
    Ok(match crate::commands::base::kinds::policy_kind(kind)? {
        PolicyKind::Scp => PolicyType::Scp,
        PolicyKind::Identity => PolicyType::Identity,
        PolicyKind::Signin => PolicyType::Rcp,
    })
}

fn compile(path: &Path, kind: PolicyType) -> Result<(String, CompiledPolicy)> {
    let label = path.display().to_string();
    let policy = CompiledPolicy::new(&read_policy(path)?, kind)
        .with_context(|| format!("cannot evaluate {label}"))?;
    Ok((label, policy))
}

/// Level names of a chain: root, ou-1, ..., account.
fn level_name(i: usize, n: usize) -> String {
    match i {
        0 => "root".into(),
        _ if i + 1 == n => "account".into(),
        _ => format!("ou-{i}"),
    }
}

use crate::problems::usage;

/// A request value that an operator of the policies cannot read is a usage error (exit 2), like
/// a bad value of a typed key.
fn readable(check: Result<(), Box<UnreadableValue>>) -> Result<()> {
    check.map_err(|e| usage(e.to_string()))
}

/// The policies given as files: `--policy` and `--policy-dir` (any Deny denies), then the
/// `--scp-chain` levels (each needs a matching Allow).
fn policy_set(args: &SimulateArgs) -> Result<PolicySet> {
    let kind = policy_type(args.kind)?;
    let mut files = args.policy.clone();
    if let Some(dir) = &args.policy_dir {
        files.extend(json_files(dir)?);
    }
    let mut set = PolicySet::new();
    if !files.is_empty() {
        let policies = files
            .iter()
            .map(|f| compile(f, kind))
            .collect::<Result<Vec<_>>>()?;
        set.add_level("policies", false, policies);
    }
    // A level with no SCP attached denies every request implicitly (AWS Organizations User
    // Guide, "SCP evaluation"): an empty level is a mistake in the list, never a level to skip.
    let levels = &args.scp_chain;
    if let Some(i) = levels.iter().position(|l| l.trim().is_empty()) {
        return Err(usage(format!(
            "--scp-chain: level {} of {} ({}) is empty; a level with no SCP would deny every request \
             implicitly: name its SCP files (a.json+b.json for several)",
            i + 1,
            levels.len(),
            level_name(i, levels.len())
        )));
    }
    for (i, level) in levels.iter().enumerate() {
        let policies = level
            .split('+')
            .map(|f| compile(Path::new(f.trim()), PolicyType::Scp))
            .collect::<Result<Vec<_>>>()?;
        set.add_level(level_name(i, levels.len()), true, policies);
    }
    Ok(set)
}

/// The request the flags describe: a flag left out is a key absent from the request, except
/// `aws:ViaAWSService`, which AWS puts in every request context.
fn request_context(args: &SimulateArgs) -> Result<RequestContext> {
    let signin = args.kind == Kind::Signin;
    let action = requested_action(args);
    let mut ctx = RequestContext::new(action);
    if let Some(p) = args.principal_type {
        ctx = ctx.with("aws:PrincipalType", p.as_str());
    }
    // AWS Sign-In has no aws:ViaAWSService (AWS Sign-In condition-key reference).
    if !signin || args.via_aws_service {
        ctx = ctx.with("aws:ViaAWSService", args.via_aws_service.to_string());
    }
    let generic = [
        ("aws:SourceVpc", &args.source_vpc),
        ("aws:SourceVpce", &args.source_vpce),
        ("aws:RequestedRegion", &args.requested_region),
    ];
    for (k, v) in generic {
        if let Some(v) = v {
            ctx = ctx.with(k, v);
        }
    }
    // The endpoint owner's keys reach only the services AWS lists: a service that does not send
    // them evaluates as if they were absent (see `owner_note`).
    if scpctl_core::networks::populates_owner_keys(action) {
        for (k, v) in owner_flags(args) {
            if let Some(v) = v {
                ctx = ctx.with(k, v);
            }
        }
    }
    for (k, v) in &args.tags {
        ctx = ctx.with(&format!("aws:PrincipalTag/{k}"), v);
    }
    if let Some(ip) = args.source_ip {
        ctx = ctx.with("aws:SourceIp", ip.to_string());
    }
    if let Some(arn) = &args.principal_arn {
        let key = match args.phase {
            Some(SigninPhase::PreAuth) => "signin:PrincipalArn",
            _ => "aws:PrincipalArn",
        };
        ctx = ctx.with(key, arn);
    }
    // A --context key that a flag already set would make the key multivalued (a set of the flag's
    // value and this one) and change the verdict silently: refuse it, naming both.
    let from_flags: Vec<String> = ctx.entries().map(|(k, _)| k.to_lowercase()).collect();
    for (k, v) in &args.context {
        if from_flags.contains(&k.to_lowercase()) {
            return Err(
                crate::problems::Usage(crate::problems::Problems(vec![format!(
                    "--context {}: {k} is already set by {}; give each key once",
                    scpctl_core::origin::excerpt(v),
                    flag_for_key(k)
                )]))
                .into(),
            );
        }
        ctx = ctx.with(k, v);
    }
    if let Some(r) = &args.resource {
        ctx = ctx.with_resource(r);
    }
    Ok(ctx
        .with_management_account(args.management_account)
        .with_service_linked_role(args.service_linked_role))
}

/// `--vpce-org-id` and `--vpce-account` as the request keys they set.
fn owner_flags(args: &SimulateArgs) -> [(&'static str, &Option<String>); 2] {
    [
        ("aws:VpceOrgID", &args.vpce_org_id),
        ("aws:VpceAccount", &args.vpce_account),
    ]
}

/// Why the endpoint owner's keys given were left out of the request: the action's service
/// does not send them (IAM User Guide, `aws:VpceOrgID` availability).
fn owner_note(args: &SimulateArgs, action: &str) -> Option<String> {
    let given: Vec<&str> = owner_flags(args)
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| *k)
        .collect();
    if given.is_empty() || scpctl_core::networks::populates_owner_keys(action) {
        return None;
    }
    let service = action.split(':').next().unwrap_or_default();
    Some(format!(
        "{} left out of the request: {} does not send the endpoint owner's keys (AWS lists {}), so a request \
         through an endpoint counts only by its listed endpoint, VPC or address",
        given.join(" and "),
        scpctl_core::printable::printable(service),
        scpctl_core::networks::owner_services_line()
    ))
}

/// The action the request names (Sign-In's first action when --kind signin keeps the default).
fn requested_action(args: &SimulateArgs) -> &str {
    if args.kind == Kind::Signin && args.action == scpctl_core::scenario::DEFAULT_ACTION {
        scpctl_core::signin::ACTIONS[0]
    } else {
        args.action.as_str()
    }
}

/// The flag of `simulate` that sets a request key, for messages.
fn flag_for_key(key: &str) -> &'static str {
    match key.to_ascii_lowercase().as_str() {
        "aws:principaltype" => "--principal-type",
        "aws:viaawsservice" => "--via-aws-service (present and false in every request without it)",
        "aws:sourceip" => "--source-ip",
        "aws:sourcevpc" => "--source-vpc",
        "aws:sourcevpce" => "--source-vpce",
        "aws:requestedregion" => "--region",
        "aws:vpceorgid" => "--vpce-org-id",
        "aws:vpceaccount" => "--vpce-account",
        "aws:principalarn" | "signin:principalarn" => "--principal-arn",
        k if k.starts_with("aws:principaltag/") => "--tag",
        _ => "another flag",
    }
}

fn request_json(ctx: &RequestContext) -> serde_json::Value {
    let context: serde_json::Map<String, serde_json::Value> = ctx
        .entries()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "action": ctx.action,
        "resource": ctx.resource,
        "management_account": ctx.management_account,
        "service_linked_role": ctx.is_service_linked_role(),
        "context": context,
    })
}

pub fn run(cli: &Cli, args: &SimulateArgs) -> Result<u8> {
    let kind: PolicyKind = crate::commands::base::kinds::policy_kind(args.kind)?;
    if args.online && kind != PolicyKind::Scp {
        return Err(crate::problems::usage(
            "--online asks IAM's policy simulator about SCPs (the organization's levels): use it with --kind scp".into(),
        ));
    }
    if args.scenario && kind == PolicyKind::Signin {
        if !args.policy.is_empty() {
            bail!("--scenario --kind signin evaluates the RCP rendered from the config (both include_root settings); --policy is not used");
        }
        return super::signin::run(cli, &load(&cli.config)?, args.wide);
    }
    if !args.scenario && kind == PolicyKind::Signin && args.phase.is_none() {
        return Err(crate::problems::Usage(crate::problems::Problems(vec![
            "--kind signin needs --phase pre-auth (signin:PrincipalArn) or --phase post-auth (aws:PrincipalArn)".into(),
        ]))
        .into());
    }
    if args.phase.is_some() && kind != PolicyKind::Signin {
        return Err(crate::problems::Usage(crate::problems::Problems(vec![
            "--phase applies to --kind signin only".into(),
        ]))
        .into());
    }
    if args.scenario {
        if args.policy.len() > 1 {
            bail!("--scenario evaluates one policy: give at most one --policy");
        }
        let loaded = load(&cli.config)?;
        let subject = subject(args.policy.first(), Some(&loaded), kind)?;
        return run_scenario(cli, &subject, &loaded, kind, args);
    }
    let ctx = request_context(args)?;
    let owner_note = owner_note(args, requested_action(args));
    if !args.policy.is_empty() || args.policy_dir.is_some() || !args.scp_chain.is_empty() {
        let set = policy_set(args)?;
        readable(set.check_request(&ctx))?;
        let mut decision = set.evaluate(&ctx);
        decision.notes.extend(owner_note);
        let online = ask_online(args, None, &ctx)?;
        match cli.output {
            OutputFormat::Json => print_set_json(&ctx, &decision, online.as_ref())?,
            OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {
                print_set(args, &decision)?;
                if let Some(o) = &online {
                    online::print(o)?;
                }
            }
        }
        return Ok(online_exit(online.as_ref(), exit::SUCCESS));
    }
    // The policy rendered from the config.
    let loaded = load(&cli.config)?;
    let subject = subject(None, Some(&loaded), kind)?;
    let compiled = CompiledPolicy::new(&subject.document, policy_type(args.kind)?)
        .with_context(|| format!("cannot evaluate {}", subject.label))?;
    readable(compiled.check_request(&ctx))?;
    let mut decision = compiled.evaluate(&ctx);
    decision.notes.extend(owner_note);
    let online = ask_online(args, Some((&subject.label, &subject.text)), &ctx)?;
    match cli.output {
        OutputFormat::Json => {
            let mut out = json!({
                "denied": decision.denied,
                "statement": decision.statement,
                "policy": subject.label,
                "request": request_json(&ctx),
                "exemption": decision.exemption,
                "statements": decision.statements,
                "notes": decision.notes,
            });
            if let Some(o) = &online {
                out["online"] = online::to_json(o);
            }
            outln!("{}", serde_json::to_string_pretty(&out)?)?;
        }
        OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {
            print_decision(&subject, args, &decision, kind)?;
            if let Some(o) = &online {
                online::print(o)?;
            }
        }
    }
    Ok(online_exit(online.as_ref(), exit::SUCCESS))
}

/// With `--online`, the request asked of IAM's policy simulator on the same chain.
fn ask_online(
    args: &SimulateArgs,
    rendered: Option<(&str, &str)>,
    ctx: &RequestContext,
) -> Result<Option<Online>> {
    if !args.online {
        return Ok(None);
    }
    let chain = online::chain(args, rendered)?;
    readable(chain.set.check_request(ctx))?;
    block_on(async {
        let sim = online::simulator(args).await;
        online::ask(&sim, &chain, ctx).await
    })?
    .map(Some)
}

/// A difference with AWS (6) beats every other code of `simulate`.
fn online_exit<'a>(online: impl IntoIterator<Item = &'a Online>, otherwise: u8) -> u8 {
    if online.into_iter().any(Online::is_difference) {
        exit::AWS_DIFFERENCE
    } else {
        otherwise
    }
}

fn print_set_json(ctx: &RequestContext, d: &SetDecision, online: Option<&Online>) -> Result<()> {
    let (policy, statement) = match &d.denial {
        Some(scpctl_core::eval::Denial::Explicit {
            policy, statement, ..
        }) => (Some(policy.as_str()), Some(statement.as_str())),
        _ => (None, None),
    };
    let mut out = json!({
        "denied": d.denied,
        "denial": d.denial,
        "policy": policy,
        "statement": statement,
        "request": request_json(ctx),
        "policies": d.policies,
        "notes": d.notes,
    });
    if let Some(o) = online {
        out["online"] = online::to_json(o);
    }
    outln!("{}", serde_json::to_string_pretty(&out)?)?;
    Ok(())
}

fn print_set(args: &SimulateArgs, d: &SetDecision) -> std::io::Result<()> {
    match &d.denial {
        Some(scpctl_core::eval::Denial::Explicit {
            policy, statement, ..
        }) => outln!("DENIED by {statement} in {policy}"),
        Some(denial) => outln!("DENIED: {denial}"),
        None => outln!("NOT DENIED"),
    }?;
    outln!("request: {}", describe(args))?;
    for p in &d.policies {
        let verdict = match (&p.decision.exemption, &p.decision.statement) {
            (Some(rule), _) => format!("does not apply: {rule}"),
            (None, Some(sid)) => format!("DENIED by {sid}"),
            (None, None) if p.decision.allowed => "allows".into(),
            (None, None) => "no statement allows or denies".into(),
        };
        let level = if p.level == "policies" {
            String::new()
        } else {
            format!(" [level {}]", p.level)
        };
        outln!("{}{level}: {verdict}", p.policy)?;
        print_statements(&p.decision.statements, &args.action)?;
    }
    for n in &d.notes {
        outln!("note: {n}")?;
    }
    if !d.denied {
        outln!("This only says these policies do not deny the request; an Allow from the caller's IAM policies is still needed.")?;
    }
    Ok(())
}

fn describe(args: &SimulateArgs) -> String {
    let mut parts = vec![match args.principal_type {
        Some(p) => format!("principal type {}", p.as_str()),
        None => "no aws:PrincipalType".into(),
    }];
    if let Some(arn) = &args.principal_arn {
        parts.push(format!("principal {arn}"));
    }
    if args.tags.is_empty() {
        parts.push("no principal tags".into());
    }
    for (k, v) in &args.tags {
        parts.push(format!("tag {k}={v}"));
    }
    parts.push(match args.source_ip {
        Some(ip) => format!("aws:SourceIp {ip}"),
        None => "no aws:SourceIp (as through a VPC endpoint)".into(),
    });
    for (k, v) in [
        ("aws:SourceVpc", &args.source_vpc),
        ("aws:SourceVpce", &args.source_vpce),
        ("aws:VpceOrgID", &args.vpce_org_id),
        ("aws:VpceAccount", &args.vpce_account),
        ("aws:RequestedRegion", &args.requested_region),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k} {v}"));
        }
    }
    match args.phase {
        Some(SigninPhase::PreAuth) => parts.push("Sign-In pre-auth (signin:PrincipalArn)".into()),
        Some(SigninPhase::PostAuth) => parts.push("Sign-In post-auth (aws:PrincipalArn)".into()),
        None => parts.push(format!("aws:ViaAWSService {}", args.via_aws_service)),
    }
    for (k, v) in &args.context {
        parts.push(format!("{k}={v}"));
    }
    parts.push(format!("action {}", requested_action(args)));
    parts.push(match &args.resource {
        Some(r) => format!("resource {r}"),
        None => "resource *".into(),
    });
    if args.management_account {
        parts.push("in the management account".into());
    }
    if args.service_linked_role {
        parts.push("a service-linked role".into());
    }
    parts.join(", ")
}

fn print_statements(statements: &[StatementTrace], action: &str) -> std::io::Result<()> {
    for s in statements {
        let verdict = if s.applies {
            "applies"
        } else {
            "does not apply"
        };
        outln!("  {} ({}): {verdict}", s.statement, s.effect)?;
        if !s.action_matched {
            outln!("    [no match] action {action} is not covered by the statement")?;
        }
        if !s.resource_matched {
            outln!("    [no match] the resource is not covered by the statement")?;
        }
        for c in &s.conditions {
            let request_values = match &c.request_values {
                Some(v) => v.join(", "),
                None => "absent".into(),
            };
            outln!(
                "    [{}] {} {} {:?} (request: {request_values}): {}",
                if c.matched { "match" } else { "no match" },
                c.operator,
                c.key,
                c.policy_values,
                c.reason
            )?;
        }
    }
    Ok(())
}

fn print_decision(
    subject: &Subject,
    args: &SimulateArgs,
    d: &Decision,
    kind: PolicyKind,
) -> std::io::Result<()> {
    match &d.statement {
        Some(sid) => outln!("DENIED by {sid}"),
        None => outln!("NOT DENIED"),
    }?;
    if let Some(rule) = &d.exemption {
        outln!("rule:    {rule}")?;
    }
    outln!("policy:  {}", subject.label)?;
    outln!("request: {}", describe(args))?;
    print_statements(&d.statements, &args.action)?;
    for n in &d.notes {
        outln!("note: {n}")?;
    }
    if d.statement.is_none() {
        match kind {
            PolicyKind::Signin if subject.rendered => outln!(
                "An RCP never grants access: sign-in still needs the principal's credentials (and decides only once console \
                 authorization is enabled)."
            ),
            PolicyKind::Scp if subject.rendered => outln!(
                "An SCP never grants access: the request still needs an Allow from the caller's IAM policies \
                 (and from FullAWSAccess or another Allow SCP)."
            ),
            _ => outln!("This only says the policy does not deny the request; other policies must still allow it."),
        }?;
    }
    Ok(())
}

fn run_scenario(
    cli: &Cli,
    subject: &Subject,
    loaded: &Loaded,
    kind: PolicyKind,
    args: &SimulateArgs,
) -> Result<u8> {
    let wide = args.wide;
    let cases = scenario(
        kind,
        &loaded.config.policy.exception_tag,
        &loaded.cidrs.set,
        &loaded.config.network.opt_ins,
    );
    let policy_type = match kind {
        PolicyKind::Scp => PolicyType::Scp,
        PolicyKind::Identity => PolicyType::Identity,
        PolicyKind::Signin => PolicyType::Rcp,
    };
    let compiled = CompiledPolicy::new(&subject.document, policy_type)
        .with_context(|| format!("cannot evaluate {}", subject.label))?;
    let mut rows = Vec::new();
    for case in &cases {
        let d = compiled.evaluate(&case.request.context());
        let agrees = d.denied == case.expected.is_some()
            && (!subject.rendered || d.statement.as_deref() == case.expected.as_deref());
        rows.push((case, d, agrees));
    }
    let disagreements = rows.iter().filter(|(_, _, ok)| !ok).count();
    // --online: one call per row, the subject beside FullAWSAccess on one level.
    let mut aws: Vec<Online> = Vec::new();
    if args.online {
        let chain = online::chain(args, Some((&subject.label, &subject.text)))?;
        aws = block_on(async {
            let sim = online::simulator(args).await;
            let mut out = Vec::new();
            for case in &cases {
                out.push(online::ask(&sim, &chain, &case.request.context()).await?);
            }
            anyhow::Ok(out)
        })??;
    }
    match cli.output {
        OutputFormat::Json => {
            let out: Vec<_> = rows
                .iter()
                .enumerate()
                .map(|(i, (c, d, ok))| {
                    let mut row = json!({
                        "source": c.source,
                        "request": c.title,
                        "expected_denied": c.expected.is_some(),
                        "expected_statement": c.expected,
                        "denied": d.denied,
                        "statement": d.statement,
                        "agrees": ok,
                    });
                    if let Some(o) = aws.get(i) {
                        row["online"] = online::to_json(o);
                    }
                    row
                })
                .collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&json!({"policy": subject.label, "rows": out}))?
            )?;
        }
        OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {
            outln!(
                "{}: the AWS guide's test scenario (§4.6) and aws:SourceIp pitfalls",
                subject.label
            )?;
            let table: Vec<[String; 4]> = rows
                .iter()
                .map(|(c, d, ok)| {
                    [
                        c.source.to_string(),
                        c.title.clone(),
                        decision_text(c.expected.is_some(), c.expected.as_deref()),
                        format!(
                            "{}{}",
                            decision_text(d.denied, d.statement.as_deref()),
                            if *ok { "" } else { "   <-- differs" }
                        ),
                    ]
                })
                .collect();
            let header = [
                "SOURCE".to_string(),
                "REQUEST".into(),
                "GUIDE EXPECTS".into(),
                "POLICY GIVES".into(),
            ];
            if aws.is_empty() {
                print_table(&header, &table, wide)?;
            } else {
                let [a, b, c, d] = header;
                let header = [a, b, c, d, "AWS GIVES".to_string()];
                let table: Vec<[String; 5]> = table
                    .into_iter()
                    .zip(&aws)
                    .map(|([a, b, c, d], o)| [a, b, c, d, o.cell()])
                    .collect();
                print_table(&header, &table, wide)?;
            }
            agreement_line(rows.len(), disagreements, "agree with the guide.")?;
            if !aws.is_empty() {
                let differences = aws.iter().filter(|o| o.is_difference()).count();
                let compared = aws
                    .iter()
                    .filter(|o| !matches!(o, Online::NotCompared(_)))
                    .count();
                outln!(
                    "AWS's policy simulator: {compared} row(s) compared ({} not: SCPs do not apply), {differences} difference(s){}",
                    aws.len() - compared,
                    if differences > 0 { "   *** DIFFERENCE ***" } else { "" }
                )?;
            }
        }
    }
    Ok(online_exit(&aws, scenario_exit(disagreements)))
}
