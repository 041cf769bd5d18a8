#!/usr/bin/env bash
# End to end on generated data: word2vec CBOW, and skip-gram with --hogwild
# workers, train (the loss falls, "cat" has animals for neighbours) and `neighbors` / `analogy` read its vectors;
# `eval` of a trained LSTM and of a BERT fine-tuned from a Hugging Face folder
# (--init-from tests/fixtures/hf_bert_tiny) reproduces the accuracy training printed.
# Usage: text_models_test.sh <build dir> <source dir>
set -euo pipefail
bin=$1/flowgrad
fixtures=$2/tests/fixtures
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bin" gen-data --out "$dir/data" --documents 2000 > /dev/null

# loss_fell <what> <metrics.csv>: the last logged loss is below 0.8x the first
loss_fell() {
  local first last
  first=$(sed -n 2p "$2" | cut -d, -f2)
  last=$(tail -n 1 "$2" | cut -d, -f2)
  awk -v w="$1" -v a="$first" -v b="$last" 'BEGIN { if (!(b < 0.8 * a)) { print w " loss did not fall: " a " -> " b; exit 1 } }'
}
# neighbours_are <what> <word> <words, as a grep -E pattern> <neighbors output>: >= 4 of the 5 neighbours of <word> are <what>
neighbours_are() {
  local n
  n=$(grep "^$2 ->" "$4" | grep -o -w -E "$3" | wc -l)
  [ "$n" -ge 4 ] || { echo "expected >= 4 $1 among the 5 neighbours of $2 in $4, got $n"; exit 1; }
}
animals='dog|horse|cow|sheep|goat|rabbit|mouse|lion|tiger|wolf|fox'

# word2vec, CBOW
"$bin" --threads 1 train word2vec --cbow --data "$dir/data" --epochs 2 --batch-size 256 --out "$dir/w2v" > "$dir/w2v.txt"
cat "$dir/w2v.txt"
grep -F "word2vec (cbow)" "$dir/w2v.txt" > /dev/null
loss_fell CBOW "$dir/w2v/word2vec_metrics.csv"
"$bin" neighbors cat red --vectors "$dir/w2v/vectors.txt" -k 5 > "$dir/nb.txt"
cat "$dir/nb.txt"
neighbours_are animals cat "$animals" "$dir/nb.txt"
neighbours_are colours red 'blue|green|white|black|brown|purple|yellow|orange|pink|grey' "$dir/nb.txt"
"$bin" analogy man king woman --vectors "$dir/w2v/vectors.txt" > "$dir/an.txt"
cat "$dir/an.txt"
grep -E '^king - man \+ woman -> [a-z]+ \(' "$dir/an.txt" > /dev/null

# word2vec, skip-gram with 2 asynchronous workers sharing the vectors
"$bin" --threads 2 train word2vec --hogwild --data "$dir/data" --epochs 1 --batch-size 256 --out "$dir/hog" > "$dir/hog.txt"
cat "$dir/hog.txt"
grep -F "(2 hogwild workers)" "$dir/hog.txt" > /dev/null
loss_fell hogwild "$dir/hog/word2vec_metrics.csv"
steps=$(($(wc -l < "$dir/hog/word2vec_metrics.csv") - 1))  # every step logged once
grep -F "steps of 256" "$dir/hog.txt" | grep -F " $steps steps" > /dev/null || { echo "expected $steps steps in all"; exit 1; }
"$bin" neighbors cat --vectors "$dir/hog/vectors.txt" -k 5 > "$dir/hog_nb.txt"
cat "$dir/hog_nb.txt"
neighbours_are animals cat "$animals" "$dir/hog_nb.txt"

# accuracy: what eval prints equals what training printed (1000 test sentences, 25 full batches of 40)
accuracy_of() { sed -n 's/.*accuracy[^:]*: \([0-9.]*\)%.*/\1/p' "$1" | tail -n 1; }
"$bin" train lstm --data "$dir/data" --steps 40 --batch-size 40 --out "$dir/lstm" > "$dir/lstm.txt"
"$bin" eval lstm --model-dir "$dir/lstm" --data "$dir/data/sentiment_test.tsv" --batch-size 64 > "$dir/lstm_eval.txt"
cat "$dir/lstm.txt" "$dir/lstm_eval.txt"
grep -F "(1000 held-out" "$dir/lstm.txt" > /dev/null
grep -F "of 1000)" "$dir/lstm_eval.txt" > /dev/null
[ "$(accuracy_of "$dir/lstm.txt")" = "$(accuracy_of "$dir/lstm_eval.txt")" ] || { echo "LSTM: eval disagrees with training"; exit 1; }

"$bin" train bert --init-from "$fixtures/hf_bert_tiny" --data "$dir/data" --steps 20 --batch-size 40 --out "$dir/bert" > "$dir/bert.txt"
"$bin" eval bert --model-dir "$dir/bert" --data "$dir/data" --batch-size 64 > "$dir/bert_eval.txt"
cat "$dir/bert.txt" "$dir/bert_eval.txt"
grep -F "loaded 39 tensors from $fixtures/hf_bert_tiny/model.safetensors (8 not used by the classifier)" "$dir/bert.txt" > /dev/null
grep -F "BERT pre-training" "$dir/bert.txt" > /dev/null && { echo "--init-from must skip pre-training"; exit 1; }
[ "$(accuracy_of "$dir/bert.txt")" = "$(accuracy_of "$dir/bert_eval.txt")" ] || { echo "BERT: eval disagrees with training"; exit 1; }
cmp "$fixtures/hf_bert_tiny/vocab.txt" "$dir/bert/vocab.txt"
echo "text models test passed"
