//! Typed access to a resource's JSON with errors that name the JSON path.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use serde_json::{Map, Value as Json};

/// Why a record cannot be used, and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// JSON path of the offending element (`Patient.address[0].city`), or
    /// empty when the record as a whole is at fault.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl Reject {
    /// A rejection at `path`.
    pub fn at(path: impl Into<String>, reason: impl Into<String>) -> Reject {
        Reject {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

/// Shorthand.
pub type Checked<T> = Result<T, Reject>;

/// Longest string accepted anywhere in a record.
pub const MAX_STRING_BYTES: usize = 4 << 20;
/// Deepest nesting of objects and arrays accepted in a record.
pub const MAX_DEPTH: usize = 64;

/// Checks the limits that apply to the whole record, read or not by the
/// mapping: nesting depth and string length (keys included). The rejection
/// names the JSON path of the first offending element.
pub fn check_limits(root: &Json) -> Checked<()> {
    let mut stack: Vec<(&Json, usize)> = vec![(root, 1)];
    let mut violated = false;
    while let Some((value, depth)) = stack.pop() {
        match value {
            Json::String(s) if s.len() > MAX_STRING_BYTES => violated = true,
            Json::Array(items) => {
                violated |= depth > MAX_DEPTH;
                stack.extend(items.iter().map(|v| (v, depth + 1)));
            }
            Json::Object(map) => {
                violated |= depth > MAX_DEPTH || map.keys().any(|k| k.len() > MAX_STRING_BYTES);
                stack.extend(map.values().map(|v| (v, depth + 1)));
            }
            _ => {}
        }
        if violated {
            break;
        }
    }
    if !violated {
        return Ok(());
    }
    let root_name = root
        .get("resourceType")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_owned();
    let mut path = Vec::new();
    let reason = find_violation(root, 1, &mut path)
        .unwrap_or_else(|| "the record exceeds a size limit".to_owned());
    let mut text = root_name;
    for segment in path {
        text.push_str(&segment);
    }
    Err(Reject::at(text.trim_start_matches('.').to_owned(), reason))
}

/// Depth-first search for the first element over a limit, recording the
/// path segments (`.key`, `[i]`) that lead to it.
fn find_violation(value: &Json, depth: usize, path: &mut Vec<String>) -> Option<String> {
    match value {
        Json::String(s) if s.len() > MAX_STRING_BYTES => Some(format!(
            "a string of {} bytes exceeds the {MAX_STRING_BYTES} byte limit",
            s.len()
        )),
        Json::Array(_) | Json::Object(_) if depth > MAX_DEPTH => {
            Some(format!("nesting deeper than {MAX_DEPTH} levels"))
        }
        Json::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            path.push(format!("[{i}]"));
            let found = find_violation(item, depth + 1, path);
            if found.is_none() {
                path.pop();
            }
            found
        }),
        Json::Object(map) => map.iter().find_map(|(key, item)| {
            if key.len() > MAX_STRING_BYTES {
                return Some("an object key exceeds the string limit".to_owned());
            }
            path.push(format!(".{key}"));
            let found = find_violation(item, depth + 1, path);
            if found.is_none() {
                path.pop();
            }
            found
        }),
        _ => None,
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Where an element sits in a resource, built only when an error needs it:
/// each level borrows its parent, so walking into a resource allocates
/// nothing.
#[derive(Clone, Copy, Debug)]
pub enum JsonPath<'a> {
    /// The resource (its type name).
    Root(&'a str),
    /// A field of an object.
    Field(&'a JsonPath<'a>, &'a str),
    /// An element of an array field.
    Index(&'a JsonPath<'a>, &'a str, usize),
}

impl std::fmt::Display for JsonPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonPath::Root(name) => f.write_str(name),
            JsonPath::Field(parent, key) => write!(f, "{parent}.{key}"),
            JsonPath::Index(parent, key, i) => write!(f, "{parent}.{key}[{i}]"),
        }
    }
}

/// A JSON object with its path.
#[derive(Clone, Copy)]
pub struct Obj<'a> {
    map: &'a Map<String, Json>,
    path: JsonPath<'a>,
}

