//! A compact binary encoding of values and operations, shared by the
//! write-ahead log and snapshots: LEB128 varints, zig-zag for signed numbers,
//! length-prefixed strings, one tag byte per value.

use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike};

use super::op::{IndexSpec, Op};
use crate::error::GraphError;
use crate::ids::{LabelId, NodeId, PropKeyId, RelId, RelTypeId};
use crate::symbols::SymbolKind;
use crate::temporal::{DurationValue, OffsetTime, ZonedDateTime};
use crate::value::Value;

/// Deepest nesting of lists and maps the decoder accepts.
const MAX_DEPTH: usize = 256;
/// Largest string or collection length the decoder accepts (guards against
/// corrupt lengths allocating without bound).
const MAX_LEN: u64 = 1 << 31;

/// Encoding primitives into a byte buffer (appending to a `Vec` cannot
/// fail, and small pieces are pushed without a call per piece). Streaming
/// users move the buffer's bytes out as it fills ([`Encoder::drain_over`]).
pub(crate) struct Encoder {
    pub(crate) out: Vec<u8>,
}

impl Encoder {
    pub(crate) fn new(out: Vec<u8>) -> Self {
        Encoder { out }
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    /// Writes the encoded bytes to `sink` and empties the buffer, once it
    /// holds more than `limit` bytes (`limit` 0: whatever it holds).
    pub(crate) fn drain_over(&mut self, limit: usize, sink: &mut impl Write) -> io::Result<()> {
        if self.out.len() > limit {
            sink.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    pub(crate) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    pub(crate) fn signed(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.out.extend_from_slice(b);
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub(crate) fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.u8(0),
            Value::Boolean(false) => self.u8(1),
            Value::Boolean(true) => self.u8(2),
            Value::Integer(i) => {
                self.u8(3);
                self.signed(*i);
            }
            Value::Float(x) => {
                self.u8(4);
                self.out.extend_from_slice(&x.to_bits().to_le_bytes());
            }
            Value::String(s) => {
                self.u8(5);
                self.str(s);
            }
            Value::Date(d) => {
                self.u8(6);
                self.signed(i64::from(d.num_days_from_ce()));
            }
            Value::DateTime(dt) => {
                self.u8(7);
                self.signed(dt.timestamp());
                self.varint(u64::from(dt.timestamp_subsec_nanos()));
                self.signed(i64::from(dt.offset().local_minus_utc()));
            }
            Value::List(items) => {
                self.u8(8);
                self.varint(items.len() as u64);
                for item in items.iter() {
                    self.value(item);
                }
            }
            Value::Map(map) => {
                self.u8(9);
                self.varint(map.len() as u64);
                for (k, v) in map.iter() {
                    self.str(k);
                    self.value(v);
                }
            }
            Value::LocalTime(t) => {
                self.u8(10);
                self.time(*t);
            }
            Value::Time(t) => {
                self.u8(11);
                self.time(t.time);
                self.signed(i64::from(t.offset.local_minus_utc()));
            }
            Value::LocalDateTime(dt) => {
                self.u8(12);
                let utc = dt.and_utc();
                self.signed(utc.timestamp());
                self.varint(u64::from(utc.timestamp_subsec_nanos()));
            }
            Value::ZonedDateTime(z) => {
                self.u8(13);
                self.signed(z.datetime.timestamp());
                self.varint(u64::from(z.datetime.timestamp_subsec_nanos()));
                self.signed(i64::from(z.datetime.offset().local_minus_utc()));
                self.str(&z.zone);
            }
            Value::Duration(d) => {
                self.u8(14);
                self.signed(d.months());
                self.signed(d.days());
                self.signed(d.seconds());
                self.signed(i64::from(d.nanos()));
            }
        }
    }

    /// A time of day: seconds since midnight, then nanoseconds.
    fn time(&mut self, t: NaiveTime) {
        self.varint(u64::from(t.num_seconds_from_midnight()));
        self.varint(u64::from(t.nanosecond()));
    }

    pub(crate) fn props(&mut self, props: &[(PropKeyId, Value)]) {
        self.varint(props.len() as u64);
        for (k, v) in props {
            self.varint(u64::from(k.0));
            self.value(v);
        }
    }

    pub(crate) fn op(&mut self, op: &Op) {
        match op {
            Op::DefineSymbol { kind, id, name } => {
                self.u8(1);
                self.u8(symbol_kind_tag(*kind));
                self.varint(u64::from(*id));
                self.str(name);
            }
            Op::CreateIndex(spec) => {
                self.u8(2);
                self.index_spec(spec);
            }
            Op::CreateNode { id, labels, props } => {
                self.u8(3);
                self.varint(u64::from(id.0));
                self.varint(labels.len() as u64);
                for l in labels {
                    self.varint(u64::from(l.0));
                }
                self.props(props);
            }
            Op::DeleteNode { id } => {
                self.u8(4);
                self.varint(u64::from(id.0));
            }
            Op::AddLabel { node, label } => {
                self.u8(5);
                self.varint(u64::from(node.0));
                self.varint(u64::from(label.0));
            }
            Op::RemoveLabel { node, label } => {
                self.u8(6);
                self.varint(u64::from(node.0));
                self.varint(u64::from(label.0));
            }
            Op::SetNodeProperty { node, key, value } => {
                self.u8(7);
                self.varint(u64::from(node.0));
                self.varint(u64::from(key.0));
                self.value(value);
            }
            Op::CreateRel {
                id,
                rel_type,
                start,
                end,
                props,
            } => {
                self.u8(8);
                self.varint(u64::from(id.0));
                self.varint(u64::from(rel_type.0));
                self.varint(u64::from(start.0));
                self.varint(u64::from(end.0));
                self.props(props);
            }
            Op::DeleteRel { id } => {
                self.u8(9);
                self.varint(u64::from(id.0));
            }
            Op::SetRelProperty { rel, key, value } => {
                self.u8(10);
                self.varint(u64::from(rel.0));
                self.varint(u64::from(key.0));
                self.value(value);
            }
            Op::SetAlias {
                label,
                alias,
                node,
                present,
            } => {
                self.u8(11);
                self.varint(u64::from(label.0));
                self.str(alias);
                self.varint(u64::from(node.0));
                self.u8(u8::from(*present));
            }
        }
    }

    pub(crate) fn index_spec(&mut self, spec: &IndexSpec) {
        match spec {
            IndexSpec::NodeUnique { label, key } => {
                self.u8(1);
                self.varint(u64::from(label.0));
                self.varint(u64::from(key.0));
            }
            IndexSpec::RelUnique { rel_type, key } => {
                self.u8(2);
                self.varint(u64::from(rel_type.0));
                self.varint(u64::from(key.0));
            }
        }
    }
}

fn symbol_kind_tag(kind: SymbolKind) -> u8 {
    match kind {
        SymbolKind::Label => 0,
        SymbolKind::RelType => 1,
        SymbolKind::PropKey => 2,
    }
}

fn decode_io(what: &'static str, e: &io::Error) -> GraphError {
    GraphError::Decode {
        what,
        reason: format!("truncated or unreadable: {e}"),
    }
}

/// Decoding primitives over any buffered reader. Varints and strings are
/// read straight from the reader's buffer when it holds enough bytes.
pub(crate) struct Decoder<R: BufRead> {
    pub(crate) input: R,
    what: &'static str,
}

impl<R: BufRead> Decoder<R> {
    pub(crate) fn new(input: R, what: &'static str) -> Self {
        Decoder { input, what }
    }

    pub(crate) fn error(&self, reason: impl Into<String>) -> GraphError {
        GraphError::Decode {
            what: self.what,
            reason: reason.into(),
        }
    }

    fn io(&self, e: &io::Error) -> GraphError {
        decode_io(self.what, e)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, GraphError> {
        let what = self.what;
        let buf = self.input.fill_buf().map_err(|e| decode_io(what, &e))?;
        let Some(&byte) = buf.first() else {
            return Err(self.error("truncated: unexpected end of data"));
        };
        self.input.consume(1);
        Ok(byte)
    }

    pub(crate) fn varint(&mut self) -> Result<u64, GraphError> {
        let what = self.what;
        let buf = self.input.fill_buf().map_err(|e| decode_io(what, &e))?;
        if buf.len() >= 10 {
            let mut result = 0u64;
            for (i, &byte) in buf.iter().take(10).enumerate() {
                result |= u64::from(byte & 0x7f) << (7 * i);
                if byte & 0x80 == 0 {
                    self.input.consume(i + 1);
                    return Ok(result);
                }
            }
            return Err(self.error("varint longer than 10 bytes"));
        }
        let mut result = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            result |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(result);
            }
        }
        Err(self.error("varint longer than 10 bytes"))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, GraphError> {
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| self.error(format!("{v} does not fit 32 bits")))
    }

    pub(crate) fn signed(&mut self) -> Result<i64, GraphError> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn len(&mut self) -> Result<usize, GraphError> {
        let n = self.varint()?;
        if n > MAX_LEN {
            return Err(self.error(format!("length {n} is implausible")));
        }
        Ok(n as usize)
    }

    pub(crate) fn string(&mut self) -> Result<Arc<str>, GraphError> {
        let n = self.len()?;
        let what = self.what;
        let available = self.input.fill_buf().map_err(|e| decode_io(what, &e))?;
        if available.len() >= n {
            let text = std::str::from_utf8(&available[..n])
                .map(Arc::from)
                .map_err(|_| self.error("string is not UTF-8"))?;
            self.input.consume(n);
            return Ok(text);
        }
        let mut buf = Vec::new();
        (&mut self.input)
            .take(n as u64)
            .read_to_end(&mut buf)
            .map_err(|e| self.io(&e))?;
        if buf.len() != n {
            return Err(self.error("string runs past the end"));
        }
        String::from_utf8(buf)
            .map(Arc::from)
            .map_err(|_| self.error("string is not UTF-8"))
    }

    pub(crate) fn value(&mut self) -> Result<Value, GraphError> {
        self.value_at(0)
    }

    fn value_at(&mut self, depth: usize) -> Result<Value, GraphError> {
        if depth > MAX_DEPTH {
            return Err(self.error("value nested too deeply"));
        }
        Ok(match self.u8()? {
            0 => Value::Null,
            1 => Value::Boolean(false),
            2 => Value::Boolean(true),
            3 => Value::Integer(self.signed()?),
            4 => {
                let mut b = [0u8; 8];
                self.input.read_exact(&mut b).map_err(|e| self.io(&e))?;
                Value::Float(f64::from_bits(u64::from_le_bytes(b)))
            }
            5 => Value::String(self.string()?),
            6 => {
                let days = self.signed()?;
                let days = i32::try_from(days).map_err(|_| self.error("date out of range"))?;
                Value::Date(
                    NaiveDate::from_num_days_from_ce_opt(days)
                        .ok_or_else(|| self.error("date out of range"))?,
                )
            }
            7 => Value::DateTime(self.datetime()?),
            8 => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    items.push(self.value_at(depth + 1)?);
                }
                Value::List(items.into())
            }
            9 => {
                let n = self.len()?;
                let mut map = std::collections::BTreeMap::new();
                for _ in 0..n {
                    let k = self.string()?;
                    let v = self.value_at(depth + 1)?;
                    map.insert(k, v);
                }
                Value::Map(Arc::new(map))
            }
            10 => Value::LocalTime(self.time()?),
            11 => {
                let time = self.time()?;
                Value::Time(OffsetTime::new(time, self.offset()?))
            }
            12 => {
                let secs = self.signed()?;
                let nanos = self.u32()?;
                let utc = DateTime::from_timestamp(secs, nanos)
                    .ok_or_else(|| self.error("local date-time out of range"))?;
                Value::LocalDateTime(utc.naive_utc())
            }
            13 => {
                let datetime = self.datetime()?;
                let zone = self.string()?;
                Value::from(ZonedDateTime { datetime, zone })
            }
            14 => {
                let months = self.signed()?;
                let days = self.signed()?;
                let seconds = self.signed()?;
                let nanos = self.signed()?;
                if nanos.abs() >= 1_000_000_000 {
                    return Err(self.error("duration nanoseconds out of range"));
                }
                Value::duration(
                    DurationValue::new(months, days, seconds, nanos)
                        .ok_or_else(|| self.error("duration out of range"))?,
                )
            }
            tag => return Err(self.error(format!("unknown value tag {tag}"))),
        })
    }

    fn offset(&mut self) -> Result<FixedOffset, GraphError> {
        let offset = self.signed()?;
        i32::try_from(offset)
            .ok()
            .and_then(FixedOffset::east_opt)
            .ok_or_else(|| self.error("UTC offset out of range"))
    }

    /// An instant (seconds and nanoseconds since the epoch) and its offset.
    fn datetime(&mut self) -> Result<DateTime<FixedOffset>, GraphError> {
        let secs = self.signed()?;
        let nanos = self.u32()?;
        let offset = self.offset()?;
        let utc = DateTime::from_timestamp(secs, nanos)
            .ok_or_else(|| self.error("date-time out of range"))?;
        Ok(offset.from_utc_datetime(&utc.naive_utc()))
    }

    fn time(&mut self) -> Result<NaiveTime, GraphError> {
        let secs = self.u32()?;
        let nanos = self.u32()?;
        NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
            .ok_or_else(|| self.error("time of day out of range"))
    }

    pub(crate) fn props(&mut self) -> Result<Vec<(PropKeyId, Value)>, GraphError> {
        let n = self.len()?;
        let mut props = Vec::with_capacity(n.min(256));
        for _ in 0..n {
            let k = PropKeyId(self.u32()?);
            props.push((k, self.value()?));
        }
        Ok(props)
    }

    pub(crate) fn index_spec(&mut self) -> Result<IndexSpec, GraphError> {
        match self.u8()? {
            1 => Ok(IndexSpec::NodeUnique {
                label: LabelId(self.u32()?),
                key: PropKeyId(self.u32()?),
            }),
            2 => Ok(IndexSpec::RelUnique {
                rel_type: RelTypeId(self.u32()?),
                key: PropKeyId(self.u32()?),
            }),
            tag => Err(self.error(format!("unknown index tag {tag}"))),
        }
    }

    pub(crate) fn op(&mut self) -> Result<Op, GraphError> {
        Ok(match self.u8()? {
            1 => {
                let kind = match self.u8()? {
                    0 => SymbolKind::Label,
                    1 => SymbolKind::RelType,
                    2 => SymbolKind::PropKey,
                    tag => return Err(self.error(format!("unknown symbol kind {tag}"))),
                };
                Op::DefineSymbol {
                    kind,
                    id: self.u32()?,
                    name: self.string()?,
                }
            }
            2 => Op::CreateIndex(self.index_spec()?),
            3 => {
                let id = NodeId(self.u32()?);
                let n = self.len()?;
                let mut labels = Vec::with_capacity(n.min(64));
                for _ in 0..n {
                    labels.push(LabelId(self.u32()?));
                }
                Op::CreateNode {
                    id,
                    labels,
                    props: self.props()?,
                }
            }
            4 => Op::DeleteNode {
                id: NodeId(self.u32()?),
            },
            5 => Op::AddLabel {
                node: NodeId(self.u32()?),
                label: LabelId(self.u32()?),
            },
            6 => Op::RemoveLabel {
                node: NodeId(self.u32()?),
                label: LabelId(self.u32()?),
            },
            7 => Op::SetNodeProperty {
                node: NodeId(self.u32()?),
                key: PropKeyId(self.u32()?),
                value: self.value()?,
            },
            8 => Op::CreateRel {
                id: RelId(self.u32()?),
                rel_type: RelTypeId(self.u32()?),
                start: NodeId(self.u32()?),
                end: NodeId(self.u32()?),
                props: self.props()?,
            },
            9 => Op::DeleteRel {
                id: RelId(self.u32()?),
            },
            10 => Op::SetRelProperty {
                rel: RelId(self.u32()?),
                key: PropKeyId(self.u32()?),
                value: self.value()?,
            },
            11 => Op::SetAlias {
                label: LabelId(self.u32()?),
                alias: self.string()?,
                node: NodeId(self.u32()?),
                present: self.u8()? != 0,
            },
            tag => return Err(self.error(format!("unknown operation tag {tag}"))),
        })
    }
}

