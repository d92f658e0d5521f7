//! The GitHub-like shape: organisations with owners, members, blocked users and a base
//! repository permission for all members; wide teams nested up to 4 levels; repositories
//! with the roles admin, maintain, write, triage and read granted to users (some of them
//! outside collaborators from other organisations) and teams, a few of them public.
//!
//! Sizes follow the target relationship count: an organisation per 50 000 relationships, a
//! user per 8, a team per 150; repositories take the rest.

use crate::error::DatasetError;
use crate::generate::{Query, World, draw_queries};
use crate::model::{
    Definition, Expr, Model, PermissionDef, Rel, RelationDef, Subject, Tuple, Ty, push_unique,
};
use crate::nesting::{Groups, Levels, Population, by_size, id, plan};
use crate::rng::{Rng, cumulative};

/// Who may hold a repository role.
const GRANTEES: &[&str] = &["user", "team#member"];

/// The schema.
pub(crate) static MODEL: Model = Model {
    definitions: &[
        Definition {
            name: "user",
            id_prefix: "u",
            relations: &[],
            permissions: &[],
        },
        Definition {
            name: "team",
            id_prefix: "t",
            relations: &[
                RelationDef {
                    name: "maintainer",
                    allowed: &["user"],
                },
                RelationDef {
                    name: "member",
                    allowed: GRANTEES,
                },
            ],
            permissions: &[PermissionDef {
                name: "membership",
                expr: Expr::Union(&[Expr::Rel("member"), Expr::Rel("maintainer")]),
            }],
        },
        Definition {
            name: "organization",
            id_prefix: "o",
            relations: &[
                RelationDef {
                    name: "owner",
                    allowed: &["user"],
                },
                RelationDef {
                    name: "member",
                    allowed: &["user"],
                },
                RelationDef {
                    name: "blocked",
                    allowed: &["user"],
                },
                // The base permission every member gets on every repository: at most one of
                // these holds `organization:o#member` of the organisation itself.
                RelationDef {
                    name: "base_reader",
                    allowed: &["organization#member"],
                },
                RelationDef {
                    name: "base_writer",
                    allowed: &["organization#member"],
                },
                RelationDef {
                    name: "base_admin",
                    allowed: &["organization#member"],
                },
            ],
            permissions: &[
                PermissionDef {
                    name: "administer",
                    expr: Expr::Union(&[Expr::Rel("owner"), Expr::Rel("base_admin")]),
                },
                PermissionDef {
                    name: "write_all",
                    expr: Expr::Union(&[Expr::Rel("administer"), Expr::Rel("base_writer")]),
                },
                PermissionDef {
                    name: "read_all",
                    expr: Expr::Union(&[Expr::Rel("write_all"), Expr::Rel("base_reader")]),
                },
            ],
        },
        Definition {
            name: "repository",
            id_prefix: "r",
            relations: &[
                RelationDef {
                    name: "organization",
                    allowed: &["organization"],
                },
                RelationDef {
                    name: "admin",
                    allowed: GRANTEES,
                },
                RelationDef {
                    name: "maintainer",
                    allowed: GRANTEES,
                },
                RelationDef {
                    name: "writer",
                    allowed: GRANTEES,
                },
                RelationDef {
                    name: "triager",
                    allowed: GRANTEES,
                },
                RelationDef {
                    name: "reader",
                    allowed: &["user", "user:*", "team#member"],
                },
            ],
            permissions: &[
                PermissionDef {
                    name: "administer",
                    expr: Expr::Union(&[
                        Expr::Rel("admin"),
                        Expr::Arrow("organization", "administer"),
                    ]),
                },
                PermissionDef {
                    name: "maintain",
                    expr: Expr::Union(&[Expr::Rel("maintainer"), Expr::Rel("administer")]),
                },
                PermissionDef {
                    name: "write",
                    expr: Expr::Union(&[
                        Expr::Rel("writer"),
                        Expr::Rel("maintain"),
                        Expr::Arrow("organization", "write_all"),
                    ]),
                },
                PermissionDef {
                    name: "triage",
                    expr: Expr::Union(&[Expr::Rel("triager"), Expr::Rel("write")]),
                },
                PermissionDef {
                    name: "read",
                    expr: Expr::Excl(
                        &Expr::Union(&[
                            Expr::Rel("reader"),
                            Expr::Rel("triage"),
                            Expr::Arrow("organization", "read_all"),
                        ]),
                        &Expr::Arrow("organization", "blocked"),
                    ),
                },
                // Outside collaborators may administer a repository but not delete it.
                PermissionDef {
                    name: "delete",
                    expr: Expr::Inter(&[
                        Expr::Rel("administer"),
                        Expr::Arrow("organization", "member"),
                    ]),
                },
            ],
        },
    ],
};

