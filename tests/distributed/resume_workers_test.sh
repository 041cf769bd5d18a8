#!/usr/bin/env bash
# Checkpoints resume with another number of workers: a checkpoint written by
# `mpirun -np 2 flowgrad train ... --batch-size b` resumes in one process with
# --batch-size 2b (and one written by 1 x 2b resumes on 2 x b) and ends where
# a straight 1 x 2b run ends:
#   word2vec            vectors.txt byte-identical (its exchange is exact)
#   lstm, dropout 0     lstm.safetensors within rel 1e-4 of 1 x 2b straight:
#                       as close as 2 x b straight is (measured 4.1e-5; Adam's
#                       first steps amplify the rounding of the mean of two
#                       half-batch means), and within 1e-5 of 2 x b straight
# With dropout, 2 workers resume on 2 workers bit for bit. Only rank 0 writes checkpoints; BERT resumes its fine-tuning across counts;
# a damaged checkpoint ends a 2-worker job with the checksum error.
#   resume_workers_test.sh <build dir> <mpirun command...>
GEN_DATA_ARGS="--documents 300" source "$(dirname "$0")/cli_preamble.sh"

# word2vec: 12 steps of a global batch of 128, a checkpoint every 4
w2v=(train word2vec --data "$tmp/data" --steps 12)
"$flowgrad" "${w2v[@]}" --batch-size 128 --out "$tmp/w_straight" >"$tmp/w_straight.log" 2>&1
"${mpirun[@]}" "$flowgrad" "${w2v[@]}" --batch-size 64 --checkpoint-dir "$tmp/w_ck2" --checkpoint-every 4 >"$tmp/w_ck2.log" 2>&1
written=$(grep -c "^checkpoint " "$tmp/w_ck2.log" || true)
if [ "$written" != 3 ]; then
  echo "FAIL: expected 3 'checkpoint' lines (steps 4, 8, 12, rank 0 only), got $written:"; cat "$tmp/w_ck2.log"; exit 1
fi
grep -F '"workers": "2"' "$tmp/w_ck2/step-00000004/manifest.json" >/dev/null
"$flowgrad" "${w2v[@]}" --batch-size 128 --resume "$tmp/w_ck2/step-00000004" --out "$tmp/w_2to1" >"$tmp/w_2to1.log" 2>&1
cmp "$tmp/w_straight/vectors.txt" "$tmp/w_2to1/vectors.txt" ||
  { echo "FAIL word2vec: checkpoint of 2 x 64 resumed on 1 x 128 differs from 1 x 128 straight"; exit 1; }
"$flowgrad" "${w2v[@]}" --batch-size 128 --checkpoint-dir "$tmp/w_ck1" --checkpoint-every 4 >/dev/null 2>&1
"${mpirun[@]}" "$flowgrad" "${w2v[@]}" --batch-size 64 --resume "$tmp/w_ck1/step-00000008" --out "$tmp/w_1to2" >"$tmp/w_1to2.log" 2>&1
cmp "$tmp/w_straight/vectors.txt" "$tmp/w_1to2/vectors.txt" ||
  { echo "FAIL word2vec: checkpoint of 1 x 128 resumed on 2 x 64 differs from 1 x 128 straight"; exit 1; }
echo "ok   word2vec: 2 x 64 -> 1 x 128 and 1 x 128 -> 2 x 64 resumes give the straight run's vectors.txt byte for byte"

