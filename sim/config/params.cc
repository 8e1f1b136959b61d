#include "sim/config/params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace stormsim::sim::config {

// ---- ParamSpec / ModelSpec --------------------------------------------------

ParamSpec ParamSpec::make(std::string name, ParamType type) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  return spec;
}

ParamSpec ParamSpec::enumeration(std::string name, std::vector<std::string> choices) {
  ParamSpec spec = make(std::move(name), ParamType::kEnum);
  spec.choices = std::move(choices);
  return spec;
}

ParamSpec ParamSpec::quantity(std::string name, units::Dimension dim) {
  ParamSpec spec = make(std::move(name), ParamType::kQuantity);
  spec.dim = dim;
  return spec;
}

ParamSpec& ParamSpec::def(std::string text) & {
  default_text = std::move(text);
  return *this;
}

ParamSpec& ParamSpec::help(std::string text) & {
  help_text = std::move(text);
  return *this;
}

ParamSpec& ParamSpec::set_min(double v, bool exclusive) {
  min_value = v;
  min_exclusive = exclusive;
  return *this;
}

ParamSpec& ParamSpec::set_max(double v, bool exclusive) {
  max_value = v;
  max_exclusive = exclusive;
  return *this;
}

const ParamSpec* ModelSpec::find(std::string_view name) const {
  for (const ParamSpec& p : params) {
    if (p.name == name)
      return &p;
  }
  return nullptr;
}

// ---- descriptions -----------------------------------------------------------

namespace {

std::string with_article(std::string_view noun) {
  const bool vowel =
      !noun.empty() && std::string_view("aeiou").find(noun[0]) != std::string_view::npos;
  return fmt::format("{} {}", vowel ? "an" : "a", noun);
}

// A bound in the unit a user would write, e.g. "1GB/s", "1ms", "4".
std::string format_bound(const ParamSpec& spec, double v) {
  if (v == 0)
    return "0";  // zero needs no unit, and "> 0" reads best
  if (spec.type == ParamType::kQuantity)
    return units::format(v, spec.dim);
  if (spec.type == ParamType::kTime)
    return units::format(v, units::Dimension::kTime);
  return fmt::format("{}", v);
}

}  // namespace

std::string describe_default(const ParamSpec& spec) {
  return spec.default_text ? *spec.default_text : "required";
}

std::string type_name(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::kInt:
      return "int";
    case ParamType::kReal:
      return "real";
    case ParamType::kBool:
      return "bool";
    case ParamType::kString:
      return "string";
    case ParamType::kEnum:
      return fmt::format("one of {}", fmt::join(spec.choices, "|"));
    case ParamType::kQuantity:
      return std::string(units::name(spec.dim));
    case ParamType::kTime:
      return "time";
    case ParamType::kRef:
      return "component name";
    case ParamType::kStringList:
      return "list of strings";
  }
  return "?";
}

std::string describe_range(const ParamSpec& spec) {
  std::string lower, upper;
  if (spec.min_value) {
    lower =
        fmt::format("{} {}", spec.min_exclusive ? ">" : ">=", format_bound(spec, *spec.min_value));
  }
  if (spec.max_value) {
    upper =
        fmt::format("{} {}", spec.max_exclusive ? "<" : "<=", format_bound(spec, *spec.max_value));
  }
  if (!lower.empty() && !upper.empty())
    return lower + " and " + upper;
  return lower + upper;
}

std::string describe_expected(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::kInt:
      return "an integer such as 4";
    case ParamType::kReal:
      return "a number such as 0.5";
    case ParamType::kBool:
      return "true or false";
    case ParamType::kString:
      return "a string";
    case ParamType::kEnum:
      return fmt::format("one of {}", fmt::join(spec.choices, "|"));
    case ParamType::kQuantity:
      return fmt::format("{} such as {}", with_article(units::name(spec.dim)),
                         units::example(spec.dim));
    case ParamType::kTime:
      return fmt::format("a time such as {}", units::example(units::Dimension::kTime));
    case ParamType::kRef:
      return "the name of a component";
    case ParamType::kStringList:
      return "a list of strings such as [a, b]";
  }
  return "?";
}

// ---- closest_name -----------------------------------------------------------

