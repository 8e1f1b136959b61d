#include "experiments/sweep/spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "experiments/app/cli.h"
#include "experiments/app/run_scenario.h"
#include "sim/config/compose.h"
#include "sim/config/params.h"
#include "sim/random.h"
#include "sim/units.h"

namespace stormsim::sweep {

namespace fs = std::filesystem;
using sim::config::ConfigError;
using sim::config::Location;
using sim::config::Node;

namespace {

std::optional<double> number_of(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() + text.size() && std::isfinite(v))
    return v;
  try {
    return sim::units::parse(text).value;
  } catch (const sim::units::UnitError&) {
    return std::nullopt;
  }
}

// A number as a value's text: integers without a decimal point, others in
// the shortest form that reads back exactly.
std::string number_text(double x) {
  if (std::nearbyint(x) == x && std::fabs(x) < 9.0e15)
    return fmt::format("{}", static_cast<long long>(x));
  return fmt::format("{}", x);
}

nlohmann::json plain_number(double x) {
  if (std::nearbyint(x) == x && std::fabs(x) < 9.0e15)
    return static_cast<std::int64_t>(x);
  return x;
}

Value generated(double x, const std::string& unit) {
  Value v;
  v.text = number_text(x) + unit;
  v.number = unit.empty() ? std::optional<double>(x) : number_of(v.text);
  v.shown = plain_number(x);
  return v;
}

// A plain number's value, or none for text with a unit or words.
std::optional<double> plain(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(v))
    return v;
  return std::nullopt;
}

Value value_of(const Node& n) {
  Value v;
  if (n.is_scalar()) {
    v.text = n.scalar();
    v.number = number_of(v.text);
    const std::optional<double> p = plain(v.text);
    v.shown = p ? plain_number(*p) : nlohmann::json(v.text);
  } else {
    v.text = n.to_json().dump();
    v.shown = v.text;
  }
  return v;
}

std::string join_key(const std::string& ctx, const std::string& key) {
  return ctx.empty() ? key : fmt::format("{}.{}", ctx, key);
}

[[noreturn]] void fail(const Node& n, const std::string& key, const std::string& what) {
  throw ConfigError(n.location(), key, what);
}

void check_keys(const Node& map, const std::string& ctx, std::vector<std::string> allowed) {
  for (const Node::Entry& e : map.entries()) {
    if (std::find(allowed.begin(), allowed.end(), e.first) != allowed.end())
      continue;
    std::string message = fmt::format("unknown key `{}`", e.first);
    if (const std::string near = sim::config::closest_name(e.first, allowed); !near.empty())
      message += fmt::format("; did you mean `{}`?", near);
    message += fmt::format("; allowed here: {}", fmt::join(allowed, ", "));
    throw ConfigError(e.second.key_location(), join_key(ctx, e.first), message);
  }
}

const Node& need_map(const Node& n, const std::string& key) {
  if (!n.is_map())
    fail(n, key, "expected a mapping");
  return n;
}

const Node& need(const Node& map, const std::string& key, const std::string& ctx) {
  const Node* v = map.find(key);
  if (v == nullptr)
    throw ConfigError(map.location(), join_key(ctx, key), fmt::format("`{}` is required", key));
  return *v;
}

std::string scalar(const Node& n, const std::string& key) {
  if (!n.is_scalar())
    fail(n, key, "expected a single value");
  return n.scalar();
}

double number(const Node& n, const std::string& key) {
  const std::string text = scalar(n, key);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    fail(n, key, fmt::format("expected a plain number, got `{}` (give units with `unit:`)", text));
  return v;
}

std::int64_t integer(const Node& n, const std::string& key, std::int64_t lo) {
  const std::string text = scalar(n, key);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    fail(n, key, fmt::format("expected an integer, got `{}`", text));
  if (v < lo)
    fail(n, key, fmt::format("must be at least {}, got {}", lo, v));
  return v;
}

std::pair<double, double> bounds(const Node& n, const std::string& key) {
  if (!n.is_sequence() || n.items().size() != 2)
    fail(n, key, "expected [low, high]");
  const double lo = number(n.items()[0], key);
  const double hi = number(n.items()[1], key);
  if (!(lo <= hi))
    fail(n, key, fmt::format("low {} is above high {}", lo, hi));
  return {lo, hi};
}

