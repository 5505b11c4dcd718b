#!/usr/bin/env python3
"""Independent oracle for the analyst Cypher queries over the Synthea samples.

Works out, without the Rust loader or the Cypher engine, the answers that the
analyst queries of tests/tests/cypher_analyst.rs must return on the graph that
loading a sample gives. The graph itself is simulated by expected_counts.py
(same directory), which reads the raw FHIR files under the rules of
/work/shared/spec/graph-model.md and docs/fhir-mapping.md; the answers are then
computed here in plain Python over that simulated graph (node handles, node
properties, one entry per relationship identity). The two figures an analyst
would most easily get wrong (prescriptions per medication, claims per payer)
are also computed a second time straight from the raw resources and must agree.

Python 3.11, standard library only (json, os, sys, math, collections, itertools).

Usage
  expected_analyst.py --write-all [--outdir DIR]
      regenerate analyst-bulk-10.json and analyst-ca-86.json
  expected_analyst.py --name NAME INPUT [INPUT ...]
      print the answers for one load of INPUTs

See README.md next to this file ("Analyst queries") for the interpretations.
"""

import collections
import itertools
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import expected_counts as ec  # noqa: E402  (the simulated load)

DATASETS = collections.OrderedDict([
    ("bulk-10", [os.path.join(ec.REPO, "seeds/data/synthea-bulk-10")]),
    ("ca-86", [os.path.join(ec.REPO, "seeds/data/synthea-ca-86/synthea_data_california_fhir.tar.gz")]),
])

# A patient id no sample has: the parameterised queries must return no row
# (or a row of nulls under OPTIONAL MATCH) for it.
MISSING_PATIENT = "no-such-patient"


# ----------------------------------------------------------------------------
# the simulated graph, as an analyst sees it

class Graph:
    """Nodes are handles: (label, key) for loaded nodes and concepts,
    ("stub", label, ref) for stubs. Relationships are (type, start, end), one
    per relationship identity."""

    def __init__(self, ld):
        self.ld = ld
        self.rels = list(ld.rels.values())
        self.out = collections.defaultdict(list)   # node -> [(rel index, type, end)]
        for i, (rtype, s, e) in enumerate(self.rels):
            self.out[s].append((i, rtype, e))

    # -- nodes -------------------------------------------------------------
    def all_nodes(self):
        ld = self.ld
        for label in ("Patient", "Practitioner", "Organization", "Location", "Encounter",
                      "Prescription", "Claim"):
            for key in ld.nodes[label]:
                yield (label, key)
        for label in ("Medication", "Condition", "Substance"):
            for code in ld.concepts[label]:
                yield (label, code)
        for cid in ld.cities:
            yield ("City", cid)
        for code in ld.states:
            yield ("State", code)
        for code in ld.countries:
            yield ("Country", code)
        for name in ld.payers:
            yield ("Payer", name)
        for label, ref in ld.stubs:
            yield ("stub", label, ref)

    @staticmethod
    def label(node):
        return node[1] if node[0] == "stub" else node[0]

    def prop(self, node, name):
        """A node property as the graph holds it (None when absent)."""
        ld = self.ld
        if node[0] == "stub":
            return {"stub": True, "ref": node[2]}.get(name)
        label, key = node
        if label in ld.nodes and key in ld.nodes[label]:
            return ld.nodes[label][key].get(name)
        if label in ("Medication", "Condition", "Substance"):
            display, system = ld.concepts[label][key]
            return {"code": key, "display": display, "system": system}.get(name)
        if label == "City":
            return ld.cities[key].get(name)
        if label == "State":
            return {"code": key, "name": ec.STATES[key]}.get(name)
        if label == "Country":
            return {"code": key}.get(name)
        if label == "Payer":
            return {"name": key}.get(name)
        raise KeyError(node)

    def nodes_of(self, label):
        return sorted(n for n in self.all_nodes() if self.label(n) == label)

    # -- relationships -------------------------------------------------------
    def targets(self, node, rtypes, label=None):
        """End nodes of node's outgoing relationships of the given types, one
        entry per relationship (so parallel relationships repeat the end)."""
        return [e for _, t, e in self.out.get(node, ()) if t in rtypes
                and (label is None or self.label(e) == label)]

    def paths(self, start, min_len, max_len, end_label, rtypes=None):
        """Every directed path start-[*min_len..max_len]->(:end_label) with no
        relationship used twice, as (list of rel types, list of nodes); only
        relationships of `rtypes` when given."""
        found = []

        def walk(node, used, types, nodes):
            depth = len(types)
            if depth >= min_len and self.label(node) == end_label:
                found.append((list(types), list(nodes)))
            if max_len is not None and depth == max_len:
                return
            for i, t, e in self.out.get(node, ()):
                if i in used or (rtypes is not None and t not in rtypes):
                    continue
                used.add(i)
                types.append(t)
                nodes.append(e)
                walk(e, used, types, nodes)
                nodes.pop()
                types.pop()
                used.discard(i)

        walk(start, set(), [], [start])
        return found


