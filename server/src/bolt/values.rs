//! Cypher values as `PackStream`: results out (nodes, relationships, paths
//! and temporal values as Bolt structures), parameters in.
//!
//! Element ids are the ones `elementId()` and the HTTP Query API give
//! (`n:<id>`, `r:<id>`). Date-times go out as Bolt 5's UTC structures
//! (`0x49`, `0x69`) from 5.0, or when a 4.4 client asked for the `utc`
//! patch; otherwise as the legacy local-seconds structures (`0x46`,
//! `0x66`). Parameters accept the same structures.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use cypher::{CypherValue, Params, QueryOutput, RelationshipView};
use graph_model::{DurationValue, NodeId, OffsetTime, RelId, Value, ZonedDateTime};

use super::error::ParamError;
use super::packstream::{
    write_bool, write_float, write_int, write_list_header, write_map_header, write_null,
    write_string, write_struct_header, PackStruct, PackValue,
};
use crate::http::query::codec::{node_element_id, relationship_element_id};

/// Structure tags.
mod tag {
    pub const NODE: u8 = 0x4E;
    pub const RELATIONSHIP: u8 = 0x52;
    pub const UNBOUND_RELATIONSHIP: u8 = 0x72;
    pub const PATH: u8 = 0x50;
    pub const DATE: u8 = 0x44;
    pub const TIME: u8 = 0x54;
    pub const LOCAL_TIME: u8 = 0x74;
    pub const DATE_TIME: u8 = 0x49;
    pub const DATE_TIME_ZONE_ID: u8 = 0x69;
    pub const LEGACY_DATE_TIME: u8 = 0x46;
    pub const LEGACY_DATE_TIME_ZONE_ID: u8 = 0x66;
    pub const LOCAL_DATE_TIME: u8 = 0x64;
    pub const DURATION: u8 = 0x45;
    pub const POINT_2D: u8 = 0x58;
    pub const POINT_3D: u8 = 0x59;
}

/// How values are written on one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// Nodes and relationships carry element ids (Bolt 5).
    pub element_ids: bool,
    /// Date-times are UTC seconds (Bolt 5, or 4.4 with the `utc` patch).
    pub utc_date_times: bool,
}

/// Writes result values; nodes and relationships are looked up in the
/// query's output.
pub struct ResultWriter<'a> {
    output: &'a QueryOutput,
    dialect: Dialect,
}

