//! The document model checked and compiled for evaluation: Version, Principal, actions,
//! resources and conditions, each refused with the statement and value named when IAM would
//! refuse it (or when scpctl cannot decide it as IAM does).

use super::actions_resources::{resource_matches, ActionPattern, ActionSet};
use super::index::ValueIndex;
use super::keys::{key_type, CompiledCondition, KeyType, NULL_SET_NOTE};
use super::operators::{
    compile_value, policy_net, Base, Operator, OperatorError, PolicyValue, SetOp,
    BOOL_VARIABLE_NOTE,
};
use super::request::{ConditionTable, KeyTable, View};
use super::variables::{Template, Tok};
use super::{
    CompiledPolicy, ConditionTrace, EvalError, PolicyType, RequestContext, StatementTrace,
};
use crate::policy::{ActionSpec, Effect, PolicyDocument, ResourceSpec, Statement};

const VERSION_2012: &str = "2012-10-17";
const VERSION_2008: &str = "2008-10-17";

#[derive(Debug, Clone, PartialEq)]
enum ResourcePattern {
    Fixed(Vec<Tok>),
    Dynamic(Template),
}

impl ResourcePattern {
    /// [VARS] a Resource whose variable has no value matches no resource.
    fn matches(&self, resource: &str, ctx: &RequestContext) -> bool {
        match self {
            ResourcePattern::Fixed(t) => resource_matches(t, resource),
            ResourcePattern::Dynamic(t) => t
                .resolve(ctx)
                .is_some_and(|toks| resource_matches(&toks, resource)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Resources {
    /// No Resource element (SCPs may leave it out): every resource.
    Any,
    Resource(Vec<ResourcePattern>),
    NotResource(Vec<ResourcePattern>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompiledStatement {
    pub label: String,
    pub effect: Effect,
    not_action: bool,
    actions: ActionSet,
    resources: Resources,
    pub(crate) conditions: Vec<CompiledCondition>,
    /// Its index in its policy's memo, after the conditions' ([`View::known`]).
    target_ordinal: usize,
    /// What decides whether it targets a request (its actions and resources as written, the
    /// Version's variables rule): statements of a set equal on it answer alike.
    pub(crate) target_signature: String,
}

impl CompiledStatement {
    /// Every lower-cased context key this statement can read: its condition keys and the keys
    /// of the policy variables in its values and resources.
    pub(crate) fn read_keys(&self, out: &mut Vec<String>) {
        for c in &self.conditions {
            out.push(c.key_lower.clone());
            for v in &c.values {
                if let PolicyValue::Dynamic(t) = v {
                    out.extend(t.var_keys().map(str::to_string));
                }
            }
        }
        let patterns = match &self.resources {
            Resources::Any => return,
            Resources::Resource(ps) | Resources::NotResource(ps) => ps,
        };
        for p in patterns {
            if let ResourcePattern::Dynamic(t) = p {
                out.extend(t.var_keys().map(str::to_string));
            }
        }
    }

    /// Add to `classes` the networks of this statement's IP conditions on `key` (lower-cased);
    /// `false` when the statement reads the key otherwise (another operator, a policy variable):
    /// then every address is apart ([`super::AddressClasses`]). `Null` reads only presence.
    pub(crate) fn address_classes(&self, key: &str, classes: &mut super::AddressClasses) -> bool {
        let names = |t: &Template| t.var_keys().any(|k| k == key);
        for c in &self.conditions {
            if c.values
                .iter()
                .any(|v| matches!(v, PolicyValue::Dynamic(t) if names(t)))
            {
                return false;
            }
            if c.key_lower != key {
                continue;
            }
            match c.op.base {
                Base::Null => {}
                Base::IpAddress => {
                    for v in &c.values {
                        match v {
                            PolicyValue::Net(ipnet::IpNet::V4(n)) => {
                                classes.add_v4(n.network().into(), n.broadcast().into())
                            }
                            PolicyValue::Net(ipnet::IpNet::V6(n)) => {
                                classes.add_v6(n.network().into(), n.broadcast().into())
                            }
                            _ => return false,
                        }
                    }
                }
                _ => return false,
            }
        }
        match &self.resources {
            Resources::Any => true,
            Resources::Resource(ps) | Resources::NotResource(ps) => !ps
                .iter()
                .any(|p| matches!(p, ResourcePattern::Dynamic(t) if names(t))),
        }
    }

    /// `action`: the request's action, ASCII lower-cased by the caller (once per request).
    fn action_matches(&self, action: &str) -> bool {
        // [ACTION] NotAction: every action except those listed.
        self.actions.matches(action) != self.not_action
    }

    fn resource_matches(&self, ctx: &RequestContext) -> bool {
        // An absent request resource is `*`: only a `*` pattern covers it.
        let resource = ctx.resource.as_deref().unwrap_or("*");
        match &self.resources {
            Resources::Any => true,
            Resources::Resource(ps) => ps.iter().any(|p| p.matches(resource, ctx)),
            Resources::NotResource(ps) => !ps.iter().any(|p| p.matches(resource, ctx)),
        }
    }

    /// The first condition, of a statement whose action and resource match the request, that
    /// cannot read the request's value of its key (see [`CompiledCondition::unreadable`]).
    pub(crate) fn unreadable<'c>(
        &'c self,
        ctx: &'c RequestContext,
        action: &str,
    ) -> Option<(&'c CompiledCondition, &'c str, &'static str)> {
        if !self.action_matches(action) || !self.resource_matches(ctx) {
            return None;
        }
        self.conditions
            .iter()
            .find_map(|c| c.unreadable(ctx).map(|(v, takes)| (c, v, takes)))
    }

    /// The statement's action and resource match the request.
    pub(crate) fn targets(&self, view: &View<'_, '_>) -> bool {
        if let Some(known) = view.known(self.target_ordinal) {
            return known;
        }
        let m = self.action_matches(view.action) && self.resource_matches(view.ctx);
        view.remember(self.target_ordinal, m);
        m
    }

    /// Some condition cannot read the request's value of its key.
    pub(crate) fn unreadable_condition(&self, view: &View<'_, '_>) -> bool {
        self.conditions.iter().any(|c| c.unreadable_at(view))
    }

    /// [MULTI] every condition (operators AND, keys AND).
    pub(crate) fn conditions_hold(&self, view: &View<'_, '_>) -> bool {
        self.conditions.iter().all(|c| c.holds(view))
    }

    pub(crate) fn trace(
        &self,
        ctx: &RequestContext,
        action: &str,
        notes: &mut Vec<String>,
    ) -> StatementTrace {
        let action_matched = self.action_matches(action);
        let resource_matched = self.resource_matches(ctx);
        let conditions: Vec<ConditionTrace> = self
            .conditions
            .iter()
            .map(|c| {
                let mut local = Vec::new();
                let (matched, reason) = c.evaluate(ctx, Some(&mut local));
                for n in local {
                    notes.push(format!("statement {}: {n}", self.label));
                }
                ConditionTrace {
                    operator: c.operator.clone(),
                    key: c.key.clone(),
                    policy_values: c.raw_values.clone(),
                    request_values: ctx.get_lower(&c.key_lower).map(<[String]>::to_vec),
                    matched,
                    reason: reason.text().to_string(),
                }
            })
            .collect();
        let applies = action_matched && resource_matched && conditions.iter().all(|c| c.matched);
        StatementTrace {
            statement: self.label.clone(),
            effect: match self.effect {
                Effect::Allow => "Allow",
                Effect::Deny => "Deny",
            },
            action_matched,
            resource_matched,
            conditions,
            applies,
        }
    }
}

/// [VERSION] SCPs and RCPs need 2012-10-17; an identity policy without Version is 2008-10-17,
/// where `${...}` is literal text. Returns whether variables are substituted.
fn check_version(doc: &PolicyDocument, kind: PolicyType) -> Result<bool, EvalError> {
    match (doc.version.as_deref(), kind) {
        (Some(VERSION_2012), _) => Ok(true),
        (_, PolicyType::Scp | PolicyType::Rcp) => Err(EvalError::Version {
            why: format!(
                "an {} needs \"Version\": \"{VERSION_2012}\" (found {}); AWS Organizations refuses it otherwise",
                kind.name(),
                doc.version
                    .as_deref()
                    .map_or("no Version".to_string(), |v| format!("{v:?}"))
            ),
        }),
        (None | Some(VERSION_2008), PolicyType::Identity) => Ok(false),
        (Some(other), PolicyType::Identity) => Err(EvalError::Version {
            why: format!(
                "unknown policy Version {other:?}: IAM knows only \"{VERSION_2012}\" and \"{VERSION_2008}\""
            ),
        }),
    }
}

fn compile_statement(
    s: &Statement,
    label: String,
    kind: PolicyType,
    variables: bool,
    notes: &mut Vec<String>,
) -> Result<CompiledStatement, EvalError> {
    let element = |element: &'static str, why: String| EvalError::BadElement {
        statement: label.clone(),
        element,
        why,
    };
    let unsupported = |what: &str| EvalError::Unsupported {
        statement: label.clone(),
        what: what.into(),
    };
    match kind {
        PolicyType::Rcp if !s.principal_is_any => {
            return Err(element(
                "Principal",
                "an RCP statement needs \"Principal\": \"*\" (AWS Organizations User Guide, RCP syntax)".into(),
            ))
        }
        PolicyType::Scp | PolicyType::Identity if s.has_principal => {
            return Err(unsupported(
                "a Principal element (SCPs and identity policies have none)",
            ))
        }
        _ => {}
    }
    // AWS Organizations User Guide, "RCP syntax": "The effect of Allow is only supported for
    // the RCPFullAWSAccess policy", whose one statement allows every action on every resource
    // to every principal, without condition. Any other Allow in an RCP is refused.
    if kind == PolicyType::Rcp && s.effect == Effect::Allow && !is_full_access(s) {
        return Err(element(
            "Effect",
            "Allow in an RCP: \"The effect of Allow is only supported for the RCPFullAWSAccess policy\" \
             (AWS Organizations User Guide, RCP syntax), which allows \"*\" on \"*\" without condition; \
             an RCP restricts with Deny statements"
                .into(),
        ));
    }
    let (not_action, patterns) = match &s.action {
        ActionSpec::Action(p) => (false, p),
        ActionSpec::NotAction(_) if kind == PolicyType::Rcp => {
            return Err(element("NotAction", "RCPs do not support NotAction".into()))
        }
        ActionSpec::NotAction(p) => (true, p),
    };
    let element_name = if not_action { "NotAction" } else { "Action" };
    let actions = ActionSet::new(
        patterns
            .iter()
            .map(|p| ActionPattern::parse(p).map_err(|why| element(element_name, why)))
            .collect::<Result<Vec<_>, _>>()?,
    );
    let compile_resources = |name: &'static str, rs: &[String]| {
        rs.iter()
            .map(|r| {
                let t = Template::parse(r, variables).map_err(|why| element(name, why))?;
                if t.variable_before_fifth_colon() {
                    return Err(element(
                        name,
                        format!(
                            "{} has a policy variable before the fifth colon; IAM User Guide, \"IAM policy \
                             elements: Variables and tags\": \"You can't use a variable to replace parts of \
                             the ARN before the fifth colon, such as the service or account.\" scpctl does not \
                             guess whether IAM would read it as text: it refuses the document",
                            crate::origin::excerpt(r)
                        ),
                    ));
                }
                Ok(match t.fixed() {
                    Some(toks) => ResourcePattern::Fixed(toks),
                    None => ResourcePattern::Dynamic(t),
                })
            })
            .collect::<Result<Vec<_>, EvalError>>()
    };
    let resources = match &s.resource {
        ResourceSpec::Absent => Resources::Any,
        ResourceSpec::Resource(r) => {
            let patterns = compile_resources("Resource", r)?;
            // `*` (a run of stars) covers every resource, an absent one included.
            if patterns.iter().any(|p| {
                matches!(p, ResourcePattern::Fixed(t) if !t.is_empty() && t.iter().all(|x| *x == Tok::Star))
            }) {
                Resources::Any
            } else {
                Resources::Resource(patterns)
            }
        }
        ResourceSpec::NotResource(r) => {
            Resources::NotResource(compile_resources("NotResource", r)?)
        }
    };
    let mut conditions = Vec::new();
    for entry in &s.conditions {
        let op = Operator::parse(&entry.operator).map_err(|e| match e {
            OperatorError::Unknown(hint) => EvalError::UnknownOperator {
                statement: label.clone(),
                operator: entry.operator.clone(),
                hint,
            },
        })?;
        let bad = |why: String| EvalError::BadValue {
            statement: label.clone(),
            operator: entry.operator.clone(),
            key: entry.key.clone(),
            why,
        };
        if op.base == Base::Null && op.set != SetOp::Single {
            notes.push(format!(
                "statement {label}: {} {}: {NULL_SET_NOTE}",
                entry.operator, entry.key
            ));
        }
        let mut values = Vec::with_capacity(entry.values.len());
        for v in &entry.values {
            // An IP-typed key holds addresses: a policy value that is none is a mistake
            // whatever the operator (e.g. StringLike on aws:SourceIp with "10.*").
            if key_type(&entry.key) == Some(KeyType::Ip)
                && op.base != Base::Null
                && policy_net(v).is_none()
            {
                return Err(bad(format!(
                    "{} is not an IP address or CIDR, and {} holds an IP address",
                    crate::origin::excerpt(v),
                    entry.key
                )));
            }
            let pv = compile_value(op, v, variables).map_err(&bad)?;
            if let PolicyValue::Net(ipnet::IpNet::V6(_)) = pv {
                if !v.contains('/') {
                    notes.push(format!(
                        "statement {label}: the IPv6 value {v:?} has no prefix; IAM documents a default of /32 for bare \
                         addresses, scpctl evaluated it as /128. Write the prefix explicitly."
                    ));
                }
            }
            if op.base == Base::Bool && matches!(pv, PolicyValue::Dynamic(_)) {
                notes.push(format!(
                    "statement {label}: {} {}: {BOOL_VARIABLE_NOTE}",
                    entry.operator, entry.key
                ));
            }
            values.push(pv);
        }
        conditions.push(CompiledCondition {
            index: ValueIndex::build(op.base, &values),
            operator: entry.operator.clone(),
            key: entry.key.clone(),
            key_lower: entry.key.to_lowercase(),
            op,
            raw_values: entry.values.clone(),
            values,
            // Assigned once the policy's key table is known.
            slot: 0,
            ordinal: 0,
            signature: signature(&entry.operator, &entry.key, &entry.values, variables),
        });
    }
    // Action names compare case-insensitively: lower-cased as they are matched.
    let mut target_signature = format!("t{}{}", u8::from(variables), u8::from(not_action));
    let resource_list = match &s.resource {
        ResourceSpec::Absent => None,
        ResourceSpec::Resource(r) => Some(("R", r)),
        ResourceSpec::NotResource(r) => Some(("N", r)),
    };
    let lower: Vec<String> = patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
    for part in lower.iter().map(String::as_str).chain(["|"]) {
        target_signature.push_str(&format!("{}:{part}", part.len()));
    }
    if let Some((kind, list)) = resource_list {
        target_signature.push_str(kind);
        for part in list {
            target_signature.push_str(&format!("{}:{part}", part.len()));
        }
    }
    Ok(CompiledStatement {
        label,
        effect: s.effect,
        not_action,
        actions,
        resources,
        conditions,
        target_ordinal: 0,
        target_signature,
    })
}

/// What a policy's memo holds, in order: its conditions' signatures, then its statements'
/// target signatures (a target signature starts with `t`, a condition's with a digit).
pub(crate) fn memo_signatures(statements: &[CompiledStatement]) -> Vec<&str> {
    statements
        .iter()
        .flat_map(|s| &s.conditions)
        .map(|c| c.signature.as_str())
        .chain(statements.iter().map(|s| s.target_signature.as_str()))
        .collect()
}

/// [`CompiledCondition::signature`]: each part's length before it, so no two conditions share
/// one; the key lower-cased, as it is compared.
fn signature(operator: &str, key: &str, values: &[String], variables: bool) -> String {
    let mut out = format!("{}", u8::from(variables));
    let key = key.to_lowercase();
    for part in [operator, key.as_str()]
        .into_iter()
        .chain(values.iter().map(String::as_str))
    {
        out.push_str(&format!("{}:{part}", part.len()));
    }
    out
}

/// The statement of RCPFullAWSAccess: Allow, Principal `*`, Action `*`, Resource `*`, no
/// Condition.
fn is_full_access(s: &Statement) -> bool {
    let star = |v: &[String]| v.len() == 1 && v[0] == "*";
    s.principal_is_any
        && matches!(&s.action, ActionSpec::Action(a) if star(a))
        && matches!(&s.resource, ResourceSpec::Resource(r) if star(r))
        && s.conditions.is_empty()
}

pub(crate) fn compile(doc: &PolicyDocument, kind: PolicyType) -> Result<CompiledPolicy, EvalError> {
    let variables = check_version(doc, kind)?;
    let mut notes = Vec::new();
    let statements = doc
        .statements
        .iter()
        .enumerate()
        .map(|(i, s)| compile_statement(s, s.label(i), kind, variables, &mut notes))
        .collect::<Result<Vec<_>, _>>()?;
    let mut statements = statements;
    let keys = KeyTable::build(
        statements
            .iter()
            .flat_map(|s| &s.conditions)
            .map(|c| (c.key_lower.as_str(), c.op.base)),
    );
    for (i, c) in statements
        .iter_mut()
        .flat_map(|s| &mut s.conditions)
        .enumerate()
    {
        // The table holds every condition's key.
        c.slot = keys.slot(&c.key_lower).unwrap_or(usize::MAX);
        c.ordinal = i;
    }
    let count = statements.iter().map(|s| s.conditions.len()).sum::<usize>();
    for (i, s) in statements.iter_mut().enumerate() {
        s.target_ordinal = count + i;
    }
    let own = keys.identity();
    let (conditions, mut numbers) = ConditionTable::number([memo_signatures(&statements)]);
    let own_conditions = numbers.pop().unwrap_or_default();
    Ok(CompiledPolicy {
        kind,
        statements,
        notes,
        keys,
        own,
        conditions,
        own_conditions,
    })
}
