#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, clang + ASan + UBSan) and runs them
# on a seed corpus of real files from the three models.
#
#   bash tools/fuzz.sh [target|all] [seconds]    default: all, 60 seconds each
#   bash tools/fuzz.sh 600                       every harness for 10 minutes
#
# targets: fuzz_graph, fuzz_safetensors, fuzz_checkpoint_manifest. Each run
# keeps its growing corpus in build-fuzz/corpus/<target>, writes crashing
# inputs to build-fuzz/crashes/ and prints a summary line with the executions
# and crashes; the script fails if any harness crashed. A crash input belongs
# under tests/fuzz_regressions/<target>/ with a test (see fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(fuzz_graph fuzz_safetensors fuzz_checkpoint_manifest)
target=all
seconds=60
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; elif [ -n "${1:-}" ]; then target=$1; seconds=${2:-60}; fi
if [ "$target" != all ] && [[ ! " ${TARGETS[*]} " =~ " $target " ]]; then
  echo "unknown target '$target' (expected all or one of: ${TARGETS[*]})" >&2
  exit 2
fi

# clang and its libFuzzer runtime, only for fuzzing (CI's build uses gcc).
# clang 16: Debian's default clang 14 lacks std::source_location with libstdc++ 12.
FUZZ_PACKAGES=(clang-16 libclang-rt-16-dev libomp-16-dev)
missing=()
for p in "${FUZZ_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

out=build-fuzz
cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-16 -DFLOWGRAD_FUZZ=ON \
  -DFLOWGRAD_BUILD_TESTS=OFF > /dev/null
cmake --build "$out" -j "${FLOWGRAD_JOBS:-2}" --target "${TARGETS[@]}" fuzz_seeds

seeds="$out/seeds"
[ -d "$seeds/graph" ] || "$out/fuzz_seeds" "$seeds"
declare -A seed_dir=([fuzz_graph]=graph [fuzz_safetensors]=safetensors [fuzz_checkpoint_manifest]=manifest)

run() {  # run <target>
  local t=$1 corpus="$out/corpus/$1" log="$out/$1.log"
  mkdir -p "$corpus" "$out/crashes"
  local extra=()
  [ -d "tests/fuzz_regressions/$t" ] && extra+=("tests/fuzz_regressions/$t")
  local rc=0
  ASAN_OPTIONS=detect_leaks=0 "$out/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
    -artifact_prefix="$out/crashes/$t-" "$corpus" "$seeds/${seed_dir[$t]}" "${extra[@]}" > "$log" 2>&1 || rc=$?
  local execs crashes
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=$(find "$out/crashes" -name "$t-*" | wc -l)
  echo "$t: ${seconds}s, ${execs:-?} executions, corpus $(find "$corpus" -type f | wc -l) files, exit $rc, crash files $crashes"
  [ "$rc" -eq 0 ]
}

status=0
if [ "$target" = all ]; then
  for t in "${TARGETS[@]}"; do run "$t" || status=1; done
else
  run "$target" || status=1
fi
exit $status
