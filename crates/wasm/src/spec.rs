//! The specs JavaScript hands across: the resolved `data` and `teacher` sections of a config exactly as
//! TypeScript holds them (`config.data`, `config.teacher`), by the config's own camelCase names. Every
//! key is required (the TypeScript resolver fills every default, so no default is repeated here) except
//! the config's optional `teacher.minNonlinearity`; an unknown or renamed key is an error naming it.
//!
//! They live in this crate, not in the domain crates, because they are the config's shape rather than a
//! domain concept: they carry keys only the TypeScript side uses (`clusterFactor`, `device`) and map onto
//! each domain crate's own options type, so the domain crates stay free of serde and of config names.
//! `test/spec-boundary.test.ts` hands every default config and every enum variant of the zod schema
//! through these structs, so a key renamed on either side fails that test.

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// `data.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataKind {
    Cluster,
    Population,
    Manifold,
    /// The user's own points, read by TypeScript (`data.path`); Rust builds no stream for it.
    File,
}

/// `data.labels` (file data only): the file's labels, a teacher's, or whichever the file allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelsName {
    Auto,
    File,
    Teacher,
}

/// A key that is required but may be `null` (serde would otherwise take a missing `Option` as `None`,
/// and the boundary's rule is that every key is present).
fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// `data.sampler`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampler {
    Exact,
    GrowCut,
}

/// `data.embedder`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Embedder {
    Naive,
    Branching,
}

/// `data.placement`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlacementName {
    Separated,
    Overlapping,
}

/// `data.manifold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManifoldName {
    Cube,
    Sphere,
    Torus,
}

/// The resolved `data` section (see `ts/config/schema.ts` for what each key means). A key that a kind
/// does not use is carried and ignored.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataSpec {
    pub kind: DataKind,
    pub dimension: u32,
    pub coordination: u32,
    pub sampler: Sampler,
    pub embedder: Embedder,
    pub branches: u64,
    pub levels: u32,
    pub branch_size: u64,
    pub base_size: u64,
    pub clusters: u64,
    pub min_cluster_size: u64,
    pub max_cluster_size: u64,
    pub size_exponent: f64,
    pub placement: PlacementName,
    pub manifold: ManifoldName,
    pub manifold_dimension: u32,
    /// Sites of a naive cluster.
    pub cluster_size: u64,
    /// Used by the TypeScript resolver to derive `clusterSize`; carried, not used here.
    #[allow(dead_code)]
    pub cluster_factor: f64,
    /// File data (`kind = "file"`): read on the TypeScript side; carried, not used here.
    #[allow(dead_code)]
    #[serde(deserialize_with = "nullable")]
    pub path: Option<String>,
    #[allow(dead_code)]
    pub labels: LabelsName,
    #[allow(dead_code)]
    #[serde(deserialize_with = "nullable")]
    pub intrinsic_dimension: Option<f64>,
}

/// `teacher.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TeacherKind {
    Linear,
    Relu,
    Fourier,
}

/// `teacher.standardize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Standardize {
    Range,
    Sd,
}

/// `teacher.device`: chosen on the TypeScript side (which adapter, if any); carried, not used here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    Auto,
    Gpu,
    Cpu,
}

/// The resolved `teacher` section.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeacherSpec {
    pub kind: TeacherKind,
    pub depth: u32,
    pub width: u32,
    pub sigma_w: f64,
    pub sigma_b: f64,
    pub terms: u32,
    pub max_freq: u32,
    pub standardize: Standardize,
    pub scale: f64,
    /// Whether one teacher is drawn per cluster; the wasm model follows the `ids` it is given.
    #[allow(dead_code)]
    pub per_cluster: bool,
    #[allow(dead_code)]
    pub device: Device,
    /// Absent (or null): no vetting.
    #[serde(default)]
    pub min_nonlinearity: Option<f64>,
    pub max_draws: u32,
    pub repetitions: u32,
}