// name, set and unit: what every kind of parameter has.
Param param_of(const Node& n, const std::string& ctx) {
  Param p;
  p.where = n.location();
  p.name = scalar(need(n, "name", ctx), join_key(ctx, "name"));
  if (p.name.empty() ||
      !std::all_of(
          p.name.begin(), p.name.end(),
          [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }) ||
      std::isdigit(static_cast<unsigned char>(p.name[0]))) {
    fail(need(n, "name", ctx), join_key(ctx, "name"),
         fmt::format("`{}` is not a usable parameter name (letters, digits and _, not starting "
                     "with a digit: expressions refer to it)",
                     p.name));
  }
  if (const Node* set = n.find("set")) {
    if (set->is_sequence()) {
      for (const Node& item : set->items())
        p.paths.push_back(scalar(item, join_key(ctx, "set")));
    } else {
      p.paths.push_back(scalar(*set, join_key(ctx, "set")));
    }
  }
  if (const Node* unit = n.find("unit"))
    p.unit = scalar(*unit, join_key(ctx, "unit"));
  return p;
}

std::vector<Value> range_values(const Node& r, const std::string& ctx, const std::string& unit) {
  need_map(r, ctx);
  check_keys(r, ctx, {"from", "to", "step", "count", "scale"});
  const double from = number(need(r, "from", ctx), join_key(ctx, "from"));
  const double to = number(need(r, "to", ctx), join_key(ctx, "to"));
  const Node* step = r.find("step");
  const Node* count = r.find("count");
  if ((step == nullptr) == (count == nullptr))
    fail(r, ctx, "give exactly one of `step` and `count`");
  std::vector<Value> out;
  if (step != nullptr) {
    const double s = number(*step, join_key(ctx, "step"));
    if (!(s > 0))
      fail(*step, join_key(ctx, "step"), "must be positive");
    if (to < from)
      fail(r, ctx, fmt::format("`to` ({}) is below `from` ({})", to, from));
    const double n = std::floor((to - from) / s * (1 + 1e-12) + 1e-9);
    if (n > 1e6)
      fail(r, ctx, "more than a million values");
    for (std::int64_t i = 0; i <= static_cast<std::int64_t>(n); ++i)
      out.push_back(generated(from + static_cast<double>(i) * s, unit));
    return out;
  }
  const std::int64_t n = integer(*count, join_key(ctx, "count"), 1);
  std::string scale = "linear";
  if (const Node* sc = r.find("scale"))
    scale = scalar(*sc, join_key(ctx, "scale"));
  if (scale != "linear" && scale != "log")
    fail(*r.find("scale"), join_key(ctx, "scale"), "expected `linear` or `log`");
  if (scale == "log" && !(from > 0 && to > 0))
    fail(r, ctx, "a log range needs positive `from` and `to`");
  for (std::int64_t i = 0; i < n; ++i) {
    const double f = n == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(n - 1);
    const double x = scale == "log" ? from * std::pow(to / from, f) : from + (to - from) * f;
    // Keep the ends exact.
    out.push_back(generated(i == 0 ? from : i == n - 1 ? to : x, unit));
  }
  return out;
}

Axis axis_of(const Node& n, const std::string& ctx) {
  need_map(n, ctx);
  check_keys(n, ctx, {"name", "set", "unit", "values", "range"});
  Axis a{param_of(n, ctx), {}};
  const Node* values = n.find("values");
  const Node* range = n.find("range");
  if ((values == nullptr) == (range == nullptr))
    fail(n, ctx, fmt::format("axis `{}`: give exactly one of `values` and `range`", a.param.name));
  if (values != nullptr) {
    if (!values->is_sequence() || values->items().empty())
      fail(*values, join_key(ctx, "values"), "expected a non-empty list");
    for (const Node& v : values->items()) {
      Value val = value_of(v);
      // With `unit:`, plain numbers take it (10 -> 10min); text with its own unit stays.
      if (!a.param.unit.empty() && v.is_scalar()) {
        if (const std::optional<double> p = plain(v.scalar()))
          val = generated(*p, a.param.unit);
      }
      a.values.push_back(std::move(val));
    }
  } else {
    a.values = range_values(*range, join_key(ctx, "range"), a.param.unit);
  }
  return a;
}

