use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;
use tessera_types::{NameKind, SubjectRef, WILDCARD_ID};

use crate::error::IdentityError;
use crate::principal::{Principal, PrincipalKind};
use crate::redact;
use crate::spiffe::SpiffeId;

/// The escape character of [`SubjectTemplate::escaped`]; itself escaped in values, so the
/// encoding stays one-to-one.
const ESCAPE: char = '=';

/// One piece of a template's id.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// `{id}`, also spelled `{sub}` (JWT users) and `{name}` (preshared keys).
    Id,
    Issuer,
    Tenant,
    /// `{trust_domain}` of a SPIFFE id.
    TrustDomain,
    /// `{path}` of a SPIFFE id, without its leading `/`.
    Path,
    /// `{claim.NAME}`: a verified string or integer claim.
    Claim(String),
}

/// How a principal becomes a subject: `object_type:id-template`, where the id mixes literal
/// text and placeholders, e.g. `user:{sub}`, `workload:{path}`, `member:{tenant}|{sub}`.
///
/// Placeholders: `{id}` (alias `{sub}`, `{name}`), `{issuer}`, `{tenant}`, `{trust_domain}`
/// and `{path}` (of a SPIFFE workload, the path without its leading `/`), `{claim.NAME}`.
/// A placeholder without a value, or an id that breaks SpiceDB's rules, fails the mapping;
/// nothing is dropped or guessed. `/` is a valid id character, so `workload:{path}` keeps
/// SPIFFE paths readable (`workload:ns/prod/sa/api`).
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectTemplate {
    object_type: String,
    parts: Vec<Part>,
    escaped: bool,
}

impl SubjectTemplate {
    /// `object_type:{part}`; the object type is checked when a subject is made.
    fn single(object_type: &str, part: Part) -> Self {
        Self {
            object_type: object_type.to_owned(),
            parts: vec![part],
            escaped: false,
        }
    }

    /// `object_type:{id}`.
    pub(crate) fn id_of(object_type: &str) -> Self {
        Self::single(object_type, Part::Id)
    }

    /// The same template, writing each character of a substituted value that an id cannot
    /// hold (e.g. the `.` and `@` of `{claim.email}`) as `=XX`, its UTF-8 bytes in hex; `=`
    /// itself is written `=3D`, so distinct values always give distinct ids.
    #[must_use]
    pub fn escaped(mut self) -> Self {
        self.escaped = true;
        self
    }

    /// The subject `principal` maps to.
    ///
    /// # Errors
    /// [`IdentityError::NotASubject`] when a placeholder has no value for `principal`, or the
    /// id produced is not a valid, non-wildcard subject id.
    pub fn subject(&self, principal: &Principal) -> Result<SubjectRef, IdentityError> {
        let not_a_subject = |reason: String| IdentityError::NotASubject {
            principal: redact::clip(&principal.id),
            reason,
        };
        let mut id = String::new();
        for part in &self.parts {
            let value = match part {
                Part::Literal(text) => {
                    id.push_str(text);
                    continue;
                }
                field => value(field, principal).map_err(not_a_subject)?,
            };
            if self.escaped {
                escape_into(&mut id, &value);
            } else {
                id.push_str(&value);
            }
        }
        // A wildcard subject would stand for every subject of the type.
        if id == WILDCARD_ID {
            return Err(not_a_subject("the id would be the wildcard `*`".to_owned()));
        }
        SubjectRef::new(self.object_type.as_str(), id, None)
            .map_err(|err| not_a_subject(err.to_string()))
    }
}

