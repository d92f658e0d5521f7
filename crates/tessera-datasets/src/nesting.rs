//! What the shapes share: skewed tenant sizes, objects nested level by level inside a tenant
//! (groups, teams, folders), and walks down a group nesting.

use crate::rng::{Rng, cumulative};

/// Cumulative weights of `n` tenants of skewed size: tenant `k` weighs `1 / (k + 1)^0.8`,
/// a few big tenants and a long tail, as in `dataset.py`.
pub(crate) fn skewed(n: usize) -> Vec<f64> {
    cumulative((0..n).map(|k| 1.0 / ((k + 1) as f64).powf(0.8)))
}

/// Cumulative weights proportional to the sizes of the tenants' user lists.
pub(crate) fn by_size(users: &[Vec<u32>]) -> Vec<f64> {
    cumulative(users.iter().map(|u| u.len() as f64))
}

/// Which tenant and level each of `count` objects gets, sorted by level so that an object's
/// possible parents exist when it is created: `(level, index, tenant)`. Object `k < tenants`
/// belongs to tenant `k` (every tenant has one), at level 0 when `first_at_root`.
pub(crate) fn plan(
    count: usize,
    tenant_weights: &[f64],
    level_weights: &[f64],
    first_at_root: bool,
    rng: &mut Rng,
) -> Vec<(usize, usize, usize)> {
    let tenants = tenant_weights.len();
    let mut plan: Vec<(usize, usize, usize)> = (0..count)
        .map(|k| {
            if k < tenants {
                let level = if first_at_root {
                    0
                } else {
                    rng.weighted(level_weights)
                };
                (level, k, k)
            } else {
                let tenant = rng.weighted(tenant_weights);
                (rng.weighted(level_weights), k, tenant)
            }
        })
        .collect();
    plan.sort_unstable();
    plan
}

/// The objects of each tenant by level.
#[derive(Debug)]
pub(crate) struct Levels(Vec<Vec<Vec<u32>>>);

impl Levels {
    pub(crate) fn new(tenants: usize, levels: usize) -> Self {
        Self(vec![vec![Vec::new(); levels]; tenants])
    }

    /// Puts `object` at `level` of `tenant`, or higher up if the tenant has no object one
    /// level up to hang it from; returns the level it got.
    pub(crate) fn place(&mut self, tenant: usize, level: usize, object: u32) -> usize {
        let levels = &mut self.0[tenant];
        let mut level = level;
        while level > 0 && levels[level - 1].is_empty() {
            level -= 1;
        }
        levels[level].push(object);
        level
    }

    /// The objects of `tenant` one level above `level` (none for level 0).
    pub(crate) fn above(&self, tenant: usize, level: usize) -> &[u32] {
        match level.checked_sub(1) {
            Some(up) => &self.0[tenant][up],
            None => &[],
        }
    }
}

/// Groups (or teams) nested by `member` subject sets: a level-L group contains users and
/// level L-1 groups.
#[derive(Debug)]
pub(crate) struct Groups {
    pub(crate) level: Vec<u8>,
    pub(crate) users: Vec<Vec<u32>>,
    pub(crate) children: Vec<Vec<u32>>,
    pub(crate) of_tenant: Vec<Vec<u32>>,
}

impl Groups {
    pub(crate) fn new(count: usize, tenants: usize) -> Self {
        Self {
            level: vec![0; count],
            users: vec![Vec::new(); count],
            children: vec![Vec::new(); count],
            of_tenant: vec![Vec::new(); tenants],
        }
    }

    /// A user reachable from `group` by descending its nesting, preferring deep paths
    /// (`dataset.py`'s `_users_of_group`).
    pub(crate) fn user_of(&self, group: u32, rng: &mut Rng) -> Option<u32> {
        let mut g = group as usize;
        for _ in 0..8 {
            let children = &self.children[g];
            if !children.is_empty() && (self.users[g].is_empty() || rng.chance(0.8)) {
                g = rng.pick(children)? as usize;
                continue;
            }
            return rng.pick(&self.users[g]);
        }
        None
    }

    /// A group of `tenant`, biased towards nested ones: the highest level of three draws.
    pub(crate) fn nested_pick(&self, tenant: usize, rng: &mut Rng) -> Option<u32> {
        let groups = &self.of_tenant[tenant];
        let mut best = rng.pick(groups)?;
        for _ in 0..2 {
            let g = rng.pick(groups)?;
            if self.level[g as usize] > self.level[best as usize] {
                best = g;
            }
        }
        Some(best)
    }

    /// The deepest level any group got.
    pub(crate) fn max_level(&self) -> u64 {
        self.level.iter().copied().max().map_or(0, u64::from)
    }
}

/// `n` as a `u32` id; datasets stay far below four billion objects of a type.
pub(crate) fn id(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Users spread over tenants of skewed size.
#[derive(Debug)]
pub(crate) struct Population {
    /// Each tenant's own users (and, for a tenant no user landed in, one borrowed user).
    pub(crate) users: Vec<Vec<u32>>,
    /// Each user's own tenant.
    pub(crate) home: Vec<u32>,
    /// The user a tenant borrowed, if it had to.
    pub(crate) borrowed: Vec<Option<u32>>,
}

impl Population {
    /// Gives each of `users` a home among `tenants` skewed tenants; a tenant left empty
    /// borrows a random user (who keeps their own home).
    pub(crate) fn new(users: usize, tenants: usize, rng: &mut Rng) -> Self {
        let weights = skewed(tenants);
        let mut members = vec![Vec::new(); tenants];
        let mut home = Vec::with_capacity(users);
        for u in 0..users {
            let t = rng.weighted(&weights);
            members[t].push(id(u));
            home.push(id(t));
        }
        let mut borrowed = vec![None; tenants];
        for (t, list) in members.iter_mut().enumerate() {
            if list.is_empty() {
                let u = id(rng.below(users));
                list.push(u);
                borrowed[t] = Some(u);
            }
        }
        Self {
            users: members,
            home,
            borrowed,
        }
    }

    /// Whether `user` is among `tenant`'s users.
    pub(crate) fn belongs(&self, user: u32, tenant: usize) -> bool {
        self.home[user as usize] as usize == tenant || self.borrowed[tenant] == Some(user)
    }

    /// How many users there are.
    pub(crate) fn len(&self) -> usize {
        self.home.len()
    }
}
