#include "runtime/trace.h"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/comm.h"

namespace flowgrad::runtime {
namespace {

struct Event {
  std::string name;
  size_t thread;
  double start_us, duration_us;
};

class Recorder {
 public:
  Recorder() {
    if (const char* p = std::getenv("FLOWGRAD_TRACE"); p && *p) path_ = p;
    origin_ = std::chrono::steady_clock::now();
  }
  ~Recorder() { write(); }
  bool on() const { return !path_.empty(); }
  void add(const std::string& name, std::chrono::steady_clock::time_point start,
           std::chrono::steady_clock::time_point end) {
    auto us = [&](auto t) { return std::chrono::duration<double, std::micro>(t - origin_).count(); };
    std::lock_guard lock(mutex_);
    events_.push_back({name, std::hash<std::thread::id>()(std::this_thread::get_id()) % 100000, us(start),
                       us(end) - us(start)});
  }

 private:
  void write() {
    if (!on() || events_.empty()) return;
    const int rank = world().rank();
    std::string file = path_ + "." + std::to_string(rank) + ".json";
    std::FILE* f = std::fopen(file.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "flowgrad: cannot write the trace '%s'\n", file.c_str());
      return;
    }
    std::fprintf(f, "{\"traceEvents\": [\n");
    for (size_t i = 0; i < events_.size(); ++i) {
      const Event& e = events_[i];
      std::string name;
      for (char c : e.name) name += (c == '"' || c == '\\') ? '_' : c;
      std::fprintf(f, "%s{\"name\": \"%s\", \"ph\": \"X\", \"pid\": %d, \"tid\": %zu, \"ts\": %.3f, \"dur\": %.3f}\n",
                   i ? "," : "", name.c_str(), rank, e.thread, e.start_us, e.duration_us);
    }
    std::fprintf(f, "]}\n");
    std::fclose(f);
  }

  std::string path_;
  std::chrono::steady_clock::time_point origin_;
  std::mutex mutex_;
  std::vector<Event> events_;
};

Recorder& recorder() {
  static Recorder r;
  return r;
}

}  // namespace

bool tracing() { return recorder().on(); }

void trace_step(const std::string& name, std::chrono::steady_clock::time_point start,
                std::chrono::steady_clock::time_point end) {
  recorder().add(name, start, end);
}

}  // namespace flowgrad::runtime
