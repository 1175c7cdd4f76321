//! docs/platforms.md is generated from the tables; this fails when it drifts.
//! Regenerate with `XX_BLESS=1 cargo test -p xx-platform --test docs`.

use std::path::Path;

#[test]
fn platforms_page_matches_the_tables() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/platforms.md");
    let generated = xx_platform::docs::platforms_markdown();
    if std::env::var_os("XX_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/platforms.md");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/platforms.md is out of date; run XX_BLESS=1 cargo test -p xx-platform --test docs"
    );
}