RandomAxis random_axis_of(const Node& n, const std::string& ctx) {
  need_map(n, ctx);
  check_keys(n, ctx, {"name", "set", "unit", "uniform", "log_uniform", "integer", "choice"});
  RandomAxis a;
  a.param = param_of(n, ctx);
  int kinds = 0;
  if (const Node* u = n.find("uniform")) {
    ++kinds;
    a.kind = RandomAxis::Kind::kUniform;
    std::tie(a.lo, a.hi) = bounds(*u, join_key(ctx, "uniform"));
  }
  if (const Node* u = n.find("log_uniform")) {
    ++kinds;
    a.kind = RandomAxis::Kind::kLogUniform;
    std::tie(a.lo, a.hi) = bounds(*u, join_key(ctx, "log_uniform"));
    if (!(a.lo > 0))
      fail(*u, join_key(ctx, "log_uniform"), "needs a positive low bound");
  }
  if (const Node* u = n.find("integer")) {
    ++kinds;
    a.kind = RandomAxis::Kind::kInteger;
    std::tie(a.lo, a.hi) = bounds(*u, join_key(ctx, "integer"));
    if (a.lo != std::floor(a.lo) || a.hi != std::floor(a.hi))
      fail(*u, join_key(ctx, "integer"), "expected integer bounds");
  }
  if (const Node* c = n.find("choice")) {
    ++kinds;
    a.kind = RandomAxis::Kind::kChoice;
    if (!c->is_sequence() || c->items().empty())
      fail(*c, join_key(ctx, "choice"), "expected a non-empty list");
    for (const Node& v : c->items())
      a.choices.push_back(value_of(v));
  }
  if (kinds != 1) {
    fail(n, ctx,
         fmt::format("random axis `{}`: give exactly one of `uniform`, `log_uniform`, "
                     "`integer` and `choice`",
                     a.param.name));
  }
  return a;
}

Value draw(const RandomAxis& a, sim::Rng& rng) {
  switch (a.kind) {
    case RandomAxis::Kind::kUniform:
      return generated(rng.uniform(a.lo, a.hi), a.param.unit);
    case RandomAxis::Kind::kLogUniform:
      return generated(std::exp(rng.uniform(std::log(a.lo), std::log(a.hi))), a.param.unit);
    case RandomAxis::Kind::kInteger:
      return generated(
          a.lo + static_cast<double>(rng.below(static_cast<std::uint64_t>(a.hi - a.lo) + 1)),
          a.param.unit);
    case RandomAxis::Kind::kChoice:
      break;
  }
  return a.choices[rng.below(a.choices.size())];
}

std::string override_text(const std::string& path, const Value& v) {
  return fmt::format("{}={}", path, v.text);
}

// Applies one override from the spec, naming the spec's key when it fails.
void apply(Node& root, const std::string& assignment, const Location& where,
           const std::string& key) {
  try {
    sim::config::apply_override(root, assignment);
  } catch (const ConfigError& e) {
    throw ConfigError(where, key, fmt::format("`{}`: {}", assignment, e.detail()));
  }
}

}  // namespace

std::vector<std::string> Spec::param_names() const {
  std::vector<std::string> names;
  for (const GridAxis& g : grid)
    for (const Axis& a : g.members)
      names.push_back(a.param.name);
  for (const RandomAxis& a : random)
    names.push_back(a.param.name);
  for (const Derived& d : derived)
    names.push_back(d.param.name);
  return names;
}

Spec load_spec(const std::string& path) {
  return parse_spec(sim::config::load_file(path), path);
}

