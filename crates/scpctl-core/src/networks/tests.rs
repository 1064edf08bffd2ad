use super::*;

fn at() -> Origin {
    Origin::label("t")
}

fn vpc(id: &str, regions: &[&str]) -> RawVpc {
    RawVpc {
        id: (id.into(), at()),
        regions: regions.iter().map(|r| (r.to_string(), at())).collect(),
    }
}

#[test]
fn ids_are_vpc_or_vpce_with_8_or_17_hex_digits() {
    assert!(check_id("vpc-0a1b2c3d", "vpc-").is_ok());
    assert!(check_id("vpc-0a1b2c3d4e5f67890", "vpc-").is_ok());
    assert!(check_id("vpce-0a1b2c3d4e5f67890", "vpce-").is_ok());
    for bad in [
        "vpc-0A1B2C3D",
        "vpc-123",
        "vpce-0a1b2c3d",
        "vpc-0a1b2c3g",
        "",
        "vpc-0a1b2c3d4e5f6789",
    ] {
        assert!(check_id(bad, "vpc-").is_err(), "{bad}");
    }
}

#[test]
fn regions_of_known_partitions() {
    for ok in [
        "eu-west-1",
        "us-east-1",
        "ap-southeast-5",
        "cn-north-1",
        "cn-northwest-1",
        "us-gov-west-1",
        "us-iso-east-1",
        "us-isob-east-1",
        "il-central-1",
        "mx-central-1",
        "eusc-de-east-1",
        "ca-west-1",
    ] {
        assert!(check_region(ok).is_ok(), "{ok}");
    }
    for bad in [
        "eu-west",
        "EU-WEST-1",
        "eu-west-0",
        "xx-west-1",
        "eu-up-1",
        "us-gov-1",
        "eu-west-12",
        "",
    ] {
        assert!(check_region(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_same_vpc_twice_merges_its_regions_and_endpoints_are_deduplicated() {
    let (opts, warnings) = build(
        vec![
            vpc("vpc-0a1b2c3d", &["eu-west-1"]),
            vpc("vpc-11112222", &["us-east-1", "us-west-2"]),
            vpc("vpc-0a1b2c3d", &["eu-central-1", "eu-west-1"]),
        ],
        vec![
            ("vpce-0a1b2c3d4e5f67890".into(), at()),
            ("vpce-0a1b2c3d4e5f67890".into(), at()),
        ],
        false,
    )
    .unwrap();
    assert_eq!(opts.vpcs.len(), 2);
    assert_eq!(opts.vpcs[0].id, "vpc-0a1b2c3d");
    assert_eq!(opts.vpcs[0].regions, ["eu-central-1", "eu-west-1"]);
    assert_eq!(opts.vpc_endpoints, ["vpce-0a1b2c3d4e5f67890"]);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn a_vpc_with_one_region_warns_about_cross_region_privatelink() {
    let (_, warnings) = build(vec![vpc("vpc-0a1b2c3d", &["eu-west-1"])], vec![], false).unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("cross-Region PrivateLink"),
        "{warnings:?}"
    );
}

#[test]
fn bad_values_are_all_reported() {
    let errs = build(
        vec![
            vpc("vpc-xyz", &["eu-west-1"]),
            vpc("vpc-0a1b2c3d", &[]),
            vpc("vpc-11112222", &["mars-1"]),
        ],
        vec![("vpc-0a1b2c3d".into(), at())],
        false,
    )
    .unwrap_err();
    assert_eq!(errs.len(), 4, "{errs:?}");
    assert!(errs[0].contains("vpc-xyz"));
    assert!(errs[1].contains("lists no Region"));
    assert!(errs[2].contains("mars-1"));
    assert!(errs[3].contains("vpce-"));
}

#[test]
fn vpcs_with_the_same_regions_share_one_pinning_statement() {
    let (opts, _) = build(
        vec![
            vpc("vpc-0a1b2c3d", &["eu-west-1", "eu-central-1"]),
            vpc("vpc-11112222", &["eu-central-1", "eu-west-1"]),
            vpc("vpc-33334444", &["us-east-1", "us-west-2"]),
        ],
        vec![],
        false,
    )
    .unwrap();
    let groups = opts.region_groups();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].1, ["vpc-0a1b2c3d", "vpc-11112222"]);
}

#[test]
fn organization_ids_and_the_services_that_send_the_owner() {
    assert!(check_org_id("o-a1b2c3d4e5").is_ok());
    assert!(check_org_id(&format!("o-{}", "a".repeat(32))).is_ok());
    for bad in [
        "o-a1b2c3d4e",
        "o-A1B2C3D4E5",
        "r-a1b2c3d4e5",
        "o-",
        "",
        "o-a1b2c3d4e5 ",
    ] {
        assert!(check_org_id(bad).is_err(), "{bad:?}");
    }
    assert!(check_org_id(&format!("o-{}", "a".repeat(33))).is_err());
    assert!(populates_owner_keys("s3:GetObject") && populates_owner_keys("KMS:Decrypt"));
    assert!(!populates_owner_keys("ec2:DescribeInstances"));
    assert!(!populates_owner_keys("signin:Authenticate"));
    assert!(!populates_owner_keys("s3-outposts:GetObject"));
    let mut sorted = VPCE_OWNER_SERVICES.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, VPCE_OWNER_SERVICES, "kept sorted, each once");
}
