//! Helpers shared by the integration tests: the binary, the bundled real traces, the test
//! price table, temporary scenario files and checks on rendered charts and pages.

use std::io::Write;
use std::path::PathBuf;

use billcast::pricing::PriceBook;

/// The bundled real traces (`data/real`).
pub const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/real");

/// The `billcast` binary under test.
pub fn billcast() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("billcast").expect("binary built")
}

/// The flat test price table (`tests/data/flat-prices.toml`: round numbers for closed forms).
pub fn book() -> PriceBook {
    PriceBook::load(&[PathBuf::from("tests/data/flat-prices.toml")]).expect("test prices load")
}

/// Writes `text` to `name` in `dir` and returns its path.
pub fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    let mut f = std::fs::File::create(&p).expect("temp file");
    f.write_all(text.as_bytes()).expect("write");
    p
}

/// Width and height of a PNG, from its IHDR chunk (checks the signature first).
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "PNG starts with IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// A page that loads nothing from elsewhere: no scripts, stylesheets, images or frames, no
/// external URL in any attribute or CSS.
pub fn assert_self_contained(page: &str) {
    let lower = page.to_lowercase();
    for bad in ["<script", "<link", "<img", "<iframe", "@import"] {
        assert!(!lower.contains(bad), "page contains {bad}");
    }
    for attr in ["src=", "href=", "url("] {
        for scheme in ["http:", "https:", "//"] {
            for q in ["\"", "'", ""] {
                let bad = format!("{attr}{q}{scheme}");
                assert!(!lower.contains(&bad), "external fetch: {bad}");
            }
        }
    }
}
