//! Running scenarios against a [`TckEngine`] without letting one scenario
//! take the run down.
//!
//! Each scenario runs on its own worker thread (named
//! `tck-scenario-<n>`, with a large stack) inside
//! [`std::panic::catch_unwind`]: a panic is recorded as that scenario's
//! failure. The runner waits for the worker up to the configured timeout;
//! a scenario that takes longer is a failure and its worker is abandoned
//! (threads cannot be killed; it keeps its graph until it ends, if ever).
//! A panic that aborts the process (stack overflow, panic while panicking)
//! cannot be caught in-process.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use super::engine::TckEngine;
use super::execute::{run_scenario, ErrorMatching, StepFailure};
use super::graphs::NamedGraphs;
use super::report::{FailureKind, Report, ScenarioOutcome, Status};
use super::suite::Scenario;

/// Worker threads are named with this prefix.
pub const WORKER_PREFIX: &str = "tck-scenario-";

/// Run options.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// How long one scenario may take (default 10 s).
    pub timeout: Duration,
    /// Run only scenarios whose [`Scenario::id`] contains this.
    pub filter: Option<String>,
    /// Scenarios with any of these tags are reported as skipped.
    pub skip_tags: Vec<String>,
    /// How strictly expected errors are matched.
    pub error_matching: ErrorMatching,
    /// Stack size of worker threads (default 64 MiB, for recursive engines).
    pub stack_size: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            timeout: Duration::from_secs(10),
            filter: None,
            skip_tags: Vec::new(),
            error_matching: ErrorMatching::default(),
            stack_size: 64 * 1024 * 1024,
        }
    }
}

impl RunConfig {
    /// Whether the filter selects `scenario` (skipped ones are selected).
    pub fn selects(&self, scenario: &Scenario) -> bool {
        self.filter
            .as_deref()
            .is_none_or(|f| scenario.id().contains(f))
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs (once per process) a panic hook that keeps panics on worker
/// threads quiet and records their message with its location for the
/// report; panics elsewhere go to the previous hook. Optional: without it
/// panics are still caught, and the default hook prints them to stderr.
pub fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let on_worker = thread::current()
                .name()
                .is_some_and(|n| n.starts_with(WORKER_PREFIX));
            if on_worker {
                LAST_PANIC.with(|last| *last.borrow_mut() = Some(info.to_string()));
            } else {
                previous(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let recorded = LAST_PANIC.with(|last| last.borrow_mut().take());
    if let Some(message) = recorded {
        return message;
    }
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked (non-string payload)".to_owned()
    }
}

enum Verdict {
    Passed,
    Failed(StepFailure),
    Panicked(String),
}

/// Runs scenarios against one engine.
pub struct Runner<E: TckEngine> {
    engine: Arc<E>,
    graphs: Arc<NamedGraphs>,
    config: RunConfig,
    spawned: std::sync::atomic::AtomicUsize,
}

impl<E: TckEngine> Runner<E> {
    /// A runner for `engine` with the named graphs scenarios may ask for.
    pub fn new(engine: E, graphs: NamedGraphs, config: RunConfig) -> Self {
        Runner {
            engine: Arc::new(engine),
            graphs: Arc::new(graphs),
            config,
            spawned: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Runs the selected scenarios in order.
    pub fn run(&self, scenarios: &[Scenario]) -> Report {
        self.run_with(scenarios, |_| {})
    }

    /// Runs the selected scenarios in order, calling `on_outcome` after
    /// each (for progress output).
    pub fn run_with(
        &self,
        scenarios: &[Scenario],
        mut on_outcome: impl FnMut(&ScenarioOutcome),
    ) -> Report {
        let mut report = Report {
            engine: self.engine.name(),
            outcomes: Vec::new(),
        };
        for scenario in scenarios.iter().filter(|s| self.config.selects(s)) {
            let outcome = self.run_one(scenario);
            on_outcome(&outcome);
            report.outcomes.push(outcome);
        }
        report
    }

    /// Runs one scenario (whatever the filter says; skip tags apply).
    pub fn run_one(&self, scenario: &Scenario) -> ScenarioOutcome {
        let started = Instant::now();
        let status = if self.config.skip_tags.iter().any(|t| scenario.has_tag(t)) {
            Status::Skipped
        } else {
            self.run_on_worker(scenario)
        };
        ScenarioOutcome {
            id: scenario.id(),
            group: scenario.group().to_owned(),
            location: scenario.location(),
            tags: scenario.tags.clone(),
            status,
            duration: started.elapsed(),
        }
    }

    fn run_on_worker(&self, scenario: &Scenario) -> Status {
        let (sender, receiver) = mpsc::channel();
        let engine = Arc::clone(&self.engine);
        let graphs = Arc::clone(&self.graphs);
        let owned = scenario.clone();
        let matching = self.config.error_matching;
        let n = self
            .spawned
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let spawned = thread::Builder::new()
            .name(format!("{WORKER_PREFIX}{n}"))
            .stack_size(self.config.stack_size)
            .spawn(move || {
                let result = panic::catch_unwind(AssertUnwindSafe(|| {
                    run_scenario(engine.as_ref(), &graphs, &owned, matching)
                }));
                let verdict = match result {
                    Ok(Ok(())) => Verdict::Passed,
                    Ok(Err(failure)) => Verdict::Failed(failure),
                    Err(payload) => Verdict::Panicked(panic_message(payload.as_ref())),
                };
                // The runner may have given up waiting; nothing to do then.
                let _ = sender.send(verdict);
            });
        let handle = match spawned {
            Ok(handle) => handle,
            Err(e) => {
                return Status::Failed {
                    kind: FailureKind::WorkerLost,
                    reason: format!("could not start a worker thread: {e}"),
                }
            }
        };
        match receiver.recv_timeout(self.config.timeout) {
            Ok(verdict) => {
                // The worker is about to end; joining cannot hang.
                let _ = handle.join();
                match verdict {
                    Verdict::Passed => Status::Passed,
                    Verdict::Failed(failure) => Status::Failed {
                        kind: FailureKind::Step,
                        reason: failure.to_string(),
                    },
                    Verdict::Panicked(message) => Status::Failed {
                        kind: FailureKind::Panic,
                        reason: format!("engine panic: {message}"),
                    },
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Status::Failed {
                kind: FailureKind::Timeout,
                reason: format!(
                    "timed out after {:.1} s (worker thread abandoned)",
                    self.config.timeout.as_secs_f64()
                ),
            },
            Err(mpsc::RecvTimeoutError::Disconnected) => Status::Failed {
                kind: FailureKind::WorkerLost,
                reason: "the worker thread ended without a verdict".to_owned(),
            },
        }
    }
}
