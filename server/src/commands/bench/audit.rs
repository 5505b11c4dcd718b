//! `caregraph bench audit`: appends to a fresh audit log from 1 and from 4
//! threads: appends per second, median and p99 latency of one append (a
//! `write` per record; the fsync runs in the background), and the time to
//! verify the whole chain afterwards.

use std::path::Path;
use std::time::{Duration, Instant};

use super::percentile;
use crate::audit::{self, AuditEvent, AuditLog, Door, Outcome};

/// Runs the benchmark with `appends` records per case.
pub fn run(appends: usize, threads: &[usize], work_dir: &Path) -> anyhow::Result<()> {
    println!("audit benchmark: {appends} appends per case, a typical record (a Cypher query and one patient id)");
    for &n in threads {
        let n = n.max(1);
        let dir = work_dir.join(format!("audit-{n}"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let log = AuditLog::open(&dir)?;
        let per_thread = appends.div_ceil(n);
        let started = Instant::now();
        let latencies: Vec<Duration> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..n)
                .map(|t| {
                    let log = &log;
                    scope.spawn(move || -> anyhow::Result<Vec<Duration>> {
                        let mut out = Vec::with_capacity(per_thread);
                        for i in 0..per_thread {
                            let event = sample_event(t, i);
                            let start = Instant::now();
                            log.append(event)?;
                            out.push(start.elapsed());
                        }
                        Ok(out)
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(appends);
            for worker in workers {
                match worker.join() {
                    Ok(latencies) => all.extend(latencies?),
                    Err(_) => anyhow::bail!("an append thread panicked"),
                }
            }
            Ok(all)
        })?;
        let elapsed = started.elapsed();
        log.close()?;
        let total = latencies.len();
        let verify_start = Instant::now();
        let report = audit::verify(&audit::audit_dir(&dir))?;
        let verify_time = verify_start.elapsed();
        anyhow::ensure!(
            report.intact() && report.records == total as u64,
            "the log written by the benchmark does not verify: {:?}",
            report.broken
        );
        let bytes = std::fs::metadata(audit::audit_dir(&dir).join(audit::LOG_FILE))?.len();
        println!(
            "{n} thread(s): {total} appends in {:.2} s = {:.0} appends/s; latency median {:.1} µs, p99 {:.1} µs; log {:.1} MB ({} bytes/record); verify {:.2} s ({:.0} records/s)",
            elapsed.as_secs_f64(),
            total as f64 / elapsed.as_secs_f64(),
            micros(percentile(latencies.clone(), 0.5)),
            micros(percentile(latencies, 0.99)),
            bytes as f64 / 1e6,
            bytes / total.max(1) as u64,
            verify_time.as_secs_f64(),
            total as f64 / verify_time.as_secs_f64().max(1e-9),
        );
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn sample_event(thread: usize, i: usize) -> AuditEvent {
    AuditEvent {
        subject: format!("clinician-{thread}"),
        role: "clinician".into(),
        door: Door::CypherHttp,
        operation: "MATCH (p:Patient {id: $id})-[:HAS_CONDITION]->(c:Condition) RETURN c.display AS condition, c.code AS code ORDER BY condition LIMIT 25".into(),
        patient_ids: vec![format!("0a1b2c3d-{thread:04}-4e5f-8a9b-{i:012}")],
        outcome: Outcome::Ok,
    }
}
