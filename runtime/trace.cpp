#include "runtime/trace.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "graph/error.h"
#include "runtime/comm.h"

namespace flowgrad::runtime {

std::atomic<bool> detail::trace_on{false};

namespace {

// A long training run under a trace would fill the memory: past this many
// events the rest are counted, not kept (a viewer cannot open more anyway).
constexpr size_t kMaxEvents = 4'000'000;

struct Recording {
  std::string path;
  bool env = false;  // started by FLOWGRAD_TRACE: always <path>.<rank>.json, written at exit
  std::chrono::steady_clock::time_point origin;
  std::vector<TraceEvent> events;
  size_t dropped = 0;
  int rank = -1, workers = 1;  // learnt at the first event (see add)
};

std::mutex& mutex() {
  static std::mutex m;
  return m;
}

Recording& recording() {
  static Recording r;
  return r;
}

int this_thread_index() {
  static std::atomic<int> next{0};
  thread_local int index = next.fetch_add(1);
  return index;
}

std::string file_for(const Recording& r) {
  if (r.env) return r.path + "." + std::to_string(r.rank) + ".json";
  if (r.workers <= 1) return r.path;
  std::string stem = r.path;
  if (stem.size() > 5 && stem.ends_with(".json")) stem.resize(stem.size() - 5);
  return stem + "." + std::to_string(r.rank) + ".json";
}

// Call with the mutex held.
std::string write_locked(Recording& r) {
  if (r.path.empty()) return {};
  if (r.rank < 0) {  // nothing ran yet
    r.rank = world().rank();
    r.workers = world().size();
  }
  std::string file = file_for(r);
  write_chrome_trace(file, r.events, r.rank);
  if (r.dropped > 0) {
    std::fprintf(stderr, "flowgrad: the trace '%s' holds the first %zu steps run; %zu more were not recorded\n",
                 file.c_str(), r.events.size(), r.dropped);
  }
  return file;
}

void write_env_trace_at_exit() {
  std::lock_guard lock(mutex());
  Recording& r = recording();
  if (!r.env || r.events.empty()) return;
  try {
    write_locked(r);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flowgrad: %s\n", e.what());
  }
}

void begin(const std::string& path, bool env) {
  std::lock_guard lock(mutex());
  Recording& r = recording();
  r.path = path;
  r.env = env;
  r.events.clear();
  r.dropped = 0;
  r.origin = std::chrono::steady_clock::now();
  detail::trace_on.store(true, std::memory_order_relaxed);
}

[[maybe_unused]] const bool started_from_env = [] {
  const char* p = std::getenv("FLOWGRAD_TRACE");
  if (p && *p) begin(p, true);
  return p && *p;
}();

void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_json_strings(std::string& out, const std::vector<std::string>& list) {
  out += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += ", ";
    append_json_string(out, list[i]);
  }
  out += ']';
}

// {"name": ..., "cat": op, "ph": "X", ..., "args": {"op", "step", "team", "inputs", "outputs"}}
void append_event(std::string& out, const TraceEvent& e, int pid) {
  const StepLabel& l = *e.label;
  out += "{\"name\": ";
  append_json_string(out, l.name);
  out += ", \"cat\": ";
  append_json_string(out, l.op);
  char buf[160];
  std::snprintf(buf, sizeof buf, ", \"ph\": \"X\", \"pid\": %d, \"tid\": %d, \"ts\": %.3f, \"dur\": %.3f, ", pid,
                e.thread, e.start_us, e.duration_us);
  out += buf;
  out += "\"args\": {\"op\": ";
  append_json_string(out, l.op);
  out += ", \"step\": " + std::to_string(e.step) + ", \"team\": " + std::to_string(e.team) + ", \"inputs\": ";
  append_json_strings(out, l.inputs);
  out += ", \"outputs\": ";
  append_json_strings(out, l.outputs);
  out += "}}";
}

}  // namespace

void start_trace(const std::string& path) { begin(path, false); }

std::string flush_trace() {
  std::lock_guard lock(mutex());
  return write_locked(recording());
}

std::string stop_trace() {
  std::lock_guard lock(mutex());
  Recording& r = recording();
  std::string file = write_locked(r);
  detail::trace_on.store(false, std::memory_order_relaxed);
  r = Recording{};
  return file;
}

std::vector<TraceEvent> trace_events() {
  std::lock_guard lock(mutex());
  return recording().events;
}

size_t trace_event_count() {
  std::lock_guard lock(mutex());
  return recording().events.size();
}

void trace_step(const std::shared_ptr<const StepLabel>& label, uint64_t step, int team,
                std::chrono::steady_clock::time_point start, std::chrono::steady_clock::time_point end) {
  const int thread = this_thread_index();
  std::lock_guard lock(mutex());
  Recording& r = recording();
  if (!tracing()) return;  // stopped while this step ran
  if (r.rank < 0) {
    // The communicator exists from here on, so an exit handler registered
    // now runs before it is destroyed.
    r.rank = world().rank();
    r.workers = world().size();
    if (r.env) std::atexit(write_env_trace_at_exit);
  }
  if (r.events.size() >= kMaxEvents) {
    ++r.dropped;
    return;
  }
  auto us = [&](auto t) { return std::chrono::duration<double, std::micro>(t - r.origin).count(); };
  r.events.push_back({label, step, thread, us(start), us(end) - us(start), team});
}

void write_chrome_trace(const std::string& path, std::span<const TraceEvent> events, int pid) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw Error("cannot write the trace '" + path + "'");
  std::string out = "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  char meta[160];
  std::snprintf(meta, sizeof meta,
                "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": %d, \"args\": {\"name\": \"flowgrad rank %d\"}}",
                pid, pid);
  out += meta;
  std::vector<bool> named;  // a thread_name record per executor thread seen
  for (const TraceEvent& e : events) {
    if (e.thread >= static_cast<int>(named.size())) named.resize(e.thread + 1);
    if (named[e.thread]) continue;
    named[e.thread] = true;
    std::snprintf(meta, sizeof meta,
                  ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": %d, \"tid\": %d, "
                  "\"args\": {\"name\": \"executor thread %d\"}}",
                  pid, e.thread, e.thread);
    out += meta;
  }
  for (const TraceEvent& e : events) {
    out += ",\n";
    append_event(out, e, pid);
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), f);
      out.clear();
    }
  }
  out += "\n]}\n";
  std::fwrite(out.data(), 1, out.size(), f);
  if (std::fclose(f) != 0) throw Error("cannot write the trace '" + path + "'");
}

}  // namespace flowgrad::runtime
