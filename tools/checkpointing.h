#pragma once
// `flowgrad train --checkpoint-dir DIR [--checkpoint-every N]` and
// `--resume DIR`: checkpoints of a training run (runtime/checkpoint.h, written
// atomically) that resume with the same or a different number of workers.
//
// A checkpoint holds the whole workspace (parameters, optimizer state, step
// counters; their names do not depend on the number of workers), the
// session's run counter (random streams of dropout and masking) and, in the
// manifest's "extra", the run in worker-count-independent terms:
//
//   phase           word2vec | lstm | bert-pretraining | bert-finetuning
//   phase_step      steps done in this phase (the folder is numbered across
//                   phases: BERT fine-tuning continues after pre-training)
//   epoch, sample   the next global example: offset into the epoch's order
//   negatives_rng   word2vec: draws of the host's negative-sampling stream
//   seed, examples, schedule_steps   must equal the resuming run's: the data
//                   order, the data set, the steps the LR schedule spans
//   global_batch, workers            how the run was split (informational)
//
// A global batch of --batch-size x workers is the unit of progress, so a run
// of 2 workers x b resumes as 1 worker x 2b and continues the same global
// trajectory. Only rank 0 writes; every worker reads the --resume folder.

#include <map>
#include <optional>
#include <string>

#include "frontend/flowgrad.h"
#include "runtime/checkpoint.h"
#include "text/batcher.h"
#include "tools/train.h"

namespace flowgrad::tools {

// The checkpoint --resume names (a step-… folder, or a folder of them: the
// newest good one, warning about damaged newer ones), loaded and verified.
struct ResumeFrom {
  std::string path;  // the step-… folder
  runtime::Checkpoint checkpoint;
  std::string phase() const;  // the "phase" it was written in ("" if none)
  int64_t step_base() const;  // steps done before that phase began (BERT: the pre-training steps)
};
// nullopt without --resume. FormatError naming the folder and the problem
// when none is usable (missing, empty, damaged).
std::optional<ResumeFrom> load_resume(const TrainArgs& args);

// Checks that `from` is a checkpoint of `phase` (same seed, data and schedule)
// whose tensors fit every variable of the session's graph, then restores the
// workspace and the run counter. Returns the steps done and the data position.
// ValueError naming the checkpoint and what differs.
struct Resumed {
  int64_t step = 0;
  DataPosition position;
};
Resumed resume(const ResumeFrom& from, const Phase& phase, const TrainArgs& args, runtime::Session& sess);

// On rank 0, with --checkpoint-dir: whether to write after `step` (every
// --checkpoint-every steps, or at the end of each epoch without it, and after
// the last step), and the writing itself.
bool checkpoint_due(const TrainArgs& args, const Phase& phase, int64_t step, bool epoch_ended);
std::string write_checkpoint(const TrainArgs& args, const Phase& phase, int64_t step, runtime::Session& sess,
                             const DataPosition& position);

// A Batcher's position as a DataPosition, and back. Seeking needs the sample
// offset to be a multiple of the batcher's (global) batch: ValueError if not.
// An offset with no full batch left in its epoch moves to the next epoch, as
// next() would have.
DataPosition batcher_position(const text::Batcher& batcher);
void seek_batcher(text::Batcher& batcher, const DataPosition& position, const std::string& checkpoint);

// resume(), then the batcher moved to the checkpoint's data position; returns
// the steps done.
int64_t resume_batcher(const ResumeFrom& from, const Phase& phase, const TrainArgs& args, runtime::Session& sess,
                       text::Batcher& batcher);

}  // namespace flowgrad::tools
