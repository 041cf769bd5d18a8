#pragma once
// Loading saved weights (safetensors) into the variables of a model graph,
// before a Session binds them — checked against the graph, so that a file
// that does not fit the model's config is an error naming the tensor.
//
// Every tensor of the file is mapped to a variable path (`to_variable`) and
// compared with the graph's variable of that name: a dtype or shape that
// differs is a FormatError naming the file, the tensor and both types.
// Tensors the graph has no variable for are skipped and listed (e.g. the
// pre-training heads "cls.*" when fine-tuning BERT, or the
// "bert.embeddings.position_ids" buffer). A variable under `required_prefix`
// that the file lacks is an error naming it.
//
// Hugging Face BERT (model.safetensors in bert-base-uncased's layout,
// "bert.encoder.layer.0.attention.self.query.weight", ...): names map with
// models/bert.h variable_path; older checkpoints name LayerNorm parameters
// "gamma" / "beta", read as "weight" / "bias" as transformers does.

#include <functional>
#include <string>
#include <vector>

#include "frontend/flowgrad.h"

namespace flowgrad::models {

struct LoadedWeights {
  size_t loaded = 0;                // tensors written into the workspace
  std::vector<std::string> unused;  // names in the file the graph has no variable for
};

struct WeightMapping {
  std::function<std::string(const std::string&)> to_variable;  // file name -> variable path
  std::function<std::string(const std::string&)> to_file;      // variable path -> file name (for messages)
  std::string required_prefix;                                 // variables the file must hold
};

// `g`: the graph `ws` will run (e.g. the fine-tuning graph).
LoadedWeights load_weights(const std::string& path, const graph::Graph& g, runtime::Workspace& ws, const WeightMapping& mapping);

// Hugging Face BERT names; every "bert.*" variable of the graph is required.
LoadedWeights load_hf_bert_weights(const std::string& path, const graph::Graph& g, runtime::Workspace& ws);

// "bert.embeddings.LayerNorm.gamma" -> "bert.embeddings.LayerNorm.weight" (and beta -> bias).
std::string modern_hf_name(const std::string& name);

}  // namespace flowgrad::models
