#!/usr/bin/env bash
# End to end: a program exports its training graph; `flowgrad replay` trains it
# without the program (the loss must fall), and `inspect` / `dot` read it.
set -euo pipefail
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bin/mlp_example" --export "$dir" > /dev/null
out=$("$bin/flowgrad" replay "$dir/graph.pb" --weights "$dir/weights.safetensors" --feed "$dir/feed.safetensors" --steps 10 --out "$dir/out")
echo "$out"
first=$(echo "$out" | sed -n 's/^step 1: .*softmax_cross_entropy=\([0-9.e+-]*\).*/\1/p')
last=$(echo "$out" | sed -n 's/^step 10: .*softmax_cross_entropy=\([0-9.e+-]*\).*/\1/p')
awk -v a="$first" -v b="$last" 'BEGIN { if (!(b < a)) { print "loss did not fall: " a " -> " b; exit 1 } }'
test -s "$dir/out/weights.safetensors"
"$bin/flowgrad" inspect "$dir/graph.pb" > "$dir/inspect.txt"
grep -q "adam_update" "$dir/inspect.txt"
"$bin/flowgrad" inspect --summary "$dir/graph.pb" > "$dir/summary.txt"
grep -q "^mlp/layer1/weight  *variable  *f32\[32, 2\]  *64$" "$dir/summary.txt"
grep -q "gradient and optimizer nodes hidden" "$dir/summary.txt"
"$bin/flowgrad" inspect --summary --depth 2 "$dir/graph.pb" > "$dir/layers.txt"
grep -q "^mlp/layer1  *matmul, add  *f32\[256, 32\]  *96$" "$dir/layers.txt"
"$bin/flowgrad" dot "$dir/graph.pb" > "$dir/g.dot"
grep -q "cluster_" "$dir/g.dot"
# a corrupt graph file is an error naming the file, not a crash
head -c 100 "$dir/graph.pb" > "$dir/bad.pb"
if "$bin/flowgrad" inspect "$dir/bad.pb" 2> "$dir/err"; then echo "corrupt file accepted"; exit 1; fi
grep -q "bad.pb" "$dir/err"
echo "replay test passed"
