//! The relationship text syntax used by test files, the CLI and logs:
//! `type:id#relation@subject_type:subject_id[#subject_relation][caveat[:{json}]][expiration:RFC3339]`.

use std::str::FromStr;

use serde_json::Value;

use crate::error::TypesError;
use crate::names::{ELLIPSIS, NameKind};
use crate::refs::{ObjectRef, SubjectRef};
use crate::relationship::{ContextualizedCaveat, Relationship, Timestamp};

const EXPIRATION_BLOCK: &str = "expiration";

/// A cursor over relationship text that reports errors by column.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Consumes bytes up to (not including) the first of `stops`, or to the end.
    fn take_until(&mut self, stops: &[u8]) -> (usize, &'a str) {
        let start = self.pos;
        let len = self
            .rest()
            .bytes()
            .position(|b| stops.contains(&b))
            .unwrap_or(self.rest().len());
        self.pos += len;
        (start, &self.text[start..self.pos])
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8, after: &str) -> Result<(), TypesError> {
        if self.eat(byte) {
            return Ok(());
        }
        let found = match self.peek() {
            Some(_) => format!("found `{}`", self.rest().chars().next().unwrap_or_default()),
            None => "found the end of the text".to_owned(),
        };
        Err(self.error(
            self.pos,
            format!("expected `{}` after {after}, {found}", byte as char),
        ))
    }

    fn error(&self, at: usize, message: String) -> TypesError {
        let column = self.text[..at].chars().count() + 1;
        TypesError::Syntax {
            text: self.text.to_owned(),
            column,
            message,
        }
    }

    /// Takes a part ending at one of `stops` and checks it against `kind`.
    fn part(&mut self, kind: NameKind, stops: &[u8]) -> Result<&'a str, TypesError> {
        let (start, part) = self.take_until(stops);
        if part.is_empty() {
            return Err(self.error(start, format!("expected a {}", kind.noun())));
        }
        if !kind.matches(part) {
            return Err(self.error(start, format!("{} `{part}` {}", kind.noun(), kind.rule())));
        }
        Ok(part)
    }

    fn finish(&self) -> Result<(), TypesError> {
        match self.rest() {
            "" => Ok(()),
            rest => Err(self.error(self.pos, format!("unexpected `{rest}` at the end"))),
        }
    }

    /// `type:id`, the id ending at one of `id_stops`.
    fn object(
        &mut self,
        id_kind: NameKind,
        id_stops: &[u8],
    ) -> Result<(&'a str, &'a str), TypesError> {
        let object_type = self.part(NameKind::ObjectType, b":")?;
        self.expect(b':', "the object type")?;
        let object_id = self.part(id_kind, id_stops)?;
        Ok((object_type, object_id))
    }

    /// `type:id[#relation]`, the optional relation ending at `[` or the end.
    fn subject(&mut self) -> Result<SubjectRef, TypesError> {
        let start = self.pos;
        let (object_type, object_id) = self.object(NameKind::SubjectId, b"#[")?;
        let relation = if self.eat(b'#') {
            let (rel_start, relation) = self.take_until(b"[");
            if relation != ELLIPSIS {
                self.pos = rel_start;
                self.part(NameKind::Relation, b"[")?;
            }
            Some(relation.to_owned())
        } else {
            None
        };
        SubjectRef::new(object_type, object_id, relation)
            .map_err(|err| self.error(start, err.to_string()))
    }

    /// `[name]` or `[name:{json}]` after the subject.
    fn caveat(
        &mut self,
        name_start: usize,
        name: &str,
    ) -> Result<ContextualizedCaveat, TypesError> {
        if !NameKind::ObjectType.matches(name) {
            let rule = NameKind::ObjectType.rule();
            return Err(self.error(name_start, format!("caveat name `{name}` {rule}")));
        }
        let mut context = serde_json::Map::new();
        if self.eat(b':') {
            let json_start = self.pos;
            let mut values = serde_json::Deserializer::from_str(self.rest()).into_iter::<Value>();
            match values.next() {
                Some(Ok(Value::Object(map))) => context = map,
                _ => {
                    let message = format!("caveat `{name}` context must be a JSON object");
                    return Err(self.error(json_start, message));
                }
            }
            self.pos += values.byte_offset();
        }
        self.expect(b']', "the caveat")?;
        ContextualizedCaveat::new(name, context)
            .map_err(|err| self.error(name_start, err.to_string()))
    }

    /// The RFC 3339 time of an `[expiration:...]` block, after the colon.
    fn expiration(&mut self) -> Result<Timestamp, TypesError> {
        let (start, text) = self.take_until(b"]");
        let allowed = |c: char| c.is_ascii_digit() || matches!(c, '-' | '.' | ':' | 'T' | 'Z');
        let parsed = text
            .chars()
            .all(allowed)
            .then(|| text.parse::<Timestamp>().ok())
            .flatten();
        let Some(expires_at) = parsed else {
            let message = format!(
                "expiration `{text}` must be an RFC 3339 time in UTC, e.g. `2030-01-01T00:00:00Z`"
            );
            return Err(self.error(start, message));
        };
        self.expect(b']', "the expiration time")?;
        Ok(expires_at)
    }
}

