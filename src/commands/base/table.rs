//! The scenario tables of `simulate` (SCP and sign-in) through one printer, and the size budget
//! line of `render` and `validate`.

/// The width a table may take unless `--wide` is given.
pub const TABLE_WIDTH: usize = 100;

/// Print a table of `N` columns (what, request, expected, given, and for `simulate --online`
/// AWS's answer), padded to the widest cell, the header first. A table wider than
/// [`TABLE_WIDTH`] is printed as one block per row, the request wrapped, unless `wide`.
pub fn print_table<const N: usize>(
    header: &[String; N],
    table: &[[String; N]],
    wide: bool,
) -> std::io::Result<()> {
    let widths: Vec<usize> = (0..N)
        .map(|i| {
            table
                .iter()
                .chain([header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let total = widths.iter().sum::<usize>() + 2 * (widths.len().saturating_sub(1));
    if wide || total <= TABLE_WIDTH {
        for row in std::iter::once(header).chain(table) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            outln!("{}", cells.join("  ").trim_end())?;
        }
        return Ok(());
    }
    let label = |h: &str| {
        let mut l = h.to_lowercase();
        l.push(':');
        l
    };
    let labels: Vec<String> = header.iter().skip(2).map(|h| label(h)).collect();
    let pad = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    for row in table {
        let (Some(what), Some(request)) = (row.first(), row.get(1)) else {
            continue;
        };
        for (i, line) in wrap(&format!("{what}: {request}"), TABLE_WIDTH, 4)
            .iter()
            .enumerate()
        {
            outln!("{}{line}", if i == 0 { "" } else { "    " })?;
        }
        for (l, cell) in labels.iter().zip(row.iter().skip(2)) {
            outln!("  {l:<pad$} {cell}")?;
        }
    }
    Ok(())
}

/// `text` cut at spaces into lines of at most `width` characters, the lines after the first
/// `indent` characters narrower (a word longer than a line stays whole).
fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let room = if lines.is_empty() {
            width
        } else {
            width - indent
        };
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// `1234 of 5,120 characters (24%)`
pub fn budget(chars: usize, limit: usize) -> String {
    let with_commas = |n: usize| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    format!(
        "{} of {} characters ({}%)",
        with_commas(chars),
        with_commas(limit),
        chars * 100 / limit.max(1)
    )
}

/// A scenario's decision as the tables print it.
pub fn decision_text(denied: bool, statement: Option<&str>) -> String {
    match (denied, statement) {
        (true, Some(s)) => format!("DENIED by {s}"),
        (true, None) => "DENIED".into(),
        (false, _) => "NOT DENIED".into(),
    }
}

/// A scenario table's last line: `N of M rows agree...`.
pub fn agreement_line(rows: usize, disagreements: usize, agree: &str) -> std::io::Result<()> {
    outln!("{} of {rows} rows {agree}", rows - disagreements)
}

/// A scenario's exit code: 3 when a row differs from what is expected.
pub fn scenario_exit(disagreements: usize) -> u8 {
    if disagreements == 0 {
        crate::exit::SUCCESS
    } else {
        crate::exit::SCENARIO_MISMATCH
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_keeps_every_word_within_the_width() {
        let text = "IAM user tagged AccessException=True calling through a VPC endpoint of a listed VPC in a Region it is not pinned to (no aws:SourceIp)";
        let lines = super::wrap(text, 40, 4);
        assert!(lines.len() > 2);
        assert!(lines[0].chars().count() <= 40);
        assert!(lines[1..].iter().all(|l| l.chars().count() <= 36));
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn budget_formats_with_thousands_separators() {
        assert_eq!(super::budget(517, 5120), "517 of 5,120 characters (10%)");
        assert_eq!(
            super::budget(6144, 6144),
            "6,144 of 6,144 characters (100%)"
        );
    }
}