impl<'a> Obj<'a> {
    /// Wraps a top-level object.
    pub fn root(map: &'a Map<String, Json>, name: &'a str) -> Obj<'a> {
        Obj {
            map,
            path: JsonPath::Root(name),
        }
    }

    /// The path of this object, as text.
    pub fn path(&self) -> String {
        self.path.to_string()
    }

    /// The underlying JSON object.
    pub fn raw(&self) -> &'a Map<String, Json> {
        self.map
    }

    fn child_path(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    fn get(&self, key: &str) -> Option<&'a Json> {
        match self.map.get(key) {
            None | Some(Json::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn wrong(&self, key: &str, expected: &str, found: &Json) -> Reject {
        Reject::at(
            self.child_path(key),
            format!("expected {expected}, found {}", kind(found)),
        )
    }

    /// A string field.
    pub fn str(&self, key: &str) -> Checked<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::String(s)) => {
                if s.len() > MAX_STRING_BYTES {
                    return Err(Reject::at(
                        self.child_path(key),
                        format!(
                            "string of {} bytes exceeds the {} byte limit",
                            s.len(),
                            MAX_STRING_BYTES
                        ),
                    ));
                }
                Ok(Some(s.as_str()).filter(|s| !s.is_empty()))
            }
            Some(v) => Err(self.wrong(key, "a string", v)),
        }
    }

    /// A boolean field.
    pub fn bool(&self, key: &str) -> Checked<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.wrong(key, "a boolean", v)),
        }
    }

    /// A number field.
    pub fn f64(&self, key: &str) -> Checked<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Number(n)) => Ok(n.as_f64()),
            Some(v) => Err(self.wrong(key, "a number", v)),
        }
    }

    /// An integer field.
    pub fn i64(&self, key: &str) -> Checked<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| Reject::at(self.child_path(key), "expected an integer")),
            Some(v) => Err(self.wrong(key, "an integer", v)),
        }
    }

    /// An object field.
    pub fn obj<'s>(&'s self, key: &'s str) -> Checked<Option<Obj<'s>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Object(map)) => Ok(Some(Obj {
                map,
                path: JsonPath::Field(&self.path, key),
            })),
            Some(v) => Err(self.wrong(key, "an object", v)),
        }
    }

    /// An array of objects (a single object is refused, as FHIR JSON requires arrays).
    pub fn objs<'s>(&'s self, key: &'s str) -> Checked<Vec<Obj<'s>>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .enumerate()
                .filter(|(_, item)| !item.is_null())
                .map(|(i, item)| match item {
                    Json::Object(map) => Ok(Obj {
                        map,
                        path: JsonPath::Index(&self.path, key, i),
                    }),
                    other => Err(Reject::at(
                        format!("{}.{key}[{i}]", self.path),
                        format!("expected an object, found {}", kind(other)),
                    )),
                })
                .collect(),
            Some(v) => Err(self.wrong(key, "an array", v)),
        }
    }

    /// The first object of an array field (every element is checked, as
    /// [`Obj::objs`] does, without collecting them).
    pub fn first<'s>(&'s self, key: &'s str) -> Checked<Option<Obj<'s>>> {
        let Some(Json::Array(items)) = self.get(key) else {
            return Ok(self.objs(key)?.into_iter().next());
        };
        let mut first = None;
        for (i, item) in items.iter().enumerate() {
            match item {
                Json::Null => {}
                Json::Object(map) => {
                    if first.is_none() {
                        first = Some(Obj {
                            map,
                            path: JsonPath::Index(&self.path, key, i),
                        });
                    }
                }
                other => {
                    return Err(Reject::at(
                        format!("{}.{key}[{i}]", self.path),
                        format!("expected an object, found {}", kind(other)),
                    ))
                }
            }
        }
        Ok(first)
    }

    /// An array of strings.
    pub fn strs(&self, key: &str) -> Checked<Vec<&'a str>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .enumerate()
                .filter(|(_, item)| !item.is_null())
                .map(|(i, item)| match item {
                    Json::String(s) => Ok(s.as_str()),
                    other => Err(Reject::at(
                        format!("{}.{key}[{i}]", self.path),
                        format!("expected a string, found {}", kind(other)),
                    )),
                })
                .collect(),
            Some(v) => Err(self.wrong(key, "an array", v)),
        }
    }

    /// A FHIR `dateTime` (or `instant`) field.
    pub fn datetime(&self, key: &str) -> Checked<Option<DateTime<FixedOffset>>> {
        match self.str(key)? {
            None => Ok(None),
            Some(text) => parse_fhir_datetime(text).map(Some).ok_or_else(|| {
                Reject::at(
                    self.child_path(key),
                    format!("`{text}` is not a FHIR dateTime"),
                )
            }),
        }
    }

    /// A FHIR `date` field.
    pub fn date(&self, key: &str) -> Checked<Option<NaiveDate>> {
        match self.str(key)? {
            None => Ok(None),
            Some(text) => parse_fhir_date(text).map(Some).ok_or_else(|| {
                Reject::at(self.child_path(key), format!("`{text}` is not a FHIR date"))
            }),
        }
    }
}

