# Sourced by the `mpirun ... flowgrad train` tests, called as
#   <test>.sh <build dir> <mpirun command...>
# Sets build, mpirun (an array), flowgrad and tmp (removed on exit), and
# generates the task data in $tmp/data (extra gen-data options: $GEN_DATA_ARGS).
set -euo pipefail
build=$1
shift
mpirun=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flowgrad=$build/flowgrad
# shellcheck disable=SC2086
"$flowgrad" gen-data --out "$tmp/data" ${GEN_DATA_ARGS:-} >/dev/null
