//! Wildcard matching for actions, resources and ARN condition values.
//!
//! - [ACTION] "IAM JSON policy elements: Action": action names are case-insensitive and take `*`
//!   and `?`; the service prefix is fixed: a wildcard in it (`*:GetBucket`) is refused by IAM.
//! - [RESOURCE] "IAM JSON policy elements: Resource", wildcards in ARNs: `*` and `?` work within
//!   a colon-separated segment; "if the `*` wildcard is the last character of a resource ARN
//!   segment, it can expand to match beyond the colon boundaries".
//! - [OPS] "Amazon Resource Name (ARN) condition operators": ArnEquals/ArnLike compare each of
//!   the six colon-delimited components separately, each with `*` and `?`, case-sensitively;
//!   ArnNotEquals/ArnNotLike are their negations.

use super::variables::{tokens_text, Template, Tok};

/// Glob over tokens, greedy with backtracking to the last `*` (linear-ish, no recursion).
/// `fold`: ASCII case-insensitive (action names).
pub(crate) fn glob(p: &[Tok], t: &str, fold: bool) -> bool {
    let same = |a: char, b: char| a == b || (fold && a.eq_ignore_ascii_case(&b));
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let Some(c) = t[ti..].chars().next() else {
            break;
        };
        match p.get(pi) {
            Some(Tok::One) => {
                pi += 1;
                ti += c.len_utf8();
                continue;
            }
            Some(Tok::Lit(l)) if same(*l, c) => {
                pi += 1;
                ti += c.len_utf8();
                continue;
            }
            Some(Tok::Star) => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            _ => {}
        }
        let Some((sp, st)) = star else {
            return false;
        };
        // Let the last `*` take one more character and retry.
        let step = t[st..].chars().next().map_or(1, char::len_utf8);
        star = Some((sp, st + step));
        pi = sp + 1;
        ti = st + step;
    }
    p[pi..].iter().all(|x| *x == Tok::Star)
}

/// Token equality with the text, wildcards compared as their characters (Equals operators).
pub(crate) fn tokens_equal(p: &[Tok], t: &str, ignore_case: bool) -> bool {
    let chars = p.iter().map(|x| match x {
        Tok::Lit(c) => *c,
        Tok::Star => '*',
        Tok::One => '?',
    });
    if ignore_case {
        chars
            .flat_map(char::to_lowercase)
            .eq(t.chars().flat_map(char::to_lowercase))
    } else {
        chars.eq(t.chars())
    }
}

/// [OPS] ArnLike: six components, each matched on its own; the sixth (resource) may itself hold
/// colons. A value with fewer than six components is not an ARN and matches nothing.
#[cfg(test)]
pub(crate) fn arn_like(p: &[Tok], t: &str) -> bool {
    match (split_arn_pattern(p), split_arn(t)) {
        (Some(p), Some(t)) => arn_parts_match(&p, &t),
        _ => false,
    }
}

/// A request ARN's six components (the sixth keeps its colons).
pub(crate) fn split_arn(t: &str) -> Option<[&str; 6]> {
    // As `t.splitn(6, ':')` giving six pieces: the first five colons, found byte by byte (a
    // colon is one byte and never part of a longer UTF-8 sequence, so each piece is `str`).
    let mut colons = [0usize; 5];
    let mut n = 0;
    for (i, b) in t.bytes().enumerate() {
        if b == b':' {
            colons[n] = i;
            n += 1;
            if n == 5 {
                break;
            }
        }
    }
    if n < 5 {
        return None;
    }
    let [a, b, c, d, e] = colons;
    Some([
        t.get(..a)?,
        t.get(a + 1..b)?,
        t.get(b + 1..c)?,
        t.get(c + 1..d)?,
        t.get(d + 1..e)?,
        t.get(e + 1..)?,
    ])
}

/// A pattern's six components, split at its first five literal colons.
pub(crate) fn split_arn_pattern(p: &[Tok]) -> Option<[Vec<Tok>; 6]> {
    let mut out: [Vec<Tok>; 6] = Default::default();
    let mut rest = p;
    for slot in out.iter_mut().take(5) {
        let at = rest.iter().position(|x| *x == Tok::Lit(':'))?;
        *slot = rest[..at].to_vec();
        rest = &rest[at + 1..];
    }
    out[5] = rest.to_vec();
    Some(out)
}

