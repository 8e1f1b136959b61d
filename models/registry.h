// The model registry: YAML `type:` name -> parameter declaration + factory.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/component.h"
#include "sim/config/params.h"

namespace stormsim::models {

// A registered model: its declaration (which drives validation, defaults and
// the catalogue) and how to build an instance.
struct ModelInfo {
  sim::config::ModelSpec spec;
  std::function<std::unique_ptr<Component>(const ComponentContext&)> make;
};

class Registry {
 public:
  // Adds a model; a duplicate type name is a programming error (abort).
  bool add(ModelInfo info);
  const ModelInfo* find(std::string_view type) const;
  std::vector<std::string> types() const;
  std::vector<const ModelInfo*> all() const;

 private:
  std::map<std::string, ModelInfo, std::less<>> models_;
};

// The process-wide registry, a function-local static so registration from
// other translation units' static initializers is safe.
Registry& registry();

// Registers `Model`, which provides `static sim::config::ModelSpec spec()`
// and a constructor from `const ComponentContext&`. One line per model.
#define STORMSIM_REGISTER_MODEL(Model)                                             \
  [[maybe_unused]] static const bool stormsim_registered_##Model =                 \
      ::stormsim::models::registry().add(::stormsim::models::ModelInfo{            \
          Model::spec(), [](const ::stormsim::models::ComponentContext& ctx) {     \
            return std::unique_ptr<::stormsim::models::Component>(new Model(ctx)); \
          }})

}  // namespace stormsim::models