def fsum_or_zero(values):
    """Cypher sum(): nulls skipped; integer 0 when nothing is summed."""
    vals = [v for v in values if v is not None]
    return math.fsum(vals) if vals else 0


# ----------------------------------------------------------------------------
# the answers

def label_counts(g):
    c = collections.Counter(g.label(n) for n in g.all_nodes())
    return [[label, n] for label, n in sorted(c.items())]


def relationship_counts(g):
    c = collections.Counter(t for t, _, _ in g.rels)
    return [[t, n] for t, n in sorted(c.items())]


def top_medications(g, limit=10):
    per = collections.Counter()
    for t, s, e in g.rels:
        if t == "OF_MEDICATION" and g.label(s) == "Prescription" and g.label(e) == "Medication":
            per[e] += 1
    ranked = sorted(per.items(), key=lambda kv: (-kv[1], g.prop(kv[0], "code")))
    return [[g.prop(m, "code"), g.prop(m, "display"), n] for m, n in ranked[:limit]]


def claims_by_payer(g):
    per = collections.defaultdict(list)
    for t, s, e in g.rels:
        if t == "PAID_BY" and g.label(s) == "Claim" and g.label(e) == "Payer":
            per[g.prop(e, "name")].append(g.prop(s, "total"))
    ranked = sorted(per.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [[name, len(totals), fsum_or_zero(totals)] for name, totals in ranked]


def claims_by_provider(g, limit=10):
    per = collections.defaultdict(list)
    for t, s, e in g.rels:
        if t == "BILLED_BY" and g.label(s) == "Claim" and g.label(e) == "Organization":
            per[e].append(g.prop(s, "total"))
    ranked = sorted(per.items(), key=lambda kv: (-len(kv[1]), g.prop(kv[0], "id")))
    return [[g.prop(o, "id"), g.prop(o, "name"), len(totals), fsum_or_zero(totals)]
            for o, totals in ranked[:limit]]


def care_practitioners(g, patient):
    """Practitioners who attended one of the patient's encounters or wrote
    one of their prescriptions."""
    out = set()
    for enc in g.targets(patient, ("HAD_ENCOUNTER",), "Encounter"):
        out.update(g.targets(enc, ("ATTENDED_BY",), "Practitioner"))
    for rx in g.targets(patient, ("HAS_PRESCRIPTION",), "Prescription"):
        out.update(g.targets(rx, ("PRESCRIBED_BY",), "Practitioner"))
    return out


def care_organizations(g, patient):
    """-> {organization: {practitioners}} through WORKS_AT."""
    orgs = collections.defaultdict(set)
    for pr in care_practitioners(g, patient):
        for o in g.targets(pr, ("WORKS_AT",), "Organization"):
            orgs[o].add(pr)
    return orgs


def chosen_patients(g):
    """The patients the parameterised queries run for: the two smallest ids,
    the smallest id with an allergy, the smallest id with a claim, the one with
    the most encounters (ties: smallest id); then a missing id."""
    pats = g.nodes_of("Patient")
    chosen = pats[:2]

    def add(p):
        if p is not None and p not in chosen:
            chosen.append(p)

    add(next((p for p in pats if g.targets(p, ("ALLERGIC_TO",))), None))
    add(next((p for p in pats if g.targets(p, ("HAS_CLAIM",))), None))
    if pats:
        add(min(pats, key=lambda p: (-len(g.targets(p, ("HAD_ENCOUNTER",))), p[1])))
    return [g.prop(p, "id") for p in chosen] + [MISSING_PATIENT]


def patient_organizations(g, ids):
    out = []
    for pid in ids:
        p = ("Patient", pid)
        orgs = care_organizations(g, p) if pid in g.ld.nodes["Patient"] else {}
        rows = sorted([[g.prop(o, "id"), g.prop(o, "name"), len(prs)] for o, prs in orgs.items()],
                      key=lambda r: r[0])
        out.append({"id": pid, "rows": rows})
    return out


def patient_organization_pairs(g):
    return sum(len(care_organizations(g, p)) for p in g.nodes_of("Patient"))


def top_organizations_by_patients(g, limit=10):
    per = collections.Counter()
    for p in g.nodes_of("Patient"):
        for o in care_organizations(g, p):
            per[o] += 1
    ranked = sorted(per.items(), key=lambda kv: (-kv[1], g.prop(kv[0], "id")))
    return [[g.prop(o, "id"), g.prop(o, "name"), n] for o, n in ranked[:limit]]


def patient_medications(g, patient):
    meds = set()
    for rx in g.targets(patient, ("HAS_PRESCRIPTION",), "Prescription"):
        meds.update(g.prop(m, "code") for m in g.targets(rx, ("OF_MEDICATION",), "Medication"))
    return meds


def co_prescribed(g, limit=10):
    per = collections.Counter()
    for p in g.nodes_of("Patient"):
        for a, b in itertools.combinations(sorted(patient_medications(g, p)), 2):
            per[(a, b)] += 1
    ranked = sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))
    return [[a, b, n] for (a, b), n in ranked[:limit]]