/// Parses a FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; a partial date
/// becomes the first day of its period.
pub fn parse_fhir_date(text: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |s: &str, len: usize| -> Option<u32> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let year = i32::try_from(number(parts.first()?, 4)?).ok()?;
    let month = match parts.get(1) {
        Some(m) => number(m, 2)?,
        None => 1,
    };
    let day = match parts.get(2) {
        Some(d) => number(d, 2)?,
        None => 1,
    };
    if parts.len() > 3 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Parses a FHIR `dateTime`: a full date-time with offset, or a (partial)
/// date, which becomes midnight UTC of its first day.
pub fn parse_fhir_datetime(text: &str) -> Option<DateTime<FixedOffset>> {
    if text.len() > 10 {
        return DateTime::parse_from_rfc3339(text).ok();
    }
    let date = parse_fhir_date(text)?;
    let utc = FixedOffset::east_opt(0)?;
    utc.from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .single()
}

/// What a reference points at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RefTarget {
    /// By resource id (`urn:uuid:X`, `Type/X`).
    Id(Arc<str>),
    /// By identifier, as `system|value`.
    Identifier(Arc<str>),
}

impl RefTarget {
    /// The text a stub keeps in its `ref` property.
    pub fn as_ref_text(&self) -> &str {
        match self {
            RefTarget::Id(s) | RefTarget::Identifier(s) => s,
        }
    }
}

/// A parsed reference: the type it names (when written) and its target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference<'a> {
    /// The resource type written in the reference (`Type/X`, `Type?...`).
    pub resource_type: Option<&'a str>,
    /// The target.
    pub target: RefTarget,
}

/// Parses a Reference element. `Ok(None)` for references that name nothing
/// resolvable in the graph: display-only, or contained (`#id`).
pub fn parse_reference<'a>(obj: &Obj<'a>) -> Checked<Option<Reference<'a>>> {
    if let Some(text) = obj.str("reference")? {
        return parse_reference_text(text)
            .map_err(|reason| Reject::at(format!("{}.reference", obj.path()), reason));
    }
    if let Some(id) = obj.obj("identifier")? {
        let system = id.str("system")?;
        let value = id.str("value")?;
        return match (system, value) {
            (Some(system), Some(value)) => Ok(Some(Reference {
                resource_type: obj.str("type")?,
                target: RefTarget::Identifier(Arc::from(format!("{system}|{value}"))),
            })),
            _ => Err(Reject::at(
                format!("{}.identifier", obj.path()),
                "an identifier reference needs both system and value",
            )),
        };
    }
    Ok(None)
}

