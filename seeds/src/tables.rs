//! Clinical and administrative code tables.
//!
//! Code systems:
//! - SNOMED CT (`http://snomed.info/sct`): conditions, encounter types,
//!   allergy substances (foods, environment), allergic reactions;
//! - `RxNorm` (`http://www.nlm.nih.gov/research/umls/rxnorm`): drugs
//!   (clinical drugs, SCD/SBD) and drug allergens (ingredients, IN);
//! - HL7 v3 `ActCode` (`http://terminology.hl7.org/CodeSystem/v3-ActCode`):
//!   encounter classes AMB / EMER / IMP;
//! - NUCC provider taxonomy (`http://nucc.org/provider-taxonomy`):
//!   practitioner roles and specialties;
//! - CDC race & ethnicity (`urn:oid:2.16.840.1.113883.6.238`): US Core race
//!   and ethnicity extensions;
//! - HL7 v3 `MaritalStatus`: marital status.
//!
//! The codes and displays are those Synthea writes (checked against the
//! bundled samples and Synthea's modules and cost tables). Drug costs are
//! rough per-fill prices in cents, in the range of Synthea's cost tables.

/// SNOMED CT.
pub(crate) const SNOMED: &str = "http://snomed.info/sct";
/// `RxNorm`.
pub(crate) const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
/// NUCC provider taxonomy.
pub(crate) const NUCC: &str = "http://nucc.org/provider-taxonomy";
/// Synthea's identifier system for organizations and locations.
pub(crate) const SYNTHEA_ID: &str = "https://github.com/synthetichealth/synthea";
/// NPI identifier system.
pub(crate) const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";

/// Allergy classes, as bit flags: a drug whose class intersects a patient's
/// allergies is not prescribed to that patient.
pub(crate) mod class {
    pub(crate) const NONE: u8 = 0;
    pub(crate) const PENICILLIN: u8 = 1;
    pub(crate) const CEPHALOSPORIN: u8 = 2;
    pub(crate) const SULFONAMIDE: u8 = 4;
    pub(crate) const NSAID: u8 = 8;
    pub(crate) const ASPIRIN: u8 = 16;
}

/// A drug (`RxNorm` clinical drug).
#[derive(Debug)]
pub(crate) struct Drug {
    pub code: &'static str,
    pub display: &'static str,
    /// Typical price of one fill, in cents.
    pub fill_cents: u32,
    /// Allergy class (see [`class`]).
    pub class: u8,
}

macro_rules! drugs {
    ($($name:ident = $code:literal, $display:literal, $cents:literal, $class:ident;)*) => {
        $(pub(crate) static $name: Drug = Drug {
            code: $code,
            display: $display,
            fill_cents: $cents,
            class: class::$class,
        };)*
        /// Every drug of the table.
        pub(crate) static ALL_DRUGS: &[&Drug] = &[$(&$name),*];
    };
}