def patient_summary(g, ids):
    """MATCH (p {id:$id}) OPTIONAL allergies (sorted distinct codes),
    OPTIONAL claims: name, allergies, claims, billed."""
    out = []
    for pid in ids:
        p = ("Patient", pid)
        if pid not in g.ld.nodes["Patient"]:
            out.append({"id": pid, "rows": []})
            continue
        allergies = sorted({g.prop(s, "code") for s in g.targets(p, ("ALLERGIC_TO",), "Substance")})
        claims = g.targets(p, ("HAS_CLAIM",), "Claim")
        out.append({"id": pid, "rows": [[g.prop(p, "name"), allergies, len(claims),
                                         fsum_or_zero(g.prop(c, "total") for c in claims)]]})
    return out


def patient_optional_name(g, ids):
    """OPTIONAL MATCH (p:Patient {id:$id}) RETURN p.name: one row, null when missing."""
    return [{"id": pid, "rows": [[g.prop(("Patient", pid), "name")
                                  if pid in g.ld.nodes["Patient"] else None]]} for pid in ids]


def condition_treatment(g):
    """The condition with the most distinct patients among those some
    prescription TREATS (ties: smallest code); for each of its patients, how
    many of their prescriptions treat it (0 included)."""
    treated = {e for t, _, e in g.rels if t == "TREATS" and g.label(e) == "Condition"}
    patients = collections.defaultdict(set)
    for t, s, e in g.rels:
        if t == "HAS_CONDITION" and e in treated and g.label(s) == "Patient":
            patients[e].add(s)
    if not patients:
        return {"code": None, "rows": []}
    cond = min(patients, key=lambda c: (-len(patients[c]), g.prop(c, "code")))
    rows = []
    for p in sorted(patients[cond], key=lambda n: g.prop(n, "id")):
        n = sum(1 for rx in g.targets(p, ("HAS_PRESCRIPTION",), "Prescription")
                for c in g.targets(rx, ("TREATS",)) if c == cond)
        rows.append([g.prop(p, "id"), n])
    return {"code": g.prop(cond, "code"), "rows": rows}


