#!/usr/bin/env bash
# Renders docs/images/bert_mini_training_graph.svg: the whole bert-mini
# training step (vocab 30522, 4 layers, hidden 256, 4 heads, FFN 1024,
# batch 32, seq 128, after the pass pipeline) as `flowgrad export` writes it
# and `flowgrad dot` draws it (one Graphviz cluster per scope).
#
#   docs/render_bert_graph.sh [BUILD_DIR]      (needs Graphviz: apt-get install graphviz)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
command -v dot > /dev/null || { echo "render_bert_graph.sh: needs Graphviz (apt-get install graphviz)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/config.json" <<'JSON'
{"vocab_size": 30522, "hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4,
 "intermediate_size": 1024, "max_position_embeddings": 512}
JSON
"$build/flowgrad" export bert --config "$tmp/config.json" --batch-size 32 --seq-len 128 --out "$tmp/bert"
"$build/flowgrad" dot "$tmp/bert/graph.pb" > "$tmp/bert.dot"
dot -Tsvg "$tmp/bert.dot" -o "$root/docs/images/bert_mini_training_graph.svg"
echo "wrote docs/images/bert_mini_training_graph.svg"
