#include "calibration/probe/report.h"

#include "calibration/probe/interrupt.h"

namespace stormsim::probe {

nlohmann::json section_status(std::string_view status, std::string_view message) {
  nlohmann::json j;
  j["status"] = status;
  if (!message.empty()) {
    j["message"] = message;
  }
  return j;
}

int exit_code_for(const nlohmann::json& document) {
  if (interrupted()) {
    return 128 + interrupt_signal();
  }
  int code = kExitOk;
  for (const auto& [name, section] : document.items()) {
    if (!section.is_object() || !section.contains("status")) {
      continue;
    }
    const std::string s = section["status"].get<std::string>();
    if (s == status::kRefused) {
      return kExitUsage;
    }
    if (s == status::kError || s == status::kEnospc || s == status::kNoSpace) {
      code = kExitError;
    }
  }
  return code;
}

void Reporter::line(std::string_view section, std::string_view text) {
  const std::lock_guard<std::mutex> lock(mutex_);
  out_ << section << ": " << text << "\n" << std::flush;
}

}  // namespace stormsim::probe
