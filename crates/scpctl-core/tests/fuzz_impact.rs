//! Fuzzing by property: `impact` reads any bytes and any field values without panicking, and
//! the fast path agrees with `evaluate` on every request it builds.
//!
//! More cases: `FUZZ_CASES=100000 cargo test -p scpctl-core --test fuzz_impact --release`.

use proptest::prelude::*;
use scpctl_core::cidr::CidrSet;
use scpctl_core::config::Config;
use scpctl_core::impact::{
    candidate_addresses, map_record, read_records, MapOptions, Mapped, ReplayOptions, Replayer,
    TagSource, Tally, TimeRange, VerdictCache,
};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::render::{render, Layout, PolicyKind};
use serde_json::json;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn setup() -> (Replayer, CidrSet) {
    let config = Config::parse(
        "[network]\ncidrs = [\"192.0.2.0/24\", \"2001:db8:1234::/48\"]\n",
        "t.toml",
    )
    .unwrap();
    let cidrs = CidrSet::build(&config.network.cidrs, config.network.options, "t")
        .unwrap()
        .set;
    let doc = &render(&config, &cidrs, PolicyKind::Scp, Layout::Single).unwrap()[0];
    let tags = TagSource::from_map([(
        "arn:aws:iam::111122223333:user/a".to_string(),
        vec![("AccessException".to_string(), "True".to_string())],
    )])
    .unwrap();
    let opts = ReplayOptions {
        map: MapOptions {
            management_account: Some("999999999999".into()),
            accounts: Default::default(),
            time: TimeRange::parse(Some("2024-05-01"), None).unwrap(),
            users_only: false,
            signin: false,
        },
        tags,
        candidate_addresses: candidate_addresses(&cidrs),
        existing: Default::default(),
    };
    (
        Replayer::new(PolicyDocument::from_json(&doc.compact).unwrap(), opts).unwrap(),
        cidrs,
    )
}

/// Field values that matter, and noise.
fn value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(json!("IAMUser")),
        Just(json!("AssumedRole")),
        Just(json!("Root")),
        Just(json!("AWSService")),
        Just(json!("AWS Internal")),
        Just(json!("signin.amazonaws.com")),
        Just(json!("ec2.amazonaws.com")),
        Just(json!("192.0.2.9")),
        Just(json!("198.51.100.9")),
        Just(json!("2001:db8:1234::1")),
        Just(json!("035.1.2.3")),
        Just(json!("arn:aws:iam::111122223333:user/a")),
        Just(json!("arn:aws:iam::111122223333:role/aws-service-role/x/y")),
        Just(json!("arn:")),
        Just(json!("2024-05-02T00:00:00Z")),
        Just(json!("2024-05-0é:00:00:00Z")),
        Just(json!("AwsApiCall")),
        Just(json!(null)),
        Just(json!(7)),
        Just(json!([])),
        ".{0,24}".prop_map(|s| json!(s)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn any_bytes_are_read_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = read_records(&bytes, |_| {});
        let mut wrapped = b"{\"Records\":[".to_vec();
        wrapped.extend(&bytes);
        let _ = read_records(&wrapped, |_| {});
    }

    #[test]
    fn any_field_values_replay_without_panicking_and_the_cache_agrees(
        fields in proptest::collection::vec(value(), 14)
    ) {
        let (replayer, cidrs) = setup();
        let record = json!({
            "userIdentity": {"type": fields[0], "arn": fields[1], "accountId": fields[2], "principalId": fields[3],
                             "userName": fields[4], "sessionContext": {"sessionIssuer": {"arn": fields[5]},
                             "attributes": {"mfaAuthenticated": fields[6]}}},
            "eventTime": fields[7], "eventSource": fields[8], "eventName": fields[9], "awsRegion": fields[10],
            "sourceIPAddress": fields[11], "eventType": fields[12], "vpcEndpointId": fields[13], "eventID": "x",
        });
        let text = json!({"Records": [record]}).to_string();
        let mut cache = VerdictCache::default();
        let mut tally = Tally::default();
        let _ = read_records(text.as_bytes(), |r| {
            let outcome = replayer.replay(r, &mut cache).unwrap();
            tally.add(&outcome, &cidrs);
            if let Mapped::Request(req) = map_record(r, &replayer.options().map) {
                for (address, via) in replayer.combinations(&req) {
                    let fresh = &mut VerdictCache::default();
                    let ctx = replayer.context(&req, address, via);
                    assert_eq!(replayer.verdict(&req, address, via, None, fresh), replayer.verdict_uncached(&ctx, None));
                    assert_eq!(replayer.verdict(&req, address, via, None, &mut cache), replayer.verdict_uncached(&ctx, None));
                }
            }
        });
    }
}

/// A record of chosen principals, addresses and actions (fields that the tally keys on).
fn tallied_record() -> impl Strategy<Value = serde_json::Value> {
    (0..4usize, 0..5usize, 0..3usize, 0..3usize).prop_map(|(who, from, what, day)| {
        let users = ["a", "b", "c", "d"];
        let addresses = [
            "192.0.2.9",
            "198.51.100.9",
            "198.51.100.10",
            "2001:db8:9::1",
            "AWS Internal",
        ];
        let actions = ["GetObject", "PutObject", "ListBuckets"];
        json!({
            "userIdentity": {"type": if who == 3 { "AssumedRole" } else { "IAMUser" },
                             "arn": format!("arn:aws:iam::111122223333:user/{}", users[who]),
                             "accountId": if who == 2 { "444455556666" } else { "111122223333" },
                             "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/r"}}},
            "eventTime": format!("2024-05-0{}T00:00:00Z", day + 1),
            "eventSource": "s3.amazonaws.com", "eventName": actions[what], "awsRegion": "eu-west-1",
            "sourceIPAddress": addresses[from], "eventType": "AwsApiCall", "eventID": "x",
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// The threads' tallies merged (principals moved when one side has them only) are the
    /// tally of one thread that read every record.
    #[test]
    fn merged_tallies_equal_one_tally_of_every_record(
        records in proptest::collection::vec(tallied_record(), 0..40),
        cut in 0..40usize,
    ) {
        let (replayer, cidrs) = setup();
        let cut = cut.min(records.len());
        let tally_of = |records: &[serde_json::Value]| {
            let text = json!({"Records": records}).to_string();
            let mut cache = VerdictCache::default();
            let mut tally = Tally::default();
            read_records(text.as_bytes(), |r| {
                tally.add(&replayer.replay(r, &mut cache).unwrap(), &cidrs)
            });
            tally
        };
        let whole = tally_of(&records);
        let (first, second) = (tally_of(&records[..cut]), tally_of(&records[cut..]));
        let mut merged = first.clone();
        merged.merge(second.clone());
        prop_assert_eq!(&merged, &whole);
        // Into an empty tally (the first merge of a run), and the other way round.
        let mut from_empty = Tally::default();
        from_empty.merge(second.clone());
        from_empty.merge(first.clone());
        prop_assert_eq!(&from_empty, &whole);
    }
}
