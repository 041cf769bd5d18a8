#!/usr/bin/python3
"""The benchmark driver behind bench/run.sh: runs flowgrad and the reference
implementations on the same workloads, shapes and thread counts, each
configuration in its own process, REPS times, and writes

  OUT/results.json   every run (one object per process)
  OUT/summary.csv    per workload/threads/impl: median, min, max of the
                     per-run medians, ratio flowgrad/reference, peak RSS
  OUT/throughput.png throughput per workload and thread count

and prints the summary table. Usage (normally through bench/run.sh):

  bench/run.py --build BUILD --out OUT [--quick] [--reps N] [--threads 1,2]
               [--workloads bert-mini,lstm,...] [--corpus FILE]
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's interpreter, with python3-torch and python3-gensim
STEP_WORKLOADS = ["bert-mini", "bert-base", "lstm", "bilstm2"]


def run_json(cmd, env=None):
    """Runs one process; returns its last JSON line plus its own peak RSS and wall time."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err[-2000:]}")
    lines = [l for l in out.splitlines() if l.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    result["process_peak_rss_mib"] = round(usage.ru_maxrss / 1024.0, 1)
    result["wall_seconds"] = round(wall, 3)
    return result


def thread_env(threads):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)  # for PyTorch's and OpenBLAS's OpenMP teams
    return env


def step_runs(args, workload, threads):
    steps = "3" if args.quick or workload == "bert-base" else "10"
    runs = []
    for rep in range(args.reps):
        for impl in ("flowgrad", "pytorch"):
            if impl == "flowgrad":
                cmd = [os.path.join(args.build, "train_bench"), workload, str(threads), steps]
            else:
                cmd = [PYTHON, os.path.join(HERE, "reference", "torch_train.py"), workload, str(threads), steps]
            r = run_json(cmd, thread_env(threads))
            r["rep"] = rep
            runs.append(r)
            print(f"  {impl:9s} {workload:10s} threads {threads} rep {rep}: {r['median']:.1f} {r['unit']}", flush=True)
    return runs


def load_vectors(path):
    import numpy as np
    with open(path, encoding="utf-8") as f:
        n, d = map(int, f.readline().split())
        words, rows = [], np.zeros((n, d), dtype=np.float32)
        for i, line in enumerate(f):
            parts = line.rstrip("\n").split(" ")
            words.append(parts[0])
            rows[i] = np.asarray(parts[1:d + 1], dtype=np.float32)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return words, rows


def neighbour_overlap(path_a, path_b, first=100, count=500, k=10):
    """Mean |top-k(a) ∩ top-k(b)| / k over words of frequency rank first..first+count
    (ranks of file a, which lists words by frequency), neighbours searched in the
    vocabulary the two files share."""
    import numpy as np
    wa, va = load_vectors(path_a)
    wb, vb = load_vectors(path_b)
    index_b = {w: i for i, w in enumerate(wb)}
    ia = [i for i, w in enumerate(wa) if w in index_b]  # shared words, in a's frequency order
    sa, sb = va[ia], vb[[index_b[wa[i]] for i in ia]]
    overlaps = []
    for q in range(first, min(first + count, len(ia))):
        ta = set(np.argsort(-(sa @ sa[q]))[1:k + 1])
        tb = set(np.argsort(-(sb @ sb[q]))[1:k + 1])
        overlaps.append(len(ta & tb) / k)
    return round(float(np.mean(overlaps)), 4)


def word2vec_runs(args, threads):
    runs = []
    out_dir = os.path.join(args.out, "word2vec")
    os.makedirs(out_dir, exist_ok=True)
    config = os.path.join(out_dir, "config.json")
    with open(config, "w") as f:
        json.dump({"mode": "skipgram", "dim": 100, "window": 5, "negatives": 5, "sample": 1e-3, "min_count": 5}, f)
    with open(args.corpus) as f:
        words = sum(len(line.split()) for line in f)
    for rep in range(args.reps):
        fg_out = os.path.join(out_dir, f"flowgrad-t{threads}-r{rep}")
        r = run_json([os.path.join(args.build, "flowgrad"), "--threads", str(threads), "train", "word2vec", "--data",
                      args.corpus, "--config", config, "--epochs", "1", "--batch-size", "1024", "--seed", str(rep + 1),
                      "--hogwild", "--out", fg_out], thread_env(threads))  # a worker per thread, as gensim's
        r.update(impl="flowgrad", vectors=os.path.join(fg_out, "vectors.txt"))
        g_vectors = os.path.join(out_dir, f"gensim-t{threads}-r{rep}.txt")
        g = run_json([PYTHON, os.path.join(HERE, "reference", "gensim_w2v.py"), args.corpus, str(threads), str(rep + 1),
                      g_vectors], thread_env(threads))
        g.update(impl="gensim", vectors=g_vectors)
        for x in (r, g):  # end to end: reading, vocabulary, training, writing vectors
            x.update(workload="word2vec", threads=threads, unit="words/s", rep=rep,
                     median=round(words / x["wall_seconds"], 1), peak_rss_mib=x["process_peak_rss_mib"])
            print(f"  {x['impl']:9s} word2vec   threads {threads} rep {rep}: {x['median']:.0f} words/s", flush=True)
        runs += [r, g]
    gensim_vectors = [x["vectors"] for x in runs if x["impl"] == "gensim"]
    quality = {"flowgrad_vs_gensim": neighbour_overlap(gensim_vectors[0], runs[0]["vectors"])}
    if len(gensim_vectors) > 1:  # how much two gensim runs with different seeds agree: the bar to compare with
        quality["gensim_vs_gensim"] = neighbour_overlap(gensim_vectors[0], gensim_vectors[1])
    anchor, own = os.path.join(out_dir, "gensim-t1-r0.txt"), os.path.join(out_dir, "flowgrad-t1-r0", "vectors.txt")
    if threads > 1 and os.path.exists(anchor) and os.path.exists(own):
        # gensim's workers each train on their own part of the file, and its models at 1 and at several
        # workers agree less than two 1-worker models do: each implementation against its own 1-thread
        # model, and both against 1-worker gensim.
        quality["flowgrad_vs_flowgrad_t1"] = neighbour_overlap(own, runs[0]["vectors"])
        quality["gensim_vs_gensim_t1"] = neighbour_overlap(anchor, gensim_vectors[0])
        quality["flowgrad_vs_gensim_t1"] = neighbour_overlap(anchor, runs[0]["vectors"])
    print(f"  word2vec top-10 neighbour overlap: {quality}", flush=True)
    runs[0]["quality"] = quality
    return runs


