//! Policy variables in condition values and `Resource`, and the pattern tokens both resolve to.
//!
//! [VARS] IAM User Guide, "IAM policy elements: Variables and tags":
//! - `${key}` is replaced by the request's value of the key (key names compare case-insensitively);
//!   a multivalued key cannot be used as a variable.
//! - `${*}`, `${?}` and `${$}` stand for the literal characters `*`, `?` and `$` (not wildcards).
//! - `${key, 'default'}`: the default is used when the key has no value; `''` inside the quotes is
//!   one quote, spaces around the key and the quotes are ignored.
//! - "Policy variables with no value": a variable that resolves to nothing makes the value match
//!   nothing (so a positive operator does not match and a negated one does), and a `Resource`
//!   holding it matches no resource.
//! - [VERSION] "IAM JSON policy elements: Version": variables are substituted only with
//!   `"Version": "2012-10-17"`; under 2008-10-17 `${...}` is literal text.

use super::RequestContext;

/// One token of a resolved pattern: a literal character or a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Lit(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Policy text: `*` and `?` in it are wildcards.
    Text(String),
    /// `${*}`, `${?}`, `${$}`: a literal character.
    Escaped(char),
    Var {
        /// Lower-cased key name.
        key: String,
        default: Option<String>,
    },
}

/// A policy value as written, ready to resolve against a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

fn text_tokens(text: &str, out: &mut Vec<Tok>) {
    out.extend(text.chars().map(|c| match c {
        '*' => Tok::Star,
        '?' => Tok::One,
        c => Tok::Lit(c),
    }));
}

impl Template {
    /// Parse `value`; with `variables` false (Version 2008-10-17, or an operator that takes no
    /// variables) the whole value is text. A malformed variable is an error naming it.
    pub(crate) fn parse(value: &str, variables: bool) -> Result<Template, String> {
        if !variables || !value.contains("${") {
            return Ok(Template {
                parts: vec![Part::Text(value.to_string())],
            });
        }
        let mut parts = Vec::new();
        let mut rest = value;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let (part, after) = parse_variable(&rest[start + 2..])
                .map_err(|why| format!("policy variable in {value:?}: {why}"))?;
            parts.push(part);
            rest = after;
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// The lower-cased keys its variables read.
    pub(crate) fn var_keys<'s>(&'s self) -> impl Iterator<Item = &'s str> + 's {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// [RESOURCE]/[VARS] "You can't use a variable to replace parts of the ARN before the fifth
    /// colon, such as the service or account": whether a variable comes before the fifth colon
    /// of the text written around it.
    pub(crate) fn variable_before_fifth_colon(&self) -> bool {
        let mut colons = 0;
        for part in &self.parts {
            match part {
                Part::Text(t) => colons += t.matches(':').count(),
                Part::Escaped(_) => {}
                Part::Var { .. } if colons < 5 => return true,
                Part::Var { .. } => {}
            }
        }
        false
    }

    /// The text for this request, wildcards as their characters (for operators that read the
    /// substituted value as a typed value, such as Bool); `None` as [`Template::resolve`].
    pub(crate) fn resolve_text(&self, ctx: &RequestContext) -> Option<String> {
        self.resolve(ctx).map(|toks| {
            toks.iter()
                .map(|t| match t {
                    Tok::Lit(c) => *c,
                    Tok::Star => '*',
                    Tok::One => '?',
                })
                .collect()
        })
    }

    pub(crate) fn has_variables(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Var { .. }))
    }

    /// The tokens when the value holds no variable (resolved once, when compiling).
    pub(crate) fn fixed(&self) -> Option<Vec<Tok>> {
        if self.has_variables() {
            return None;
        }
        Some(self.tokens(|_| None).unwrap_or_default())
    }

    /// The tokens for this request; `None` when a variable has no value and no default.
    pub(crate) fn resolve(&self, ctx: &RequestContext) -> Option<Vec<Tok>> {
        self.tokens(|key| match ctx.get_lower(key) {
            Some([one]) => Some(one.as_str()),
            // [VARS] multivalued keys cannot be variables; an empty set is no value.
            _ => None,
        })
    }

    fn tokens<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> Option<Vec<Tok>> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => text_tokens(t, &mut out),
                Part::Escaped(c) => out.push(Tok::Lit(*c)),
                Part::Var { key, default } => {
                    // Substituted text is literal: IAM substitutes once, it does not re-read
                    // the value as a pattern.
                    let value = lookup(key).or(default.as_deref())?;
                    out.extend(value.chars().map(Tok::Lit));
                }
            }
        }
        Some(out)
    }
}

