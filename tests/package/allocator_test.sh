#!/bin/sh
# allocator_test.sh RESOLVER: the built binary allocates with jemalloc (CMakeLists.txt,
# RESOLVER_JEMALLOC), not glibc's malloc: jemalloc reads MALLOC_CONF and, asked to, prints its
# statistics at exit, which glibc's allocator never does.
set -u
resolver=$1
stats=$(MALLOC_CONF=stats_print:true "$resolver" --version 2>&1 >/dev/null) || {
  echo "FAIL: $resolver --version failed" >&2
  exit 1
}
case "$stats" in
  *"Begin jemalloc statistics"*) echo "jemalloc is the allocator of $resolver" ;;
  *) echo "FAIL: $resolver does not allocate with jemalloc (no statistics at exit)" >&2; exit 1 ;;
esac
