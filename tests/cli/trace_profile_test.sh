#!/usr/bin/env bash
# Profiling tools: `--trace out.json` on `flowgrad replay` and `train`
# writes a Chrome trace (valid JSON, one complete event per executed node per
# run, with the node's name, op and shapes); `flowgrad inspect --profile`
# prints the top ops and every matmul with a GFLOP/s > 0; `flowgrad peak`
# writes the JSON --peak-file reads; bad input is a clear error.
# Usage: trace_profile_test.sh <build dir>
set -euo pipefail
fg=$1/flowgrad
py=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$fg" export lstm --out "$dir/lstm" --batch-size 8 --seq-len 8 --vocab-size 50 > /dev/null
graph=$dir/lstm/graph.pb
inputs=(--weights "$dir/lstm/weights.safetensors" --feed "$dir/lstm/feed.safetensors")

# 1. replay --trace: every kernel of the plan once per run
"$fg" --threads 2 replay "$graph" "${inputs[@]}" --steps 3 --trace "$dir/replay.json" > "$dir/replay.txt"
cat "$dir/replay.txt"
grep -F "wrote trace $dir/replay.json" "$dir/replay.txt" > /dev/null
kernels=$("$fg" inspect "$graph" | sed -n 's/^per step: \([0-9]*\) kernels.*/\1/p')
test -n "$kernels"
"$py" - "$dir/replay.json" "$kernels" <<'PY'
import collections, json, sys
path, kernels = sys.argv[1], int(sys.argv[2])
events = [e for e in json.load(open(path))["traceEvents"] if e["ph"] == "X"]
for e in events:
    assert e["name"] and e["args"]["op"] and e["cat"] == e["args"]["op"], e
    assert e["dur"] >= 0 and e["ts"] >= 0 and isinstance(e["tid"], int) and e["pid"] == 0, e
    assert e["args"]["outputs"] and all(s.startswith(("f32[", "i32[", "i64[", "bool[")) for s in e["args"]["outputs"]), e
per_run = collections.Counter(e["args"]["step"] for e in events)
assert sorted(per_run) == [0, 1, 2], per_run
assert set(per_run.values()) == {kernels}, (per_run, kernels)
per_node = collections.Counter((e["name"], e["args"]["step"]) for e in events)
assert max(per_node.values()) == 1, per_node.most_common(3)
ops = {e["args"]["op"] for e in events}
assert "lstm" in ops and ("matmul" in ops or "matmul_bias_act" in ops), ops
print(f"replay trace: {len(events)} events, {kernels} nodes x 3 runs, ops: {len(ops)}")
PY

# 2. train --trace, each model (a tiny run): a valid trace with names and ops
"$fg" gen-data --out "$dir/data" --documents 200 > /dev/null
# check_trace <trace> <training steps>: every event named and timed, and at
# least that many runs (args.step) of a training graph (over 10 nodes; the
# evaluation runs after training are smaller)
check_trace() {
  "$py" - "$1" "$2" <<'PY'
import collections, json, sys
events = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "X"]
assert all(e["name"] and e["args"]["op"] and e["dur"] >= 0 for e in events)
runs = collections.defaultdict(set)
for e in events:
    runs[e["args"]["step"]].add(e["name"])
training = [step for step, names in runs.items() if len(names) > 10]
assert len(training) >= int(sys.argv[2]), f"{len(training)} training runs traced, expected >= {sys.argv[2]}"
print(f"{sys.argv[1]}: {len(events)} events in {len(runs)} runs, {len({e['args']['op'] for e in events})} ops")
PY
}
"$fg" train word2vec --data "$dir/data" --steps 4 --batch-size 64 --trace "$dir/w2v.json" > "$dir/w2v.txt"
check_trace "$dir/w2v.json" 4
"$fg" train lstm --data "$dir/data" --steps 3 --batch-size 16 --trace "$dir/train_lstm.json" > "$dir/lstm.txt"
check_trace "$dir/train_lstm.json" 3
"$fg" train bert --data "$dir/data" --steps 2 --batch-size 8 --trace "$dir/bert.json" > "$dir/bert.txt"
check_trace "$dir/bert.json" 2