impl FromStr for Relationship {
    type Err = TypesError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut scanner = Scanner::new(text);
        let (resource_type, resource_id) = scanner.object(NameKind::ResourceId, b"#")?;
        scanner.expect(b'#', "the object id")?;
        let relation = scanner.part(NameKind::Relation, b"@")?;
        scanner.expect(b'@', "the relation")?;
        let subject = scanner.subject()?;
        let resource = ObjectRef::new(resource_type, resource_id)?;
        let mut relationship = Relationship::new(resource, relation, subject)?;

        let (mut caveat, mut expires_at) = (None, None);
        while scanner.eat(b'[') {
            let (name_start, name) = scanner.take_until(b":]");
            let is_expiration = name == EXPIRATION_BLOCK
                && scanner.rest().starts_with(':')
                && !scanner.rest()[1..].starts_with('{');
            if is_expiration && expires_at.is_none() {
                scanner.pos += 1;
                expires_at = Some(scanner.expiration()?);
            } else if !is_expiration && caveat.is_none() && expires_at.is_none() {
                caveat = Some(scanner.caveat(name_start, name)?);
            } else {
                let message = "a relationship takes at most one caveat, then at most one \
                               expiration, in that order";
                return Err(scanner.error(name_start - 1, message.to_owned()));
            }
        }
        scanner.finish()?;
        relationship = relationship.with_caveat(caveat).with_expiration(expires_at);
        Ok(relationship)
    }
}

impl FromStr for ObjectRef {
    type Err = TypesError;

    /// Parses `type:id`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut scanner = Scanner::new(text);
        let (object_type, object_id) = scanner.object(NameKind::ResourceId, b"")?;
        scanner.finish()?;
        ObjectRef::new(object_type, object_id)
    }
}

impl FromStr for SubjectRef {
    type Err = TypesError;