impl<'a> ResultWriter<'a> {
    /// A writer for the values of `output`.
    pub fn new(output: &'a QueryOutput, dialect: Dialect) -> ResultWriter<'a> {
        ResultWriter { output, dialect }
    }

    /// Writes one value.
    pub fn value(&self, out: &mut Vec<u8>, value: &CypherValue) {
        match value {
            CypherValue::Null => write_null(out),
            CypherValue::Boolean(b) => write_bool(out, *b),
            CypherValue::Integer(i) => write_int(out, *i),
            CypherValue::Float(x) => write_float(out, *x),
            CypherValue::String(s) => write_string(out, s),
            CypherValue::List(items) => {
                write_list_header(out, items.len());
                for item in items.iter() {
                    self.value(out, item);
                }
            }
            CypherValue::Map(map) => {
                write_map_header(out, map.len());
                for (k, v) in map.iter() {
                    write_string(out, k);
                    self.value(out, v);
                }
            }
            CypherValue::Node(id) => self.node(out, *id),
            CypherValue::Relationship(id) => self.relationship(out, *id),
            CypherValue::Path(path) => self.path(out, &path.nodes, &path.relationships),
            CypherValue::Temporal(v) => write_property(out, v, self.dialect),
        }
    }

    fn node(&self, out: &mut Vec<u8>, id: NodeId) {
        let view = self.output.node(id);
        write_struct_header(out, tag::NODE, if self.dialect.element_ids { 4 } else { 3 });
        write_int(out, i64::from(id.0));
        match &view {
            Some(view) => {
                write_list_header(out, view.labels.len());
                for label in &view.labels {
                    write_string(out, label);
                }
                write_properties(out, &view.properties, self.dialect);
            }
            None => {
                write_list_header(out, 0);
                write_map_header(out, 0);
            }
        }
        if self.dialect.element_ids {
            write_string(out, &node_element_id(id));
        }
    }

    fn relationship(&self, out: &mut Vec<u8>, id: RelId) {
        let view = self.output.relationship(id);
        let v5 = self.dialect.element_ids;
        write_struct_header(out, tag::RELATIONSHIP, if v5 { 8 } else { 5 });
        write_int(out, i64::from(id.0));
        let (start, end) = view
            .as_ref()
            .map_or((None, None), |v| (Some(v.start), Some(v.end)));
        write_optional_id(out, start);
        write_optional_id(out, end);
        self.rel_type_and_properties(out, view.as_ref());
        if v5 {
            write_string(out, &relationship_element_id(id));
            for node in [start, end] {
                match node {
                    Some(node) => write_string(out, &node_element_id(node)),
                    None => write_null(out),
                }
            }
        }
    }

    /// A path: its distinct nodes, its distinct relationships (unbound),
    /// and the walk as alternating relationship indices (1-based, negative
    /// when walked against its direction) and node indices.
    fn path(&self, out: &mut Vec<u8>, nodes: &[NodeId], relationships: &[RelId]) {
        let mut node_index: HashMap<NodeId, i64> = HashMap::new();
        let mut unique_nodes = Vec::new();
        for node in nodes {
            node_index.entry(*node).or_insert_with(|| {
                unique_nodes.push(*node);
                unique_nodes.len() as i64 - 1
            });
        }
        let mut rel_index: HashMap<RelId, i64> = HashMap::new();
        let mut unique_rels = Vec::new();
        for rel in relationships {
            rel_index.entry(*rel).or_insert_with(|| {
                unique_rels.push(*rel);
                unique_rels.len() as i64
            });
        }
        write_struct_header(out, tag::PATH, 3);
        write_list_header(out, unique_nodes.len());
        for node in &unique_nodes {
            self.node(out, *node);
        }
        write_list_header(out, unique_rels.len());
        for rel in &unique_rels {
            self.unbound_relationship(out, *rel);
        }
        write_list_header(out, relationships.len() * 2);
        for (i, rel) in relationships.iter().enumerate() {
            let from = nodes.get(i).copied();
            let forward = self
                .output
                .relationship(*rel)
                .is_none_or(|view| Some(view.start) == from);
            let index = rel_index.get(rel).copied().unwrap_or(0);
            write_int(out, if forward { index } else { -index });
            let next = nodes.get(i + 1).and_then(|n| node_index.get(n)).copied();
            write_int(out, next.unwrap_or(0));
        }
    }

    /// A relationship's type and properties (empty when it is not in the
    /// output).
    fn rel_type_and_properties(&self, out: &mut Vec<u8>, view: Option<&RelationshipView>) {
        match view {
            Some(view) => {
                write_string(out, &view.rel_type);
                write_properties(out, &view.properties, self.dialect);
            }
            None => {
                write_string(out, "");
                write_map_header(out, 0);
            }
        }
    }

    fn unbound_relationship(&self, out: &mut Vec<u8>, id: RelId) {
        let view = self.output.relationship(id);
        let v5 = self.dialect.element_ids;
        write_struct_header(out, tag::UNBOUND_RELATIONSHIP, if v5 { 4 } else { 3 });
        write_int(out, i64::from(id.0));
        self.rel_type_and_properties(out, view.as_ref());
        if v5 {
            write_string(out, &relationship_element_id(id));
        }
    }
}

fn write_optional_id(out: &mut Vec<u8>, id: Option<NodeId>) {
    match id {
        Some(id) => write_int(out, i64::from(id.0)),
        None => write_int(out, -1),
    }
}

fn write_properties(
    out: &mut Vec<u8>,
    properties: &std::collections::BTreeMap<Arc<str>, Value>,
    dialect: Dialect,
) {
    write_map_header(out, properties.len());
    for (k, v) in properties {
        write_string(out, k);
        write_property(out, v, dialect);
    }
}

fn nanos_of_day(time: NaiveTime) -> i64 {
    graph_model::temporal::nanos_of_day(time)
}

/// Seconds since the epoch and nanoseconds of a date-time taken as UTC.
fn epoch_parts(dt: &NaiveDateTime) -> (i64, i64) {
    let utc = dt.and_utc();
    (utc.timestamp(), i64::from(utc.timestamp_subsec_nanos()))
}

/// Writes a stored property value (temporal values as Bolt structures).
pub fn write_property(out: &mut Vec<u8>, value: &Value, dialect: Dialect) {
    match value {
        Value::Null => write_null(out),
        Value::Boolean(b) => write_bool(out, *b),
        Value::Integer(i) => write_int(out, *i),
        Value::Float(x) => write_float(out, *x),
        Value::String(s) => write_string(out, s),
        Value::List(items) => {
            write_list_header(out, items.len());
            for item in items.iter() {
                write_property(out, item, dialect);
            }
        }
        Value::Map(map) => write_properties(out, map, dialect),
        Value::Date(date) => {
            write_struct_header(out, tag::DATE, 1);
            write_int(out, days_since_epoch(*date));
        }
        Value::LocalTime(time) => {
            write_struct_header(out, tag::LOCAL_TIME, 1);
            write_int(out, nanos_of_day(*time));
        }
        Value::Time(t) => {
            write_struct_header(out, tag::TIME, 2);
            write_int(out, nanos_of_day(t.time));
            write_int(out, i64::from(t.offset.local_minus_utc()));
        }
        Value::LocalDateTime(dt) => {
            let (secs, nanos) = epoch_parts(dt);
            write_struct_header(out, tag::LOCAL_DATE_TIME, 2);
            write_int(out, secs);
            write_int(out, nanos);
        }
        Value::DateTime(dt) => {
            let offset = i64::from(dt.offset().local_minus_utc());
            let (secs, nanos) = if dialect.utc_date_times {
                epoch_parts(&dt.naive_utc())
            } else {
                epoch_parts(&dt.naive_local())
            };
            let tag = if dialect.utc_date_times {
                tag::DATE_TIME
            } else {
                tag::LEGACY_DATE_TIME
            };
            write_struct_header(out, tag, 3);
            write_int(out, secs);
            write_int(out, nanos);
            write_int(out, offset);
        }
        Value::ZonedDateTime(z) => {
            let (secs, nanos, tag) = if dialect.utc_date_times {
                let (s, n) = epoch_parts(&z.datetime.naive_utc());
                (s, n, tag::DATE_TIME_ZONE_ID)
            } else {
                let (s, n) = epoch_parts(&z.datetime.naive_local());
                (s, n, tag::LEGACY_DATE_TIME_ZONE_ID)
            };
            write_struct_header(out, tag, 3);
            write_int(out, secs);
            write_int(out, nanos);
            write_string(out, &z.zone);
        }
        Value::Duration(d) => {
            write_struct_header(out, tag::DURATION, 4);
            write_int(out, d.months());
            write_int(out, d.days());
            write_int(out, d.seconds());
            write_int(out, i64::from(d.nanos()));
        }
    }
}

fn epoch_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

fn days_since_epoch(date: NaiveDate) -> i64 {
    (date - epoch_date()).num_days()
}

/// The parameters of a `RUN` as Cypher values. `utc` tells how date-time
/// structures are read (see the module documentation).
pub fn params_from_pack(parameters: PackValue, utc: bool) -> Result<Params, ParamError> {
    let PackValue::Map(entries) = parameters else {
        return Ok(Params::new());
    };
    entries
        .into_iter()
        .map(|(name, value)| {
            let value = param_value(&name, value, utc)?;
            Ok((name, value))
        })
        .collect()
}

fn param_value(name: &str, value: PackValue, utc: bool) -> Result<CypherValue, ParamError> {
    Ok(match value {
        PackValue::Null => CypherValue::Null,
        PackValue::Boolean(b) => CypherValue::Boolean(b),
        PackValue::Integer(i) => CypherValue::Integer(i),
        PackValue::Float(x) => CypherValue::Float(x),
        PackValue::String(s) => CypherValue::String(s.into()),
        PackValue::Bytes(_) => {
            return Err(ParamError::Bytes {
                name: name.to_owned(),
            })
        }
        PackValue::List(items) => CypherValue::List(
            items
                .into_iter()
                .map(|v| param_value(name, v, utc))
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        ),
        PackValue::Map(entries) => CypherValue::Map(Arc::new(
            entries
                .into_iter()
                .map(|(k, v)| Ok((Arc::from(k.as_str()), param_value(name, v, utc)?)))
                .collect::<Result<_, ParamError>>()?,
        )),
        PackValue::Struct(s) => CypherValue::Temporal(temporal(name, &s, utc)?),
    })
}

fn int_fields<const N: usize>(s: &PackStruct) -> Option<[i64; N]> {
    if s.fields.len() != N {
        return None;
    }
    let mut out = [0i64; N];
    for (slot, field) in out.iter_mut().zip(&s.fields) {
        *slot = field.as_int()?;
    }
    Some(out)
}

fn time_of_day(nanos: i64) -> Option<NaiveTime> {
    let secs = u32::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
    if !(0..graph_model::temporal::NANOS_PER_DAY).contains(&nanos) {
        return None;
    }
    NaiveTime::from_num_seconds_from_midnight_opt(secs, sub)
}

fn utc_date_time(secs: i64, nanos: i64) -> Option<NaiveDateTime> {
    let nanos = u32::try_from(nanos).ok().filter(|n| *n < 1_000_000_000)?;
    DateTime::from_timestamp(secs, nanos).map(|dt| dt.naive_utc())
}

fn offset(seconds: i64) -> Option<FixedOffset> {
    FixedOffset::east_opt(i32::try_from(seconds).ok()?)
}

fn temporal(name: &str, s: &PackStruct, utc: bool) -> Result<Value, ParamError> {
    let invalid = |what| ParamError::Invalid {
        name: name.to_owned(),
        what,
    };
    let unsupported = |what: &str| ParamError::Unsupported {
        name: name.to_owned(),
        what: what.to_owned(),
    };
    match s.tag {
        tag::DATE => {
            let [days] = int_fields(s).ok_or_else(|| invalid("Date"))?;
            epoch_date()
                .checked_add_signed(
                    chrono::Duration::try_days(days).ok_or_else(|| invalid("Date"))?,
                )
                .map(Value::Date)
                .ok_or_else(|| invalid("Date"))
        }
        tag::LOCAL_TIME => {
            let [nanos] = int_fields(s).ok_or_else(|| invalid("LocalTime"))?;
            time_of_day(nanos)
                .map(Value::LocalTime)
                .ok_or_else(|| invalid("LocalTime"))
        }
        tag::TIME => {
            let [nanos, offset_secs] = int_fields(s).ok_or_else(|| invalid("Time"))?;
            let time = time_of_day(nanos).ok_or_else(|| invalid("Time"))?;
            let offset = offset(offset_secs).ok_or_else(|| invalid("Time"))?;
            Ok(Value::from(OffsetTime::new(time, offset)))
        }
        tag::LOCAL_DATE_TIME => {
            let [secs, nanos] = int_fields(s).ok_or_else(|| invalid("LocalDateTime"))?;
            utc_date_time(secs, nanos)
                .map(Value::LocalDateTime)
                .ok_or_else(|| invalid("LocalDateTime"))
        }
        tag::DATE_TIME | tag::LEGACY_DATE_TIME => {
            if (s.tag == tag::DATE_TIME) != utc {
                return Err(unsupported(if utc {
                    "legacy DateTime (0x46)"
                } else {
                    "UTC DateTime (0x49) without the utc patch"
                }));
            }
            let [secs, nanos, offset_secs] = int_fields(s).ok_or_else(|| invalid("DateTime"))?;
            let offset = offset(offset_secs).ok_or_else(|| invalid("DateTime"))?;
            let utc_secs = if utc {
                secs
            } else {
                secs.checked_sub(offset_secs)
                    .ok_or_else(|| invalid("DateTime"))?
            };
            let instant = utc_date_time(utc_secs, nanos).ok_or_else(|| invalid("DateTime"))?;
            Ok(Value::DateTime(offset.from_utc_datetime(&instant)))
        }
        tag::DATE_TIME_ZONE_ID | tag::LEGACY_DATE_TIME_ZONE_ID => {
            if (s.tag == tag::DATE_TIME_ZONE_ID) != utc {
                return Err(unsupported(if utc {
                    "legacy DateTimeZoneId (0x66)"
                } else {
                    "UTC DateTimeZoneId (0x69) without the utc patch"
                }));
            }
            let (Some(secs), Some(nanos), Some(zone), 3) = (
                s.fields.first().and_then(PackValue::as_int),
                s.fields.get(1).and_then(PackValue::as_int),
                s.fields.get(2).and_then(PackValue::as_str),
                s.fields.len(),
            ) else {
                return Err(invalid("DateTimeZoneId"));
            };
            let tz = chrono_tz::Tz::from_str(zone).map_err(|_| invalid("DateTimeZoneId zone"))?;
            let datetime = if utc {
                let instant =
                    utc_date_time(secs, nanos).ok_or_else(|| invalid("DateTimeZoneId"))?;
                tz.from_utc_datetime(&instant).fixed_offset()
            } else {
                let local = utc_date_time(secs, nanos).ok_or_else(|| invalid("DateTimeZoneId"))?;
                tz.from_local_datetime(&local)
                    .earliest()
                    .ok_or_else(|| invalid("DateTimeZoneId local time"))?
                    .fixed_offset()
            };
            Ok(Value::from(ZonedDateTime {
                datetime,
                zone: Arc::from(tz.name()),
            }))
        }
        tag::DURATION => {
            let [months, days, secs, nanos] = int_fields(s).ok_or_else(|| invalid("Duration"))?;
            DurationValue::new(months, days, secs, nanos)
                .map(Value::from)
                .ok_or_else(|| invalid("Duration"))
        }
        tag::POINT_2D | tag::POINT_3D => Err(unsupported("Point")),
        tag::NODE => Err(unsupported("Node")),
        tag::RELATIONSHIP | tag::UNBOUND_RELATIONSHIP => Err(unsupported("Relationship")),
        tag::PATH => Err(unsupported("Path")),
        other => Err(unsupported(&format!("structure 0x{other:02X}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bolt::packstream;

    fn pack_property(value: &Value, dialect: Dialect) -> PackValue {
        let mut out = Vec::new();
        write_property(&mut out, value, dialect);
        packstream::decode(&out).expect("decodes")
    }

    const V5: Dialect = Dialect {
        element_ids: true,
        utc_date_times: true,
    };
    const V4: Dialect = Dialect {
        element_ids: false,
        utc_date_times: false,
    };

    #[test]
    fn temporal_values_round_trip_as_parameters() {
        let offset = FixedOffset::east_opt(3600).expect("offset");
        let local = NaiveDate::from_ymd_opt(2024, 3, 31)
            .and_then(|d| d.and_hms_nano_opt(2, 30, 0, 5))
            .expect("date-time");
        let zoned = chrono_tz::Europe::Stockholm
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .expect("zoned")
            .fixed_offset();
        let values = [
            Value::Date(NaiveDate::from_ymd_opt(1815, 12, 10).expect("date")),
            Value::LocalTime(NaiveTime::from_hms_nano_opt(23, 59, 59, 999).expect("time")),
            Value::from(OffsetTime::new(
                NaiveTime::from_hms_opt(12, 0, 0).expect("time"),
                offset,
            )),
            Value::LocalDateTime(local),
            Value::DateTime(offset.from_local_datetime(&local).single().expect("dt")),
            Value::from(ZonedDateTime {
                datetime: zoned,
                zone: Arc::from("Europe/Stockholm"),
            }),
            Value::from(DurationValue::new(14, -3, 7, -1).expect("duration")),
        ];
        for dialect in [V5, V4] {
            for value in &values {
                let packed = pack_property(value, dialect);
                let params = params_from_pack(
                    PackValue::Map(vec![("p".into(), packed)]),
                    dialect.utc_date_times,
                )
                .expect("parameter");
                let CypherValue::Temporal(back) = &params["p"] else {
                    panic!("{value:?} came back as {:?}", params["p"]);
                };
                assert_eq!(back, value, "{dialect:?}");
                if let (Value::ZonedDateTime(a), Value::ZonedDateTime(b)) = (back, value) {
                    assert_eq!(a.datetime.offset(), b.datetime.offset());
                }
            }
        }
    }

    #[test]
    fn date_times_are_utc_in_bolt_5_and_local_before() {
        let offset = FixedOffset::east_opt(7200).expect("offset");
        let dt = offset
            .with_ymd_and_hms(1970, 1, 1, 2, 0, 0)
            .single()
            .expect("dt");
        let fields = |v: PackValue| match v {
            PackValue::Struct(s) => (s.tag, s.fields),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            fields(pack_property(&Value::DateTime(dt), V5)),
            (
                0x49,
                vec![
                    PackValue::Integer(0),
                    PackValue::Integer(0),
                    PackValue::Integer(7200)
                ]
            )
        );
        assert_eq!(
            fields(pack_property(&Value::DateTime(dt), V4)),
            (
                0x46,
                vec![
                    PackValue::Integer(7200),
                    PackValue::Integer(0),
                    PackValue::Integer(7200)
                ]
            )
        );
    }

    #[test]
    fn unsupported_parameters_are_named() {
        let bytes = PackValue::Map(vec![("b".into(), PackValue::Bytes(vec![1]))]);
        assert_eq!(
            params_from_pack(bytes, true),
            Err(ParamError::Bytes { name: "b".into() })
        );
        let point = PackValue::Map(vec![(
            "p".into(),
            PackValue::Struct(PackStruct {
                tag: 0x58,
                fields: vec![
                    PackValue::Integer(4326),
                    PackValue::Float(1.0),
                    PackValue::Float(2.0),
                ],
            }),
        )]);
        assert!(matches!(
            params_from_pack(point, true),
            Err(ParamError::Unsupported { .. })
        ));
        let bad_time = PackValue::Map(vec![(
            "t".into(),
            PackValue::Struct(PackStruct {
                tag: 0x74,
                fields: vec![PackValue::Integer(-1)],
            }),
        )]);
        assert!(matches!(
            params_from_pack(bad_time, true),
            Err(ParamError::Invalid { .. })
        ));
    }
}
