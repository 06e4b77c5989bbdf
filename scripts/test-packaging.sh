#!/usr/bin/env bash
# Builds and tests libflowbb's C interface and its packaging end to end:
#   1. configure and build with CMake (cargo builds the Rust library, release);
#   2. ctest: the C and C++ tests, plainly and under AddressSanitizer;
#   3. install into a temporary prefix;
#   4. build a C consumer (find_package(flowbb CONFIG), shared and static) and a
#      C++ consumer (pkg-config) against it, and round-trip real photographs;
#   5. go test of the Go package (also with GOGC=1 and -tags flowbb_debug) and
#      the Go example;
#   6. build the .deb with CPack, install it with dpkg -i, build the C consumer
#      against /usr, then remove the package again.
# Needs cmake, a C/C++ compiler, pkg-config, go, ImageMagick (for the test
# photographs) and root for dpkg (step 6 is skipped with FLOWBB_SKIP_DEB=1).
# The build folder is build/packaging unless FLOWBB_BUILD_DIR says otherwise;
# FLOWBB_CMAKE_ARGS adds configure options (e.g. -DFLOWBB_CARGO_PROFILE=dev).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
build="${FLOWBB_BUILD_DIR:-$root/build/packaging}"
work="$(mktemp -d "${TMPDIR:-/tmp}/flowbb-packaging.XXXXXX")"
deb_installed=0

step() { printf '\n\033[1m[test-packaging]\033[0m %s\n' "$*"; }
cleanup() {
  if [ "$deb_installed" = 1 ]; then
    dpkg -r libflowbb-dev >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export GOPROXY=off

step "configure and build ($build)"
# shellcheck disable=SC2086 # FLOWBB_CMAKE_ARGS holds several arguments
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release ${FLOWBB_CMAKE_ARGS:-}
cmake --build "$build" -j2

step "ctest: plain"
ctest --test-dir "$build" -L plain --output-on-failure
step "ctest: AddressSanitizer"
ctest --test-dir "$build" -L asan --output-on-failure

step "install into $work/prefix"
cmake --install "$build" --prefix "$work/prefix"
prefix="$work/prefix"

step "test photographs"
magick=""
for cand in magick convert-im6.q16 convert; do
  if command -v "$cand" >/dev/null && "$cand" -version 2>/dev/null | grep -q ImageMagick; then
    magick="$(command -v "$cand")"
    break
  fi
done
if [ -z "$magick" ]; then
  echo "ImageMagick is needed for the test photographs (scripts/setup.sh installs it)" >&2
  exit 1
fi
mkdir -p "$work/images"
"$magick" rose: "$work/images/rose.ppm"
"$magick" rose: -colorspace gray "$work/images/rose_gray.pgm"
"$magick" granite: -crop 40x24+10+20 +repage "$work/images/granite.ppm"
images="$work/images/rose.ppm;$work/images/rose_gray.pgm;$work/images/granite.ppm"

step "C consumer: find_package(flowbb CONFIG), shared and static"
cmake -S tests/consumers/c -B "$work/consumer-c" -DCMAKE_PREFIX_PATH="$prefix" \
  -DFLOWBB_TEST_IMAGES="$images"
cmake --build "$work/consumer-c" -j2
ctest --test-dir "$work/consumer-c" --output-on-failure

step "C++ consumer: pkg-config"
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" cmake -S tests/consumers/cpp -B "$work/consumer-cpp" \
  -DFLOWBB_TEST_IMAGES="$images"
cmake --build "$work/consumer-cpp" -j2
ctest --test-dir "$work/consumer-cpp" --output-on-failure

step "go test"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export FLOWBB_TEST_IMAGES="${images//;/:}"
(cd bindings/go && go vet ./... && go test -count=1 ./...)
step "go test with GOGC=1 -tags flowbb_debug"
(cd bindings/go && GOGC=1 go test -count=1 -tags flowbb_debug ./...)
step "Go example"
(cd examples/go && go build -o "$work/roundtrip-go" . &&
  "$work/roundtrip-go" default "$work/images/rose.ppm" "$work/rose-go.fbb" "$work/rose-go.ppm")
unset PKG_CONFIG_PATH

if [ "${FLOWBB_SKIP_DEB:-0}" = 1 ]; then
  step "Debian package skipped (FLOWBB_SKIP_DEB=1)"
  echo "test-packaging: all steps passed (without the Debian package)"
  exit 0
fi
step "Debian package"
(cd "$build" && cpack -G DEB -B "$work/deb")
deb="$(ls "$work"/deb/*.deb)"
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb" | tee "$work/deb-contents.txt"
for f in ./usr/include/flowbb.h ./usr/include/flowbb.hpp ./usr/lib/libflowbb.so.1 \
  ./usr/lib/libflowbb.a ./usr/lib/pkgconfig/flowbb.pc ./usr/lib/cmake/flowbb/flowbbConfig.cmake; do
  grep -q " $f" "$work/deb-contents.txt" || { echo "$f missing from $deb" >&2; exit 1; }
done
if dpkg -s libflowbb-dev >/dev/null 2>&1; then
  echo "libflowbb-dev is already installed; not touching it" >&2
  exit 1
fi
dpkg -i "$deb"
deb_installed=1
cmake -S tests/consumers/c -B "$work/consumer-deb" -DFLOWBB_TEST_IMAGES="$images"
cmake --build "$work/consumer-deb" -j2
ctest --test-dir "$work/consumer-deb" --output-on-failure
pkg-config --modversion flowbb
dpkg -r libflowbb-dev
deb_installed=0
echo "test-packaging: all steps passed"
