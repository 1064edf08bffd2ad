//! `scpctl simulate`: one request, or the scenario table.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::values::*;
use crate::aws::config::parse_region;

/// Which Sign-In evaluation phase `simulate --kind signin` models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SigninPhase {
    /// Before authentication: the ARN is in signin:PrincipalArn.
    PreAuth,
    /// After authentication: the ARN is in aws:PrincipalArn.
    PostAuth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrincipalType {
    /// An IAM user (long-lived access keys or console password).
    #[value(name = "User")]
    User,
    /// An IAM role session, including IAM Identity Center users.
    #[value(name = "AssumedRole")]
    AssumedRole,
    /// A federated user session (sts:GetFederationToken).
    #[value(name = "FederatedUser")]
    FederatedUser,
    /// The AWS account root user.
    #[value(name = "Account")]
    Account,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "User",
            PrincipalType::AssumedRole => "AssumedRole",
            PrincipalType::FederatedUser => "FederatedUser",
            PrincipalType::Account => "Account",
        }
    }
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// aws:PrincipalType of the caller (required for the policy rendered from the config).
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        required_unless_present_any = ["scenario", "policy", "policy_dir", "scp_chain", "phase"]
    )]
    pub principal_type: Option<PrincipalType>,

    /// --kind signin: the Sign-In phase; --principal-arn goes to signin:PrincipalArn
    /// (pre-auth) or aws:PrincipalArn (post-auth). Sign-In requests carry no aws:ViaAWSService.
    #[arg(long, value_enum)]
    pub phase: Option<SigninPhase>,

    /// A principal tag, aws:PrincipalTag/KEY (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub tags: Vec<(String, String)>,

    /// aws:SourceIp. Leave out for a request through a VPC endpoint (the key is then absent).
    #[arg(long, value_name = "IP")]
    pub source_ip: Option<IpAddr>,

    /// The call is made by an AWS service on the caller's behalf (aws:ViaAWSService = true).
    #[arg(long)]
    pub via_aws_service: bool,

    /// aws:SourceVpc: the request came through a VPC endpoint in this VPC (give no --source-ip:
    /// a request carries one or the other).
    #[arg(long, value_name = "VPC", value_parser = parse_vpc, conflicts_with = "source_ip")]
    pub source_vpc: Option<String>,

    /// aws:SourceVpce: the VPC endpoint the request came through.
    #[arg(long, value_name = "VPCE", value_parser = parse_vpce, conflicts_with = "source_ip")]
    pub source_vpce: Option<String>,

    /// aws:VpceOrgID: the organization that owns the --source-vpce endpoint. Only the services
    /// AWS lists send it (`scpctl validate` names them); for others it is left out, with a note.
    #[arg(long, value_name = "ORG_ID", value_parser = parse_org_id, requires = "source_vpce")]
    pub vpce_org_id: Option<String>,

    /// aws:VpceAccount: the account that owns the --source-vpce endpoint (same services).
    #[arg(long, value_name = "ACCOUNT", value_parser = parse_account_id, requires = "source_vpce")]
    pub vpce_account: Option<String>,

    /// aws:RequestedRegion: the Region called (a listed VPC counts only in its Regions).
    #[arg(long = "region", value_name = "REGION", value_parser = parse_region)]
    pub requested_region: Option<String>,

    /// The action requested.
    #[arg(long, default_value = scpctl_core::scenario::DEFAULT_ACTION)]
    pub action: String,

    /// The resource ARN requested. Leave out for "*" (only Resource "*" covers it).
    #[arg(long, value_name = "ARN")]
    pub resource: Option<String>,

    /// aws:PrincipalArn of the caller (a role's ARN, with its path).
    #[arg(long, value_name = "ARN", value_parser = parse_principal_arn)]
    pub principal_arn: Option<String>,

    /// The caller is in the organization's management account: SCPs do not apply.
    #[arg(long)]
    pub management_account: bool,

    /// The caller is a service-linked role: SCPs do not apply.
    #[arg(long)]
    pub service_linked_role: bool,

    /// Any other request context key (repeatable; a key given twice is multivalued), e.g.
    /// --context aws:PrincipalAccount=111122223333. Typed keys (aws:SourceIp, aws:CurrentTime,
    /// aws:MultiFactorAuthAge, ...) must hold a value of their type.
    #[arg(long = "context", value_name = "KEY=VALUE", value_parser = parse_context)]
    pub context: Vec<(String, String)>,

    /// Which rendered policy to evaluate; also how --policy files are read (scp: Version
    /// 2012-10-17 required, SCP exemptions apply; identity: Version optional).
    #[arg(long, default_value = "scp", value_parser = policy_kinds())]
    pub kind: Kind,

    /// Evaluate this policy JSON file instead of the one rendered from the config (repeatable).
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,

    /// Evaluate every *.json file in this directory, in name order.
    #[arg(long, value_name = "DIR", conflicts_with = "scenario")]
    pub policy_dir: Option<PathBuf>,

    /// An SCP chain, root first: each level needs an Allow that matches. Levels separated by
    /// commas (ROOT,OU,...,ACCOUNT), several files of one level joined with +.
    #[arg(
        long,
        value_name = "FILES",
        value_delimiter = ',',
        conflicts_with = "scenario"
    )]
    pub scp_chain: Vec<String>,

    /// Print the guide's test scenario as a table instead of evaluating one request.
    #[arg(long, conflicts_with_all = ["principal_type", "tags", "source_ip", "source_vpc", "source_vpce", "requested_region", "via_aws_service", "context", "resource", "principal_arn", "management_account", "service_linked_role", "phase"])]
    pub scenario: bool,

    /// With --scenario: print the table on one line per row however wide (by default a table
    /// wider than 100 columns is printed as one block per row).
    #[arg(long, requires = "scenario")]
    pub wide: bool,

    /// Also ask IAM's policy simulator (SimulateCustomPolicy, needs iam:SimulateCustomPolicy)
    /// the same request, the SCPs as the organization's levels, and print AWS's decision beside
    /// scpctl's; a difference exits 6. With --scenario, one call per row.
    #[arg(long)]
    pub online: bool,

    #[command(flatten)]
    pub connection: OnlineArgs,
}

/// Where `simulate --online` reaches AWS. `--region` of `simulate` is the request's
/// aws:RequestedRegion, so the Region of the call has its own flag; the others are the AWS flags
/// of every other command.
#[derive(Debug, Args, Clone)]
pub struct OnlineArgs {
    /// --online: named profile from ~/.aws/config (as AWS_PROFILE).
    #[arg(long, value_name = "NAME", requires = "online")]
    pub profile: Option<String>,

    /// --online: the Region the call is signed for (as AWS_REGION; IAM is global, us-east-1 when
    /// none is set). Not the request's aws:RequestedRegion, which is --region.
    #[arg(long, value_name = "REGION", value_parser = parse_region, requires = "online")]
    pub aws_region: Option<String>,

    /// --online: endpoint for AWS (as AWS_ENDPOINT_URL), e.g. http://localhost:4566.
    #[arg(long, value_name = "URL", requires = "online")]
    pub endpoint_url: Option<String>,

    /// --online: longest wait for one AWS operation, retries included.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::aws::config::DEFAULT_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

impl OnlineArgs {
    /// The AWS flags every other command takes, from these.
    pub fn aws(&self) -> crate::aws::config::AwsArgs {
        crate::aws::config::AwsArgs {
            profile: self.profile.clone(),
            region: self.aws_region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            timeout: self.timeout,
        }
    }
}
