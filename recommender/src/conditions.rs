//! Which condition codes are reasons for a drug: Synthea records social
//! determinants of health ("Full-time employment (finding)", "Stress
//! (finding)") as Condition resources. `data/condition_roles.tsv` (sources
//! in its header) lists the SNOMED CT findings and situations of the data
//! as `social` or `clinical`; the projection leaves the social ones out of a
//! patient's conditions, so no condition walk, similarity or evidence line
//! presents them as the reason for a medication.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use crate::error::{RecommendError, Result};

/// SNOMED CT finding or situation → `social` or `clinical`.
pub const CONDITION_ROLES: &str = include_str!("../data/condition_roles.tsv");

/// What a listed condition code is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionRole {
    /// A social determinant or an administrative situation: never a reason
    /// for a drug.
    Social,
    /// A clinical finding or situation: a condition like a disorder.
    Clinical,
}

/// The table of condition roles.
#[derive(Clone, Debug, Default)]
pub struct ConditionRoles {
    roles: HashMap<Arc<str>, (ConditionRole, Arc<str>)>,
}

static BUNDLED: LazyLock<Result<ConditionRoles>> =
    LazyLock::new(|| ConditionRoles::parse(CONDITION_ROLES));

impl ConditionRoles {
    /// Parses a table (format in the bundled file's header).
    pub fn parse(text: &str) -> Result<ConditionRoles> {
        let mut roles = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |message: &str| RecommendError::Table {
                table: "condition_roles.tsv",
                line: i + 1,
                message: message.to_owned(),
            };
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            if fields.len() < 2 || fields[0].is_empty() {
                return Err(bad("expected code<TAB>role<TAB>display"));
            }
            let role = match fields[1] {
                "social" => ConditionRole::Social,
                "clinical" => ConditionRole::Clinical,
                _ => return Err(bad("role must be social or clinical")),
            };
            let display = Arc::from(fields.get(2).copied().unwrap_or(""));
            if roles
                .insert(Arc::from(fields[0]), (role, display))
                .is_some()
            {
                return Err(bad("code listed twice"));
            }
        }
        Ok(ConditionRoles { roles })
    }

    /// The table shipped with the crate.
    pub fn bundled() -> Result<&'static ConditionRoles> {
        BUNDLED.as_ref().map_err(|e| RecommendError::Table {
            table: "condition_roles.tsv",
            line: 0,
            message: e.to_string(),
        })
    }

    /// The role of a listed code (`None`: not listed, a disorder).
    pub fn role(&self, code: &str) -> Option<ConditionRole> {
        self.roles.get(code).map(|&(role, _)| role)
    }

    /// The social codes with their display in the table.
    pub fn social(&self) -> impl Iterator<Item = (&str, &str)> {
        self.roles
            .iter()
            .filter(|(_, (role, _))| *role == ConditionRole::Social)
            .map(|(code, (_, display))| (&**code, &**display))
    }

    /// `true` for a social determinant or administrative situation.
    pub fn is_social(&self, code: &str) -> bool {
        self.role(code) == Some(ConditionRole::Social)
    }
}

/// `true` when the bundled table marks `code` social (the projection leaves
/// such conditions out).
pub fn is_social(code: &str) -> bool {
    ConditionRoles::bundled().is_ok_and(|t| t.is_social(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_table_parses_and_sorts_social_from_clinical() {
        let t = ConditionRoles::bundled().expect("the bundled table parses");
        assert!(t.is_social("160903007"), "Full-time employment");
        assert!(t.is_social("73595000"), "Stress");
        assert!(t.is_social("224299000"), "Received higher education");
        assert_eq!(t.role("714628002"), Some(ConditionRole::Clinical));
        assert_eq!(t.role("162864005"), Some(ConditionRole::Clinical));
        assert_eq!(t.role("59621000"), None, "a disorder is not listed");
        assert!(!is_social("38341003"));
    }

    #[test]
    fn malformed_lines_are_reported() {
        let err = ConditionRoles::parse("# h\n1\tsocial\tx\n2\tmaybe\ty\n").expect_err("bad role");
        assert!(
            matches!(err, RecommendError::Table { line: 3, .. }),
            "{err}"
        );
    }
}