drugs! {
    LISINOPRIL_10 = "314076", "lisinopril 10 MG Oral Tablet", 1_260, NONE;
    AMLODIPINE_5 = "197361", "amLODIPine 5 MG Oral Tablet", 1_470, NONE;
    HCTZ_25 = "310798", "Hydrochlorothiazide 25 MG Oral Tablet", 1_030, NONE;
    LOSARTAN_50 = "979492", "losartan potassium 50 MG Oral Tablet", 1_640, NONE;
    LOSARTAN_25 = "979485", "losartan potassium 25 MG Oral Tablet", 1_240, NONE;
    METOPROLOL_25 = "866924", "metoprolol tartrate 25 MG Oral Tablet", 1_150, NONE;
    ATENOLOL_25 = "197380", "atenolol 25 MG Oral Tablet", 1_120, NONE;
    VALSARTAN_80 = "349199", "valsartan 80 MG Oral Tablet", 2_380, NONE;
    METOPROLOL_ER_100 = "866412", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", 1_600, NONE;
    CARVEDILOL_25 = "200033", "carvedilol 25 MG Oral Tablet", 1_350, NONE;
    FUROSEMIDE_40 = "313988", "Furosemide 40 MG Oral Tablet", 1_090, NONE;
    METFORMIN_ER_500 = "860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", 1_750, NONE;
    LIRAGLUTIDE = "897122", "3 ML liraglutide 6 MG/ML Pen Injector", 60_000, NONE;
    CANAGLIFLOZIN_100 = "1373463", "canagliflozin 100 MG Oral Tablet", 40_000, NONE;
    HUMULIN_70_30 = "106892", "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Injectable Suspension [Humulin]", 16_610, NONE;
    INSULIN_LISPRO = "865098", "Insulin Lispro 100 UNT/ML Injectable Solution [Humalog]", 30_930, NONE;
    SIMVASTATIN_10 = "314231", "Simvastatin 10 MG Oral Tablet", 1_090, NONE;
    SIMVASTATIN_20 = "312961", "Simvastatin 20 MG Oral Tablet", 1_300, NONE;
    SIMVASTATIN_40 = "198211", "simvastatin 40 MG Oral Tablet", 1_450, NONE;
    ATORVASTATIN_40 = "617311", "atorvastatin 40 MG Oral Tablet", 1_520, NONE;
    ATORVASTATIN_80 = "259255", "Atorvastatin 80 MG Oral Tablet", 2_230, NONE;
    ROSUVASTATIN_5 = "859424", "rosuvastatin calcium 5 MG Oral Tablet", 1_880, NONE;
    LOVASTATIN_40 = "197905", "lovastatin 40 MG Oral Tablet", 1_410, NONE;
    FLUTICASONE_MDI = "895994", "120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler", 2_000, NONE;
    ALBUTEROL_MDI = "2123111", "NDA020503 200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", 6_231, NONE;
    VENTOLIN_MDI = "859088", "NDA020983 200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler [Ventolin]", 6_500, NONE;
    BUDESONIDE_025 = "351109", "budesonide 0.25 MG/ML Inhalation Suspension", 3_400, NONE;
    PULMICORT_0125 = "616830", "budesonide 0.125 MG/ML Inhalation Suspension [Pulmicort]", 4_100, NONE;
    ALBUTEROL_021 = "351137", "albuterol 0.21 MG/ML Inhalation Solution", 1_150, NONE;
    ALBUTEROL_5 = "245314", "albuterol 5 MG/ML Inhalation Solution", 1_250, NONE;
    ADVAIR = "896209", "60 ACTUAT Fluticasone propionate 0.25 MG/ACTUAT / salmeterol 0.05 MG/ACTUAT Dry Powder Inhaler", 2_000, NONE;
    PREDNISONE_5 = "312617", "predniSONE 5 MG Oral Tablet", 700, NONE;
    COUGH_SYRUP = "1043400", "Acetaminophen 21.7 MG/ML / Dextromethorphan Hydrobromide 1 MG/ML / doxylamine succinate 0.417 MG/ML Oral Solution", 800, NONE;
    ACETAMINOPHEN_325 = "313782", "Acetaminophen 325 MG Oral Tablet", 500, NONE;
    ACETAMINOPHEN_500 = "198440", "Acetaminophen 500 MG Oral Tablet", 450, NONE;
    ACETAMINOPHEN_160 = "313820", "Acetaminophen 160 MG Chewable Tablet", 400, NONE;
    IBUPROFEN_200 = "310965", "Ibuprofen 200 MG Oral Tablet", 800, NSAID;
    IBUPROFEN_100 = "198405", "Ibuprofen 100 MG Oral Tablet", 700, NSAID;
    NAPROXEN_220 = "849574", "Naproxen sodium 220 MG Oral Tablet", 800, NSAID;
    NAPROXEN_500 = "198014", "Naproxen 500 MG Oral Tablet", 800, NSAID;
    ASPIRIN_81 = "243670", "aspirin 81 MG Oral Tablet", 650, ASPIRIN;
    TRAMADOL_50 = "835603", "tramadol hydrochloride 50 MG Oral Tablet", 1_300, NONE;
    HYDROCODONE_APAP = "856987", "Acetaminophen 300 MG / HYDROcodone Bitartrate 5 MG Oral Tablet", 1_380, NONE;
    OXYCODONE_APAP = "1049221", "Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet", 2_600, NONE;
    PREGABALIN_100 = "483438", "pregabalin 100 MG Oral Capsule", 2_700, NONE;
    DULOXETINE_20 = "596926", "duloxetine 20 MG Delayed Release Oral Capsule", 2_520, NONE;
    MILNACIPRAN_100 = "833135", "Milnacipran hydrochloride 100 MG Oral Tablet", 24_960, NONE;
    AMOXICILLIN_250 = "308182", "Amoxicillin 250 MG Oral Capsule", 400, PENICILLIN;
    AMOXICILLIN_500 = "308192", "Amoxicillin 500 MG Oral Tablet", 400, PENICILLIN;
    AMOX_CLAV = "562251", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet", 1_600, PENICILLIN;
    PENICILLIN_V_250 = "834061", "Penicillin V Potassium 250 MG Oral Tablet", 700, PENICILLIN;
    PENICILLIN_V_500 = "834102", "Penicillin V Potassium 500 MG Oral Tablet", 700, PENICILLIN;
    CEFUROXIME_250 = "309097", "Cefuroxime 250 MG Oral Tablet", 3_500, CEPHALOSPORIN;
    CEFACLOR_250 = "309045", "Cefaclor 250 MG Oral Capsule", 5_500, CEPHALOSPORIN;
    AZITHROMYCIN_250 = "308460", "Azithromycin 250 MG Oral Tablet", 300, NONE;
    DOXYCYCLINE_100 = "1650142", "Doxycycline Monohydrate 100 MG Oral Tablet", 6_000, NONE;
    NITROFURANTOIN_SUSP = "311989", "Nitrofurantoin 5 MG/ML Oral Suspension", 1_144, NONE;
    NITROFURANTOIN_MACRO = "311995", "NITROFURANTOIN, MACROCRYSTALS 50 MG Oral Capsule", 4_000, NONE;
    SMX_TMP = "198335", "sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet", 900, SULFONAMIDE;
    CIPROFLOXACIN_500 = "309309", "ciprofloxacin 500 MG Oral Tablet", 1_100, NONE;
    PHENAZOPYRIDINE_100 = "1094107", "Phenazopyridine hydrochloride 100 MG Oral Tablet", 2_200, NONE;
    FERROUS_SULFATE = "310325", "ferrous sulfate 325 MG Oral Tablet", 300, NONE;
    VITAMIN_B12 = "2001499", "Vitamin B12 5 MG/ML Injectable Solution", 360, NONE;
    SERTRALINE_100 = "312938", "Sertraline 100 MG Oral Tablet", 840, NONE;
    FLUOXETINE_20 = "310385", "FLUoxetine 20 MG Oral Capsule", 690, NONE;
    DIAZEPAM_5 = "197591", "Diazepam 5 MG Oral Tablet", 870, NONE;
    CLONAZEPAM_025 = "204892", "clonazePAM 0.25 MG Oral Tablet", 930, NONE;
    WARFARIN_5 = "855332", "Warfarin Sodium 5 MG Oral Tablet", 1_110, NONE;
    DIGOXIN_0125 = "197604", "Digoxin 0.125 MG Oral Tablet", 4_500, NONE;
    VERAPAMIL_40 = "897718", "verapamil hydrochloride 40 MG Oral Tablet", 3_000, NONE;
    LEVOTHYROXINE_75 = "966222", "Levothyroxine Sodium 0.075 MG Oral Tablet", 840, NONE;
    ALENDRONATE_10 = "904419", "Alendronic acid 10 MG Oral Tablet", 1_020, NONE;
    GALANTAMINE_4 = "310436", "Galantamine 4 MG Oral Tablet", 5_010, NONE;
    DONEPEZIL_10 = "997223", "Donepezil hydrochloride 10 MG Oral Tablet", 25_000, NONE;
    MEMANTINE_SOLUTION = "996740", "Memantine hydrochloride 2 MG/ML Oral Solution", 27_500, NONE;
    LORATADINE_5 = "665078", "Loratadine 5 MG Chewable Tablet", 700, NONE;
    LORATADINE_10 = "311372", "Loratadine 10 MG Oral Tablet", 700, NONE;
    FEXOFENADINE_30 = "997488", "Fexofenadine hydrochloride 30 MG Oral Tablet", 1_800, NONE;
    CETIRIZINE_10 = "1014678", "cetirizine hydrochloride 10 MG Oral Tablet", 1_900, NONE;
    HYDROCORTISONE_CREAM = "106258", "Hydrocortisone 10 MG/ML Topical Cream", 700, NONE;
    ALLOPURINOL_100 = "197319", "Allopurinol 100 MG Oral Tablet", 1_000, NONE;
    COLCHICINE_06 = "197541", "Colchicine 0.6 MG Oral Tablet", 5_870, NONE;
    CLOPIDOGREL_75 = "309362", "Clopidogrel 75 MG Oral Tablet", 2_600, NONE;
    NITROGLYCERIN_SPRAY = "705129", "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray", 605, NONE;
}

