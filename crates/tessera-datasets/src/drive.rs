//! The Google-Drive-like shape: `dataset.py`'s model, schema and check mix, in Rust.
//!
//! - users; organisations with admins and members, skewed in size (a few big tenants, a long
//!   tail); about 5% of users are guests in a second organisation;
//! - groups nested up to 5 levels (`group#member@group:x#member`) as a DAG: a level-L group
//!   only contains level L-1 groups of its organisation;
//! - folders nested up to 6 levels (`folder#parent`), each in an organisation;
//! - documents in folders; owners, editors and readers (users, group members, rarely the
//!   public `user:*`), rarely a banned user who would otherwise have access.
//!
//! The sizes follow the target relationship count as in `dataset.py` (an organisation per
//! 25 000 relationships, a user per 12, a group per 100, a folder per 40; documents take the
//! rest). The draws are this crate's own (`dataset.py` uses Python's Mersenne Twister), so
//! the same seed gives a dataset of the same shape, not the same lines.

use crate::error::DatasetError;
use crate::generate::{Query, World, draw_queries};
use crate::model::{
    Definition, Expr, Model, PermissionDef, Rel, RelationDef, Subject, Tuple, Ty, push_unique,
};
use crate::nesting::{Groups, Levels, Population, by_size, id, plan};
use crate::rng::{Rng, cumulative};

/// The schema, identical to `dataset.py`'s.
pub(crate) static MODEL: Model = Model {
    definitions: &[
        Definition {
            name: "user",
            id_prefix: "u",
            relations: &[],
            permissions: &[],
        },
        Definition {
            name: "organization",
            id_prefix: "o",
            relations: &[
                RelationDef {
                    name: "admin",
                    allowed: &["user"],
                },
                RelationDef {
                    name: "member",
                    allowed: &["user"],
                },
            ],
            permissions: &[
                PermissionDef {
                    name: "administer",
                    expr: Expr::Rel("admin"),
                },
                PermissionDef {
                    name: "membership",
                    expr: Expr::Union(&[Expr::Rel("member"), Expr::Rel("admin")]),
                },
            ],
        },
        Definition {
            name: "group",
            id_prefix: "g",
            relations: &[
                RelationDef {
                    name: "manager",
                    allowed: &["user"],
                },
                RelationDef {
                    name: "member",
                    allowed: &["user", "group#member"],
                },
            ],
            permissions: &[PermissionDef {
                name: "membership",
                expr: Expr::Union(&[Expr::Rel("member"), Expr::Rel("manager")]),
            }],
        },
        Definition {
            name: "folder",
            id_prefix: "f",
            relations: &[
                RelationDef {
                    name: "org",
                    allowed: &["organization"],
                },
                RelationDef {
                    name: "parent",
                    allowed: &["folder"],
                },
                RelationDef {
                    name: "owner",
                    allowed: &["user"],
                },
                RelationDef {
                    name: "editor",
                    allowed: &["user", "group#member"],
                },
                RelationDef {
                    name: "reader",
                    allowed: &["user", "user:*", "group#member"],
                },
                RelationDef {
                    name: "banned",
                    allowed: &["user"],
                },
            ],
            permissions: &[
                PermissionDef {
                    name: "edit",
                    expr: Expr::Union(&[
                        Expr::Rel("owner"),
                        Expr::Rel("editor"),
                        Expr::Arrow("parent", "edit"),
                        Expr::Arrow("org", "administer"),
                    ]),
                },
                PermissionDef {
                    name: "view",
                    expr: Expr::Excl(
                        &Expr::Union(&[
                            Expr::Rel("reader"),
                            Expr::Rel("edit"),
                            Expr::Arrow("parent", "view"),
                        ]),
                        &Expr::Rel("banned"),
                    ),
                },
                PermissionDef {
                    name: "in_org",
                    expr: Expr::Arrow("org", "membership"),
                },
            ],
        },
        Definition {
            name: "document",
            id_prefix: "d",
            relations: &[
                RelationDef {
                    name: "folder",
                    allowed: &["folder"],
                },
                RelationDef {
                    name: "owner",
                    allowed: &["user"],
                },
                RelationDef {
                    name: "editor",
                    allowed: &["user", "group#member"],
                },
                RelationDef {
                    name: "reader",
                    allowed: &["user", "user:*", "group#member"],
                },
                RelationDef {
                    name: "banned",
                    allowed: &["user"],
                },
            ],
            permissions: &[
                PermissionDef {
                    name: "edit",
                    expr: Expr::Excl(
                        &Expr::Union(&[
                            Expr::Rel("owner"),
                            Expr::Rel("editor"),
                            Expr::Arrow("folder", "edit"),
                        ]),
                        &Expr::Rel("banned"),
                    ),
                },
                PermissionDef {
                    name: "view",
                    expr: Expr::Excl(
                        &Expr::Union(&[
                            Expr::Rel("reader"),
                            Expr::Rel("edit"),
                            Expr::Arrow("folder", "view"),
                        ]),
                        &Expr::Rel("banned"),
                    ),
                },
                PermissionDef {
                    name: "delete",
                    expr: Expr::Inter(&[
                        Expr::Union(&[Expr::Rel("owner"), Expr::Arrow("folder", "edit")]),
                        Expr::Arrow("folder", "in_org"),
                    ]),
                },
            ],
        },
    ],
};

