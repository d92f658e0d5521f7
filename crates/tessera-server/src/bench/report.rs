//! What a benchmark phase measured, and how it is printed and saved: latency histograms per
//! worker merged into one summary with percentiles, throughput, errors and wrong answers,
//! overall and per category.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// The slowest latency a histogram records; slower calls are clamped to it.
const MAX_LATENCY_NS: u64 = 120_000_000_000;

/// Latencies of one kind of call, in nanoseconds, with its outcome counts.
#[derive(Clone, Debug)]
pub(crate) struct Tally {
    latency: Histogram<u64>,
    /// Calls that returned an error status.
    pub(crate) errors: u64,
    /// Calls that answered, but not what the dataset expects.
    pub(crate) wrong: u64,
}

impl Tally {
    /// An empty tally with 3 significant digits of latency (for a whole phase).
    pub(crate) fn precise() -> Self {
        Self::with_digits(3)
    }

    /// An empty tally with 2 significant digits (1 %), smaller, for each category.
    pub(crate) fn coarse() -> Self {
        Self::with_digits(2)
    }

    #[expect(
        clippy::expect_used,
        reason = "the bounds are constants and callers pass 2 or 3 digits: always valid"
    )]
    fn with_digits(significant: u8) -> Self {
        let latency = Histogram::new_with_bounds(1, MAX_LATENCY_NS, significant)
            .expect("valid histogram bounds");
        Self {
            latency,
            errors: 0,
            wrong: 0,
        }
    }

    /// Records one call that took `elapsed` (errors and wrong answers included: their
    /// latency is real load too).
    pub(crate) fn record(&mut self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.latency
            .saturating_record(nanos.clamp(1, MAX_LATENCY_NS));
    }

    /// Calls recorded.
    pub(crate) fn calls(&self) -> u64 {
        self.latency.len()
    }

    /// Adds `other`'s calls to these.
    pub(crate) fn merge(&mut self, other: &Tally) {
        // Both cover the same range, so adding cannot fail; if it ever did, the call counts
        // would show it.
        if let Err(err) = self.latency.add(&other.latency) {
            tracing::warn!(error = ?err, "cannot merge latency histograms");
        }
        self.errors += other.errors;
        self.wrong += other.wrong;
    }

    /// The latency at `quantile` (0..=1) in microseconds; 0 with no calls.
    pub(crate) fn quantile_us(&self, quantile: f64) -> f64 {
        if self.latency.is_empty() {
            return 0.0;
        }
        micros(self.latency.value_at_quantile(quantile))
    }

    /// The summary of these calls over `elapsed` of measuring.
    pub(crate) fn summary(&self, elapsed: Duration) -> Summary {
        let calls = self.calls();
        let seconds = elapsed.as_secs_f64();
        Summary {
            calls,
            qps: if seconds > 0.0 {
                calls as f64 / seconds
            } else {
                0.0
            },
            p50_us: self.quantile_us(0.50),
            p90_us: self.quantile_us(0.90),
            p99_us: self.quantile_us(0.99),
            p999_us: self.quantile_us(0.999),
            max_us: if calls == 0 {
                0.0
            } else {
                micros(self.latency.max())
            },
            mean_us: if calls == 0 {
                0.0
            } else {
                self.latency.mean() / 1_000.0
            },
            errors: self.errors,
            wrong: self.wrong,
        }
    }
}

fn micros(nanos: u64) -> f64 {
    nanos as f64 / 1_000.0
}

/// Throughput, latency percentiles (µs) and failures of a set of calls.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Summary {
    pub(crate) calls: u64,
    pub(crate) qps: f64,
    pub(crate) p50_us: f64,
    pub(crate) p90_us: f64,
    pub(crate) p99_us: f64,
    pub(crate) p999_us: f64,
    pub(crate) max_us: f64,
    pub(crate) mean_us: f64,
    pub(crate) errors: u64,
    pub(crate) wrong: u64,
}

impl Summary {
    /// The JSON object of the summary, with the keys `calls`, `qps`, `p50_us`, `p90_us`,
    /// `p99_us`, `p999_us`, `max_us`, `mean_us`, `errors` and `wrong`.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "calls": self.calls,
            "qps": round2(self.qps),
            "p50_us": round2(self.p50_us),
            "p90_us": round2(self.p90_us),
            "p99_us": round2(self.p99_us),
            "p999_us": round2(self.p999_us),
            "max_us": round2(self.max_us),
            "mean_us": round2(self.mean_us),
            "errors": self.errors,
            "wrong": self.wrong,
        })
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The outcome of one measured phase: all calls, and the calls of each category.
#[derive(Clone, Debug)]
pub(crate) struct PhaseReport {
    /// What was measured, e.g. `check` or `lookup_resources`.
    pub(crate) name: String,
    pub(crate) overall: Summary,
    pub(crate) categories: BTreeMap<String, Summary>,
    /// The first few distinct error messages, for the operator to read.
    pub(crate) error_samples: Vec<String>,
}