/// Which sexes a condition occurs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sexes {
    Any,
    Female,
}

/// How prevalence varies with age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AgeCurve {
    /// Same at every eligible age.
    Flat,
    /// Mostly in children.
    Child,
    /// Increasing with age (chronic diseases of adults).
    Rising,
}

impl AgeCurve {
    /// Prevalence multiplier at `age`, in percent.
    pub(crate) fn percent(self, age: u32) -> u32 {
        match self {
            AgeCurve::Flat => 100,
            AgeCurve::Child => match age {
                0..=5 => 300,
                6..=12 => 220,
                13..=17 => 120,
                _ => 40,
            },
            AgeCurve::Rising => match age {
                0..=29 => 20,
                30..=44 => 60,
                45..=64 => 130,
                _ => 220,
            },
        }
    }
}

/// A condition (SNOMED CT) with its epidemiology and treatments.
#[derive(Debug)]
pub(crate) struct ConditionDef {
    pub code: &'static str,
    pub display: &'static str,
    pub sexes: Sexes,
    /// Eligible ages at onset, inclusive.
    pub min_age: u8,
    pub max_age: u8,
    /// Relative prevalence (roughly: people per 1,000 of eligible age).
    pub prevalence: u32,
    pub curve: AgeCurve,
    /// Prevalence multiplier for females, in percent.
    pub female_percent: u32,
    /// `None` for chronic conditions; else the range of days until the
    /// condition resolves.
    pub resolves_in_days: Option<(u32, u32)>,
    /// Alternative treatments; prescribers choose among them by habit.
    pub drugs: &'static [&'static Drug],
}