namespace {

// Optimal string alignment distance: edits are insertions, deletions,
// substitutions and swaps of adjacent characters (the usual typo kinds).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

std::string closest_name(std::string_view key, std::span<const std::string> candidates) {
  // Allowing as many edits as the key has characters would "correct" any
  // short key into any other.
  if (key.empty())
    return "";
  const std::size_t limit = std::min(std::max<std::size_t>(2, key.size() / 3), key.size() - 1);
  const std::string* best = nullptr;
  std::size_t best_distance = limit + 1;
  for (const std::string& c : candidates) {
    const std::size_t dist = edit_distance(key, c);
    if (dist < best_distance || (dist == best_distance && best != nullptr && c < *best)) {
      best = &c;
      best_distance = dist;
    }
  }
  return best != nullptr ? *best : "";
}

// ---- value parsing ----------------------------------------------------------

namespace {

// Typed value of a parameter, as Params stores it.
using Typed = std::variant<std::int64_t, double, bool, std::string, std::vector<std::string>, Time>;

std::string join_key(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : fmt::format("{}.{}", prefix, name);
}

// Throws the error for a value that is not what `spec` expects.
[[noreturn]] void reject(const Node& node, const std::string& key, const std::string& what) {
  throw ConfigError(node.location(), key, what);
}

std::int64_t parse_integer(const Node& node, const ParamSpec& spec, const std::string& key) {
  // "1e3" and "3.5" are rejected: an integer parameter counts things, and a
  // silently truncated count is worse than an error.
  const std::string& text = node.scalar();
  const char* first = text.data() + (text.starts_with('+') ? 1 : 0);
  const char* last = text.data() + text.size();
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(first, last, v);
  if (ec == std::errc::result_out_of_range)
    reject(node, key, fmt::format("`{}` is too large", text));
  if (ec != std::errc() || end != last || first == last) {
    reject(node, key, fmt::format("expected {}, got `{}`", describe_expected(spec), text));
  }
  return v;
}

double parse_real(const Node& node, const ParamSpec& spec, const std::string& key) {
  const std::string& text = node.scalar();
  const char* first = text.data() + (text.starts_with('+') ? 1 : 0);
  const char* last = text.data() + text.size();
  double v = 0;
  const auto [end, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || end != last || first == last || !std::isfinite(v)) {
    reject(node, key, fmt::format("expected {}, got `{}`", describe_expected(spec), text));
  }
  return v;
}

bool parse_boolean(const Node& node, const ParamSpec& spec, const std::string& key) {
  // Only true/false: YAML 1.1's yes/no/on/off surprise people (the "Norway
  // problem"), and one spelling keeps configs greppable.
  const std::string& text = node.scalar();
  if (text == "true")
    return true;
  if (text == "false")
    return false;
  reject(node, key, fmt::format("expected {}, got `{}`", describe_expected(spec), text));
}

std::string parse_choice(const Node& node, const ParamSpec& spec, const std::string& key) {
  const std::string& text = node.scalar();
  if (std::find(spec.choices.begin(), spec.choices.end(), text) != spec.choices.end())
    return text;
  std::string what = fmt::format("must be {}, got `{}`", describe_expected(spec), text);
  if (const std::string near = closest_name(text, spec.choices); !near.empty()) {
    what += fmt::format("; did you mean `{}`?", near);
  }
  reject(node, key, what);
}

double parse_quantity(const Node& node, const ParamSpec& spec, const std::string& key) {
  try {
    return units::parse(node.scalar(), spec.dim).value;
  } catch (const units::UnitError& e) {
    reject(node, key, fmt::format("expected {}: {}", describe_expected(spec), e.what()));
  }
}

Time parse_time_value(const Node& node, const ParamSpec& spec, const std::string& key) {
  try {
    return units::parse_time(node.scalar());
  } catch (const units::UnitError& e) {
    reject(node, key, fmt::format("expected {}: {}", describe_expected(spec), e.what()));
  }
}

std::vector<std::string> parse_list(const Node& node, const ParamSpec& spec,
                                    const std::string& key) {
  if (!node.is_sequence()) {
    reject(node, key,
           fmt::format("expected {}, got a {}", describe_expected(spec), kind_name(node.kind())));
  }
  std::vector<std::string> out;
  for (const Node& item : node.items()) {
    if (!item.is_scalar()) {
      reject(item, key,
             fmt::format("expected a string in the list, got a {}", kind_name(item.kind())));
    }
    out.push_back(item.scalar());
  }
  return out;
}

Typed parse_scalar(const Node& node, const ParamSpec& spec, const std::string& key) {
  switch (spec.type) {
    case ParamType::kInt:
      return parse_integer(node, spec, key);
    case ParamType::kReal:
      return parse_real(node, spec, key);
    case ParamType::kBool:
      return parse_boolean(node, spec, key);
    case ParamType::kEnum:
      return parse_choice(node, spec, key);
    case ParamType::kQuantity:
      return parse_quantity(node, spec, key);
    case ParamType::kTime:
      return parse_time_value(node, spec, key);
    case ParamType::kRef:
      if (node.scalar().empty())
        reject(node, key, "expected the name of a component, got ``");
      return node.scalar();
    case ParamType::kString:
    case ParamType::kStringList:
      break;
  }
  return node.scalar();
}

// The value in canonical units for range checks; nullopt for non-numbers.
std::optional<double> numeric(const Typed& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v))
    return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v))
    return *d;
  if (const auto* t = std::get_if<Time>(&v))
    return t->seconds();
  return std::nullopt;
}

