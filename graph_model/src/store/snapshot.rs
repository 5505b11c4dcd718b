//! Snapshot files: the whole graph at one LSN, `snapshot-<lsn>.cgs`.
//!
//! Layout: `"CGSNAP01" | lsn: u64 | zstd(body) | body_len: u64 |
//! crc32c(zstd bytes): u32 | "CGSNAPOK"`. A snapshot is written to a
//! temporary file, synced, then renamed, so a crash never leaves a half
//! written snapshot under the final name; the trailer and checksum catch
//! anything else (a truncated copy, flipped bits).

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use smallvec::SmallVec;

use super::adjacency::AdjEntry;
use super::codec::{Decoder, Encoder};
use super::interner::StringInterner;
use super::record::{NodeRecord, RelRecord};
use super::state::{GraphState, SYMBOL_KINDS};
use super::wal::sync_dir;
use crate::error::{GraphError, GraphResult};
use crate::ids::{LabelId, NodeId, RelId, RelTypeId};

const MAGIC: &[u8; 8] = b"CGSNAP01";
const END_MAGIC: &[u8; 8] = b"CGSNAPOK";
const TRAILER: usize = 8 + 4 + 8;

/// A snapshot file on disk.
#[derive(Clone, Debug)]
pub(crate) struct SnapshotFile {
    pub(crate) lsn: u64,
    pub(crate) path: PathBuf,
}