impl ConditionDef {
    /// Whether the condition is chronic (never resolves by itself).
    pub(crate) fn chronic(&self) -> bool {
        self.resolves_in_days.is_none()
    }
}

const ACUTE: Option<(u32, u32)> = Some((7, 28));

macro_rules! condition {
    ($code:literal, $display:literal, $sexes:ident, $min:literal..=$max:literal, $prev:literal,
     $curve:ident, female $fem:literal%, $resolves:expr, [$($drug:ident),*]) => {
        ConditionDef {
            code: $code,
            display: $display,
            sexes: Sexes::$sexes,
            min_age: $min,
            max_age: $max,
            prevalence: $prev,
            curve: AgeCurve::$curve,
            female_percent: $fem,
            resolves_in_days: $resolves,
            drugs: &[$(&$drug),*],
        }
    };
}

/// The conditions patients are given.
pub(crate) static CONDITIONS: &[ConditionDef] = &[
    condition!("59621000", "Essential hypertension (disorder)", Any, 18..=100, 300, Rising, female 90%, None,
        [LISINOPRIL_10, AMLODIPINE_5, HCTZ_25, LOSARTAN_50, LOSARTAN_25, METOPROLOL_25, ATENOLOL_25, VALSARTAN_80]),
    condition!("714628002", "Prediabetes (finding)", Any, 18..=100, 150, Rising, female 100%, None,
        [METFORMIN_ER_500]),
    condition!("44054006", "Diabetes mellitus type 2 (disorder)", Any, 25..=100, 110, Rising, female 90%, None,
        [METFORMIN_ER_500, LIRAGLUTIDE, CANAGLIFLOZIN_100, HUMULIN_70_30, INSULIN_LISPRO]),
    condition!("55822004", "Hyperlipidemia (disorder)", Any, 20..=100, 200, Rising, female 90%, None,
        [SIMVASTATIN_10, SIMVASTATIN_20, SIMVASTATIN_40, ATORVASTATIN_40, ATORVASTATIN_80, ROSUVASTATIN_5, LOVASTATIN_40]),
    condition!("195967001", "Asthma (disorder)", Any, 12..=100, 80, Flat, female 120%, None,
        [FLUTICASONE_MDI, ALBUTEROL_MDI, VENTOLIN_MDI, BUDESONIDE_025, ADVAIR]),
    condition!("233678006", "Childhood asthma (disorder)", Any, 2..=17, 90, Flat, female 80%, None,
        [FLUTICASONE_MDI, ALBUTEROL_MDI, PULMICORT_0125, ALBUTEROL_021]),
    condition!("10509002", "Acute bronchitis (disorder)", Any, 0..=100, 120, Flat, female 100%, ACUTE,
        [COUGH_SYRUP, ACETAMINOPHEN_325, ACETAMINOPHEN_500, IBUPROFEN_200, AZITHROMYCIN_250]),
    condition!("444814009", "Viral sinusitis (disorder)", Any, 0..=100, 250, Flat, female 110%, ACUTE,
        [AMOXICILLIN_250, AMOXICILLIN_500, AMOX_CLAV, CEFUROXIME_250, AZITHROMYCIN_250]),
    condition!("75498004", "Acute bacterial sinusitis (disorder)", Any, 5..=100, 60, Flat, female 110%, ACUTE,
        [AMOX_CLAV, AMOXICILLIN_500, DOXYCYCLINE_100, CEFUROXIME_250]),
    condition!("40055000", "Chronic sinusitis (disorder)", Any, 18..=100, 50, Flat, female 120%, None,
        [AMOX_CLAV, CEFUROXIME_250, CETIRIZINE_10, LORATADINE_10]),
    condition!("43878008", "Streptococcal sore throat (disorder)", Any, 3..=60, 90, Child, female 100%, ACUTE,
        [PENICILLIN_V_250, PENICILLIN_V_500, AMOXICILLIN_250, AMOXICILLIN_500, AZITHROMYCIN_250, CEFACLOR_250]),
    condition!("195662009", "Acute viral pharyngitis (disorder)", Any, 0..=100, 150, Child, female 100%, ACUTE,
        [ACETAMINOPHEN_325, IBUPROFEN_200, IBUPROFEN_100, ACETAMINOPHEN_160]),
    condition!("65363002", "Otitis media (disorder)", Any, 0..=12, 250, Child, female 90%, ACUTE,
        [AMOXICILLIN_250, AMOX_CLAV, CEFUROXIME_250, ACETAMINOPHEN_160, IBUPROFEN_100]),
    condition!("239873007", "Osteoarthritis of knee (disorder)", Any, 40..=100, 90, Rising, female 140%, None,
        [NAPROXEN_220, NAPROXEN_500, IBUPROFEN_200, ACETAMINOPHEN_325, TRAMADOL_50]),
    condition!("82423001", "Chronic pain (finding)", Any, 25..=100, 80, Rising, female 120%, None,
        [HYDROCODONE_APAP, OXYCODONE_APAP, TRAMADOL_50, PREGABALIN_100, DULOXETINE_20, NAPROXEN_500]),
    condition!("278860009", "Chronic low back pain (finding)", Any, 25..=100, 80, Flat, female 110%, None,
        [NAPROXEN_500, NAPROXEN_220, TRAMADOL_50, IBUPROFEN_200]),
    condition!("271737000", "Anemia (disorder)", Any, 0..=100, 60, Flat, female 200%, None,
        [FERROUS_SULFATE, VITAMIN_B12]),
    condition!("370143000", "Major depressive disorder (disorder)", Any, 13..=100, 70, Flat, female 170%, None,
        [SERTRALINE_100, FLUOXETINE_20, DULOXETINE_20]),
    condition!("197480006", "Anxiety disorder (disorder)", Any, 10..=100, 80, Flat, female 160%, None,
        [DIAZEPAM_5, CLONAZEPAM_025, SERTRALINE_100, FLUOXETINE_20]),
    condition!("37796009", "Migraine (disorder)", Any, 10..=70, 70, Flat, female 250%, None,
        [ACETAMINOPHEN_500, IBUPROFEN_200, NAPROXEN_220, NAPROXEN_500]),
    condition!("162864005", "Body mass index 30+ - obesity (finding)", Any, 18..=100, 200, Flat, female 100%, None,
        []),
    condition!("13645005", "Chronic obstructive lung disease (disorder)", Any, 40..=100, 50, Rising, female 100%, None,
        [ADVAIR, ALBUTEROL_MDI, ALBUTEROL_5, PREDNISONE_5]),
    condition!("49436004", "Atrial fibrillation (disorder)", Any, 50..=100, 40, Rising, female 80%, None,
        [WARFARIN_5, DIGOXIN_0125, VERAPAMIL_40, METOPROLOL_ER_100]),
    condition!("83664006", "Idiopathic atrophic hypothyroidism (disorder)", Any, 20..=100, 35, Rising, female 250%, None,
        [LEVOTHYROXINE_75]),
    condition!("235595009", "Gastroesophageal reflux disease (disorder)", Any, 18..=100, 100, Flat, female 100%, None,
        []),
    condition!("68566005", "Urinary tract infectious disease (disorder)", Any, 2..=100, 50, Flat, female 300%, ACUTE,
        [NITROFURANTOIN_MACRO, NITROFURANTOIN_SUSP, SMX_TMP, CIPROFLOXACIN_500, PHENAZOPYRIDINE_100]),
    condition!("64859006", "Osteoporosis (disorder)", Any, 50..=100, 35, Rising, female 300%, None,
        [ALENDRONATE_10]),
    condition!("26929004", "Alzheimer's disease (disorder)", Any, 65..=100, 30, Rising, female 130%, None,
        [GALANTAMINE_4, DONEPEZIL_10, MEMANTINE_SOLUTION]),
    condition!("367498001", "Seasonal allergic rhinitis (disorder)", Any, 3..=100, 150, Flat, female 100%, None,
        [LORATADINE_5, LORATADINE_10, FEXOFENADINE_30, CETIRIZINE_10]),
    condition!("24079001", "Atopic dermatitis (disorder)", Any, 0..=40, 80, Child, female 100%, None,
        [HYDROCORTISONE_CREAM]),
    condition!("90560007", "Inflammatory disorder due to increased blood urate level (disorder)", Any, 30..=100, 30, Rising, female 40%, None,
        [ALLOPURINOL_100, COLCHICINE_06, NAPROXEN_500]),
    condition!("414545008", "Ischemic heart disease (disorder)", Any, 45..=100, 50, Rising, female 60%, None,
        [CLOPIDOGREL_75, ASPIRIN_81, NITROGLYCERIN_SPRAY, ATORVASTATIN_80, METOPROLOL_ER_100]),
    condition!("88805009", "Chronic congestive heart failure (disorder)", Any, 55..=100, 25, Rising, female 90%, None,
        [FUROSEMIDE_40, METOPROLOL_ER_100, CARVEDILOL_25, LISINOPRIL_10]),
    condition!("44465007", "Sprain of ankle (disorder)", Any, 5..=80, 80, Flat, female 100%, Some((14, 42)),
        [IBUPROFEN_200, ACETAMINOPHEN_325, NAPROXEN_220]),
    condition!("65966004", "Fracture of forearm (disorder)", Any, 3..=100, 30, Flat, female 100%, Some((42, 90)),
        [OXYCODONE_APAP, HYDROCODONE_APAP, ACETAMINOPHEN_325, IBUPROFEN_200]),
    condition!("62106007", "Concussion with no loss of consciousness (disorder)", Any, 5..=80, 20, Flat, female 80%, Some((14, 60)),
        [ACETAMINOPHEN_325]),
    condition!("283371005", "Laceration of forearm (disorder)", Any, 3..=90, 30, Flat, female 80%, Some((14, 28)),
        []),
    condition!("203082005", "Fibromyalgia (disorder)", Any, 25..=100, 20, Flat, female 300%, None,
        [PREGABALIN_100, DULOXETINE_20, MILNACIPRAN_100]),
    condition!("233604007", "Pneumonia (disorder)", Any, 0..=100, 30, Rising, female 100%, Some((14, 35)),
        [AZITHROMYCIN_250, DOXYCYCLINE_100, AMOX_CLAV]),
    condition!("72892002", "Normal pregnancy (finding)", Female, 18..=44, 80, Flat, female 100%, Some((250, 285)),
        []),
    condition!("78275009", "Obstructive sleep apnea syndrome (disorder)", Any, 30..=100, 40, Rising, female 50%, None,
        []),
    condition!("66383009", "Gingivitis (disorder)", Any, 10..=100, 100, Flat, female 100%, Some((30, 180)),
        []),
];