/// Parses a spec's JSON; the error is one line, `<what>: <serde's message>` (which names the key or
/// value and, for an unknown key, the keys allowed), without serde_json's "at line 1 column N".
pub fn parse<T: DeserializeOwned>(what: &str, json: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|e| {
        let text = e.to_string();
        let text = text.rfind(" at line ").map_or(text.as_str(), |at| &text[..at]);
        format!("{what}: {}", text.replace('\n', " "))
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const DATA: &str = r#"{"kind":"cluster","dimension":16,"coordination":32,"sampler":"exact","embedder":"naive",
        "branches":100,"levels":1,"branchSize":680,"baseSize":6800,"clusters":2000,"minClusterSize":10,
        "maxClusterSize":100000,"sizeExponent":2.5,"placement":"separated","manifold":"cube",
        "manifoldDimension":4,"clusterSize":1700000,"clusterFactor":50,"path":null,"labels":"auto",
        "intrinsicDimension":null}"#;
    const TEACHER: &str = r#"{"kind":"linear","depth":2,"width":100,"sigmaW":1.4142135623730951,"sigmaB":0,
        "terms":20,"maxFreq":1,"standardize":"range","scale":1,"perCluster":false,"device":"auto",
        "maxDraws":100,"repetitions":200}"#;

    #[test]
    fn resolved_sections_parse_by_their_config_names() {
        let d: DataSpec = parse("data spec", DATA).unwrap();
        assert_eq!((d.kind, d.sampler, d.min_cluster_size, d.cluster_size), (DataKind::Cluster, Sampler::Exact, 10, 1_700_000));
        let t: TeacherSpec = parse("teacher spec", TEACHER).unwrap();
        assert_eq!((t.kind, t.standardize, t.min_nonlinearity, t.sigma_w), (TeacherKind::Linear, Standardize::Range, None, 2f64.sqrt()));
        let vetted: TeacherSpec = parse("teacher spec", &TEACHER.replace("\"maxDraws\"", "\"minNonlinearity\":0.5,\"maxDraws\"")).unwrap();
        assert_eq!(vetted.min_nonlinearity, Some(0.5));
        let grow: DataSpec = parse("data spec", &DATA.replace("\"exact\"", "\"grow-cut\"")).unwrap();
        assert_eq!(grow.sampler, Sampler::GrowCut);
        let file: DataSpec = parse("data spec", &DATA.replace("\"cluster\"", "\"file\"").replace("\"path\":null", "\"path\":\"/x.npy\"").replace("\"auto\"", "\"teacher\"")).unwrap();
        assert_eq!((file.kind, file.path.as_deref(), file.labels, file.intrinsic_dimension), (DataKind::File, Some("/x.npy"), LabelsName::Teacher, None));
        // Nullable keys are still required.
        let missing = parse::<DataSpec>("data spec", &DATA.replace(",\"path\":null", "")).unwrap_err();
        assert_eq!(missing, "data spec: missing field `path`");
    }

    #[test]
    fn unknown_renamed_and_missing_keys_are_one_line_errors_naming_the_key() {
        let renamed = parse::<DataSpec>("data spec", &DATA.replace("minClusterSize", "minSize")).unwrap_err();
        assert!(renamed.starts_with("data spec: unknown field `minSize`, expected one of"), "{renamed}");
        assert!(!renamed.contains('\n') && !renamed.contains("at line"), "{renamed}");
        let extra = parse::<TeacherSpec>("teacher spec", &TEACHER.replace("\"scale\"", "\"standardization\":null,\"scale\"")).unwrap_err();
        assert!(extra.starts_with("teacher spec: unknown field `standardization`"), "{extra}");
        let missing = parse::<TeacherSpec>("teacher spec", &TEACHER.replace("\"standardize\":\"range\",", "")).unwrap_err();
        assert_eq!(missing, "teacher spec: missing field `standardize`");
        let variant = parse::<DataSpec>("data spec", &DATA.replace("\"exact\"", "\"grow\"")).unwrap_err();
        assert!(variant.starts_with("data spec: unknown variant `grow`, expected `exact` or `grow-cut`"), "{variant}");
    }
}