/// Groups per nesting level 0..4 (so up to 5 levels).
const GROUP_LEVEL_WEIGHTS: [f64; 5] = [50.0, 25.0, 13.0, 8.0, 4.0];
/// Folders per depth 0..5 (so chains of up to 6 folders).
const FOLDER_DEPTH_WEIGHTS: [f64; 6] = [6.0, 14.0, 20.0, 20.0, 20.0, 20.0];
/// The check mix: `dataset.py`'s categories and weights, plus `public`.
const CATEGORIES: [(&str, f64); 8] = [
    ("direct", 30.0),
    ("group", 20.0),
    ("folder_deep", 20.0),
    ("org_admin", 5.0),
    ("delete", 5.0),
    ("banned", 5.0),
    ("negative_random", 15.0),
    ("public", 5.0),
];
/// No parent folder.
const NONE: u32 = u32::MAX;

/// The relations a grant block writes on a folder or a document.
#[derive(Clone, Copy, Debug)]
struct GrantRels {
    owner: Rel,
    editor: Rel,
    reader: Rel,
    banned: Rel,
}

/// The model's types and relations, resolved once.
#[derive(Clone, Copy, Debug)]
struct Names {
    user: Ty,
    organization: Ty,
    folder: Ty,
    document: Ty,
    org_admin: Rel,
    org_member: Rel,
    group_manager: Rel,
    group_member: Rel,
    folder_org: Rel,
    folder_parent: Rel,
    folder_grants: GrantRels,
    document_folder: Rel,
    document_grants: GrantRels,
}

impl Names {
    fn resolve() -> Result<Self, DatasetError> {
        let m = &MODEL;
        let grants = |ty| -> Result<GrantRels, DatasetError> {
            Ok(GrantRels {
                owner: m.rel(ty, "owner")?,
                editor: m.rel(ty, "editor")?,
                reader: m.rel(ty, "reader")?,
                banned: m.rel(ty, "banned")?,
            })
        };
        Ok(Self {
            user: m.ty("user")?,
            organization: m.ty("organization")?,
            folder: m.ty("folder")?,
            document: m.ty("document")?,
            org_admin: m.rel("organization", "admin")?,
            org_member: m.rel("organization", "member")?,
            group_manager: m.rel("group", "manager")?,
            group_member: m.rel("group", "member")?,
            folder_org: m.rel("folder", "org")?,
            folder_parent: m.rel("folder", "parent")?,
            folder_grants: grants("folder")?,
            document_folder: m.rel("document", "folder")?,
            document_grants: grants("document")?,
        })
    }
}

/// The generated drive: relationships plus what the check mix draws from.
#[derive(Debug)]
pub(crate) struct Drive {
    names: Names,
    tuples: Vec<Tuple>,
    target: usize,
    orgs: Population,
    org_admins: Vec<Vec<u32>>,
    guests: Vec<Vec<u32>>,
    groups: Groups,
    folder_org: Vec<u32>,
    folder_parent: Vec<u32>,
    folder_depth: Vec<u8>,
    /// Where each folder's grants (owner, editors, readers, public, banned) are in `tuples`.
    folder_grants: Vec<(u32, u32)>,
    document_folder: Vec<u32>,
    document_grants: Vec<(u32, u32)>,
}