/// Encounter class (HL7 v3 `ActCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EncounterClass {
    Ambulatory,
    Emergency,
    Inpatient,
}

impl EncounterClass {
    /// The v3 `ActCode` code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            EncounterClass::Ambulatory => "AMB",
            EncounterClass::Emergency => "EMER",
            EncounterClass::Inpatient => "IMP",
        }
    }

    /// The claim type of its claim.
    pub(crate) fn claim_type(self) -> &'static str {
        match self {
            EncounterClass::Ambulatory => "professional",
            EncounterClass::Emergency | EncounterClass::Inpatient => "institutional",
        }
    }
}

/// An encounter type (SNOMED CT) of a class, with eligible ages and weight.
#[derive(Debug)]
pub(crate) struct EncounterType {
    pub class: EncounterClass,
    pub code: &'static str,
    pub display: &'static str,
    pub min_age: u8,
    pub max_age: u8,
    pub weight: u32,
}

const fn enc(
    class: EncounterClass,
    code: &'static str,
    display: &'static str,
    min_age: u8,
    max_age: u8,
    weight: u32,
) -> EncounterType {
    EncounterType {
        class,
        code,
        display,
        min_age,
        max_age,
        weight,
    }
}

/// Encounter types by class.
pub(crate) static ENCOUNTER_TYPES: &[EncounterType] = {
    use EncounterClass::{Ambulatory as A, Emergency as E, Inpatient as I};
    &[
        enc(A, "410620009", "Well child visit (procedure)", 0, 17, 30),
        enc(
            A,
            "162673000",
            "General examination of patient (procedure)",
            18,
            100,
            25,
        ),
        enc(
            A,
            "185349003",
            "Encounter for check up (procedure)",
            0,
            100,
            15,
        ),
        enc(
            A,
            "185347001",
            "Encounter for problem (procedure)",
            0,
            100,
            20,
        ),
        enc(
            A,
            "185345009",
            "Encounter for symptom (procedure)",
            0,
            100,
            15,
        ),
        enc(
            A,
            "390906007",
            "Follow-up encounter (procedure)",
            0,
            100,
            10,
        ),
        enc(
            A,
            "702927004",
            "Urgent care clinic (environment)",
            0,
            100,
            8,
        ),
        enc(
            A,
            "698314001",
            "Consultation for treatment (procedure)",
            18,
            100,
            5,
        ),
        enc(
            E,
            "50849002",
            "Emergency room admission (procedure)",
            0,
            100,
            70,
        ),
        enc(
            E,
            "183452005",
            "Emergency hospital admission (procedure)",
            0,
            100,
            30,
        ),
        enc(I, "32485007", "Hospital admission (procedure)", 0, 100, 50),
        enc(
            I,
            "305408004",
            "Admission to surgical department (procedure)",
            0,
            100,
            20,
        ),
        enc(
            I,
            "185347001",
            "Encounter for problem (procedure)",
            0,
            100,
            30,
        ),
    ]
};