/// The value of placeholder `part` for `principal`, or why there is none.
fn value<'a>(part: &'a Part, principal: &'a Principal) -> Result<Cow<'a, str>, String> {
    let spiffe = || {
        (principal.kind == PrincipalKind::Workload)
            .then(|| SpiffeId::parse(&principal.id).ok())
            .flatten()
            .ok_or_else(|| "the principal is not a SPIFFE workload".to_owned())
    };
    let value = match part {
        Part::Id => Cow::Borrowed(principal.id.as_str()),
        Part::Issuer => Cow::Borrowed(principal.issuer.as_str()),
        Part::Tenant => Cow::Borrowed(principal.tenant.as_deref().unwrap_or_default()),
        Part::TrustDomain => Cow::Borrowed(spiffe()?.trust_domain()),
        Part::Path => Cow::Borrowed(spiffe()?.path()),
        Part::Claim(name) => match principal.claims.get(name) {
            Some(Value::String(text)) => Cow::Borrowed(text.as_str()),
            Some(Value::Number(number)) if number.is_i64() || number.is_u64() => {
                Cow::Owned(number.to_string())
            }
            Some(_) => return Err(format!("claim `{name}` is not a string or an integer")),
            None => Cow::Borrowed(""),
        },
        Part::Literal(text) => Cow::Borrowed(text.as_str()),
    };
    if value.is_empty() {
        return Err(format!("the principal has no `{}`", placeholder(part)));
    }
    Ok(value)
}

/// Appends `value` with every character outside the id alphabet, and the escape character,
/// written `=XX` per UTF-8 byte.
fn escape_into(id: &mut String, value: &str) {
    for c in value.chars() {
        if c != ESCAPE && is_id_char(c) {
            id.push(c);
        } else {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                id.push(ESCAPE);
                id.push_str(&redact::hex(&[byte]).to_uppercase());
            }
        }
    }
}

/// Whether `c` may appear in a subject id: SpiceDB's `[a-zA-Z0-9/_|\-=+]`.
fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/_|-=+".contains(c)
}

/// How `part` is written in a template.
fn placeholder(part: &Part) -> Cow<'_, str> {
    Cow::Borrowed(match part {
        Part::Literal(text) => text,
        Part::Id => "id",
        Part::Issuer => "issuer",
        Part::Tenant => "tenant",
        Part::TrustDomain => "trust_domain",
        Part::Path => "path",
        Part::Claim(name) => return Cow::Owned(format!("claim.{name}")),
    })
}

impl FromStr for SubjectTemplate {
    type Err = IdentityError;

    /// Parses `object_type:id-template`.
    fn from_str(template: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| {
            IdentityError::Configuration(format!("subject template `{template}`: {why}"))
        };
        let (object_type, mut rest) = template
            .split_once(':')
            .ok_or_else(|| invalid("expected `object_type:id`, e.g. `user:{sub}`"))?;
        if !NameKind::ObjectType.matches(object_type) {
            return Err(invalid(NameKind::ObjectType.rule()));
        }
        let mut parts = Vec::new();
        while !rest.is_empty() {
            let literal_end = rest.find('{').unwrap_or(rest.len());
            let (literal, after) = rest.split_at(literal_end);
            if !literal.is_empty() {
                if !literal.chars().all(is_id_char) {
                    return Err(invalid("literal text must be letters, digits and `/_|-=+`"));
                }
                parts.push(Part::Literal(literal.to_owned()));
            }
            let Some(after) = after.strip_prefix('{') else {
                break;
            };
            let (name, tail) = after
                .split_once('}')
                .ok_or_else(|| invalid("a `{` is not closed"))?;
            parts.push(match name {
                "id" | "sub" | "name" => Part::Id,
                "issuer" => Part::Issuer,
                "tenant" => Part::Tenant,
                "trust_domain" => Part::TrustDomain,
                "path" => Part::Path,
                _ => match name.strip_prefix("claim.") {
                    Some(claim) if !claim.is_empty() && !claim.contains('{') => {
                        Part::Claim(claim.to_owned())
                    }
                    _ => return Err(invalid(&format!("unknown placeholder `{{{name}}}`"))),
                },
            });
            rest = tail;
        }
        // A template without placeholders would map every principal to one subject.
        if !parts.iter().any(|part| !matches!(part, Part::Literal(_))) {
            return Err(invalid("the id has no placeholder such as `{id}`"));
        }
        Ok(Self {
            object_type: object_type.to_owned(),
            parts,
            escaped: false,
        })
    }
}

