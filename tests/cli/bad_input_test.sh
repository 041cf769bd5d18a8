#!/usr/bin/env bash
# Bad input to `flowgrad train` / `eval` / `neighbors`: each case must exit
# non-zero with an error that names the file and line, the field or the tensor.
# Usage: bad_input_test.sh <build dir> <source dir>
set -euo pipefail
bin=$1/flowgrad
fixtures=$2/tests/fixtures
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

# expect_error "<what>" "<text the error must contain>" flowgrad-args...
expect_error() {
  local what=$1 want=$2
  shift 2
  local rc=0
  "$bin" "$@" > "$dir/out" 2> "$dir/err" || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "FAIL $what: exit code 0"; failures=$((failures + 1)); return
  fi
  if ! grep -F -- "$want" "$dir/err" > /dev/null; then
    echo "FAIL $what: exit code $rc, stderr lacks '$want':"; cat "$dir/err"; failures=$((failures + 1)); return
  fi
  echo "ok   $what (exit $rc): $(head -c 300 "$dir/err")"
}

# a small, valid task folder
mkdir -p "$dir/task"
for i in 1 2 3 4; do
  printf 'the film was good\tpos\nthe film was not good\tneg\nthe plot was dull\tneg\nthe plot was not dull\tpos\n'
done > "$dir/task/sentiment_train.tsv"
cp "$dir/task/sentiment_train.tsv" "$dir/task/sentiment_test.tsv"
printf 'the film was good .\nthe plot was dull .\n\nthe acting was fun .\n' > "$dir/task/corpus.txt"

# 1. a missing file
expect_error "missing corpus" "$dir/nope.txt: cannot open file" train word2vec --data "$dir/nope.txt"
mkdir -p "$dir/empty_task"
expect_error "missing TSV in a folder" "$dir/empty_task/sentiment_train.tsv: cannot open file" train lstm --data "$dir/empty_task"
expect_error "missing vectors" "$dir/nope.vec" neighbors cat --vectors "$dir/nope.vec"

# 2. an empty corpus (blank lines only)
printf '\n\n  \n' > "$dir/empty.txt"
expect_error "empty corpus" "$dir/empty.txt: expected at least one sentence, got an empty corpus" \
  train word2vec --data "$dir/empty.txt"
mkdir -p "$dir/empty_corpus" && cp "$dir/task/"*.tsv "$dir/empty_corpus/" && : > "$dir/empty_corpus/corpus.txt"
expect_error "empty corpus for BERT pre-training" "corpus.txt: expected at least one sentence" \
  train bert --data "$dir/empty_corpus"

# 3. a TSV with a malformed line
mkdir -p "$dir/bad_tsv"
printf 'the film was good\tpos\nthe film was bad\tneg\nno tab on this line\nthe end\tpos\n' > "$dir/bad_tsv/sentiment_train.tsv"
cp "$dir/task/sentiment_test.tsv" "$dir/bad_tsv/"
expect_error "TSV line without a tab" "sentiment_train.tsv:3: expected 'text<TAB>label', got a line without a tab" \
  train lstm --data "$dir/bad_tsv"
printf 'the film was good\tpos\nthe film was great\tneutral\n' > "$dir/bad_tsv/sentiment_test.tsv"
cp "$dir/task/sentiment_train.tsv" "$dir/bad_tsv/"
expect_error "TSV test label unknown" "sentiment_test.tsv:2: expected one of the labels [pos, neg], got 'neutral'" \
  train lstm --data "$dir/bad_tsv" --batch-size 2

expect_error "fewer examples than a batch" "$dir/task/sentiment_train.tsv: 16 examples, fewer than one batch of --batch-size 32" \
  train lstm --data "$dir/task"

# 4. a config.json with a wrong field type
echo '{"hidden_size": "big"}' > "$dir/bad_bert.json"
expect_error "BERT config field type" "'$dir/bad_bert.json': field 'hidden_size' has the wrong type (string)" \
  train bert --data "$dir/task" --config "$dir/bad_bert.json"
