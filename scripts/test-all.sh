#!/usr/bin/env bash
# Runs every check and test of libflowbb on a fresh machine: installs what is missing
# (scripts/setup.sh), then formatting, lints, the pure-Rust tests (no libtorch), the full test
# suite with libtorch, and the C / C++ / Go / packaging tests when their script is present.
# Exits non-zero on the first failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_TERM_COLOR=never

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "set-up"
scripts/setup.sh
. scripts/env.sh

step "formatting"
cargo fmt --all -- --check

step "lints (pure Rust, then with libtorch)"
cargo clippy --no-default-features --lib --tests -- -D warnings
cargo clippy --all-targets -- -D warnings

step "tests without libtorch (entropy coder, archive format, image I/O, data sets)"
cargo test --no-default-features

step "all Rust tests with libtorch"
cargo test

if [ -x scripts/test-packaging.sh ]; then
  step "C ABI, C and C++ tests (plain and AddressSanitizer), install, consumers, .deb, Go"
  # The dev profile reuses what `cargo test` just compiled (a release build would compile
  # everything again); set FLOWBB_CMAKE_ARGS to test the release library instead.
  FLOWBB_CMAKE_ARGS="${FLOWBB_CMAKE_ARGS:--DFLOWBB_CARGO_PROFILE=dev}" scripts/test-packaging.sh
fi

step "all tests passed"
