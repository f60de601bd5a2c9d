#!/bin/sh
# unit_test.sh RESOLVER SOURCE_DIR: `systemd-analyze verify` accepts dist/resolver.service, with
# ExecStart pointed at the built binary and the man page of Documentation= findable, and has
# nothing to warn about.
set -u
resolver=$1
source_dir=$2
command -v systemd-analyze >/dev/null ||
  { echo "FAIL: systemd-analyze is missing (Debian: systemd)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/man/man1"
cp "$source_dir/docs/resolver.1" "$work/man/man1/resolver.1"
sed "s|/usr/bin/resolver|$resolver|" "$source_dir/dist/resolver.service" >"$work/resolver.service"
grep -q "^ExecStart=$resolver server" "$work/resolver.service" ||
  { echo "FAIL: no ExecStart=/usr/bin/resolver server in dist/resolver.service" >&2; exit 1; }
output=$(cd "$work" && MANPATH="$work/man" systemd-analyze verify resolver.service 2>&1)
verify_status=$?
if [ "$verify_status" -ne 0 ] || [ -n "$output" ]; then
  echo "FAIL: systemd-analyze verify (status $verify_status):" >&2
  echo "$output" >&2
  exit 1
fi
for directive in Type=notify ExecReload= DynamicUser=yes \
    CapabilityBoundingSet=CAP_NET_BIND_SERVICE ProtectSystem=strict; do
  grep -q "^$directive" "$work/resolver.service" || { echo "FAIL: no $directive" >&2; exit 1; }
done
echo "OK: systemd-analyze verify resolver.service: no findings"
