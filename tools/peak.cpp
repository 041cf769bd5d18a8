#include "tools/peak.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "graph/error.h"
#include "ops/dnnl_util.h"
#include "ops/parallel.h"
#include "runtime/threads.h"

namespace flowgrad::tools {

namespace {

// Seconds per run of `primitive` on `args` (two untimed runs first), sorted:
// at least 3 timed runs and about `seconds` in all.
std::vector<double> sorted_times(const dnnl::primitive& primitive, const std::unordered_map<int, dnnl::memory>& args,
                                 double seconds) {
  dnnl::stream stream(ops::cpu_engine());
  auto run = [&] {
    auto start = std::chrono::steady_clock::now();
    primitive.execute(stream, args);
    stream.wait();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  run();
  run();
  std::vector<double> times;
  double spent = 0;
  while (times.size() < 3 || spent < seconds) {
    times.push_back(run());
    spent += times.back();
  }
  std::sort(times.begin(), times.end());
  return times;
}

}  // namespace

PeakResult measure_matmul_peak(int threads, int64_t size, double seconds) {
  using dnnl::memory;
  ops::OpenMpTeam team(threads);  // the primitive is made for the team it runs with
  const dnnl::engine& engine = ops::cpu_engine();
  memory::desc md({size, size}, memory::data_type::f32, memory::format_tag::ab);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(md, md, md), engine);
  auto gemm = ops::make_primitive<dnnl::matmul>(pd);
  memory a(md, engine), b(md, engine), c(md, engine);
  auto fill = [&](memory& m, float scale) {
    auto* p = static_cast<float*>(m.get_data_handle());
    for (int64_t i = 0; i < size * size; ++i) p[i] = scale * static_cast<float>(i % 17 - 8);
  };
  fill(a, 0.01f);
  fill(b, 0.02f);
  const std::vector<double> times =
      sorted_times(gemm, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}}, seconds);
  const double flops = 2.0 * static_cast<double>(size) * static_cast<double>(size) * static_cast<double>(size);
  return {.threads = threads,
          .size = size,
          .reps = static_cast<int>(times.size()),
          .best_gflops = flops / times.front() / 1e9,
          .median_gflops = flops / times[times.size() / 2] / 1e9};
}

double measure_memory_bandwidth(int threads, double seconds) {
  using dnnl::memory;
  ops::OpenMpTeam team(threads);
  const dnnl::engine& engine = ops::cpu_engine();
  constexpr int64_t kFloats = int64_t{32} << 20;  // 128 MiB per operand: far beyond the caches
  memory::desc md({kFloats}, memory::data_type::f32, memory::format_tag::a);
  dnnl::binary::primitive_desc pd(dnnl::binary::desc(dnnl::algorithm::binary_add, md, md, md), engine);
  auto add = ops::make_primitive<dnnl::binary>(pd);
  memory a(md, engine), b(md, engine), c(md, engine);
  for (memory* m : {&a, &b, &c}) {  // touch every page before timing
    auto* p = static_cast<float*>(m->get_data_handle());
    std::fill(p, p + kFloats, 1.0f);
  }
  const std::vector<double> times =
      sorted_times(add, {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}, {DNNL_ARG_DST, c}}, seconds);
  return 3.0 * kFloats * sizeof(float) / times.front() / 1e9;
}

std::string peak_json(std::span<const PeakResult> results) {
  nlohmann::json j;
  j["what"] = "oneDNN f32 matmul, square GEMM";
  const dnnl_version_t* v = dnnl_version();
  j["onednn"] = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  j["results"] = nlohmann::json::array();
  for (const PeakResult& r : results) {
    j["results"].push_back({{"threads", r.threads}, {"size", r.size}, {"reps", r.reps},
                            {"best_gflops", r.best_gflops}, {"median_gflops", r.median_gflops},
                            {"add_gbps", r.add_gbps}});
  }
  return j.dump(2) + "\n";
}

std::vector<PeakResult> read_peak_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ValueError("--peak-file '" + path + "': cannot open file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ValueError("--peak-file '" + path + "': not JSON (" + e.what() + ")");
  }
  std::vector<PeakResult> results;
  if (j.is_object() && j.contains("results") && j["results"].is_array()) {
    for (const auto& r : j["results"]) {
      auto number = [&](const char* key) { return r.is_object() && r.contains(key) && r[key].is_number(); };
      if (!number("threads") || !number("best_gflops") || r["threads"].get<int>() < 1 ||
          !(r["best_gflops"].get<double>() > 0)) {
        continue;
      }
      results.push_back({.threads = r["threads"].get<int>(),
                         .size = number("size") ? r["size"].get<int64_t>() : 0,
                         .best_gflops = r["best_gflops"].get<double>()});
    }
  }
  if (results.empty()) {
    throw ValueError("--peak-file '" + path + "': no result with \"threads\" >= 1 and \"best_gflops\" > 0 in its " +
                     "\"results\"; write one with `flowgrad peak --out " + path + "`");
  }
  return results;
}

Command add_peak_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("peak", "Measure the oneDNN f32 matmul peak (GFLOP/s of a large square GEMM) and the memory bandwidth");
  auto counts = std::make_shared<std::vector<int>>();
  auto size = std::make_shared<int64_t>(2048);
  auto seconds = std::make_shared<double>(2.0);
  auto out = std::make_shared<std::string>();
  cmd->add_option("--thread-counts", *counts, "Team sizes to measure, e.g. 1,2 (default: the thread budget)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  cmd->add_option("--size", *size, "n of the n x n x n GEMM")->check(CLI::Range(64, 16384));
  cmd->add_option("--seconds", *seconds, "Time spent per team size")->check(CLI::Range(0.0, 600.0));
  cmd->add_option("--out", *out, "Write the results as JSON to this file");
  return [counts, size, seconds, out] {
    if (counts->empty()) counts->push_back(runtime::num_threads());
    std::vector<PeakResult> results;
    for (int t : *counts) {
      results.push_back(measure_matmul_peak(t, *size, *seconds));
      PeakResult& r = results.back();
      r.add_gbps = measure_memory_bandwidth(t, *seconds / 2);
      std::printf("%d thread%s: %.1f GFLOP/s best, %.1f median (f32 matmul %lld^3, %d runs); memory %.1f GB/s (f32 add)\n",
                  t, t == 1 ? "" : "s", r.best_gflops, r.median_gflops, static_cast<long long>(r.size), r.reps,
                  r.add_gbps);
    }
    if (!out->empty()) {
      std::ofstream f(*out);
      f << peak_json(results);
      if (!f.good()) throw ValueError("--out '" + *out + "': cannot write file");
      std::printf("wrote %s\n", out->c_str());
    }
    return 0;
  };
}

}  // namespace flowgrad::tools