/// After `${`: the variable up to its `}`, and the text after it.
fn parse_variable(s: &str) -> Result<(Part, &str), String> {
    let end_key = s
        .find(['}', ','])
        .ok_or_else(|| "no closing }".to_string())?;
    let key = s[..end_key].trim();
    if key.is_empty() {
        return Err("empty variable name".into());
    }
    if key.contains(char::is_whitespace) {
        return Err(format!("variable name {key:?} has a space"));
    }
    let escaped = match key {
        "*" => Some('*'),
        "?" => Some('?'),
        "$" => Some('$'),
        _ => None,
    };
    if s[end_key..].starts_with('}') {
        let part = match escaped {
            Some(c) => Part::Escaped(c),
            None => Part::Var {
                key: key.to_lowercase(),
                default: None,
            },
        };
        return Ok((part, &s[end_key + 1..]));
    }
    if escaped.is_some() {
        return Err(format!("${{{key}}} takes no default value"));
    }
    // `, 'default'}`
    let after_comma = s[end_key + 1..].trim_start();
    let quoted = after_comma
        .strip_prefix('\'')
        .ok_or_else(|| "a default value must be in single quotes: ${key, 'default'}".to_string())?;
    let mut default = String::new();
    let mut chars = quoted.char_indices().peekable();
    let mut close = None;
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if matches!(chars.peek(), Some((_, '\''))) {
                default.push('\'');
                chars.next();
                continue;
            }
            close = Some(i);
            break;
        }
        default.push(c);
    }
    let close = close.ok_or_else(|| "the default value's quote is not closed".to_string())?;
    let tail = quoted[close + 1..].trim_start();
    let rest = tail
        .strip_prefix('}')
        .ok_or_else(|| "no closing } after the default value".to_string())?;
    Ok((
        Part::Var {
            key: key.to_lowercase(),
            default: Some(default),
        },
        rest,
    ))
}

/// Tokens back to text, wildcards as their characters.
pub(crate) fn tokens_text(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| match t {
            Tok::Lit(c) => *c,
            Tok::Star => '*',
            Tok::One => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(value: &str, ctx: &RequestContext) -> Option<String> {
        Template::parse(value, true)
            .unwrap()
            .resolve(ctx)
            .map(|t| tokens_text(&t))
    }

    // [VARS] "Using variables in policies", "Specifying default values", special characters.
    #[test]
    fn variables_resolve_from_the_request() {
        let ctx = RequestContext::new("s3:GetObject")
            .with("aws:username", "alice")
            .with("aws:PrincipalTag/Team", "blue")
            .with("aws:TagKeys", "a")
            .with("aws:TagKeys", "b");
        assert_eq!(
            resolve("home/${aws:username}/*", &ctx).unwrap(),
            "home/alice/*"
        );
        // Key names compare case-insensitively, the tag key included.
        assert_eq!(resolve("${AWS:PRINCIPALTAG/team}", &ctx).unwrap(), "blue");
        assert_eq!(resolve("${aws:userid}", &ctx), None);
        assert_eq!(resolve("${aws:userid, 'nobody'}", &ctx).unwrap(), "nobody");
        assert_eq!(resolve("${ aws:userid , 'it''s' }", &ctx).unwrap(), "it's");
        // Multivalued keys are not variables.
        assert_eq!(resolve("${aws:TagKeys}", &ctx), None);
        assert_eq!(resolve("${aws:TagKeys, 'x'}", &ctx).unwrap(), "x");
    }

    #[test]
    fn special_characters_are_literal_not_wildcards() {
        let t = Template::parse("a${*}b${?}${$}*", true).unwrap();
        assert_eq!(
            t.fixed().unwrap(),
            vec![
                Tok::Lit('a'),
                Tok::Lit('*'),
                Tok::Lit('b'),
                Tok::Lit('?'),
                Tok::Lit('$'),
                Tok::Star
            ]
        );
    }

    #[test]
    fn without_variables_everything_is_text() {
        let t = Template::parse("${aws:username}", false).unwrap();
        assert_eq!(tokens_text(&t.fixed().unwrap()), "${aws:username}");
    }

    #[test]
    fn malformed_variables_are_errors() {
        for bad in [
            "${aws:username",
            "${}",
            "${a b}",
            "${k, x}",
            "${k, 'x}",
            "${k, 'x' y}",
            "${*, 'x'}",
        ] {
            assert!(Template::parse(bad, true).is_err(), "{bad}");
        }
    }
}