/// Teams per nesting level 0..3.
const TEAM_LEVEL_WEIGHTS: [f64; 4] = [55.0, 25.0, 13.0, 7.0];
/// The repository roles, strongest first, with the permission each grants.
const ROLES: [(&str, &str); 5] = [
    ("admin", "administer"),
    ("maintainer", "maintain"),
    ("writer", "write"),
    ("triager", "triage"),
    ("reader", "read"),
];
/// Per role: how many grants a repository gets (drawn from the list) and how likely each
/// goes to a team rather than a user.
const ROLE_GRANTS: [(&[usize], f64); 5] = [
    (&[0, 1, 1, 2], 0.3),
    (&[0, 0, 1], 0.5),
    (&[0, 1, 1, 2], 0.6),
    (&[0, 0, 1], 0.3),
    (&[0, 1, 2, 3], 0.5),
];
/// The check mix.
const CATEGORIES: [(&str, f64); 8] = [
    ("direct", 25.0),
    ("team", 20.0),
    ("base", 15.0),
    ("owner", 5.0),
    ("blocked", 5.0),
    ("delete", 5.0),
    ("negative_random", 20.0),
    ("public", 5.0),
];
/// The base permission of an organisation: none, read, write or admin.
const BASE_WEIGHTS: [f64; 4] = [30.0, 40.0, 20.0, 10.0];

/// The model's types and relations, resolved once.
#[derive(Clone, Copy, Debug)]
struct Names {
    user: Ty,
    organization: Ty,
    repository: Ty,
    team_maintainer: Rel,
    team_member: Rel,
    org_owner: Rel,
    org_member: Rel,
    org_blocked: Rel,
    /// `base_reader`, `base_writer`, `base_admin`.
    org_base: [Rel; 3],
    repo_organization: Rel,
    /// In [`ROLES`] order.
    repo_roles: [Rel; 5],
}

impl Names {
    fn resolve() -> Result<Self, DatasetError> {
        let m = &MODEL;
        let role = |i: usize| m.rel("repository", ROLES[i].0);
        Ok(Self {
            user: m.ty("user")?,
            organization: m.ty("organization")?,
            repository: m.ty("repository")?,
            team_maintainer: m.rel("team", "maintainer")?,
            team_member: m.rel("team", "member")?,
            org_owner: m.rel("organization", "owner")?,
            org_member: m.rel("organization", "member")?,
            org_blocked: m.rel("organization", "blocked")?,
            org_base: [
                m.rel("organization", "base_reader")?,
                m.rel("organization", "base_writer")?,
                m.rel("organization", "base_admin")?,
            ],
            repo_organization: m.rel("repository", "organization")?,
            repo_roles: [role(0)?, role(1)?, role(2)?, role(3)?, role(4)?],
        })
    }
}

/// The generated organisations, teams and repositories.
#[derive(Debug)]
pub(crate) struct Github {
    names: Names,
    tuples: Vec<Tuple>,
    orgs: Population,
    owners: Vec<Vec<u32>>,
    /// `(organisation, user)`.
    blocked: Vec<(u32, u32)>,
    teams: Groups,
    repo_org: Vec<u32>,
    org_repos: Vec<Vec<u32>>,
    /// Where each repository's role grants are in `tuples`.
    repo_grants: Vec<(u32, u32)>,
}

impl Github {
    /// Generates `target` relationships.
    pub(crate) fn generate(target: usize, rng: &mut Rng) -> Result<Self, DatasetError> {
        let n_orgs = ((target as f64 / 50_000.0).round() as usize).max(2);
        let n_users = (target / 8).max(50);
        let n_teams = (target / 150).max(10);
        let mut github = Self {
            names: Names::resolve()?,
            tuples: Vec::with_capacity(target + 16),
            orgs: Population::new(n_users, n_orgs, rng),
            owners: vec![Vec::new(); n_orgs],
            blocked: Vec::new(),
            teams: Groups::new(n_teams, n_orgs),
            repo_org: Vec::new(),
            org_repos: vec![Vec::new(); n_orgs],
            repo_grants: Vec::new(),
        };
        github.organizations(rng);
        github.nest_teams(rng);
        github.repositories(target, rng);
        Ok(github)
    }

    fn push(&mut self, rel: Rel, resource: u32, subject: Subject) {
        self.tuples.push(Tuple::new(rel, resource, subject));
    }

    fn user(&self, id: u32) -> Subject {
        Subject::object(self.names.user, id)
    }

