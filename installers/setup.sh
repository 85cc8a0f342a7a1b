#!/usr/bin/env bash
# One-step set-up for a fresh Debian 12 machine.
#   installers/setup.sh run    install build dependencies, build (Release) and start the console
#   installers/setup.sh test   install build + test dependencies, build (preset ci) and run the whole CTest suite
# Extra arguments after `run` go to pathwatch (e.g. `run --config resources/examples/prometheus.yaml`).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/pathwatch-ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

case "$mode" in
run)
    installers/deps.sh build
    cmake --preset release
    cmake --build --preset release -j "$jobs"
    exec build/release/app/pathwatch "$@"
    ;;
test)
    installers/deps.sh test
    cmake --preset ci
    cmake --build --preset ci -j "$jobs"
    cd build/ci
    # Integration tests start real servers on free loopback ports, so two at a time is safe on 2 cores.
    ctest --output-on-failure --timeout 900 -j 2 "$@"
    ;;
*)
    echo "usage: $0 run [pathwatch arguments] | test [ctest arguments]" >&2
    exit 2
    ;;
esac
