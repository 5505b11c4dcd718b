//! Ingestion robustness: idempotent reloads, order independence, a corpus of
//! bad records, stubs, upsert rules and rebuilding from the raw archive.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use graph_model::fhir::archive::read_archive;
use graph_model::fhir::source::expand_inputs;
use graph_model::fhir::{load_paths, InputKind, LoadOptions, LoadReport, Loader, Rejection};
use graph_model::{Database, Direction, GraphState, GraphStats, NodeId, Value};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tests::{bulk_10, ca_86, canonical, diff};

type Canon = BTreeMap<String, u32>;

fn load_into(db: &Database, paths: &[PathBuf], options: LoadOptions) -> LoadReport {
    load_paths(db, paths, options, &mut |_| {}).expect("load")
}

fn load_fresh(paths: &[PathBuf]) -> (Database, LoadReport) {
    let db = Database::in_memory();
    let report = load_into(&db, paths, LoadOptions::default());
    (db, report)
}

/// Loads NDJSON text (one load, as an HTTP body would be).
fn load_text(db: &Database, ndjson: &str) -> LoadReport {
    let mut loader = Loader::new(db, LoadOptions::default()).expect("loader");
    let bytes = ndjson.as_bytes().to_vec();
    let read = loader.load_bytes("test", InputKind::Ndjson, bytes);
    read.expect("read");
    loader.finish().expect("finish")
}

fn canon_of(paths: &[PathBuf]) -> Canon {
    canonical(&load_fresh(paths).0.snapshot())
}

fn assert_same(left: &Canon, right: &Canon, what: &str) {
    let why = diff(left, right);
    assert!(left == right, "{what}: graphs differ: {why}");
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent directory");
    }
    std::fs::write(path, bytes).expect("write test input");
}

fn gunzip_lines(path: &Path) -> Vec<String> {
    let mut text = String::new();
    let file = File::open(path).expect("open .ndjson.gz");
    let read = MultiGzDecoder::new(file).read_to_string(&mut text);
    read.expect("decompress .ndjson.gz");
    let lines = text.lines().filter(|l| !l.trim().is_empty());
    lines.map(str::to_owned).collect()
}

/// (records read, loaded, rejected)
fn totals(r: &LoadReport) -> (u64, u64, u64) {
    (r.records_read, r.records_loaded, r.records_rejected)
}

/// The counts of `names` (space separated) in `map`, 0 when absent.
fn counts_of(map: &BTreeMap<String, u64>, names: &str) -> Vec<u64> {
    let count = |n: &str| map.get(n).copied().unwrap_or(0);
    names.split_whitespace().map(count).collect()
}

fn key_of(label: &str) -> &'static str {
    match label {
        "Medication" | "Condition" | "Substance" => "code",
        _ => "id",
    }
}

fn find(graph: &GraphState, label: &str, key: &str) -> Option<NodeId> {
    graph.find_node_by_name(label, key_of(label), &Value::from(key))
}

fn node(graph: &GraphState, label: &str, key: &str) -> NodeId {
    let found = find(graph, label, key);
    found.unwrap_or_else(|| panic!("{label} {key} is missing"))
}

fn prop(graph: &GraphState, node: NodeId, key: &str) -> Option<Value> {
    graph.node_property(node, key).cloned()
}

/// The far ends of `node`'s relationships of `rel` in `direction`.
fn ends(graph: &GraphState, node: NodeId, direction: Direction, rel: &str) -> Vec<NodeId> {
    let Some(t) = graph.rel_type_id(rel) else {
        return Vec::new();
    };
    let neighbors = graph.neighbors(node, direction, Some(t));
    neighbors.map(|n| n.other).collect()
}

/// Asserts each `"Label:key REL Label:key..."`: the node's outgoing `REL`
/// relationships go to exactly the nodes listed (none when none is).
fn assert_out(graph: &GraphState, links: &[&str]) {
    let at = |spec: &str| {
        let (label, key) = spec.split_once(':').expect("Label:key");
        node(graph, label, key)
    };
    for link in links {
        let words: Vec<&str> = link.split_whitespace().collect();
        let want: Vec<NodeId> = words[2..].iter().map(|w| at(w)).collect();
        let got = ends(graph, at(words[0]), Direction::Outgoing, words[1]);
        assert_eq!(got, want, "{link}");
    }
}

// ----- idempotence and order independence -----