# LSTM without dropout (the one per-worker random stream): 20 steps of a global batch of 32, resumed at step 10
echo '{"dropout": 0}' >"$tmp/lstm.json"
lstm=(train lstm --data "$tmp/data" --config "$tmp/lstm.json")
"$flowgrad" "${lstm[@]}" --steps 20 --batch-size 32 --out "$tmp/l_straight" >"$tmp/l_straight.log" 2>&1
"${mpirun[@]}" "$flowgrad" "${lstm[@]}" --steps 20 --batch-size 16 --checkpoint-dir "$tmp/l_ck2" --checkpoint-every 10 --out "$tmp/l_two" >"$tmp/l_ck2.log" 2>&1
"$flowgrad" "${lstm[@]}" --steps 20 --batch-size 32 --resume "$tmp/l_ck2/step-00000010" --out "$tmp/l_2to1" >"$tmp/l_2to1.log" 2>&1
echo -n "lstm, 2 x 16 straight vs 1 x 32 straight:        "
"$build/weights_diff" "$tmp/l_two/lstm.safetensors" "$tmp/l_straight/lstm.safetensors" 1e-4
echo -n "lstm, 2 x 16 -> resumed on 1 x 32 vs 1 x 32:     "
"$build/weights_diff" "$tmp/l_2to1/lstm.safetensors" "$tmp/l_straight/lstm.safetensors" 1e-4
echo -n "lstm, 2 x 16 -> resumed on 1 x 32 vs 2 x 16:     "
"$build/weights_diff" "$tmp/l_2to1/lstm.safetensors" "$tmp/l_two/lstm.safetensors" 1e-5
"$flowgrad" "${lstm[@]}" --steps 20 --batch-size 32 --checkpoint-dir "$tmp/l_ck1" --checkpoint-every 10 >/dev/null 2>&1
"${mpirun[@]}" "$flowgrad" "${lstm[@]}" --steps 20 --batch-size 16 --resume "$tmp/l_ck1/step-00000010" --out "$tmp/l_1to2" >"$tmp/l_1to2.log" 2>&1
echo -n "lstm, 1 x 32 -> resumed on 2 x 16 vs 1 x 32:     "
"$build/weights_diff" "$tmp/l_1to2/lstm.safetensors" "$tmp/l_straight/lstm.safetensors" 1e-4
# the comparison can fail: a resume that skipped the data position would not match
"$flowgrad" "${lstm[@]}" --steps 10 --batch-size 32 --out "$tmp/l_ten" >/dev/null 2>&1
if "$build/weights_diff" "$tmp/l_ten/lstm.safetensors" "$tmp/l_straight/lstm.safetensors" 1e-4 >/dev/null; then
  echo "FAIL lstm: 10 steps match 20 steps within 1e-4 (the comparison cannot fail)"; exit 1
fi
echo "ok   lstm (dropout 0): resumed across 2 <-> 1 workers within rel 1e-4 of the straight 1 x 32 run (as close as 2 x 16 straight is)"

# With dropout on, the same number of workers resumes bit for bit (each worker's stream continues)
drop=(train lstm --data "$tmp/data" --steps 12 --batch-size 16)
"${mpirun[@]}" "$flowgrad" "${drop[@]}" --checkpoint-dir "$tmp/d_ck" --checkpoint-every 6 --out "$tmp/d_straight" >/dev/null 2>&1
"${mpirun[@]}" "$flowgrad" "${drop[@]}" --resume "$tmp/d_ck/step-00000006" --out "$tmp/d_resumed" >/dev/null 2>&1
cmp "$tmp/d_straight/lstm.safetensors" "$tmp/d_resumed/lstm.safetensors" ||
  { echo "FAIL lstm with dropout: 2 workers resumed on 2 workers differ from the straight run"; exit 1; }
echo "ok   lstm with dropout 0.1: 2 x 16 resumed on 2 x 16 gives lstm.safetensors byte for byte"

# BERT (dropout on, so only that it resumes): fine-tuning checkpoint of 2 x 4, resumed on 1 x 8
bert=(train bert --data "$tmp/data" --steps 2)
"${mpirun[@]}" "$flowgrad" "${bert[@]}" --batch-size 4 --checkpoint-dir "$tmp/b_ck2" --checkpoint-every 2 >"$tmp/b_ck2.log" 2>&1
"$flowgrad" "${bert[@]}" --batch-size 8 --resume "$tmp/b_ck2" --out "$tmp/b" >"$tmp/b.log" 2>&1
grep -F "(bert-finetuning, step 4)" "$tmp/b.log" >/dev/null
grep -F "BERT test accuracy" "$tmp/b.log" >/dev/null
echo "ok   bert: a fine-tuning checkpoint of 2 x 4 resumes on 1 x 8"

# a damaged checkpoint under mpirun: every worker stops with the named error
cp -r "$tmp/l_ck2/step-00000010" "$tmp/l_bad"
weights=$tmp/l_bad/weights.safetensors
printf 'XXXXXXXX' | dd of="$weights" bs=1 seek=$(($(stat -c %s "$weights") - 100)) conv=notrunc 2>/dev/null
rc=0
timeout 120 "${mpirun[@]}" "$flowgrad" "${lstm[@]}" --steps 20 --batch-size 16 --resume "$tmp/l_bad" >"$tmp/bad.log" 2>&1 || rc=$?
if [ "$rc" = 0 ] || [ "$rc" = 124 ] || ! grep -F "checkpoint '$tmp/l_bad': checksum mismatch for tensor" "$tmp/bad.log" >/dev/null; then
  echo "FAIL: resuming 2 workers from a damaged checkpoint: exit $rc, expected the checksum error:"; cat "$tmp/bad.log"; exit 1
fi
echo "ok   a damaged checkpoint under mpirun: exit $rc, $(grep -F -m1 'checksum mismatch' "$tmp/bad.log")"
