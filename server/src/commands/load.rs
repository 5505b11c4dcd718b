//! `caregraph load`: into a data directory, or to a running server.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;
use flate2::read::MultiGzDecoder;
use graph_model::fhir::source::{classify, expand_inputs, InputKind};
use graph_model::fhir::{load_paths, LoadOptions, LoadReport};

use super::{byte_progress, open_db};

/// Loads `paths` into the data directory `dir`. Returns the exit status.
pub fn run_local(
    dir: &Path,
    paths: &[PathBuf],
    batch_size: usize,
    json: bool,
) -> anyhow::Result<u8> {
    let db = open_db(dir, true)?;
    let mut options = LoadOptions::for_data_dir(dir);
    options.batch_size = batch_size.max(1);
    let bar = byte_progress(0, "loading");
    let report = load_paths(&db, paths, options, &mut |p| {
        bar.set_length(p.bytes_total);
        bar.set_position(p.bytes_done);
        bar.set_prefix(format!(
            "{} records, file {}/{}",
            p.records, p.files_done, p.files_total
        ));
    })?;
    bar.finish_and_clear();
    db.close().context("writing the final snapshot")?;
    print_report(&report, json)?;
    Ok(exit_code(&report))
}

fn exit_code(report: &LoadReport) -> u8 {
    report.exit_code().clamp(0, 255) as u8
}

/// Prints a load report as a table, or as JSON.
pub fn print_report(report: &LoadReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    println!(
        "read {} records from {} file(s): {} loaded, {} rejected",
        report.records_read, report.files, report.records_loaded, report.records_rejected
    );
    println!(
        "  {:<24} {:>10} {:>10} {:>10}",
        "resource type", "read", "loaded", "rejected"
    );
    for (resource_type, counts) in &report.by_type {
        println!(
            "  {resource_type:<24} {:>10} {:>10} {:>10}",
            counts.read, counts.loaded, counts.rejected
        );
    }
    println!(
        "nodes: {} created, {} updated; relationships: {} created, {} updated",
        report.nodes_created,
        report.nodes_updated,
        report.relationships_created,
        report.relationships_updated
    );
    if report.stubs_created + report.stubs_merged > 0 {
        println!(
            "stubs: {} created for references not (yet) loaded, {} merged into their resource",
            report.stubs_created, report.stubs_merged
        );
    }
    for (rel_type, count) in &report.unresolved {
        println!("unresolved: {count} {rel_type} relationship(s) dropped (the referenced resource never arrived)");
    }
    for (what, count) in &report.skipped {
        println!("skipped: {count} × {what}");
    }
    for rejection in report.rejections.iter().take(10) {
        let line = rejection.line.map(|l| format!(":{l}")).unwrap_or_default();
        let entry = rejection
            .entry
            .map(|e| format!(" entry[{e}]"))
            .unwrap_or_default();
        let place = format!("{}{line}{entry}", rejection.file);
        let path = if rejection.path.is_empty() {
            String::new()
        } else {
            format!("{}: ", rejection.path)
        };
        println!("rejected: {place}: {path}{}", rejection.reason);
    }
    if report.records_rejected > 10 {
        println!("  ... {} more", report.records_rejected - 10);
    }
    if let Some(file) = &report.rejects_file {
        println!("rejected records with reasons: {}", file.display());
    }
    println!(
        "{:.2} s, {:.0} records/s, {} transaction(s)",
        report.seconds, report.records_per_second, report.batches
    );
    Ok(())
}

/// Lines per request when streaming NDJSON to a server.
const LINES_PER_REQUEST: usize = 5_000;
/// Bytes per request when streaming NDJSON to a server.
const BYTES_PER_REQUEST: usize = 16 << 20;