def conditions_within_two_hops(g):
    rows = []
    for p in g.nodes_of("Patient"):
        ps = g.paths(p, 1, 2, "Condition")
        if ps:
            rows.append([g.prop(p, "id"), len({nodes[-1] for _, nodes in ps}), len(ps)])
    rows.sort(key=lambda r: r[0])
    return rows


def routes_to_state(g, ids):
    """Paths (p {id:$id})-[*1..4]->(:State) grouped by their label sequence."""
    out = []
    for pid in ids:
        p = ("Patient", pid)
        per = collections.Counter()
        if pid in g.ld.nodes["Patient"]:
            for types, nodes in g.paths(p, 1, 4, "State"):
                per[(tuple(g.label(n) for n in nodes), tuple(types))] += 1
        rows = [[list(labels), list(types), n] for (labels, types), n in sorted(per.items())]
        out.append({"id": pid, "rows": rows})
    return out


def home_paths(g, ids):
    """MATCH path = (p {id:$id})-[:LIVES_IN|IN_STATE|IN_COUNTRY*]->(c:Country):
    the keys along each path and its length."""
    out = []
    for pid in ids:
        rows = []
        if pid in g.ld.nodes["Patient"]:
            for types, nodes in g.paths(("Patient", pid), 1, None, "Country",
                                        ("LIVES_IN", "IN_STATE", "IN_COUNTRY")):
                keys = [g.prop(n, "id") if g.prop(n, "id") is not None else g.prop(n, "code")
                        for n in nodes]
                rows.append([keys, len(types)])
        rows.sort()
        out.append({"id": pid, "rows": rows})
    return out




# ----------------------------------------------------------------------------
# cross-checks straight from the raw resources

