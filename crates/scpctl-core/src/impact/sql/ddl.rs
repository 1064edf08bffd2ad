//! `impact --engine athena --emit-ddl`: the table the query expects. The columns are AWS's
//! CloudTrail table for Athena (Athena User Guide, "Create the table for CloudTrail logs in
//! Athena using partition projection"), of which the query reads `useridentity`, `eventtime`,
//! `eventsource`, `eventname`, `awsregion`, `sourceipaddress`, `eventid`, `eventtype` and
//! `vpcendpointid`; the partitions are the layout's.

use super::{quote, table_parts, SqlError, TableLayout};

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
    /// First day of the projected range, `yyyy/MM/dd`: Athena returns zero rows for days
    /// before it, so it must precede every day a later query asks for.
    pub start: &'a str,
}

/// The safe default start of `projection.timestamp.range`: CloudTrail's launch (November
/// 2013), before any trail's first day. Projection only lists the days a query's predicate
/// names, so an early start costs nothing.
pub const DEFAULT_PROJECTION_START: &str = "2013/11/01";

/// What the DDL says about corrupt files. The SerDe property that skips malformed JSON is
/// documented (Athena User Guide, "OpenX JSON SerDe", optional properties) for the OpenX JSON
/// SerDe only, not for the Hive JsonSerDe AWS's CloudTrail table uses, and it concerns JSON
/// syntax, not a broken gzip stream; so it is not set, and the comment says what to expect.
const CORRUPT_FILES_NOTE: &str =
    "-- A corrupt or truncated .json.gz under LOCATION probably fails the whole query (the local\n\
     -- replay reports such a file and goes on). 'ignore.malformed.json' is documented for the\n\
     -- OpenX JSON SerDe only, not for this Hive JsonSerDe, and concerns JSON syntax, not gzip:\n\
     -- it is not set. Move a corrupt file out of LOCATION, or replay locally.\n";

/// The `CREATE EXTERNAL TABLE` statement, with a comment saying what to fill in. The table is
/// checked as the query's is (letters, digits and `_` only: Athena's DDL refuses any other
/// special character) and backticked.
pub fn ddl(spec: &DdlSpec<'_>) -> Result<String, SqlError> {
    let table = table_parts(spec.table, false)?
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(".");
    let start_ok = spec.start.len() == 10
        && spec.start.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'/'
            } else {
                b.is_ascii_digit()
            }
        })
        && matches!(spec.start[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(spec.start[8..10].parse::<u8>(), Ok(1..=31));
    if !start_ok {
        return Err(SqlError::Usage(format!(
            "--projection-start {}: expected a date YYYY-MM-DD",
            crate::origin::excerpt(spec.start)
        )));
    }
    super::check_value("--trail-location", spec.location)?;
    let range_note = format!(
        "-- projection.timestamp.range starts at {}: Athena returns zero rows for days outside the\n\
         -- range, so it must precede the --since of every later query (--projection-start).\n",
        spec.start
    );
    let serde = "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'";
    let loc = spec.location.trim_end_matches('/');
    let regions = if spec.regions.is_empty() {
        "us-east-1,eu-west-1".to_string()
    } else {
        spec.regions.join(",")
    };
    Ok(match spec.layout {
        TableLayout::OrgProjection => format!(
            "-- Organization trail, partition projection: one table for every account and Region.\n\
             -- The account partition is injected: queries must name the accounts (impact --account ID).\n\
             -- projection.region.values lists the Regions to read (--trail-region, or edit the list).\n\
             {range_note}{CORRUPT_FILES_NOTE}CREATE EXTERNAL TABLE {table} (\n{COLUMNS}\n)\n\
             PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)\n{serde}\n\
             LOCATION {location}\n\
             TBLPROPERTIES (\n  'projection.enabled'='true',\n  'projection.account.type'='injected',\n  \
             'projection.region.type'='enum',\n  'projection.region.values'={regions},\n  \
             'projection.timestamp.type'='date',\n  'projection.timestamp.format'='yyyy/MM/dd',\n  \
             'projection.timestamp.interval'='1',\n  'projection.timestamp.interval.unit'='DAYS',\n  \
             'projection.timestamp.range'={range},\n  \
             'storage.location.template'={template}\n);\n",
            table = table,
            location = quote(&format!("{loc}/")),
            regions = quote(&regions),
            range = quote(&format!("{},NOW", spec.start)),
            template = quote(&format!("{loc}/${{account}}/CloudTrail/${{region}}/${{timestamp}}")),
        ),
        TableLayout::Projection => format!(
            "-- AWS's single account and Region table with partition projection: one table per\n\
             -- account and Region (LOCATION .../AWSLogs/ACCOUNT/CloudTrail/REGION).\n\
             {range_note}{CORRUPT_FILES_NOTE}CREATE EXTERNAL TABLE {table} (\n{COLUMNS}\n)\n\
             PARTITIONED BY (`timestamp` STRING)\n{serde}\n\
             LOCATION {location}\n\
             TBLPROPERTIES (\n  'projection.enabled'='true',\n  'projection.timestamp.type'='date',\n  \
             'projection.timestamp.format'='yyyy/MM/dd',\n  'projection.timestamp.interval'='1',\n  \
             'projection.timestamp.interval.unit'='DAYS',\n  'projection.timestamp.range'={range},\n  \
             'storage.location.template'={template}\n);\n",
            table = table,
            location = quote(&format!("{loc}/")),
            range = quote(&format!("{},NOW", spec.start)),
            template = quote(&format!("{loc}/${{timestamp}}")),
        ),
        TableLayout::Partitioned => format!(
            "-- Organization trail, manual partitions (Athena User Guide, \"Create a table for an\n\
             -- organization wide trail using manual partitioning\"): add each partition with\n\
             -- ALTER TABLE {table} ADD PARTITION (account='...', region='...', year='...', month='...', day='...')\n\
             -- LOCATION '{loc}/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/'\n\
             -- year, month and day exactly as in the S3 path: 4 digits, then 2 zero-padded (month='05',\n\
             -- day='01', never '5' or '1'); the query compares concat(year, '/', month, '/', day) as text.\n\
             {CORRUPT_FILES_NOTE}CREATE EXTERNAL TABLE {table} (\n{COLUMNS}\n)\n\
             PARTITIONED BY (account STRING, region STRING, year STRING, month STRING, day STRING)\n{serde}\n\
             LOCATION {location};\n",
            table = table,
            location = quote(&format!("{loc}/")),
        ),
    })
}
