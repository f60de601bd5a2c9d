#!/bin/sh
# deb_test.sh BUILD_DIR: builds the .deb with cpack in the build tree, checks its contents,
# installs it with dpkg, runs the installed binary on the installed example config, verifies
# the installed unit, and purges the package. Needs root (CI runs as root): without it the test
# fails rather than pass having tested nothing.
set -u
build_dir=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "this test installs a .deb with dpkg -i and must run as root"
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps systemd-analyze man; do
  command -v "$tool" >/dev/null ||
    fail "$tool is missing (Debian: cmake, dpkg, dpkg-dev, systemd, man-db)"
done
if dpkg-query -W -f '${Status}' resolver 2>/dev/null | grep -q installed; then
  fail "a resolver package is already installed; remove it first (dpkg --purge resolver)"
fi
[ ! -e /usr/bin/resolver ] || fail "/usr/bin/resolver exists outside any package; not overwriting it"

work=$(mktemp -d)
installed=no
cleanup() {
  [ "$installed" = no ] || dpkg --purge resolver >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$build_dir" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB"; }
deb=$(ls "$work"/resolver_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "cpack made no resolver_*.deb in $work"
echo "built $(basename "$deb")"

contents=$(dpkg-deb -c "$deb") || fail "dpkg-deb -c $deb"
for path in ./usr/bin/resolver ./usr/lib/systemd/system/resolver.service \
    ./usr/share/man/man1/resolver.1.gz ./usr/share/bash-completion/completions/resolver \
    ./etc/resolver/resolver.toml ./etc/resolver/records.txt ./usr/share/doc/resolver/service.md \
    ./usr/share/doc/resolver/manual.md; do
  printf '%s\n' "$contents" | grep -qE " $path\$" || fail "$path is not in the package"
done
[ "$(dpkg-deb -f "$deb" Section)" = net ] || fail "Section is not net"
dpkg-deb -f "$deb" Depends | grep -q libc6 || fail "no libc6 in Depends: shlibdeps did not run"
dpkg-deb -e "$deb" "$work/control"
for conffile in /etc/resolver/resolver.toml /etc/resolver/records.txt; do
  grep -qx "$conffile" "$work/control/conffiles" || fail "$conffile is not a conffile"
done

dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
installed=yes

version=$(/usr/bin/resolver --version) || fail "installed resolver --version"
expected=$(dpkg-deb -f "$deb" Version)
[ "$version" = "$expected" ] || fail "resolver --version says '$version', the package $expected"
/usr/bin/resolver check /etc/resolver/records.txt || fail "resolver check on the example records"
/usr/bin/resolver check --config /etc/resolver/resolver.toml ||
  fail "resolver check --config /etc/resolver/resolver.toml"
[ "$(man -w resolver)" = /usr/share/man/man1/resolver.1.gz ] || fail "man -w resolver"
output=$(cd / && systemd-analyze verify /usr/lib/systemd/system/resolver.service 2>&1)
verified=$?
[ "$verified" -eq 0 ] && [ -z "$output" ] ||
  fail "systemd-analyze verify of the installed unit (status $verified): $output"

dpkg --purge resolver >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg --purge"; }
installed=no
[ ! -e /usr/bin/resolver ] || fail "/usr/bin/resolver left after purge"
[ ! -e /etc/resolver ] || fail "/etc/resolver left after purge"
echo "OK: $(basename "$deb") built, installed, run, verified and purged"
