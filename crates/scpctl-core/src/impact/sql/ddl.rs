//! `impact --engine athena --emit-ddl`: the table the query expects. The columns are AWS's
//! CloudTrail table for Athena (Athena User Guide, "Create the table for CloudTrail logs in
//! Athena using partition projection"), of which the query reads `useridentity`, `eventtime`,
//! `eventsource`, `eventname`, `awsregion`, `sourceipaddress`, `eventid`, `eventtype` and
//! `vpcendpointid`; the partitions are the layout's.

use super::{quote, TableLayout};

const COLUMNS: &str = "  eventversion STRING,
  useridentity STRUCT<
    type: STRING, principalid: STRING, arn: STRING, accountid: STRING, invokedby: STRING,
    accesskeyid: STRING, username: STRING,
    onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
      sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<federatedprovider: STRING, attributes: map<string,string>>>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  vpcendpointaccountid STRING,
  eventcategory STRING,
  sessioncredentialfromconsole STRING";

/// Where the trail's files are: `s3://BUCKET/AWSLogs/o-ORG` for an organization trail,
/// `s3://BUCKET/AWSLogs/ACCOUNT/CloudTrail/REGION` for one account and Region.
pub struct DdlSpec<'a> {
    pub table: &'a str,
    pub layout: TableLayout,
    /// Without a trailing `/`; placeholders when not given.
    pub location: &'a str,
    pub regions: &'a [String],
    /// First day of the projected range, `yyyy/MM/dd`.
    pub start: &'a str,
}

/// The `CREATE EXTERNAL TABLE` statement, with a comment saying what to fill in.
pub fn ddl(spec: &DdlSpec<'_>) -> String {
    let serde = "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'";
    let loc = spec.location.trim_end_matches('/');
    let regions = if spec.regions.is_empty() {
        "us-east-1,eu-west-1".to_string()
    } else {
        spec.regions.join(",")
    };
    match spec.layout {
        TableLayout::OrgProjection => format!(
            "-- Organization trail, partition projection: one table for every account and Region.\n\
             -- The account partition is injected: queries must name the accounts (impact --account ID).\n\
             -- projection.region.values lists the Regions to read (--trail-region, or edit the list).\n\
             CREATE EXTERNAL TABLE {table} (\n{COLUMNS}\n)\n\
             PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)\n{serde}\n\
             LOCATION {location}\n\
             TBLPROPERTIES (\n  'projection.enabled'='true',\n  'projection.account.type'='injected',\n  \
             'projection.region.type'='enum',\n  'projection.region.values'={regions},\n  \
             'projection.timestamp.type'='date',\n  'projection.timestamp.format'='yyyy/MM/dd',\n  \
             'projection.timestamp.interval'='1',\n  'projection.timestamp.interval.unit'='DAYS',\n  \
             'projection.timestamp.range'={range},\n  \
             'storage.location.template'={template}\n);\n",
            table = spec.table,
            location = quote(&format!("{loc}/")),
            regions = quote(&regions),
            range = quote(&format!("{},NOW", spec.start)),
            template = quote(&format!("{loc}/${{account}}/CloudTrail/${{region}}/${{timestamp}}")),
        ),
        TableLayout::Projection => format!(
            "-- AWS's single account and Region table with partition projection: one table per\n\
             -- account and Region (LOCATION .../AWSLogs/ACCOUNT/CloudTrail/REGION).\n\
             CREATE EXTERNAL TABLE {table} (\n{COLUMNS}\n)\n\
             PARTITIONED BY (`timestamp` STRING)\n{serde}\n\
             LOCATION {location}\n\
             TBLPROPERTIES (\n  'projection.enabled'='true',\n  'projection.timestamp.type'='date',\n  \
             'projection.timestamp.format'='yyyy/MM/dd',\n  'projection.timestamp.interval'='1',\n  \
             'projection.timestamp.interval.unit'='DAYS',\n  'projection.timestamp.range'={range},\n  \
             'storage.location.template'={template}\n);\n",
            table = spec.table,
            location = quote(&format!("{loc}/")),
            range = quote(&format!("{},NOW", spec.start)),
            template = quote(&format!("{loc}/${{timestamp}}")),
        ),
        TableLayout::Partitioned => format!(
            "-- Organization trail, manual partitions (Athena User Guide, \"Create a table for an\n\
             -- organization wide trail using manual partitioning\"): add each partition with\n\
             -- ALTER TABLE {table} ADD PARTITION (account='...', region='...', year='...', month='...', day='...')\n\
             -- LOCATION '{loc}/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/'\n\
             CREATE EXTERNAL TABLE {table} (\n{COLUMNS}\n)\n\
             PARTITIONED BY (account STRING, region STRING, year STRING, month STRING, day STRING)\n{serde}\n\
             LOCATION {location};\n",
            table = spec.table,
            location = quote(&format!("{loc}/")),
        ),
    }
}
