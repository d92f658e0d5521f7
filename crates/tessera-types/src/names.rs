//! Name and identifier rules, byte for byte those of SpiceDB.
//!
//! Each rule is a hand-written matcher for one of SpiceDB's regular expressions (quoted on the
//! function) plus its byte limit; a matcher is a few comparisons per byte, which keeps
//! validation off the profile of every request that carries names.

use crate::error::TypesError;

/// Longest object type or definition name, in bytes.
pub const MAX_TYPE_LEN: usize = 128;
/// Longest relation or permission name, in bytes.
pub const MAX_RELATION_LEN: usize = 64;
/// Longest object id, in bytes.
pub const MAX_OBJECT_ID_LEN: usize = 1024;
/// Longest caveat name, in bytes.
pub const MAX_CAVEAT_NAME_LEN: usize = 128;

/// The object id that stands for "every subject of the type" (a public wildcard).
pub const WILDCARD_ID: &str = "*";
/// The subject relation meaning "the object itself", written `...`.
pub const ELLIPSIS: &str = "...";

/// What kind of name is being checked; selects the rule and names it in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// A definition name in a schema: `([a-z][a-z0-9_]{1,62}[a-z0-9]/)*[a-z][a-z0-9_]{1,62}[a-z0-9]`.
    Definition,
    /// An object type in the API and in relationship text; like a definition name, but each
    /// prefix segment is at most 63 bytes: `([a-z][a-z0-9_]{1,61}[a-z0-9]/)*[a-z][a-z0-9_]{1,62}[a-z0-9]`.
    ObjectType,
    /// A relation or permission name: `[a-z][a-z0-9_]{1,62}[a-z0-9]`.
    Relation,
    /// A resource object id: `[a-zA-Z0-9/_|\-=+]+`.
    ResourceId,
    /// A subject object id: `([a-zA-Z0-9/_|\-=+]+)|\*`.
    SubjectId,
    /// A caveat name as the API carries it: `[a-zA-Z0-9_][a-zA-Z0-9/_|-]{0,127}`.
    Caveat,
}

impl NameKind {
    /// The noun used for this kind in error messages.
    pub fn noun(self) -> &'static str {
        match self {
            NameKind::Definition => "definition name",
            NameKind::ObjectType => "object type",
            NameKind::Relation => "relation name",
            NameKind::ResourceId => "object id",
            NameKind::SubjectId => "subject id",
            NameKind::Caveat => "caveat name",
        }
    }

    /// The rule this kind follows, phrased for a user who broke it.
    pub fn rule(self) -> &'static str {
        match self {
            NameKind::Definition | NameKind::ObjectType => {
                "must be 3 to 64 characters of lowercase letters, digits and `_`, starting with a \
                 letter and not ending with `_`, optionally prefixed by `prefix/` segments of the \
                 same form"
            }
            NameKind::Relation => {
                "must be 3 to 64 characters of lowercase letters, digits and `_`, starting with a \
                 letter and not ending with `_`"
            }
            NameKind::ResourceId => "must be 1 to 1024 characters of letters, digits and `/_|-=+`",
            NameKind::SubjectId => {
                "must be `*` or 1 to 1024 characters of letters, digits and `/_|-=+`"
            }
            NameKind::Caveat => {
                "must be 1 to 128 characters of letters, digits and `/_|-`, not starting with \
                 `/`, `|` or `-`"
            }
        }
    }

    fn max_len(self) -> usize {
        match self {
            NameKind::Definition | NameKind::ObjectType => MAX_TYPE_LEN,
            NameKind::Relation => MAX_RELATION_LEN,
            NameKind::ResourceId | NameKind::SubjectId => MAX_OBJECT_ID_LEN,
            NameKind::Caveat => MAX_CAVEAT_NAME_LEN,
        }
    }

    /// Whether `s` follows this kind's rule, including the byte limit.
    pub fn matches(self, s: &str) -> bool {
        if s.len() > self.max_len() {
            return false;
        }
        match self {
            NameKind::Definition => is_path_name(s, 64),
            NameKind::ObjectType => is_path_name(s, 63),
            NameKind::Relation => is_segment(s.as_bytes(), 64),
            NameKind::ResourceId => is_object_id(s),
            NameKind::SubjectId => s == WILDCARD_ID || is_object_id(s),
            NameKind::Caveat => is_caveat_name(s),
        }
    }

    /// Checks `s` against this kind's rule.
    ///
    /// # Errors
    /// [`TypesError::InvalidName`] naming the input and the rule it breaks.
    pub fn check(self, s: &str) -> Result<(), TypesError> {
        if self.matches(s) {
            Ok(())
        } else {
            Err(TypesError::InvalidName {
                kind: self,
                name: s.to_owned(),
            })
        }
    }
}