impl fmt::Display for SubjectTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for part in &self.parts {
            match part {
                Part::Literal(text) => f.write_str(text)?,
                field => write!(f, "{{{}}}", placeholder(field))?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for SubjectTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectTemplate")
            .field("template", &self.to_string())
            .field("escaped", &self.escaped)
            .finish()
    }
}

/// Which subject each kind of principal is, for questions asked about the caller itself
/// (e.g. "may the bearer of this end-user token view this document?").
///
/// The default maps JWT users to `user:{sub}`, SPIFFE workloads to `workload:{path}` and
/// services to `service:{name}`; [`SubjectMapping::empty`] maps no one until told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectMapping {
    user: Option<SubjectTemplate>,
    workload: Option<SubjectTemplate>,
    service: Option<SubjectTemplate>,
}

impl SubjectMapping {
    /// A mapping that maps no principal.
    pub fn empty() -> Self {
        Self {
            user: None,
            workload: None,
            service: None,
        }
    }

    /// The same mapping with `template` for principals of `kind`.
    #[must_use]
    pub fn with(mut self, kind: PrincipalKind, template: SubjectTemplate) -> Self {
        *self.slot(kind) = Some(template);
        self
    }

    fn slot(&mut self, kind: PrincipalKind) -> &mut Option<SubjectTemplate> {
        match kind {
            PrincipalKind::User => &mut self.user,
            PrincipalKind::Workload => &mut self.workload,
            PrincipalKind::Service => &mut self.service,
        }
    }

    /// The subject `principal` is.
    ///
    /// # Errors
    /// [`IdentityError::NotASubject`] when no template maps the principal's kind, a
    /// placeholder has no value, or the id produced is invalid.
    pub fn subject(&self, principal: &Principal) -> Result<SubjectRef, IdentityError> {
        let template = match principal.kind {
            PrincipalKind::User => &self.user,
            PrincipalKind::Workload => &self.workload,
            PrincipalKind::Service => &self.service,
        };
        template
            .as_ref()
            .ok_or_else(|| IdentityError::NotASubject {
                principal: redact::clip(&principal.id),
                reason: format!("no subject template for {:?} principals", principal.kind),
            })?
            .subject(principal)
    }
}

