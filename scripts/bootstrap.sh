#!/usr/bin/env bash
# Installs what building and testing need, idempotently (skips what is present):
# Debian's wasm-capable Rust toolchain and Chromium, the wasm-bindgen CLI pinned in Cargo.toml and
# wasm-pack (built once per machine into ~/.cache/percolab), and the npm dependencies from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'bootstrap: %s\n' "$*" >&2; }

# rustc-web/cargo-web/rust-web-src >= 1.96 (bookworm-security) build std for wasm32 from source; lld-22
# links it; wabt lets the build check the SIMD opcodes; chromium runs the browser tests; the EGL/Mesa
# packages give Dawn (the webgpu package) its OpenGL ES software adapter, llvmpipe.
APT_PACKAGES=(rustc-web cargo-web rust-web-src lld-22 wabt chromium libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri)
# Slurm and munge: the Slurm executor's tests start a single-node cluster (scripts/slurm/start.sh).
APT_PACKAGES+=(slurm-wlm slurmctld slurmd slurm-client munge)
# ca-certificates: cargo fetches crates.io over TLS with the system's CA bundle; minimal Debian 12 roots
# (debootstrap, the debian:12 container image) lack it, and --no-install-recommends does not pull it in.
APT_PACKAGES+=(ca-certificates)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
rust_version=$(/usr/bin/rustc --version | awk '{print $2}')
if [ "$(printf '%s\n1.96.0\n' "$rust_version" | sort -V | head -n1)" != "1.96.0" ]; then
  say "Debian's rustc-web is $rust_version; percolab needs >= 1.96 from bookworm-security"; exit 1
fi

# The wasm-bindgen CLI must be exactly the crate's version. Its own lockfile pins a webpki-roots that the
# registry no longer serves, so it resolves without --locked; the version itself is exact.
wb_version=$(sed -n 's/^wasm-bindgen *= *"=\([0-9.]*\)".*/\1/p' Cargo.toml)
cache="${PERCOLAB_CACHE:-$HOME/.cache/percolab}"
wb_root="$cache/wasm-bindgen-cli-$wb_version"
if ! "$wb_root/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $wb_version"; then
  say "building wasm-bindgen-cli $wb_version (once per machine, several minutes)"
  /usr/bin/cargo install wasm-bindgen-cli --version "=$wb_version" --root "$wb_root" --force >&2
fi

# wasm-pack drives the wasm build (scripts/build.mjs), at the version scripts/toolchain.mjs pins. From
# crates.io with Debian's cargo: its npm package downloads a binary from GitHub. 2.5-10 minutes once on 2
# cores, depending on load (bench/results/package.json).
wp_version=$(node --input-type=module -e "import { wasmPackVersion } from './scripts/toolchain.mjs'; console.log(wasmPackVersion)")
wp_root="$cache/wasm-pack-$wp_version"
if ! "$wp_root/bin/wasm-pack" --version 2>/dev/null | grep -qx "wasm-pack $wp_version"; then
  say "building wasm-pack $wp_version (once per machine, a few minutes)"
  /usr/bin/cargo install wasm-pack --version "=$wp_version" --locked --root "$wp_root" --force >&2
fi

# `npm install`, not `npm ci`: the registry here serves no other-platform optional binaries (rollup's),
# so the lockfile cannot list them and `npm ci` refuses it. With the lockfile present, `npm install`
# still installs exactly the locked versions.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm install --no-audit --no-fund >&2
fi