bool in_range(const ParamSpec& spec, double v) {
  if (spec.min_value && (spec.min_exclusive ? v <= *spec.min_value : v < *spec.min_value)) {
    return false;
  }
  return !spec.max_value || (spec.max_exclusive ? v < *spec.max_value : v <= *spec.max_value);
}

void check_range(const Node& node, const ParamSpec& spec, const std::string& key, const Typed& v) {
  const std::optional<double> x = numeric(v);
  if (!x || in_range(spec, *x))
    return;
  reject(node, key, fmt::format("must be {}, got `{}`", describe_range(spec), node.scalar()));
}

// Parses and range-checks one value written for `spec`.
Typed parse_value(const Node& node, const ParamSpec& spec, const std::string& key) {
  if (spec.type == ParamType::kStringList)
    return parse_list(node, spec, key);
  if (node.is_null())
    reject(node, key, fmt::format("has no value; expected {}", describe_expected(spec)));
  if (!node.is_scalar()) {
    reject(node, key,
           fmt::format("expected {}, got a {}", describe_expected(spec), kind_name(node.kind())));
  }
  Typed v = parse_scalar(node, spec, key);
  check_range(node, spec, key, v);
  return v;
}

// The default as if the user had written it where the model's map is.
Node default_node(const ParamSpec& spec, const ModelSpec& model, const Location& where) {
  if (spec.type != ParamType::kStringList)
    return Node::scalar(*spec.default_text, where);
  Node node =
      load_string(*spec.default_text, fmt::format("<default of {}.{}>", model.type, spec.name));
  node.relocate(where);
  return node;
}

// ---- map checks -------------------------------------------------------------

bool is_reserved(std::string_view key, std::span<const std::string_view> reserved) {
  return std::find(reserved.begin(), reserved.end(), key) != reserved.end();
}

std::vector<std::string> param_names(const ModelSpec& spec) {
  std::vector<std::string> names;
  for (const ParamSpec& p : spec.params)
    names.push_back(p.name);
  return names;
}

[[noreturn]] void reject_unknown_key(const Node::Entry& entry, const ModelSpec& spec,
                                     std::string_view prefix) {
  const std::vector<std::string> names = param_names(spec);
  std::string what = fmt::format("unknown key `{}` for type `{}`", entry.first, spec.type);
  if (names.empty()) {
    what += "; it takes no parameters";
  } else if (const std::string near = closest_name(entry.first, names); !near.empty()) {
    what += fmt::format("; did you mean `{}`?", near);
  } else {
    what += fmt::format("; valid keys: {}", fmt::join(names, ", "));
  }
  throw ConfigError(entry.second.key_location(), join_key(prefix, entry.first), what);
}

void reject_unknown_keys(const Node& map, const ModelSpec& spec,
                         std::span<const std::string_view> reserved, std::string_view prefix) {
  for (const Node::Entry& entry : map.entries()) {
    if (!is_reserved(entry.first, reserved) && spec.find(entry.first) == nullptr) {
      reject_unknown_key(entry, spec, prefix);
    }
  }
}

// A parameter's value: as written, or its default as if written at the map.
struct Resolved {
  Node node;
  Typed typed;
  bool is_default;
};

