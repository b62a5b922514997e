#!/usr/bin/env bash
# Times the quick start (`npm start`, optionally `npm test`) on a truly fresh Debian 12 (bookworm) root:
# debootstrap (default variant) into a scratch folder, Node 20 copied in from this host (the README's
# precondition; Debian's own nodejs is 18), the repo cloned at COMMIT, then `npm start` run inside it by
# chroot as root with a clean environment. Every line `npm start` prints is timestamped; the bootstrap's
# `bootstrap: ...` phases, the build and the default experiment are timed from them. Writes OUT (JSON).
#
# Reproduce (as root, on the host; measured 11-16 min for debootstrap and npm start on 2 shared cores,
# with --test 7.5 min more; bench/results/bootstrap.json):
#   nice -n 10 bash scripts/bench/bootstrap.sh --test
# Options:
#   --commit REV     what to clone (default: HEAD of this repo)
#   --scratch DIR    where the root goes (default: a new folder under /var/tmp; it needs ~5 GB)
#   --out FILE       result JSON (default: bench/results/bootstrap.json)
#   --test           also run `npm test` inside the root, timed
#   --keep           keep the root afterwards (its mounts are undone either way)
#   --note TEXT      a note stored in the JSON (e.g. what else ran on the machine)
#   --no-site-ca     do not copy this host's extra CA certificates (its TLS-intercepting proxy's) into the root
# Needs root, debootstrap (apt-get install debootstrap), perl (timestamps), and reaches deb.debian.org,
# the npm registry and crates.io, nothing else.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
commit=HEAD scratch="" out="$repo/bench/results/bootstrap.json" run_test=0 keep=0 note="" site_ca=1
while (($#)); do
  case $1 in
    --commit) commit=$2; shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --test) run_test=1; shift ;;
    --keep) keep=1; shift ;;
    --note) note=$2; shift 2 ;;
    --no-site-ca) site_ca=0; shift ;;
    *) echo "usage: $0 [--commit REV] [--scratch DIR] [--out FILE] [--test] [--keep] [--note TEXT] [--no-site-ca]" >&2; exit 2 ;;
  esac
done
say() { printf 'bench-bootstrap: %s\n' "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "must run as root (debootstrap, mount, chroot)"; exit 1; }
command -v debootstrap >/dev/null || { say "debootstrap is missing: apt-get install debootstrap"; exit 1; }
command -v perl >/dev/null || { say "perl is missing"; exit 1; }
commit=$(git -C "$repo" rev-parse --verify "$commit^{commit}")
[ -n "$scratch" ] || scratch=$(mktemp -d /var/tmp/percolab-boot.XXXXXX)
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
case $scratch in /|/dev*|/proc*|/sys*|/run*|/work|/var/tmp|/tmp|/root|/home) say "refusing scratch folder $scratch"; exit 1 ;; esac
root="$scratch/root"
logs="$scratch/logs"
[ ! -e "$root" ] || { say "$root exists: choose an empty scratch folder"; exit 1; }
mkdir -p "$logs"
now() { date +%s.%N; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# --- mounts, undone on any exit (reverse order), and a guarded removal --------------------------------
mounted=()
under_root() { findmnt -rn -o TARGET | awk -v r="$root" 'index($0, r "/") == 1 || $0 == r'; }
chroot_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && echo "${p#/proc/}"
  done
  return 0
}
cleanup() {
  local rc=$? pid i
  set +e
  # Processes left inside the root (munged, slurmd, chromium started by the tests): by process id.
  for pid in $(chroot_pids); do say "killing leftover pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))"; kill "$pid"; done
  sleep 1
  for pid in $(chroot_pids); do kill -9 "$pid"; done
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[i]}" || { sleep 2; umount -R "${mounted[i]}"; } || say "could not unmount ${mounted[i]}"
  done
  if [ -n "$(under_root)" ]; then
    say "still mounted under $root, NOT removing it:"; under_root >&2
  elif ((keep)); then
    say "kept $root (logs in $logs)"
  elif [ -d "$root" ]; then
    rm -rf --one-file-system "$root"
    say "removed $root (logs kept in $logs)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mnt() { mount "$@"; mounted+=("${@: -1}"); mount --make-rprivate "${@: -1}"; }

