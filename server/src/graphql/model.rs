//! The graph model as GraphQL sees it: one entry per label of
//! `graph-model.md`, with its properties and relationship fields. The schema,
//! the filters, the sorts and the Cypher compiler are all generated from this
//! table, so a label added here is served everywhere at once.

/// The type of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropType {
    /// The label's key (a string; `ID` in GraphQL).
    Key,
    /// A string.
    String,
    /// A 64-bit integer.
    Int,
    /// A float.
    Float,
    /// A boolean.
    Boolean,
    /// A calendar date (`YYYY-MM-DD`).
    Date,
    /// A date-time with offset (ISO 8601).
    DateTime,
}

impl PropType {
    /// The GraphQL scalar name.
    pub fn scalar(self) -> &'static str {
        match self {
            PropType::Key => "ID",
            PropType::String => "String",
            PropType::Int => "Int",
            PropType::Float => "Float",
            PropType::Boolean => "Boolean",
            PropType::Date => "Date",
            PropType::DateTime => "DateTime",
        }
    }

    /// Sum and average make sense.
    pub fn is_numeric(self) -> bool {
        matches!(self, PropType::Int | PropType::Float)
    }

    /// Ordered (min/max, lt/gt).
    pub fn is_ordered(self) -> bool {
        !matches!(self, PropType::Boolean)
    }
}

/// A property of a node or relationship.
#[derive(Debug, Clone, Copy)]
pub struct Prop {
    /// The property (and field) name.
    pub name: &'static str,
    /// Its type.
    pub ty: PropType,
    /// The field's description.
    pub doc: &'static str,
}

/// Which way a relationship field walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `(this)-[:T]->(other)`.
    Out,
    /// `(this)<-[:T]-(other)`.
    In,
}

/// A field that follows relationships to another label.
#[derive(Debug, Clone, Copy)]
pub struct Rel {
    /// The field name (`conditions`).
    pub field: &'static str,
    /// The hops from `this` to the target: relationship type, direction,
    /// and the label of the node reached (the last one is `target`).
    pub hops: &'static [(&'static str, Dir, &'static str)],
    /// The label reached.
    pub target: &'static str,
    /// A list (a Relay connection) rather than one node.
    pub many: bool,
    /// Properties of the (single-hop) relationship, served on the edge.
    pub props: &'static [Prop],
    /// The field's description.
    pub doc: &'static str,
}

/// A node label and how GraphQL serves it.
#[derive(Debug, Clone, Copy)]
pub struct Label {
    /// The label and type name (`Patient`).
    pub name: &'static str,
    /// The entry point for one node (`patient`).
    pub one: &'static str,
    /// The entry point for the connection (`patients`).
    pub many: &'static str,
    /// The key property (unique per label).
    pub key: &'static str,
    /// The properties, key included.
    pub props: &'static [Prop],
    /// The relationship fields.
    pub rels: &'static [Rel],
    /// The type's description.
    pub doc: &'static str,
}

impl Label {
    /// A property by name.
    pub fn prop(&self, name: &str) -> Option<&'static Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    /// A relationship field by name.
    pub fn rel(&self, field: &str) -> Option<&'static Rel> {
        self.rels.iter().find(|r| r.field == field)
    }
}

macro_rules! prop {
    ($name:literal, $ty:ident, $doc:literal) => {
        Prop {
            name: $name,
            ty: PropType::$ty,
            doc: $doc,
        }
    };
}

macro_rules! rel {
    ($field:literal, one, [$(($t:literal, $d:ident, $l:literal)),+], $target:literal, $doc:literal) => {
        Rel { field: $field, hops: &[$(($t, Dir::$d, $l)),+], target: $target, many: false, props: &[], doc: $doc }
    };
    ($field:literal, many, [$(($t:literal, $d:ident, $l:literal)),+], $target:literal, $props:expr, $doc:literal) => {
        Rel { field: $field, hops: &[$(($t, Dir::$d, $l)),+], target: $target, many: true, props: $props, doc: $doc }
    };
}

