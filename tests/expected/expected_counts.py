#!/usr/bin/env python3
"""Independent oracle for the CareGraph FHIR R4 -> graph mapping.

Simulates, at the level of node keys and relationship identities, what loading
one or more FHIR inputs must produce according to
  /work/shared/spec/graph-model.md   (the contract)
  docs/fhir-mapping.md               (the precise rules)
It does NOT use the Rust loader. Python 3.11, standard library only
(json, gzip, tarfile, os, sys, collections).

Usage
  expected_counts.py [--name NAME] [--out FILE] INPUT [INPUT ...]
      simulate ONE load of all INPUTs (directories, .ndjson[.gz], .json[.gz],
      .tar.gz/.tgz) and print (or write) the expected-result JSON.
  expected_counts.py --write-all [--outdir DIR]
      regenerate the four checked-in files (synthea-bulk-10.json,
      synthea-ca-86.json, synthea-smart-615.json, synthea-all.json).

See README.md next to this file for every interpretation made.
"""

import collections
import gzip
import json
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

DATASETS = collections.OrderedDict([
    ("synthea-bulk-10", [os.path.join(REPO, "seeds/data/synthea-bulk-10")]),
    ("synthea-ca-86", [os.path.join(REPO, "seeds/data/synthea-ca-86/synthea_data_california_fhir.tar.gz")]),
    ("synthea-smart-615", ["/work/shared/data/synthea-smart-r4/R4_SYNTHEA_bundles.tar.gz"]),
])
DATASETS["synthea-all"] = [p for v in list(DATASETS.values()) for p in v]

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
SSN_SYSTEM = "http://hl7.org/fhir/sid/us-ssn"
RACE_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
GEO_URL = "http://hl7.org/fhir/StructureDefinition/geolocation"
MAX_STRING = 1 << 20
MAX_DEPTH = 64

# R4 (4.0.1) resource types.
R4_TYPES = frozenset("""
Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse AuditEvent
Basic Binary BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement CarePlan CareTeam
CatalogEntry ChargeItem ChargeItemDefinition Claim ClaimResponse ClinicalImpression CodeSystem
Communication CommunicationRequest CompartmentDefinition Composition ConceptMap Condition Consent
Contract Coverage CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue Device
DeviceDefinition DeviceMetric DeviceRequest DeviceUseStatement DiagnosticReport DocumentManifest
DocumentReference EffectEvidenceSynthesis Encounter Endpoint EnrollmentRequest EnrollmentResponse
EpisodeOfCare EventDefinition Evidence EvidenceVariable ExampleScenario ExplanationOfBenefit
FamilyMemberHistory Flag Goal GraphDefinition Group GuidanceResponse HealthcareService ImagingStudy
Immunization ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide InsurancePlan
Invoice Library Linkage List Location Measure MeasureReport Media Medication MedicationAdministration
MedicationDispense MedicationKnowledge MedicationRequest MedicationStatement MedicinalProduct
MedicinalProductAuthorization MedicinalProductContraindication MedicinalProductIndication
MedicinalProductIngredient MedicinalProductInteraction MedicinalProductManufactured
MedicinalProductPackaged MedicinalProductPharmaceutical MedicinalProductUndesirableEffect
MessageDefinition MessageHeader MolecularSequence NamingSystem NutritionOrder Observation
ObservationDefinition OperationDefinition OperationOutcome Organization OrganizationAffiliation
Parameters Patient PaymentNotice PaymentReconciliation Person PlanDefinition Practitioner
PractitionerRole Procedure Provenance Questionnaire QuestionnaireResponse RelatedPerson RequestGroup
ResearchDefinition ResearchElementDefinition ResearchStudy ResearchSubject RiskAssessment
RiskEvidenceSynthesis Schedule SearchParameter ServiceRequest Slot Specimen SpecimenDefinition
StructureDefinition StructureMap Subscription Substance SubstanceNucleicAcid SubstancePolymer
SubstanceProtein SubstanceReferenceInformation SubstanceSourceMaterial SubstanceSpecification
SupplyDelivery SupplyRequest Task TerminologyCapabilities TestReport TestScript ValueSet
VerificationResult VisionPrescription
""".split())

# FHIR resource type -> graph label for referenceable node types.
TYPE_LABEL = {
    "Patient": "Patient", "Practitioner": "Practitioner", "Organization": "Organization",
    "Location": "Location", "Encounter": "Encounter", "MedicationRequest": "Prescription",
    "Claim": "Claim",
}
IDENTIFIER_INDEXED = ("Patient", "Practitioner", "Organization", "Location")

# 50 states + DC + PR, GU, VI, AS, MP.
STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "DC": "District of Columbia",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}
STATE_LOOKUP = {}
for _code, _name in STATES.items():
    STATE_LOOKUP[_code.upper()] = _code
    STATE_LOOKUP[_name.upper()] = _code
# Common alternative spellings of the territories' names (case-insensitive).
for _alt, _code in (("VIRGIN ISLANDS", "VI"), ("US VIRGIN ISLANDS", "VI"),
                    ("UNITED STATES VIRGIN ISLANDS", "VI"), ("WASHINGTON DC", "DC"),
                    ("WASHINGTON, D.C.", "DC"), ("COMMONWEALTH OF THE NORTHERN MARIANA ISLANDS", "MP")):
    STATE_LOOKUP[_alt] = _code

ENTITY_PREFIXES = ("Organization", "Location", "Practitioner", "PractitionerRole", "Patient", "Medication.")


class Reject(Exception):
    pass


# ----------------------------------------------------------------------------
# small typed accessors (a field the mapping reads with the wrong JSON type
# rejects the record)

def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def get_str(obj, key):
    v = obj.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise Reject("%s: expected string" % key)
    return v


def get_obj(obj, key):
    v = obj.get(key)
    if v is None:
        return None
    if not isinstance(v, dict):
        raise Reject("%s: expected object" % key)
    return v


def get_list(obj, key):
    v = obj.get(key)
    if v is None:
        return []
    if not isinstance(v, list):
        raise Reject("%s: expected array" % key)
    return v


def get_objs(obj, key):
    out = get_list(obj, key)
    for x in out:
        if not isinstance(x, dict):
            raise Reject("%s[]: expected object" % key)
    return out


def get_num(obj, key):
    v = obj.get(key)
    if v is None:
        return None
    if not _is_num(v):
        raise Reject("%s: expected number" % key)
    return float(v)


def get_bool(obj, key):
    v = obj.get(key)
    if v is None:
        return None
    if not isinstance(v, bool):
        raise Reject("%s: expected boolean" % key)
    return v


_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _digits(s, n):
    return len(s) == n and s.isascii() and s.isdigit()