# --- the fresh root ------------------------------------------------------------------------------------
load_start=$(loadavg)
t0=$(now)
say "debootstrap bookworm (default variant) into $root"
debootstrap bookworm "$root" http://deb.debian.org/debian >"$logs/debootstrap.log" 2>&1 || { tail -20 "$logs/debootstrap.log" >&2; exit 1; }
t1=$(now)
cat >"$root/etc/apt/sources.list" <<'EOF'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
cp /etc/resolv.conf /etc/hosts "$root/etc/"
# Node 20 from the host (the README's precondition "Node >= 20"): the binary and npm, with npm/npx links.
cp /usr/bin/node "$root/usr/bin/node"
mkdir -p "$root/usr/lib/node_modules"
cp -a /usr/lib/node_modules/npm "$root/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
# This workplace reaches the internet through a TLS-intercepting egress proxy whose CA every machine of
# this kind trusts: its certificates (the host's /usr/local/share/ca-certificates) go into the root, where
# ca-certificates, once the bootstrap installs it, adds them to /etc/ssl/certs; Node is pointed at that
# bundle by NODE_EXTRA_CA_CERTS as on this host. --no-site-ca leaves them out (a machine on the open internet).
if ((site_ca)) && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
else
  site_ca=0
fi
git clone -q --no-hardlinks "$repo" "$root/root/percolab"
git -C "$root/root/percolab" checkout -q --detach "$commit"
dpkg_count=$(chroot "$root" dpkg-query -W -f='.\n' | wc -l)

mnt --bind /proc "$root/proc"
# /sys recursively: slurmd (started by the Slurm executor's tests) needs the cgroup mounts under /sys/fs/cgroup.
mnt --rbind /sys "$root/sys"
mnt --bind /dev "$root/dev"
mnt --bind /dev/pts "$root/dev/pts"
mnt -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"

# Runs a command in the root as a fresh login would: root, HOME=/root, a clean environment; every output
# line timestamped (epoch seconds, then o/e for stdout/stderr) into LOG. Returns the command's status.
in_root() {
  local log=$1; shift
  set +e
  local extra=()
  ((site_ca)) && extra+=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
  env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 "${extra[@]}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    chroot "$root" /bin/bash -c "cd /root/percolab && $*" \
    > >(perl -MTime::HiRes=time -ne '$|=1; printf "%.3f o %s", time, $_' >>"$log") \
    2> >(perl -MTime::HiRes=time -ne '$|=1; printf "%.3f e %s", time, $_' | tee -a "$log" | grep --line-buffered -E ' e (bootstrap|build): ' | cut -d' ' -f3- >&2)
  local rc=$?
  set -e
  sleep 1 # let the timestamping pipes drain
  return $rc
}

say "npm start (logs: $logs/start.log)"
ts=$(now)
start_rc=0; in_root "$logs/start.log" npm start || start_rc=$?
te=$(now)
say "npm start exited $start_rc after $(awk -v a="$ts" -v b="$te" 'BEGIN { printf "%.0f", b - a }') s"

test_rc="" tt0="" tt1=""
if ((run_test)) && ((start_rc == 0)); then
  say "npm test (logs: $logs/test.log)"
  tt0=$(now)
  test_rc=0; in_root "$logs/test.log" npm test || test_rc=$?
  tt1=$(now)
  say "npm test exited $test_rc"
fi
load_end=$(loadavg)
printf '%s\n' "T0=$t0" "T1=$t1" "TS=$ts" "TE=$te" "START_RC=$start_rc" "TT0=$tt0" "TT1=$tt1" "TEST_RC=$test_rc" \
  "LOAD_START='$load_start'" "LOAD_END='$load_end'" "COMMIT=$commit" "DPKG_COUNT=$dpkg_count" "SITE_CA=$site_ca" >"$logs/times.env"