pub(crate) fn arn_parts_match(p: &[Vec<Tok>; 6], t: &[&str; 6]) -> bool {
    p.iter().zip(t).all(|(seg, text)| glob(seg, text, false))
}

/// Whether `p` has the six components of an ARN (checked on fixed values when compiling).
pub(crate) fn has_six_components(p: &[Tok]) -> bool {
    p.iter().filter(|x| **x == Tok::Lit(':')).count() >= 5
}

/// [RESOURCE] Resource ARN match: `*` and `?` stay within a segment, except a `*` that ends a
/// segment (followed by `:` or the end), which may cross colons. An NFA over pattern positions,
/// since constrained stars defeat the greedy single-backtrack matcher.
pub(crate) fn resource_matches(p: &[Tok], t: &str) -> bool {
    // `*` (and any run of stars: the last one crosses colons) covers every resource; a pattern
    // without wildcards is the text itself. Neither needs the automaton's two vectors.
    if !p.is_empty() && p.iter().all(|x| *x == Tok::Star) {
        return true;
    }
    if p.iter().all(|x| matches!(x, Tok::Lit(_))) {
        return p
            .iter()
            .map(|x| match x {
                Tok::Lit(c) => *c,
                _ => '\0',
            })
            .eq(t.chars());
    }
    let n = p.len();
    let spans = |i: usize| matches!(p.get(i + 1), None | Some(Tok::Lit(':')));
    let mut cur = vec![false; n + 1];
    let mut next = vec![false; n + 1];
    cur[0] = true;
    // A `*` may match nothing: close the set over star positions.
    let close = |set: &mut Vec<bool>| {
        for i in 0..n {
            if set[i] && p[i] == Tok::Star {
                set[i + 1] = true;
            }
        }
    };
    close(&mut cur);
    for c in t.chars() {
        next.iter_mut().for_each(|x| *x = false);
        for i in 0..n {
            if !cur[i] {
                continue;
            }
            match p[i] {
                Tok::Lit(l) if l == c => next[i + 1] = true,
                Tok::One if c != ':' => next[i + 1] = true,
                Tok::Star if c != ':' || spans(i) => next[i] = true,
                _ => {}
            }
        }
        close(&mut next);
        std::mem::swap(&mut cur, &mut next);
        if !cur.iter().any(|x| *x) {
            return false;
        }
    }
    cur[n]
}

/// An action pattern, checked and lower-cased once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionPattern(Vec<Tok>);

impl ActionPattern {
    /// [ACTION] `*`, or `service:name` with wildcards only in the name.
    pub(crate) fn parse(pattern: &str) -> Result<ActionPattern, String> {
        if pattern == "*" {
            return Ok(ActionPattern(vec![Tok::Star]));
        }
        let Some((prefix, name)) = pattern.split_once(':') else {
            return Err(format!(
                "action {pattern:?} has no service prefix (service:action, e.g. s3:GetObject)"
            ));
        };
        if prefix.contains(['*', '?']) {
            return Err(format!(
                "action {pattern:?} has a wildcard in its service prefix {prefix:?}; IAM refuses it \
                 (wildcards are allowed only in the action name, after the colon)"
            ));
        }
        if prefix.is_empty() || name.is_empty() {
            return Err(format!(
                "action {pattern:?} has an empty service prefix or name"
            ));
        }
        let lower = pattern.to_ascii_lowercase();
        Ok(ActionPattern(
            Template::parse(&lower, false)
                .map_err(|e| e.to_string())?
                .fixed()
                .unwrap_or_default(),
        ))
    }

    pub(crate) fn matches(&self, action: &str) -> bool {
        glob(&self.0, action, true)
    }
}

type Set = std::collections::HashSet<String, foldhash::fast::RandomState>;

/// A statement's Action (or NotAction) list arranged for lookups: `*`, names without wildcards
/// (compared whole), `service:Prefix*` patterns (compared as prefixes) and the other patterns
/// (globbed). It answers as trying each [`ActionPattern`] in turn (a property test checks it).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ActionSet {
    /// `*` is listed.
    all: bool,
    /// Names without wildcards, lower-cased, sorted, once each: scanned when few...
    exact: Vec<String>,
    /// ...looked up when many.
    exact_set: Option<Set>,
    /// The lower-cased text before the trailing `*` of a pattern with no other wildcard, and
    /// the position of its service's colon.
    prefixes: Vec<(String, Option<usize>)>,
    /// Every other pattern, after its service prefix and colon (which hold no wildcard).
    patterns: Vec<((Option<usize>, String), ActionPattern)>,
}

