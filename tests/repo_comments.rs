//! Comments point at files that exist in the repository: a path in a comment that names no
//! file here (a moved file, a document kept outside the repository) misleads the reader.

use std::path::{Path, PathBuf};

const EXTENSIONS: [&str; 9] = ["rs", "py", "sh", "md", "json", "toml", "txt", "yml", "yaml"];

/// Names of the user's own files, given as examples (a config, a CIDR list, an output).
const USER_FILES: [&str; 4] = ["scpctl.toml", "egress.txt", "egress-ranges.txt", "scp.json"];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The comment part of a line, if any.
fn comment<'a>(line: &'a str, ext: &str) -> Option<&'a str> {
    let hash = matches!(ext, "py" | "sh" | "toml" | "yml" | "yaml");
    let marker = if hash { "#" } else { "//" };
    line.find(marker).map(|i| &line[i + marker.len()..])
}

fn path_like(token: &str) -> bool {
    let ok_chars = token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c));
    ok_chars
        && !token.starts_with('.')
        && token
            .rsplit_once('.')
            .is_some_and(|(stem, ext)| !stem.is_empty() && EXTENSIONS.contains(&ext))
}

#[test]
fn paths_in_comments_name_files_of_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(root, &mut files);
    let relative: Vec<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let mut missing = Vec::new();
    for (file, rel) in files.iter().zip(&relative) {
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !["rs", "py", "sh", "toml", "yml", "yaml"].contains(&ext) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let Some(c) = comment(line, ext) else {
                continue;
            };
            for token in c.split(|ch: char| ch.is_whitespace() || "()[]{}`'\",;:<>*".contains(ch)) {
                let token = token.trim_end_matches('.').trim_start_matches("./");
                if !path_like(token) || USER_FILES.contains(&token) {
                    continue;
                }
                let found = relative
                    .iter()
                    .any(|r| r == token || r.ends_with(&format!("/{token}")));
                if !found {
                    missing.push(format!("{rel}:{}: {token}", n + 1));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "comments name files that do not exist: {missing:#?}"
    );
}
