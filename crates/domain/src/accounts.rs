//! Application roles and what each may do.
//!
//! Every route of the web application names one [`Permission`]; [`Role::allows`] is the only
//! place that decides which role holds it. The table is deny-by-default: a permission not
//! listed for a role is refused.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::values::InvalidValue;

/// The role of a sign-in account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    /// Runs the program and administers everything.
    SecurityOfficial,
    /// Keeps the roster and completes obligations; cannot sign program decisions.
    Manager,
    /// A workforce member: sees what concerns everyone, such as who the Security Official is.
    Staff,
    /// Reads every record and changes nothing.
    Auditor,
}

impl Role {
    /// Every role, in the order pages list them.
    pub const ALL: [Role; 4] = [Role::SecurityOfficial, Role::Manager, Role::Staff, Role::Auditor];

    /// Returns the stored code of the role.
    pub fn code(self) -> &'static str {
        match self {
            Role::SecurityOfficial => "security_official",
            Role::Manager => "manager",
            Role::Staff => "staff",
            Role::Auditor => "auditor",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::SecurityOfficial => "Security Official",
            Role::Manager => "Manager",
            Role::Staff => "Staff member",
            Role::Auditor => "Auditor (read-only)",
        }
    }

    /// Decides whether this role holds `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;

        match self {
            Role::SecurityOfficial => true,
            Role::Manager => matches!(
                permission,
                SignedIn
                    | ViewProgram
                    | ViewWorkforce
                    | EditWorkforce
                    | CompleteObligations
                    | ViewEvidence
                    | ViewSanctions
                    | RecordSanctions
            ),
            Role::Staff => matches!(permission, SignedIn),
            Role::Auditor => matches!(permission, SignedIn | ViewProgram | ViewWorkforce | ViewEvidence | ViewLedger),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Role {
    type Err = InvalidValue;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.code() == code).ok_or_else(|| {
            InvalidValue::new(
                "role",
                format!("{code:?} is not a role; choose security_official, manager, staff or auditor"),
            )
        })
    }
}

/// Something a route lets a signed-in account do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Any signed-in account: home page, own password, the catalog, the Security Official's memo.
    SignedIn,
    /// Read the dashboard, calendar, designations and Addressable decisions.
    ViewProgram,
    /// Read the workforce roster and export it.
    ViewWorkforce,
    /// Add, change and import workforce members and their system accounts.
    EditWorkforce,
    /// Complete calendar instances and attach evidence.
    CompleteObligations,
    /// Download evidence files.
    ViewEvidence,
    /// Read the evidence ledger.
    ViewLedger,
    /// Designate the Security Official, sign Addressable decisions, change the calendar and
    /// the sanction levels.
    ManageProgram,
    /// Invite accounts and change their roles.
    ManageAccounts,
    /// Read the sanction levels and the sanctions applied to workforce members. The records
    /// name people and their violations, so auditors and staff do not hold it.
    ViewSanctions,
    /// Record a sanction applied to a workforce member.
    RecordSanctions,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>().unwrap(), role);
        }
    }

    #[test]
    fn auditor_cannot_change_anything() {
        for permission in [
            Permission::EditWorkforce,
            Permission::CompleteObligations,
            Permission::ManageProgram,
            Permission::ManageAccounts,
        ] {
            assert!(!Role::Auditor.allows(permission), "{permission:?}");
        }
    }

    #[test]
    fn manager_cannot_sign_program_decisions() {
        assert!(!Role::Manager.allows(Permission::ManageProgram));
        assert!(!Role::Manager.allows(Permission::ManageAccounts));
        assert!(Role::Manager.allows(Permission::EditWorkforce));
    }

    #[test]
    fn sanctions_only_for_security_official_and_manager() {
        for permission in [Permission::ViewSanctions, Permission::RecordSanctions] {
            assert!(Role::SecurityOfficial.allows(permission), "{permission:?}");
            assert!(Role::Manager.allows(permission), "{permission:?}");
            assert!(!Role::Auditor.allows(permission), "{permission:?}");
            assert!(!Role::Staff.allows(permission), "{permission:?}");
        }
    }

    #[test]
    fn staff_only_signed_in_pages() {
        assert!(Role::Staff.allows(Permission::SignedIn));
        assert!(!Role::Staff.allows(Permission::ViewProgram));
        assert!(!Role::Staff.allows(Permission::ViewWorkforce));
    }
}