/// A practitioner specialty (NUCC taxonomy), with the share of practitioners
/// and whether it does primary care (patients' usual practitioner).
#[derive(Debug)]
pub(crate) struct Specialty {
    pub code: &'static str,
    pub display: &'static str,
    pub weight: u32,
    pub primary_care: bool,
}

const fn spec(
    code: &'static str,
    display: &'static str,
    weight: u32,
    primary_care: bool,
) -> Specialty {
    Specialty {
        code,
        display,
        weight,
        primary_care,
    }
}

/// Practitioner specialties.
pub(crate) static SPECIALTIES: &[Specialty] = &[
    spec("208D00000X", "General Practice Physician", 40, true),
    spec("207Q00000X", "Family Medicine Physician", 20, true),
    spec("207R00000X", "Internal Medicine Physician", 14, true),
    spec("208000000X", "Pediatrics Physician", 8, true),
    spec("363L00000X", "Nurse Practitioner", 5, true),
    spec("207P00000X", "Emergency Medicine Physician", 6, false),
    spec("207RC0000X", "Cardiovascular Disease Physician", 2, false),
    spec("207V00000X", "Obstetrics & Gynecology Physician", 2, false),
    spec("2084P0800X", "Psychiatry Physician", 1, false),
    spec("207X00000X", "Orthopaedic Surgery Physician", 1, false),
    spec("207K00000X", "Allergy & Immunology Physician", 1, false),
];