#[test]
fn loading_twice_equals_loading_once() {
    for path in [bulk_10(), ca_86()] {
        let paths = [path];
        let (db, first) = load_fresh(&paths);
        let once = canonical(&db.snapshot());
        let second = load_into(&db, &paths, LoadOptions::default());
        let twice = canonical(&db.snapshot());
        let name = paths[0].display().to_string();
        assert_same(&once, &twice, &name);
        assert_eq!(totals(&second), totals(&first), "{name}");
        let r = &second;
        let created = (r.nodes_created, r.relationships_created, r.stubs_created);
        assert_eq!(created, (0, 0, 0), "{name}: a reload creates nothing");
    }
}

/// Every line of every bulk-10 resource file, shuffled and dealt into files
/// with misleading names, all in one directory (so the NPI rule's "source
/// directory" stays one), loads into the same graph.
#[test]
fn bulk_10_shuffled_lines_give_the_same_graph() {
    let reference = canon_of(&[bulk_10()]);
    let (files, _) = expand_inputs(&[bulk_10()]).expect("list bulk-10");
    let is_log = |f: &&PathBuf| f.ends_with("log.ndjson.gz");
    let resources = files.iter().filter(|f| !is_log(f));
    let mut lines: Vec<String> = resources.flat_map(|f| gunzip_lines(f)).collect();
    assert_eq!(lines.len(), 7160, "bulk-10 resource lines");
    for seed in [1u64, 2, 3] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        lines.shuffle(&mut rng);
        let mut names = ["Patient", "Organization", "zz", "Claim", "aa", "Location"];
        names.shuffle(&mut rng);
        let mut parts = vec![String::new(); 3 + (seed as usize % 4)];
        for line in &lines {
            let part = rng.gen_range(0..parts.len());
            parts[part].push_str(line);
            parts[part].push('\n');
        }
        let dir = tempfile::tempdir().expect("tempdir");
        for (i, part) in parts.iter().enumerate() {
            let name = format!("{}.{i:03}.ndjson", names[i]);
            write(&dir.path().join(name), part.as_bytes());
        }
        let (db, report) = load_fresh(&[dir.path().to_path_buf()]);
        assert_eq!(report.records_loaded, 7160, "seed {seed}");
        let shuffled = canonical(&db.snapshot());
        assert_same(&reference, &shuffled, &format!("bulk-10, seed {seed}"));
    }
}

/// Extracts a `.tar.gz` (ustar / GNU regular members) under `into`.
fn extract_tar_gz(archive: &Path, into: &Path) -> Vec<PathBuf> {
    let mut bytes = Vec::new();
    let file = File::open(archive).expect("open archive");
    let read = MultiGzDecoder::new(file).read_to_end(&mut bytes);
    read.expect("decompress archive");
    let text = |raw: &[u8]| {
        let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
        String::from_utf8_lossy(&raw[..end]).into_owned()
    };
    let (mut at, mut files, mut long_name) = (0usize, Vec::new(), None);
    while at + 512 <= bytes.len() && bytes[at..at + 512].iter().any(|b| *b != 0) {
        let header = &bytes[at..at + 512];
        let size = text(&header[124..136]);
        let size = usize::from_str_radix(size.trim(), 8).expect("member size");
        let data = &bytes[at + 512..at + 512 + size];
        let mut name = text(&header[..100]);
        if &header[257..262] == b"ustar" && header[345] != 0 {
            name = format!("{}/{name}", text(&header[345..500]));
        }
        match header[156] {
            b'L' => long_name = Some(text(data)),
            b'0' | 0 => {
                let name = long_name.take().unwrap_or(name);
                assert!(!name.contains(".."), "unsafe member name {name}");
                write(&into.join(&name), data);
                files.push(into.join(&name));
            }
            _ => long_name = None,
        }
        at += 512 + size.div_ceil(512) * 512;
    }
    files
}

/// The ca-86 bundles extracted into one directory load into the same graph
/// in directory order, in shuffled orders, and as the archive itself.
#[test]
fn ca_86_bundles_in_any_order_give_the_same_graph() {
    let dir = tempfile::tempdir().expect("tempdir");
    let extracted = extract_tar_gz(&ca_86(), dir.path());
    assert_eq!(extracted.len(), 88, "bundles in the archive");
    let in_order = canon_of(&[dir.path().to_path_buf()]);
    let archive = canon_of(&[ca_86()]);
    assert_same(&archive, &in_order, "ca-86 .tar.gz vs extracted");
    for seed in [11u64, 12] {
        let mut files = extracted.clone();
        files.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let shuffled = canon_of(&files);
        assert_same(&in_order, &shuffled, &format!("ca-86, seed {seed}"));
    }
}

