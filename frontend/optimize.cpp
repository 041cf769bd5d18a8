#include "frontend/optimize.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "frontend/check_passes.h"

namespace flowgrad::frontend {

runtime::SessionOptions with_passes(runtime::SessionOptions options, passes::PipelineOptions pipeline) {
  const char* check = std::getenv("FLOWGRAD_CHECK_PASSES");
  if (check && std::string(check) == "1") {
    options.before_compile = [pipeline](const graph::Graph& g, const runtime::Feeds& feeds,
                                        const std::vector<graph::ValueId>& fetches, const runtime::Workspace& ws) {
      if (auto mismatch = check_passes(g, feeds, fetches, ws, pipeline)) {
        throw Error("FLOWGRAD_CHECK_PASSES: " + mismatch->str());
      }
      std::fprintf(stderr, "FLOWGRAD_CHECK_PASSES: every pass kept the results of this plan\n");
    };
  }
  options.transform = [pipeline = std::move(pipeline)](graph::Graph& g) { passes::optimize(g, pipeline); };
  return options;
}

}  // namespace flowgrad::frontend
