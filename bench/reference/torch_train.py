#!/usr/bin/python3
"""PyTorch reference for bench/train_bench.cpp: the same workloads, shapes,
optimizers and thread count, timed the same way (one warm-up step, then the
median/min/max of STEPS steps), printed as the same JSON line.

    /usr/bin/python3 bench/reference/torch_train.py WORKLOAD THREADS [STEPS]

Uses Debian's python3-torch (1.13, oneDNN 2.6). PyTorch's dense matmuls go
through the BLAS that the system's alternatives select; bench/run.sh makes
sure OpenBLAS is the one (see blas_info()), as the reference BLAS is >10x
slower and would make the ratios meaningless.

BERT is the standard post-LN encoder (nn.TransformerEncoderLayer, GELU erf,
dropout 0.1) with learned position and segment embeddings, masked-LM on the
gathered masked positions with a decoder tied to the word embeddings, NSP on
the pooled [CLS]. This is how Hugging Face's BertForPreTraining computes,
minus its Python-level overheads.
"""
import json
import resource
import sys
import time

import torch
from torch import nn


class Bert(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, ffn, max_pos=512):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.seg = nn.Embedding(2, hidden)
        self.emb_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.drop = nn.Dropout(0.1)
        layer = nn.TransformerEncoderLayer(hidden, heads, ffn, dropout=0.1, activation="gelu",
                                           layer_norm_eps=1e-12, batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.pooler = nn.Linear(hidden, hidden)
        self.mlm_dense = nn.Linear(hidden, hidden)
        self.mlm_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.mlm_bias = nn.Parameter(torch.zeros(vocab))
        self.nsp = nn.Linear(hidden, 2)
        for m in self.modules():  # BERT's initialization: N(0, 0.02) weights, zero biases
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)
        for name, p in self.encoder.named_parameters():
            if name.endswith("in_proj_weight"):
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, segments, attention, positions, mlm_labels, nsp_labels):
        b, t = ids.shape
        x = self.word(ids) + self.pos(torch.arange(t).unsqueeze(0)) + self.seg(segments)
        x = self.drop(self.emb_norm(x))
        x = self.encoder(x, src_key_padding_mask=attention == 0)
        picked = torch.gather(x, 1, positions.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        h = self.mlm_norm(nn.functional.gelu(self.mlm_dense(picked)))
        mlm_logits = h @ self.word.weight.t() + self.mlm_bias
        mlm = nn.functional.cross_entropy(mlm_logits.reshape(-1, mlm_logits.shape[-1]), mlm_labels.reshape(-1))
        nsp = nn.functional.cross_entropy(self.nsp(torch.tanh(self.pooler(x[:, 0]))), nsp_labels)
        return mlm + nsp


class LstmClassifier(nn.Module):
    def __init__(self, layers, bidirectional):
        super().__init__()
        self.emb = nn.Embedding(20000, 128)
        self.lstm = nn.LSTM(128, 256, num_layers=layers, bidirectional=bidirectional, batch_first=True)
        self.drop = nn.Dropout(0.1)
        self.out = nn.Linear(256 * (2 if bidirectional else 1), 2)
        self.directions = 2 if bidirectional else 1

    def forward(self, ids, labels):
        _, (h, _) = self.lstm(self.emb(ids))
        last = torch.cat([h[-d - 1] for d in reversed(range(self.directions))], dim=1)
        return nn.functional.cross_entropy(self.out(self.drop(last)), labels)


def hash_ints(shape, mod, salt):
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.int64) * 31 + salt
    return ((i * 2654435761) >> 7).remainder(mod).reshape(shape)  # the same filler as train_bench (no overflow at these sizes)


def bert_workload(name):
    if name == "bert-mini":
        model, batch, seq = Bert(30522, 256, 4, 4, 1024), 32, 128
    else:
        model, batch, seq = Bert(30522, 768, 12, 12, 3072), 8, 128
    predictions = (seq * 15 + 99) // 100
    segments = (torch.arange(seq) >= seq // 2).long().expand(batch, seq).contiguous()
    positions = torch.tensor([[1 + (p * (seq - 2) // predictions + r) % (seq - 2) for p in range(predictions)]
                              for r in range(batch)])
    inputs = (hash_ints((batch, seq), 30522, 1), segments, torch.ones(batch, seq), positions,
              hash_ints((batch, predictions), 30522, 2), hash_ints((batch,), 2, 3))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    return model, inputs, optimizer, batch * seq, "tokens/s"


def lstm_workload(name):
    model = LstmClassifier(1, False) if name == "lstm" else LstmClassifier(2, True)
    inputs = (hash_ints((64, 64), 20000, 1), hash_ints((64,), 2, 2))
    return model, inputs, torch.optim.Adam(model.parameters(), lr=1e-3), 64, "sequences/s"


def blas_info():
    """Which BLAS torch's dense matmul really uses, from the loaded libraries."""
    with open("/proc/self/maps") as f:
        maps = f.read()
    for name in ("openblas", "blis", "mkl", "libblas.so"):
        if name in maps:
            return name
    return "unknown"


def main():
    name, threads = sys.argv[1], int(sys.argv[2])
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, inputs, optimizer, items, unit = bert_workload(name) if name.startswith("bert") else lstm_workload(name)
    model.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = model(*inputs)
        loss.backward()
        optimizer.step()
        return loss.item()

    t0 = time.perf_counter()
    step()
    first_ms = (time.perf_counter() - t0) * 1e3
    step()  # warm-up, as train_bench
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    times.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"impl": "pytorch", "workload": name, "threads": threads, "unit": unit,
                      "median": round(items / times[len(times) // 2], 2), "min": round(items / times[-1], 2),
                      "max": round(items / times[0], 2), "first_step_ms": round(first_ms, 1),
                      "peak_rss_mib": round(rss, 1), "steps": steps, "loss": round(loss, 4), "blas": blas_info()}))


if __name__ == "__main__":
    main()
