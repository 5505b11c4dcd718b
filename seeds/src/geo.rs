//! Geography: the US states the population lives in, with real cities,
//! ZIP codes, approximate city-centre coordinates and time zones.
//!
//! Coordinates are in millionths of a degree (WGS 84). Names are written the
//! way they are spelled locally, including multi-word and hyphenated names
//! ("La Crescenta-Montrose", "Manchester-by-the-Sea", "Winston-Salem").

use crate::time::Tz;

/// Eastern time.
const ET: Tz = Tz {
    std_offset_min: -300,
    observes_dst: true,
};
/// Central time.
const CT: Tz = Tz {
    std_offset_min: -360,
    observes_dst: true,
};
/// Mountain time.
const MT: Tz = Tz {
    std_offset_min: -420,
    observes_dst: true,
};
/// Mountain standard time all year (Arizona).
const MST: Tz = Tz {
    std_offset_min: -420,
    observes_dst: false,
};
/// Pacific time.
const PT: Tz = Tz {
    std_offset_min: -480,
    observes_dst: true,
};

/// A city: name, 5-digit ZIP code, centre latitude / longitude (micro-degrees)
/// and a relative population weight within its state.
#[derive(Debug)]
pub(crate) struct City {
    pub name: &'static str,
    pub zip: &'static str,
    pub lat: i64,
    pub lon: i64,
    pub weight: u32,
}

/// A state: full name, USPS code, time zone, relative population weight.
#[derive(Debug)]
pub(crate) struct State {
    pub name: &'static str,
    pub code: &'static str,
    pub tz: Tz,
    pub weight: u32,
    pub cities: &'static [City],
}

const fn city(name: &'static str, zip: &'static str, lat: i64, lon: i64, weight: u32) -> City {
    City {
        name,
        zip,
        lat,
        lon,
        weight,
    }
}