/// Lists snapshot files, newest first.
pub(crate) fn list_snapshots(dir: &Path) -> GraphResult<Vec<SnapshotFile>> {
    let mut snapshots = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| GraphError::io("listing", dir, e))? {
        let entry = entry.map_err(|e| GraphError::io("listing", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(lsn) = name
            .strip_prefix("snapshot-")
            .and_then(|n| n.strip_suffix(".cgs"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            snapshots.push(SnapshotFile {
                lsn,
                path: entry.path(),
            });
        }
    }
    snapshots.sort_by_key(|s| std::cmp::Reverse(s.lsn));
    Ok(snapshots)
}

/// The path of the snapshot at `lsn`.
pub(crate) fn snapshot_path(dir: &Path, lsn: u64) -> PathBuf {
    dir.join(format!("snapshot-{lsn:020}.cgs"))
}

struct CrcWriter<W: Write> {
    inner: W,
    crc: u32,
    len: u64,
}

impl<W: Write> Write for CrcWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc32c::crc32c_append(self.crc, &buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `state` as a snapshot in `dir`, returning its path and size.
pub(crate) fn write_snapshot(dir: &Path, state: &GraphState) -> GraphResult<(PathBuf, u64)> {
    let path = snapshot_path(dir, state.lsn);
    let tmp = dir.join(format!("snapshot-{:020}.tmp", state.lsn));
    let io = |e| GraphError::io("writing snapshot", &tmp, e);
    let file = File::create(&tmp).map_err(io)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(MAGIC).map_err(io)?;
    out.write_all(&state.lsn.to_le_bytes()).map_err(io)?;
    let crc_writer = CrcWriter {
        inner: out,
        crc: 0,
        len: 0,
    };
    let mut zstd = zstd::stream::write::Encoder::new(crc_writer, 1).map_err(io)?;
    encode_body(state, &mut zstd).map_err(io)?;
    let crc_writer = zstd.finish().map_err(io)?;
    let (crc, len, mut out) = (crc_writer.crc, crc_writer.len, crc_writer.inner);
    out.write_all(&len.to_le_bytes()).map_err(io)?;
    out.write_all(&crc.to_le_bytes()).map_err(io)?;
    out.write_all(END_MAGIC).map_err(io)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    drop(file);
    fs::rename(&tmp, &path).map_err(|e| GraphError::io("renaming snapshot", &path, e))?;
    sync_dir(dir)?;
    Ok((path, size))
}

/// Encodes `state` into `sink`, a buffer's worth at a time.
fn encode_body(state: &GraphState, sink: &mut impl Write) -> std::io::Result<()> {
    const BUFFER: usize = 1 << 20;
    let mut enc = Encoder::new(Vec::with_capacity(BUFFER + 4096));
    for kind in SYMBOL_KINDS {
        let names = state.symbols.of(kind).names();
        enc.varint(names.len() as u64);
        for name in names {
            enc.str(name);
        }
    }
    let indexes = state.indexes();
    enc.varint(indexes.len() as u64);
    for spec in &indexes {
        enc.index_spec(spec);
    }
    enc.varint(state.nodes.len() as u64);
    for slot in state.nodes.iter() {
        match slot {
            None => enc.u8(0),
            Some(node) => {
                enc.u8(1);
                enc.varint(node.labels.len() as u64);
                for l in &node.labels {
                    enc.varint(u64::from(l.0));
                }
                enc.varint(node.props.len() as u64);
                for (k, v) in node.props.iter() {
                    enc.varint(u64::from(k.0));
                    enc.value(v);
                }
                enc.varint(node.aliases.len() as u64);
                for (label, alias) in &node.aliases {
                    enc.varint(u64::from(label.0));
                    enc.str(alias);
                }
            }
        }
        enc.drain_over(BUFFER, sink)?;
    }
    enc.varint(state.rels.len() as u64);
    for slot in state.rels.iter() {
        match slot {
            None => enc.u8(0),
            Some(rel) => {
                enc.u8(1);
                enc.varint(u64::from(rel.rel_type.0));
                enc.varint(u64::from(rel.start.0));
                enc.varint(u64::from(rel.end.0));
                enc.varint(rel.props.len() as u64);
                for (k, v) in rel.props.iter() {
                    enc.varint(u64::from(k.0));
                    enc.value(v);
                }
            }
        }
        enc.drain_over(BUFFER, sink)?;
    }
    enc.drain_over(0, sink)
}

/// Reads and verifies a snapshot.
pub(crate) fn read_snapshot(path: &Path, interner: &mut StringInterner) -> GraphResult<GraphState> {
    let corrupt = |reason: String| GraphError::Decode {
        what: "snapshot",
        reason: format!("{}: {reason}", path.display()),
    };
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| BufReader::new(f).read_to_end(&mut bytes))
        .map_err(|e| GraphError::io("reading snapshot", path, e))?;
    if bytes.len() < 16 + TRAILER || &bytes[..8] != MAGIC {
        return Err(corrupt("not a CareGraph snapshot (bad header)".into()));
    }
    let tail = &bytes[bytes.len() - TRAILER..];
    if &tail[12..20] != END_MAGIC {
        return Err(corrupt("truncated (no end marker)".into()));
    }
    let mut u64_bytes = [0u8; 8];
    u64_bytes.copy_from_slice(&bytes[8..16]);
    let lsn = u64::from_le_bytes(u64_bytes);
    u64_bytes.copy_from_slice(&tail[..8]);
    let body_len = u64::from_le_bytes(u64_bytes);
    let crc = u32::from_le_bytes([tail[8], tail[9], tail[10], tail[11]]);
    let body = &bytes[16..bytes.len() - TRAILER];
    if body.len() as u64 != body_len {
        return Err(corrupt(format!(
            "body is {} bytes, trailer says {body_len}",
            body.len()
        )));
    }
    if crc32c::crc32c(body) != crc {
        return Err(corrupt("checksum mismatch".into()));
    }
    let zstd = zstd::stream::read::Decoder::new(body)
        .map_err(|e| corrupt(format!("cannot decompress: {e}")))?;
    let mut dec = Decoder::new(BufReader::with_capacity(1 << 20, zstd), "snapshot");
    let mut state = decode_body(&mut dec, interner)?;
    state.lsn = lsn;
    Ok(state)
}

fn decode_body<R: std::io::BufRead>(
    dec: &mut Decoder<R>,
    interner: &mut StringInterner,
) -> GraphResult<GraphState> {
    let mut state = GraphState::default();
    {
        let symbols = Arc::make_mut(&mut state.symbols);
        for kind in SYMBOL_KINDS {
            let n = dec.varint()?;
            for id in 0..n {
                let name = dec.string()?;
                if !symbols.of_mut(kind).define(id as u32, &name) {
                    return Err(dec.error(format!("duplicate name `{name}`")));
                }
            }
        }
    }
    let n_indexes = dec.varint()?;
    let mut indexes = Vec::new();
    for _ in 0..n_indexes {
        indexes.push(dec.index_spec()?);
    }
    let label_count = state.symbols.labels.len();
    let n_nodes = dec.u32()?;
    let mut bitmaps: Vec<roaring::RoaringBitmap> = vec![roaring::RoaringBitmap::new(); label_count];
    let mut aliases: Vec<(LabelId, Arc<str>, NodeId)> = Vec::new();
    let mut nodes: Vec<Option<NodeRecord>> = Vec::with_capacity(n_nodes as usize);
    for id in 0..n_nodes {
        if dec.u8()? == 0 {
            nodes.push(None);
            continue;
        }
        let mut record = NodeRecord::default();
        let n_labels = dec.varint()?;
        for _ in 0..n_labels {
            let label = dec.u32()?;
            let bitmap = bitmaps
                .get_mut(label as usize)
                .ok_or_else(|| dec.error(format!("unknown label {label}")))?;
            bitmap.insert(id);
            record.labels.push(LabelId(label));
        }
        record.props = dec
            .props()?
            .into_iter()
            .map(|(k, v)| (k, interner.intern_property(k.0, v)))
            .collect();
        let n_aliases = dec.varint()?;
        for _ in 0..n_aliases {
            let label = LabelId(dec.u32()?);
            let alias = dec.string()?;
            aliases.push((label, alias.clone(), NodeId(id)));
            record.aliases.push((label, alias));
        }
        nodes.push(Some(record));
    }
    let n_rels = dec.u32()?;
    let mut type_counts = vec![0u64; state.symbols.rel_types.len()];
    for id in 0..n_rels {
        if dec.u8()? == 0 {
            state.rels.push(None);
            continue;
        }
        let rel_type = RelTypeId(dec.u32()?);
        let start = NodeId(dec.u32()?);
        let end = NodeId(dec.u32()?);
        let props: Vec<_> = dec
            .props()?
            .into_iter()
            .map(|(k, v)| (k, interner.intern_property(k.0, v)))
            .collect();
        let count = type_counts
            .get_mut(rel_type.index())
            .ok_or_else(|| dec.error(format!("unknown relationship type {rel_type}")))?;
        *count += 1;
        let rel = RelId(id);
        match nodes.get_mut(start.index()) {
            Some(Some(n)) => n.out.insert(AdjEntry {
                rel_type,
                rel,
                other: end,
            }),
            _ => {
                return Err(dec.error(format!("relationship {rel} starts at missing node {start}")))
            }
        }
        match nodes.get_mut(end.index()) {
            Some(Some(n)) => n.inc.insert(AdjEntry {
                rel_type,
                rel,
                other: start,
            }),
            _ => return Err(dec.error(format!("relationship {rel} ends at missing node {end}"))),
        }
        state.rels.push(Some(RelRecord {
            rel_type,
            start,
            end,
            props: props.into_iter().collect(),
        }));
        state.live_rels += 1;
    }
    for node in nodes {
        if node.is_some() {
            state.live_nodes += 1;
        }
        state.nodes.push(node.map(Arc::new));
    }
    state.label_index = Arc::new(bitmaps.into_iter().map(Arc::new).collect());
    state.rel_type_counts = Arc::new(type_counts);
    for (label, alias, node) in aliases {
        let entry: &mut SmallVec<[NodeId; 1]> = state.alias_map_mut(label).entry_or_default(alias);
        entry.push(node);
    }
    for spec in &indexes {
        state.apply(super::op::Op::CreateIndex(spec.clone()))?;
    }
    Ok(state)
}
