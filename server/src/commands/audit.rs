//! `caregraph audit verify` and `caregraph audit show`: read the audit log
//! of a data directory. They only read (no lock, no graph), so they work
//! while the server runs.

use std::io::Write;
use std::path::Path;

use clap::{ArgGroup, Subcommand};

use crate::audit::{self, Filter, Record, VerifyReport};

/// The audit subcommands.
#[derive(Subcommand, Debug, Clone)]
pub enum AuditCommand {
    /// Check the hash chain: exit 0 and "intact: N records, head HASH", or
    /// exit 1 naming the first broken record and why.
    Verify {
        /// Data directory.
        #[arg(long, env = "CAREGRAPH_DATA_DIR")]
        data_dir: Option<std::path::PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Who looked at a patient: every record touching it (and/or made by a
    /// subject), oldest first.
    #[command(group(ArgGroup::new("who").required(true).multiple(true).args(["patient", "subject"])))]
    Show {
        /// Data directory.
        #[arg(long, env = "CAREGRAPH_DATA_DIR")]
        data_dir: Option<std::path::PathBuf>,
        /// Records touching this patient id.
        #[arg(long)]
        patient: Option<String>,
        /// Records of this subject (user or client).
        #[arg(long)]
        subject: Option<String>,
        /// Print JSON (every field, the operation in full).
        #[arg(long)]
        json: bool,
    },
}

/// Widest operation text in the table (the JSON has it whole).
const OPERATION_WIDTH: usize = 60;

/// `audit verify`: the exit status (0 intact, 1 broken).
pub fn verify(data_dir: &Path, json: bool) -> anyhow::Result<u8> {
    let report = audit::verify(&audit::audit_dir(data_dir))?;
    let mut out = std::io::stdout().lock();
    if json {
        let mut value = serde_json::to_value(&report)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("intact".into(), report.intact().into());
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        print_verify(&mut out, &report)?;
    }
    Ok(u8::from(!report.intact()))
}

fn print_verify(out: &mut impl Write, report: &VerifyReport) -> std::io::Result<()> {
    match &report.broken {
        None => {
            writeln!(
                out,
                "intact: {} records, head {}",
                report.records, report.head
            )?;
            if report.head_lag > 0 {
                writeln!(
                    out,
                    "  {} record(s) after the one the head file names (appended since the last sync: the server is running, or stopped without closing the log)",
                    report.head_lag
                )?;
            }
        }
        Some(broken) => {
            writeln!(out, "broken: {broken}")?;
            writeln!(
                out,
                "  {} record(s) before it are intact (last good head {})",
                report.records, report.head
            )?;
        }
    }
    for torn in &report.torn_files {
        writeln!(
            out,
            "  note: {} holds an incomplete record set aside after a crash",
            torn.display()
        )?;
    }
    Ok(())
}

/// `audit show`.
pub fn show(data_dir: &Path, filter: &Filter, json: bool) -> anyhow::Result<()> {
    let dir = audit::audit_dir(data_dir);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shown = 0u64;
    let (read, skipped) = if json {
        out.write_all(b"[")?;
        let counts = audit::scan(&dir, filter, &mut |record| {
            out.write_all(if shown == 0 { b"\n  " } else { b",\n  " })?;
            serde_json::to_writer(&mut out, record)?;
            shown += 1;
            Ok(())
        })?;
        out.write_all(if shown == 0 { b"]\n" } else { b"\n]\n" })?;
        counts
    } else {
        writeln!(
            out,
            "{:<24}  {:<16}  {:<12}  {:<10}  {:<10}  OPERATION",
            "TIME", "SUBJECT", "ROLE", "DOOR", "OUTCOME"
        )?;
        let (read, skipped) = audit::scan(&dir, filter, &mut |record| {
            shown += 1;
            table_row(&mut out, record)
        })?;
        let what = match (&filter.patient, &filter.subject) {
            (Some(p), Some(s)) => format!("touching patient {p} by {s}"),
            (Some(p), None) => format!("touching patient {p}"),
            (None, Some(s)) => format!("by {s}"),
            (None, None) => String::new(),
        };
        writeln!(out, "{shown} record(s) {what} among {read} read")?;
        (read, skipped)
    };
    out.flush()?;
    if skipped > 0 {
        eprintln!(
            "warning: {skipped} line(s) of the log are not records and were skipped (of {}); `caregraph audit verify` says what is wrong",
            read + skipped
        );
    }
    Ok(())
}

fn table_row(out: &mut impl Write, record: &Record) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<24}  {:<16}  {:<12}  {:<10}  {:<10}  {}",
        record.time,
        cut(&record.sub, 16),
        cut(&record.role, 12),
        record.door.name(),
        cut(&record.outcome.to_string(), 10),
        cut(&record.operation, OPERATION_WIDTH)
    )
}

/// `text` on one line, at most `width` characters (an ellipsis marks a
/// cut).
fn cut(text: &str, width: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let one_line = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= width {
        return one_line;
    }
    let mut out: String = one_line.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cut_keeps_one_line_and_the_width() {
        assert_eq!(cut("MATCH (p)\n  RETURN p", 60), "MATCH (p) RETURN p");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abcd", 4), "abcd");
    }
}