/// The states patients, providers and facilities are placed in. The first
/// states are the most populous so that small populations (few
/// organizations, hence few states in use) still look typical.
pub(crate) static STATES: &[State] = &[
    State {
        name: "California",
        code: "CA",
        tz: PT,
        weight: 39,
        cities: &[
            city("Los Angeles", "90012", 34_052_235, -118_243_683, 40),
            city("San Diego", "92101", 32_715_736, -117_161_087, 14),
            city("San Jose", "95113", 37_338_207, -121_886_330, 10),
            city("San Francisco", "94103", 37_774_929, -122_419_416, 9),
            city("Fresno", "93721", 36_737_797, -119_787_125, 5),
            city("Sacramento", "95814", 38_581_572, -121_494_400, 5),
            city("Anaheim", "92805", 33_836_594, -117_914_299, 3),
            city("Santa Rosa", "95404", 38_440_429, -122_714_055, 2),
            city(
                "La Crescenta-Montrose",
                "91214",
                34_232_224,
                -118_235_353,
                1,
            ),
        ],
    },
    State {
        name: "Texas",
        code: "TX",
        tz: CT,
        weight: 30,
        cities: &[
            city("Houston", "77002", 29_760_427, -95_369_803, 23),
            city("San Antonio", "78205", 29_424_122, -98_493_628, 15),
            city("Dallas", "75201", 32_776_664, -96_796_988, 13),
            city("Austin", "78701", 30_267_153, -97_743_061, 10),
            city("Fort Worth", "76102", 32_755_488, -97_330_766, 9),
            city("Corpus Christi", "78401", 27_800_583, -97_396_381, 3),
            city("Lubbock", "79401", 33_577_863, -101_855_166, 3),
        ],
    },
    State {
        name: "Florida",
        code: "FL",
        tz: ET,
        weight: 22,
        cities: &[
            city("Jacksonville", "32202", 30_332_184, -81_655_651, 10),
            city("Miami", "33130", 25_761_680, -80_191_790, 5),
            city("Tampa", "33602", 27_950_575, -82_457_178, 4),
            city("Orlando", "32801", 28_538_336, -81_379_234, 3),
            city("St. Petersburg", "33701", 27_767_601, -82_640_290, 3),
            city("Fort Lauderdale", "33301", 26_122_439, -80_137_317, 2),
            city("Tallahassee", "32301", 30_438_256, -84_280_733, 2),
        ],
    },
    State {
        name: "New York",
        code: "NY",
        tz: ET,
        weight: 20,
        cities: &[
            city("New York", "10007", 40_712_776, -74_005_974, 80),
            city("Buffalo", "14202", 42_886_447, -78_878_369, 3),
            city("Rochester", "14604", 43_156_578, -77_608_849, 2),
            city("Yonkers", "10701", 40_931_210, -73_898_747, 2),
            city("Syracuse", "13202", 43_048_122, -76_147_424, 2),
            city("Albany", "12207", 42_652_580, -73_756_232, 1),
            city("Saratoga Springs", "12866", 43_083_130, -73_784_540, 1),
        ],
    },
    State {
        name: "Illinois",
        code: "IL",
        tz: CT,
        weight: 13,
        cities: &[
            city("Chicago", "60602", 41_878_113, -87_629_799, 27),
            city("Naperville", "60540", 41_750_839, -88_153_535, 2),
            city("Rockford", "61101", 42_271_131, -89_093_995, 2),
            city("Peoria", "61602", 40_693_649, -89_588_986, 1),
            city("Springfield", "62701", 39_781_721, -89_650_148, 1),
        ],
    },
    State {
        name: "Georgia",
        code: "GA",
        tz: ET,
        weight: 11,
        cities: &[
            city("Atlanta", "30303", 33_748_995, -84_387_982, 5),
            city("Columbus", "31901", 32_460_976, -84_987_709, 2),
            city("Augusta", "30901", 33_473_498, -82_010_515, 2),
            city("Savannah", "31401", 32_080_899, -81_091_203, 1),
            city("Warner Robins", "31093", 32_615_743, -83_626_641, 1),
        ],
    },
    State {
        name: "North Carolina",
        code: "NC",
        tz: ET,
        weight: 10,
        cities: &[
            city("Charlotte", "28202", 35_227_087, -80_843_127, 9),
            city("Raleigh", "27601", 35_779_590, -78_638_179, 5),
            city("Greensboro", "27401", 36_072_636, -79_791_975, 3),
            city("Durham", "27701", 35_994_033, -78_898_619, 3),
            city("Winston-Salem", "27101", 36_099_860, -80_244_216, 3),
        ],
    },
    State {
        name: "Massachusetts",
        code: "MA",
        tz: ET,
        weight: 7,
        cities: &[
            city("Boston", "02108", 42_360_082, -71_058_880, 65),
            city("Worcester", "01608", 42_262_593, -71_802_293, 20),
            city("Springfield", "01103", 42_101_483, -72_589_811, 15),
            city("Cambridge", "02139", 42_373_611, -71_109_733, 12),
            city("Lowell", "01852", 42_633_425, -71_316_172, 11),
            city("New Bedford", "02740", 41_636_215, -70_934_205, 10),
            city("Fall River", "02720", 41_701_490, -71_155_049, 9),
            city("West Springfield", "01089", 42_107_040, -72_620_368, 3),
            city("Manchester-by-the-Sea", "01944", 42_577_862, -70_769_035, 1),
        ],
    },
    State {
        name: "Arizona",
        code: "AZ",
        tz: MST,
        weight: 7,
        cities: &[
            city("Phoenix", "85004", 33_448_377, -112_074_037, 16),
            city("Tucson", "85701", 32_222_607, -110_974_711, 5),
            city("Mesa", "85201", 33_415_184, -111_831_472, 5),
            city("Scottsdale", "85251", 33_494_170, -111_926_052, 2),
            city("Flagstaff", "86001", 35_198_284, -111_651_299, 1),
        ],
    },
    State {
        name: "Washington",
        code: "WA",
        tz: PT,
        weight: 8,
        cities: &[
            city("Seattle", "98104", 47_606_209, -122_332_071, 7),
            city("Spokane", "99201", 47_658_780, -117_426_047, 2),
            city("Tacoma", "98402", 47_252_877, -122_444_291, 2),
            city("Walla Walla", "99362", 46_064_581, -118_343_020, 1),
            city("Sedro-Woolley", "98284", 48_503_934, -122_236_000, 1),
        ],
    },
    State {
        name: "Colorado",
        code: "CO",
        tz: MT,
        weight: 6,
        cities: &[
            city("Denver", "80202", 39_739_236, -104_990_251, 7),
            city("Colorado Springs", "80903", 38_833_882, -104_821_363, 5),
            city("Fort Collins", "80521", 40_585_260, -105_084_423, 2),
            city("Boulder", "80302", 40_014_986, -105_270_546, 1),
        ],
    },
    State {
        name: "Kansas",
        code: "KS",
        tz: CT,
        weight: 3,
        cities: &[
            city("Wichita", "67202", 37_687_176, -97_330_053, 8),
            city("Overland Park", "66210", 38_982_228, -94_670_792, 4),
            city("Kansas City", "66101", 39_114_053, -94_627_464, 3),
            city("Olathe", "66061", 38_881_396, -94_819_129, 3),
            city("Topeka", "66603", 39_048_191, -95_677_956, 3),
            city("Emporia", "66801", 38_403_903, -96_181_666, 1),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_is_consistent() {
        let mut codes = HashSet::new();
        for state in STATES {
            assert!(codes.insert(state.code));
            assert_eq!(state.code.len(), 2);
            assert!(!state.cities.is_empty());
            for c in state.cities {
                assert_eq!(c.zip.len(), 5);
                assert!(c.weight > 0);
                assert!((17_000_000..50_000_000).contains(&c.lat), "{}", c.name);
                assert!((-125_000_000..-66_000_000).contains(&c.lon), "{}", c.name);
            }
        }
    }
}