impl PhaseReport {
    /// Builds the report from merged tallies, measured over `elapsed`.
    pub(crate) fn new(
        name: &str,
        overall: &Tally,
        categories: &BTreeMap<String, Tally>,
        error_samples: Vec<String>,
        elapsed: Duration,
    ) -> Self {
        Self {
            name: name.to_owned(),
            overall: overall.summary(elapsed),
            categories: categories
                .iter()
                .filter(|(_, tally)| tally.calls() > 0)
                .map(|(category, tally)| (category.clone(), tally.summary(elapsed)))
                .collect(),
            error_samples,
        }
    }

    /// The overall summary's keys, plus `categories` and `error_samples`.
    pub(crate) fn to_json(&self) -> Value {
        let mut object = self.overall.to_json();
        if let Value::Object(map) = &mut object {
            let categories = self
                .categories
                .iter()
                .map(|(name, summary)| (name.clone(), summary.to_json()))
                .collect::<serde_json::Map<_, _>>();
            map.insert("categories".to_owned(), Value::Object(categories));
            map.insert("error_samples".to_owned(), json!(self.error_samples));
        }
        object
    }

    /// A table for people: one line overall, then one per category.
    pub(crate) fn to_text(&self) -> String {
        let mut text = String::new();
        let header = format!(
            "{:<20} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>7} {:>6}",
            self.name, "calls", "qps", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "errors", "wrong"
        );
        text.push_str(&header);
        text.push('\n');
        line(&mut text, "all", &self.overall);
        for (category, summary) in &self.categories {
            line(&mut text, &format!("  {category}"), summary);
        }
        for sample in &self.error_samples {
            let _ = writeln!(text, "  error: {sample}");
        }
        text
    }
}

fn line(text: &mut String, label: &str, summary: &Summary) {
    let _ = writeln!(
        text,
        "{:<20} {:>9} {:>10.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>7} {:>6}",
        label,
        summary.calls,
        summary.qps,
        summary.p50_us,
        summary.p90_us,
        summary.p99_us,
        summary.p999_us,
        summary.errors,
        summary.wrong
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally_of(micros: impl IntoIterator<Item = u64>) -> Tally {
        let mut tally = Tally::precise();
        for us in micros {
            tally.record(Duration::from_micros(us));
        }
        tally
    }

    /// Within hdrhistogram's 3-digit precision.
    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() <= expected * 0.001 + 0.001
    }

    #[test]
    fn percentiles_of_one_to_a_thousand_microseconds() {
        let summary = tally_of(1..=1_000).summary(Duration::from_secs(2));
        assert_eq!(summary.calls, 1_000);
        assert!(close(summary.qps, 500.0), "{summary:?}");
        assert!(close(summary.p50_us, 500.0), "{summary:?}");
        assert!(close(summary.p90_us, 900.0), "{summary:?}");
        assert!(close(summary.p99_us, 990.0), "{summary:?}");
        assert!(close(summary.p999_us, 999.0), "{summary:?}");
        assert!(close(summary.max_us, 1_000.0), "{summary:?}");
        assert!(close(summary.mean_us, 500.5), "{summary:?}");
    }

    #[test]
    fn a_slow_tail_shows_in_the_high_percentiles_only() {
        let fast = std::iter::repeat_n(100, 990);
        let slow = std::iter::repeat_n(50_000, 10);
        let summary = tally_of(fast.chain(slow)).summary(Duration::from_secs(1));
        assert!(close(summary.p50_us, 100.0), "{summary:?}");
        assert!(close(summary.p99_us, 100.0), "{summary:?}");
        assert!(close(summary.p999_us, 50_000.0), "{summary:?}");
    }

    #[test]
    fn merging_adds_calls_errors_and_wrong_answers() {
        let mut first = tally_of([10, 20]);
        first.errors = 1;
        let mut second = tally_of([30, 40, 50]);
        second.wrong = 2;
        first.merge(&second);
        let summary = first.summary(Duration::from_secs(1));
        assert_eq!((summary.calls, summary.errors, summary.wrong), (5, 1, 2));
        assert!(close(summary.p50_us, 30.0), "{summary:?}");
    }

    #[test]
    fn an_empty_tally_reports_zeros() {
        let summary = Tally::coarse().summary(Duration::ZERO);
        assert_eq!(summary.calls, 0);
        assert!(summary.qps == 0.0 && summary.p50_us == 0.0 && summary.max_us == 0.0);
    }

    #[test]
    fn latencies_beyond_the_range_are_clamped_not_lost() {
        let mut tally = Tally::coarse();
        tally.record(Duration::from_secs(3_600));
        tally.record(Duration::ZERO);
        assert_eq!(tally.calls(), 2);
    }

    #[test]
    fn json_has_the_documented_keys_and_categories() {
        let mut categories = BTreeMap::new();
        categories.insert("direct".to_owned(), tally_of([5]));
        categories.insert("unused".to_owned(), Tally::coarse());
        let report = PhaseReport::new(
            "check",
            &tally_of([5]),
            &categories,
            vec!["UNAVAILABLE: down".to_owned()],
            Duration::from_secs(1),
        );
        let json = report.to_json();
        for key in [
            "qps", "p50_us", "p90_us", "p99_us", "p999_us", "errors", "wrong",
        ] {
            assert!(json.get(key).is_some(), "missing `{key}` in {json}");
        }
        assert_eq!(json["categories"]["direct"]["calls"], 1);
        assert!(json["categories"].get("unused").is_none());
        assert!(report.to_text().contains("UNAVAILABLE: down"));
    }
}
