// RequestSink: anything a request source can send requests to.
#pragma once

#include "sim/quantity.h"
#include "sim/task.h"

namespace stormsim::models {

// A component that serves requests of a given size; the returned task ends
// when the request is complete.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  virtual sim::Task<void> serve(sim::Bytes size) = 0;
};

}  // namespace stormsim::models
