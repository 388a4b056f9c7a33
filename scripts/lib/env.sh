# Sourced by the project scripts: one place that says which toolchain builds what.
# On a machine where rustup cannot fetch the wasm32 target, Debian's rustc-web
# toolchain (with a wasm32 std built by scripts/setup) builds everything, so native
# and wasm artifacts come from one compiler and share one target directory.
if [ "${KLINK_WASM_TOOLCHAIN:-}" != debian ] && command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  :
elif [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then
  export PATH="/usr/bin:$HOME/.cargo/bin:$PATH"
  export CARGO=/usr/bin/cargo RUSTC=/usr/bin/rustc
  unset RUSTUP_TOOLCHAIN
fi
case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) export PATH="$PATH:$HOME/.cargo/bin" ;; esac
# The wasm32 linker, named explicitly. rustc looks for `rust-lld`, which rustup's toolchains
# bundle but Debian's rustc-web does not: on a fresh Debian machine nothing provides it. Debian's
# lld-22 (installed by scripts/setup) ships the same linker as `wasm-ld-22`, and it links for
# rustup's compiler as well, so every wasm build uses it.
if [ -z "${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER:-}" ] && command -v wasm-ld-22 >/dev/null 2>&1; then
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22
fi
export CARGO_TERM_COLOR=never
