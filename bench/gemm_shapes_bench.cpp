// The GEMM shapes of a BERT training step, straight on oneDNN, to find how
// the weight-gradient GEMMs (dW = Xᵀ·dY: long K, transposed A) should be
// issued. For each shape: GFLOP/s of the forward product and of the
// candidate ways to compute its weight gradient:
//
//   transA      one matmul, X read through a transposed memory desc
//               (what ops/matmul.cpp's gradient emitted before)
//   copy+gemm   X reordered to Xᵀ first (timed together with the matmul)
//   dWt         dWᵀ = dYᵀ·X written through a transposed dst desc
//   splitK      K cut in per-thread slices, each a 1-thread matmul into its
//               own buffer, then the slices summed
//
//   gemm_shapes_bench [threads] [runs]
//
// Medians of `runs` with min and max (bench_util.h).

#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <dnnl.hpp>
#include <string>
#include <vector>

#include "bench/bench_util.h"

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine eng(dnnl::engine::kind::cpu, 0);

memory::desc plain(memory::dim rows, memory::dim cols) { return {{rows, cols}, dt::f32, tag::ab}; }
memory::desc transposed(memory::dim rows, memory::dim cols) { return {{rows, cols}, dt::f32, tag::ba}; }

std::vector<float> filled(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f * scale;
  return v;
}

struct Matmul {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
  memory src, wei, dst;
  std::string impl;
  Matmul(const memory::desc& s, const memory::desc& w, const memory::desc& d, float* sp, float* wp, float* dp)
      : pd(dnnl::matmul::desc(s, w, d), eng), prim(pd), src(s, eng, sp), wei(w, eng, wp), dst(d, eng, dp),
        impl(pd.impl_info_str()) {}
  void run(dnnl::stream& st) {
    prim.execute(st, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}});
  }
};

void report(const char* shape, const char* how, double flops, const flowgrad::bench::Stats& s,
            const Matmul& m) {
  std::printf("%-16s %-10s median %7.2f ms %6.1f GFLOP/s (min %7.2f max %7.2f ms)  %s\n", shape, how, s.median_ms,
              flops / s.median_ms / 1e6, s.min_ms, s.max_ms,
              m.impl.c_str());
}

// X: [T, in], dY: [T, out]; forward Y = X·W with W [in, out]; dW = Xᵀ·dY.
void shape(memory::dim t, memory::dim in, memory::dim out, int threads, int runs) {
  dnnl::stream st(eng);
  std::vector<float> x = filled(t * in, 1), w = filled(in * out, 0.1f), y(t * out), dy = filled(t * out, 1);
  std::vector<float> dw(in * out), xt(t * in);
  const double flops = 2.0 * t * in * out;
  std::string name = std::to_string(t) + "x" + std::to_string(in) + "x" + std::to_string(out);

  Matmul fwd(plain(t, in), plain(in, out), plain(t, out), x.data(), w.data(), y.data());
  report(name.c_str(), "forward", flops, flowgrad::bench::time_runs(2, runs, [&] { fwd.run(st); st.wait(); }), fwd);

  Matmul trans_a(transposed(in, t), plain(t, out), plain(in, out), x.data(), dy.data(), dw.data());
  report(name.c_str(), "transA", flops, flowgrad::bench::time_runs(2, runs, [&] { trans_a.run(st); st.wait(); }),
         trans_a);

  dnnl::reorder to_xt(memory(transposed(in, t), eng, x.data()), memory(plain(in, t), eng, xt.data()));
  memory xs(transposed(in, t), eng, x.data()), xd(plain(in, t), eng, xt.data());
  Matmul after_copy(plain(in, t), plain(t, out), plain(in, out), xt.data(), dy.data(), dw.data());
  report(name.c_str(), "copy+gemm", flops, flowgrad::bench::time_runs(2, runs, [&] {
           to_xt.execute(st, xs, xd);
           after_copy.run(st);
           st.wait();
         }), after_copy);

  try {
    Matmul dwt(transposed(out, t), plain(t, in), transposed(out, in), dy.data(), x.data(), dw.data());
    if (dwt.impl.find("ref") != std::string::npos) {
      std::printf("%-16s %-10s skipped: oneDNN has only its reference kernel (%s)\n", name.c_str(), "dWt",
                  dwt.impl.c_str());
    } else {
      report(name.c_str(), "dWt", flops, flowgrad::bench::time_runs(2, runs, [&] { dwt.run(st); st.wait(); }), dwt);
    }
  } catch (const dnnl::error& e) {
    std::printf("%-22s %-10s not supported: %s\n", name.c_str(), "dWt", e.what());
  }

  // Split K = T into `threads` slices, one 1-thread GEMM each.
  const memory::dim slice = t / threads;
  std::vector<std::vector<float>> part(threads, std::vector<float>(in * out));
  std::vector<Matmul> slices;
  for (int i = 0; i < threads; ++i) {
    slices.emplace_back(transposed(in, slice), plain(slice, out), plain(in, out), x.data() + i * slice * in,
                        dy.data() + i * slice * out, part[i].data());
  }
  report(name.c_str(), "splitK", flops, flowgrad::bench::time_runs(2, runs, [&] {
           dnnl::stream local(eng);
#pragma omp parallel num_threads(threads)
           {
             dnnl::stream s(eng);
             slices[omp_get_thread_num()].run(s);
             s.wait();
           }
#pragma omp parallel for num_threads(threads)
           for (memory::dim j = 0; j < in * out; ++j) {
             float acc = 0;
             for (int i = 0; i < threads; ++i) acc += part[i][j];
             dw[j] = acc;
           }
         }), slices[0]);
}