impl Drive {
    /// Generates `target` relationships.
    pub(crate) fn generate(target: usize, rng: &mut Rng) -> Result<Self, DatasetError> {
        let n_orgs = ((target as f64 / 25_000.0).round() as usize).max(2);
        let n_users = (target / 12).max(50);
        let n_groups = (target / 100).max(10);
        let n_folders = (target / 40).max(20);
        let mut drive = Self {
            names: Names::resolve()?,
            tuples: Vec::with_capacity(target + 16),
            target,
            orgs: Population::new(n_users, n_orgs, rng),
            org_admins: vec![Vec::new(); n_orgs],
            guests: vec![Vec::new(); n_orgs],
            groups: Groups::new(n_groups, n_orgs),
            folder_org: vec![0; n_folders],
            folder_parent: vec![NONE; n_folders],
            folder_depth: vec![0; n_folders],
            folder_grants: vec![(0, 0); n_folders],
            document_folder: Vec::new(),
            document_grants: Vec::new(),
        };
        drive.memberships(rng);
        drive.nest_groups(rng);
        drive.folders(rng);
        drive.documents(rng);
        Ok(drive)
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

    /// Members and admins of every organisation, then guests.
    fn memberships(&mut self, rng: &mut Rng) {
        let (member, admin) = (self.names.org_member, self.names.org_admin);
        for o in 0..self.orgs.users.len() {
            for i in 0..self.orgs.users[o].len() {
                let u = self.orgs.users[o][i];
                self.push(member, id(o), self.user(u));
            }
            let count = rng.between(2, 3);
            let admins = rng.sample(&self.orgs.users[o], count);
            for &u in &admins {
                self.push(admin, id(o), self.user(u));
            }
            self.org_admins[o] = admins;
        }
        for u in 0..id(self.orgs.len()) {
            if rng.chance(0.05) {
                let o = rng.below(self.orgs.users.len());
                if !self.orgs.belongs(u, o) {
                    self.push(member, id(o), self.user(u));
                    self.guests[o].push(u);
                }
            }
        }
    }

    fn nest_groups(&mut self, rng: &mut Rng) {
        let n_orgs = self.orgs.users.len();
        let plan = plan(
            self.groups.level.len(),
            &by_size(&self.orgs.users),
            &cumulative(GROUP_LEVEL_WEIGHTS),
            false,
            rng,
        );
        let mut levels = Levels::new(n_orgs, GROUP_LEVEL_WEIGHTS.len());
        let (manager, member) = (self.names.group_manager, self.names.group_member);
        for (level, g, o) in plan {
            let level = levels.place(o, level, id(g));
            self.groups.level[g] = level as u8;
            self.groups.of_tenant[o].push(id(g));
            let pool = &self.orgs.users[o];
            let manager_id = rng.pick(pool).unwrap_or(0);
            let count = if level == 0 {
                rng.between(3, 15)
            } else {
                rng.between(0, 4)
            };
            let users = rng.sample(pool, count);
            self.push(manager, id(g), self.user(manager_id));
            for &u in &users {
                self.push(member, id(g), self.user(u));
            }
            self.groups.users[g] = users;
            if level > 0 {
                let count = rng.between(1, 3);
                let children = rng.sample(levels.above(o, level), count);
                for &child in &children {
                    self.push(member, id(g), Subject::set(member, child));
                }
                self.groups.children[g] = children;
            }
        }
    }

    fn folders(&mut self, rng: &mut Rng) {
        let n_orgs = self.orgs.users.len();
        let plan = plan(
            self.folder_org.len(),
            &by_size(&self.orgs.users),
            &cumulative(FOLDER_DEPTH_WEIGHTS),
            true,
            rng,
        );
        let mut levels = Levels::new(n_orgs, FOLDER_DEPTH_WEIGHTS.len());
        let names = self.names;
        for (depth, f, o) in plan {
            let depth = levels.place(o, depth, id(f));
            self.folder_org[f] = id(o);
            self.folder_depth[f] = depth as u8;
            self.push(
                names.folder_org,
                id(f),
                Subject::object(names.organization, id(o)),
            );
            if let Some(parent) = rng.pick(levels.above(o, depth)) {
                self.folder_parent[f] = parent;
                self.push(
                    names.folder_parent,
                    id(f),
                    Subject::object(names.folder, parent),
                );
            }
            let editors = rng.pick(&[0, 0, 1, 1, 2]).unwrap_or(0);
            let readers = rng.pick(&[0, 1, 1, 2, 3]).unwrap_or(0);
            let block = Block {
                rels: names.folder_grants,
                resource: id(f),
                org: o,
                editors,
                readers,
                p_public: 0.01,
                p_banned: 0.03,
                chain: self.folder_parent[f],
            };
            self.folder_grants[f] = self.grant_block(&block, rng);
        }
    }

    fn documents(&mut self, rng: &mut Rng) {
        let names = self.names;
        let n_folders = self.folder_org.len();
        while self.tuples.len() < self.target {
            let d = id(self.document_folder.len());
            let f = id(rng.below(n_folders));
            let o = self.folder_org[f as usize] as usize;
            self.document_folder.push(f);
            self.push(names.document_folder, d, Subject::object(names.folder, f));
            let editors = rng.pick(&[0, 0, 0, 1]).unwrap_or(0);
            let readers = rng.pick(&[0, 0, 1, 1, 2]).unwrap_or(0);
            let block = Block {
                rels: names.document_grants,
                resource: d,
                org: o,
                editors,
                readers,
                p_public: 0.005,
                p_banned: 0.02,
                chain: f,
            };
            let span = self.grant_block(&block, rng);
            self.document_grants.push(span);
        }
        // The last document may lose some grants: the count is exact, as in `dataset.py`.
        self.tuples.truncate(self.target);
    }

    /// Writes an owner, editors, readers, maybe the public and maybe a banned user; returns
    /// where they are in `tuples`.
    fn grant_block(&mut self, block: &Block, rng: &mut Rng) -> (u32, u32) {
        let start = self.tuples.len();
        let rels = block.rels;
        let owner = rng.pick(&self.orgs.users[block.org]).unwrap_or(0);
        self.push(rels.owner, block.resource, self.user(owner));
        for (rel, count, p_group) in [
            (rels.editor, block.editors, 0.7),
            (rels.reader, block.readers, 0.6),
        ] {
            for _ in 0..count {
                let subject = self.grantee(block.org, p_group, rng);
                push_unique(
                    &mut self.tuples,
                    start,
                    Tuple::new(rel, block.resource, subject),
                );
            }
        }
        if rng.chance(block.p_public) {
            self.push(
                rels.reader,
                block.resource,
                Subject::wildcard(self.names.user),
            );
        }
        if rng.chance(block.p_banned) {
            // Ban someone who would otherwise have access, so the exclusion matters.
            let banned = match self.user_with_access(&self.tuples[start..], block.chain, rng) {
                Some(u) => u,
                None => rng.pick(&self.orgs.users[block.org]).unwrap_or(0),
            };
            self.push(rels.banned, block.resource, self.user(banned));
        }
        (id(start), id(self.tuples.len()))
    }

    /// Someone to grant to: a group of the organisation (nested ones preferred) with
    /// probability `p_group`, else a user, now and then a guest.
    fn grantee(&self, o: usize, p_group: f64, rng: &mut Rng) -> Subject {
        if rng.chance(p_group) {
            if let Some(group) = self.groups.nested_pick(o, rng) {
                return Subject::set(self.names.group_member, group);
            }
        }
        let pool = if !self.guests[o].is_empty() && rng.chance(0.05) {
            &self.guests[o]
        } else {
            &self.orgs.users[o]
        };
        self.user(rng.pick(pool).unwrap_or(0))
    }

    /// The grants of a folder or document span (clamped: the last document may be cut).
    fn grants(&self, span: (u32, u32)) -> &[Tuple] {
        let end = (span.1 as usize).min(self.tuples.len());
        &self.tuples[(span.0 as usize).min(end)..end]
    }

    /// A user granted access by one of `own` grants or a grant up the folder chain from
    /// `folder`: a user grant's user, or a user of a granted group.
    fn user_with_access(&self, own: &[Tuple], folder: u32, rng: &mut Rng) -> Option<u32> {
        let mut candidates: Vec<Tuple> = own.to_vec();
        let mut f = folder;
        while f != NONE {
            candidates.extend_from_slice(self.grants(self.folder_grants[f as usize]));
            f = self.folder_parent[f as usize];
        }
        candidates.retain(|t| !self.is_banned(t) && !t.subject.is_wildcard());
        let granted = rng.pick(&candidates)?;
        if granted.subject.ty == self.names.user {
            Some(granted.subject.id)
        } else {
            self.groups.user_of(granted.subject.id, rng)
        }
    }

    fn is_banned(&self, tuple: &Tuple) -> bool {
        let rel = tuple.rel();
        rel == self.names.folder_grants.banned || rel == self.names.document_grants.banned
    }

    fn document_count(&self) -> usize {
        self.document_grants.len()
    }

    /// The folder chain of a document, its own folder first.
    fn chain(&self, document: usize) -> Vec<u32> {
        let mut chain = Vec::new();
        let mut f = self.document_folder[document];
        while f != NONE {
            chain.push(f);
            f = self.folder_parent[f as usize];
        }
        chain
    }

    fn document_query(&self, d: usize, permission: &'static str, user: u32) -> Query {
        Query {
            resource_type: self.names.document,
            resource_id: id(d),
            permission,
            subject: self.user(user),
            category: "",
        }
    }

    /// One question of `category`, or `None` when the draw found nothing to ask.
    fn query(&self, category: &str, lists: &Lists, rng: &mut Rng) -> Option<Query> {
        let docs = self.document_count();
        let user_grant = |t: &&Tuple| t.subject.ty == self.names.user && !t.subject.is_wildcard();
        let group_grant = |t: &&Tuple| t.subject.set_rel() == Some(self.names.group_member);
        let is_reader = |t: &Tuple| {
            let rel = t.rel();
            rel == self.names.folder_grants.reader || rel == self.names.document_grants.reader
        };
        match category {
            "direct" => {
                let d = rng.below(docs);
                let grants: Vec<Tuple> = self
                    .grants(self.document_grants[d])
                    .iter()
                    .filter(user_grant)
                    .filter(|t| !self.is_banned(t))
                    .copied()
                    .collect();
                let grant = rng.pick(&grants)?;
                let permission = if is_reader(&grant) || rng.chance(0.6) {
                    "view"
                } else {
                    "edit"
                };
                Some(self.document_query(d, permission, grant.subject.id))
            }
            "group" => {
                let d = rng.below(docs);
                let mut groups: Vec<Tuple> = self
                    .grants(self.document_grants[d])
                    .iter()
                    .filter(group_grant)
                    .copied()
                    .collect();
                let mut f = self.document_folder[d];
                while groups.is_empty() && f != NONE {
                    groups.extend(
                        self.grants(self.folder_grants[f as usize])
                            .iter()
                            .filter(group_grant),
                    );
                    f = self.folder_parent[f as usize];
                }
                let grant = rng.pick(&groups)?;
                let user = self.groups.user_of(grant.subject.id, rng)?;
                let permission = if is_reader(&grant) || rng.chance(0.5) {
                    "view"
                } else {
                    "edit"
                };
                Some(self.document_query(d, permission, user))
            }
            "folder_deep" => {
                let d = rng.pick(&lists.deep_documents)? as usize;
                let chain = self.chain(d);
                // Prefer grants high up the chain: the deepest traversals.
                let mut granting = *chain.first()?;
                for &f in chain.iter().rev() {
                    granting = f;
                    if !self.grants(self.folder_grants[f as usize]).is_empty() && rng.chance(0.7) {
                        break;
                    }
                }
                let candidates: Vec<Tuple> = self
                    .grants(self.folder_grants[granting as usize])
                    .iter()
                    .filter(|t| !self.is_banned(t) && !t.subject.is_wildcard())
                    .copied()
                    .collect();
                let grant = rng.pick(&candidates)?;
                let user = if grant.subject.ty == self.names.user {
                    grant.subject.id
                } else {
                    self.groups.user_of(grant.subject.id, rng)?
                };
                let permission = if is_reader(&grant) {
                    "view"
                } else {
                    rng.pick(&["view", "edit"])?
                };
                if rng.chance(0.25) {
                    Some(Query {
                        resource_type: self.names.folder,
                        resource_id: chain[0],
                        ..self.document_query(d, permission, user)
                    })
                } else {
                    Some(self.document_query(d, permission, user))
                }
            }
            "org_admin" => {
                let d = rng.below(docs);
                let o = self.folder_org[self.document_folder[d] as usize] as usize;
                let permission = rng.pick(&["view", "edit", "delete"])?;
                let admin = rng.pick(&self.org_admins[o])?;
                Some(self.document_query(d, permission, admin))
            }
            "delete" => {
                let d = rng.below(docs);
                let o = self.folder_org[self.document_folder[d] as usize] as usize;
                let r = rng.unit();
                let user = if r < 0.4 {
                    let owner = self.names.document_grants.owner;
                    self.grants(self.document_grants[d])
                        .iter()
                        .find(|t| t.rel() == owner)
                        .map(|t| t.subject.id)
                } else if r < 0.7 {
                    self.user_with_access(&[], self.document_folder[d], rng)
                } else if self.guests[o].is_empty() {
                    Some(self.random_user(rng))
                } else {
                    rng.pick(&self.guests[o])
                }?;
                Some(self.document_query(d, "delete", user))
            }
            "banned" => {
                let banned = rng.pick(&lists.banned)?;
                Some(Query {
                    resource_type: banned.resource_type,
                    resource_id: banned.resource_id,
                    permission: rng.pick(&["view", "view", "edit"])?,
                    subject: banned.subject,
                    category: "",
                })
            }
            "negative_random" => {
                let d = rng.below(docs);
                let permission = rng.pick(&["view", "view", "edit", "delete"])?;
                Some(self.document_query(d, permission, self.random_user(rng)))
            }
            "public" => {
                let public = rng.pick(&lists.public)?;
                Some(Query {
                    resource_type: public.resource_type,
                    resource_id: public.resource_id,
                    permission: "view",
                    subject: self.user(self.random_user(rng)),
                    category: "",
                })
            }
            _ => None,
        }
    }
}

/// What some check categories draw from, gathered once.
#[derive(Debug)]
struct Lists {
    deep_documents: Vec<u32>,
    banned: Vec<Tuple>,
    public: Vec<Tuple>,
}

/// What one grant block writes.
#[derive(Clone, Copy, Debug)]
struct Block {
    rels: GrantRels,
    resource: u32,
    org: usize,
    editors: usize,
    readers: usize,
    p_public: f64,
    p_banned: f64,
    /// The folder whose chain grants access too (the parent of a folder, a document's folder).
    chain: u32,
}

impl World for Drive {
    fn tuples(&self) -> &[Tuple] {
        &self.tuples
    }