/// Parses the text of `Reference.reference`.
pub fn parse_reference_text(text: &str) -> Result<Option<Reference<'_>>, String> {
    if text.starts_with('#') {
        return Ok(None);
    }
    if let Some(id) = text.strip_prefix("urn:uuid:") {
        if id.is_empty() {
            return Err("empty urn:uuid reference".into());
        }
        return Ok(Some(Reference {
            resource_type: None,
            target: RefTarget::Id(Arc::from(id)),
        }));
    }
    if let Some((resource_type, query)) = text.split_once('?') {
        let resource_type = resource_type.rsplit('/').next().unwrap_or(resource_type);
        if !crate::fhir::resource_types::is_resource_type(resource_type) {
            return Err(format!(
                "`{resource_type}` in reference `{text}` is not a FHIR resource type"
            ));
        }
        let Some(identifier) = query.strip_prefix("identifier=") else {
            return Err(format!(
                "conditional reference `{text}` is not by identifier"
            ));
        };
        if !identifier.contains('|') || identifier.ends_with('|') || identifier.starts_with('|') {
            return Err(format!(
                "conditional reference `{text}` needs identifier=system|value"
            ));
        }
        return Ok(Some(Reference {
            resource_type: Some(resource_type),
            target: RefTarget::Identifier(Arc::from(identifier)),
        }));
    }
    // `Type/id`, `Type/id/_history/v`, or an absolute URL ending in them:
    // the last four `/` segments, from the end, tell which.
    let mut tail = text.rsplit('/');
    let last = [tail.next(), tail.next(), tail.next(), tail.next()];
    let type_and_id = match last {
        [_, Some("_history"), Some(id), Some(resource_type)]
        | [Some(id), Some(resource_type), ..] => Some((resource_type, id)),
        _ => None,
    };
    if let Some((resource_type, id)) = type_and_id {
        if crate::fhir::resource_types::is_resource_type(resource_type) && !id.is_empty() {
            return Ok(Some(Reference {
                resource_type: Some(resource_type),
                target: RefTarget::Id(Arc::from(id)),
            }));
        }
    }
    Err(format!("`{text}` is not a reference form CareGraph resolves (urn:uuid:, Type/id, Type?identifier=system|value, or an identifier object)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_forms() {
        let id = |t: &str| {
            parse_reference_text(t)
                .expect("valid")
                .expect("some")
                .target
        };
        assert_eq!(id("urn:uuid:abc"), RefTarget::Id("abc".into()));
        assert_eq!(id("Patient/p1"), RefTarget::Id("p1".into()));
        assert_eq!(
            id("http://x.org/fhir/Patient/p1/_history/2"),
            RefTarget::Id("p1".into())
        );
        assert_eq!(
            id("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999"),
            RefTarget::Identifier("http://hl7.org/fhir/sid/us-npi|999".into())
        );
        assert_eq!(id("Patient/p1/_history/2"), RefTarget::Id("p1".into()));
        assert_eq!(id("_history/Patient/p1"), RefTarget::Id("p1".into()));
        assert_eq!(
            parse_reference_text("Patient/p1")
                .expect("valid")
                .expect("some")
                .resource_type,
            Some("Patient")
        );
        assert!(parse_reference_text("Patient/").is_err());
        assert!(parse_reference_text("p1").is_err());
        assert_eq!(parse_reference_text("#contained").expect("ok"), None);
        assert!(parse_reference_text("Patient?name=x").is_err());
        assert!(parse_reference_text("nonsense").is_err());
        assert!(parse_reference_text("Foo/1").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_fhir_date("1970"), NaiveDate::from_ymd_opt(1970, 1, 1));
        assert_eq!(
            parse_fhir_date("1970-02-03"),
            NaiveDate::from_ymd_opt(1970, 2, 3)
        );
        assert_eq!(parse_fhir_date("1970-13"), None);
        assert!(parse_fhir_datetime("2020-01-02T03:04:05-05:00").is_some());
        assert!(parse_fhir_datetime("2020-01-02").is_some());
        assert!(parse_fhir_datetime("2020-01-02T03:04").is_none());
    }
}