# 3. inspect --profile: the tables, a matmul row with GFLOP/s > 0
"$fg" --threads 2 inspect --profile "$graph" "${inputs[@]}" --steps 4 --peak 100 > "$dir/profile.txt"
cat "$dir/profile.txt"
grep -F "3 timed runs after 1 untimed" "$dir/profile.txt" > /dev/null
grep -F "top ops by time per step:" "$dir/profile.txt" > /dev/null
grep -E "^  lstm +1 +[0-9.]+ +[0-9.]+$" "$dir/profile.txt" > /dev/null
grep -F "matmul peak: 100.0 GFLOP/s at 2 threads (given by --peak)" "$dir/profile.txt" > /dev/null
# nodes that ran on 1 of the 2 threads are compared with half of it
grep -F "matmul peak: 50.0 GFLOP/s at 1 thread (1/2 of the 2-thread figure, given by --peak)" "$dir/profile.txt" > /dev/null
# matmul rows: batch M N K tA tB MFLOP ms/call GFLOP/s %peak thr fused node
awk '$5 ~ /^[-T]$/ && $6 ~ /^[-T]$/ && NF >= 13 { rows++; if ($9 > 0 && $10 > 0) good++ }
     END { if (rows < 1 || good != rows) { print "matmul rows: " rows ", with GFLOP/s > 0: " good; exit 1 } }' "$dir/profile.txt"
grep -E "^all matmuls: .* GFLOP/s" "$dir/profile.txt" > /dev/null

# the peak: `flowgrad peak` writes what --peak-file reads; without either, it is measured (and said so)
"$fg" --threads 1 peak --size 256 --seconds 0.05 --out "$dir/peak.json" > /dev/null
"$py" -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; assert r["threads"] == 1 and r["best_gflops"] > 0 and r["add_gbps"] > 0, r' \
  "$dir/peak.json"
"$fg" --threads 1 inspect --profile "$graph" "${inputs[@]}" --steps 2 --peak-file "$dir/peak.json" --trace "$dir/profile.json" \
  > "$dir/profile1.txt"
grep -E "^matmul peak: [0-9.]+ GFLOP/s at 1 thread \(oneDNN f32 matmul 256\^3, from $dir/peak.json\)" "$dir/profile1.txt" > /dev/null
"$py" -c 'import json, sys; assert any(e["ph"] == "X" for e in json.load(open(sys.argv[1]))["traceEvents"])' "$dir/profile.json"
"$fg" --threads 1 inspect --profile "$graph" "${inputs[@]}" --steps 2 > "$dir/profile2.txt"
grep -F "measured now" "$dir/profile2.txt" > /dev/null

# 4. bad input: a clear error, non-zero
expect_error() {
  local want=$1
  shift
  if "$fg" "$@" > "$dir/out" 2> "$dir/err"; then echo "accepted: $*"; exit 1; fi
  grep -F -- "$want" "$dir/err" > /dev/null || { echo "error lacks '$want':"; cat "$dir/err"; exit 1; }
  echo "ok: $(head -c 200 "$dir/err")"
}
expect_error "--weights '$dir/nope.safetensors': no such file" inspect --profile "$graph" --weights "$dir/nope.safetensors"
expect_error "--steps 0: the profile needs at least 2 runs" inspect --profile "$graph" "${inputs[@]}" --steps 0
expect_error "--steps 1: the profile needs at least 2 runs" inspect --profile "$graph" "${inputs[@]}" --steps 1
echo '{"results": [{"threads": 2}]}' > "$dir/bad_peak.json"
expect_error "--peak-file '$dir/bad_peak.json': no result with \"threads\" >= 1 and \"best_gflops\" > 0" \
  inspect --profile "$graph" "${inputs[@]}" --steps 2 --peak-file "$dir/bad_peak.json"
expect_error "--weights requires --profile" inspect "$graph" --weights "$dir/lstm/weights.safetensors"
expect_error "the folder '$dir/nowhere' does not exist" replay "$graph" "${inputs[@]}" --trace "$dir/nowhere/t.json"
expect_error "the folder '$dir/nowhere' does not exist" inspect --profile "$graph" "${inputs[@]}" --trace "$dir/nowhere/t.json"
echo "trace/profile test passed"