echo '{"num_layers": 1.5}' > "$dir/bad_lstm.json"
expect_error "LSTM config field type" "'$dir/bad_lstm.json': field 'num_layers' has the wrong type (number)" \
  train lstm --data "$dir/task" --config "$dir/bad_lstm.json" --batch-size 4
echo '{"dim": [64]}' > "$dir/bad_w2v.json"
expect_error "word2vec config field type" "'$dir/bad_w2v.json': field 'dim' has the wrong type (array)" \
  train word2vec --data "$dir/task" --config "$dir/bad_w2v.json"
echo '{"hidden_size": 64,' > "$dir/broken.json"
expect_error "config not JSON" "'$dir/broken.json' is not a JSON object" train bert --data "$dir/task" --config "$dir/broken.json"

# 5. a safetensors file whose shapes do not match the config
cp -r "$fixtures/hf_bert_tiny" "$dir/hf"
sed -i 's/"intermediate_size": 64/"intermediate_size": 48/' "$dir/hf/config.json"
expect_error "HF weights vs config.json" \
  "$dir/hf/model.safetensors: tensor 'bert.encoder.layer.0.intermediate.dense.bias' is f32[64], the model built from its config expects f32[48]" \
  train bert --init-from "$dir/hf" --data "$dir/task" --steps 1 --batch-size 4
cp "$fixtures/hf_bert_tiny/config.json" "$dir/hf/config.json"
head -n 50 "$fixtures/hf_bert_tiny/vocab.txt" > "$dir/hf/vocab.txt"
expect_error "HF vocab.txt vs config.json" "$dir/hf/vocab.txt: has 50 tokens, but $dir/hf/config.json says vocab_size 86" \
  train bert --init-from "$dir/hf" --data "$dir/task" --steps 1 --batch-size 4
"$bin" train lstm --data "$dir/task" --steps 2 --batch-size 4 --out "$dir/lstm" > /dev/null
sed -i 's/"hidden_size": 64/"hidden_size": 32/' "$dir/lstm/config.json"
expect_error "LSTM checkpoint vs config.json" "$dir/lstm/lstm.safetensors: tensor 'lstm_classifier/classifier/weight' is f32[2, 128], the model built from its config expects f32[2, 64]" \
  eval lstm --model-dir "$dir/lstm" --data "$dir/task"
head -c 200 "$fixtures/hf_bert_tiny/model.safetensors" > "$dir/hf/model.safetensors"
cp "$fixtures/hf_bert_tiny/vocab.txt" "$dir/hf/vocab.txt"
expect_error "truncated safetensors" "'$dir/hf/model.safetensors': header length 4864 exceeds the file (200 bytes)" \
  train bert --init-from "$dir/hf" --data "$dir/task" --steps 1 --batch-size 4

# 6. --resume: a missing folder, one without checkpoints, a damaged checkpoint, one of another model / config / run
lstm=(train lstm --data "$dir/task" --batch-size 4 --steps 3)
"$bin" "${lstm[@]}" --checkpoint-dir "$dir/ck" --checkpoint-every 1 > /dev/null
expect_error "resume from a missing folder" "--resume '$dir/nope': no such folder" "${lstm[@]}" --resume "$dir/nope"
mkdir -p "$dir/no_ck"
expect_error "resume from a folder without checkpoints" "--resume '$dir/no_ck': no usable checkpoint (no step-* folder with a manifest.json)" \
  "${lstm[@]}" --resume "$dir/no_ck"
cp -r "$dir/ck" "$dir/ck_bad"
weights=$dir/ck_bad/step-00000002/weights.safetensors
printf 'XXXXXXXX' | dd of="$weights" bs=1 seek=$(($(stat -c %s "$weights") - 100)) conv=notrunc 2> /dev/null
expect_error "resume from a damaged checkpoint" "checkpoint '$dir/ck_bad/step-00000002': checksum mismatch for tensor" \
  "${lstm[@]}" --resume "$dir/ck_bad/step-00000002"