Spec parse_spec(const Node& root, const std::string& path) {
  Spec s;
  s.path = path;
  need_map(root, "");
  check_keys(root, "",
             {"name", "description", "scenario", "set", "axes", "random", "derived", "replicates",
              "metrics", "pareto", "target", "smoke"});
  s.name = scalar(need(root, "name", ""), "name");
  if (const Node* d = root.find("description"))
    s.description = scalar(*d, "description");
  if (const Node* sc = root.find("scenario")) {
    const fs::path p = fs::path(path).parent_path() / scalar(*sc, "scenario");
    if (!fs::is_regular_file(p))
      fail(*sc, "scenario", fmt::format("no scenario file `{}`", p.string()));
    s.scenario_path = fs::absolute(p).lexically_normal().string();
  }
  if (const Node* set = root.find("set")) {
    need_map(*set, "set");
    for (const Node::Entry& e : set->entries())
      s.sets.push_back(override_text(e.first, value_of(e.second)));
  }
  if (const Node* axes = root.find("axes")) {
    if (!axes->is_sequence())
      fail(*axes, "axes", "expected a list of axes");
    for (std::size_t i = 0; i < axes->items().size(); ++i) {
      const Node& n = axes->items()[i];
      const std::string ctx = fmt::format("axes.{}", i);
      GridAxis g;
      if (const Node* zip = n.is_map() ? n.find("zip") : nullptr) {
        check_keys(n, ctx, {"zip"});
        if (!zip->is_sequence() || zip->items().empty())
          fail(*zip, join_key(ctx, "zip"), "expected a non-empty list of axes");
        for (std::size_t j = 0; j < zip->items().size(); ++j)
          g.members.push_back(axis_of(zip->items()[j], fmt::format("{}.zip.{}", ctx, j)));
        for (const Axis& a : g.members) {
          if (a.values.size() != g.members.front().values.size()) {
            fail(*zip, join_key(ctx, "zip"),
                 fmt::format("zipped axes need equal lengths: `{}` has {} values, `{}` has {}",
                             g.members.front().param.name, g.members.front().values.size(),
                             a.param.name, a.values.size()));
          }
        }
      } else {
        g.members.push_back(axis_of(n, ctx));
      }
      s.grid.push_back(std::move(g));
    }
  }
  if (const Node* r = root.find("random")) {
    need_map(*r, "random");
    check_keys(*r, "random", {"samples", "seed", "axes"});
    s.samples =
        static_cast<std::size_t>(integer(need(*r, "samples", "random"), "random.samples", 1));
    if (const Node* seed = r->find("seed"))
      s.random_seed = static_cast<std::uint64_t>(integer(*seed, "random.seed", 0));
    const Node& axes = need(*r, "axes", "random");
    if (!axes.is_sequence() || axes.items().empty())
      fail(axes, "random.axes", "expected a non-empty list of axes");
    for (std::size_t i = 0; i < axes.items().size(); ++i)
      s.random.push_back(random_axis_of(axes.items()[i], fmt::format("random.axes.{}", i)));
  }
  std::set<std::string> known;
  auto declare = [&](const Param& p, const std::string& ctx) {
    if (!known.insert(p.name).second)
      throw ConfigError(p.where, ctx, fmt::format("parameter `{}` is defined twice", p.name));
  };
  for (std::size_t i = 0; i < s.grid.size(); ++i)
    for (const Axis& a : s.grid[i].members)
      declare(a.param, fmt::format("axes.{}", i));
  for (std::size_t i = 0; i < s.random.size(); ++i)
    declare(s.random[i].param, fmt::format("random.axes.{}", i));
  if (const Node* d = root.find("derived")) {
    if (!d->is_sequence())
      fail(*d, "derived", "expected a list");
    for (std::size_t i = 0; i < d->items().size(); ++i) {
      const Node& n = d->items()[i];
      const std::string ctx = fmt::format("derived.{}", i);
      need_map(n, ctx);
      check_keys(n, ctx, {"name", "set", "unit", "expr"});
      Derived dv{param_of(n, ctx), scalar(need(n, "expr", ctx), join_key(ctx, "expr")), {}};
      const Node& expr_node = need(n, "expr", ctx);
      try {
        dv.expr = Expr::parse(dv.text);
      } catch (const ExprError& e) {
        fail(expr_node, join_key(ctx, "expr"),
             fmt::format("{} at column {} of `{}`", e.what(), e.offset() + 1, dv.text));
      }
      for (const std::string& name : dv.expr.names()) {
        if (!known.count(name)) {
          std::vector<std::string> candidates(known.begin(), known.end());
          std::string message = fmt::format("`{}` is not a parameter defined before it", name);
          if (const std::string near = sim::config::closest_name(name, candidates); !near.empty())
            message += fmt::format("; did you mean `{}`?", near);
          fail(expr_node, join_key(ctx, "expr"), message);
        }
      }
      declare(dv.param, ctx);
      s.derived.push_back(std::move(dv));
    }
  }
  if (const Node* r = root.find("replicates"))
    s.replicates = static_cast<int>(integer(*r, "replicates", 1));
  const Node& metrics = need(root, "metrics", "");
  if (!metrics.is_map() || metrics.entries().empty())
    fail(metrics, "metrics", "expected a mapping of names to result paths (name: component.key)");
  for (const Node::Entry& e : metrics.entries()) {
    const std::string p = scalar(e.second, join_key("metrics", e.first));
    if (p.empty())
      fail(e.second, join_key("metrics", e.first), "an empty path");
    if (known.count(e.first)) {
      throw ConfigError(e.second.key_location(), join_key("metrics", e.first),
                        fmt::format("`{}` is already a parameter's name", e.first));
    }
    s.metrics.push_back({e.first, p, e.second.location()});
  }
  auto metric_name = [&](const Node& map, const std::string& key, const std::string& ctx) {
    const Node& n = need(map, key, ctx);
    const std::string name = scalar(n, join_key(ctx, key));
    if (std::none_of(s.metrics.begin(), s.metrics.end(),
                     [&](const Metric& m) { return m.name == name; })) {
      fail(n, join_key(ctx, key), fmt::format("`{}` is not one of the spec's metrics", name));
    }
    return name;
  };
  if (const Node* p = root.find("pareto")) {
    need_map(*p, "pareto");
    check_keys(*p, "pareto", {"cost", "metric"});
    s.pareto = ParetoSpec{metric_name(*p, "cost", "pareto"), metric_name(*p, "metric", "pareto")};
  }
  if (const Node* t = root.find("target")) {
    need_map(*t, "target");
    check_keys(*t, "target", {"metric", "max", "min", "cost", "where"});
    TargetSpec target;
    target.metric = metric_name(*t, "metric", "target");
    target.cost = metric_name(*t, "cost", "target");
    if (const Node* m = t->find("max"))
      target.max = number(*m, "target.max");
    if (const Node* m = t->find("min"))
      target.min = number(*m, "target.min");
    if (!target.max && !target.min)
      fail(*t, "target", "give `max`, `min` or both");
    if (const Node* w = t->find("where")) {
      need_map(*w, "target.where");
      for (const Node::Entry& e : w->entries()) {
        if (!known.count(e.first)) {
          throw ConfigError(e.second.key_location(), join_key("target.where", e.first),
                            fmt::format("`{}` is not a parameter of the sweep", e.first));
        }
        target.where.emplace_back(e.first, value_of(e.second));
      }
    }
    s.target = std::move(target);
  }
  if (const Node* smoke = root.find("smoke")) {
    need_map(*smoke, "smoke");
    check_keys(*smoke, "smoke", {"set"});
    const Node& set = need_map(need(*smoke, "set", "smoke"), "smoke.set");
    for (const Node::Entry& e : set.entries())
      s.smoke_sets.push_back(override_text(e.first, value_of(e.second)));
  }
  if (s.grid.empty() && s.random.empty() && s.replicates == 1)
    fail(root, "axes", "nothing to sweep: give `axes`, `random` or `replicates`");
  return s;
}

