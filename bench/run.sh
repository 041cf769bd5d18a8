#!/usr/bin/env bash
# The benchmark suite: flowgrad against PyTorch (python3-torch 1.13, on
# oneDNN 2.6 and OpenBLAS) and gensim 4.2, same workloads, shapes and
# threads, each configuration in its own process. See bench/README.md.
#
#   bench/run.sh [--quick] [run.py options...]      results in build-bench/results/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
out="$build/results"
if [ "${FLOWGRAD_SKIP_INSTALL:-0}" != 1 ]; then
  # The references at their best: PyTorch's dense linear algebra goes through
  # the system BLAS, and the reference BLAS is >10x slower than OpenBLAS.
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch python3-gensim python3-matplotlib \
    libopenblas0-openmp man-db groff-base > /dev/null
fi
blas=$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu || true)
case "$blas" in *openblas*) ;; *) echo "run.sh: the system BLAS is '$blas', not OpenBLAS: PyTorch would be unfairly slow" >&2; exit 1 ;; esac
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFLOWGRAD_BUILD_TESTS=OFF > /dev/null
cmake --build "$build" -j2 --target train_bench flowgrad_cli > /dev/null
# The machine's matmul peak, which `flowgrad inspect --profile --peak-file` compares every matmul node with.
mkdir -p "$out"
"$build/flowgrad" peak --thread-counts 1,2 --out "$out/peak.json"
corpus="$build/w2v_corpus.txt"
[ -s "$corpus" ] || bash "$root/bench/make_corpus.sh" "$corpus" 1200000
/usr/bin/python3 "$root/bench/run.py" --build "$build" --out "$out" --corpus "$corpus" "$@"
