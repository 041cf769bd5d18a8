#!/usr/bin/python3
"""gensim reference for the word2vec benchmark: skip-gram with negative
sampling, the same hyper-parameters as flowgrad's run (dim 100, window 5,
5 negatives, min-count 5, subsampling 1e-3, one epoch), `workers` = threads.
Writes the vectors in the word2vec text format for the quality comparison.

    /usr/bin/python3 bench/reference/gensim_w2v.py CORPUS THREADS SEED OUT_VECTORS
"""
import json
import logging
import sys
import time

from gensim.models import Word2Vec


def main():
    corpus, threads, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    logging.basicConfig(level=logging.WARNING)
    t0 = time.perf_counter()
    model = Word2Vec(corpus_file=corpus, vector_size=100, window=5, negative=5, min_count=5, sample=1e-3, sg=1,
                     workers=threads, epochs=1, seed=seed)
    seconds = time.perf_counter() - t0
    model.wv.save_word2vec_format(out)
    print(json.dumps({"impl": "gensim", "words": model.corpus_total_words, "vocab": len(model.wv),
                      "train_seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