Plan make_plan(const Spec& spec, bool smoke) {
  Plan plan;
  plan.spec = spec;
  plan.base = spec.scenario_path.empty() ? sim::config::load_scenario_string(
                                               app::default_scenario_text(), "<default scenario>",
                                               fs::current_path().string())
                                         : sim::config::load_scenario(spec.scenario_path);
  // Overrides may reach into a topology given as a file.
  app::inline_topology_file(plan.base);
  std::uint64_t base_seed = 1;  // models/simulation.cc's default
  if (const Node* seed = plan.base.find("seed"); seed != nullptr && seed->is_scalar())
    base_seed = std::strtoull(seed->scalar().c_str(), nullptr, 10);
  const Location spec_file{spec.path, 0, 0};

  std::size_t grid_size = 1;
  for (const GridAxis& g : spec.grid) {
    if (grid_size > 10'000'000 / g.size())
      throw ConfigError(spec_file, "axes", "the grid has more than 10 million points");
    grid_size *= g.size();
  }
  const std::size_t samples = spec.random.empty() ? 1 : spec.samples;
  plan.configurations = grid_size * samples;

  // The random draws, one row per sample, shared by every grid point.
  std::vector<std::vector<Value>> draws(samples);
  if (!spec.random.empty()) {
    sim::Rng rng(spec.random_seed);
    for (auto& row : draws)
      for (const RandomAxis& a : spec.random)
        row.push_back(draw(a, rng));
  }

  std::string all_keys;
  for (std::size_t c = 0; c < plan.configurations; ++c) {
    Point base_point;
    base_point.index = c;
    std::vector<std::string> overrides = spec.sets;
    auto add = [&](const Param& p, const Value& v) {
      base_point.params.emplace_back(p.name, v);
      for (const std::string& path : p.paths)
        overrides.push_back(override_text(path, v));
    };
    // Grid coordinates: the first axis varies slowest.
    std::size_t rest = c / samples;
    std::vector<std::size_t> coord(spec.grid.size());
    for (std::size_t g = spec.grid.size(); g-- > 0;) {
      coord[g] = rest % spec.grid[g].size();
      rest /= spec.grid[g].size();
    }
    for (std::size_t g = 0; g < spec.grid.size(); ++g)
      for (const Axis& a : spec.grid[g].members)
        add(a.param, a.values[coord[g]]);
    for (std::size_t r = 0; r < spec.random.size(); ++r)
      add(spec.random[r].param, draws[c % samples][r]);
    for (std::size_t d = 0; d < spec.derived.size(); ++d) {
      const Derived& dv = spec.derived[d];
      const std::string key = fmt::format("derived.{}.expr", d);
      double x = 0;
      try {
        x = dv.expr.eval([&](const std::string& name) -> std::optional<double> {
          for (const auto& [n, v] : base_point.params) {
            if (n != name)
              continue;
            if (!v.number)
              throw ExprError(0, fmt::format("parameter `{}` is `{}`, not a number", n, v.text));
            return v.number;
          }
          return std::nullopt;
        });
      } catch (const ExprError& e) {
        throw ConfigError(dv.param.where, key, fmt::format("`{}`: {}", dv.text, e.what()));
      }
      if (!std::isfinite(x)) {
        throw ConfigError(dv.param.where, key,
                          fmt::format("`{}` is {} at point {}", dv.text, x, c));
      }
      add(dv.param, generated(x, dv.param.unit));
    }
    if (smoke)
      overrides.insert(overrides.end(), spec.smoke_sets.begin(), spec.smoke_sets.end());
    for (int r = 0; r < spec.replicates; ++r) {
      Point p = base_point;
      p.replicate = r;
      // Scenario seeds are non-negative 64-bit signed integers: 63 bits.
      p.seed = r == 0
                   ? base_seed
                   : sim::RngStreams::derive_seed(base_seed, fmt::format("replicate-{}", r)) >> 1;
      p.overrides = overrides;
      p.overrides.push_back(fmt::format("seed={}", p.seed));
      // Resolve it now: a bad path fails here, at the spec's key, before any run.
      Node resolved = plan.base;
      std::size_t o = 0;
      for (; o < spec.sets.size(); ++o)
        apply(resolved, p.overrides[o], spec_file, "set");
      for (const auto& [name, value] : p.params) {
        const auto named = [&](const Param& q) { return q.name == name; };
        const Param* param = nullptr;
        for (const GridAxis& g : spec.grid)
          for (const Axis& a : g.members)
            if (named(a.param))
              param = &a.param;
        for (const RandomAxis& a : spec.random)
          if (named(a.param))
            param = &a.param;
        for (const Derived& dv : spec.derived)
          if (named(dv.param))
            param = &dv.param;
        for (std::size_t k = 0; k < param->paths.size(); ++k, ++o)
          apply(resolved, p.overrides[o], param->where, fmt::format("{}.set", name));
      }
      if (smoke) {
        for (std::size_t k = 0; k < spec.smoke_sets.size(); ++k, ++o)
          apply(resolved, p.overrides[o], spec_file, "smoke.set");
      }
      apply(resolved, p.overrides[o], spec_file, "replicates");
      // The key covers the parameters too: a variable that only feeds a
      // derived value, or sets nothing, still tells points apart.
      nlohmann::json params = nlohmann::json::array();
      for (const auto& [name, value] : p.params)
        params.push_back({name, value.text});
      const std::string canonical = resolved.to_json().dump() + params.dump();
      p.key = fmt::format("{:016x}", sim::fnv1a(canonical));
      all_keys += p.key;
      plan.points.push_back(std::move(p));
    }
  }
  for (const Metric& m : spec.metrics)
    all_keys += fmt::format("|{}={}", m.name, m.path);
  plan.hash = fmt::format("{:016x}", sim::fnv1a(all_keys));
  return plan;
}

sim::config::Node point_scenario(const Plan& plan, const Point& point) {
  Node root = plan.base;
  for (const std::string& o : point.overrides)
    sim::config::apply_override(root, o);
  return root;
}

}  // namespace stormsim::sweep
