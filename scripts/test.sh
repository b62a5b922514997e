#!/usr/bin/env bash
# Every test: Rust crates natively, TypeScript type check, then the vitest suites (units, CLI, wasm
# kernels through the built bundles, and the browser run in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/cargo test --workspace --profile release-tests --locked
# The threaded build of the students, natively: results must not depend on the thread count.
/usr/bin/cargo test -p percolab-students --profile release-tests --locked --features threads
# Local-linear k-NN fits run per chunk of queries on rayon's pool: the same numbers as one thread.
/usr/bin/cargo test -p percolab-neighbors --profile release-tests --locked --features threads --test local
# Depth-first blocks decoded and placed by a team of two threads, normals in pieces: the rows of one thread.
/usr/bin/cargo test -p percolab-embedding -p percolab-random --profile release-tests --locked --features threads --lib -- depth_first normals team
# MLE log sums on rayon's pool: the bits of a plain loop.
/usr/bin/cargo test -p percolab-estimators --profile release-tests --locked --features threads --lib -- mle_sums_are_the_sequential_ones
# Capacity draws run on rayon's pool: the same bits for any thread count.
/usr/bin/cargo test -p percolab-capacity --profile release-tests --locked --features threads --test known_answers
npx tsc --noEmit -p .
status=0
npx vitest run --reporter=default --reporter=json --outputFile=target/vitest.json || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("target/vitest.json", "utf8"));
  // A file that fails to load fails no test: count the failed files too.
  const files = r.testResults.length, failedFiles = r.testResults.filter((f) => f.status !== "passed").length;
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed; ${files} files, ${failedFiles} failed`);
' || true
exit $status