def valid_date(s):
    parts = s.split("-")
    if len(parts) > 3 or not _digits(parts[0], 4):
        return False
    if len(parts) >= 2:
        if not _digits(parts[1], 2) or not 1 <= int(parts[1]) <= 12:
            return False
    if len(parts) == 3:
        if not _digits(parts[2], 2):
            return False
        y, m, d = int(parts[0]), int(parts[1]), int(parts[2])
        leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
        mx = 29 if (m == 2 and leap) else (28 if m == 2 else _DAYS[m - 1])
        if not 1 <= d <= mx:
            return False
    return True


def valid_datetime(s):
    if "T" not in s:
        return valid_date(s)
    d, t = s.split("T", 1)
    if len(d) != 10 or not valid_date(d):
        return False
    if t.endswith("Z"):
        clock, tz = t[:-1], None
    else:
        if len(t) < 6 or t[-6] not in "+-":
            return False  # FHIR: a time requires a zone
        clock, tz = t[:-6], t[-5:]
        if not (_digits(tz[:2], 2) and tz[2] == ":" and _digits(tz[3:], 2)):
            return False
        if int(tz[:2]) > 14 or int(tz[3:]) > 59:
            return False
    frac = None
    if "." in clock:
        clock, frac = clock.split(".", 1)
        if not frac or not frac.isascii() or not frac.isdigit():
            return False
    hms = clock.split(":")
    if len(hms) != 3 or not all(_digits(x, 2) for x in hms):
        return False
    return int(hms[0]) <= 23 and int(hms[1]) <= 59 and int(hms[2]) <= 60


def get_date(obj, key):
    v = get_str(obj, key)
    if v is not None and not valid_date(v):
        raise Reject("%s: invalid date %r" % (key, v))
    return v


def get_datetime(obj, key):
    v = get_str(obj, key)
    if v is not None and not valid_datetime(v):
        raise Reject("%s: invalid dateTime %r" % (key, v))
    return v


def check_limits(x):
    """Reject strings over 1 MiB and nesting deeper than 64."""
    def walk(v, d):
        if d > MAX_DEPTH:
            raise Reject("nesting deeper than %d" % MAX_DEPTH)
        for w in (v.values() if type(v) is dict else v):
            t = type(w)
            if t is str:
                if len(w) > MAX_STRING // 4 and len(w.encode("utf-8")) > MAX_STRING:
                    raise Reject("string over 1 MiB")
            elif t is dict or t is list:
                walk(w, d + 1)
    walk(x, 1)


# ----------------------------------------------------------------------------
# codings

def codings(cc):
    """The coding list of a CodeableConcept (type-checked)."""
    if cc is None:
        return []
    if not isinstance(cc, dict):
        raise Reject("CodeableConcept: expected object")
    out = get_objs(cc, "coding")
    for c in out:
        get_str(c, "system"), get_str(c, "code"), get_str(c, "display")
    return out


def first_coding(cc, systems):
    """First coding with one of `systems` that has a code -> (code, display, system)."""
    for c in codings(cc):
        if c.get("system") in systems and c.get("code"):
            return c["code"], c.get("display"), c["system"]
    return None


def coding0(cc):
    cs = codings(cc)
    return cs[0] if cs else {}


# ----------------------------------------------------------------------------
# references

def parse_reference(ref, field):
    """Reference object -> None (ignored: display only / absent) or
    (kind, type_or_None, value) with kind in {"id", "ident"}; raises Reject on
    a form other than the four."""
    if ref is None:
        return None
    if not isinstance(ref, dict):
        raise Reject("%s: reference is not an object" % field)
    r = ref.get("reference")
    rtype = get_str(ref, "type")
    if r is not None:
        if not isinstance(r, str):
            raise Reject("%s.reference: expected string" % field)
        if r.startswith("urn:uuid:"):
            x = r[len("urn:uuid:"):]
            if not x:
                raise Reject("%s: empty urn:uuid" % field)
            return ("id", rtype, x)
        if "?" in r:
            head, query = r.split("?", 1)
            t = head.rsplit("/", 1)[-1]
            if t not in R4_TYPES or not query.startswith("identifier=") or "&" in query:
                raise Reject("%s: unsupported reference %r" % (field, r))
            sv = query[len("identifier="):]
            if "|" not in sv:
                raise Reject("%s: conditional reference without system|value %r" % (field, r))
            system, value = sv.split("|", 1)
            if not value:
                raise Reject("%s: empty identifier value %r" % (field, r))
            return ("ident", t, system + "|" + value)
        segs = r.split("/")
        if len(segs) >= 4 and segs[-2] == "_history":
            segs = segs[:-2]
        if len(segs) >= 2 and segs[-2] in R4_TYPES and segs[-1]:
            return ("id", segs[-2], segs[-1])
        raise Reject("%s: unsupported reference form %r" % (field, r))
    ident = ref.get("identifier")
    if ident is not None:
        if not isinstance(ident, dict):
            raise Reject("%s.identifier: expected object" % field)
        system = get_str(ident, "system")
        value = get_str(ident, "value")
        if not value:
            raise Reject("%s.identifier without value" % field)
        return ("ident", rtype, (system or "") + "|" + value)
    return None  # display only (or empty): no reference


def identifiers(res):
    out = []
    for i in get_objs(res, "identifier"):
        s, v = get_str(i, "system"), get_str(i, "value")
        if v:
            out.append((s or "") + "|" + v)
    return out


# ----------------------------------------------------------------------------
# names, addresses

def human_name(res):
    names = get_objs(res, "name")
    if not names:
        return None, None, None
    chosen = None
    for n in names:
        if get_str(n, "use") == "official":
            chosen = n
            break
    if chosen is None:
        chosen = names[0]
    given_list = get_list(chosen, "given")
    for g in given_list:
        if not isinstance(g, str):
            raise Reject("name.given[]: expected string")
    given = " ".join(given_list) if given_list else None
    family = get_str(chosen, "family")
    if given and family:
        full = given + " " + family
    else:
        full = given or family or None
    return full, given or None, family


def title_case(s):
    out = []
    start = True
    for ch in s:
        if ch == " " or ch == "-":
            out.append(ch)
            start = True
        elif start:
            out.append(ch.upper())
            start = False
        else:
            out.append(ch.lower())
    return "".join(out)


def geography(addr):
    """Address -> (city_id, city_name, state_code, country) or None."""
    if not addr:
        return None
    city = get_str(addr, "city")
    state = get_str(addr, "state")
    country = get_str(addr, "country")
    if city is None or state is None:
        return None
    city = " ".join(city.split())
    if not city:
        return None
    code = STATE_LOOKUP.get(" ".join(state.split()).upper())
    if code is None:
        return None
    country = (country or "").strip().upper() or "US"
    return ("%s/%s/%s" % (country, code, city.upper()), title_case(city), code, country)


