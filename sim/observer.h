// Observer: how tracing and progress reporting watch a run without models
// knowing about them.
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/time.h"

namespace stormsim::sim {

class Engine;

// A model's notification of something worth tracing: a phase beginning or
// ending on a track (a rank, a drive), an instant (a fault), or a counter
// sample (bandwidth). Views are only valid during the call. Begin/end pairs
// nest per track, like a call stack.
struct Record {
  enum class Kind { kBegin, kEnd, kInstant, kCounter };
  Kind kind = Kind::kInstant;
  Time time;
  std::string_view track;
  std::string_view name;
  double value = 0.0;
  // What the track belongs to (a component name); empty for the run itself.
  std::string_view group{};
  // With lanes > 0 the track is lane `lane` of `lanes` alike ones (rank 17 of
  // 1,024), named "<track> <lane>": a tracer may keep a sample of them, and
  // the model formats no name per lane.
  std::int64_t lane = -1;
  std::int64_t lanes = 0;
};

// Receives the engine's lifecycle callbacks. Every method has an empty
// default, so an observer overrides only what it needs.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_run_start(const Engine& /*engine*/) {}
  // Called every Engine::kProgressEvents events; cheap for the engine, and
  // the observer decides how often to actually print.
  virtual void on_progress(const Engine& /*engine*/) {}
  virtual void on_run_end(const Engine& /*engine*/) {}
  virtual void on_process_start(const Engine& /*engine*/, std::string_view /*name*/) {}
  virtual void on_process_end(const Engine& /*engine*/, std::string_view /*name*/) {}
  virtual void on_record(const Engine& /*engine*/, const Record& /*record*/) {}
  // True for an observer that uses on_record (a tracer): models skip building
  // records when no observer wants them. Must not change while attached.
  virtual bool wants_records() const { return false; }
};

}  // namespace stormsim::sim
