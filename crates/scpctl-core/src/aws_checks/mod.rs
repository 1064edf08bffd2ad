//! AWS's own checks, the pure half: where an IAM Access Analyzer finding points in the document
//! as scpctl renders it, the typed context entries IAM's policy simulator takes for a request, and
//! the comparison of scpctl's decision with the simulator's. The calls themselves are the edge's.

pub mod context;
pub mod location;

pub use context::{
    keys_not_given, simulator_entries, ContextType, NotTaken, SimulatorContext, TypedEntry,
};
pub use location::{locate, FindingLocation, PathStep, TextPosition};

use crate::eval::Decision;

/// A decision as IAM's policy simulator names it (`EvalDecision`: `allowed`, `explicitDeny`,
/// `implicitDeny`; IAM API Reference, "EvaluationResult").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimDecision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl SimDecision {
    /// IAM's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SimDecision::Allowed => "allowed",
            SimDecision::ExplicitDeny => "explicitDeny",
            SimDecision::ImplicitDeny => "implicitDeny",
        }
    }

    /// IAM's spelling read back; `None` for a value IAM does not document.
    pub fn parse(s: &str) -> Option<SimDecision> {
        match s {
            "allowed" => Some(SimDecision::Allowed),
            "explicitDeny" => Some(SimDecision::ExplicitDeny),
            "implicitDeny" => Some(SimDecision::ImplicitDeny),
            _ => None,
        }
    }

    /// scpctl's evaluation of the same request, in the simulator's terms: a Deny statement that
    /// applies is an explicit deny; no Allow applying (and no exemption) is an implicit deny.
    pub fn from_decision(d: &Decision) -> SimDecision {
        if d.denied {
            SimDecision::ExplicitDeny
        } else if d.allowed {
            SimDecision::Allowed
        } else {
            SimDecision::ImplicitDeny
        }
    }
}

impl std::fmt::Display for SimDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// scpctl's answer beside AWS's: the CLI prints either, and exits 6 on a difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    Agreement(SimDecision),
    Difference {
        scpctl: SimDecision,
        aws: SimDecision,
    },
}

impl Comparison {
    pub fn is_difference(&self) -> bool {
        matches!(self, Comparison::Difference { .. })
    }
}

/// Compare scpctl's decision with the simulator's. The decisions are compared exactly: an
/// explicit deny and an implicit deny both refuse the request, but they say different things
/// about which statement decided it, so they are a difference too.
pub fn compare(scpctl: SimDecision, aws: SimDecision) -> Comparison {
    if scpctl == aws {
        Comparison::Agreement(aws)
    } else {
        Comparison::Difference { scpctl, aws }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_read_back_as_iam_spells_them() {
        for d in [
            SimDecision::Allowed,
            SimDecision::ExplicitDeny,
            SimDecision::ImplicitDeny,
        ] {
            assert_eq!(SimDecision::parse(d.as_str()), Some(d));
        }
        assert_eq!(SimDecision::parse("Allowed"), None);
    }

    #[test]
    fn compare_agrees_only_on_the_same_decision() {
        assert_eq!(
            compare(SimDecision::Allowed, SimDecision::Allowed),
            Comparison::Agreement(SimDecision::Allowed)
        );
        let d = compare(SimDecision::ExplicitDeny, SimDecision::ImplicitDeny);
        assert!(d.is_difference());
        assert_eq!(
            d,
            Comparison::Difference {
                scpctl: SimDecision::ExplicitDeny,
                aws: SimDecision::ImplicitDeny
            }
        );
        assert!(!compare(SimDecision::ImplicitDeny, SimDecision::ImplicitDeny).is_difference());
    }

    #[test]
    fn scpctl_decision_maps_deny_allow_and_neither() {
        let mut d = Decision {
            denied: true,
            statement: Some("DenyOutsideNetworks".into()),
            statements: vec![],
            notes: vec![],
            allowed: false,
            exemption: None,
        };
        assert_eq!(SimDecision::from_decision(&d), SimDecision::ExplicitDeny);
        d.denied = false;
        assert_eq!(SimDecision::from_decision(&d), SimDecision::ImplicitDeny);
        d.allowed = true;
        assert_eq!(SimDecision::from_decision(&d), SimDecision::Allowed);
    }
}