rm -r "$dir/ck_bad/step-00000001" "$dir/ck_bad/step-00000003"
expect_error "resume from a folder whose only checkpoint is damaged" "--resume '$dir/ck_bad': no usable checkpoint ($dir/ck_bad/step-00000002: checkpoint" \
  "${lstm[@]}" --resume "$dir/ck_bad"
rm "$dir/ck_bad/step-00000002/manifest.json"
expect_error "resume from a checkpoint without its manifest" "--resume '$dir/ck_bad/step-00000002': no manifest.json (an incomplete checkpoint" \
  "${lstm[@]}" --resume "$dir/ck_bad/step-00000002"
echo '{"min_count": 1, "sample": 0}' > "$dir/w2v.json"
"$bin" train word2vec --data "$dir/task" --config "$dir/w2v.json" --steps 2 --batch-size 4 --checkpoint-dir "$dir/w2v_ck" > /dev/null
expect_error "resume another model" "checkpoint '$dir/w2v_ck/step-00000002': written by \`flowgrad train word2vec\` (phase word2vec), cannot resume \`flowgrad train lstm\` (phase lstm)" \
  "${lstm[@]}" --resume "$dir/w2v_ck"
echo '{"hidden_size": 32}' > "$dir/small_lstm.json"
expect_error "resume another config" "checkpoint '$dir/ck/step-00000003': tensor 'lstm_classifier/lstm/weight_ih_l0' is f32[256, 64] there, this model needs f32[128, 64] (another --config or --data?)" \
  "${lstm[@]}" --config "$dir/small_lstm.json" --resume "$dir/ck"
expect_error "resume with another seed" "checkpoint '$dir/ck/step-00000003': --seed 1 there, 2 in this run (the data order depends on it)" \
  "${lstm[@]}" --seed 2 --resume "$dir/ck"
expect_error "resume with fewer steps" "checkpoint '$dir/ck/step-00000003': 3 steps done, more than the 2 of this run (--steps)" \
  train lstm --data "$dir/task" --batch-size 4 --steps 2 --resume "$dir/ck"
expect_error "resume mid-batch" "checkpoint '$dir/ck/step-00000001': its data position, example 4 of epoch 0, is not a multiple of this run's global batch of 8" \
  train lstm --data "$dir/task" --batch-size 8 --steps 3 --resume "$dir/ck/step-00000001"
expect_error "resume word2vec with another LR schedule" "checkpoint '$dir/w2v_ck/step-00000002': the learning-rate schedule spans 2 steps there, 5 in this run" \
  train word2vec --data "$dir/task" --config "$dir/w2v.json" --steps 5 --batch-size 4 --resume "$dir/w2v_ck"
expect_error "--checkpoint-every without a folder" "--checkpoint-every needs --checkpoint-dir" "${lstm[@]}" --checkpoint-every 2
expect_error "--hogwild for the LSTM" "--hogwild is for \`flowgrad train word2vec\`" "${lstm[@]}" --hogwild
expect_error "--hogwild with checkpoints" "--hogwild does not write or resume checkpoints" \
  train word2vec --data "$dir/task" --config "$dir/w2v.json" --steps 5 --batch-size 4 --hogwild --checkpoint-dir "$dir/hog_ck"

# word vectors: a malformed line, an unknown word
printf '2 3\ncat 0.1 0.2 0.3\ndog 0.1 oops 0.3\n' > "$dir/bad.vec"
expect_error "vectors malformed line" "'$dir/bad.vec' line 3: expected 3 numbers after 'dog'" neighbors cat --vectors "$dir/bad.vec"
printf '2 3\ncat 0.1 0.2 0.3\ndog 0.1 0.2 0.4\n' > "$dir/ok.vec"
expect_error "unknown word" "word 'cow' is not in the vocabulary" neighbors cow --vectors "$dir/ok.vec"

if [ "$failures" -ne 0 ]; then echo "$failures bad-input case(s) failed"; exit 1; fi
echo "bad input test passed"