impl Default for SubjectMapping {
    fn default() -> Self {
        Self {
            user: Some(SubjectTemplate::id_of("user")),
            workload: Some(SubjectTemplate::single("workload", Part::Path)),
            service: Some(SubjectTemplate::id_of("service")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::Claims;

    fn principal(kind: PrincipalKind, id: &str) -> Principal {
        Principal {
            id: id.to_owned(),
            kind,
            issuer: "https://login.example.com/".to_owned(),
            tenant: None,
            claims: Claims::new(),
        }
    }

    fn user(sub: &str, claims: Value) -> Principal {
        let Value::Object(claims) = claims else {
            panic!("claims must be an object")
        };
        Principal {
            claims,
            tenant: Some("acme".to_owned()),
            ..principal(PrincipalKind::User, sub)
        }
    }

    fn template(text: &str) -> SubjectTemplate {
        text.parse().unwrap()
    }

    #[test]
    fn the_default_mapping_names_users_workloads_and_services() {
        let mapping = SubjectMapping::default();
        let cases = [
            (principal(PrincipalKind::User, "42"), "user:42"),
            (
                principal(
                    PrincipalKind::Workload,
                    "spiffe://prod.example.org/ns/web/sa/api",
                ),
                "workload:ns/web/sa/api",
            ),
            (
                principal(PrincipalKind::Service, "ci-runner"),
                "service:ci-runner",
            ),
        ];
        for (principal, expected) in cases {
            assert_eq!(mapping.subject(&principal).unwrap().to_string(), expected);
        }
    }

    #[test]
    fn templates_combine_literals_fields_and_claims() {
        let principal = user("u-7", serde_json::json!({"org": "eng", "num": 12}));
        let cases = [
            ("member:{tenant}|{sub}", "member:acme|u-7"),
            ("team:{claim.org}-{claim.num}", "team:eng-12"),
            ("user:ext/{id}", "user:ext/u-7"),
        ];
        for (text, expected) in cases {
            let subject = template(text).subject(&principal).unwrap();
            assert_eq!(subject.to_string(), expected, "{text}");
            assert_eq!(template(text).to_string(), text.replace("{sub}", "{id}"));
        }
    }

    #[test]
    fn missing_values_and_invalid_ids_fail_closed_with_the_reason() {
        let principal = user("alice@example.com", serde_json::json!({"list": ["a"]}));
        let cases = [
            ("user:{sub}", "subject id"),
            ("user:{claim.missing}", "has no `claim.missing`"),
            ("user:{claim.list}", "not a string or an integer"),
            ("user:{path}", "not a SPIFFE workload"),
        ];
        for (text, reason) in cases {
            let err = template(text).subject(&principal).unwrap_err();
            assert!(matches!(err, IdentityError::NotASubject { .. }), "{text}");
            assert!(err.to_string().contains(reason), "{text}: {err}");
        }
        let no_tenant = principal_without_tenant();
        let err = template("user:{tenant}").subject(&no_tenant).unwrap_err();
        assert!(err.to_string().contains("has no `tenant`"), "{err}");
        let err = SubjectMapping::empty().subject(&no_tenant).unwrap_err();
        assert!(err.to_string().contains("no subject template"), "{err}");
    }

    fn principal_without_tenant() -> Principal {
        principal(PrincipalKind::User, "bob")
    }

    #[test]
    fn a_wildcard_id_is_never_produced() {
        let err = SubjectMapping::default()
            .subject(&principal(PrincipalKind::Service, "*"))
            .unwrap_err();
        assert!(err.to_string().contains("wildcard"), "{err}");
    }

    #[test]
    fn escaping_maps_any_value_to_a_valid_id_one_to_one() {
        let escaped = template("user:{sub}").escaped();
        let subject = |sub: &str| {
            escaped
                .subject(&user(sub, serde_json::json!({})))
                .unwrap()
                .object_id()
                .to_owned()
        };
        assert_eq!(subject("alice@example.com"), "alice=40example=2Ecom");
        assert_eq!(subject("a=40"), "a=3D40");
        assert_ne!(subject("a@"), subject("a=40"));
        assert_eq!(subject("zoë"), "zo=C3=AB");
        let workload = template("workload:{path}").escaped();
        let api = principal(PrincipalKind::Workload, "spiffe://td/ns/sa/api.v2");
        assert_eq!(
            workload.subject(&api).unwrap().to_string(),
            "workload:ns/sa/api=2Ev2"
        );
    }

    #[test]
    fn invalid_templates_are_configuration_errors() {
        for text in [
            "user",
            "User:{sub}",
            "user:{sub",
            "user:{unknown}",
            "user:{claim.}",
            "user:fixed",
            "user:a.{sub}",
            "user:*",
        ] {
            let err = text.parse::<SubjectTemplate>().unwrap_err();
            assert!(matches!(err, IdentityError::Configuration(_)), "{text}");
        }
    }

    #[test]
    fn mappings_can_be_changed_per_kind() {
        let mapping =
            SubjectMapping::empty().with(PrincipalKind::Service, template("client:{name}"));
        let service = principal(PrincipalKind::Service, "ci");
        assert_eq!(mapping.subject(&service).unwrap().to_string(), "client:ci");
        assert!(
            mapping
                .subject(&principal(PrincipalKind::User, "u"))
                .is_err()
        );
    }
}
