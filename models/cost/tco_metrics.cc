#include "models/cost/tco_metrics.h"

#include <fmt/format.h>

#include <optional>
#include <string>

#include "models/cost/inventory.h"
#include "models/simulation.h"

namespace stormsim::models::cost {

namespace {

// A non-negative number at `key` of `obj`, or nullopt (with a note when the
// key is there but is not one).
std::optional<double> number(const nlohmann::json& obj, const char* key, const std::string& where,
                             Usage& u) {
  const auto it = obj.find(key);
  if (it == obj.end())
    return std::nullopt;
  if (!it->is_number() || it->get<double>() < 0) {
    u.notes.push_back(fmt::format("ignored {}.{}: not a non-negative number", where, key));
    return std::nullopt;
  }
  return it->get<double>();
}

bool read_checkpoint(const nlohmann::json& ckpt, const std::string& name, Usage& u) {
  const std::string where = name + ".checkpoint";
  const auto stall = number(ckpt, "stall_s", where, u);
  const auto interval = number(ckpt, "interval_s", where, u);
  if (!stall || !interval || *interval <= 0)
    return false;
  u.checkpoint_stall_s = *stall;
  u.checkpoint_interval_s = *interval;
  if (const auto gpus = number(ckpt, "gpus", where, u))
    u.checkpoint_gpus = static_cast<std::int64_t>(*gpus);
  u.notes.push_back(fmt::format("checkpoint stall and interval from `{}`", name));
  return true;
}

}  // namespace

Usage usage_from_metrics(const nlohmann::json& metrics) {
  Usage u;
  bool checkpoint = false, failures = false;
  if (!metrics.is_object())
    return u;
  for (const auto& [name, m] : metrics.items()) {
    if (!m.is_object())
      continue;
    if (const auto c = m.find("checkpoint"); c != m.end() && c->is_object()) {
      if (!checkpoint)
        checkpoint = read_checkpoint(*c, name, u);
      else
        u.notes.push_back(fmt::format("also found checkpoint metrics in `{}`: not used", name));
    }
    if (const auto c = m.find("campaign"); c != m.end() && c->is_object()) {
      if (const auto lost = number(*c, "gpu_hours_lost_per_year", name + ".campaign", u)) {
        u.gpu_hours_lost_failures_per_year += *lost;
        failures = true;
        u.notes.push_back(fmt::format("GPU-hours lost to failures from `{}`", name));
      }
    }
  }
  if (!checkpoint) {
    u.notes.push_back(
        "no checkpoint metrics in this run (no component reports checkpoint.stall_s and "
        "checkpoint.interval_s): zero checkpoint stall assumed");
  }
  if (!failures) {
    u.notes.push_back(
        "no failure campaign in this run (no component reports "
        "campaign.gpu_hours_lost_per_year): zero GPU time lost to failures assumed");
  }
  return u;
}

nlohmann::json RunCost::to_json(const PriceBook& book) const {
  return {{"price_book", book.source},
          {"inventory", inventory.to_json()},
          {"usage", usage.to_json()},
          {"tco", tco.to_json()}};
}

std::optional<RunCost> run_cost(const Simulation& sim, const PriceBook& book,
                                const nlohmann::json& metrics) {
  const Cluster* cluster = sim.cluster();
  if (cluster == nullptr)
    return std::nullopt;
  RunCost r;
  r.inventory = count_inventory(*cluster, book.fabric_port_rate);
  r.usage = usage_from_metrics(metrics);
  r.tco = compute_tco(book, r.inventory, r.usage);
  return r;
}

nlohmann::json tco_metrics(const Simulation& sim, const PriceBook& book,
                           const nlohmann::json& metrics) {
  const std::optional<RunCost> r = run_cost(sim, book, metrics);
  if (!r)
    return {{"note", "no cost figures: the scenario has no `topology:` to count"}};
  return r->to_json(book);
}

nlohmann::json tco_metrics(const Simulation& sim, const PriceBook& book) {
  return tco_metrics(sim, book, sim.metrics());
}

}  // namespace stormsim::models::cost