    fn random_user(&self, rng: &mut Rng) -> u32 {
        id(rng.below(self.orgs.len()))
    }

    /// Members, owners, the base permission and blocked members of every organisation.
    fn organizations(&mut self, rng: &mut Rng) {
        let names = self.names;
        let base_weights = cumulative(BASE_WEIGHTS);
        for o in 0..self.orgs.users.len() {
            for i in 0..self.orgs.users[o].len() {
                let u = self.orgs.users[o][i];
                self.push(names.org_member, id(o), self.user(u));
            }
            let count = rng.between(1, 3);
            let owners = rng.sample(&self.orgs.users[o], count);
            for &u in &owners {
                self.push(names.org_owner, id(o), self.user(u));
            }
            self.owners[o] = owners;
            // Level 0 is "no base permission".
            if let Some(base) = rng.weighted(&base_weights).checked_sub(1) {
                let members = Subject::set(names.org_member, id(o));
                self.push(names.org_base[base], id(o), members);
            }
            // Blocked members: their base access must not get through.
            let count = self.orgs.users[o].len() / 400;
            for u in rng.sample(&self.orgs.users[o], count) {
                self.push(names.org_blocked, id(o), self.user(u));
                self.blocked.push((id(o), u));
            }
        }
    }

    fn nest_teams(&mut self, rng: &mut Rng) {
        let n_orgs = self.orgs.users.len();
        let plan = plan(
            self.teams.level.len(),
            &by_size(&self.orgs.users),
            &cumulative(TEAM_LEVEL_WEIGHTS),
            false,
            rng,
        );
        let mut levels = Levels::new(n_orgs, TEAM_LEVEL_WEIGHTS.len());
        let (maintainer, member) = (self.names.team_maintainer, self.names.team_member);
        for (level, t, o) in plan {
            let level = levels.place(o, level, id(t));
            self.teams.level[t] = level as u8;
            self.teams.of_tenant[o].push(id(t));
            let pool = &self.orgs.users[o];
            let maintainer_id = rng.pick(pool).unwrap_or(0);
            // Leaf teams are the wide ones: a few are whole departments.
            let count = match level {
                0 if rng.chance(0.05) => rng.between(100, 400),
                0 => rng.between(3, 25),
                _ => rng.between(0, 5),
            };
            let users = rng.sample(pool, count);
            self.push(maintainer, id(t), self.user(maintainer_id));
            for &u in &users {
                self.push(member, id(t), self.user(u));
            }
            self.teams.users[t] = users;
            if level > 0 {
                let count = rng.between(1, 3);
                let children = rng.sample(levels.above(o, level), count);
                for &child in &children {
                    self.push(member, id(t), Subject::set(member, child));
                }
                self.teams.children[t] = children;
            }
        }
    }

    fn repositories(&mut self, target: usize, rng: &mut Rng) {
        let names = self.names;
        let org_weights = by_size(&self.orgs.users);
        while self.tuples.len() < target {
            let r = id(self.repo_org.len());
            let o = rng.weighted(&org_weights);
            self.repo_org.push(id(o));
            self.org_repos[o].push(r);
            self.push(
                names.repo_organization,
                r,
                Subject::object(names.organization, id(o)),
            );
            let start = self.tuples.len();
            for (role, (counts, p_team)) in ROLE_GRANTS.iter().enumerate() {
                let count = rng.pick(counts).unwrap_or(0);
                for _ in 0..count {
                    let subject = self.grantee(o, *p_team, rng);
                    let tuple = Tuple::new(names.repo_roles[role], r, subject);
                    push_unique(&mut self.tuples, start, tuple);
                }
            }
            if rng.chance(0.03) {
                self.push(names.repo_roles[4], r, Subject::wildcard(names.user));
            }
            self.repo_grants.push((id(start), id(self.tuples.len())));
        }
        // The last repository may lose some grants: the count is exact.
        self.tuples.truncate(target);
    }

    /// A team of the organisation (nested ones preferred) with probability `p_team`, else
    /// one of its users, or now and then an outside collaborator.
    fn grantee(&self, o: usize, p_team: f64, rng: &mut Rng) -> Subject {
        if rng.chance(p_team) {
            if let Some(team) = self.teams.nested_pick(o, rng) {
                return Subject::set(self.names.team_member, team);
            }
        }
        if rng.chance(0.05) {
            return self.user(self.random_user(rng));
        }
        self.user(rng.pick(&self.orgs.users[o]).unwrap_or(0))
    }

