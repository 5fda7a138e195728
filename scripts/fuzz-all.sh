#!/usr/bin/env bash
# Runs every native Go fuzz target in the module for $FUZZTIME (default 4s)
# each. Fails on the first crasher; its input is left under testdata/fuzz.
#
# Go 1.26's fuzz coordinator can end a duration-bounded run with a bare
# "context deadline exceeded" and no crasher when a worker is still busy at
# the deadline (golang/go#75804, fixed in Go 1.27). Such a run is retried;
# only a run that writes a failing input, or fails otherwise, fails.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-4s}
count=0
log=/tmp/fuzz.$$.log
trap 'rm -f "$log"' EXIT
fuzz_one() { # pkg target
  for attempt in 1 2 3; do
    if go test -run '^$' -fuzz "^${2}\$" -fuzztime "$fuzztime" "$1" >"$log" 2>&1; then
      return 0
    fi
    if grep -q 'Failing input written to' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
      cat "$log"
      return 1
    fi
    echo "  $2: the fuzz coordinator's deadline race (golang/go#75804), no crasher; attempt $attempt, retrying"
  done
  cat "$log"
  return 1
}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  grep -lq '^func Fuzz' "$dir"/*_test.go 2>/dev/null || continue
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "fuzz $pkg $target ($fuzztime)"
    fuzz_one "$pkg" "$target" || exit 1
    count=$((count + 1))
  done
done
echo "fuzz: $count targets passed"