// The tied MLM decoder: logits = X·Eᵀ with the embedding table E [V, H]
// (transposed weights), dX = dL·E, dE = dLᵀ·X (transposed src).
void tied_decoder(memory::dim rows, memory::dim hidden, memory::dim vocab, int runs) {
  dnnl::stream st(eng);
  std::vector<float> x = filled(rows * hidden, 1), e = filled(vocab * hidden, 0.1f), l(rows * vocab);
  std::vector<float> dx(rows * hidden), de(vocab * hidden);
  const double flops = 2.0 * rows * hidden * vocab;
  std::string name = std::to_string(rows) + "x" + std::to_string(hidden) + "x" + std::to_string(vocab);
  Matmul logits(plain(rows, hidden), transposed(hidden, vocab), plain(rows, vocab), x.data(), e.data(), l.data());
  report(name.c_str(), "X.Et", flops, flowgrad::bench::time_runs(2, runs, [&] { logits.run(st); st.wait(); }), logits);
  Matmul d_x(plain(rows, vocab), plain(vocab, hidden), plain(rows, hidden), l.data(), e.data(), dx.data());
  report(name.c_str(), "dL.E", flops, flowgrad::bench::time_runs(2, runs, [&] { d_x.run(st); st.wait(); }), d_x);
  Matmul d_e(transposed(vocab, rows), plain(rows, hidden), plain(vocab, hidden), l.data(), x.data(), de.data());
  report(name.c_str(), "dLt.X", flops, flowgrad::bench::time_runs(2, runs, [&] { d_e.run(st); st.wait(); }), d_e);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 15;
  omp_set_num_threads(threads);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("oneDNN %d.%d.%d, %d threads, %d runs\n", dnnl_version()->major, dnnl_version()->minor,
              dnnl_version()->patch, threads, runs);
  // bert-mini (batch 32 x seq 128 = 4096 tokens, hidden 256, FFN 1024) and bert-base (8 x 128, 768, 3072).
  shape(4096, 256, 256, threads, runs);
  shape(4096, 256, 1024, threads, runs);
  shape(4096, 1024, 256, threads, runs);
  shape(1024, 768, 768, threads, runs);
  shape(1024, 768, 3072, threads, runs);
  shape(1024, 3072, 768, threads, runs);
  tied_decoder(640, 256, 30522, runs);  // bert-mini: 32 x 20 masked positions
  tied_decoder(160, 768, 30522, runs);  // bert-base: 8 x 20
  return 0;
}