# --- the result ----------------------------------------------------------------------------------------
T0=$t0 T1=$t1 TS=$ts TE=$te START_RC=$start_rc TT0=$tt0 TT1=$tt1 TEST_RC=$test_rc LOGS=$logs \
SITE_CA=$site_ca LOAD_START=$load_start LOAD_END=$load_end COMMIT=$commit NOTE=$note DPKG_COUNT=$dpkg_count OUT=$out \
node --input-type=module -e '
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
const E = process.env, r3 = (x) => Math.round(x * 1000) / 1000;
const read = (f) => existsSync(f) ? readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => {
  const [t, s, ...rest] = l.split(" "); return { t: +t, s, text: rest.join(" ") };
}) : [];
const start = read(`${E.LOGS}/start.log`);
// Phase k runs from its `bootstrap:` line to the next marker (the next bootstrap line, or the first build line).
const names = [
  [/installing Debian packages/, "apt_packages"], [/building wasm-bindgen-cli/, "wasm_bindgen_cli"],
  [/building wasm-pack/, "wasm_pack"], [/installing npm dependencies/, "npm_install"],
];
const boot = start.filter((l) => l.s === "e" && l.text.startsWith("bootstrap: "));
const buildLines = start.filter((l) => l.s === "e" && l.text.startsWith("build: "));
const buildStart = buildLines[0]?.t, buildDone = buildLines.find((l) => l.text.startsWith("build: done"))?.t;
const phases = {};
boot.forEach((l, i) => {
  const name = names.find(([re]) => re.test(l.text))?.[1] ?? l.text;
  const end = boot[i + 1]?.t ?? buildStart ?? +E.TE;
  phases[name] = { seconds: r3(end - l.t), line: l.text.replace(/^bootstrap: /, "") };
});
const ts = +E.TS, te = +E.TE;
const bootstrapEnd = buildStart ?? te;
const lastOut = start.filter((l) => l.s === "o").slice(-3).map((l) => l.text);
let test = null;
if (E.TT0) {
  const lines = read(`${E.LOGS}/test.log`);
  const vit = lines.map((l) => l.text.match(/^vitest: (\d+) passed, (\d+) failed/)).find(Boolean);
  let cp = 0, cf = 0;
  for (const l of lines) { const m = l.text.match(/^test result: \w+\. (\d+) passed; (\d+) failed/); if (m) { cp += +m[1]; cf += +m[2]; } }
  const line = (re) => lines.map((l) => l.text.trim()).find((t) => re.test(t)) ?? null;
  const tb = lines.find((l) => l.s === "e" && l.text.startsWith("build: done"))?.t;
  test = {
    exit_status: +E.TEST_RC, seconds: r3(+E.TT1 - +E.TT0),
    bootstrap_and_build_seconds: tb ? r3(tb - +E.TT0) : null, tests_seconds: tb ? r3(+E.TT1 - tb) : null,
    cargo: { passed: cp, failed: cf }, vitest: vit ? { passed: +vit[1], failed: +vit[2], test_files: line(/^Test Files /), tests: line(/^Tests /) } : null,
  };
}
const cpus = os.cpus();
const result = {
  what: "The quick start on a fresh Debian 12 root (debootstrap, default variant) with Node 20 copied in: `npm start` (and `npm test`) inside it by chroot as root, clean environment, nice -n 10. Phase seconds are the wall-clock time from one `bootstrap:` line on stderr to the next marker.",
  command: "nice -n 10 bash scripts/bench/bootstrap.sh" + (E.TT0 ? " --test" : ""),
  date: new Date(+E.T0 * 1000).toISOString(),
  commit: E.COMMIT,
  machine: { cpus: cpus.length, model: cpus[0]?.model, memory_gib: r3(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version },
  load_average: { start: E.LOAD_START.split(" ").map(Number), end: E.LOAD_END.split(" ").map(Number) },
  note: E.NOTE || undefined,
  site_ca: E.SITE_CA === "1" ? "the host TLS-intercepting proxy CA copied into /usr/local/share/ca-certificates; NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" : "none",
  debootstrap: { variant: "default", suite: "bookworm", seconds: r3(+E.T1 - +E.T0), packages: +E.DPKG_COUNT },
  npm_start: {
    exit_status: +E.START_RC,
    seconds: r3(te - ts),
    bootstrap_seconds: r3(bootstrapEnd - ts),
    bootstrap_phases: phases,
    build_seconds: buildStart && buildDone ? r3(buildDone - buildStart) : null,
    experiment_seconds: buildDone ? r3(te - buildDone) : null,
    last_lines: lastOut,
  },
  npm_test: test ?? undefined,
};
writeFileSync(E.OUT, JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify(result, null, 2));
'
say "wrote $out"
exit "$start_rc"
