//! The closed-loop runner: `concurrency` loops spread over a few HTTP/2 connections, each
//! sending its next call as soon as the previous one answers; a warm-up, then a measured
//! window whose calls are tallied per phase (e.g. check, write) and category.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera_proto::authzed::api::v1::permissions_service_client::PermissionsServiceClient;

use super::load::MAX_MESSAGE;
use super::report::{PhaseReport, Tally};
use super::workload::{Outcome, Workload};
use crate::AuthedChannel;

/// Distinct error messages kept per phase.
const ERROR_SAMPLES: usize = 5;

/// How long and how hard to run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    pub(crate) concurrency: usize,
    pub(crate) warmup: Duration,
    pub(crate) duration: Duration,
}

/// One loop's tallies of one phase.
#[derive(Clone, Debug)]
struct PhaseTally {
    overall: Tally,
    categories: Vec<Tally>,
    error_samples: Vec<String>,
}

impl PhaseTally {
    fn new(categories: usize) -> Self {
        Self {
            overall: Tally::precise(),
            categories: (0..categories).map(|_| Tally::coarse()).collect(),
            error_samples: Vec::new(),
        }
    }

    fn record(&mut self, category: usize, elapsed: Duration, outcome: Outcome) {
        self.overall.record(elapsed);
        let mut category_tally = self.categories.get_mut(category);
        if let Some(tally) = category_tally.as_mut() {
            tally.record(elapsed);
        }
        match outcome {
            Outcome::Right => {}
            Outcome::Wrong => {
                self.overall.wrong += 1;
                if let Some(tally) = category_tally {
                    tally.wrong += 1;
                }
            }
            Outcome::Error(message) => {
                self.overall.errors += 1;
                if let Some(tally) = category_tally {
                    tally.errors += 1;
                }
                if self.error_samples.len() < ERROR_SAMPLES
                    && !self.error_samples.contains(&message)
                {
                    self.error_samples.push(message);
                }
            }
        }
    }

    fn merge(&mut self, other: &PhaseTally) {
        self.overall.merge(&other.overall);
        for (mine, theirs) in self.categories.iter_mut().zip(&other.categories) {
            mine.merge(theirs);
        }
        for sample in &other.error_samples {
            if self.error_samples.len() < ERROR_SAMPLES && !self.error_samples.contains(sample) {
                self.error_samples.push(sample.clone());
            }
        }
    }
}

/// Runs `workload` on `channels` as `plan` says and reports each of its phases.
pub(crate) async fn run(
    workload: Arc<Workload>,
    channels: &[AuthedChannel],
    plan: Plan,
) -> anyhow::Result<Vec<PhaseReport>> {
    let phases = workload.phases();
    let categories = workload.categories().len();
    let phase_count = phases.len();
    let loops = plan.concurrency.max(1);
    let started = Instant::now();
    let measure_from = started + plan.warmup;
    let stop_at = measure_from + plan.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..loops {
        // Loops fill the connections in turn: loop w uses connection w mod n.
        let Some(channel) = channels.get(worker % channels.len().max(1)) else {
            anyhow::bail!("no connection to run on");
        };
        let mut client = PermissionsServiceClient::new(channel.clone())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let workload = Arc::clone(&workload);
        tasks.spawn(async move {
            let mut tallies: Vec<PhaseTally> = (0..phase_count)
                .map(|_| PhaseTally::new(categories))
                .collect();
            let mut iteration = 0_u64;
            loop {
                let begin = Instant::now();
                if begin >= stop_at {
                    break;
                }
                let call = workload.call(&mut client, worker, loops, iteration).await;
                let elapsed = begin.elapsed();
                if begin >= measure_from {
                    if let Some(tally) = tallies.get_mut(call.phase) {
                        tally.record(call.category, elapsed, call.outcome);
                    }
                }
                iteration += 1;
            }
            tallies
        });
    }
    let mut merged: Vec<PhaseTally> = phases.iter().map(|_| PhaseTally::new(categories)).collect();
    while let Some(done) = tasks.join_next().await {
        for (total, tally) in merged.iter_mut().zip(done?) {
            total.merge(&tally);
        }
    }
    let names = workload.categories();
    Ok(phases
        .iter()
        .zip(merged)
        .map(|(phase, tally)| {
            let categories: BTreeMap<String, Tally> =
                names.iter().cloned().zip(tally.categories).collect();
            PhaseReport::new(
                phase,
                &tally.overall,
                &categories,
                tally.error_samples,
                plan.duration,
            )
        })
        .collect())
}
