#!/usr/bin/env bash
# flowgrad as an installed library: install to a scratch prefix, check the
# package (headers self-contained, pkg-config file), build
# examples/user_project against it with its own CMakeLists.txt, and run it
# (it trains, saves, replays bit-identically and gradient-checks its custom
# op `swish`). Then the installed `flowgrad` tool, which does not know
# `swish`, must refuse the saved graph with an error naming that op.
#
#   user_project_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
bin=$2
# A fixed scratch folder (not mktemp), so that ccache sees the same paths
# on every run and the user project's build is a cache hit.
dir=$bin/user_project_test
rm -rf "$dir"
mkdir -p "$dir"
prefix=$dir/prefix

cmake --install "$bin" --prefix "$prefix" > "$dir/install.log"
test -x "$prefix/bin/flowgrad"
test -f "$prefix/include/flowgrad/frontend/flowgrad.h"
test -f "$prefix/include/flowgrad/frontend/gradcheck.h"
if [ -e "$prefix/include/flowgrad/ops/dnnl_util.h" ]; then echo "a private header was installed"; exit 1; fi
if find "$prefix/include" -name '*.pb.h' | grep . > "$dir/pb.txt"; then echo "generated protobuf headers installed"; exit 1; fi

# Every header an installed header includes (with quotes) is installed too.
missing=0
while IFS= read -r h; do
  while IFS= read -r inc; do
    if [ ! -f "$prefix/include/flowgrad/$inc" ] && [ ! -f "$(dirname "$h")/$inc" ]; then
      echo "$h includes $inc, which is not installed"
      missing=1
    fi
  done < <(sed -n 's/^#include "\(.*\)"/\1/p' "$h")
done < <(find "$prefix/include/flowgrad" -name '*.h')
[ "$missing" -eq 0 ]
# ... and none includes a private dependency (the package does not find those).
if grep -rn -e '#include <nlohmann/' -e '#include <google/protobuf' -e '#include <boost/' -e '#include <omp.h>' \
    "$prefix/include/flowgrad" > "$dir/private_deps.txt"; then
  cat "$dir/private_deps.txt"
  echo "an installed header includes a private dependency"
  exit 1
fi

# pkg-config: relocatable, and names the library and both include folders.
pc=$(find "$prefix" -name flowgrad.pc)
PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs flowgrad > "$dir/pc.txt"
grep -- "-lflowgrad" "$dir/pc.txt" > /dev/null
grep -- "include/flowgrad " "$dir/pc.txt" > /dev/null
for flag in $(cat "$dir/pc.txt"); do
  case $flag in -I*|-L*) test -d "${flag:2}" || { echo "pkg-config gives a missing folder: $flag"; exit 1; } ;; esac
done

# ... and is enough to build a program without CMake.
cat > "$dir/pc_probe.cpp" <<'CPP'
#include <cstdio>
#include "ops/op_def.h"
int main() { return flowgrad::ops::find_op("matmul") != nullptr && flowgrad::ops::all_ops().size() > 50 ? 0 : 1; }
CPP
# shellcheck disable=SC2046
c++ "$dir/pc_probe.cpp" -o "$dir/pc_probe" $(cat "$dir/pc.txt") -Wl,-rpath,"$(dirname "$(find "$prefix" -name libflowgrad.so)")"
"$dir/pc_probe"

launcher=()
if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$src/examples/user_project" -B "$dir/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" > "$dir/configure.log"
cmake --build "$dir/build" -j "${FLOWGRAD_JOBS:-2}" > "$dir/build.log"
"$dir/build/attention_classifier" "$dir/out" | tee "$dir/run.txt"
test -s "$dir/out/graph.pb"
test -s "$dir/out/weights.safetensors"

# A graph that uses an op the loading program does not know: an error naming it.
if "$prefix/bin/flowgrad" inspect "$dir/out/graph.pb" 2> "$dir/err.txt"; then
  echo "the flowgrad tool loaded a graph with an unknown op"
  exit 1
fi
cat "$dir/err.txt"
grep "unknown op 'swish'" "$dir/err.txt" > /dev/null
rm -rf "$dir"
echo "user project test passed"