/// Whether `action` starts with `prefix`, which holds the service's colon at `colon`: the byte
/// there is compared first, which tells most other services apart without comparing text.
fn starts_with_service(action: &[u8], prefix: &[u8], colon: Option<usize>) -> bool {
    colon.is_none_or(|at| action.get(at) == Some(&b':')) && action.starts_with(prefix)
}

/// Up to this many names a scan (lengths compared first) beats hashing the action.
const SCAN_MAX: usize = 8;

impl ActionSet {
    pub(crate) fn new(patterns: Vec<ActionPattern>) -> ActionSet {
        let mut set = ActionSet::default();
        for p in patterns {
            let toks = &p.0;
            let literal = toks.iter().take_while(|t| matches!(t, Tok::Lit(_))).count();
            if literal == 0 && toks.iter().all(|t| *t == Tok::Star) {
                set.all = true;
            } else if literal == toks.len() {
                set.exact.push(tokens_text(toks));
            } else if toks[literal..].iter().all(|t| *t == Tok::Star) {
                let prefix = tokens_text(&toks[..literal]);
                let colon = prefix.find(':');
                set.prefixes.push((prefix, colon));
            } else {
                // A parsed pattern's service prefix holds no wildcard: up to its colon.
                let service = toks
                    .iter()
                    .position(|t| *t == Tok::Lit(':'))
                    .map_or(String::new(), |at| tokens_text(&toks[..=at]));
                let service = (service.len().checked_sub(1), service);
                set.patterns.push((service, p));
            }
        }
        set.exact.sort();
        set.exact.dedup();
        if set.exact.len() > SCAN_MAX {
            set.exact_set = Some(set.exact.iter().cloned().collect());
        }
        set.prefixes.sort();
        set.prefixes.dedup();
        set
    }

