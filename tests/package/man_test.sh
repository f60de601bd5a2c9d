#!/bin/sh
# man_test.sh RESOLVER MAN_PAGE: the man page formats without a groff warning, names the
# binary's version, and covers every long option that `--help` of the built binary prints, so
# a new option without its man page entry fails here.
set -u
resolver=$1
page=$2
status=0
fail() { echo "FAIL: $*" >&2; status=1; }

command -v groff >/dev/null || { echo "FAIL: groff is missing (Debian: groff-base)" >&2; exit 1; }
warnings=$(groff -man -ww -z "$page" 2>&1) || fail "groff exited with an error"
[ -z "$warnings" ] || fail "groff warns about $page:
$warnings"
if command -v man >/dev/null; then
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "man --warnings at 80 columns:
$warnings"
fi

version=$("$resolver" --version) || fail "$resolver --version failed"
grep -q "^\.TH RESOLVER 1 [^ ]* \"resolver $version\"" "$page" ||
  fail ".TH of $page does not name version $version"

# The page as text: roff's \- is the '-' that --help prints.
text=$(sed 's/\\-/-/g' "$page")
checked=0
for command in "" server client check; do
  # shellcheck disable=SC2086 # an empty $command is no argument
  help=$("$resolver" $command --help) || { fail "resolver $command --help failed"; continue; }
  for option in $(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    checked=$((checked + 1))
    printf '%s\n' "$text" | grep -qE -- "${option}([^a-z0-9-]|\$)" ||
      fail "resolver $command: option $option is not in $page"
  done
done
[ "$checked" -ge 40 ] || fail "only $checked options found in the --help texts: is $resolver right?"
[ "$status" -eq 0 ] && echo "OK: $page: no warnings, version $version, $checked options covered"
exit "$status"
