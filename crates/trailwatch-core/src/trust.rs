//! The trusted set: the accounts and AWS Organizations whose access to S3
//! data is expected (`[trust]` in the configuration file).
//!
//! Grants and deliveries to any other account are findings of their own
//! (`cross-account-access`, `cross-account-delivery`), but only once a
//! trusted set is configured: without one, nothing says which accounts are
//! foreign, and those rules stay off. The account a record belongs to is
//! always trusted.

use std::collections::BTreeSet;

/// Accounts and organization IDs whose access is expected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    accounts: BTreeSet<String>,
    organizations: BTreeSet<String>,
}

impl Trust {
    /// A trusted set of 12-digit account IDs and `o-...` organization IDs
    /// (validated by the configuration parser).
    pub fn new(
        accounts: impl IntoIterator<Item = String>,
        organizations: impl IntoIterator<Item = String>,
    ) -> Self {
        Trust {
            accounts: accounts.into_iter().collect(),
            organizations: organizations
                .into_iter()
                .map(|o| o.to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a trusted set was configured at all: the cross-account rules
    /// run only then.
    pub fn is_configured(&self) -> bool {
        !self.accounts.is_empty() || !self.organizations.is_empty()
    }

    /// Whether `account` is trusted, from a record belonging to `own`.
    pub(crate) fn trusts_account(&self, own: &str, account: &str) -> bool {
        account == own || self.accounts.contains(account)
    }

    /// Whether `organization` (an `o-...` ID) is trusted.
    pub(crate) fn trusts_organization(&self, organization: &str) -> bool {
        self.organizations
            .contains(&organization.trim().to_ascii_lowercase())
    }
}

/// A 12-digit AWS account ID.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An AWS Organizations ID: `o-` and 10 to 32 lowercase letters or digits.
pub(crate) fn is_organization_id(s: &str) -> bool {
    s.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_account_is_always_trusted_and_ids_are_checked() {
        let trust = Trust::new(["444455556666".to_owned()], ["o-a1b2c3d4e5".to_owned()]);
        assert!(trust.is_configured());
        assert!(trust.trusts_account("111122223333", "111122223333"));
        assert!(trust.trusts_account("111122223333", "444455556666"));
        assert!(!trust.trusts_account("111122223333", "777788889999"));
        assert!(trust.trusts_organization("O-A1B2C3D4E5"));
        assert!(!trust.trusts_organization("o-zzzzzzzzzz"));
        assert!(!Trust::default().is_configured());
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("12345678901"));
        assert!(is_organization_id("o-a1b2c3d4e5"));
        assert!(!is_organization_id("o-short"));
        assert!(!is_organization_id("r-a1b2c3d4e5"));
    }
}