/// `[a-z][a-z0-9_]{1,N-2}[a-z0-9]`: one segment of a type name, or a relation name.
fn is_segment(s: &[u8], max_len: usize) -> bool {
    let (Some(first), Some(last)) = (s.first(), s.last()) else {
        return false;
    };
    (3..=max_len).contains(&s.len())
        && first.is_ascii_lowercase()
        && (last.is_ascii_lowercase() || last.is_ascii_digit())
        && s.iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Segments separated by `/`; prefix segments at most `max_prefix_len` bytes, the last 64.
fn is_path_name(s: &str, max_prefix_len: usize) -> bool {
    let mut segments = s.split('/').rev();
    let last = segments.next().unwrap_or_default();
    is_segment(last.as_bytes(), 64)
        && segments.all(|seg| is_segment(seg.as_bytes(), max_prefix_len))
}

fn is_object_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'|' | b'-' | b'=' | b'+')
}

fn is_object_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_object_id_byte)
}

fn is_caveat_name(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    (first.is_ascii_alphanumeric() || first == b'_')
        && bytes[1..]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'|' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_names_follow_spicedb() {
        for ok in [
            "abc",
            "a_b",
            "viewer",
            "a12",
            &format!("a{}b", "x".repeat(62)),
        ] {
            assert!(NameKind::Relation.matches(ok), "{ok}");
        }
        for bad in [
            "",
            "ab",
            "Abc",
            "1ab",
            "ab_",
            "a-b",
            "a.b",
            &format!("a{}b", "x".repeat(63)),
        ] {
            assert!(!NameKind::Relation.matches(bad), "{bad}");
        }
    }

    #[test]
    fn type_names_may_have_path_prefixes() {
        for ok in ["user", "test/user", "a_b/c_d/e_f", "org1/team2"] {
            assert!(NameKind::Definition.matches(ok), "{ok}");
            assert!(NameKind::ObjectType.matches(ok), "{ok}");
        }
        for bad in [
            "/user",
            "user/",
            "te//user",
            "ab/user",
            "Test/user",
            "user/ab",
        ] {
            assert!(!NameKind::Definition.matches(bad), "{bad}");
        }
    }

    #[test]
    fn api_object_types_allow_shorter_prefix_segments_only() {
        let prefix64 = format!("a{}b", "x".repeat(62));
        let name = format!("{prefix64}/user");
        assert!(NameKind::Definition.matches(&name));
        assert!(!NameKind::ObjectType.matches(&name));
    }

    #[test]
    fn type_names_are_limited_to_128_bytes() {
        let seg = format!("a{}b", "x".repeat(40));
        let long = [seg.as_str(); 4].join("/");
        assert!(long.len() > MAX_TYPE_LEN);
        assert!(!NameKind::Definition.matches(&long));
    }

    #[test]
    fn object_ids_and_wildcards() {
        for ok in ["1", "abc", "A-Z_9/x|y=z+w"] {
            assert!(NameKind::ResourceId.matches(ok), "{ok}");
            assert!(NameKind::SubjectId.matches(ok), "{ok}");
        }
        assert!(!NameKind::ResourceId.matches("*"));
        assert!(NameKind::SubjectId.matches("*"));
        for bad in ["", "a b", "a:b", "a#b", "a@b", "a*", "é", &"x".repeat(1025)] {
            assert!(!NameKind::ResourceId.matches(bad), "{bad}");
            assert!(!NameKind::SubjectId.matches(bad), "{bad}");
        }
    }

    #[test]
    fn caveat_names() {
        for ok in ["c", "_x", "Is_Weekday", "org/cav-1|x"] {
            assert!(NameKind::Caveat.matches(ok), "{ok}");
        }
        for bad in ["", "-x", "/x", "a b", &"x".repeat(129)] {
            assert!(!NameKind::Caveat.matches(bad), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_input_and_the_rule() {
        let err = NameKind::Relation.check("Viewer").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid relation name `Viewer`: must be 3 to 64 characters of lowercase letters, \
             digits and `_`, starting with a letter and not ending with `_`"
        );
    }
}
