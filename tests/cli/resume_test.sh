#!/usr/bin/env bash
# `flowgrad train --checkpoint-dir` / `--resume`, one process: for word2vec,
# the LSTM classifier (dropout on) and BERT (a checkpoint in pre-training and
# one in fine-tuning), N steps straight and N/2 steps, a checkpoint, a new
# process resuming from it and N/2 more write byte-identical outputs (weights,
# vectors, accuracy). A checkpoint whose random streams (negative sampling,
# dropout) are reset resumes differently, so the comparison can fail.
# Usage: resume_test.sh <build dir>
set -euo pipefail
bin=$1/flowgrad
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bin" gen-data --out "$dir/data" --documents 300 > /dev/null

# same <what> <file a> <file b>
same() {
  if ! cmp "$2" "$3"; then echo "FAIL $1: $2 and $3 differ"; exit 1; fi
}

# word2vec: 12 steps, checkpoints every 4 (3 of them: steps 4, 8 and 12).
w2v=(train word2vec --data "$dir/data" --steps 12 --batch-size 64)
"$bin" "${w2v[@]}" --out "$dir/w_straight" > "$dir/w_straight.log"
"$bin" "${w2v[@]}" --checkpoint-dir "$dir/w_ck" --checkpoint-every 4 --out "$dir/w_first" > "$dir/w_first.log"
[ -f "$dir/w_ck/step-00000004/manifest.json" ] && [ -f "$dir/w_ck/step-00000012/manifest.json" ] ||
  { echo "FAIL word2vec: expected checkpoints at steps 4 and 12"; ls "$dir/w_ck"; exit 1; }
"$bin" "${w2v[@]}" --resume "$dir/w_ck/step-00000004" --out "$dir/w_resumed" > "$dir/w_resumed.log"
grep -F "resuming from $dir/w_ck/step-00000004 (word2vec, step 4)" "$dir/w_resumed.log" > /dev/null
same "word2vec resumed at step 4" "$dir/w_straight/vectors.txt" "$dir/w_resumed/vectors.txt"
# the metrics CSV continues: steps 5..12 only
[ "$(sed -n 2p "$dir/w_resumed/word2vec_metrics.csv" | cut -d, -f1)" = 5 ] || { echo "FAIL: the resumed CSV does not start at step 5"; exit 1; }
# the negative-sampling stream matters: a checkpoint with it reset resumes differently
sed -i 's/"negatives_rng": *"[0-9]*"/"negatives_rng": "0"/' "$dir/w_ck/step-00000004/manifest.json"
"$bin" "${w2v[@]}" --resume "$dir/w_ck/step-00000004" --out "$dir/w_forgot" > /dev/null
if cmp -s "$dir/w_straight/vectors.txt" "$dir/w_forgot/vectors.txt"; then
  echo "FAIL word2vec: resuming with the negatives stream reset gave the same vectors (the test cannot fail)"; exit 1
fi
echo "ok   word2vec: 12 steps == 4 + resume + 8 (vectors.txt identical); a reset negatives stream differs"

# LSTM with its default dropout 0.1: 16 steps, a checkpoint at the epoch end (400 sentences / 32 = 12 batches) and step 16.
mkdir -p "$dir/small"
head -n 400 "$dir/data/sentiment_train.tsv" > "$dir/small/sentiment_train.tsv"
head -n 200 "$dir/data/sentiment_test.tsv" > "$dir/small/sentiment_test.tsv"
lstm=(train lstm --data "$dir/small" --steps 16 --batch-size 32)
"$bin" "${lstm[@]}" --out "$dir/l_straight" > "$dir/l_straight.log"
"$bin" "${lstm[@]}" --checkpoint-dir "$dir/l_ck" --out "$dir/l_first" > "$dir/l_first.log"
ls "$dir/l_ck" > "$dir/l_ck.txt"
[ "$(cat "$dir/l_ck.txt" | tr '\n' ' ')" = "step-00000012 step-00000016 " ] ||
  { echo "FAIL lstm: expected checkpoints at the epoch end (12) and the last step (16), got:"; cat "$dir/l_ck.txt"; exit 1; }
"$bin" "${lstm[@]}" --resume "$dir/l_ck/step-00000012" --out "$dir/l_resumed" > "$dir/l_resumed.log"
same "lstm resumed at step 12 (the epoch end)" "$dir/l_straight/lstm.safetensors" "$dir/l_resumed/lstm.safetensors"
same "lstm accuracy" "$dir/l_straight/accuracy.txt" "$dir/l_resumed/accuracy.txt"
# the run counter matters (dropout): a checkpoint with it reset resumes differently
sed -i 's/"session_step": *[0-9]*/"session_step": 0/' "$dir/l_ck/step-00000012/manifest.json"
"$bin" "${lstm[@]}" --resume "$dir/l_ck/step-00000012" --out "$dir/l_forgot" > /dev/null
if cmp -s "$dir/l_straight/lstm.safetensors" "$dir/l_forgot/lstm.safetensors"; then
  echo "FAIL lstm: resuming with the dropout streams reset gave the same weights (the test cannot fail)"; exit 1
fi
echo "ok   lstm: 16 steps == 12 + resume + 4 (lstm.safetensors identical, dropout on); a reset run counter differs"

# BERT: 6 pre-training + 6 fine-tuning steps; resume in pre-training (step 3) and in fine-tuning (step 6 + 3 = 9).
bert=(train bert --data "$dir/data" --steps 6 --batch-size 8)
"$bin" "${bert[@]}" --out "$dir/b_straight" > "$dir/b_straight.log"
"$bin" "${bert[@]}" --checkpoint-dir "$dir/b_ck" --checkpoint-every 3 --out "$dir/b_first" > "$dir/b_first.log"
for step in 00000003 00000009; do
  "$bin" "${bert[@]}" --resume "$dir/b_ck/step-$step" --out "$dir/b_$step" > "$dir/b_$step.log"
  same "bert resumed at step $step" "$dir/b_straight/model.safetensors" "$dir/b_$step/model.safetensors"
done
grep -F "(bert-pretraining, step 3)" "$dir/b_00000003.log" > /dev/null
grep -F "(bert-finetuning, step 9)" "$dir/b_00000009.log" > /dev/null
if grep -F "BERT pre-training" "$dir/b_00000009.log" > /dev/null; then echo "FAIL bert: a fine-tuning resume pre-trained again"; exit 1; fi
echo "ok   bert: 6 + 6 steps == resumed in pre-training (step 3) == resumed in fine-tuning (step 9) (model.safetensors identical)"

# --resume with a --checkpoint-dir takes its newest good checkpoint
"$bin" "${lstm[@]}" --resume "$dir/l_ck" --out "$dir/l_latest" > "$dir/l_latest.log"
grep -F "resuming from $dir/l_ck/step-00000016 (lstm, step 16)" "$dir/l_latest.log" > /dev/null
same "lstm resumed at its last step" "$dir/l_straight/lstm.safetensors" "$dir/l_latest/lstm.safetensors"
echo "ok   --resume <checkpoint dir> takes the newest checkpoint"

# resuming into the interrupted run's --out: its metrics CSV keeps steps 1..12 and continues (no step twice)
"$bin" "${lstm[@]}" --resume "$dir/l_ck/step-00000012" --out "$dir/l_first" > /dev/null
[ "$(cut -d, -f1 "$dir/l_first/lstm_metrics.csv" | tr '\n' ' ')" = "step 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 " ] ||
  { echo "FAIL: the resumed metrics CSV:"; cat "$dir/l_first/lstm_metrics.csv"; exit 1; }
echo "ok   a resume into the same --out continues its metrics CSV"
