// The MPI communicator (built only with -DFLOWGRAD_MPI=ON): MPI_COMM_WORLD.
// Collectives may be called from executor threads (one at a time: the graph
// chains its collective nodes), so MPI is initialized with at least
// MPI_THREAD_SERIALIZED. Errors in MPI calls abort the job (MPI's default
// handler, MPI_ERRORS_ARE_FATAL); abort() ends every worker with MPI_Abort.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "graph/error.h"
#include "runtime/comm.h"

namespace flowgrad::runtime {
namespace {

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
    if (provided < MPI_THREAD_SERIALIZED) {
      std::fprintf(stderr, "flowgrad: MPI provides thread level %d, need MPI_THREAD_SERIALIZED\n", provided);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    std::atexit([] {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) MPI_Finalize();
    });
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void allreduce_mean(std::span<float> data) override {
    if (data.empty()) return;
    MPI_Allreduce(MPI_IN_PLACE, data.data(), count(data.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    const float inv = 1.0f / static_cast<float>(size_);
    for (float& x : data) x *= inv;
  }

  std::vector<std::byte> allgather_bytes(std::span<const std::byte> local) override {
    int mine = count(local.size());
    std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
    MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
    int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      displs[static_cast<size_t>(r)] = count(static_cast<size_t>(total));
      total += counts[static_cast<size_t>(r)];
    }
    std::vector<std::byte> all(static_cast<size_t>(total));
    MPI_Allgatherv(local.data(), mine, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, MPI_COMM_WORLD);
    return all;
  }

  void broadcast_bytes(std::span<std::byte> data, int root) override {
    if (!data.empty()) MPI_Bcast(data.data(), count(data.size()), MPI_BYTE, root, MPI_COMM_WORLD);
  }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }

  [[noreturn]] void abort(const std::string& message, int exit_code) override {
    std::fprintf(stderr, "error (worker %d of %d): %s\nflowgrad: aborting every worker of the job\n", rank_, size_,
                 message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this is for the compiler
  }

 private:
  // MPI counts are int: a buffer of 2 GiB or more is split by the caller.
  static int count(size_t n) {
    if (n > static_cast<size_t>(INT32_MAX)) throw ValueError("MPI collective of " + std::to_string(n) +
                                                             " elements: expected fewer than 2^31");
    return static_cast<int>(n);
  }
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator() { return std::make_unique<MpiCommunicator>(); }

}  // namespace flowgrad::runtime
