#!/usr/bin/env bash
# `flowgrad export bert` writes the BERT pre-training step; a folder holding
# only graph.pb, weights.safetensors and feed.safetensors (as on a second
# machine) is enough for `flowgrad replay` to train it: the loss must fall.
# The LSTM and word2vec exports and a BERT inference export replay too.
set -euo pipefail
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fg="$bin/flowgrad"

"$fg" export bert --out "$dir/export" --batch-size 4 --seq-len 16 --vocab-size 200 > "$dir/export.txt"
cat "$dir/export.txt"
mkdir "$dir/elsewhere"
cp "$dir/export/graph.pb" "$dir/export/weights.safetensors" "$dir/export/feed.safetensors" "$dir/elsewhere/"
rm -rf "$dir/export"
cd "$dir/elsewhere"
"$fg" replay graph.pb --weights weights.safetensors --feed feed.safetensors --steps 20 --out trained > "$dir/replay.txt"
cat "$dir/replay.txt"
# "step N:  <loss node>=<value>  ..." — the first output is the total loss
loss_at() { awk -v s="step $1:" '$1 " " $2 == s { split($3, kv, "="); print kv[2] }' "$dir/replay.txt"; }
first=$(loss_at 1)
last=$(loss_at 20)
test -n "$first"
test -n "$last"
awk -v a="$first" -v b="$last" 'BEGIN { if (!(b < 0.9 * a)) { print "BERT loss did not fall: " a " -> " b; exit 1 } }'
test -s trained/weights.safetensors

# the other exports replay as well
for model in lstm word2vec; do
  "$fg" export "$model" --out "$dir/$model" --batch-size 4 --seq-len 8 --vocab-size 50 > /dev/null
  "$fg" replay "$dir/$model/graph.pb" --weights "$dir/$model/weights.safetensors" --feed "$dir/$model/feed.safetensors" \
    --steps 3 > "$dir/$model.txt"
  test "$(grep -c '^step ' "$dir/$model.txt")" = 3
done
"$fg" export bert --inference --out "$dir/infer" --batch-size 2 --seq-len 8 --vocab-size 100 > /dev/null
"$fg" replay "$dir/infer/graph.pb" --weights "$dir/infer/weights.safetensors" --feed "$dir/infer/feed.safetensors" > "$dir/infer.txt"
grep "f32\[2, 2\]" "$dir/infer.txt" > /dev/null  # the NSP logits
# the issue's spelling: --out path/name.pb writes the graph there, the weights and feed beside it
"$fg" export lstm --out "$dir/named/lstm_step.pb" --batch-size 4 --seq-len 8 --vocab-size 50 > /dev/null
test -s "$dir/named/lstm_step.pb"
test -s "$dir/named/weights.safetensors"
test -s "$dir/named/feed.safetensors"
"$fg" replay "$dir/named/lstm_step.pb" --weights "$dir/named/weights.safetensors" --feed "$dir/named/feed.safetensors" \
  --steps 2 > "$dir/named.txt"
test "$(grep -c '^step ' "$dir/named.txt")" = 2
if "$fg" export word2vec --inference --out "$dir/bad" 2> "$dir/err"; then echo "word2vec --inference accepted"; exit 1; fi
grep "no inference graph" "$dir/err" > /dev/null
echo "export/replay test passed"