/// A substance a patient can be allergic to.
#[derive(Debug)]
pub(crate) struct Allergen {
    pub system: &'static str,
    pub code: &'static str,
    pub display: &'static str,
    /// FHIR `AllergyIntolerance.category`.
    pub category: &'static str,
    /// Drug classes the allergy rules out (see [`class`]).
    pub excludes: u8,
    pub weight: u32,
}

const fn allergen(
    system: &'static str,
    code: &'static str,
    display: &'static str,
    category: &'static str,
    excludes: u8,
    weight: u32,
) -> Allergen {
    Allergen {
        system,
        code,
        display,
        category,
        excludes,
        weight,
    }
}

/// Allergens: drug ingredients (`RxNorm`), foods and environmental
/// substances (SNOMED CT).
pub(crate) static ALLERGENS: &[Allergen] = &[
    allergen(
        RXNORM,
        "7984",
        "Penicillin V",
        "medication",
        class::PENICILLIN,
        30,
    ),
    allergen(
        RXNORM,
        "723",
        "Amoxicillin",
        "medication",
        class::PENICILLIN,
        10,
    ),
    allergen(
        RXNORM,
        "1191",
        "Aspirin",
        "medication",
        class::ASPIRIN | class::NSAID,
        10,
    ),
    allergen(
        RXNORM,
        "5640",
        "Ibuprofen",
        "medication",
        class::ASPIRIN | class::NSAID,
        5,
    ),
    allergen(
        RXNORM,
        "10831",
        "Sulfamethoxazole / Trimethoprim",
        "medication",
        class::SULFONAMIDE,
        15,
    ),
    allergen(
        RXNORM,
        "25037",
        "cefdinir",
        "medication",
        class::CEPHALOSPORIN,
        4,
    ),
    allergen(
        RXNORM,
        "2231",
        "Cephalexin",
        "medication",
        class::CEPHALOSPORIN,
        4,
    ),
    allergen(
        SNOMED,
        "762952008",
        "Peanut (substance)",
        "food",
        class::NONE,
        8,
    ),
    allergen(
        SNOMED,
        "735029006",
        "Shellfish (substance)",
        "food",
        class::NONE,
        10,
    ),
    allergen(
        SNOMED,
        "442571000124108",
        "Tree nut (substance)",
        "food",
        class::NONE,
        5,
    ),
    allergen(
        SNOMED,
        "102263004",
        "Eggs (edible) (substance)",
        "food",
        class::NONE,
        4,
    ),
    allergen(
        SNOMED,
        "256355007",
        "Glycine max (substance)",
        "food",
        class::NONE,
        2,
    ),
    allergen(
        SNOMED,
        "111088007",
        "Latex (substance)",
        "environment",
        class::NONE,
        3,
    ),
    allergen(
        SNOMED,
        "288328004",
        "Bee venom (substance)",
        "environment",
        class::NONE,
        3,
    ),
    allergen(
        SNOMED,
        "84489001",
        "Mold (organism)",
        "environment",
        class::NONE,
        8,
    ),
    allergen(
        SNOMED,
        "264287008",
        "Animal dander (substance)",
        "environment",
        class::NONE,
        8,
    ),
    allergen(
        SNOMED,
        "260147004",
        "House dust mite (organism)",
        "environment",
        class::NONE,
        8,
    ),
    allergen(
        SNOMED,
        "782576004",
        "Tree pollen (substance)",
        "environment",
        class::NONE,
        8,
    ),
    allergen(
        SNOMED,
        "256277009",
        "Grass pollen (substance)",
        "environment",
        class::NONE,
        8,
    ),
];

/// Allergic reactions (SNOMED CT findings and disorders): code, display.
pub(crate) static REACTIONS: &[(&str, &str)] = &[
    ("247472004", "Wheal (finding)"),
    ("271807003", "Eruption of skin (disorder)"),
    ("418290006", "Itching (finding)"),
    ("267036007", "Dyspnea (finding)"),
    ("402387002", "Allergic angioedema (disorder)"),
    ("49727002", "Cough (finding)"),
    ("878820003", "Rhinoconjunctivitis (disorder)"),
    ("21522001", "Abdominal pain (finding)"),
    ("39579001", "Anaphylaxis (disorder)"),
];