/// Sends `paths` to a running server's `POST /fhir`. Returns the exit status.
pub fn run_remote(
    url: &str,
    token: Option<&crate::auth::Secret>,
    paths: &[PathBuf],
    json: bool,
) -> anyhow::Result<u8> {
    let endpoint = format!("{}/fhir", url.trim_end_matches('/'));
    let authorization = token.map(|t| format!("Bearer {}", t.expose()));
    let (files, skipped) = expand_inputs(paths)?;
    let mut total = LoadReport {
        skipped_files: skipped,
        ..LoadReport::default()
    };
    let started = std::time::Instant::now();
    let bytes_total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    let bar = byte_progress(bytes_total, "sending");
    for file in &files {
        let name = file.to_string_lossy().into_owned();
        let Some((kind, gz)) = classify(&name) else {
            continue;
        };
        let handle =
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        let reader: Box<dyn Read> = if gz {
            Box::new(MultiGzDecoder::new(BufReader::new(handle)))
        } else {
            Box::new(handle)
        };
        let mut send = |kind: InputKind, body: Vec<u8>| {
            post(&endpoint, authorization.as_deref(), kind, &body, &mut total)
        };
        match kind {
            InputKind::Ndjson => send_ndjson(reader, &mut send)?,
            InputKind::Json => {
                let mut body = Vec::new();
                BufReader::new(reader).read_to_end(&mut body)?;
                send(InputKind::Json, body)?;
            }
            InputKind::TarGz => {
                let mut archive = tar::Archive::new(reader);
                for entry in archive.entries()? {
                    let entry = entry?;
                    let member = entry.path()?.to_string_lossy().into_owned();
                    let Some((member_kind, member_gz)) = classify(&member) else {
                        continue;
                    };
                    let member_reader: Box<dyn Read> = if member_gz {
                        Box::new(MultiGzDecoder::new(entry))
                    } else {
                        Box::new(entry)
                    };
                    match member_kind {
                        InputKind::Ndjson => send_ndjson(member_reader, &mut send)?,
                        InputKind::Json => {
                            let mut body = Vec::new();
                            BufReader::new(member_reader).read_to_end(&mut body)?;
                            send(InputKind::Json, body)?;
                        }
                        InputKind::TarGz => {}
                    }
                }
            }
        }
        total.files += 1;
        bar.inc(std::fs::metadata(file).map_or(0, |m| m.len()));
    }
    bar.finish_and_clear();
    total.seconds = started.elapsed().as_secs_f64();
    total.records_per_second = total.records_read as f64 / total.seconds.max(1e-9);
    print_report(&total, json)?;
    Ok(exit_code(&total))
}

fn send_ndjson(
    reader: impl Read,
    send: &mut dyn FnMut(InputKind, Vec<u8>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut chunk = Vec::new();
    let mut lines = 0;
    loop {
        let n = reader.read_until(b'\n', &mut chunk)?;
        if n == 0 {
            break;
        }
        if chunk.last() != Some(&b'\n') {
            chunk.push(b'\n');
        }
        lines += 1;
        if lines >= LINES_PER_REQUEST || chunk.len() >= BYTES_PER_REQUEST {
            // Keep a line whole: send everything up to and including it.
            send(InputKind::Ndjson, std::mem::take(&mut chunk))?;
            lines = 0;
        }
    }
    if !chunk.is_empty() {
        send(InputKind::Ndjson, chunk)?;
    }
    Ok(())
}

fn post(
    endpoint: &str,
    authorization: Option<&str>,
    kind: InputKind,
    body: &[u8],
    total: &mut LoadReport,
) -> anyhow::Result<()> {
    let content_type = match kind {
        InputKind::Ndjson => "application/fhir+ndjson",
        _ => "application/fhir+json",
    };
    let mut request = ureq::post(endpoint).set("Content-Type", content_type);
    if let Some(authorization) = authorization {
        request = request.set("Authorization", authorization);
    }
    let response = request.send_bytes(body);
    let response = match response {
        Ok(r) | Err(ureq::Error::Status(422, r)) => r,
        Err(ureq::Error::Status(code, r)) => {
            let text = r.into_string().unwrap_or_default();
            anyhow::bail!("{endpoint} answered {code}: {text}");
        }
        Err(e) => return Err(e).with_context(|| format!("sending to {endpoint}")),
    };
    let report: LoadReport = serde_json::from_reader(response.into_reader())
        .with_context(|| format!("reading the load report from {endpoint}"))?;
    total.merge(report);
    Ok(())
}
