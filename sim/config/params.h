// Parameter declarations of models, and validation of a config map against
// them into typed values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/config/error.h"
#include "sim/config/node.h"
#include "sim/quantity.h"
#include "sim/time.h"
#include "sim/units.h"

namespace stormsim::sim::config {

enum class ParamType {
  kInt,
  kReal,
  kBool,
  kString,
  kEnum,
  kQuantity,
  kTime,
  kRef,  // the name of another component; the caller checks that it exists
  kStringList,
};

// One declared parameter of a model: from it come validation, the default
// and the catalogue entry. Built fluently, one line per parameter:
//   ParamSpec::quantity("bandwidth", units::Dimension::kDataRate).def("400Gbps").positive()
//       .help("line rate")
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  units::Dimension dim = units::Dimension::kFraction;  // kQuantity only
  std::optional<std::string> default_text;             // as a user writes it; nullopt = required
  // Bounds in canonical units (seconds for kTime); inclusive unless flagged.
  std::optional<double> min_value;
  std::optional<double> max_value;
  bool min_exclusive = false;
  bool max_exclusive = false;
  std::vector<std::string> choices;  // kEnum
  std::string help_text;

  static ParamSpec integer(std::string name) { return make(std::move(name), ParamType::kInt); }
  static ParamSpec real(std::string name) { return make(std::move(name), ParamType::kReal); }
  static ParamSpec boolean(std::string name) { return make(std::move(name), ParamType::kBool); }
  static ParamSpec string(std::string name) { return make(std::move(name), ParamType::kString); }
  static ParamSpec enumeration(std::string name, std::vector<std::string> choices);
  static ParamSpec quantity(std::string name, units::Dimension dim);
  static ParamSpec time(std::string name) { return make(std::move(name), ParamType::kTime); }
  static ParamSpec ref(std::string name) { return make(std::move(name), ParamType::kRef); }
  // Default text of a list is YAML flow syntax: "[]", "[a, b]".
  static ParamSpec string_list(std::string name) {
    return make(std::move(name), ParamType::kStringList);
  }

  // Builders. The && overloads return by value so that a declaration never
  // holds a reference into a temporary.
  ParamSpec& def(std::string text) &;
  ParamSpec def(std::string text) && { return std::move(def(std::move(text))); }
  ParamSpec& min(double v) & { return set_min(v, false); }
  ParamSpec min(double v) && { return std::move(set_min(v, false)); }
  ParamSpec& greater_than(double v) & { return set_min(v, true); }
  ParamSpec greater_than(double v) && { return std::move(set_min(v, true)); }
  ParamSpec& positive() & { return set_min(0, true); }
  ParamSpec positive() && { return std::move(set_min(0, true)); }
  ParamSpec& max(double v) & { return set_max(v, false); }
  ParamSpec max(double v) && { return std::move(set_max(v, false)); }
  ParamSpec& less_than(double v) & { return set_max(v, true); }
  ParamSpec less_than(double v) && { return std::move(set_max(v, true)); }
  ParamSpec& help(std::string text) &;
  ParamSpec help(std::string text) && { return std::move(help(std::move(text))); }

 private:
  static ParamSpec make(std::string name, ParamType type);
  ParamSpec& set_min(double v, bool exclusive);
  ParamSpec& set_max(double v, bool exclusive);
};

// A model's `type:` name, one-line summary and parameters.
struct ModelSpec {
  std::string type;
  std::string summary;
  std::vector<ParamSpec> params;

  const ParamSpec* find(std::string_view name) const;
};

// For the catalogue: the default as written, or "required".
std::string describe_default(const ParamSpec& spec);
// For the catalogue: "int", "real", "bool", "string", "one of fixed|exponential",
// the dimension's name for quantities ("data rate"), "time", "component name",
// "list of strings".
std::string type_name(const ParamSpec& spec);
// The bounds, e.g. "> 0", ">= 1 and <= 64", "" when unbounded.
std::string describe_range(const ParamSpec& spec);
// What a valid value looks like, e.g. "a data rate such as 400Gbps".
std::string describe_expected(const ParamSpec& spec);

class Params;

// Validates `map` (a map node) against `spec`. Keys in `reserved` (e.g. "name",
// "type") are accepted and skipped. Errors are ConfigErrors at the offending
// key or value naming what would be valid: unknown keys (with did-you-mean),
// wrong types, bad units, out of range, not one of the choices, missing
// required keys. `key_prefix` (e.g. "components.server") is prepended to keys
// in error messages so that values from --set are named in full.
Params validate(const Node& map, const ModelSpec& spec,
                std::span<const std::string_view> reserved = {}, std::string_view key_prefix = {});

// Validated, typed values of one model instance, defaults filled in. Asking
// for an undeclared name or with the wrong accessor is a programming error
// (std::logic_error).
class Params {
 public:
  std::int64_t integer(std::string_view name) const;
  double real(std::string_view name) const;
  bool boolean(std::string_view name) const;
  const std::string& string(std::string_view name) const;  // kString, kEnum, kRef
  const std::vector<std::string>& string_list(std::string_view name) const;
  double quantity(std::string_view name) const;  // canonical units
  Time time(std::string_view name) const;
  Bytes bytes(std::string_view name) const;            // a kSize quantity
  BytesPerSec data_rate(std::string_view name) const;  // a kDataRate quantity

  bool is_default(std::string_view name) const;
  // Where the value was written; for a default, where the model's map is.
  const Location& location(std::string_view name) const;
  // Throws ConfigError at the parameter's location: for checks that involve
  // several parameters, made by the model after validation.
  [[noreturn]] void fail(std::string_view name, const std::string& what) const;

  const std::string& type() const { return type_; }
  // {"bandwidth": "400Gbps", "servers": "4", "tags": ["a"]}: the text as
  // written (or the default's), keys sorted, so the same input always gives
  // the same JSON.
  nlohmann::json to_json() const;

 private:
  using Typed =
      std::variant<std::int64_t, double, bool, std::string, std::vector<std::string>, Time>;
  struct Value {
    std::string name;
    ParamType type;
    units::Dimension dim;
    Typed typed;
    nlohmann::json echo;
    Location location;
    bool is_default;
  };

  friend Params validate(const Node&, const ModelSpec&, std::span<const std::string_view>,
                         std::string_view);
  const Value& get(std::string_view name) const;
  template <typename T>
  const T& get_as(std::string_view name, std::initializer_list<ParamType> types) const;
  [[noreturn]] void wrong_type(const Value& v, std::string_view wanted) const;

  std::string type_;
  std::string key_prefix_;
  std::vector<Value> values_;
};

// The candidate nearest to `key` by Damerau-Levenshtein (optimal string
// alignment) distance, if within max(2, |key|/3) edits and fewer edits than
// |key|; ties go to the alphabetically first. "" when none is close.
std::string closest_name(std::string_view key, std::span<const std::string> candidates);

}  // namespace stormsim::sim::config
