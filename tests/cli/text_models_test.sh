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

# word2vec, CBOW
"$bin" --threads 1 train word2vec --cbow --data "$dir/data" --epochs 2 --batch-size 256 --out "$dir/w2v" > "$dir/w2v.txt"
cat "$dir/w2v.txt"
grep -F "word2vec (cbow)" "$dir/w2v.txt" > /dev/null
first=$(sed -n 2p "$dir/w2v/word2vec_metrics.csv" | cut -d, -f2)
last=$(tail -n 1 "$dir/w2v/word2vec_metrics.csv" | cut -d, -f2)
awk -v a="$first" -v b="$last" 'BEGIN { if (!(b < 0.8 * a)) { print "CBOW loss did not fall: " a " -> " b; exit 1 } }'
"$bin" neighbors cat red --vectors "$dir/w2v/vectors.txt" -k 5 > "$dir/nb.txt"
cat "$dir/nb.txt"
animals=$(grep '^cat ->' "$dir/nb.txt" | grep -o -w -E 'dog|horse|cow|sheep|goat|rabbit|mouse|lion|tiger|wolf|fox' | wc -l)
[ "$animals" -ge 4 ] || { echo "expected >= 4 animals among the 5 neighbours of cat, got $animals"; exit 1; }
colours=$(grep '^red ->' "$dir/nb.txt" | grep -o -w -E 'blue|green|white|black|brown|purple|yellow|orange|pink|grey' | wc -l)
[ "$colours" -ge 4 ] || { echo "expected >= 4 colours among the 5 neighbours of red, got $colours"; exit 1; }
"$bin" analogy man king woman --vectors "$dir/w2v/vectors.txt" > "$dir/an.txt"
cat "$dir/an.txt"
grep -E '^king - man \+ woman -> [a-z]+ \(' "$dir/an.txt" > /dev/null

# word2vec, skip-gram with 2 asynchronous workers sharing the vectors
"$bin" --threads 2 train word2vec --hogwild --data "$dir/data" --epochs 1 --batch-size 256 --out "$dir/hog" > "$dir/hog.txt"
cat "$dir/hog.txt"
grep -F "(2 hogwild workers)" "$dir/hog.txt" > /dev/null
first=$(sed -n 2p "$dir/hog/word2vec_metrics.csv" | cut -d, -f2)
last=$(tail -n 1 "$dir/hog/word2vec_metrics.csv" | cut -d, -f2)
awk -v a="$first" -v b="$last" 'BEGIN { if (!(b < 0.8 * a)) { print "hogwild loss did not fall: " a " -> " b; exit 1 } }'
steps=$(($(wc -l < "$dir/hog/word2vec_metrics.csv") - 1))
grep -F "steps of 256" "$dir/hog.txt" | grep -F " $steps steps" > /dev/null || { echo "expected $steps steps in all"; exit 1; }
"$bin" neighbors cat --vectors "$dir/hog/vectors.txt" -k 5 > "$dir/hog_nb.txt"
cat "$dir/hog_nb.txt"
animals=$(grep -o -w -E 'dog|horse|cow|sheep|goat|rabbit|mouse|lion|tiger|wolf|fox' "$dir/hog_nb.txt" | wc -l)
[ "$animals" -ge 4 ] || { echo "hogwild: expected >= 4 animals among the 5 neighbours of cat, got $animals"; exit 1; }

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