// ----- bad input -----

/// One record per line. A line ending in ` => TYPE|ID|PATH|WORD;WORD` must be
/// rejected with that resourceType (`-`: none), id (`-`: none), JSON path
/// and a reason containing every word; other lines must load. `@HUGE@` is a
/// 50 MiB string, `@DEEP@` 10,000 nested arrays, `@BAD_UTF8@` bytes FF FE.
const NDJSON_CORPUS: &str = r#"
{"resourceType":"Patient","id":"p-good-1","address":[{"city":"Goodtown","state":"KS"}]}
{"resourceType":"Patient","id":"trunc","gender":"fem => -|-||truncated
{"resourceType":"Patient","id":"bad-birth","birthDate":5,"address":[{"city":"Rejectville","state":"KS"}]} => Patient|bad-birth|Patient.birthDate|expected a string;number
{"resourceType":"Encounter","id":"bad-subject","subject":"x"} => Encounter|bad-subject|Encounter.subject|expected an object;string
{"resourceType":"Patient","id":"bad-name","name":{}} => Patient|bad-name|Patient.name|expected an array;object

{"resourceType":"Patient","gender":"female"} => Patient|-|Patient.id|missing
{"resourceType":"Patient","id":""} => Patient||Patient.id|empty
{"resourceType":"Organization","id":"org-good-1","name":"Good Org"}
{"resourceType":"Spaceship","id":"ship-1"} => Spaceship|ship-1|resourceType|Spaceship;not a FHIR R4 resource type
{"resourceType":5,"id":"num-type"} => -|num-type|resourceType|expected a string
{"resourceType":"Patient","id":"huge","gender":"@HUGE@"} => Patient|huge|Patient.gender|bytes exceeds;limit
{"resourceType":"Patient","id":"deep","contact":@DEEP@} => -|-||recursion limit
{"resourceType":"Patient","id":"utf@BAD_UTF8@8"} => -|-||unicode
[{"resourceType":"Patient","id":"in-array"}] => -|-||JSON object
{"resourceType":"Encounter","id":"bad-ref","subject":{"reference":"Patient?name=x"}} => Encounter|bad-ref|Encounter.subject.reference|Patient?name=x
{"resourceType":"Patient","id":"bad-date","birthDate":"1970-02-30"} => Patient|bad-date|Patient.birthDate|1970-02-30;not a FHIR date
{"resourceType":"MedicationRequest","id":"bad-dt","authoredOn":"yesterday"} => MedicationRequest|bad-dt|MedicationRequest.authoredOn|yesterday;dateTime
{"resourceType":"Location","id":"loc-1","partOf":{"reference":"Location/loc-2"},"managingOrganization":{"reference":"Organization/org-good-1"}}
{"resourceType":"Location","id":"loc-2","partOf":{"reference":"Location/loc-1"},"managingOrganization":{"reference":"Organization/org-good-1"}}
{"resourceType":"Organization","id":"org-a","partOf":{"reference":"Organization/org-b"}}
{"resourceType":"Organization","id":"org-b","partOf":{"reference":"Organization/org-a"}}
{"resourceType":"Encounter","id":"enc-self","partOf":{"reference":"Encounter/enc-self"},"subject":{"reference":"Patient/p-good-1"},"serviceProvider":{"reference":"Organization/org-a"},"location":[{"location":{"reference":"Location/loc-1"}}]}
{"resourceType":"Condition","id":"cond-1","code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"subject":{"reference":"Patient/p-good-1"},"encounter":{"reference":"Encounter/enc-self"}}"#;

/// Bundle entries in the format of [`NDJSON_CORPUS`]; expectations are by
/// 0-based entry index.
const BUNDLE_CORPUS: &str = r#"
{"resource":{"resourceType":"Patient","id":"b-pat-1"}}
{"fullUrl":"urn:uuid:b-pat-2","resource":{"resourceType":"Patient","gender":"male"}}
{"fullUrl":"http://example.org/Patient/x","resource":{"resourceType":"Patient"}} => Patient|-|Patient.id|missing
{"resource":{"resourceType":"Encounter","id":"b-enc-bad","subject":"x"}} => Encounter|b-enc-bad|Encounter.subject|expected an object
{"resource":{"resourceType":"Patient","id":"b-pat-bad","birthDate":5}} => Patient|b-pat-bad|Patient.birthDate|expected a string
null => -|-||null
{"fullUrl":"urn:uuid:no-resource"} => -|-||no resource
{"resource":[{"resourceType":"Patient","id":"b-in-array"}]} => -|-||JSON object
{"resource":{"resourceType":"Spaceship","id":"b-ship"}} => Spaceship|b-ship|resourceType|Spaceship
{"resource":{"resourceType":"Encounter","id":"b-enc-ref","subject":{"reference":"Patient?name=x"}}} => Encounter|b-enc-ref|Encounter.subject.reference|Patient?name=x
{"resource":{"resourceType":"Condition","id":"b-cond","onsetDateTime":"2020-13-01","code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"subject":{"reference":"urn:uuid:b-pat-1"}}} => Condition|b-cond|Condition.onsetDateTime|2020-13-01;dateTime
{"resource":{"resourceType":"Encounter","id":"b-enc-1","subject":{"reference":"urn:uuid:b-pat-2"},"partOf":{"reference":"urn:uuid:b-enc-1"}}}"#;

/// An expected rejection: (line or entry, resourceType, id, path, words).
type Expected = (u64, Option<String>, Option<String>, String, Vec<String>);

/// Splits a corpus into record bytes and expected rejections; `first` is
/// the number of the first line (1 for NDJSON lines, 0 for Bundle entries).
fn parse_corpus(corpus: &str, first: u64) -> (Vec<Vec<u8>>, Vec<Expected>) {
    let (mut records, mut expected) = (Vec::new(), Vec::new());
    let opt = |s: &str| (s != "-").then(|| s.to_owned());
    let lines = corpus.trim_start_matches('\n').split('\n');
    for (at, line) in (first..).zip(lines) {
        let (json, spec) = match line.rsplit_once(" => ") {
            Some((json, spec)) => (json, Some(spec)),
            None => (line, None),
        };
        let mut json = json.to_owned();
        if json.contains("@HUGE@") {
            json = json.replace("@HUGE@", &"x".repeat(50 << 20));
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let mut bytes = json.replace("@DEEP@", &deep).into_bytes();
        if let Some(i) = bytes.windows(10).position(|w| w == b"@BAD_UTF8@") {
            bytes.splice(i..i + 10, [0xff, 0xfe]);
        }
        records.push(bytes);
        if let Some(spec) = spec {
            let f: Vec<&str> = spec.split('|').collect();
            let words = f[3].split(';').map(str::to_owned).collect();
            expected.push((at, opt(f[0]), opt(f[1]), f[2].to_owned(), words));
        }
    }
    (records, expected)
}

fn check_rejections(got: &[Rejection], file: &Path, expected: &[Expected], by_line: bool) {
    let place = |r: &Rejection| if by_line { r.line } else { r.entry };
    let mut got: Vec<&Rejection> = got.iter().collect();
    got.sort_by_key(|r| place(r));
    let places: Vec<Option<u64>> = got.iter().map(|r| place(r)).collect();
    let wanted: Vec<Option<u64>> = expected.iter().map(|e| Some(e.0)).collect();
    assert_eq!(places, wanted, "rejected records (by line: {by_line})");
    for (r, (at, resource_type, id, path, words)) in got.iter().zip(expected) {
        assert_eq!(r.file, file.to_string_lossy(), "{at}: file");
        let other = if by_line { r.entry } else { r.line };
        assert_eq!(other, None, "{at}: both line and entry");
        assert_eq!(&r.resource_type, resource_type, "{at}: {r:?}");
        assert_eq!((&r.id, &r.path), (id, path), "{at}: {r:?}");
        let reason = r.reason.to_lowercase();
        for word in words {
            let found = reason.contains(&word.to_lowercase());
            assert!(found, "{at}: `{}` lacks `{word}`", r.reason);
        }
    }
}

#[test]
fn bad_ndjson_records_are_rejected_with_line_and_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (records, expected) = parse_corpus(NDJSON_CORPUS, 1);
    let input = dir.path().join("input/corpus.ndjson");
    write(&input, &records.join(&b'\n'));
    let data_dir = dir.path().join("data");
    let db = Database::in_memory();
    let options = LoadOptions::for_data_dir(&data_dir);
    let report = load_into(&db, std::slice::from_ref(&input), options);
    check_rejections(&report.rejections, &input, &expected, true);
    // 24 lines: a blank one, 8 good records, 15 bad ones.
    assert_eq!(totals(&report), (23, 8, 15));
    let unreadable = report.by_type["(unreadable)"].rejected;
    assert_eq!(unreadable, 5, "records without a resourceType");
    assert_eq!(report.exit_code(), 2, "some rejected, the rest loaded");

    // The rejects file: one JSON line per rejection, the same as the report.
    let rejects = report.rejects_file.clone().expect("a rejects file");
    assert!(rejects.starts_with(data_dir.join("rejects")));
    let text = std::fs::read_to_string(&rejects).expect("read rejects");
    let parse = |l: &str| serde_json::from_str(l).expect("a JSON line");
    let from_file: Vec<Rejection> = text.lines().map(parse).collect();
    assert_eq!(from_file, report.rejections, "one line per rejection");

    // Every good record loaded (the reference cycles too); the bad ones left
    // nothing behind: no node, no city of their address, no stub.
    let graph = db.snapshot();
    let s = GraphStats::compute(&graph);
    let labels = "City Condition Country Encounter Location Organization Patient";
    assert_eq!(counts_of(&s.nodes, labels), [1, 1, 1, 1, 2, 3, 1]);
    assert_eq!(s.total_nodes, 11, "no other node, no stub: {s:?}");
    assert!(find(&graph, "City", "US/KS/REJECTVILLE").is_none());
    let bad = ["bad-birth", "bad-name", "huge", "deep", "bad-date", "trunc"];
    for id in bad {
        assert!(find(&graph, "Patient", id).is_none(), "Patient {id}");
    }
    assert_out(
        &graph,
        &[
            "Location:loc-1 PART_OF Organization:org-good-1",
            "Location:loc-2 PART_OF Organization:org-good-1",
            "Patient:p-good-1 HAD_ENCOUNTER Encounter:enc-self",
            "Patient:p-good-1 HAS_CONDITION Condition:44054006",
            "Encounter:enc-self AT_LOCATION Location:loc-1",
            "Encounter:enc-self AT_ORGANIZATION Organization:org-a",
            "Encounter:enc-self DIAGNOSED Condition:44054006",
        ],
    );
}

#[test]
fn bad_bundle_entries_are_rejected_with_entry_and_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (entries, expected) = parse_corpus(BUNDLE_CORPUS, 0);
    let mut bundle = br#"{"resourceType":"Bundle","entry":["#.to_vec();
    bundle.extend_from_slice(&entries.join(&b','));
    bundle.extend_from_slice(b"]}");
    let input = dir.path().join("bundle.json");
    write(&input, &bundle);
    let db = Database::in_memory();
    let options = LoadOptions::for_data_dir(&dir.path().join("data"));
    let report = load_into(&db, std::slice::from_ref(&input), options);
    check_rejections(&report.rejections, &input, &expected, false);
    assert_eq!(totals(&report), (12, 3, 9));
    let rejects = report.rejects_file.as_ref().expect("rejects file");
    let lines = std::fs::read_to_string(rejects).expect("read rejects");
    assert_eq!(lines.lines().count(), 9, "one line per rejection");
    let graph = db.snapshot();
    let s = GraphStats::compute(&graph);
    assert_eq!(counts_of(&s.nodes, "Encounter Patient"), [1, 2]);
    assert_eq!(s.total_nodes, 3, "only the good entries: {s:?}");
    assert_eq!(counts_of(&s.relationships, "HAS_CONDITION"), [0]);
    assert_out(&graph, &["Patient:b-pat-2 HAD_ENCOUNTER Encounter:b-enc-1"]);
}

#[test]
fn exit_code_is_0_all_2_some_1_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.ndjson");
    let bad = dir.path().join("bad.ndjson");
    write(&good, br#"{"resourceType":"Patient","id":"e-1"}"#);
    write(
        &bad,
        b"{\"resourceType\":\"Patient\",\"birthDate\":5}\n[1]\n",
    );
    let broken = dir.path().join("truncated.json");
    write(
        &broken,
        br#"{"resourceType":"Bundle","entry":[{"resource":{"#,
    );

    let (_, all) = load_fresh(std::slice::from_ref(&good));
    assert_eq!((totals(&all), all.exit_code()), ((1, 1, 0), 0));
    let (_, some) = load_fresh(&[good, bad.clone()]);
    assert_eq!((totals(&some), some.exit_code()), ((3, 1, 2), 2));
    let (db, none) = load_fresh(&[broken, bad]);
    assert_eq!((totals(&none), none.exit_code()), ((3, 0, 3), 1));
    assert_eq!(db.snapshot().node_count(), 0, "nothing loaded");
    let whole = &none.rejections[0];
    assert!(whole.file.ends_with("truncated.json"), "{whole:?}");
    assert_eq!((whole.line, whole.entry), (None, None), "one bad record");
    assert!(whole.reason.contains("truncated"), "{}", whole.reason);
}

/// `docs/fhir-mapping.md`: "a string is over 1 MiB; nesting is deeper than
/// 64" rejects a record, wherever in the record the string or nesting is.
/// BUG (reported, not fixed here): the loader limits only the strings it
/// maps, at 16 MiB (`MAX_STRING_BYTES`, `graph_model/src/fhir/json.rs`), and
/// nesting only through `serde_json`'s recursion limit of 128
/// (`parse_and_map`, `graph_model/src/fhir/load.rs`).
#[test]
fn spec_limits_four_mib_strings_and_nesting_over_64_reject() {
    let big = "y".repeat((4 << 20) + 1);
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let records = [
        ("big-family", format!(r#""name":[{{"family":"{big}"}}]"#)),
        ("big-text", format!(r#""text":{{"div":"{big}"}}"#)),
        ("deep-100", format!(r#""contact":{deep}"#)),
    ];
    let mut failures = Vec::new();
    for (id, field) in records {
        let db = Database::in_memory();
        let line = format!(r#"{{"resourceType":"Patient","id":"{id}",{field}}}"#);
        let report = load_text(&db, &line);
        let loaded = find(&db.snapshot(), "Patient", id).is_some();
        if report.records_rejected != 1 || loaded {
            failures.push(format!("{id}: loaded, {:?}", report.rejections));
        }
    }
    assert!(failures.is_empty(), "beyond the limits: {failures:#?}");
}

// ----- stubs and unresolved references -----

const NPI_REF: &str = "http://hl7.org/fhir/sid/us-npi|1234567890";

const LATE_REQUEST: &str = r#"{"resourceType":"MedicationRequest","id":"mr-stub","subject":{"reference":"Patient/p-late"},"requester":{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1234567890"},"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1049221"}]}}"#;

const LATE_PEOPLE: &str = r#"{"resourceType":"Patient","id":"p-late","gender":"male"}
{"resourceType":"Practitioner","id":"pr-late","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567890"}]}"#;

#[test]
fn stubs_stand_in_until_the_resource_arrives_in_a_later_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("a/requests.ndjson");
    let second = dir.path().join("b/people.ndjson");
    write(&first, LATE_REQUEST.as_bytes());
    write(&second, LATE_PEOPLE.as_bytes());
    let db = Database::in_memory();
    let report = load_into(&db, &[first], LoadOptions::default());
    assert_eq!(report.stubs_created, 2);
    let graph = db.snapshot();
    let s = GraphStats::compute(&graph);
    assert_eq!(counts_of(&s.stubs, "Patient Practitioner"), [1, 1]);
    assert_eq!(counts_of(&s.nodes, "Patient Practitioner"), [0, 0]);
    let mr = node(&graph, "Prescription", "mr-stub");
    for (rel, direction, reference) in [
        ("HAS_PRESCRIPTION", Direction::Incoming, "p-late"),
        ("PRESCRIBED_BY", Direction::Outgoing, NPI_REF),
    ] {
        let stub = ends(&graph, mr, direction, rel);
        assert_eq!(stub.len(), 1, "{rel}");
        let marks = (prop(&graph, stub[0], "stub"), prop(&graph, stub[0], "ref"));
        let want = (Some(Value::Boolean(true)), Some(Value::from(reference)));
        assert_eq!(marks, want, "{rel}");
    }

    let report = load_into(&db, &[second], LoadOptions::default());
    assert_eq!(report.stubs_merged, 2);
    let graph = db.snapshot();
    let s = GraphStats::compute(&graph);
    assert!(s.stubs.is_empty(), "stubs left: {:?}", s.stubs);
    assert_eq!(counts_of(&s.nodes, "Patient Practitioner"), [1, 1]);
    for (label, id) in [("Patient", "p-late"), ("Practitioner", "pr-late")] {
        let n = node(&graph, label, id);
        let marks = (prop(&graph, n, "stub"), prop(&graph, n, "ref"));
        assert_eq!(marks, (None, None), "{label} {id} keeps stub marks");
    }
    assert_out(
        &graph,
        &[
            "Patient:p-late HAS_PRESCRIPTION Prescription:mr-stub",
            "Prescription:mr-stub PRESCRIBED_BY Practitioner:pr-late",
        ],
    );
}

const CONCEPT_REFS: &str = r#"{"resourceType":"Patient","id":"p-x"}
{"resourceType":"MedicationRequest","id":"mr-unres","subject":{"reference":"Patient/p-x"},"medicationReference":{"reference":"Medication/med-missing"},"reasonReference":[{"reference":"Condition/cond-missing"}]}
{"resourceType":"MedicationRequest","id":"mr-res","subject":{"reference":"Patient/p-x"},"medicationReference":{"reference":"Medication/med-1"},"reasonReference":[{"reference":"Condition/cond-1"}]}
{"resourceType":"Medication","id":"med-1","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"197361"}]}}
{"resourceType":"Condition","id":"cond-1","subject":{"reference":"Patient/p-x"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"59621000"}]}}"#;

#[test]
fn unresolved_concept_references_drop_the_relationship_and_are_counted() {
    let db = Database::in_memory();
    let report = load_text(&db, CONCEPT_REFS);
    let dropped = counts_of(&report.unresolved, "OF_MEDICATION TREATS");
    assert_eq!(dropped, [1, 1], "{:?}", report.unresolved);
    let graph = db.snapshot();
    let s = GraphStats::compute(&graph);
    assert!(s.stubs.is_empty(), "concepts are never stubs: {s:?}");
    assert_eq!(counts_of(&s.nodes, "Medication Condition"), [1, 1]);
    // The same references resolve when their resources arrive later.
    assert_out(
        &graph,
        &[
            "Prescription:mr-unres OF_MEDICATION",
            "Prescription:mr-unres TREATS",
            "Prescription:mr-res OF_MEDICATION Medication:197361",
            "Prescription:mr-res TREATS Condition:59621000",
        ],
    );
}

// ----- upsert rules -----

const SHARED_ORG_BUNDLE: &str = r#"{"resourceType":"Bundle","type":"collection","entry":[
{"resource":{"resourceType":"Organization","id":"org-shared","name":"@NAME@","identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"org-shared"}],"address":[{"city":"Topeka","state":"KS"}]}},
{"fullUrl":"urn:uuid:p-@N@","resource":{"resourceType":"Patient","id":"p-@N@"}},
{"resource":{"resourceType":"Encounter","id":"e-@N@","subject":{"reference":"urn:uuid:p-@N@"},"serviceProvider":{"reference":"Organization?identifier=https://github.com/synthetichealth/synthea|org-shared"}}}]}"#;

#[test]
fn an_organization_in_several_bundles_is_one_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let names = ["Shared Clinic", "Shared Clinic", "Shared Clinic West"];
    for (n, name) in (1..).zip(names) {
        let bundle = SHARED_ORG_BUNDLE.replace("@N@", &format!("{n}"));
        let bundle = bundle.replace("@NAME@", name);
        let path = dir.path().join(format!("bundle-{n}.json"));
        write(&path, bundle.as_bytes());
    }
    let (db, report) = load_fresh(&[dir.path().to_path_buf()]);
    assert_eq!(totals(&report), (9, 9, 0));
    let graph = db.snapshot();
    let s = GraphStats::compute(&graph);
    assert_eq!(counts_of(&s.nodes, "Organization City Patient"), [1, 1, 3]);
    assert_eq!(counts_of(&s.relationships, "LOCATED_IN"), [1]);
    let org = node(&graph, "Organization", "org-shared");
    let at_org = ends(&graph, org, Direction::Incoming, "AT_ORGANIZATION");
    assert_eq!(at_org.len(), 3);
    let name = prop(&graph, org, "name");
    let last = Some(Value::from("Shared Clinic West"));
    assert_eq!(name, last, "the last loaded wins");
}

const CONDITION: &str = r#"{"resourceType":"Condition","id":"c-1","subject":{"reference":"Patient/p-c"},"onsetDateTime":"@ONSET@","code":{"coding":[{"system":"http://snomed.info/sct","code":"@CODE@"}]}}"#;

#[test]
fn a_condition_reloaded_with_another_code_moves_its_has_condition() {
    let condition = |code: &str, onset: &str| {
        let text = CONDITION.replace("@CODE@", code);
        text.replace("@ONSET@", onset)
    };
    let db = Database::in_memory();
    let first = condition("44054006", "2010-01-01T00:00:00Z");
    load_text(
        &db,
        &format!("{{\"resourceType\":\"Patient\",\"id\":\"p-c\"}}\n{first}"),
    );
    load_text(&db, &condition("38341003", "2012-06-01T00:00:00Z"));
    let graph = db.snapshot();
    let s = GraphStats::compute(&graph);
    assert_eq!(counts_of(&s.relationships, "HAS_CONDITION"), [1]);
    assert_out(&graph, &["Patient:p-c HAS_CONDITION Condition:38341003"]);
    let old = node(&graph, "Condition", "44054006");
    let old_in = ends(&graph, old, Direction::Incoming, "HAS_CONDITION");
    assert!(old_in.is_empty(), "the old concept keeps it");
    let p = node(&graph, "Patient", "p-c");
    let rel_type = graph.rel_type_id("HAS_CONDITION");
    let mut rels = graph.neighbors(p, Direction::Outgoing, rel_type);
    let rel = graph.rel(rels.next().expect("HAS_CONDITION").rel);
    let onset = graph.prop_key_id("onset");
    let onset = rel.and_then(|r| onset.and_then(|k| r.property(k)));
    let expected = chrono::DateTime::parse_from_rfc3339("2012-06-01T00:00:00Z");
    let reloaded = matches!(onset, Some(Value::DateTime(dt)) if Ok(*dt) == expected);
    assert!(reloaded, "onset of the reload: {onset:?}");
}

const ORDER: &str = r#"{"resourceType":"MedicationRequest","id":"@ID@","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"@CODE@"@DISPLAY@}]}}"#;

#[test]
fn concept_display_is_the_longest_whatever_the_order() {
    let records: Vec<String> = [
        ("d-1", "197361", r#","display":"Amlodipine 5 MG""#),
        (
            "d-2",
            "197361",
            r#","display":"amlodipine 5 MG Oral Tablet""#,
        ),
        ("d-3", "197361", ""),
        ("d-4", "310798", r#","display":"HCTZ 25 MG B""#),
        ("d-5", "310798", r#","display":"HCTZ 25 MG A""#),
    ]
    .iter()
    .map(|(id, code, display)| {
        let text = ORDER.replace("@ID@", id).replace("@CODE@", code);
        text.replace("@DISPLAY@", display)
    })
    .collect();
    let wanted = [
        ("197361", "amlodipine 5 MG Oral Tablet"),
        ("310798", "HCTZ 25 MG A"),
    ];
    for seed in 0..24u64 {
        let mut order = records.clone();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        // Split at a seeded point into two loads: the rule holds across loads.
        let split = (seed as usize) % order.len();
        let db = Database::in_memory();
        load_text(&db, &order[..split].join("\n"));
        load_text(&db, &order[split..].join("\n"));
        let graph = db.snapshot();
        for (code, display) in wanted {
            let shown = prop(&graph, node(&graph, "Medication", code), "display");
            assert_eq!(shown, Some(Value::from(display)), "seed {seed}");
        }
    }
}

// ----- rebuild -----

#[test]
fn rebuilding_from_the_raw_archive_gives_the_same_graph() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::in_memory();
    let options = LoadOptions::for_data_dir(dir.path());
    let report = load_into(&db, &[bulk_10()], options);
    let loaded = canonical(&db.snapshot());

    let fresh = Database::in_memory();
    let mut loader = Loader::new(&fresh, LoadOptions::default()).expect("loader");
    let raw = dir.path().join("raw");
    let scan = read_archive(&raw, &mut |records| loader.load_records(records));
    let scan = scan.expect("read the archive");
    let rebuilt = loader.finish().expect("finish");
    assert!(scan.problems.is_empty(), "{:?}", scan.problems);
    let accepted = report.records_loaded;
    assert_eq!(scan.records, accepted, "the archive holds every record");
    assert_eq!(totals(&rebuilt), (accepted, accepted, 0));
    let rebuilt = canonical(&fresh.snapshot());
    assert_same(&loaded, &rebuilt, "rebuilt from the archive");
}
