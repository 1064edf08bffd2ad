//! IAM entity names, checked before anything is sent to AWS.
//!
//! IAM API Reference, `CreateUser` / `CreateRole` request parameters: `UserName` and `RoleName`
//! are 1 to 64 characters matching `[\w+=,.@-]+` (ASCII letters, digits, underscore and
//! `+=,.@-`; commas are allowed here, unlike in tag values).

pub const IAM_NAME_MAX: usize = 64;

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// Check an IAM user or role name; `what` names it in the message ("user name").
pub fn check_iam_name(what: &str, name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if len == 0 || len > IAM_NAME_MAX {
        return Err(format!(
            "an IAM {what} must be 1 to {IAM_NAME_MAX} characters (it has {len})"
        ));
    }
    if let Some(c) = name.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "character {c:?} is not allowed in an IAM {what} (ASCII letters, digits and _+=,.@- only)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_names_follow_the_api_pattern() {
        for ok in ["svc-legacy", "a", "user+x=y,z.w@v_1", &"n".repeat(64)] {
            assert!(check_iam_name("user name", ok).is_ok(), "{ok}");
        }
        assert!(check_iam_name("user name", "")
            .unwrap_err()
            .contains("1 to 64"));
        assert!(check_iam_name("user name", &"n".repeat(65))
            .unwrap_err()
            .contains("it has 65"));
        for bad in ["has space", "slash/x", "é", "a:b", "semi;colon"] {
            let e = check_iam_name("role name", bad).unwrap_err();
            assert!(e.contains("not allowed in an IAM role name"), "{bad}: {e}");
        }
    }
}