Resolved resolve_default(const Node& map, const ParamSpec& p, const ModelSpec& spec,
                         const std::string& key) {
  if (!p.default_text) {
    throw ConfigError(map.location(), key,
                      fmt::format("missing required key for type `{}` (expected {})", spec.type,
                                  describe_expected(p)));
  }
  try {
    Node node = default_node(p, spec, map.location());
    Typed typed = parse_value(node, p, key);
    return Resolved{std::move(node), std::move(typed), true};
  } catch (const ConfigError& e) {
    // A default that does not validate is the model author's bug, not the user's.
    throw std::logic_error(fmt::format("bad default `{}` for {}.{}: {}", *p.default_text, spec.type,
                                       p.name, e.detail()));
  }
}

Resolved resolve(const Node& map, const ParamSpec& p, const ModelSpec& spec,
                 const std::string& key) {
  const Node* written = map.find(p.name);
  if (written == nullptr)
    return resolve_default(map, p, spec, key);
  return Resolved{*written, parse_value(*written, p, key), false};
}

}  // namespace

// ---- validate ---------------------------------------------------------------

Params validate(const Node& map, const ModelSpec& spec, std::span<const std::string_view> reserved,
                std::string_view key_prefix) {
  if (!map.is_map()) {
    throw ConfigError(map.location(), std::string(key_prefix),
                      fmt::format("expected a map of parameters for type `{}`, got a {}", spec.type,
                                  kind_name(map.kind())));
  }
  reject_unknown_keys(map, spec, reserved, key_prefix);
  Params out;
  out.type_ = spec.type;
  out.key_prefix_ = std::string(key_prefix);
  for (const ParamSpec& p : spec.params) {
    Resolved r = resolve(map, p, spec, join_key(key_prefix, p.name));
    out.values_.push_back(Params::Value{p.name, p.type, p.dim, std::move(r.typed), r.node.to_json(),
                                        r.node.location(), r.is_default});
  }
  return out;
}

// ---- Params -----------------------------------------------------------------

const Params::Value& Params::get(std::string_view name) const {
  for (const Value& v : values_) {
    if (v.name == name)
      return v;
  }
  throw std::logic_error(fmt::format("type `{}` declares no parameter `{}`", type_, name));
}

void Params::wrong_type(const Value& v, std::string_view wanted) const {
  throw std::logic_error(
      fmt::format("parameter `{}` of type `{}` is not {}", v.name, type_, wanted));
}

template <typename T>
const T& Params::get_as(std::string_view name, std::initializer_list<ParamType> types) const {
  const Value& v = get(name);
  if (std::find(types.begin(), types.end(), v.type) == types.end())
    wrong_type(v, "of that kind");
  return std::get<T>(v.typed);
}

std::int64_t Params::integer(std::string_view name) const {
  return get_as<std::int64_t>(name, {ParamType::kInt});
}

double Params::real(std::string_view name) const {
  return get_as<double>(name, {ParamType::kReal});
}

bool Params::boolean(std::string_view name) const {
  return get_as<bool>(name, {ParamType::kBool});
}

const std::string& Params::string(std::string_view name) const {
  return get_as<std::string>(name, {ParamType::kString, ParamType::kEnum, ParamType::kRef});
}

const std::vector<std::string>& Params::string_list(std::string_view name) const {
  return get_as<std::vector<std::string>>(name, {ParamType::kStringList});
}

double Params::quantity(std::string_view name) const {
  return get_as<double>(name, {ParamType::kQuantity});
}

Time Params::time(std::string_view name) const {
  return get_as<Time>(name, {ParamType::kTime});
}

Bytes Params::bytes(std::string_view name) const {
  const Value& v = get(name);
  if (v.type != ParamType::kQuantity || v.dim != units::Dimension::kSize)
    wrong_type(v, "a size");
  return Bytes(std::get<double>(v.typed));
}

BytesPerSec Params::data_rate(std::string_view name) const {
  const Value& v = get(name);
  if (v.type != ParamType::kQuantity || v.dim != units::Dimension::kDataRate) {
    wrong_type(v, "a data rate");
  }
  return BytesPerSec(std::get<double>(v.typed));
}

bool Params::is_default(std::string_view name) const {
  return get(name).is_default;
}

const Location& Params::location(std::string_view name) const {
  return get(name).location;
}

void Params::fail(std::string_view name, const std::string& what) const {
  throw ConfigError(location(name), join_key(key_prefix_, name), what);
}

nlohmann::json Params::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const Value& v : values_)
    out[v.name] = v.echo;
  return out;
}

}  // namespace stormsim::sim::config
