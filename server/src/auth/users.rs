//! The users file: who may log in to Bolt with the `basic` scheme.
//!
//! A TOML file of `[[user]]` tables:
//!
//! ```toml
//! [[user]]
//! name = "ann"
//! hash = "$argon2id$v=19$m=19456,t=2,p=1$..."   # Argon2 PHC string
//! role = "clinician"                            # admin, clinician, analyst, service
//! orgs = ["org-1"]                              # clinicians: their organizations
//! # scope = "analyst"                           # service users: the role they act with
//! ```
//!
//! `caregraph user add` writes it; passwords are never stored, only their
//! Argon2id hashes.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};

use super::error::{AuthError, ConfigError};
use super::{Principal, Role};

/// One user of the file.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// The user name (Bolt's `principal`).
    pub name: String,
    /// The Argon2 hash of the password, as a PHC string.
    pub hash: String,
    /// The role.
    pub role: Role,
    /// Organization ids (clinicians).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orgs: Vec<String>,
    /// The role a service user acts with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl fmt::Debug for UserEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserEntry")
            .field("name", &self.name)
            .field("hash", &"<hidden>")
            .field("role", &self.role)
            .field("orgs", &self.orgs)
            .field("scope", &self.scope)
            .finish()
    }
}

impl UserEntry {
    fn principal(&self) -> Result<Principal, AuthError> {
        Principal::new(
            self.name.clone(),
            self.role,
            self.orgs.clone(),
            self.scope.clone(),
        )
    }
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersDocument {
    #[serde(default, rename = "user")]
    users: Vec<UserEntry>,
}

/// The users of a users file, checked when loaded.
pub struct Users {
    by_name: HashMap<String, UserEntry>,
    /// A hash to check unknown names against, so that they take as long
    /// as wrong passwords.
    decoy: String,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.by_name.keys().collect();
        names.sort();
        f.debug_struct("Users")
            .field("names", &names)
            .finish_non_exhaustive()
    }
}

/// The Argon2id hash (PHC string) of `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String, ConfigError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ConfigError::Hash(e.to_string()))
}

fn read_document(path: &Path) -> Result<UsersDocument, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        what: "the users file",
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::BadUsers {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn check_entry(entry: &UserEntry) -> Result<(), ConfigError> {
    let bad = |reason: String| ConfigError::BadUser {
        name: entry.name.clone(),
        reason,
    };
    if entry.name.is_empty() {
        return Err(bad("the name is empty".into()));
    }
    PasswordHash::new(&entry.hash)
        .map_err(|e| bad(format!("`hash` is not an Argon2 PHC string: {e}")))?;
    entry.principal().map_err(|e| bad(e.to_string()))?;
    Ok(())
}

impl Users {
    /// Reads and checks a users file.
    pub fn load(path: &Path) -> Result<Users, ConfigError> {
        let document = read_document(path)?;
        let mut by_name = HashMap::new();
        for entry in document.users {
            check_entry(&entry)?;
            if by_name.contains_key(&entry.name) {
                return Err(ConfigError::BadUser {
                    name: entry.name,
                    reason: format!("listed twice in {}", path.display()),
                });
            }
            by_name.insert(entry.name.clone(), entry);
        }
        Ok(Users {
            by_name,
            decoy: hash_password("decoy password")?,
        })
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// `true` when the file lists nobody.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The principal of `name` when `password` is right.
    pub fn verify(&self, name: &str, password: &str) -> Result<Principal, AuthError> {
        let entry = self.by_name.get(name);
        let hash = entry.map_or(self.decoy.as_str(), |e| e.hash.as_str());
        let right = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        match entry {
            Some(entry) if right => entry.principal(),
            _ => Err(AuthError::BadPassword),
        }
    }
}

/// Adds `entry` to the users file at `path` (made when missing), or
/// replaces the user of the same name. Returns `true` when a user was
/// replaced. The file is written whole to a temporary file first, then
/// renamed over the old one; on Unix it is readable by its owner only.
pub fn add_user(path: &Path, entry: UserEntry) -> Result<bool, ConfigError> {
    check_entry(&entry)?;
    let mut document = if path.exists() {
        read_document(path)?
    } else {
        UsersDocument::default()
    };
    let replaced = match document.users.iter_mut().find(|u| u.name == entry.name) {
        Some(existing) => {
            *existing = entry;
            true
        }
        None => {
            document.users.push(entry);
            false
        }
    };
    let text = toml::to_string_pretty(&document).map_err(|e| ConfigError::BadUsers {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let write_error = |source| ConfigError::Write {
        path: path.to_owned(),
        source,
    };
    let file_name = path
        .file_name()
        .map_or_else(|| "users".into(), |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{file_name}.tmp"));
    write_private(&temporary, text.as_bytes()).map_err(write_error)?;
    std::fs::rename(&temporary, path).map_err(write_error)?;
    Ok(replaced)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, password: &str, role: Role, orgs: &[&str]) -> UserEntry {
        UserEntry {
            name: name.into(),
            hash: hash_password(password).expect("hash"),
            role,
            orgs: orgs.iter().map(|o| (*o).to_owned()).collect(),
            scope: None,
        }
    }

    #[test]
    fn users_are_added_loaded_and_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("users.toml");
        assert!(!add_user(&path, entry("ann", "first", Role::Admin, &[])).expect("add"));
        assert!(!add_user(&path, entry("cy", "pw-cy", Role::Clinician, &["o1"])).expect("add"));
        // Replacing ann changes her password.
        assert!(add_user(&path, entry("ann", "second", Role::Admin, &[])).expect("replace"));
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("$argon2id$"), "{text}");
        assert!(!text.contains("second"), "no password in the file: {text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let users = Users::load(&path).expect("load");
        assert_eq!(users.len(), 2);
        let ann = users.verify("ann", "second").expect("right password");
        assert_eq!((ann.sub.as_str(), ann.role), ("ann", Role::Admin));
        assert_eq!(users.verify("ann", "first"), Err(AuthError::BadPassword));
        assert_eq!(
            users.verify("nobody", "second"),
            Err(AuthError::BadPassword)
        );
        let cy = users.verify("cy", "pw-cy").expect("clinician");
        assert_eq!(cy.orgs, vec!["o1".to_owned()]);
        assert!(!format!("{users:?}").contains("argon2"));
    }

    #[test]
    fn bad_entries_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("users.toml");
        // A clinician without organizations.
        assert!(matches!(
            add_user(&path, entry("cy", "pw", Role::Clinician, &[])),
            Err(ConfigError::BadUser { .. })
        ));
        std::fs::write(
            &path,
            "[[user]]\nname = \"x\"\nhash = \"plain\"\nrole = \"admin\"\n",
        )
        .expect("write");
        let err = Users::load(&path).expect_err("not a PHC string");
        assert!(err.to_string().contains("user `x`"), "{err}");
        std::fs::write(
            &path,
            "[[user]]\nname = \"x\"\nhash = \"plain\"\nrole = \"root\"\n",
        )
        .expect("write");
        assert!(matches!(
            Users::load(&path),
            Err(ConfigError::BadUsers { .. })
        ));
    }
}
