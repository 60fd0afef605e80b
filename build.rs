use std::path::PathBuf;

fn main() {
    napi_build::setup();
    hot_text();
}

/// Hands `link/hot-text.ld` to the linker when the addon is built for x86_64 Linux: the
/// functions a running adapter executes, placed side by side in a section of their own, so
/// that the kernel's fault-around (64 KiB of a library's code mapped around each page touched)
/// makes about half as much of the binary resident (see `scripts/hot-text.js`, which writes
/// the script, and docs/performance.md, "Resident code").
///
/// Only for `x86_64-unknown-linux-gnu`, where it was measured with Rust's own `rust-lld` (the
/// default linker there since Rust 1.90; GNU ld also reads an `INSERT` script). The layout
/// changes no behaviour; `AUTHJS_HOT_TEXT=off` builds without it (e.g. for a linker that
/// cannot read it, such as mold or gold).
fn hot_text() {
    println!("cargo:rerun-if-changed=link/hot-text.ld");
    println!("cargo:rerun-if-env-changed=AUTHJS_HOT_TEXT");
    let target = std::env::var("TARGET").unwrap_or_default();
    let disabled = std::env::var("AUTHJS_HOT_TEXT").is_ok_and(|v| v == "off");
    if target != "x86_64-unknown-linux-gnu" || disabled {
        return;
    }
    let script = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("link")
        .join("hot-text.ld");
    if script.is_file() {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-T,{}", script.display());
    }
}
