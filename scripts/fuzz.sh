#!/usr/bin/env bash
# Fuzz release-tool for a fixed budget per target (default 60 s each) with cargo-fuzz on the
# nightly toolchain. Not part of CI. Usage:
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Targets: pyproject_edit, version_bump, config_load (all by default). Each run seeds from
# tests/fixtures/pyproject/ (pyproject_edit, config_load) and fuzz/seeds/<target>/, and keeps what
# it finds in fuzz/corpus/<target>/ (git-ignored) for the next run. A crash stops the script with
# the failing input in fuzz/artifacts/<target>/; reproduce it with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>`, fix it, and keep the input
# as a unit test in the module it broke (see docs/development.md, "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${1:-60}
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(pyproject_edit version_bump config_load)

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: needs the nightly toolchain (rustup toolchain install nightly)" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: needs cargo-fuzz (cargo install cargo-fuzz --locked)" >&2
  exit 2
fi

seeds() {
  case "$1" in
    pyproject_edit) echo "tests/fixtures/pyproject" ;;
    version_bump) echo "fuzz/seeds/version_bump" ;;
    config_load) echo "tests/fixtures/pyproject fuzz/seeds/config_load" ;;
    *) echo "fuzz.sh: unknown target $1" >&2; exit 2 ;;
  esac
}

# Build every target once up front (debug assertions on: an integer overflow is a crash too).
cargo +nightly fuzz build --debug-assertions

for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  printf '::: fuzzing %s for %ss\n' "$target" "$budget" >&2
  # shellcheck disable=SC2046 # the seed directories are words
  cargo +nightly fuzz run --debug-assertions "$target" "$corpus" $(seeds "$target") -- \
    -max_total_time="$budget" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
done
