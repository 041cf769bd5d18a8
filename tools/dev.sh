#!/usr/bin/env bash
# One entry point for setting up, building and running flowgrad on Debian 12.
#
#   bash tools/dev.sh demo        install what is missing, build, run the demo
#   bash tools/dev.sh test        install what is missing, build (with MPI), run the tests
#   bash tools/dev.sh sanitize    the same tests in an ASan + UBSan build
#
# Idempotent: packages already installed are not touched, builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake ccache pkg-config
  libdnnl-dev libtbb-dev libboost-graph-dev libprotobuf-dev protobuf-compiler doctest-dev
  nlohmann-json3-dev libcli11-dev libopenmpi-dev openmpi-bin
  doxygen)  # the `doxygen` target, run as a ctest test

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {  # build <dir> [cmake args...]
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "${FLOWGRAD_JOBS:-2}"
}

case "${1:-}" in
  demo)
    install_deps
    build build -DFLOWGRAD_MPI=ON  # the same configuration as `test`: one build dir, no rebuild between them
    out=build/demo
    ./build/flowgrad gen-data --out "$out/data"
    echo; echo "== word2vec (skip-gram, negative sampling) on the generated corpus"
    ./build/flowgrad train word2vec --data "$out/data" --epochs 2 --batch-size 256 --out "$out/word2vec"
    echo; echo "== LSTM classifier on the order/negation sentiment set"
    ./build/flowgrad train lstm --data "$out/data" --epochs 4 --batch-size 32 --out "$out/lstm"
    echo; echo "== BERT: MLM + NSP pre-training on the corpus, then fine-tuning on the same sentiment set"
    ./build/flowgrad train bert --data "$out/data" --epochs 4 --batch-size 32 --out "$out/bert"
    echo; echo "== held-out accuracy (chance: 50%)"
    printf '  %-6s %s\n' LSTM "$(cat "$out/lstm/accuracy.txt")" BERT "$(cat "$out/bert/accuracy.txt")"
    echo; echo "== the MLP example's training graph, exported and replayed without its program"
    ./build/mlp_example --export "$out/mlp" > /dev/null
    ./build/flowgrad replay "$out/mlp/graph.pb" --weights "$out/mlp/weights.safetensors" \
      --feed "$out/mlp/feed.safetensors" --steps 3
    ./build/flowgrad dot "$out/mlp/graph.pb" > "$out/mlp/graph.dot"
    echo "graph drawn to $out/mlp/graph.dot (render: dot -Tsvg $out/mlp/graph.dot > graph.svg)"
    ;;
  test)
    install_deps
    build build -DFLOWGRAD_MPI=ON  # also runs the 2-worker tests under mpirun
    cd build && ctest --output-on-failure -j "${FLOWGRAD_JOBS:-2}"
    ;;
  sanitize)
    install_deps
    build build-asan -DFLOWGRAD_SANITIZE=ON
    cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j "${FLOWGRAD_JOBS:-2}"
    ;;
  *)
    echo "usage: bash tools/dev.sh demo|test|sanitize" >&2
    exit 2
    ;;
esac