def raw_cross_checks(inputs, answers):
    """Recount prescriptions per RxNorm code and claims/amounts per payer from
    the raw resources (no simulated graph) and compare with the answers."""
    med_code = {}
    requests = []      # (id, code or None, medicationReference id or None)
    claims = {}        # id -> (payer display or None, total or None)
    for _srcdir, full, res in ec.iter_records(inputs):
        if not isinstance(res, dict):
            continue
        rt = res.get("resourceType")
        rid = res.get("id") or (full[9:] if full and full.startswith("urn:uuid:") else None)
        if rt == "Medication":
            for c in (res.get("code") or {}).get("coding", []):
                if c.get("system") == ec.RXNORM and c.get("code"):
                    med_code[rid] = c["code"]
                    break
        elif rt == "MedicationRequest":
            code = None
            for c in (res.get("medicationCodeableConcept") or {}).get("coding", []):
                if c.get("system") == ec.RXNORM and c.get("code"):
                    code = c["code"]
                    break
            ref = (res.get("medicationReference") or {}).get("reference")
            ref_id = ref.rsplit(":", 1)[-1].rsplit("/", 1)[-1] if ref else None
            requests.append((rid, code, ref_id))
        elif rt == "Claim":
            ins = res.get("insurance") or []
            focal = [i for i in ins if i.get("focal") is True]
            chosen = focal[0] if focal else (ins[0] if ins else None)
            payer = ((chosen or {}).get("coverage") or {}).get("display")
            total = (res.get("total") or {}).get("value")
            claims[rid] = (payer, None if total is None else float(total))
    per_med = collections.Counter()
    for _rid, code, ref_id in dict((r[0], r) for r in requests).values():
        code = code or med_code.get(ref_id)
        if code:
            per_med[code] += 1
    for code, _display, n in answers["top_medications"]:
        if per_med[code] != n:
            raise SystemExit("cross-check failed: medication %s: raw %d, graph %d" % (code, per_med[code], n))
    top = sorted(per_med.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    if [[c, n] for c, n in top] != [[r[0], r[2]] for r in answers["top_medications"]]:
        raise SystemExit("cross-check failed: top medications differ")
    per_payer = collections.defaultdict(list)
    for payer, total in claims.values():
        if payer:
            per_payer[payer].append(total)
    raw = sorted([[p, len(t), fsum_or_zero(t)] for p, t in per_payer.items()], key=lambda r: (-r[1], r[0]))
    if raw != answers["claims_by_payer"]:
        raise SystemExit("cross-check failed: claims by payer differ:\n%r\n%r" % (raw, answers["claims_by_payer"]))


# ----------------------------------------------------------------------------

def run(name, inputs):
    ld = ec.Load()
    for srcdir, full, obj in ec.iter_records(inputs):
        ld.add_record(srcdir, full, obj)
    ld.finish()
    g = Graph(ld)
    ids = chosen_patients(g)
    out = collections.OrderedDict()
    out["dataset"] = name
    out["patients"] = ids
    out["label_counts"] = label_counts(g)
    out["relationship_counts"] = relationship_counts(g)
    out["top_medications"] = top_medications(g)
    out["claims_by_payer"] = claims_by_payer(g)
    out["claims_by_provider"] = claims_by_provider(g)
    out["patient_organizations"] = patient_organizations(g, ids)
    out["patient_organization_pairs"] = patient_organization_pairs(g)
    out["top_organizations_by_patients"] = top_organizations_by_patients(g)
    out["co_prescribed"] = co_prescribed(g)
    out["patient_summary"] = patient_summary(g, ids)
    out["patient_optional_name"] = patient_optional_name(g, ids)
    out["condition_treatment"] = condition_treatment(g)
    out["conditions_within_two_hops"] = conditions_within_two_hops(g)
    out["routes_to_state"] = routes_to_state(g, ids)
    out["home_paths"] = home_paths(g, ids)
    raw_cross_checks(inputs, out)
    return out


def _flat(v):
    return not isinstance(v, (list, dict)) or (
        isinstance(v, list) and all(not isinstance(x, (list, dict)) for x in v))


def _render(v, indent=0):
    """JSON with one result row per line (a row is a list of scalars or of
    flat lists)."""
    pad = " " * (indent + 1)
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = ["%s%s: %s" % (pad, json.dumps(k), _render(x, indent + 1)) for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(v, list) and not all(_flat(x) for x in v):
        items = [pad + _render(x, indent + 1) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    if isinstance(v, list) and v and all(isinstance(x, list) for x in v):
        items = [pad + json.dumps(x, ensure_ascii=False) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(v, ensure_ascii=False)


def dump(obj, path=None):
    text = _render(obj) + "\n"
    if path is None:
        sys.stdout.write(text)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def main(argv):
    args = list(argv)
    name = None
    outdir = HERE
    write_all = False
    inputs = []
    while args:
        a = args.pop(0)
        if a == "--name":
            name = args.pop(0)
        elif a == "--outdir":
            outdir = args.pop(0)
        elif a == "--write-all":
            write_all = True
        elif a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        else:
            inputs.append(a)
    if write_all:
        for ds, paths in DATASETS.items():
            p = os.path.join(outdir, "analyst-%s.json" % ds)
            dump(run(ds, paths), p)
            sys.stderr.write("%s -> %s\n" % (ds, p))
        return 0
    if not inputs:
        sys.stderr.write(__doc__)
        return 2
    dump(run(name or "+".join(os.path.basename(os.path.normpath(i)) for i in inputs), inputs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