    /// `action`: ASCII lower-cased (the patterns are).
    pub(crate) fn matches(&self, action: &str) -> bool {
        if self.all {
            return true;
        }
        let exact = match &self.exact_set {
            Some(set) => set.contains(action),
            None => self
                .exact
                .iter()
                .any(|e| e.len() == action.len() && e == action),
        };
        let bytes = action.as_bytes();
        exact
            || self
                .prefixes
                .iter()
                .any(|(p, colon)| starts_with_service(bytes, p.as_bytes(), *colon))
            || self.patterns.iter().any(|((colon, service), p)| {
                starts_with_service(bytes, service.as_bytes(), *colon) && p.matches(action)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        Template::parse(s, false).unwrap().fixed().unwrap()
    }

    #[test]
    fn glob_edge_cases() {
        assert!(glob(&toks("*"), "", false));
        assert!(glob(&toks("a*b*c"), "aXbYc", false));
        assert!(!glob(&toks("a*b*c"), "aXbY", false));
        assert!(glob(&toks("??"), "ab", false));
        assert!(glob(&toks("?"), "é", false));
        assert!(!glob(&toks("?"), "", false));
        assert!(!glob(&toks("A"), "a", false));
        assert!(glob(&toks("A"), "a", true));
        let long: String = "b".repeat(1000) + "a";
        assert!(glob(&toks("*a"), &long, false));
        assert!(!glob(&toks("*a*a*a*c"), &long, false));
    }

    // [ACTION] case-insensitive names, wildcards in the name, never in the prefix.
    #[test]
    fn action_patterns() {
        let p = |s: &str| ActionPattern::parse(s).unwrap();
        assert!(p("s3:Get*").matches("S3:GETOBJECT"));
        assert!(p("S3:get?bject").matches("s3:GetObject"));
        assert!(p("*").matches("ec2:RunInstances"));
        assert!(p("ec2:*Instances").matches("ec2:RunInstances"));
        assert!(!p("s3:Get*").matches("s3:PutObject"));
        assert!(!p("s3:*").matches("s3express:CreateSession"));
        for bad in ["*:GetBucket", "s?:Get", "iam", ":Get", "s3:"] {
            assert!(ActionPattern::parse(bad).is_err(), "{bad}");
        }
    }

    mod sets {
        use super::*;
        use proptest::prelude::*;

        /// Patterns and actions over a small alphabet, in random case, so prefixes, exact
        /// names and wildcards meet.
        fn pattern() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("*".to_string()),
                ("[sS]3|iam|[eE]c2", "[gGeEtT*?]{0,4}").prop_map(|(s, n)| format!("{s}:{n}")),
                ("[sS]3|iam", "[gGeEtT]{0,3}").prop_map(|(s, n)| format!("{s}:{n}*")),
                ("[sS]3|iam", "[gGeEtT]{0,3}").prop_map(|(s, n)| format!("{s}:{n}")),
            ]
        }

        proptest! {
            #[test]
            fn an_action_set_answers_as_each_pattern(
                patterns in proptest::collection::vec(pattern(), 0..24),
                actions in proptest::collection::vec("([sS]3|iam|ec2|s3express):[gGeEtTé]{0,4}", 1..16),
            ) {
                let parsed: Vec<ActionPattern> = patterns
                    .iter()
                    .filter_map(|p| ActionPattern::parse(p).ok())
                    .collect();
                let set = ActionSet::new(parsed.clone());
                let listed: Vec<String> = patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
                for a in actions.iter().chain(&listed) {
                    let lower = a.to_ascii_lowercase();
                    let plain = parsed.iter().any(|p| p.matches(&lower));
                    prop_assert_eq!(set.matches(&lower), plain, "{} in {:?}", a, patterns);
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn split_arn_is_splitn_six(t in "[a:é/]{0,12}") {
            let plain: Vec<&str> = t.splitn(6, ':').collect();
            let want = (plain.len() == 6).then_some(plain);
            proptest::prop_assert_eq!(split_arn(&t).map(|p| p.to_vec()), want);
        }
    }

    // [OPS] ArnLike compares the six components separately.
    #[test]
    fn arn_like_is_segment_wise() {
        let role = "arn:aws:iam::111122223333:role/admin/BreakGlass";
        assert!(arn_like(&toks("arn:aws:iam::*:role/*/BreakGlass"), role));
        assert!(arn_like(&toks("arn:aws:iam::*:role/*"), role));
        assert!(arn_like(&toks("arn:*:iam::111122223333:*"), role));
        // A plain glob would let `*` cross colons; segment-wise it cannot.
        assert!(!arn_like(&toks("arn:aws:*:role/*"), role));
        assert!(
            !arn_like(&toks("arn:aws:iam::*:role/Admin/*"), role),
            "case-sensitive"
        );
        // The sixth component keeps its own colons.
        let lg = "arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:x";
        assert!(arn_like(&toks("arn:aws:logs:*:*:log-group:app:*"), lg));
        assert!(!arn_like(&toks("arn:aws:iam::*:role/x"), "not-an-arn"));
        assert!(!has_six_components(&toks("arn:aws:iam::*")));
    }

    // [RESOURCE] within-segment wildcards; a trailing `*` of a segment crosses colons.
    #[test]
    fn resource_patterns() {
        let obj = "arn:aws:s3:::bucket/key:with:colons";
        assert!(resource_matches(&toks("*"), obj));
        assert!(resource_matches(&toks("arn:aws:s3:::bucket/*"), obj));
        assert!(resource_matches(&toks("arn:aws:s3:::*"), obj));
        assert!(resource_matches(&toks("arn:aws:*"), obj));
        assert!(!resource_matches(&toks("arn:aws:s3:::other/*"), obj));
        let inst = "arn:aws:ec2:eu-west-1:111122223333:instance/i-1";
        assert!(resource_matches(&toks("arn:aws:ec2:*:*:instance/*"), inst));
        assert!(resource_matches(
            &toks("arn:aws:ec2:eu-west-?:*:instance/*"),
            inst
        ));
        // A `*` inside a segment does not cross a colon.
        assert!(!resource_matches(
            &toks("arn:aws:ec2:eu*1:instance/*"),
            inst
        ));
        assert!(!resource_matches(&toks("arn:aws:ec2:*:*:volume/*"), inst));
        assert!(!resource_matches(&toks("arn:aws:EC2:*:*:instance/*"), inst));
    }
}
