//! US states and city-name normalisation for the geography part of the graph.

/// USPS code and name of the 50 states, DC and the inhabited territories.
pub const US_STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("DC", "District of Columbia"),
    ("PR", "Puerto Rico"),
    ("GU", "Guam"),
    ("VI", "U.S. Virgin Islands"),
    ("AS", "American Samoa"),
    ("MP", "Northern Mariana Islands"),
];

/// The USPS code and name of a state given as a code or a name (any case,
/// surrounding and repeated spaces ignored).
pub fn lookup_state(text: &str) -> Option<(&'static str, &'static str)> {
    let wanted = collapse_whitespace(text);
    US_STATES
        .iter()
        .find(|(code, name)| {
            code.eq_ignore_ascii_case(&wanted)
                || name.eq_ignore_ascii_case(&wanted)
                || (*code == "VI" && wanted.eq_ignore_ascii_case("Virgin Islands"))
        })
        .copied()
}

/// Trims and collapses inner runs of whitespace to one space.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Title case: each word (split on spaces and hyphens) upper first letter,
/// lower rest. "LA CRESCENTA-MONTROSE" → "La Crescenta-Montrose".
pub fn title_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start_of_word = true;
    for c in text.chars() {
        if c == ' ' || c == '-' {
            out.push(c);
            start_of_word = true;
        } else if start_of_word {
            out.extend(c.to_uppercase());
            start_of_word = false;
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The key of a City node: `<country>/<state>/<NAME IN UPPER CASE>`.
pub fn city_key(country: &str, state_code: &str, city: &str) -> String {
    format!(
        "{country}/{state_code}/{}",
        collapse_whitespace(city).to_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_by_code_and_name() {
        assert_eq!(lookup_state("ks"), Some(("KS", "Kansas")));
        assert_eq!(lookup_state(" new   york "), Some(("NY", "New York")));
        assert_eq!(lookup_state("Atlantis"), None);
        assert_eq!(US_STATES.len(), 56);
    }

    #[test]
    fn city_names() {
        assert_eq!(title_case("LA CRESCENTA-MONTROSE"), "La Crescenta-Montrose");
        assert_eq!(title_case("los angeles"), "Los Angeles");
        assert_eq!(
            city_key("US", "CA", "  Los   angeles "),
            "US/CA/LOS ANGELES"
        );
    }
}
