//! `simulate --scenario --kind signin`: the console rows (inside, outside, break-glass, a
//! role, the root user under both `include_root` settings), each evaluated in both Sign-In
//! phases against the RCP rendered from the config.

use anyhow::{Context, Result};
use scpctl_core::eval::{CompiledPolicy, PolicyType};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::render::{render, Layout, PolicyKind};
use scpctl_core::signin::{request, scenario};
use serde_json::json;

use crate::cli::{Cli, OutputFormat};
use crate::commands::base::table::{agreement_line, decision_text, print_table, scenario_exit};
use crate::load::Loaded;

pub fn run(cli: &Cli, loaded: &Loaded, wide: bool) -> Result<u8> {
    let mut config = loaded.config.clone();
    let mut policies = Vec::new();
    let mut name = String::new();
    for include_root in [false, true] {
        config.console.include_root = include_root;
        let r = render(
            &config,
            &loaded.cidrs.set,
            PolicyKind::Signin,
            Layout::Single,
        )?;
        let doc = PolicyDocument::from_json(&r[0].compact)
            .context("internal: rendered policy does not parse")?;
        policies.push(CompiledPolicy::new(&doc, PolicyType::Rcp)?);
        name = r[0].name.clone();
    }
    let cases = scenario(&loaded.config, &loaded.cidrs.set);
    if loaded.config.break_glass.principals.is_empty() {
        errln!("note: [break_glass] principals is empty: the scenario has no break-glass rows")?;
    }
    let mut rows = Vec::new();
    for c in &cases {
        let p = &policies[usize::from(c.include_root)];
        let d = p.evaluate(&request(
            c.action,
            c.phase,
            c.principal_arn.as_deref(),
            &c.origin,
        ));
        let agrees = d.statement.as_deref() == c.expected;
        rows.push((c, d, agrees));
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
                        "phase": c.phase.name(),
                        "principal_arn": c.principal_arn,
                        "include_root": c.include_root,
                        "expected_denied": c.expected.is_some(),
                        "expected_statement": c.expected,
                        "denied": d.denied,
                        "statement": d.statement,
                        "agrees": ok,
                    })
                })
                .collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&json!({"policy": name, "rows": out}))?
            )?;
        }
        OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {
            outln!("Console sign-in scenario for {name} (Sign-In actions, both phases):")?;
            let header = [
                "SOURCE".to_string(),
                "REQUEST".into(),
                "EXPECTED".into(),
                "POLICY GIVES".into(),
            ];
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
            print_table(&header, &table, wide)?;
            agreement_line(rows.len(), disagreements, "agree.")?;
        }
    }
    Ok(scenario_exit(disagreements))
}