def geolocation(addr):
    lat = lon = None
    for e in get_objs(addr, "extension"):
        if get_str(e, "url") == GEO_URL:
            for sub in get_objs(e, "extension"):
                u = get_str(sub, "url")
                if u == "latitude":
                    lat = get_num(sub, "valueDecimal")
                elif u == "longitude":
                    lon = get_num(sub, "valueDecimal")
    return lat, lon


def first_address(res, single=False):
    if single:  # Location.address is 0..1 (an object)
        return get_obj(res, "address")
    addrs = get_objs(res, "address")
    return addrs[0] if addrs else None


def prune(d):
    return {k: v for k, v in d.items() if v is not None}


# ----------------------------------------------------------------------------
# input walking

def _is_data_name(name):
    n = name.lower()
    return n.endswith((".ndjson", ".ndjson.gz", ".json", ".json.gz"))


def _entity_file(path):
    b = os.path.basename(path)
    return b.lower().endswith((".ndjson", ".ndjson.gz")) and b.startswith(ENTITY_PREFIXES)


def list_units(inputs):
    """-> ordered list of ('file', path) / ('tar', path) units for one load."""
    units = []
    for inp in inputs:
        inp = os.path.abspath(inp)
        if os.path.isdir(inp):
            files = []
            for dp, dn, fn in os.walk(inp):
                for f in fn:
                    files.append(os.path.join(dp, f))
            files.sort()
        else:
            files = [inp]
        for f in files:
            low = f.lower()
            if low.endswith((".tar.gz", ".tgz")):
                units.append(("tar", f))
            elif _is_data_name(f):
                units.append(("file", f))
    # entity files of a bulk export first (stable)
    first = [u for u in units if u[0] == "file" and _entity_file(u[1])]
    rest = [u for u in units if not (u[0] == "file" and _entity_file(u[1]))]
    return first + rest


