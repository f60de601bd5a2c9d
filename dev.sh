#!/usr/bin/env bash
# The README's two commands (run as root on Debian 12, or with sudo available):
#   ./dev.sh demo   install what is missing, build, run the course's two-server demo on data/
#   ./dev.sh test   install what is missing, build normal + ASan/UBSan, run every test, and the
#                   unit tests under TSan
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PACKAGES=(cmake ninja-build g++ libboost1.81-dev libcli11-dev libfmt-dev libspdlog-dev catch2
  libhiredis-dev libjemalloc-dev)
# Sanitizer and fuzzing builds use clang; the integration tests drive real peers (dig, kdig,
# Unbound, dnsmasq, Prometheus and promtool, and for the fleet dnsdist and redis-server); the
# package tests build and install the .deb (dpkg-dev), check the unit (systemd) and the man page
# (groff-base, man-db).
TEST_PACKAGES=(clang libclang-rt-14-dev clang-format bind9-dnsutils knot-dnsutils unbound dnsmasq-base
  prometheus dpkg-dev systemd groff-base man-db dnsdist redis-server)
JOBS="${JOBS:-$(nproc)}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_missing() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "dev.sh: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"
  fi
}

build() {  # build DIR [cmake options...]
  local dir="$1"
  shift
  cmake -S . -B "$dir" -G Ninja -DRESOLVER_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS" ${TARGET:+--target "$TARGET"}
}

demo() {
  install_missing "${BUILD_PACKAGES[@]}"
  build build -DRESOLVER_TESTS=OFF
  ./build/resolver server 1200 -1 -1 data/parent.txt &
  # Expanded now: the trap runs after this function's locals are gone.
  trap "kill $! 2>/dev/null" EXIT
  cat <<'MSG'

  The parent (root) serves data/parent.txt on UDP 1200; the child below serves data/ips.txt on
  UDP 1199 and forwards everything else to the parent. In another terminal, try:

    ./build/resolver client 127.0.0.1 1199 www.google.co.il     # forwarded to the parent
    ./build/resolver client 127.0.0.1 1199 printer.lab.example  # answered by the child
    ./build/resolver client 127.0.0.1 1199                      # interactive, like client.py
    dig @127.0.0.1 -p 1199 multi.example.org

  Ctrl-C stops both.

MSG
  ./build/resolver server 1199 127.0.0.1 1200 data/ips.txt
}

# Every C++ file follows .clang-format; CI fails on the first that does not.
check_format() {
  local files
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
  clang-format --dry-run --Werror "${files[@]}"
  echo "clang-format: ${#files[@]} files follow .clang-format"
}

test_all() {
  install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
  check_format
  build build
  (cd build && ctest --output-on-failure -j "$JOBS")
  build build-sanitize -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
    -DRESOLVER_SANITIZE=ON -DRESOLVER_FUZZ=ON
  (cd build-sanitize && ctest --output-on-failure -j "$JOBS")
  # The unit tests again under ThreadSanitizer: they run a reader and its loop on two threads.
  TARGET=unit_tests build build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
    -DRESOLVER_TSAN=ON
  (cd build-tsan && ctest --output-on-failure -j "$JOBS" -R '^unit:')
}

case "${1:-}" in
  demo) demo ;;
  test) test_all ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
