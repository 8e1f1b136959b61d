#include "models/registry.h"

#include <cstdio>
#include <cstdlib>

namespace stormsim::models {

bool Registry::add(ModelInfo info) {
  const std::string type = info.spec.type;
  if (!models_.emplace(type, std::move(info)).second) {
    std::fprintf(stderr, "stormsim: model type `%s` registered twice\n", type.c_str());
    std::abort();
  }
  return true;
}

const ModelInfo* Registry::find(std::string_view type) const {
  auto it = models_.find(type);
  return it == models_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::types() const {
  std::vector<std::string> out;
  for (const auto& [type, info] : models_)
    out.push_back(type);
  return out;
}

std::vector<const ModelInfo*> Registry::all() const {
  std::vector<const ModelInfo*> out;
  for (const auto& [type, info] : models_)
    out.push_back(&info);
  return out;
}

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace stormsim::models