    fn grants(&self, r: usize) -> &[Tuple] {
        let (start, end) = self.repo_grants[r];
        let end = (end as usize).min(self.tuples.len());
        &self.tuples[(start as usize).min(end)..end]
    }

    /// The index in [`ROLES`] of a grant's role.
    fn role(&self, grant: &Tuple) -> usize {
        let rel = grant.rel();
        self.names
            .repo_roles
            .iter()
            .position(|&r| r == rel)
            .unwrap_or(ROLES.len() - 1)
    }

    fn repo_query(&self, r: usize, permission: &'static str, user: u32) -> Query {
        Query {
            resource_type: self.names.repository,
            resource_id: id(r),
            permission,
            subject: self.user(user),
            category: "",
        }
    }

    /// The permission of a role, or of a weaker one.
    fn role_permission(role: usize, rng: &mut Rng) -> &'static str {
        ROLES[rng.between(role, ROLES.len() - 1)].1
    }

    /// One question of `category`, or `None` when the draw found nothing to ask.
    fn query(&self, category: &str, public: &[u32], rng: &mut Rng) -> Option<Query> {
        let repos = self.repo_org.len();
        let is_user = |t: &&Tuple| t.subject.ty == self.names.user && !t.subject.is_wildcard();
        match category {
            "direct" => {
                let r = rng.below(repos);
                let grants: Vec<Tuple> = self.grants(r).iter().filter(is_user).copied().collect();
                let grant = rng.pick(&grants)?;
                let permission = Self::role_permission(self.role(&grant), rng);
                Some(self.repo_query(r, permission, grant.subject.id))
            }
            "team" => {
                let r = rng.below(repos);
                let grants: Vec<Tuple> = self
                    .grants(r)
                    .iter()
                    .filter(|t| t.subject.set_rel() == Some(self.names.team_member))
                    .copied()
                    .collect();
                let grant = rng.pick(&grants)?;
                let user = self.teams.user_of(grant.subject.id, rng)?;
                let permission = Self::role_permission(self.role(&grant), rng);
                Some(self.repo_query(r, permission, user))
            }
            "base" => {
                let r = rng.below(repos);
                let member = rng.pick(&self.orgs.users[self.repo_org[r] as usize])?;
                Some(self.repo_query(r, Self::role_permission(0, rng), member))
            }
            "owner" => {
                let r = rng.below(repos);
                let owner = rng.pick(&self.owners[self.repo_org[r] as usize])?;
                let permission = rng.pick(&["administer", "delete", "read"])?;
                Some(self.repo_query(r, permission, owner))
            }
            "blocked" => {
                let (o, user) = rng.pick(&self.blocked)?;
                let r = rng.pick(&self.org_repos[o as usize])?;
                Some(self.repo_query(r as usize, "read", user))
            }
            "delete" => {
                let r = rng.below(repos);
                let admins: Vec<u32> = self
                    .grants(r)
                    .iter()
                    .filter(is_user)
                    .filter(|t| self.role(t) == 0)
                    .map(|t| t.subject.id)
                    .collect();
                let user = match rng.pick(&admins) {
                    Some(admin) => admin,
                    None => rng.pick(&self.orgs.users[self.repo_org[r] as usize])?,
                };
                Some(self.repo_query(r, "delete", user))
            }
            "negative_random" => {
                let r = rng.below(repos);
                let permission =
                    rng.pick(&["read", "read", "triage", "write", "administer", "delete"])?;
                Some(self.repo_query(r, permission, self.random_user(rng)))
            }
            "public" => {
                let r = rng.pick(public)?;
                Some(self.repo_query(r as usize, "read", self.random_user(rng)))
            }
            _ => None,
        }
    }
}

impl World for Github {
    fn tuples(&self) -> &[Tuple] {
        &self.tuples
    }

    fn into_tuples(self) -> Vec<Tuple> {
        self.tuples
    }

    fn queries(&self, count: usize, rng: &mut Rng) -> Vec<Query> {
        let reader = self.names.repo_roles[4];
        let public: Vec<u32> = self
            .tuples
            .iter()
            .filter(|t| t.rel() == reader && t.subject.is_wildcard())
            .map(|t| t.resource_id)
            .collect();
        draw_queries(count, &CATEGORIES, rng, |category, rng| {
            self.query(category, &public, rng)
        })
    }

    fn entities(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("organizations", self.orgs.users.len() as u64),
            ("users", self.orgs.len() as u64),
            ("teams", self.teams.level.len() as u64),
            ("repositories", self.repo_org.len() as u64),
        ]
    }

    fn facts(&self) -> Vec<(&'static str, u64)> {
        vec![("max_team_level", self.teams.max_level())]
    }
}