const CONDITION_EDGE: &[Prop] = &[
    prop!("id", String, "The Condition resource's id."),
    prop!("onset", DateTime, "When the condition began."),
    prop!("abatement", DateTime, "When it resolved, if it did."),
    prop!(
        "status",
        String,
        "Clinical status code (active, resolved, ...)."
    ),
];
const ALLERGY_EDGE: &[Prop] = &[
    prop!("id", String, "The AllergyIntolerance resource's id."),
    prop!("criticality", String, "low, high or unable-to-assess."),
    prop!(
        "category",
        String,
        "food, medication, environment or biologic."
    ),
    prop!("recorded", DateTime, "When it was recorded."),
];
const ROLE_EDGE: &[Prop] = &[
    prop!("roleCode", String, "The role's code."),
    prop!("role", String, "The role's display text."),
    prop!("specialtyCode", String, "The specialty's code."),
    prop!("specialty", String, "The specialty's display text."),
];
const CLAIM_LINE_EDGE: &[Prop] = &[prop!("sequence", Int, "The claim item's sequence number.")];
const STUB: Prop = prop!(
    "stub",
    Boolean,
    "True for a placeholder created for a reference that has not loaded yet."
);

/// Every label GraphQL serves.
pub static LABELS: &[Label] = &[
    Label {
        name: "Patient",
        one: "patient",
        many: "patients",
        key: "id",
        doc: "A person receiving care (FHIR Patient).",
        props: &[
            prop!("id", Key, "The FHIR resource id."),
            prop!(
                "name",
                String,
                "\"Given Family\" from the first official name."
            ),
            prop!("given", String, "Given names, space-joined."),
            prop!("family", String, "Family name."),
            prop!("gender", String, "male, female, other or unknown."),
            prop!("birthDate", Date, "Date of birth."),
            prop!(
                "deathDate",
                DateTime,
                "Date and time of death, if deceased."
            ),
            prop!("maritalStatus", String, "Marital status code (e.g. M, S)."),
            prop!("race", String, "US Core race text."),
            prop!("ethnicity", String, "US Core ethnicity text."),
            prop!("mrn", String, "Medical record number."),
            prop!("ssn", String, "Social security number."),
            prop!("postalCode", String, "Postal code of the first address."),
            prop!("latitude", Float, "Latitude of the first address."),
            prop!("longitude", Float, "Longitude of the first address."),
            STUB,
        ],
        rels: &[
            rel!(
                "city",
                one,
                [("LIVES_IN", Out, "City")],
                "City",
                "The city of the patient's first address."
            ),
            rel!(
                "conditions",
                many,
                [("HAS_CONDITION", Out, "Condition")],
                "Condition",
                CONDITION_EDGE,
                "Diagnosed conditions, with onset and status on the edge."
            ),
            rel!(
                "allergies",
                many,
                [("ALLERGIC_TO", Out, "Substance")],
                "Substance",
                ALLERGY_EDGE,
                "Recorded allergies and intolerances."
            ),
            rel!(
                "encounters",
                many,
                [("HAD_ENCOUNTER", Out, "Encounter")],
                "Encounter",
                &[],
                "Encounters the patient had."
            ),
            rel!(
                "prescriptions",
                many,
                [("HAS_PRESCRIPTION", Out, "Prescription")],
                "Prescription",
                &[],
                "Medication requests written for the patient."
            ),
            rel!(
                "claims",
                many,
                [("HAS_CLAIM", Out, "Claim")],
                "Claim",
                &[],
                "Claims for the patient's care."
            ),
            rel!(
                "generalPractitioners",
                many,
                [("HAS_GP", Out, "Practitioner")],
                "Practitioner",
                &[],
                "The patient's general practitioners."
            ),
        ],
    },
    Label {
        name: "Practitioner",
        one: "practitioner",
        many: "practitioners",
        key: "id",
        doc: "A clinician (FHIR Practitioner).",
        props: &[
            prop!("id", Key, "The FHIR resource id."),
            prop!("npi", String, "National Provider Identifier."),
            prop!("name", String, "\"Given Family\"."),
            prop!("gender", String, "male, female, other or unknown."),
            STUB,
        ],
        rels: &[
            rel!(
                "organizations",
                many,
                [("WORKS_AT", Out, "Organization")],
                "Organization",
                ROLE_EDGE,
                "Where the practitioner works, with role and specialty on the edge."
            ),
            rel!(
                "city",
                one,
                [("LOCATED_IN", Out, "City")],
                "City",
                "The city of the practitioner's address."
            ),
            rel!(
                "prescriptions",
                many,
                [("PRESCRIBED_BY", In, "Prescription")],
                "Prescription",
                &[],
                "Prescriptions the practitioner wrote."
            ),
            rel!(
                "encounters",
                many,
                [("ATTENDED_BY", In, "Encounter")],
                "Encounter",
                &[],
                "Encounters the practitioner attended."
            ),
            rel!(
                "patients",
                many,
                [("HAS_GP", In, "Patient")],
                "Patient",
                &[],
                "Patients who have this practitioner as their GP."
            ),
        ],
    },
    Label {
        name: "Organization",
        one: "organization",
        many: "organizations",
        key: "id",
        doc: "A provider organization: hospital, clinic, practice (FHIR Organization).",
        props: &[
            prop!("id", Key, "The FHIR resource id."),
            prop!("name", String, "The organization's name."),
            prop!("type", String, "Organization type code (e.g. prov)."),
            STUB,
        ],
        rels: &[
            rel!(
                "practitioners",
                many,
                [("WORKS_AT", In, "Practitioner")],
                "Practitioner",
                ROLE_EDGE,
                "Practitioners who work here, with role and specialty on the edge."
            ),
            rel!(
                "city",
                one,
                [("LOCATED_IN", Out, "City")],
                "City",
                "The city of the organization's address."
            ),
            rel!(
                "locations",
                many,
                [("PART_OF", In, "Location")],
                "Location",
                &[],
                "Locations the organization manages."
            ),
            rel!(
                "encounters",
                many,
                [("AT_ORGANIZATION", In, "Encounter")],
                "Encounter",
                &[],
                "Encounters served by the organization."
            ),
            rel!(
                "claims",
                many,
                [("BILLED_BY", In, "Claim")],
                "Claim",
                &[],
                "Claims the organization billed."
            ),
        ],
    },
    Label {
        name: "Payer",
        one: "payer",
        many: "payers",
        key: "name",
        doc: "An insurer, named by its display text (e.g. Medicaid).",
        props: &[prop!("name", Key, "The insurer's name.")],
        rels: &[rel!(
            "claims",
            many,
            [("PAID_BY", In, "Claim")],
            "Claim",
            &[],
            "Claims the payer covers."
        )],
    },
    Label {
        name: "Location",
        one: "location",
        many: "locations",
        key: "id",
        doc: "A place where care is given (FHIR Location).",
        props: &[
            prop!("id", Key, "The FHIR resource id."),
            prop!("name", String, "The location's name."),
            prop!("latitude", Float, "Latitude."),
            prop!("longitude", Float, "Longitude."),
            STUB,
        ],
        rels: &[
            rel!(
                "organization",
                one,
                [("PART_OF", Out, "Organization")],
                "Organization",
                "The managing organization."
            ),
            rel!(
                "city",
                one,
                [("LOCATED_IN", Out, "City")],
                "City",
                "The city of the location's address."
            ),
            rel!(
                "encounters",
                many,
                [("AT_LOCATION", In, "Encounter")],
                "Encounter",
                &[],
                "Encounters at this location."
            ),
        ],
    },
    Label {
        name: "City",
        one: "city",
        many: "cities",
        key: "id",
        doc: "A city, keyed \"<country>/<state>/<NAME IN UPPER CASE>\".",
        props: &[
            prop!("id", Key, "\"<country>/<state>/<NAME IN UPPER CASE>\"."),
            prop!("name", String, "The city's name in title case."),
            prop!("state", String, "USPS state code."),
        ],
        rels: &[
            rel!(
                "inState",
                one,
                [("IN_STATE", Out, "State")],
                "State",
                "The state the city is in."
            ),
            rel!(
                "patients",
                many,
                [("LIVES_IN", In, "Patient")],
                "Patient",
                &[],
                "Patients living in the city."
            ),
            rel!(
                "organizations",
                many,
                [("LOCATED_IN", In, "Organization")],
                "Organization",
                &[],
                "Organizations in the city."
            ),
            rel!(
                "locations",
                many,
                [("LOCATED_IN", In, "Location")],
                "Location",
                &[],
                "Care locations in the city."
            ),
            rel!(
                "practitioners",
                many,
                [("LOCATED_IN", In, "Practitioner")],
                "Practitioner",
                &[],
                "Practitioners with an address in the city."
            ),
        ],
    },
    Label {
        name: "State",
        one: "state",
        many: "states",
        key: "code",
        doc: "A US state or territory.",
        props: &[
            prop!("code", Key, "USPS two-letter code (e.g. CA)."),
            prop!("name", String, "The state's name."),
        ],
        rels: &[
            rel!(
                "country",
                one,
                [("IN_COUNTRY", Out, "Country")],
                "Country",
                "The country the state is in."
            ),
            rel!(
                "cities",
                many,
                [("IN_STATE", In, "City")],
                "City",
                &[],
                "Cities in the state."
            ),
            rel!(
                "patients",
                many,
                [("IN_STATE", In, "City"), ("LIVES_IN", In, "Patient")],
                "Patient",
                &[],
                "Patients living in the state (through their city)."
            ),
        ],
    },
    Label {
        name: "Country",
        one: "country",
        many: "countries",
        key: "code",
        doc: "A country (ISO 3166 alpha-2).",
        props: &[prop!("code", Key, "ISO 3166 alpha-2 code (e.g. US).")],
        rels: &[rel!(
            "states",
            many,
            [("IN_COUNTRY", In, "State")],
            "State",
            &[],
            "States in the country."
        )],
    },
    Label {
        name: "Medication",
        one: "medication",
        many: "medications",
        key: "code",
        doc: "A medication concept (RxNorm), shared by all prescriptions of it.",
        props: &[
            prop!("code", Key, "RxNorm code."),
            prop!("display", String, "Display text."),
            prop!("system", String, "Code system URI."),
        ],
        rels: &[
            rel!(
                "prescriptions",
                many,
                [("OF_MEDICATION", In, "Prescription")],
                "Prescription",
                &[],
                "Prescriptions of this medication."
            ),
            rel!(
                "claims",
                many,
                [("CLAIMS", In, "Claim")],
                "Claim",
                CLAIM_LINE_EDGE,
                "Claims with a line for this medication."
            ),
        ],
    },
    Label {
        name: "Condition",
        one: "condition",
        many: "conditions",
        key: "code",
        doc: "A condition concept (SNOMED CT), shared by all patients who have it.",
        props: &[
            prop!("code", Key, "SNOMED CT code."),
            prop!("display", String, "Display text."),
            prop!("system", String, "Code system URI."),
        ],
        rels: &[
            rel!(
                "patients",
                many,
                [("HAS_CONDITION", In, "Patient")],
                "Patient",
                CONDITION_EDGE,
                "Patients with the condition, with onset and status on the edge."
            ),
            rel!(
                "prescriptions",
                many,
                [("TREATS", In, "Prescription")],
                "Prescription",
                &[],
                "Prescriptions written for the condition."
            ),
            rel!(
                "encounters",
                many,
                [("DIAGNOSED", In, "Encounter")],
                "Encounter",
                &[],
                "Encounters where it was diagnosed."
            ),
        ],
    },
    Label {
        name: "Substance",
        one: "substance",
        many: "substances",
        key: "code",
        doc: "What an allergy is to (RxNorm or SNOMED CT).",
        props: &[
            prop!("code", Key, "The substance's code."),
            prop!("display", String, "Display text."),
            prop!("system", String, "Code system URI."),
        ],
        rels: &[rel!(
            "patients",
            many,
            [("ALLERGIC_TO", In, "Patient")],
            "Patient",
            ALLERGY_EDGE,
            "Patients allergic to it."
        )],
    },
    Label {
        name: "Encounter",
        one: "encounter",
        many: "encounters",
        key: "id",
        doc: "A visit or stay (FHIR Encounter).",
        props: &[
            prop!("id", Key, "The FHIR resource id."),
            prop!("class", String, "v3 ActCode class (e.g. AMB)."),
            prop!("typeCode", String, "Encounter type code."),
            prop!("type", String, "Encounter type display."),
            prop!("start", DateTime, "Start of the encounter."),
            prop!("end", DateTime, "End of the encounter."),
            STUB,
        ],
        rels: &[
            rel!(
                "patient",
                one,
                [("HAD_ENCOUNTER", In, "Patient")],
                "Patient",
                "The patient."
            ),
            rel!(
                "practitioners",
                many,
                [("ATTENDED_BY", Out, "Practitioner")],
                "Practitioner",
                &[],
                "Practitioners who attended."
            ),
            rel!(
                "organization",
                one,
                [("AT_ORGANIZATION", Out, "Organization")],
                "Organization",
                "The serving organization."
            ),
            rel!(
                "location",
                one,
                [("AT_LOCATION", Out, "Location")],
                "Location",
                "Where it took place."
            ),
            rel!(
                "diagnoses",
                many,
                [("DIAGNOSED", Out, "Condition")],
                "Condition",
                &[],
                "Conditions diagnosed during the encounter."
            ),
            rel!(
                "prescriptions",
                many,
                [("DURING", In, "Prescription")],
                "Prescription",
                &[],
                "Prescriptions written during the encounter."
            ),
            rel!(
                "claims",
                many,
                [("FOR_ENCOUNTER", In, "Claim")],
                "Claim",
                &[],
                "Claims for the encounter."
            ),
        ],
    },
    Label {
        name: "Prescription",
        one: "prescription",
        many: "prescriptions",
        key: "id",
        doc: "A medication request (FHIR MedicationRequest).",
        props: &[
            prop!("id", Key, "The MedicationRequest id."),
            prop!("authoredOn", DateTime, "When it was written."),
            prop!("status", String, "active, completed, stopped, ..."),
            prop!("intent", String, "order, plan, ..."),
            STUB,
        ],
        rels: &[
            rel!(
                "patient",
                one,
                [("HAS_PRESCRIPTION", In, "Patient")],
                "Patient",
                "The patient."
            ),
            rel!(
                "medication",
                one,
                [("OF_MEDICATION", Out, "Medication")],
                "Medication",
                "The medication prescribed."
            ),
            rel!(
                "prescriber",
                one,
                [("PRESCRIBED_BY", Out, "Practitioner")],
                "Practitioner",
                "Who wrote it."
            ),
            rel!(
                "encounter",
                one,
                [("DURING", Out, "Encounter")],
                "Encounter",
                "The encounter it was written in."
            ),
            rel!(
                "reasons",
                many,
                [("TREATS", Out, "Condition")],
                "Condition",
                &[],
                "What it treats."
            ),
            rel!(
                "claims",
                many,
                [("FOR_PRESCRIPTION", In, "Claim")],
                "Claim",
                &[],
                "Claims for it."
            ),
        ],
    },
    Label {
        name: "Claim",
        one: "claim",
        many: "claims",
        key: "id",
        doc: "A claim for care or medication (FHIR Claim).",
        props: &[
            prop!("id", Key, "The FHIR resource id."),
            prop!("type", String, "professional, pharmacy or institutional."),
            prop!("status", String, "Claim status."),
            prop!("created", DateTime, "When the claim was created."),
            prop!("billableStart", DateTime, "Start of the billable period."),
            prop!("billableEnd", DateTime, "End of the billable period."),
            prop!("total", Float, "Total amount."),
            prop!("currency", String, "Currency code."),
            STUB,
        ],
        rels: &[
            rel!(
                "patient",
                one,
                [("HAS_CLAIM", In, "Patient")],
                "Patient",
                "The patient."
            ),
            rel!(
                "provider",
                one,
                [("BILLED_BY", Out, "Organization")],
                "Organization",
                "The billing organization."
            ),
            rel!(
                "payer",
                one,
                [("PAID_BY", Out, "Payer")],
                "Payer",
                "The insurer."
            ),
            rel!(
                "encounters",
                many,
                [("FOR_ENCOUNTER", Out, "Encounter")],
                "Encounter",
                &[],
                "Encounters the claim's items are for."
            ),
            rel!(
                "prescription",
                one,
                [("FOR_PRESCRIPTION", Out, "Prescription")],
                "Prescription",
                "The prescription claimed."
            ),
            rel!(
                "medications",
                many,
                [("CLAIMS", Out, "Medication")],
                "Medication",
                CLAIM_LINE_EDGE,
                "Medications on the claim's lines."
            ),
        ],
    },
];

/// A label by name.
pub fn label(name: &str) -> Option<&'static Label> {
    LABELS.iter().find(|l| l.name == name)
}
