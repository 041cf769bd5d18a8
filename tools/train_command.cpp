// flowgrad train word2vec|lstm|bert

#include "tools/commands.h"
#include "tools/trace_option.h"
#include "tools/train.h"
#include "tools/workers.h"

namespace flowgrad::tools {

int train_word2vec(const TrainArgs& args);
int train_lstm(const TrainArgs& args);
int train_bert(const TrainArgs& args);

Command add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train word2vec, the LSTM classifier or BERT (pre-training + fine-tuning)");
  auto model = std::make_shared<std::string>();
  auto a = std::make_shared<TrainArgs>();
  cmd->add_option("model", *model, "word2vec | lstm | bert")->required()->check(CLI::IsMember({"word2vec", "lstm", "bert"}));
  cmd->add_option("--data", a->data, "Corpus file, or a folder with corpus.txt and sentiment_{train,test}.tsv")->required();
  cmd->add_option("--config", a->config, "Model configuration (JSON; BERT: Hugging Face config.json fields)");
  cmd->add_option("--steps", a->steps, "Training steps (default: from --epochs)");
  cmd->add_option("--epochs", a->epochs, "Epochs over the data")->check(CLI::PositiveNumber);
  cmd->add_option("--batch-size", a->batch_size, "Examples per step (per worker under mpirun)")->check(CLI::PositiveNumber);
  cmd->add_option("--lr", a->lr, "Peak learning rate (default: the model's)");
  cmd->add_option("--seed", a->seed, "Random seed");
  cmd->add_option("--out", a->out, "Folder for weights, vectors and metrics CSV");
  cmd->add_option("--init-from", a->init_from,
                  "bert: fine-tune from a Hugging Face folder (config.json, vocab.txt, model.safetensors) instead of pre-training")
      ->excludes("--config");
  cmd->add_flag("--cbow", a->cbow, "word2vec: CBOW instead of skip-gram");
  cmd->add_flag("--hogwild", a->hogwild,
                "word2vec: one asynchronous single-thread worker per thread, updating the vectors without locks "
                "(as word2vec.c and gensim do; faster on several cores, not reproducible run to run)");
  cmd->add_option("--bucket-mb", a->bucket_mb, "Under mpirun: MB of gradients per allreduce bucket")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--checkpoint-dir", a->checkpoint_dir,
                  "Write checkpoints (weights, optimizer state, data position, random streams) to step-* folders here");
  cmd->add_option("--checkpoint-every", a->checkpoint_every,
                  "Steps between checkpoints (default: the end of each epoch); the last step is always saved")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--resume", a->resume,
                  "Continue from a checkpoint: a step-* folder, or a --checkpoint-dir (its newest good one); "
                  "with any number of workers (keep --batch-size x workers to continue the same trajectory)");
  auto trace = std::make_shared<std::string>();
  add_trace_option(cmd, *trace);
  return [model, a, trace] {
    if (a->checkpoint_every > 0 && a->checkpoint_dir.empty()) throw ValueError("--checkpoint-every needs --checkpoint-dir");
    if (!a->init_from.empty() && *model != "bert") throw ValueError("--init-from is for `flowgrad train bert`");
    if (a->cbow && *model != "word2vec") throw ValueError("--cbow is for `flowgrad train word2vec`");
    if (a->hogwild) {
      if (*model != "word2vec") throw ValueError("--hogwild is for `flowgrad train word2vec`");
      if (!a->checkpoint_dir.empty() || !a->resume.empty()) {
        throw ValueError("--hogwild does not write or resume checkpoints: its workers' steps interleave in no fixed order");
      }
      if (num_workers() > 1) throw ValueError("--hogwild runs in one process, not under mpirun");
    }
    if (!is_main_worker()) a->out.clear();  // only rank 0 writes weights, vectors and metrics
    TraceFile file(*trace);
    int rc = *model == "word2vec" ? train_word2vec(*a) : *model == "lstm" ? train_lstm(*a) : train_bert(*a);
    file.finish();
    return rc;
  };
}

}  // namespace flowgrad::tools