    /// Parses `type:id`, `type:id#relation` or `type:*`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut scanner = Scanner::new(text);
        let subject = scanner.subject()?;
        scanner.finish()?;
        Ok(subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Relationship {
        text.parse().unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    fn error(text: &str) -> String {
        text.parse::<Relationship>().unwrap_err().to_string()
    }

    #[test]
    fn parses_every_part() {
        let rel = parse(
            r#"doc:1#viewer@group:eng#member[on_day:{"day":"tue"}][expiration:2030-01-01T00:00:00Z]"#,
        );
        assert_eq!(rel.resource().to_string(), "doc:1");
        assert_eq!(rel.relation(), "viewer");
        assert_eq!(rel.subject().to_string(), "group:eng#member");
        let caveat = rel.caveat().unwrap();
        assert_eq!(caveat.name(), "on_day");
        assert_eq!(caveat.context()["day"], "tue");
        assert_eq!(
            rel.expires_at().unwrap().to_string(),
            "2030-01-01T00:00:00Z"
        );
    }

    #[test]
    fn round_trips_through_display() {
        for text in [
            "doc:1#viewer@user:alice",
            "test/doc:a|b=c#viewer@test/user:*",
            "doc:1#viewer@group:eng#member",
            "doc:1#viewer@user:alice[is_weekday]",
            r#"doc:1#viewer@user:alice[cav:{"a":[1,2],"b":"]"}]"#,
            "doc:1#viewer@user:alice[expiration:2030-01-01T00:00:00.5Z]",
            r#"doc:1#viewer@user:alice[cav:{"x":1}][expiration:2030-01-01T00:00:00Z]"#,
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
    }

    #[test]
    fn explicit_ellipsis_is_dropped() {
        assert_eq!(
            parse("doc:1#viewer@user:1#...").to_string(),
            "doc:1#viewer@user:1"
        );
    }

    #[test]
    fn a_caveat_may_be_named_expiration() {
        let rel = parse("doc:1#viewer@user:1[expiration]");
        assert_eq!(rel.caveat().unwrap().name(), "expiration");
        assert_eq!(rel.expires_at(), None);
    }

    #[test]
    fn errors_point_at_the_offending_part() {
        assert_eq!(
            error("doc:1#Viewer@user:1"),
            "invalid relationship `doc:1#Viewer@user:1` at column 7: relation name `Viewer` must \
             be 3 to 64 characters of lowercase letters, digits and `_`, starting with a letter \
             and not ending with `_`"
        );
        assert_eq!(
            error("doc:1#viewer"),
            "invalid relationship `doc:1#viewer` at column 13: expected `@` after the relation, \
             found the end of the text"
        );
        assert_eq!(
            error("doc:*#viewer@user:1"),
            "invalid relationship `doc:*#viewer@user:1` at column 5: object id `*` must be 1 to \
             1024 characters of letters, digits and `/_|-=+`"
        );
        assert_eq!(
            error("doc:1#viewer@user:*#member"),
            "invalid relationship `doc:1#viewer@user:*#member` at column 14: the wildcard \
             subject `user:*` cannot have a relation (found `#member`)"
        );
        assert_eq!(
            error("doc:1#viewer@user:1[cav:[1]]"),
            "invalid relationship `doc:1#viewer@user:1[cav:[1]]` at column 25: caveat `cav` \
             context must be a JSON object"
        );
        assert_eq!(
            error("doc:1#viewer@user:1[expiration:tomorrow]"),
            "invalid relationship `doc:1#viewer@user:1[expiration:tomorrow]` at column 32: \
             expiration `tomorrow` must be an RFC 3339 time in UTC, e.g. `2030-01-01T00:00:00Z`"
        );
        assert_eq!(
            error("doc:1#viewer@user:1[expiration:2030-01-01T00:00:00Z][cav]"),
            "invalid relationship `doc:1#viewer@user:1[expiration:2030-01-01T00:00:00Z][cav]` \
             at column 53: a relationship takes at most one caveat, then at most one \
             expiration, in that order"
        );
        assert_eq!(
            error("doc:1#viewer@user:1 "),
            "invalid relationship `doc:1#viewer@user:1 ` at column 19: subject id `1 ` must be \
             `*` or 1 to 1024 characters of letters, digits and `/_|-=+`"
        );
    }

    #[test]
    fn object_and_subject_refs_parse_alone() {
        assert_eq!("doc:1".parse::<ObjectRef>().unwrap().object_id(), "1");
        assert!("doc:1#viewer".parse::<ObjectRef>().is_err());
        assert_eq!(
            "group:a#member".parse::<SubjectRef>().unwrap().relation(),
            Some("member")
        );
        assert!("user:*".parse::<SubjectRef>().unwrap().is_wildcard());
    }
}
