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
export CARGO_TERM_COLOR=never
