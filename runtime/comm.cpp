// The process's communicator (MPI or a single process) and the broadcast of
// a workspace's variables that makes every worker start alike.
#include "runtime/comm.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "runtime/workspace.h"

namespace flowgrad::runtime {

#ifdef FLOWGRAD_HAVE_MPI
// runtime/comm_mpi.cpp: initializes MPI (finalized at exit).
std::unique_ptr<Communicator> make_mpi_communicator();
#endif

namespace {

bool started_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
}

std::unique_ptr<Communicator> make_world() {
#ifdef FLOWGRAD_HAVE_MPI
  if (started_by_mpirun()) return make_mpi_communicator();
#else
  if (started_by_mpirun()) {
    std::fprintf(stderr, "flowgrad: started by mpirun, but this build has no MPI (configure with "
                         "-DFLOWGRAD_MPI=ON); every process runs alone\n");
  }
#endif
  return std::make_unique<SingleProcess>();
}

}  // namespace

Communicator& world() {
  static std::unique_ptr<Communicator> comm = make_world();
  return *comm;
}

bool built_with_mpi() {
#ifdef FLOWGRAD_HAVE_MPI
  return true;
#else
  return false;
#endif
}

void SingleProcess::abort(const std::string& message, int exit_code) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(exit_code);
}

void broadcast_variables(const graph::Graph& g, Workspace& ws, Communicator& comm) {
  ws.bind_variables(g);
  if (comm.size() == 1) return;
  for (const std::string& name : ws.names()) {  // sorted: the same order on every worker
    graph::Tensor& t = ws.get(name);
    comm.broadcast_bytes({t.raw(), t.nbytes()}, 0);
  }
}

}  // namespace flowgrad::runtime
