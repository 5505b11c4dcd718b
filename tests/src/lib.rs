//! Helpers shared by the workspace integration tests: dataset locations,
//! expected results computed independently of the loader
//! (`tests/expected/`), and a canonical form of a graph that does not depend
//! on internal ids, so two graphs built in different orders can be compared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub mod tck;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The bundled 10-patient bulk export.
pub fn bulk_10() -> PathBuf {
    seeds::bundled_sample_dir().join("synthea-bulk-10")
}

/// The bundled 86-patient California bundles.
pub fn ca_86() -> PathBuf {
    seeds::bundled_sample_dir()
        .join("synthea-ca-86")
        .join("synthea_data_california_fhir.tar.gz")
}

/// The 615-patient set in `../shared`, when it is there (CI has it; a
/// fresh clone without `../shared` does not).
pub fn smart_615() -> Option<PathBuf> {
    let path = workspace_root().join("../shared/data/synthea-smart-r4/R4_SYNTHEA_bundles.tar.gz");
    path.exists().then_some(path)
}

/// An expected-results file of `tests/expected/`.
pub fn expected(name: &str) -> anyhow::Result<serde_json::Value> {
    let path = workspace_root()
        .join("tests/expected")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// Converts a JSON object of counts into a map.
pub fn counts(value: &serde_json::Value) -> BTreeMap<String, u64> {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_u64().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default()
}

pub use graph_model::canonical::{canonical, diff, node_identity, Canonical};
