# Sourced by scripts/build-npm and scripts/bench: builds a cdylib of the workspace for wasm32 the
# way the shipped engine is built, so sizes compare like with like.
#
# size_build PACKAGE sets SIZE_BUILD_WASM to the built .wasm. The size build (docs/size.md):
# std rebuilt from source with panic=immediate-abort (a panic is a bare wasm trap: no panic
# handler, no message formatting, no location strings) and without Debug formatting. It needs
# Debian's rustc-web toolchain with its std source (packages rustc-web, cargo-web, rust-web-src,
# lld-22); RUSTC_BOOTSTRAP enables the unstable flags on that stable compiler. Its own target
# directory keeps the different RUSTFLAGS from rebuilding the shared wasm artifacts of
# scripts/test-wasm. It also turns the reference-types feature off: wasm-bindgen then keeps JS
# values in a JS-side slab instead of an externref table, which is about 0.9 KB gzip smaller in
# all and runs on engines without reference types. Without that toolchain, or with
# KLINK_NPM_PLAIN_BUILD=1: the plain release build (about 7 KB gzip larger), and SIZE_BUILD_KIND
# says so. SIZE_BUILD_FEATURES lists the wasm features the result uses, for wasm_opt_size.
size_build() {
  local package=$1 root std_src=/usr/lib/rustlib/src/rust/library target_dir
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] && [ -f "$std_src/std/Cargo.toml" ] \
    && [ -f "$std_src/Cargo.lock" ] && [ "${KLINK_NPM_PLAIN_BUILD:-}" != 1 ]; then
    SIZE_BUILD_KIND="size build (Debian rustc-web, -Zbuild-std, panic=immediate-abort)"
    target_dir=$root/target/npm
    SIZE_BUILD_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
      --enable-mutable-globals --enable-multivalue)
    env -u RUSTUP_TOOLCHAIN PATH="/usr/bin:$PATH" CARGO_TARGET_DIR="$target_dir" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
      RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none -Ctarget-feature=-reference-types" \
      /usr/bin/cargo build --quiet --release --target wasm32-unknown-unknown -p "$package" --lib \
      -Zbuild-std=std,panic_abort
  else
    SIZE_BUILD_KIND="plain release build (no Debian rustc-web with std source, or KLINK_NPM_PLAIN_BUILD=1; see docs/size.md)"
    target_dir=${CARGO_TARGET_DIR:-$root/target}
    SIZE_BUILD_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
      --enable-mutable-globals --enable-reference-types --enable-multivalue)
    cargo build --quiet --release --target wasm32-unknown-unknown -p "$package" --lib
  fi
  SIZE_BUILD_WASM=$target_dir/wasm32-unknown-unknown/release/${package//-/_}.wasm
}

# wasm_opt_size IN OUT: the optimisation the shipped engine gets, allowed only the wasm features
# the last size_build used (DESIGN.md §7 lists those rustc emits by default). `--converge`
# repeats -Oz until the module stops shrinking. The two assumptions hold for rustc's output
# (docs/size.md): the memory is the module's own, so it starts zero-filled, and nothing lives
# in its first 1 KB (the stack grows down from 1 MB towards it, and data and heap lie above).
wasm_opt_size() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  "$root/node_modules/.bin/wasm-opt" --zero-filled-memory --low-memory-unused -Oz --converge \
    --strip-debug --strip-producers "${SIZE_BUILD_FEATURES[@]}" "$1" -o "$2"
}
