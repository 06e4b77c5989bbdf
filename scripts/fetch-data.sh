#!/usr/bin/env bash
# Fetches the photographs that the models are trained and tested on, then builds the data sets.
#
#   scripts/fetch-data.sh [DATA_DIR]      (default: data/ at the repository root)
#
# Training photographs come from Debian packages (downloaded and unpacked, never installed);
# development-test photographs come from two Python wheels (downloaded, images unzipped).
# Nothing here is committed: DATA_DIR is ignored by git. Every step is skipped when its output
# already exists, so the script can be rerun after an interruption.
#
# Environment: FLOWBB (path of the flowbb binary; default: build it with cargo in release mode),
# PYTHON (interpreter whose pip downloads the wheels; default .venv/bin/python or python3),
# WITH_PLASMA=0 to leave out the plasma-workspace-wallpapers photographs (94 MB).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${1:-$root/data}"
mkdir -p "$data"
data="$(cd "$data" && pwd)"
raw="$data/raw"
mkdir -p "$raw/debs" "$raw/unpacked" "$raw/wheels" "$raw/train" "$raw/test"

# ---------------------------------------------------------------------------------------------
# Training photographs: Debian packages.
packages=(scratch mate-backgrounds lomiri-wallpapers-16.04 lxqt-themes palapeli-data)
if [[ "${WITH_PLASMA:-1}" == 1 ]]; then
    packages+=(plasma-workspace-wallpapers)
fi

missing=()
for p in "${packages[@]}"; do
    if ! ls "$raw/debs/${p}_"*.deb >/dev/null 2>&1; then
        missing+=("$p")
    fi
done
if ((${#missing[@]})); then
    if ! apt-cache show "${missing[0]}" >/dev/null 2>&1; then
        echo "apt lists have no ${missing[0]}: running apt-get update" >&2
        apt-get update -qq
    fi
    (cd "$raw/debs" && apt-get download "${missing[@]}")
fi

for p in "${packages[@]}"; do
    dest="$raw/unpacked/$p"
    if [[ ! -d "$dest" ]]; then
        deb="$(ls "$raw/debs/${p}_"*.deb | head -n 1)"
        dpkg -x "$deb" "$dest.tmp"
        mv "$dest.tmp" "$dest"
    fi
done

# Copies one photograph into raw/train under a name that keeps its source package.
take() {
    local src="$1" name="$2"
    local out="$raw/train/$name"
    [[ -e "$out" ]] || cp "$src" "$out"
}

# scratch: photographs of 480x360; the drawn backgrounds are skipped.
scratch_skip=" party-room room1 room2 room3 spotlight-stage woods-and-bench school2 brick-wall1 moon "
for f in "$raw"/unpacked/scratch/usr/share/scratch/Media/Backgrounds/*/*.jpg; do
    base="$(basename "$f" .jpg)"
    [[ "$scratch_skip" == *" $base "* ]] && continue
    take "$f" "scratch-$base.jpg"
done

for f in "$raw"/unpacked/mate-backgrounds/usr/share/backgrounds/mate/nature/*.jpg; do
    take "$f" "mate-$(basename "$f")"
done

# lomiri: the artwork (umang_*) is skipped.
for f in "$raw"/unpacked/lomiri-wallpapers-16.04/usr/share/backgrounds/*.jpg; do
    base="$(basename "$f")"
    [[ "$base" == umang_* ]] && continue
    take "$f" "lomiri-$base"
done

for base in Butterfly-Kenneth-Wimer.jpg Valendas.png after-the-rain.jpg appleflower.png beam.png \
    butterfly.png cloud.png drop.png flowers.png fog.jpg this-is-not-windows.jpg; do
    f="$raw/unpacked/lxqt-themes/usr/share/lxqt/wallpapers/$base"
    [[ -e "$f" ]] && take "$f" "lxqt-$base"
done

for base in castle-maintenon cincinnati-bridge citrus-fruits european-honey-bee \
    panther-chameleon-female; do
    f="$raw/unpacked/palapeli-data/usr/share/palapeli/collection/$base.jpg"
    [[ -e "$f" ]] && take "$f" "palapeli-$base.jpg"
done

if [[ "${WITH_PLASMA:-1}" == 1 ]]; then
    for name in BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Kite \
        OneStandsOut Path summer_1am; do
        f="$raw/unpacked/plasma-workspace-wallpapers/usr/share/wallpapers/$name/contents/images/2560x1600.jpg"
        [[ -e "$f" ]] && take "$f" "plasma-$name.jpg"
    done
fi

# ---------------------------------------------------------------------------------------------
# Development-test photographs: images inside two wheels (lossless PNG origin).
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python=python3; fi
fi
if ! ls "$raw/wheels"/sporco-*.whl >/dev/null 2>&1; then
    "$python" -m pip download --quiet --no-deps --only-binary=:all: -d "$raw/wheels" \
        sporco==0.2.2.post1
fi
if ! ls "$raw/wheels"/scikit_image-*.whl >/dev/null 2>&1; then
    "$python" -m pip download --quiet --no-deps --only-binary=:all: -d "$raw/wheels" \
        scikit-image==0.26.0
fi

unzip_one() {
    local wheel="$1" member="$2" name="$3"
    local out="$raw/test/$name"
    if [[ ! -e "$out" ]]; then
        unzip -p "$wheel" "$member" >"$out.tmp"
        mv "$out.tmp" "$out"
    fi
}
sporco="$(ls "$raw/wheels"/sporco-*.whl | head -n 1)"
for name in kodim23 monarch sail tulips barbara; do
    unzip_one "$sporco" "sporco/data/$name.png" "sporco-$name.png"
done
skimage="$(ls "$raw/wheels"/scikit_image-*.whl | head -n 1)"
# motorcycle_right.png is left out: it is the stereo twin of motorcycle_left.png.
for name in astronaut chelsea coffee motorcycle_left; do
    unzip_one "$skimage" "skimage/data/$name.png" "skimage-$name.png"
done

echo "photographs: $(ls "$raw/train" | wc -l) for training, $(ls "$raw/test" | wc -l) for testing"

# ---------------------------------------------------------------------------------------------
# Data sets, built by the library's own reader (fixed seed, so rebuilding gives the same bytes).
flowbb="${FLOWBB:-}"
if [[ -z "$flowbb" ]]; then
    (cd "$root" && { [[ -f scripts/env.sh ]] && . scripts/env.sh; } &&
        CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" cargo build --release --quiet --bin flowbb)
    flowbb="$root/target/release/flowbb"
fi

build() {
    local split="$1" kind="$2" size="$3"
    shift 3
    local out="$data/$split-$kind$size.fbd"
    [[ -e "$out" ]] && return 0
    "$flowbb" data build "$raw/$split" -o "$out" --kind "$kind" --size "$size" "$@"
}
build train patches 32
build train downsampled 32
build train downsampled 64
# The test photographs are lossless: their patches are cut at their own resolution.
build test patches 32 --short-side 0
build test downsampled 32
build test downsampled 64
ls -l "$data"/*.fbd