def _decode(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Reject("not UTF-8")


def records_from_blob(name, srcdir, raw):
    """Yield (srcdir, entry_fullurl, obj_or_Reject) for one file's bytes."""
    if name.lower().endswith(".gz"):
        raw = gzip.decompress(raw)
        name = name[:-3]
    if name.lower().endswith(".ndjson"):
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                obj = json.loads(_decode(line))
            except Reject as e:
                yield srcdir, None, e
                continue
            except ValueError as e:
                yield srcdir, None, Reject("invalid JSON: %s" % e)
                continue
            yield srcdir, None, obj
        return
    try:
        obj = json.loads(_decode(raw))
    except Reject as e:
        yield srcdir, None, e
        return
    except ValueError as e:
        yield srcdir, None, Reject("invalid JSON: %s" % e)
        return
    if isinstance(obj, dict) and obj.get("resourceType") == "Bundle":
        entries = obj.get("entry")
        if not isinstance(entries, list):
            return
        for e in entries:
            if not isinstance(e, dict) or "resource" not in e:
                continue
            full = e.get("fullUrl") if isinstance(e.get("fullUrl"), str) else None
            yield srcdir, full, e["resource"]
    else:
        yield srcdir, None, obj


def iter_records(inputs):
    for kind, path in list_units(inputs):
        if kind == "file":
            with open(path, "rb") as fh:
                raw = fh.read()
            yield from records_from_blob(path, os.path.dirname(path), raw)
        else:
            with tarfile.open(path, "r:*") as tf:
                for m in tf:
                    if not m.isfile() or not _is_data_name(m.name):
                        continue
                    raw = tf.extractfile(m).read()
                    srcdir = path + "!/" + os.path.dirname(m.name)
                    yield from records_from_blob(m.name, srcdir, raw)


# ----------------------------------------------------------------------------
# the simulated load

class Load:
    def __init__(self):
        self.read = 0
        self.rejected = collections.Counter()
        self.by_type = collections.Counter()
        self.nodes = collections.defaultdict(dict)          # label -> key -> props
        self.srcdirs = collections.defaultdict(set)         # (label, key) -> {srcdir}
        self.ident_index = collections.defaultdict(set)     # (label, "sys|val") -> {key}
        self.id_types = collections.defaultdict(set)        # resource id -> {resourceType}
        self.cond_code = {}                                 # Condition resource id -> code|None
        self.med_code = {}                                  # Medication resource id -> code|None
        self.concepts = {"Medication": {}, "Condition": {}, "Substance": {}}  # code -> [display, system]
        self.pending = []      # (rtype, start_ep, end_ep, identity_extra, srcdir)
        self.geo = []          # (label, key, geo-tuple)
        self.eob_payers = []   # (claim ref, insurer display, srcdir)
        self.claim_has_payer = set()
        self.diag = collections.Counter()
        self.concept_displays = collections.defaultdict(set)

    # -- effects ---------------------------------------------------------
    def concept(self, label, code, display, system):
        if display is not None:
            self.concept_displays[(label, code)].add(display)
        cur = self.concepts[label].get(code)
        if cur is None:
            self.concepts[label][code] = [display, system]
            return
        old = cur[0]
        if display is not None and (old is None or len(display) > len(old)
                                    or (len(display) == len(old) and display < old)):
            cur[0] = display
        cur[1] = system  # last loaded wins (codes are not shared across systems in this data)

    def add_record(self, srcdir, fullurl, res):
        self.read += 1
        try:
            eff = self.extract(srcdir, fullurl, res)
        except Reject as e:
            self.rejected[str(e).split(":")[0]] += 1
            return
        rt, rid = eff["rt"], eff["id"]
        self.by_type[rt] += 1
        self.id_types[rid].add(rt)
        for label, key, props, idents in eff["nodes"]:
            self.nodes[label].setdefault(key, {}).update(props)   # last loaded wins
            self.srcdirs[(label, key)].add(srcdir)
            for i in idents:
                self.ident_index[(label, i)].add(key)
        for c in eff["concepts"]:
            self.concept(*c)
        for rel in eff["rels"]:
            self.pending.append(rel + (srcdir,))
        for g in eff["geo"]:
            self.geo.append(g)
        if "cond_code" in eff:
            self.cond_code[rid] = eff["cond_code"]
        if "med_code" in eff:
            self.med_code[rid] = eff["med_code"]
        if "eob" in eff:
            self.eob_payers.append(eff["eob"] + (srcdir,))
        if eff.get("claim_payer"):
            self.claim_has_payer.add(rid)
        for d in eff.get("diag", ()):
            self.diag[d] += 1

    # -- per-record extraction (pure: nothing is committed on Reject) -------
    def extract(self, srcdir, fullurl, res):
        if isinstance(res, Reject):
            raise res
        if not isinstance(res, dict):
            raise Reject("not a JSON object")
        rt = res.get("resourceType")
        if not isinstance(rt, str) or rt not in R4_TYPES:
            raise Reject("resourceType missing or not R4")
        rid = res.get("id")
        if rid is None and fullurl and fullurl.startswith("urn:uuid:") and len(fullurl) > 9:
            rid = fullurl[9:]
        if not isinstance(rid, str) or not rid:
            raise Reject("id missing or invalid")
        check_limits(res)
        eff = {"rt": rt, "id": rid, "nodes": [], "concepts": [], "rels": [], "geo": [], "diag": []}
        fn = getattr(self, "x_" + rt, None)
        if fn is not None:
            fn(res, rid, eff)
        return eff

    @staticmethod
    def ref(res, field, expect):
        """Reference endpoint spec or None. `expect` is the label the mapping
        wants (a written Type that maps to another label is skipped later)."""
        p = parse_reference(res.get(field) if isinstance(field, str) else field, expect)
        if p is None:
            return None
        kind, t, value = p
        return ("ref", expect, kind, t, value)

    def _geo(self, eff, label, key, addr):
        g = geography(addr)
        if g is not None:
            eff["geo"].append((label, key, g))
        elif addr:
            eff["diag"].append("address without usable city/state: " + label)

    def x_Patient(self, r, rid, eff):
        full, given, family = human_name(r)
        race = eth = None
        for e in get_objs(r, "extension"):
            url = get_str(e, "url")
            if url in (RACE_URL, ETHNICITY_URL):
                for sub in get_objs(e, "extension"):
                    if get_str(sub, "url") == "text":
                        v = get_str(sub, "valueString")
                        if url == RACE_URL:
                            race = v
                        else:
                            eth = v
                        break
        mrn = ssn = None
        for i in get_objs(r, "identifier"):
            sysv, val = get_str(i, "system"), get_str(i, "value")
            typ = get_obj(i, "type")
            if mrn is None and typ is not None and any(c.get("code") == "MR" for c in codings(typ)):
                mrn = val
            if ssn is None and sysv == SSN_SYSTEM:
                ssn = val
        addr = first_address(r)
        lat = lon = postal = None
        if addr:
            postal = get_str(addr, "postalCode")
            lat, lon = geolocation(addr)
        ms = coding0(get_obj(r, "maritalStatus")).get("code") if r.get("maritalStatus") is not None else None
        props = prune({
            "id": rid, "name": full, "given": given, "family": family,
            "gender": get_str(r, "gender"), "birthDate": get_date(r, "birthDate"),
            "deathDate": get_datetime(r, "deceasedDateTime"), "maritalStatus": ms,
            "race": race, "ethnicity": eth, "mrn": mrn, "ssn": ssn, "postalCode": postal,
            "latitude": lat, "longitude": lon,
        })
        eff["nodes"].append(("Patient", rid, props, identifiers(r)))
        self._geo(eff, "Patient", rid, addr)
        me = ("node", "Patient", rid)
        for gp in get_list(r, "generalPractitioner"):
            ep = self.ref(r, gp, "Practitioner")
            if ep is not None:
                eff["rels"].append(("HAS_GP", me, ep, None))

    def x_Practitioner(self, r, rid, eff):
        full, _, _ = human_name(r)
        npi = None
        for i in get_objs(r, "identifier"):
            if get_str(i, "system") == NPI_SYSTEM:
                npi = get_str(i, "value")
                break
        props = prune({"id": rid, "npi": npi, "name": full, "gender": get_str(r, "gender")})
        eff["nodes"].append(("Practitioner", rid, props, identifiers(r)))
        self._geo(eff, "Practitioner", rid, first_address(r))

    def x_Organization(self, r, rid, eff):
        types = get_objs(r, "type")
        typ = coding0(types[0]).get("code") if types else None
        props = prune({"id": rid, "name": get_str(r, "name"), "type": typ})
        eff["nodes"].append(("Organization", rid, props, identifiers(r)))
        self._geo(eff, "Organization", rid, first_address(r))

    def x_Location(self, r, rid, eff):
        pos = get_obj(r, "position") or {}
        props = prune({"id": rid, "name": get_str(r, "name"),
                       "latitude": get_num(pos, "latitude"), "longitude": get_num(pos, "longitude")})
        eff["nodes"].append(("Location", rid, props, identifiers(r)))
        self._geo(eff, "Location", rid, first_address(r, single=True))
        ep = self.ref(r, "managingOrganization", "Organization")
        if ep is not None:
            eff["rels"].append(("PART_OF", ("node", "Location", rid), ep, None))

    def x_PractitionerRole(self, r, rid, eff):
        pr = self.ref(r, "practitioner", "Practitioner")
        org = self.ref(r, "organization", "Organization")
        codes = get_objs(r, "code")
        specs = get_objs(r, "specialty")
        c0 = coding0(codes[0]) if codes else {}
        s0 = coding0(specs[0]) if specs else {}
        if pr is not None and org is not None:
            eff["rels"].append(("WORKS_AT", pr, org, c0.get("code")))
        else:
            eff["diag"].append("PractitionerRole without practitioner or organization")

    def x_Medication(self, r, rid, eff):
        c = first_coding(get_obj(r, "code"), (RXNORM,))
        if c is not None:
            eff["concepts"].append(("Medication",) + c)
            eff["med_code"] = c[0]
        else:
            eff["med_code"] = None
            eff["diag"].append("Medication resource without RxNorm code")

    def x_Condition(self, r, rid, eff):
        c = first_coding(get_obj(r, "code"), (SNOMED,))
        subj = self.ref(r, "subject", "Patient")
        enc = self.ref(r, "encounter", "Encounter")
        get_datetime(r, "onsetDateTime"), get_datetime(r, "abatementDateTime")
        coding0(get_obj(r, "clinicalStatus"))
        if c is None:
            eff["cond_code"] = None
            eff["diag"].append("Condition without SNOMED coding (no HAS_CONDITION)")
            return
        eff["cond_code"] = c[0]
        eff["concepts"].append(("Condition",) + c)
        concept = ("concept", "Condition", c[0])
        if subj is not None:
            eff["rels"].append(("HAS_CONDITION", subj, concept, rid))
        else:
            eff["diag"].append("Condition without subject")
        if enc is not None:
            eff["rels"].append(("DIAGNOSED", enc, concept, None))

    def x_AllergyIntolerance(self, r, rid, eff):
        c = first_coding(get_obj(r, "code"), (RXNORM, SNOMED))
        pat = self.ref(r, "patient", "Patient")
        get_datetime(r, "recordedDate")
        if c is None:
            eff["diag"].append("AllergyIntolerance without RxNorm/SNOMED coding")
            return
        eff["concepts"].append(("Substance",) + c)
        if pat is not None:
            eff["rels"].append(("ALLERGIC_TO", pat, ("concept", "Substance", c[0]), rid))

    def x_Encounter(self, r, rid, eff):
        cls = get_obj(r, "class") or {}
        types = get_objs(r, "type")
        t0 = coding0(types[0]) if types else {}
        per = get_obj(r, "period") or {}
        props = prune({"id": rid, "class": get_str(cls, "code"), "typeCode": t0.get("code"),
                       "type": t0.get("display"), "start": get_datetime(per, "start"),
                       "end": get_datetime(per, "end")})
        eff["nodes"].append(("Encounter", rid, props, []))
        me = ("node", "Encounter", rid)
        subj = self.ref(r, "subject", "Patient")
        if subj is not None:
            eff["rels"].append(("HAD_ENCOUNTER", subj, me, None))
        for p in get_objs(r, "participant"):
            ep = self.ref(p, "individual", "Practitioner")
            if ep is not None:
                eff["rels"].append(("ATTENDED_BY", me, ep, None))
        sp = self.ref(r, "serviceProvider", "Organization")
        if sp is not None:
            eff["rels"].append(("AT_ORGANIZATION", me, sp, None))
        for l in get_objs(r, "location"):
            ep = self.ref(l, "location", "Location")
            if ep is not None:
                eff["rels"].append(("AT_LOCATION", me, ep, None))

    def x_MedicationRequest(self, r, rid, eff):
        props = prune({"id": rid, "authoredOn": get_datetime(r, "authoredOn"),
                       "status": get_str(r, "status"), "intent": get_str(r, "intent")})
        eff["nodes"].append(("Prescription", rid, props, []))
        me = ("node", "Prescription", rid)
        subj = self.ref(r, "subject", "Patient")
        if subj is not None:
            eff["rels"].append(("HAS_PRESCRIPTION", subj, me, None))
        mcc = get_obj(r, "medicationCodeableConcept")
        if mcc is not None:
            c = first_coding(mcc, (RXNORM,))
            if c is not None:
                eff["concepts"].append(("Medication",) + c)
                eff["rels"].append(("OF_MEDICATION", me, ("concept", "Medication", c[0]), None))
            else:
                eff["diag"].append("medicationCodeableConcept without RxNorm")
        else:
            p = parse_reference(r.get("medicationReference"), "medicationReference")
            if p is not None:
                eff["rels"].append(("OF_MEDICATION", me, ("medref",) + p, None))
        req = self.ref(r, "requester", "Practitioner")
        if req is not None:
            eff["rels"].append(("PRESCRIBED_BY", me, req, None))
        enc = self.ref(r, "encounter", "Encounter")
        if enc is not None:
            eff["rels"].append(("DURING", me, enc, None))
        for rr in get_list(r, "reasonReference"):
            p = parse_reference(rr, "reasonReference")
            if p is not None:
                eff["rels"].append(("TREATS", me, ("condref",) + p, None))
        for rc in get_list(r, "reasonCode"):
            c = first_coding(rc, (SNOMED,))
            if c is not None:
                eff["concepts"].append(("Condition",) + c)
                eff["rels"].append(("TREATS", me, ("concept", "Condition", c[0]), None))

    def x_Claim(self, r, rid, eff):
        typ = coding0(get_obj(r, "type")).get("code") if r.get("type") is not None else None
        bp = get_obj(r, "billablePeriod") or {}
        tot = get_obj(r, "total") or {}
        props = prune({"id": rid, "type": typ, "status": get_str(r, "status"),
                       "created": get_datetime(r, "created"),
                       "billableStart": get_datetime(bp, "start"), "billableEnd": get_datetime(bp, "end"),
                       "total": get_num(tot, "value"), "currency": get_str(tot, "currency")})
        eff["nodes"].append(("Claim", rid, props, []))
        me = ("node", "Claim", rid)
        pat = self.ref(r, "patient", "Patient")
        if pat is not None:
            eff["rels"].append(("HAS_CLAIM", pat, me, None))
        prov = self.ref(r, "provider", "Organization")
        if prov is not None:
            eff["rels"].append(("BILLED_BY", me, prov, None))
        ins = get_objs(r, "insurance")
        chosen = None
        for i in ins:
            if get_bool(i, "focal") is True:
                chosen = i
                break
        if chosen is None and ins:
            chosen = ins[0]
        disp = None
        if chosen is not None:
            cov = get_obj(chosen, "coverage")
            if cov is not None:
                disp = get_str(cov, "display")
        if disp:
            eff["rels"].append(("PAID_BY", me, ("payer", disp), None))
            eff["claim_payer"] = True
        for it in get_objs(r, "item"):
            for e in get_list(it, "encounter"):
                ep = self.ref(it, e, "Encounter")
                if ep is not None:
                    eff["rels"].append(("FOR_ENCOUNTER", me, ep, None))
            c = first_coding(get_obj(it, "productOrService"), (RXNORM,))
            if c is not None:
                seq = it.get("sequence")
                if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool)):
                    raise Reject("item.sequence: expected integer")
                eff["concepts"].append(("Medication",) + c)
                eff["rels"].append(("CLAIMS", me, ("concept", "Medication", c[0]), seq))
        pr = self.ref(r, "prescription", "Prescription")
        if pr is not None:
            eff["rels"].append(("FOR_PRESCRIPTION", me, pr, None))

    def x_ExplanationOfBenefit(self, r, rid, eff):
        p = parse_reference(r.get("claim"), "claim")
        insurer = get_obj(r, "insurer")
        disp = get_str(insurer, "display") if insurer is not None else None
        if p is not None and disp:
            eff["eob"] = (p, disp)

    # -- end of load: resolve references --------------------------------
    def resolve(self, ep, srcdir):
        """-> endpoint key ('Label', key) | ('stub', label, ref) | None (skip)."""
        tag = ep[0]
        if tag == "node":
            return (ep[1], ep[2])
        if tag == "concept":
            return (ep[1], ep[2])
        if tag == "payer":
            return ("Payer", ep[1])
        _, expect, kind, t, value = ep
        if t is not None:
            lab = TYPE_LABEL.get(t)
            if lab != expect:
                self.diag["reference to another type skipped (%s -> %s)" % (expect, t)] += 1
                return None
        if kind == "id":
            if value in self.nodes[expect]:
                return (expect, value)
            if t is None and self.id_types.get(value):
                # urn:uuid pointing to a resource of another type
                self.diag["urn:uuid resolves to another type, skipped (%s)" % expect] += 1
                return None
            return ("stub", expect, value)
        cands = self.ident_index.get((expect, value))
        if not cands:
            return ("stub", expect, value)
        if len(cands) == 1:
            return (expect, next(iter(cands)))
        same = sorted(k for k in cands if srcdir in self.srcdirs[(expect, k)])
        if same:
            self.ambiguous[("same-directory", expect, value, same[0])] += 1
            return (expect, same[0])
        k = min(cands)
        self.ambiguous[("smallest-id", expect, value, k)] += 1
        return (expect, k)

    def resolve_concept_ref(self, ep):
        tag, kind, t, value = ep
        want = "Medication" if tag == "medref" else "Condition"
        table = self.med_code if tag == "medref" else self.cond_code
        if t is not None and t != want:
            self.diag["%s reference to %s skipped" % (tag, t)] += 1
            return "skip"
        if kind != "id":
            return None  # concept resources are not identifier-indexed
        code = table.get(value)
        if code is None:
            return None
        return (want, code)

    def finish(self):
        self.ambiguous = collections.Counter()
        self.rels = {}          # identity -> (type, start, end)
        self.stubs = set()      # (label, ref)
        self.dropped = collections.Counter()
        self.payers = set()

        def put(identity, rtype, s, e):
            self.rels[identity] = (rtype, s, e)
            for x in (s, e):
                if x[0] == "stub":
                    self.stubs.add((x[1], x[2]))
                elif x[0] == "Payer":
                    self.payers.add(x[1])

        # geography
        self.cities, self.states, self.countries = {}, set(), set()
        for label, key, (cid, cname, scode, country) in self.geo:
            self.cities[cid] = {"id": cid, "name": cname, "state": scode}
            self.states.add(scode)
            self.countries.add(country)
            rtype = "LIVES_IN" if label == "Patient" else "LOCATED_IN"
            put((rtype, (label, key), ("City", cid)), rtype, (label, key), ("City", cid))
            put(("IN_STATE", ("City", cid), ("State", scode)), "IN_STATE", ("City", cid), ("State", scode))
            put(("IN_COUNTRY", ("State", scode), ("Country", country)), "IN_COUNTRY",
                ("State", scode), ("Country", country))

        for rtype, s_ep, e_ep, extra, srcdir in self.pending:
            s = self.resolve(s_ep, srcdir)
            if s is None:
                continue
            if e_ep[0] in ("medref", "condref"):
                e = self.resolve_concept_ref(e_ep)
                if e == "skip":
                    continue
                if e is None:
                    self.dropped[rtype] += 1
                    continue
            else:
                e = self.resolve(e_ep, srcdir)
                if e is None:
                    continue
            if rtype in ("HAS_CONDITION", "ALLERGIC_TO"):
                identity = (rtype, extra)
            elif rtype in ("CLAIMS", "WORKS_AT"):
                identity = (rtype, s, e, extra)
            else:
                identity = (rtype, s, e)
            put(identity, rtype, s, e)

        # ExplanationOfBenefit insurer -> payer of claims that carry none
        for p, disp, srcdir in self.eob_payers:
            kind, t, value = p
            if (t is not None and t != "Claim") or kind != "id" or value not in self.nodes["Claim"]:
                self.dropped["PAID_BY"] += 1
                continue
            if value in self.claim_has_payer:
                continue
            s = ("Claim", value)
            put(("PAID_BY", s, ("Payer", disp)), "PAID_BY", s, ("Payer", disp))

    # -- report ----------------------------------------------------------
    def report(self, name):
        nodes = collections.Counter()
        for label in ("Patient", "Practitioner", "Organization", "Location", "Encounter",
                      "Prescription", "Claim"):
            nodes[label] = len(self.nodes[label])
        nodes["City"] = len(self.cities)
        nodes["State"] = len(self.states)
        nodes["Country"] = len(self.countries)
        for label in ("Medication", "Condition", "Substance"):
            nodes[label] = len(self.concepts[label])
        nodes["Payer"] = len(self.payers)
        rels = collections.Counter(v[0] for v in self.rels.values())
        stubs = collections.Counter(l for l, _ in self.stubs)
        out = collections.OrderedDict()
        out["dataset"] = name
        out["nodes"] = {k: v for k, v in sorted(nodes.items()) if v}
        out["relationships"] = {k: v for k, v in sorted(rels.items()) if v}
        out["stubs"] = {k: v for k, v in sorted(stubs.items()) if v}
        out["records"] = collections.OrderedDict([
            ("read", self.read),
            ("by_type", dict(sorted(self.by_type.items()))),
            ("rejected", sum(self.rejected.values())),
        ])
        out["dropped"] = {k: v for k, v in sorted(self.dropped.items()) if v}
        out["samples"] = self.samples()
        diag = collections.OrderedDict()
        diag["rejected_by_reason"] = dict(sorted(self.rejected.items()))
        diag["notes"] = dict(sorted(self.diag.items()))
        diag["stub_refs"] = sorted("%s %s" % s for s in self.stubs)[:50]
        amb = collections.Counter()
        amb_ids = collections.defaultdict(set)
        for (how, label, value, key), n in self.ambiguous.items():
            amb[how] += n
            amb_ids[value].add(key)
        shared = {}
        for (label, ident), keys in self.ident_index.items():
            if len(keys) > 1:
                shared["%s %s" % (label, ident)] = sorted(keys)
        diag["shared_identifiers"] = dict(sorted(shared.items()))
        diag["ambiguous_identifier_references"] = dict(sorted(amb.items()))
        diag["ambiguous_identifier_resolutions"] = {
            "%s -> %s (%s)" % (value, key, how): n
            for (how, label, value, key), n in sorted(self.ambiguous.items())}
        out["diagnostics"] = diag
        return out

    def samples(self):
        s = collections.OrderedDict()
        per = collections.defaultdict(collections.Counter)  # (label,key) -> rtype -> n
        indeg = collections.defaultdict(collections.Counter)
        for rtype, a, b in self.rels.values():
            per[a][rtype] += 1
            indeg[b][rtype] += 1
        # patients: smallest id, plus the smallest id with a deathDate (else 2nd smallest)
        pids = sorted(self.nodes["Patient"])
        chosen = pids[:1]
        dead = [p for p in pids if "deathDate" in self.nodes["Patient"][p]]
        if dead and dead[0] not in chosen:
            chosen.append(dead[0])
        elif len(pids) > 1:
            chosen.append(pids[1])
        lives = {}
        for rtype, a, b in self.rels.values():
            if rtype == "LIVES_IN":
                lives.setdefault(a[1], []).append(b[1])
        pats = []
        for p in chosen:
            d = collections.OrderedDict()
            d["props"] = dict(sorted(self.nodes["Patient"][p].items()))
            for rt in ("HAS_CONDITION", "HAS_PRESCRIPTION", "HAS_CLAIM", "HAD_ENCOUNTER", "ALLERGIC_TO"):
                d[rt] = per[("Patient", p)][rt]
            d["LIVES_IN"] = sorted(lives.get(p, []))
            pats.append(d)
        s["Patient"] = pats
        if self.nodes["Practitioner"]:
            # prefer a practitioner whose NPI is shared by several nodes
            shared = sorted(min(keys) for (label, _), keys in self.ident_index.items()
                            if label == "Practitioner" and len(keys) > 1)
            k = shared[0] if shared else min(self.nodes["Practitioner"])
            d = dict(sorted(self.nodes["Practitioner"][k].items()))
            d["_WORKS_AT"] = per[("Practitioner", k)]["WORKS_AT"]
            d["_ATTENDED_BY_in"] = indeg[("Practitioner", k)]["ATTENDED_BY"]
            d["_PRESCRIBED_BY_in"] = indeg[("Practitioner", k)]["PRESCRIBED_BY"]
            s["Practitioner"] = d
        if self.nodes["Organization"]:
            k = max(self.nodes["Organization"],
                    key=lambda o: (indeg[("Organization", o)]["AT_ORGANIZATION"], [-ord(c) for c in o]))
            d = dict(sorted(self.nodes["Organization"][k].items()))
            d["_AT_ORGANIZATION_in"] = indeg[("Organization", k)]["AT_ORGANIZATION"]
            d["_BILLED_BY_in"] = indeg[("Organization", k)]["BILLED_BY"]
            s["Organization"] = d
        if self.nodes["Location"]:
            k = min(self.nodes["Location"])
            s["Location"] = dict(sorted(self.nodes["Location"][k].items()))
        if self.cities:
            # the city with most LIVES_IN, and the first hyphenated one (title-case check)
            by = sorted(self.cities, key=lambda c: (-indeg[("City", c)]["LIVES_IN"], c))
            cs = [by[0]]
            hy = sorted(c for c in self.cities if "-" in c)
            if hy and hy[0] not in cs:
                cs.append(hy[0])
            s["City"] = [dict(self.cities[c], _LIVES_IN_in=indeg[("City", c)]["LIVES_IN"],
                              _LOCATED_IN_in=indeg[("City", c)]["LOCATED_IN"]) for c in cs]
        s["State"] = [{"code": c, "name": STATES[c]} for c in sorted(self.states)]
        if self.concepts["Medication"]:
            k = min(self.concepts["Medication"], key=lambda c: (-indeg[("Medication", c)]["OF_MEDICATION"], c))
            disp, system = self.concepts["Medication"][k]
            s["Medication_most_prescribed"] = prune({"code": k, "display": disp, "system": system,
                                                     "OF_MEDICATION": indeg[("Medication", k)]["OF_MEDICATION"]})
        if self.concepts["Condition"]:
            k = min(self.concepts["Condition"], key=lambda c: (-indeg[("Condition", c)]["HAS_CONDITION"], c))
            disp, system = self.concepts["Condition"][k]
            s["Condition_most_common"] = prune({"code": k, "display": disp, "system": system,
                                                "HAS_CONDITION": indeg[("Condition", k)]["HAS_CONDITION"]})
            k = "44054006"
            if k in self.concepts["Condition"]:
                disp, system = self.concepts["Condition"][k]
                s["Condition_44054006"] = prune({"code": k, "display": disp, "system": system,
                                                 "HAS_CONDITION": indeg[("Condition", k)]["HAS_CONDITION"]})
        several = []
        for (label, code), ds in sorted(self.concept_displays.items()):
            if len(ds) > 1:
                several.append({"label": label, "code": code, "display": self.concepts[label][code][0],
                                "seen": sorted(ds)})
        s["concepts_with_several_displays"] = several
        if self.nodes["Encounter"]:
            k = min(self.nodes["Encounter"])
            d = dict(sorted(self.nodes["Encounter"][k].items()))
            for rtype, a, b in self.rels.values():
                if a == ("Encounter", k) or b == ("Encounter", k):
                    other = b if a == ("Encounter", k) else a
                    d.setdefault("_" + rtype, []).append(other[-1])
            s["Encounter"] = {kk: (sorted(v) if isinstance(v, list) else v) for kk, v in d.items()}
        if self.nodes["Prescription"]:
            k = min(self.nodes["Prescription"])
            d = dict(sorted(self.nodes["Prescription"][k].items()))
            for rtype, a, b in self.rels.values():
                if a == ("Prescription", k) or b == ("Prescription", k):
                    other = b if a == ("Prescription", k) else a
                    d.setdefault("_" + rtype, []).append(other[-1])
            s["Prescription"] = {kk: (sorted(v) if isinstance(v, list) else v) for kk, v in d.items()}
        if self.nodes["Claim"]:
            claims_rel = collections.defaultdict(list)
            for ident, (rtype, a, b) in self.rels.items():
                if a[0] == "Claim" or b[0] == "Claim":
                    c = a if a[0] == "Claim" else b
                    other = b if a[0] == "Claim" else a
                    if rtype == "CLAIMS":
                        claims_rel[c[1]].append(["CLAIMS", other[-1], ident[3]])
                    else:
                        claims_rel[c[1]].append([rtype, other[-1]])
            picks = [min(self.nodes["Claim"])]
            pharm = sorted(k for k in self.nodes["Claim"] if any(x[0] == "CLAIMS" for x in claims_rel[k]))
            if pharm and pharm[0] not in picks:
                picks.append(pharm[0])
            s["Claim"] = [dict(sorted(self.nodes["Claim"][k].items()), _rels=sorted(claims_rel[k])) for k in picks]
        shared = []
        for (label, ident), keys in sorted(self.ident_index.items()):
            if label == "Practitioner" and len(keys) > 1:
                shared.append({"identifier": ident, "practitioners": [
                    {"id": k, "name": self.nodes["Practitioner"][k].get("name"),
                     "source": sorted(short_dir(d) for d in self.srcdirs[("Practitioner", k)]),
                     "WORKS_AT": per[("Practitioner", k)]["WORKS_AT"],
                     "ATTENDED_BY_in": indeg[("Practitioner", k)]["ATTENDED_BY"],
                     "PRESCRIBED_BY_in": indeg[("Practitioner", k)]["PRESCRIBED_BY"]}
                    for k in sorted(keys)]})
        if shared:
            s["shared_npi_practitioners"] = shared
        if self.payers:
            top = sorted(self.payers, key=lambda p: (-indeg[("Payer", p)]["PAID_BY"], p))[:5]
            s["Payers_top5"] = [{"name": p, "PAID_BY": indeg[("Payer", p)]["PAID_BY"]} for p in top]
        return s


