#include "runtime/graph_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "graph/serialize.h"
#include "ops/op_def.h"

namespace flowgrad::runtime {
namespace {

std::unique_ptr<graph::AttrsBase> registry_attrs(const std::string& op) {
  const ops::OpDef* def = ops::find_op(op);
  if (!def) throw FormatError("unknown op '" + op + "' (not registered in this program)");
  return def->make_attrs();
}

void write_all(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write '" + path + "': " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string read_file(const std::string& path, size_t limit) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FormatError("cannot open '" + path + "': " + std::strerror(errno));
  f.seekg(0, std::ios::end);
  auto size = static_cast<size_t>(f.tellg());
  if (size > limit) throw FormatError("'" + path + "' is " + std::to_string(size) + " bytes, over the limit of " + std::to_string(limit));
  f.seekg(0);
  std::string bytes(size, '\0');
  if (!f.read(bytes.data(), static_cast<std::streamsize>(size))) throw FormatError("cannot read '" + path + "'");
  return bytes;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()))).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw Error("cannot create '" + tmp + "': " + std::strerror(errno));
  try {
    write_all(fd, bytes, tmp);
    if (::fsync(fd) != 0) throw Error("cannot flush '" + tmp + "': " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Error("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(errno));
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

graph::Graph parse_graph(const std::string& bytes, const std::string& what) {
  try {
    graph::Graph g = graph::deserialize(bytes, registry_attrs);
    ops::verify(g);
    return g;
  } catch (const FormatError& e) {
    throw FormatError(what + ": " + e.what());
  } catch (const Error& e) {  // verification: shapes or structure
    throw FormatError(what + ": " + e.what());
  }
}

void save_graph(const graph::Graph& g, const std::string& path) { write_file_atomic(path, graph::serialize(g)); }

graph::Graph load_graph(const std::string& path) {
  return parse_graph(read_file(path, kMaxGraphFileBytes), "'" + path + "'");
}

}  // namespace flowgrad::runtime