def summarize(runs):
    rows = []
    keys = sorted({(r["workload"], r["threads"]) for r in runs}, key=lambda k: (k[0], k[1]))
    for workload, threads in keys:
        group = [r for r in runs if r["workload"] == workload and r["threads"] == threads]
        by_impl = {}
        for impl in sorted({r["impl"] for r in group}):
            xs = [r for r in group if r["impl"] == impl]
            medians = [r["median"] for r in xs]
            by_impl[impl] = {"median": statistics.median(medians), "min": min(medians), "max": max(medians),
                             "peak_rss_mib": max(r["peak_rss_mib"] for r in xs), "unit": xs[0]["unit"],
                             "first_step_ms": statistics.median([r.get("first_step_ms", float("nan")) for r in xs]),
                             "blas": xs[0].get("blas", "")}
        ref = "gensim" if workload == "word2vec" else "pytorch"
        for impl, s in by_impl.items():
            ratio = s["median"] / by_impl[ref]["median"] if ref in by_impl else float("nan")
            rss_ratio = s["peak_rss_mib"] / by_impl[ref]["peak_rss_mib"] if ref in by_impl else float("nan")
            rows.append(dict(workload=workload, threads=threads, impl=impl, **s, ratio=round(ratio, 3),
                             rss_ratio=round(rss_ratio, 3), runs=len(medians)))
    return rows


def print_table(rows):
    print(f"\n{'workload':10s} {'thr':>3s} {'impl':9s} {'median':>10s} {'min':>10s} {'max':>10s} {'unit':12s} "
          f"{'x ref':>6s} {'RSS MiB':>8s} {'x ref':>6s} {'1st step ms':>11s} blas")
    for r in rows:
        print(f"{r['workload']:10s} {r['threads']:3d} {r['impl']:9s} {r['median']:10.1f} {r['min']:10.1f} {r['max']:10.1f} "
              f"{r['unit']:12s} {r['ratio']:6.2f} {r['peak_rss_mib']:8.0f} {r['rss_ratio']:6.2f} "
              f"{r['first_step_ms']:11.0f} {r['blas']}")


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(python3-matplotlib not installed: no plot)")
        return
    workloads = sorted({r["workload"] for r in rows})
    fig, axes = plt.subplots(1, len(workloads), figsize=(4 * len(workloads), 3.5), squeeze=False)
    for ax, w in zip(axes[0], workloads):
        impls = sorted({r["impl"] for r in rows if r["workload"] == w})
        threads = sorted({r["threads"] for r in rows if r["workload"] == w})
        width = 0.8 / len(impls)
        for k, impl in enumerate(impls):
            xs = [r for r in rows if r["workload"] == w and r["impl"] == impl]
            pos = [threads.index(r["threads"]) + k * width for r in xs]
            ax.bar(pos, [r["median"] for r in xs], width, label=impl,
                   yerr=[[r["median"] - r["min"] for r in xs], [r["max"] - r["median"] for r in xs]])
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(threads))], [f"{t} thr" for t in threads])
        ax.set_title(w)
        ax.set_ylabel(xs[0]["unit"])
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--quick", action="store_true", help="1 rep, bert-mini, lstm and word2vec only, fewer steps")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--workloads", default=",".join(STEP_WORKLOADS + ["word2vec"]))
    p.add_argument("--corpus", default="")
    args = p.parse_args()
    if args.quick:
        args.reps = 1
        args.workloads = "bert-mini,lstm,word2vec"
    os.makedirs(args.out, exist_ok=True)
    runs = []
    for threads in [int(t) for t in args.threads.split(",")]:
        for w in args.workloads.split(","):
            if w == "word2vec":
                if not args.corpus:
                    sys.exit("run.py: word2vec needs --corpus (bench/make_corpus.sh makes it)")
                runs += word2vec_runs(args, threads)
            elif w in STEP_WORKLOADS:
                runs += step_runs(args, w, threads)
            else:
                sys.exit(f"run.py: unknown workload '{w}'")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(runs, f, indent=1)
    rows = summarize(runs)
    with open(os.path.join(args.out, "summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print_table(rows)
    plot(rows, os.path.join(args.out, "throughput.png"))
    print(f"\nwrote {args.out}/results.json, summary.csv, throughput.png")


if __name__ == "__main__":
    main()