def self_test():
    """Exercise the rules the real datasets never hit (stubs, drops, NPI
    tie-break by smallest id, rejects, display ties, city normalisation)."""
    NPI = NPI_SYSTEM
    P = lambda rid, **kw: dict({"resourceType": "Practitioner", "id": rid,
                                "identifier": [{"system": NPI, "value": kw.pop("npi")}]}, **kw)
    recs = [
        ("A", P("p-b", npi="111", address=[{"city": "  los   angeles ", "state": "California"}])),
        ("B", P("p-a", npi="111", address=[{"city": "LOS ANGELES", "state": "ca"}])),
        ("A", P("p-b", npi="111", gender="male")),                       # duplicate copy: upsert
        ("A", {"resourceType": "Patient", "id": "pat", "birthDate": "2000-01-01",
               "address": [{"city": "La Crescenta-montrose", "state": "CA", "country": "US"}]}),
        ("A", {"resourceType": "Patient", "id": "bad", "birthDate": 5}),      # reject: wrong type
        ("A", {"resourceType": "Encounter", "id": "bad2", "subject": {"reference": "#x"}}),  # reject: form
        ("A", {"resourceType": "Encounter", "id": "bad3", "subject": "x"}),   # reject: wrong type
        ("A", {"resourceType": "Nope", "id": "x"}),                            # reject: type
        ("A", {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/pat"},
               "participant": [{"individual": {"reference": "Practitioner?identifier=%s|111" % NPI}}]}),
        ("C", {"resourceType": "Encounter", "id": "e2", "subject": {"reference": "urn:uuid:ghost"},
               "participant": [{"individual": {"reference": "Practitioner?identifier=%s|111" % NPI}},
                               {"individual": {"identifier": {"system": NPI, "value": "999"}}}],
               "serviceProvider": {"display": "display only: ignored"}}),
        ("C", {"resourceType": "Encounter", "id": "e3", "subject": {"reference": "Patient/ghost"},
               "participant": [{"individual": {"reference": "Practitioner?identifier=%s|999" % NPI}}]}),
        ("A", {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/pat"},
               "code": {"coding": [{"system": SNOMED, "code": "1", "display": "bbb"}]}}),
        ("A", {"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/pat"},
               "code": {"coding": [{"system": SNOMED, "code": "1", "display": "aaa"}]}}),
        ("A", {"resourceType": "Condition", "id": "c3", "subject": {"reference": "Patient/pat"},
               "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11"}]}}),
        ("A", {"resourceType": "MedicationRequest", "id": "m1", "subject": {"reference": "Patient/pat"},
               "medicationReference": {"reference": "Medication/nomed"},
               "reasonReference": [{"reference": "Condition/c1"}, {"reference": "Condition/nocond"},
                                   {"reference": "Condition/c2"}]}),
        ("A", {"resourceType": "Claim", "id": "cl1", "patient": {"reference": "Patient/pat"}}),
        ("A", {"resourceType": "ExplanationOfBenefit", "id": "eob1", "claim": {"reference": "Claim/cl1"},
               "insurer": {"display": "Acme"}}),
        ("A", {"resourceType": "ExplanationOfBenefit", "id": "eob2", "claim": {"reference": "Claim/nope"},
               "insurer": {"display": "Acme"}}),
    ]
    ld = Load()
    for srcdir, r in recs:
        ld.add_record(srcdir, None, r)
    ld.finish()
    rep = ld.report("self-test")
    rels = {}
    for rtype, a, b in ld.rels.values():
        rels.setdefault(rtype, set()).add((a, b))
    checks = [
        ("rejected", rep["records"]["rejected"], 4),
        ("practitioners", rep["nodes"].get("Practitioner"), 2),
        ("city", sorted(ld.cities), ["US/CA/LA CRESCENTA-MONTROSE", "US/CA/LOS ANGELES"]),
        ("city name", ld.cities["US/CA/LA CRESCENTA-MONTROSE"]["name"], "La Crescenta-Montrose"),
        ("same-dir NPI", (("Encounter", "e1"), ("Practitioner", "p-b")) in rels["ATTENDED_BY"], True),
        ("smallest-id NPI", (("Encounter", "e2"), ("Practitioner", "p-a")) in rels["ATTENDED_BY"], True),
        ("stubs", sorted(ld.stubs), [("Patient", "ghost"), ("Practitioner", NPI + "|999")]),
        ("dropped", dict(ld.dropped), {"OF_MEDICATION": 1, "TREATS": 1, "PAID_BY": 1}),
        ("treats dedup", len(rels["TREATS"]), 1),
        ("has_condition (ICD-10-only Condition gives none)", rep["relationships"]["HAS_CONDITION"], 2),
        ("display tie", ld.concepts["Condition"]["1"][0], "aaa"),
        ("eob payer", rels["PAID_BY"], {(("Claim", "cl1"), ("Payer", "Acme"))}),
        ("upsert props", ld.nodes["Practitioner"]["p-b"].get("gender"), "male"),
    ]
    bad = [(n, got, want) for n, got, want in checks if got != want]
    for n, got, want in bad:
        sys.stderr.write("SELF-TEST FAIL %s: got %r want %r\n" % (n, got, want))
    sys.stderr.write("self-test: %d/%d checks passed\n" % (len(checks) - len(bad), len(checks)))
    return 1 if bad else 0


