//! Embeds the bundled price tables (`pricing/*.toml`) and the LiteLLM layer
//! (`pricing/litellm/*.toml` and its `manifest.json`, written by `billcast pricing update`)
//! into the binary, so `billcast` works from any directory and its prices are pinned to the
//! release.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// The `*.toml` files directly in `dir`, sorted by name (none when the folder is missing).
fn tables(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// `pub static NAME: &[(&str, &str)]` of (`prefix/file name`, text) for `files`.
fn list(out: &mut String, doc: &str, name: &str, prefix: &str, files: &[PathBuf]) {
    out.push_str(&format!(
        "/// {doc}: (file name, TOML text).\npub static {name}: &[(&str, &str)] = &[\n"
    ));
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let file = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        out.push_str(&format!(
            "    (\"{prefix}/{file}\", include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    out.push_str("];\n");
}

fn main() {
    println!("cargo:rerun-if-changed=pricing");
    println!("cargo:rerun-if-changed=pricing/litellm");
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let pricing = root.join("pricing");
    let layer = pricing.join("litellm");
    let mut out = String::new();
    list(
        &mut out,
        "Bundled first-party price tables",
        "BUNDLED",
        "pricing",
        &tables(&pricing),
    );
    list(
        &mut out,
        "The LiteLLM layer's tables",
        "LITELLM_TABLES",
        "pricing/litellm",
        &tables(&layer),
    );
    let manifest = layer.join("manifest.json");
    println!("cargo:rerun-if-changed={}", manifest.display());
    out.push_str("/// The LiteLLM layer's manifest (absent when the layer was never generated).\n");
    if manifest.is_file() {
        out.push_str(&format!(
            "pub static LITELLM_MANIFEST: Option<&str> = Some(include_str!({:?}));\n",
            manifest.display().to_string()
        ));
    } else {
        out.push_str("pub static LITELLM_MANIFEST: Option<&str> = None;\n");
    }
    let dest =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled_pricing.rs");
    fs::write(dest, out).expect("write bundled_pricing.rs");
}