    fn into_tuples(self) -> Vec<Tuple> {
        self.tuples
    }

    fn queries(&self, count: usize, rng: &mut Rng) -> Vec<Query> {
        let mut deep_documents: Vec<u32> = (0..self.document_count())
            .filter(|&d| self.folder_depth[self.document_folder[d] as usize] >= 3)
            .map(id)
            .collect();
        if deep_documents.is_empty() {
            deep_documents = (0..id(self.document_count())).collect();
        }
        let (folder_reader, document_reader) = (
            self.names.folder_grants.reader,
            self.names.document_grants.reader,
        );
        let lists = Lists {
            deep_documents,
            banned: self
                .tuples
                .iter()
                .filter(|t| self.is_banned(t))
                .copied()
                .collect(),
            public: self
                .tuples
                .iter()
                .filter(|t| {
                    t.subject.is_wildcard()
                        && (t.rel() == folder_reader || t.rel() == document_reader)
                })
                .copied()
                .collect(),
        };
        draw_queries(count, &CATEGORIES, rng, |category, rng| {
            self.query(category, &lists, rng)
        })
    }

    fn entities(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("organizations", self.orgs.users.len() as u64),
            ("users", self.orgs.len() as u64),
            ("groups", self.groups.level.len() as u64),
            ("folders", self.folder_org.len() as u64),
            ("documents", self.document_count() as u64),
        ]
    }

    fn facts(&self) -> Vec<(&'static str, u64)> {
        let max_depth = self.folder_depth.iter().copied().max().map_or(0, u64::from);
        vec![
            ("max_group_level", self.groups.max_level()),
            ("max_folder_depth", max_depth),
        ]
    }
}
