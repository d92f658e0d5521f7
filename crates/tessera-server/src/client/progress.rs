//! A progress line on stderr: count, bar, rate and ETA. Redrawn in place on a terminal;
//! elsewhere only the final summary is printed, so logs stay readable.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

pub(crate) struct Progress {
    verb: &'static str,
    total: Option<u64>,
    /// Counted before this run (a resumed import), shown but not in the rate.
    skipped: u64,
    done: u64,
    started: Instant,
    last_draw: Option<Instant>,
    live: bool,
}

impl Progress {
    pub(crate) fn new(verb: &'static str, total: Option<u64>, skipped: u64) -> Self {
        Self {
            verb,
            total,
            skipped,
            done: 0,
            started: Instant::now(),
            last_draw: None,
            live: std::io::stderr().is_terminal(),
        }
    }

    pub(crate) fn add(&mut self, count: u64) {
        self.done += count;
        if !self.live {
            return;
        }
        let now = Instant::now();
        if self
            .last_draw
            .is_some_and(|last| now.duration_since(last) < Duration::from_millis(100))
        {
            return;
        }
        self.last_draw = Some(now);
        eprint!("\r\x1b[2K{}", self.line());
        let _ignored = std::io::stderr().flush();
    }

    fn rate(&self) -> f64 {
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        #[expect(clippy::cast_precision_loss, reason = "a displayed rate")]
        let done = self.done as f64;
        done / seconds
    }

    fn line(&self) -> String {
        let position = self.skipped + self.done;
        let rate = self.rate();
        match self.total {
            Some(total) if total > 0 => {
                #[expect(clippy::cast_precision_loss, reason = "a displayed fraction")]
                let fraction = (position as f64 / total as f64).clamp(0.0, 1.0);
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "0..=30 by the clamp"
                )]
                let filled = (fraction * 30.0).round() as usize;
                let bar: String = "=".repeat(filled) + &" ".repeat(30 - filled);
                #[expect(clippy::cast_precision_loss, reason = "a displayed estimate")]
                let eta = if rate > 0.0 {
                    format!("{:.0}s", total.saturating_sub(position) as f64 / rate)
                } else {
                    "?".to_owned()
                };
                format!(
                    "{} [{bar}] {:>3.0}% {position}/{total} relationships, {rate:.0}/s, ETA {eta}",
                    self.verb,
                    fraction * 100.0
                )
            }
            _ => format!("{} {position} relationships, {rate:.0}/s", self.verb),
        }
    }

    /// Ends the line (on a terminal) and prints the summary.
    pub(crate) fn finish(&self, outcome: &str) {
        if self.live {
            eprint!("\r\x1b[2K");
        }
        eprintln!(
            "{outcome}: {} relationships in {:.1}s ({:.0}/s)",
            self.done,
            self.started.elapsed().as_secs_f64(),
            self.rate()
        );
    }
}
