#pragma once
// Static memory planning: before the first run, every value a plan computes
// gets an offset into one arena (allocated once per plan), from liveness over
// the schedule.
//
//   live(v) = [step that writes v, last step that reads v]   (fetched values
//             and graph outputs: to the end of the run)
//
// Offsets: greedy by size. From the largest value down, each takes the
// smallest gap that holds it between the values already placed whose
// liveness overlaps its own, else the first byte above them all. Every value
// is 64-byte aligned; the arena's size is the planned peak, close to the most
// bytes live at any one step.
//
// In place: output 0 of an op marked `OpDef::inplace_ok` takes input 0's
// bytes when input 0 dies at that step and has output 0's type (relu(x),
// x + bias when x is not read again); such chains are placed as one value.
//
// The executor runs steps in parallel along the dependency edges (`preds`),
// not in schedule order, so bytes may only pass to a new value once every
// step that touched their previous value is done: for each value, the planner
// adds edges from the steps that touched earlier values in the same bytes to
// the step that writes it, unless they are already its ancestors.
//
// Values bound elsewhere are not planned: feeds, variables (the Workspace),
// constants (their attribute tensor), and in-place outputs (OpDef::inplace:
// they live in the input they update; their readers extend its liveness).

#include <span>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "runtime/executor.h"

namespace flowgrad::runtime {

// Bytes a plan uses, by kind (sizes are tensor bytes, before alignment).
struct MemoryReport {
  size_t parameters = 0;       // variables outside an "optimizer/" scope
  size_t optimizer_state = 0;  // variables under an "optimizer/" scope (moments, step counters)
  size_t activations = 0;      // forward values read by gradient nodes ("/grad/" in the name): kept for backward
  size_t gradients = 0;        // values computed by gradient nodes
  size_t temporaries = 0;      // every other computed value
  size_t planned_peak = 0;     // the arena: what the computed values actually occupy
  size_t no_reuse_total = 0;   // the arena if every computed value had its own block
  size_t in_place = 0;         // values that took their input's block
};

std::string format_memory_report(const MemoryReport& r);

// The schedule as the planner sees it: per step, the values it reads and
// writes (value ids of the plan's graph).
struct ScheduleValues {
  std::vector<std::vector<graph::ValueId>> inputs, outputs;
};

struct MemoryPlan {
  std::vector<graph::ValueId> values;  // the planned values
  std::vector<size_t> offsets;         // per planned value, into the arena
  size_t arena_bytes = 0;
  MemoryReport report;
};

// Plans the values written by `steps` whose storage is their own
// (storage[v] == v); `storage[v]` names the value whose buffer v uses (an
// in-place output: the input it updates). `live_to_end`: fetched values and
// graph outputs. With reuse off, every value gets its own block (the
// baseline). Adds ordering edges to steps[i].preds where reuse needs them.
MemoryPlan plan_memory(const graph::Graph& g, std::span<Step> steps, const ScheduleValues& io,
                       const std::vector<graph::ValueId>& storage, const std::vector<graph::ValueId>& live_to_end,
                       bool reuse);

}  // namespace flowgrad::runtime
