#include "tools/checkpointing.h"

#include <cstdio>
#include <filesystem>

#include "ops/op_def.h"
#include "tools/workers.h"

namespace flowgrad::tools {
namespace {

namespace fs = std::filesystem;

std::string checkpoint_named(const std::string& path) { return "checkpoint '" + path + "'"; }

// An integer of the manifest's "extra"; FormatError naming the checkpoint and the key.
int64_t extra_int(const ResumeFrom& from, const std::string& key) {
  auto it = from.checkpoint.extra.find(key);
  if (it == from.checkpoint.extra.end()) throw FormatError(checkpoint_named(from.path) + ": manifest.json lacks '" + key + "'");
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != it->second.size() || v < 0) {
    throw FormatError(checkpoint_named(from.path) + ": '" + key + "' must be a non-negative integer, got '" + it->second + "'");
  }
  return v;
}

// ValueError unless the checkpoint's `key` equals this run's value:
// "<before><theirs><after> there, <ours> in this run (<hint>)".
void expect_same(const ResumeFrom& from, const std::string& key, int64_t ours, const std::string& before, const std::string& after,
                 const std::string& hint) {
  int64_t theirs = extra_int(from, key);
  if (theirs != ours) {
    throw ValueError(checkpoint_named(from.path) + ": " + before + std::to_string(theirs) + after + " there, " +
                     std::to_string(ours) + " in this run (" + hint + ")");
  }
}

// Every variable of the graph must be in the checkpoint with its type.
void expect_fits(const ResumeFrom& from, const graph::Graph& g) {
  for (graph::NodeId id : g.node_ids()) {
    const graph::Node& n = g.node(id);
    if (ops::get_op(n.op).source != ops::Source::variable) continue;
    graph::TensorType want = g.value(n.outputs[0]).type;
    auto it = from.checkpoint.tensors.tensors.find(n.name);
    if (it == from.checkpoint.tensors.tensors.end()) {
      throw ValueError(checkpoint_named(from.path) + ": has no tensor '" + n.name + "', which this model needs (another --config?)");
    }
    if (it->second.type() != want) {
      throw ValueError(checkpoint_named(from.path) + ": tensor '" + n.name + "' is " + it->second.type().str() + " there, this model needs " +
                       want.str() + " (another --config or --data?)");
    }
  }
}

std::string command_of(const std::string& phase) { return phase.rfind("bert", 0) == 0 ? "bert" : phase; }

}  // namespace

std::string ResumeFrom::phase() const {
  auto it = checkpoint.extra.find("phase");
  return it == checkpoint.extra.end() ? "" : it->second;
}

int64_t ResumeFrom::step_base() const {
  return static_cast<int64_t>(checkpoint.step) - extra_int(*this, "phase_step");
}

std::optional<ResumeFrom> load_resume(const TrainArgs& args) {
  if (args.resume.empty()) return std::nullopt;
  const std::string& dir = args.resume;
  if (!fs::is_directory(dir)) throw FormatError("--resume '" + dir + "': no such folder");
  ResumeFrom from{dir, {}};
  const bool step_folder = fs::path(dir).lexically_normal().filename().string().rfind("step-", 0) == 0 ||
                           fs::path(dir).lexically_normal().parent_path().filename().string().rfind("step-", 0) == 0;
  if (step_folder && !fs::exists(fs::path(dir) / "manifest.json")) {
    throw FormatError("--resume '" + dir + "': no manifest.json (an incomplete checkpoint: it is written last)");
  }
  if (!fs::exists(fs::path(dir) / "manifest.json")) {  // a --checkpoint-dir: its newest good checkpoint
    runtime::LatestCheckpoint latest = runtime::latest_checkpoint(dir);
    if (latest.path.empty()) {
      throw FormatError("--resume '" + dir + "': no usable checkpoint (" +
                        (latest.skipped.empty() ? std::string("no step-* folder with a manifest.json") : latest.skipped.front()) + ")");
    }
    for (const auto& bad : latest.skipped) {
      if (is_main_worker()) std::fprintf(stderr, "flowgrad: warning: skipped the damaged %s\n", bad.c_str());
    }
    from.path = latest.path;
  }
  from.checkpoint = runtime::load_checkpoint(from.path);  // FormatError naming the file and the tensor
  if (from.phase().empty()) throw FormatError(checkpoint_named(from.path) + ": not written by `flowgrad train` (no 'phase' in manifest.json)");
  std::printf("resuming from %s (%s, step %llu)\n", from.path.c_str(), from.phase().c_str(),
              static_cast<unsigned long long>(from.checkpoint.step));
  return from;
}

