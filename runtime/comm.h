#pragma once
// Communicator: the collectives that data-parallel training needs, between
// the processes (workers) of one job.
//
//   Communicator& c = runtime::world();   // MPI under mpirun, else one process
//   c.allreduce_mean(grad);                // every worker gets the mean
//   auto all = c.allgather<int64_t>(mine); // rank 0's part, then rank 1's, ...
//
// Every worker must call the same collectives in the same order (the graph
// chains its collective nodes so that the executor keeps that order). The MPI
// implementation (runtime/comm_mpi.cpp) exists only in a build with
// -DFLOWGRAD_MPI=ON; MPI stays out of this header, so code using it does not
// need MPI to build. Without MPI, or outside mpirun, world() is a
// single-process communicator whose collectives are identities.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "graph/graph.h"

namespace flowgrad::runtime {

class Workspace;

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // In place: data = (Σ over workers of data) / size. Same length everywhere.
  virtual void allreduce_mean(std::span<float> data) = 0;
  // Concatenates every worker's bytes in rank order; parts may differ in length.
  virtual std::vector<std::byte> allgather_bytes(std::span<const std::byte> local) = 0;
  // Root's bytes are copied to every worker (same length everywhere).
  virtual void broadcast_bytes(std::span<std::byte> data, int root) = 0;
  virtual void barrier() = 0;
  // Ends the whole job: prints `message` (with this worker's rank) and makes
  // every other worker exit too, instead of waiting in a collective forever.
  [[noreturn]] virtual void abort(const std::string& message, int exit_code) = 0;

  template <class T>
  std::vector<T> allgather(std::span<const T> local) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::byte> all = allgather_bytes(std::as_bytes(local));
    std::vector<T> out(all.size() / sizeof(T));
    if (!all.empty()) std::memcpy(out.data(), all.data(), all.size());
    return out;
  }
  template <class T>
  void broadcast(std::span<T> data, int root) {
    broadcast_bytes(std::as_writable_bytes(data), root);
  }
};

// The process's communicator, created on first use: MPI when this build has
// it and the process was started by mpirun (OMPI_COMM_WORLD_SIZE or
// PMI_SIZE set), else a single-process one. MPI is finalized at exit.
Communicator& world();
// Whether this build was configured with -DFLOWGRAD_MPI=ON.
bool built_with_mpi();

// One process: rank 0 of 1, collectives are identities.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_mean(std::span<float>) override {}
  std::vector<std::byte> allgather_bytes(std::span<const std::byte> local) override {
    return {local.begin(), local.end()};
  }
  void broadcast_bytes(std::span<std::byte>, int) override {}
  void barrier() override {}
  [[noreturn]] void abort(const std::string& message, int exit_code) override;
};

// Makes every worker start from rank 0's variables: binds (creates and
// initializes) every variable node of `g` in `ws`, then broadcasts each
// variable of `ws` from rank 0, in name order.
void broadcast_variables(const graph::Graph& g, Workspace& ws, Communicator& comm);

}  // namespace flowgrad::runtime
