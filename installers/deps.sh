#!/usr/bin/env bash
# The one list of Debian 12 packages Pathwatch needs. Usage: installers/deps.sh build|test
# "build" is enough to build and run the console; "test" adds the tools and real peers the test suite starts.
set -euo pipefail

build_packages=(
    build-essential cmake ninja-build ccache pkg-config git
    qt6-base-dev qt6-charts-dev libqt6opengl6-dev libqt6svg6
    librdkafka-dev prometheus-cpp-dev libboost1.81-dev libssl-dev zlib1g-dev
    libyaml-cpp-dev libfmt-dev libqt6sql6-sqlite libqt6sql6-psql
    fonts-dejavu-core
)

test_packages=(
    xvfb xauth imagemagick clang-19 libclang-rt-19-dev
    kcat python3-kafka python3-prometheus-client
    golang-go golang-github-prometheus-common-dev
    prometheus postgresql burrow zookeeper
    procps iproute2 curl
    desktop-file-utils appstream dbus-daemon
    tinyproxy-bin lintian
)

mode=${1:-build}
packages=("${build_packages[@]}")
case "$mode" in
build) ;;
test) packages+=("${test_packages[@]}") ;;
*)
    echo "usage: $0 build|test" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update
    "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
