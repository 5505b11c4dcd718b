//! Query results waiting to be pulled, and the metadata of `RUN` and of
//! the last `PULL` / `DISCARD`.

use std::time::Instant;

use cypher::{QueryOutput, UpdateStats};

use super::framing::write_message;
use super::messages::{entry, RECORD};
use super::packstream::{write_list_header, write_struct_header, PackValue};
use super::values::{Dialect, ResultWriter};

/// The name results report as their database.
pub const DATABASE: &str = "neo4j";

/// A result whose records are being pulled.
pub struct OpenResult {
    /// The query's output (every row is computed by `RUN`).
    pub output: QueryOutput,
    /// The next row to send.
    pub next: usize,
    /// When the first `PULL` or `DISCARD` came.
    pub streaming_since: Option<Instant>,
}

impl OpenResult {
    /// A result from its output.
    pub fn new(output: QueryOutput) -> OpenResult {
        OpenResult {
            output,
            next: 0,
            streaming_since: None,
        }
    }

    /// `true` once every row has been sent or discarded.
    pub fn is_done(&self) -> bool {
        self.next >= self.output.rows.len()
    }

    /// The end of the next batch of `n` rows (-1: all).
    fn batch_end(&self, n: i64) -> usize {
        let len = self.output.rows.len();
        if n < 0 {
            len
        } else {
            self.next.saturating_add(n as usize).min(len)
        }
    }

    /// Writes up to `max` of the `n` (-1: all) next rows as `RECORD`s;
    /// returns `true` when the batch is complete (call again otherwise).
    pub fn write_records(
        &mut self,
        out: &mut Vec<u8>,
        n: i64,
        max: usize,
        dialect: Dialect,
    ) -> bool {
        self.streaming_since.get_or_insert_with(Instant::now);
        let end = self.batch_end(n);
        let stop = end.min(self.next.saturating_add(max));
        let writer = ResultWriter::new(&self.output, dialect);
        let mut message = Vec::with_capacity(64);
        for row in &self.output.rows[self.next..stop] {
            message.clear();
            write_struct_header(&mut message, RECORD, 1);
            write_list_header(&mut message, row.len());
            for value in row {
                writer.value(&mut message, value);
            }
            write_message(out, &message);
        }
        self.next = stop;
        stop == end
    }

    /// Drops the `n` (-1: all) next rows.
    pub fn discard(&mut self, n: i64) {
        self.streaming_since.get_or_insert_with(Instant::now);
        self.next = self.batch_end(n);
    }

    /// The metadata of the last `PULL` / `DISCARD`: `t_last`, `type`,
    /// `stats` (when the query changed anything) and `db`; `bookmark` is
    /// added by the caller for auto-commit queries.
    pub fn summary(&self) -> Vec<(String, PackValue)> {
        let t_last = self
            .streaming_since
            .map_or(0, |t| t.elapsed().as_millis() as i64);
        let kind = if self.output.writes { "rw" } else { "r" };
        let mut metadata = vec![
            entry("t_last", PackValue::Integer(t_last)),
            entry("type", PackValue::String(kind.into())),
        ];
        if self.output.stats.contains_updates() {
            metadata.push(entry("stats", stats(&self.output.stats)));
        }
        metadata.push(entry("db", PackValue::String(DATABASE.into())));
        metadata
    }
}

/// The counters Neo4j reports, the ones that are not zero.
pub fn stats(stats: &UpdateStats) -> PackValue {
    let counters = [
        ("nodes-created", stats.nodes_created),
        ("nodes-deleted", stats.nodes_deleted),
        ("relationships-created", stats.relationships_created),
        ("relationships-deleted", stats.relationships_deleted),
        ("properties-set", stats.properties_set),
        ("labels-added", stats.labels_added),
        ("labels-removed", stats.labels_removed),
    ];
    let mut map: Vec<(String, PackValue)> = counters
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| entry(k, PackValue::Integer(*n as i64)))
        .collect();
    map.push(entry(
        "contains-updates",
        PackValue::Boolean(stats.contains_updates()),
    ));
    PackValue::Map(map)
}