Resumed resume(const ResumeFrom& from, const Phase& phase, const TrainArgs& args, runtime::Session& sess) {
  if (from.phase() != phase.name) {
    throw ValueError(checkpoint_named(from.path) + ": written by `flowgrad train " + command_of(from.phase()) + "` (phase " + from.phase() +
                     "), cannot resume `flowgrad train " + command_of(phase.name) + "` (phase " + phase.name + ")");
  }
  expect_same(from, "seed", args.seed, "--seed ", "", "the data order depends on it");
  expect_same(from, "examples", phase.examples, "", " training examples per epoch", "another --data or --config?");
  expect_same(from, "schedule_steps", phase.schedule_steps, "the learning-rate schedule spans ", " steps",
              "pass the --steps / --epochs of the first run");
  Resumed r{extra_int(from, "phase_step"), {extra_int(from, "epoch"), extra_int(from, "sample"),
                                            static_cast<uint64_t>(extra_int(from, "negatives_rng"))}};
  if (r.step > phase.steps) {
    throw ValueError(checkpoint_named(from.path) + ": " + std::to_string(r.step) + " steps done, more than the " +
                     std::to_string(phase.steps) + " of this run (--steps)");
  }
  expect_fits(from, sess.graph());
  runtime::restore(from.checkpoint, sess.workspace());
  sess.set_step(from.checkpoint.session_step);  // start_workers adds each worker's offset
  return r;
}

bool checkpoint_due(const TrainArgs& args, const Phase& phase, int64_t step, bool epoch_ended) {
  if (args.checkpoint_dir.empty() || !is_main_worker()) return false;
  if (step == phase.steps) return true;
  return args.checkpoint_every > 0 ? step % args.checkpoint_every == 0 : epoch_ended;
}

std::string write_checkpoint(const TrainArgs& args, const Phase& phase, int64_t step, runtime::Session& sess,
                             const DataPosition& position) {
  std::map<std::string, std::string> extra = {
      {"phase", phase.name},
      {"phase_step", std::to_string(step)},
      {"epoch", std::to_string(position.epoch)},
      {"sample", std::to_string(position.sample)},
      {"negatives_rng", std::to_string(position.rng_draws)},
      {"seed", std::to_string(args.seed)},
      {"examples", std::to_string(phase.examples)},
      {"schedule_steps", std::to_string(phase.schedule_steps)},
      {"global_batch", std::to_string(phase.global_batch)},
      {"workers", std::to_string(num_workers())},
  };
  return runtime::save_checkpoint(args.checkpoint_dir, sess.workspace(),
                                  static_cast<uint64_t>(phase.step_base + step), global_run_counter(sess), extra);
}

DataPosition batcher_position(const text::Batcher& batcher) {
  text::LoaderPosition p = batcher.position();
  return {p.epoch, p.index * batcher.options().batch_size, 0};
}

void seek_batcher(text::Batcher& batcher, const DataPosition& position, const std::string& checkpoint) {
  const int64_t batch = batcher.options().batch_size;
  if (position.sample % batch != 0) {
    throw ValueError(checkpoint_named(checkpoint) + ": its data position, example " + std::to_string(position.sample) + " of epoch " +
                     std::to_string(position.epoch) + ", is not a multiple of this run's global batch of " +
                     std::to_string(batch) + " (--batch-size x workers)");
  }
  text::LoaderPosition p{position.epoch, position.sample / batch};
  if (p.index >= batcher.batches_per_epoch()) p = {p.epoch + 1, 0};  // no full batch left: next() would move on
  batcher.seek(p);
}

int64_t resume_batcher(const ResumeFrom& from, const Phase& phase, const TrainArgs& args, runtime::Session& sess,
                       text::Batcher& batcher) {
  Resumed r = resume(from, phase, args, sess);
  seek_batcher(batcher, r.position, from.path);
  return r.step;
}

}  // namespace flowgrad::tools
