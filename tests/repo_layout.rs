//! The layout's rules, read from the code's own paths (`crate::`, `super::`, `self::`): no two
//! files of a crate import each other, no command imports another command (what two commands
//! share lives in `commands/base`), and `commands/mod.rs` only dispatches.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates' source roots, with their root file.
const ROOTS: [(&str, &str); 3] = [
    ("src", "main.rs"),
    ("crates/scpctl-core/src", "lib.rs"),
    ("crates/faultproxy/src", "lib.rs"),
];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's module path: a folder's mod file is the folder's module, the root file the crate root.
fn module_of(root: &Path, root_file: &str, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().to_string())
        .collect();
    let last = parts.pop().unwrap();
    if last != "mod.rs" && last != root_file {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    parts
}

/// `use a::{b, c::{d, self}}` -> a::b, a::c::d, a::c.
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.trim_end_matches("::self").to_string()];
    };
    let prefix = &path[..open];
    let inner = &path[open + 1..path.rfind('}').unwrap_or(path.len())];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .flat_map(|i| {
            let i = i.split(" as ").next().unwrap_or(i);
            if i == "self" {
                vec![prefix.trim_end_matches("::").to_string()]
            } else {
                expand(&format!("{prefix}{i}"))
            }
        })
        .collect()
}

/// Every path starting `crate::`, `super::` or `self::` in `code`, with the depth of inline
/// modules (`mod tests {`) it sits in.
fn paths(code: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut statement = String::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let trimmed = line.trim_start();
        if trimmed.starts_with("mod ") && trimmed.trim_end().ends_with('{') {
            depth += 1;
        }
        // `use` statements may span lines and hold braces: read them whole.
        if !statement.is_empty() || trimmed.starts_with("use ") || trimmed.starts_with("pub use ") {
            statement.push_str(trimmed);
            if trimmed.trim_end().ends_with(';') {
                let body = statement
                    .trim_start_matches("pub ")
                    .trim_start_matches("use ")
                    .trim_end_matches(';');
                out.extend(expand(body).into_iter().map(|p| (p, depth)));
                statement.clear();
            }
            continue;
        }
        let bytes: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < bytes.len() {
            let rest: String = bytes[i..].iter().collect();
            let boundary = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
            let starts = ["crate::", "super::", "self::"]
                .iter()
                .any(|p| rest.starts_with(p));
            if boundary && starts {
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                i += path.chars().count();
                out.push((path.trim_end_matches(':').to_string(), depth));
            } else {
                i += 1;
            }
        }
    }
    out
}

/// The module file a path lands in, from module `here` (inside `depth` inline modules).
fn resolve(
    here: &[String],
    depth: usize,
    path: &str,
    known: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let mut parts = path.split("::").filter(|p| !p.is_empty());
    let mut at: Vec<String> = here.to_vec();
    // Inside `mod tests {`, `super` is the file's own module.
    let mut inline = depth;
    match parts.next()? {
        "crate" => at.clear(),
        "self" => {}
        "super" => {
            if inline > 0 {
                inline -= 1;
            } else {
                at.pop()?;
            }
        }
        _ => return None,
    }
    for p in parts {
        if p == "super" {
            if inline > 0 {
                inline -= 1;
            } else {
                at.pop()?;
            }
            continue;
        }
        at.push(p.to_string());
    }
    while !known.contains(&at) {
        at.pop()?;
    }
    Some(at)
}

/// Module -> (its file, the modules it imports).
type Graph = BTreeMap<Vec<String>, (PathBuf, BTreeSet<Vec<String>>)>;

/// One graph per crate.
fn graphs() -> Vec<Graph> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    ROOTS
        .iter()
        .map(|(dir, root_file)| {
            let root = repo.join(dir);
            let mut files = Vec::new();
            rs_files(&root, &mut files);
            let modules: Vec<(Vec<String>, PathBuf)> = files
                .into_iter()
                .map(|f| (module_of(&root, root_file, &f), f))
                .collect();
            let known: BTreeSet<Vec<String>> = modules.iter().map(|(m, _)| m.clone()).collect();
            modules
                .into_iter()
                .map(|(m, file)| {
                    let code = std::fs::read_to_string(&file).unwrap();
                    let edges = paths(&code)
                        .iter()
                        .filter_map(|(p, depth)| resolve(&m, *depth, p, &known))
                        .filter(|t| *t != m)
                        .collect();
                    (m, (file, edges))
                })
                .collect()
        })
        .collect()
}

#[test]
fn no_two_files_import_each_other() {
    let mut circles = Vec::new();
    for graph in graphs() {
        for (m, (file, edges)) in &graph {
            for t in edges {
                if t > m && graph.get(t).is_some_and(|(_, back)| back.contains(m)) {
                    circles.push(format!("{} <-> {}", file.display(), graph[t].0.display()));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "files importing each other:\n{circles:#?}"
    );
}

#[test]
fn no_command_imports_another_command() {
    let graph = graphs().remove(0);
    let capability = |m: &[String]| -> Option<String> {
        (m.len() >= 2 && m[0] == "commands").then(|| m[1].clone())
    };
    let mut crossings = Vec::new();
    for (m, (file, edges)) in &graph {
        let Some(mine) = capability(m) else { continue };
        for t in edges {
            let theirs = capability(t);
            let allowed = match theirs.as_deref() {
                // `commands/mod.rs` dispatches; nothing below it leans on it.
                None => t.first().is_none_or(|f| f != "commands"),
                Some("base") => true,
                Some(other) => other == mine,
            };
            // The base serves every command and leans on none.
            let allowed =
                allowed && !(mine == "base" && theirs.as_deref().is_some_and(|o| o != "base"));
            if !allowed {
                crossings.push(format!("{} -> {}", file.display(), t.join("::")));
            }
        }
    }
    assert!(
        crossings.is_empty(),
        "a command imports another:\n{crossings:#?}"
    );
    // The checker itself sees the imports it judges: a capability reaches the base.
    let impact = graph
        .iter()
        .find(|(m, _)| m.as_slice() == ["commands", "impact", "local"])
        .expect("commands/impact/local.rs");
    assert!(impact
        .1
         .1
        .iter()
        .any(|t| t.get(1).is_some_and(|c| c == "base")));
}

#[test]
fn the_commands_front_page_only_dispatches() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(repo.join("src/commands/mod.rs")).unwrap();
    let functions: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("pub fn ") || l.trim_start().starts_with("fn "))
        .collect();
    assert_eq!(functions, ["pub fn run(cli: &Cli) -> Result<u8> {"]);
}

#[test]
fn the_reader_expands_use_groups() {
    assert_eq!(
        expand("crate::a::{b, c::{d, self}, e as f}"),
        [
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c",
            "crate::a::e"
        ]
    );
}
