#!/usr/bin/env bash
# A worker that fails (an exception) or dies (SIGKILL) must end the whole job
# within a bounded time, with an error naming the cause, instead of leaving
# the other worker waiting in a collective forever.
#   worker_failure_test.sh <data_parallel_main> <mpirun command...>
set -uo pipefail
prog=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0

expect_abort() {  # expect_abort <label> <pattern> <program args...>
  local label=$1 pattern=$2
  shift 2
  local start=$SECONDS
  timeout 60 "$@" "$prog" "${PROGRAM_ARGS[@]}" >"$out" 2>&1
  local rc=$? took=$((SECONDS - start))
  if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then
    echo "FAIL $label: exit status $rc after ${took}s (0: not detected, 124: hung for 60 s)"
    cat "$out"
    fail=1
  elif ! grep -E "$pattern" "$out" >/dev/null; then
    echo "FAIL $label: exit status $rc, but no message matching '$pattern':"
    cat "$out"
    fail=1
  else
    echo "ok   $label: the job ended in ${took}s with status $rc"
  fi
}

PROGRAM_ARGS=(--fail-at 5)
expect_abort "worker 1 throws at step 5" "worker 1 failed on purpose at step 5" "$@"
PROGRAM_ARGS=(--kill-at 5)
expect_abort "worker 1 killed at step 5" "signal 9|Killed|killed" "$@"
exit $fail