/// Payers, named only by display text as Synthea does.
pub(crate) mod payer {
    pub(crate) const MEDICAID: &str = "Medicaid";
    pub(crate) const MEDICARE: &str = "Medicare";
    pub(crate) const DUAL_ELIGIBLE: &str = "Dual Eligible";
    pub(crate) const NO_INSURANCE: &str = "NO_INSURANCE";
    /// Private insurers with their market-share weight and the share of a
    /// claim they pay (percent).
    pub(crate) static PRIVATE: &[(&str, u32, u64)] = &[
        ("Blue Cross Blue Shield", 30, 85),
        ("UnitedHealthcare", 25, 80),
        ("Aetna", 15, 80),
        ("Cigna Health", 12, 75),
        ("Humana", 10, 80),
        ("Anthem", 8, 85),
    ];
}

/// US Core race categories (CDC race & ethnicity code system): code,
/// display, weight.
pub(crate) static RACES: &[(&str, &str, u32)] = &[
    ("2106-3", "White", 616),
    ("2054-5", "Black or African American", 124),
    ("2028-9", "Asian", 60),
    ("1002-5", "American Indian or Alaska Native", 11),
    ("2076-8", "Native Hawaiian or Other Pacific Islander", 2),
    ("2131-1", "Other", 187),
];

/// US Core ethnicity categories: code, display.
pub(crate) const HISPANIC: (&str, &str) = ("2135-2", "Hispanic or Latino");
/// See [`HISPANIC`].
pub(crate) const NOT_HISPANIC: (&str, &str) = ("2186-5", "Not Hispanic or Latino");

/// Marital status (HL7 v3 `MaritalStatus`): code, display.
pub(crate) static MARITAL: &[(&str, &str)] = &[
    ("M", "Married"),
    ("S", "Never Married"),
    ("D", "Divorced"),
    ("W", "Widowed"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut drugs = HashMap::new();
        for d in ALL_DRUGS {
            assert!(d.code.bytes().all(|b| b.is_ascii_digit()), "{}", d.code);
            assert!(
                drugs.insert(d.code, d.display).is_none(),
                "duplicate drug {}",
                d.code
            );
        }
        let mut conditions = HashSet::new();
        for c in CONDITIONS {
            assert!(c.code.bytes().all(|b| b.is_ascii_digit()));
            assert!(conditions.insert(c.code), "duplicate condition {}", c.code);
            assert!(c.min_age <= c.max_age);
            let mut seen = HashSet::new();
            for d in c.drugs {
                assert!(seen.insert(d.code), "{} lists {} twice", c.code, d.code);
            }
        }
        let mut allergens = HashSet::new();
        for a in ALLERGENS {
            assert!(allergens.insert(a.code));
        }
        // The brief's anchors.
        for code in [
            "59621000",
            "714628002",
            "44054006",
            "55822004",
            "195967001",
            "10509002",
            "444814009",
            "43878008",
            "65363002",
            "239873007",
            "370143000",
        ] {
            assert!(conditions.contains(code), "{code}");
        }
        for code in [
            "314076", "197361", "310798", "860975", "308182", "562251", "310965", "313782",
        ] {
            assert!(drugs.contains_key(code), "{code}");
        }
    }

    #[test]
    fn table_text_needs_no_escaping() {
        use crate::json::needs_escape;
        let mut texts: Vec<&str> = vec![SNOMED, RXNORM, NUCC, SYNTHEA_ID, NPI_SYSTEM];
        for d in ALL_DRUGS {
            texts.extend([d.code, d.display]);
        }
        for c in CONDITIONS {
            texts.extend([c.code, c.display]);
        }
        for t in ENCOUNTER_TYPES {
            texts.extend([t.code, t.display]);
        }
        for s in SPECIALTIES {
            texts.extend([s.code, s.display]);
        }
        for a in ALLERGENS {
            texts.extend([a.system, a.code, a.display, a.category]);
        }
        for (code, display) in REACTIONS.iter().chain(MARITAL) {
            texts.extend([*code, *display]);
        }
        for (code, display, _) in RACES {
            texts.extend([*code, *display]);
        }
        texts.extend([HISPANIC.0, HISPANIC.1, NOT_HISPANIC.0, NOT_HISPANIC.1]);
        for t in texts {
            assert!(!needs_escape(t), "{t}");
        }
    }

    #[test]
    fn every_class_has_types_for_every_age() {
        for class in [
            EncounterClass::Ambulatory,
            EncounterClass::Emergency,
            EncounterClass::Inpatient,
        ] {
            for age in 0..=100 {
                assert!(ENCOUNTER_TYPES
                    .iter()
                    .any(|t| t.class == class && (t.min_age..=t.max_age).contains(&age)));
            }
        }
    }
}