def short_dir(d):
    """A machine-independent label for a source directory."""
    if "!/" in d:
        arc, member = d.split("!/", 1)
        return os.path.basename(arc) + "!/" + member
    return os.path.basename(d)


def run(name, inputs):
    ld = Load()
    for srcdir, full, obj in iter_records(inputs):
        ld.add_record(srcdir, full, obj)
    ld.finish()
    return ld.report(name)


def dump(obj, path=None):
    text = json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
    if path is None:
        sys.stdout.write(text)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def main(argv):
    args = list(argv)
    name = out = None
    outdir = HERE
    write_all = False
    inputs = []
    while args:
        a = args.pop(0)
        if a == "--name":
            name = args.pop(0)
        elif a == "--out":
            out = args.pop(0)
        elif a == "--outdir":
            outdir = args.pop(0)
        elif a == "--self-test":
            return self_test()
        elif a == "--write-all":
            write_all = True
        elif a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        else:
            inputs.append(a)
    if write_all:
        for ds, paths in DATASETS.items():
            res = run(ds, paths)
            p = os.path.join(outdir, ds + ".json")
            dump(res, p)
            sys.stderr.write("%s: %s nodes, %s relationships, stubs %s, dropped %s -> %s\n" % (
                ds, sum(res["nodes"].values()), sum(res["relationships"].values()),
                res["stubs"], res["dropped"], p))
        return 0
    if not inputs:
        sys.stderr.write(__doc__)
        return 2
    if name is None:
        name = os.path.basename(os.path.normpath(inputs[0])) if len(inputs) == 1 else "+".join(
            os.path.basename(os.path.normpath(i)) for i in inputs)
    dump(run(name, inputs), out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
