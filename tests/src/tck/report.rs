//! The outcome of a TCK run: per-scenario outcomes, counts per feature
//! directory and overall, and their text and JSON renderings.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// Why a scenario failed, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureKind {
    /// A step's expectation was not met (wrong result, wrong or unexpected
    /// error, wrong side effects, failed set-up).
    Step,
    /// The engine panicked (caught; the run went on).
    Panic,
    /// The scenario did not finish within the timeout; its worker thread
    /// was abandoned.
    Timeout,
    /// The worker thread ended without reporting (or could not start).
    WorkerLost,
}

impl FailureKind {
    /// A lower-case name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Step => "step",
            FailureKind::Panic => "panic",
            FailureKind::Timeout => "timeout",
            FailureKind::WorkerLost => "worker-lost",
        }
    }
}

/// A scenario's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Every step passed.
    Passed,
    /// A step failed, the engine panicked or the scenario timed out.
    Failed {
        /// The broad cause.
        kind: FailureKind,
        /// The first mismatch: expected vs actual row, expected vs actual
        /// error, the panic message, ...
        reason: String,
    },
    /// Not run (a skip tag matched).
    Skipped,
}

/// One scenario's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioOutcome {
    /// [`super::Scenario::id`].
    pub id: String,
    /// The feature directory (`clauses/match`).
    pub group: String,
    /// `file:line` relative to `features/`.
    pub location: String,
    /// The scenario's tags.
    pub tags: Vec<String>,
    /// The result.
    pub status: Status,
    /// Wall time spent (up to the timeout for timed-out scenarios).
    pub duration: Duration,
}

/// Counts for a group of scenarios.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Scenarios that passed.
    pub passed: usize,
    /// Scenarios that failed.
    pub failed: usize,
    /// Scenarios not run because of a skip tag (not in `total`).
    pub skipped: usize,
}

impl Counts {
    /// `passed + failed`.
    pub fn total(&self) -> usize {
        self.passed + self.failed
    }

    /// The pass percentage (0 when nothing ran).
    pub fn percent(&self) -> f64 {
        if self.total() == 0 {
            0.0
        } else {
            self.passed as f64 * 100.0 / self.total() as f64
        }
    }

    fn add(&mut self, status: &Status) {
        match status {
            Status::Passed => self.passed += 1,
            Status::Failed { .. } => self.failed += 1,
            Status::Skipped => self.skipped += 1,
        }
    }
}

/// A whole run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The engine's name ([`super::TckEngine::name`]).
    pub engine: String,
    /// Outcomes in run order.
    pub outcomes: Vec<ScenarioOutcome>,
}

impl Report {
    /// Counts per feature directory, sorted by directory.
    pub fn groups(&self) -> BTreeMap<&str, Counts> {
        let mut groups: BTreeMap<&str, Counts> = BTreeMap::new();
        for outcome in &self.outcomes {
            groups
                .entry(outcome.group.as_str())
                .or_default()
                .add(&outcome.status);
        }
        groups
    }

    /// Counts over all scenarios.
    pub fn overall(&self) -> Counts {
        let mut counts = Counts::default();
        for outcome in &self.outcomes {
            counts.add(&outcome.status);
        }
        counts
    }

    /// How many failures of each kind.
    pub fn failure_kinds(&self) -> BTreeMap<FailureKind, usize> {
        let mut kinds = BTreeMap::new();
        for outcome in &self.outcomes {
            if let Status::Failed { kind, .. } = outcome.status {
                *kinds.entry(kind).or_insert(0) += 1;
            }
        }
        kinds
    }

