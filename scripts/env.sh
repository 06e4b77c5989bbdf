# Source this file to build against the project-local libtorch:  . scripts/env.sh
# It puts the virtual environment first on PATH so that torch-sys finds torch 2.13.0 there.
_flowbb_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export PATH="$_flowbb_root/.venv/bin:$PATH"
export LIBTORCH_USE_PYTORCH=1
export LIBTORCH_BYPASS_VERSION_CHECK="${LIBTORCH_BYPASS_VERSION_CHECK:-0}"
_torch_lib="$_flowbb_root/.venv/lib/python3*/site-packages/torch/lib"
for d in $_torch_lib; do export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; done
unset _flowbb_root _torch_lib d
