#!/usr/bin/env bash
# `mpirun -np 2 flowgrad train ...`: word2vec on 2 workers with batch b writes
# exactly the vectors of 1 worker with batch 2b, only rank 0 prints and
# writes; the LSTM classifier (with --trace: a trace per worker) and BERT
# train on 2 workers.
#   train_workers_test.sh <build dir> <mpirun command...>
source "$(dirname "$0")/cli_preamble.sh"

"${mpirun[@]}" "$flowgrad" train word2vec --data "$tmp/data" --steps 20 --batch-size 128 --out "$tmp/w2" >"$tmp/w2.log" 2>&1
"$flowgrad" train word2vec --data "$tmp/data" --steps 20 --batch-size 256 --out "$tmp/w1" >"$tmp/w1.log" 2>&1
if ! cmp "$tmp/w2/vectors.txt" "$tmp/w1/vectors.txt"; then
  echo "FAIL: word2vec vectors of 2 workers x batch 128 differ from 1 worker x batch 256"
  exit 1
fi
wrote=$(grep -c "wrote .*vectors.txt" "$tmp/w2.log" || true)
if [ "$wrote" != 1 ]; then
  echo "FAIL: expected one 'wrote vectors.txt' line (rank 0 only), got $wrote:"
  cat "$tmp/w2.log"
  exit 1
fi
echo "ok   word2vec: 2 workers x 128 == 1 worker x 256 (vectors.txt identical), rank 0 alone prints"

"${mpirun[@]}" "$flowgrad" train lstm --data "$tmp/data" --steps 10 --batch-size 16 --out "$tmp/lstm" \
  --trace "$tmp/lstm_trace.json" >"$tmp/lstm.log" 2>&1
grep "LSTM test accuracy" "$tmp/lstm.log" >/dev/null
test -s "$tmp/lstm/lstm.safetensors"
# --trace under mpirun: one Chrome trace per worker, pid = rank
for rank in 0 1; do
  /usr/bin/python3 -c 'import json, sys
events = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "X"]
assert len(events) > 100 and {e["pid"] for e in events} == {int(sys.argv[2])}, (len(events), sys.argv)' \
    "$tmp/lstm_trace.$rank.json" "$rank"
done
echo "ok   lstm on 2 workers (a trace per worker)"
"${mpirun[@]}" "$flowgrad" train bert --data "$tmp/data" --steps 3 --batch-size 8 --out "$tmp/bert" >"$tmp/bert.log" 2>&1
grep "BERT test accuracy" "$tmp/bert.log" >/dev/null
test -s "$tmp/bert/model.safetensors"
echo "ok   bert (pre-training + fine-tuning) on 2 workers"