    /// The failed outcomes.
    pub fn failures(&self) -> impl Iterator<Item = &ScenarioOutcome> {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.status, Status::Failed { .. }))
    }

    /// `overall: P passed, F failed, T total (X.Y%)`.
    pub fn overall_line(&self) -> String {
        let c = self.overall();
        format!(
            "overall: {} passed, {} failed, {} total ({:.1}%)",
            c.passed,
            c.failed,
            c.total(),
            c.percent()
        )
    }

    /// One line per feature directory, aligned.
    pub fn group_lines(&self) -> Vec<String> {
        let groups = self.groups();
        let width = groups.keys().map(|g| g.len()).max().unwrap_or(0);
        groups
            .iter()
            .map(|(group, c)| {
                let mut line = format!(
                    "{group:<width$}  {:>4} passed, {:>4} failed, {:>4} total ({:>5.1}%)",
                    c.passed,
                    c.failed,
                    c.total(),
                    c.percent()
                );
                if c.skipped > 0 {
                    let _ = write!(line, ", {} skipped", c.skipped);
                }
                line
            })
            .collect()
    }

    /// Each failure as `FAIL id (location) [kind]` and an indented reason.
    pub fn failure_lines(&self) -> Vec<String> {
        self.failures()
            .map(|o| {
                let (kind, reason) = match &o.status {
                    Status::Failed { kind, reason } => (kind.as_str(), reason.as_str()),
                    _ => ("", ""),
                };
                let reason = reason.replace('\n', "\n    ");
                format!("FAIL {} ({}) [{kind}]\n    {reason}", o.id, o.location)
            })
            .collect()
    }

    /// The report as JSON: engine, overall and per-group counts, and every
    /// scenario with its status and failure reason.
    pub fn to_json(&self) -> serde_json::Value {
        let counts = |c: &Counts| {
            serde_json::json!({
                "passed": c.passed,
                "failed": c.failed,
                "total": c.total(),
                "skipped": c.skipped,
                "percent": (c.percent() * 10.0).round() / 10.0,
            })
        };
        let groups: serde_json::Map<String, serde_json::Value> = self
            .groups()
            .iter()
            .map(|(g, c)| ((*g).to_owned(), counts(c)))
            .collect();
        let scenarios: Vec<serde_json::Value> = self
            .outcomes
            .iter()
            .map(|o| {
                let (status, kind, reason) = match &o.status {
                    Status::Passed => ("passed", None, None),
                    Status::Failed { kind, reason } => {
                        ("failed", Some(kind.as_str()), Some(reason.as_str()))
                    }
                    Status::Skipped => ("skipped", None, None),
                };
                serde_json::json!({
                    "id": o.id,
                    "group": o.group,
                    "location": o.location,
                    "tags": o.tags,
                    "status": status,
                    "failure_kind": kind,
                    "reason": reason,
                    "duration_ms": o.duration.as_secs_f64() * 1000.0,
                })
            })
            .collect();
        serde_json::json!({
            "engine": self.engine,
            "overall": counts(&self.overall()),
            "groups": groups,
            "scenarios": scenarios,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(group: &str, status: Status) -> ScenarioOutcome {
        ScenarioOutcome {
            id: format!("{group}/F.feature: s"),
            group: group.to_owned(),
            location: format!("{group}/F.feature:1"),
            tags: Vec::new(),
            status,
            duration: Duration::from_millis(1),
        }
    }

    #[test]
    fn counts_and_lines() {
        let failed = || Status::Failed {
            kind: FailureKind::Step,
            reason: "nope".into(),
        };
        let report = Report {
            engine: "test".into(),
            outcomes: vec![
                outcome("a/b", Status::Passed),
                outcome("a/b", failed()),
                outcome("c", Status::Passed),
                outcome("c", Status::Skipped),
            ],
        };
        assert_eq!(
            report.overall_line(),
            "overall: 2 passed, 1 failed, 3 total (66.7%)"
        );
        let lines = report.group_lines();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("a/b     1 passed,    1 failed,    2 total ( 50.0%)"),
            "{}",
            lines[0]
        );
        assert!(lines[1].ends_with(", 1 skipped"), "{}", lines[1]);
        assert_eq!(
            report.failure_lines(),
            ["FAIL a/b/F.feature: s (a/b/F.feature:1) [step]\n    nope"]
        );
        let json = report.to_json();
        assert_eq!(json["overall"]["total"], 3);
        assert_eq!(json["groups"]["c"]["skipped"], 1);
        assert_eq!(json["scenarios"][1]["reason"], "nope");
        assert_eq!(
            Report::default().overall_line(),
            "overall: 0 passed, 0 failed, 0 total (0.0%)"
        );
    }
}
