//! `scpctl simulate`: evaluate the policy for one request, or the guide's scenario as a table.

use anyhow::{Context, Result};
use scpctl_core::eval::{evaluate, Decision};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::render::{render, Layout, PolicyKind};
use scpctl_core::scenario::{scenario, RequestSpec};
use serde_json::json;

use crate::cli::{Cli, OutputFormat, SimulateArgs};
use crate::exit;
use crate::load::{load, read_text, Loaded};

/// The policy under test and what to call it.
struct Subject {
    label: String,
    document: PolicyDocument,
    /// Rendered by scpctl from the config (then Sids are compared too, not just the decision).
    rendered: bool,
}

fn subject(args: &SimulateArgs, loaded: Option<&Loaded>, kind: PolicyKind) -> Result<Subject> {
    if let Some(path) = &args.policy {
        let text = read_text(path, "policy file")?;
        let document = PolicyDocument::from_json(&text)
            .with_context(|| format!("{}: not a policy document", path.display()))?;
        return Ok(Subject {
            label: path.display().to_string(),
            document,
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
        rendered: true,
    })
}

pub fn run(cli: &Cli, args: &SimulateArgs) -> Result<u8> {
    let kind: PolicyKind = args.kind.into();
    // The config is needed to render the policy, and for the scenario's tag and addresses.
    let loaded = if args.policy.is_none() || args.scenario {
        Some(load(&cli.config)?)
    } else {
        None
    };
    let subject = subject(args, loaded.as_ref(), kind)?;
    if args.scenario {
        let loaded = loaded
            .as_ref()
            .context("internal: scenario without config")?;
        return run_scenario(cli, &subject, loaded, kind);
    }
    let request = RequestSpec {
        principal_type: args
            .principal_type
            .map(|p| p.as_str().to_string())
            .context("--principal-type is required")?,
        tags: args.tags.clone(),
        source_ip: args.source_ip,
        via_aws_service: args.via_aws_service,
        action: args.action.clone(),
        extra: args.context.clone(),
    };
    let ctx = request.context();
    let decision = evaluate(&subject.document, &ctx)
        .with_context(|| format!("cannot evaluate {}", subject.label))?;
    match cli.output {
        OutputFormat::Json => {
            let context: serde_json::Map<String, serde_json::Value> = ctx
                .entries()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            let out = json!({
                "denied": decision.denied,
                "statement": decision.statement,
                "policy": subject.label,
                "request": {"action": ctx.action, "context": context},
                "statements": decision.statements,
                "notes": decision.notes,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        OutputFormat::Text | OutputFormat::Jsonl => {
            print_decision(&subject, &request, &decision, kind)
        }
    }
    Ok(exit::SUCCESS)
}

fn describe(r: &RequestSpec) -> String {
    let mut parts = vec![format!("principal type {}", r.principal_type)];
    if r.tags.is_empty() {
        parts.push("no principal tags".into());
    }
    for (k, v) in &r.tags {
        parts.push(format!("tag {k}={v}"));
    }
    parts.push(match r.source_ip {
        Some(ip) => format!("aws:SourceIp {ip}"),
        None => "no aws:SourceIp (as through a VPC endpoint)".into(),
    });
    parts.push(format!("aws:ViaAWSService {}", r.via_aws_service));
    for (k, v) in &r.extra {
        parts.push(format!("{k}={v}"));
    }
    parts.push(format!("action {}", r.action));
    parts.join(", ")
}

fn print_decision(subject: &Subject, request: &RequestSpec, d: &Decision, kind: PolicyKind) {
    match &d.statement {
        Some(sid) => println!("DENIED by {sid}"),
        None => println!("NOT DENIED"),
    }
    println!("policy:  {}", subject.label);
    println!("request: {}", describe(request));
    for s in &d.statements {
        let verdict = if s.applies {
            "applies"
        } else {
            "does not apply"
        };
        println!("  {} ({}): {verdict}", s.statement, s.effect);
        if !s.action_matched {
            println!(
                "    [no match] action {} is not covered by the statement",
                request.action
            );
        }
        for c in &s.conditions {
            let request_values = match &c.request_values {
                Some(v) => v.join(", "),
                None => "absent".into(),
            };
            println!(
                "    [{}] {} {} {:?} (request: {request_values}): {}",
                if c.matched { "match" } else { "no match" },
                c.operator,
                c.key,
                c.policy_values,
                c.reason
            );
        }
    }
    for n in &d.notes {
        println!("note: {n}");
    }
    if d.statement.is_none() {
        match kind {
            PolicyKind::Scp if subject.rendered => println!(
                "An SCP never grants access: the request still needs an Allow from the caller's IAM policies \
                 (and from FullAWSAccess or another Allow SCP)."
            ),
            _ => println!("This only says the policy does not deny the request; other policies must still allow it."),
        }
    }
}

fn decision_text(denied: bool, statement: Option<&str>) -> String {
    match (denied, statement) {
        (true, Some(s)) => format!("DENIED by {s}"),
        (true, None) => "DENIED".into(),
        (false, _) => "NOT DENIED".into(),
    }
}

fn run_scenario(cli: &Cli, subject: &Subject, loaded: &Loaded, kind: PolicyKind) -> Result<u8> {
    let cases = scenario(kind, &loaded.config.policy.exception_tag, &loaded.cidrs.set);
    let mut rows = Vec::new();
    for case in &cases {
        let d = evaluate(&subject.document, &case.request.context())
            .with_context(|| format!("cannot evaluate {}", subject.label))?;
        let agrees = d.denied == case.expected.is_some()
            && (!subject.rendered || d.statement.as_deref() == case.expected);
        rows.push((case, d, agrees));
    }
    let disagreements = rows.iter().filter(|(_, _, ok)| !ok).count();
    match cli.output {
        OutputFormat::Json => {
            let out: Vec<_> = rows
                .iter()
                .map(|(c, d, ok)| {
                    json!({
                        "source": c.source,
                        "request": c.title,
                        "expected_denied": c.expected.is_some(),
                        "expected_statement": c.expected,
                        "denied": d.denied,
                        "statement": d.statement,
                        "agrees": ok,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"policy": subject.label, "rows": out}))?
            );
        }
        OutputFormat::Text | OutputFormat::Jsonl => {
            println!(
                "Guide scenario (seed 003 §4.6 and pitfalls) for {}:",
                subject.label
            );
            let table: Vec<[String; 4]> = rows
                .iter()
                .map(|(c, d, ok)| {
                    [
                        c.source.to_string(),
                        c.title.clone(),
                        decision_text(c.expected.is_some(), c.expected),
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
            let widths: Vec<usize> = (0..4)
                .map(|i| {
                    table
                        .iter()
                        .chain([&header])
                        .map(|r| r[i].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for row in std::iter::once(&header).chain(&table) {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect();
                println!("{}", cells.join("  ").trim_end());
            }
            println!(
                "{} of {} rows agree with the guide.",
                rows.len() - disagreements,
                rows.len()
            );
        }
    }
    Ok(if disagreements == 0 {
        exit::SUCCESS
    } else {
        exit::SCENARIO_MISMATCH
    })
}