/// Encodes a transaction's operations (a log record's payload: the
/// operations back to back).
#[cfg(test)]
pub(crate) fn encode_ops(ops: &[Op]) -> Vec<u8> {
    let mut enc = Encoder::new(Vec::with_capacity(64 * ops.len()));
    for op in ops {
        enc.op(op);
    }
    enc.out
}

/// Decodes a log record's operations.
pub(crate) fn decode_ops(bytes: &[u8]) -> Result<Vec<Op>, GraphError> {
    let mut dec = Decoder::new(bytes, "log record");
    let mut ops = Vec::new();
    while !dec.input.is_empty() {
        ops.push(dec.op()?);
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_round_trip() {
        let dt = DateTime::parse_from_rfc3339("2021-03-04T05:06:07.25-05:00").expect("valid");
        let ops = vec![
            Op::DefineSymbol {
                kind: SymbolKind::PropKey,
                id: 3,
                name: Arc::from("birthDate"),
            },
            Op::CreateNode {
                id: NodeId(7),
                labels: vec![LabelId(1), LabelId(2)],
                props: vec![
                    (PropKeyId(0), Value::from("x")),
                    (PropKeyId(1), Value::Integer(-5)),
                    (PropKeyId(2), Value::Float(2.5)),
                    (PropKeyId(3), Value::DateTime(dt)),
                    (
                        PropKeyId(4),
                        Value::list([
                            Value::Date(NaiveDate::from_ymd_opt(1950, 1, 2).expect("valid")),
                            Value::Null,
                        ]),
                    ),
                    (PropKeyId(5), Value::map([("a", Value::Boolean(true))])),
                ],
            },
            Op::SetAlias {
                label: LabelId(1),
                alias: Arc::from("sys|1"),
                node: NodeId(7),
                present: true,
            },
            Op::CreateIndex(IndexSpec::RelUnique {
                rel_type: RelTypeId(2),
                key: PropKeyId(0),
            }),
        ];
        let bytes = encode_ops(&ops);
        let back = decode_ops(&bytes).expect("decodes");
        assert_eq!(back, ops);
        if let Op::CreateNode { props, .. } = &back[1] {
            if let Value::DateTime(d) = &props[3].1 {
                assert_eq!(d.offset().local_minus_utc(), -5 * 3600);
            }
        }
        assert!(decode_ops(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn temporal_values_round_trip_with_their_representation() {
        let dt =
            DateTime::parse_from_rfc3339("1984-10-11T12:31:14.645876123+01:00").expect("valid");
        let time = NaiveTime::from_hms_nano_opt(12, 31, 14, 3).expect("valid");
        let offset = FixedOffset::west_opt(2 * 3600 + 5 * 60 + 7).expect("valid");
        let values = [
            Value::LocalTime(time),
            Value::Time(OffsetTime::new(time, offset)),
            Value::LocalDateTime(dt.naive_local()),
            Value::LocalDateTime(
                NaiveDate::from_ymd_opt(-4000, 2, 29)
                    .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 999_999_999))
                    .expect("valid"),
            ),
            Value::from(ZonedDateTime {
                datetime: dt,
                zone: Arc::from("Europe/Stockholm"),
            }),
            Value::duration(DurationValue::new(-14, 3, -61, -1).expect("in range")),
            Value::duration(DurationValue::ZERO),
            Value::list([Value::Date(
                NaiveDate::from_ymd_opt(28, 1, 1).expect("valid"),
            )]),
        ];
        let mut enc = Encoder::new(Vec::new());
        for v in &values {
            enc.value(v);
        }
        let bytes = enc.out;
        let mut dec = Decoder::new(&bytes[..], "test");
        for v in &values {
            let back = dec.value().expect("decodes");
            assert_eq!(back.to_string(), v.to_string());
            assert_eq!(back.value_type(), v.value_type());
        }
        assert!(dec.input.is_empty());
        let mut truncated = Decoder::new(&bytes[..bytes.len() - 1], "test");
        let all: Result<Vec<_>, _> = values.iter().map(|_| truncated.value()).collect();
        assert!(all.is_err());
    }
}
