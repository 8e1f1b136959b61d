#include "models/cost/tco.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace stormsim::models::cost {

namespace {

double dot(const SpeedCounts& counts, const PerSpeed& prices) {
  double sum = 0;
  for (std::size_t c = 0; c < kSpeedClasses; ++c)
    sum += static_cast<double>(counts[c]) * prices[c];
  return sum;
}

double opex_per_year(const PriceBook& b, double watts) {
  return watts / 1000 * kHoursPerYear * b.pue * b.electricity_per_kwh;
}

void storage_costs(const PriceBook& b, const Inventory& inv, Tco& t) {
  t.storage_capex_servers = static_cast<double>(inv.storage_servers) * b.storage_server;
  t.storage_capex_drives = inv.storage_raw_bytes / 1e12 * b.nvme_per_tb;
  t.storage_capex_nics = dot(inv.storage_nics, b.nic);
  t.storage_capex_network =
      dot(inv.storage_switch_ports, b.switch_port) + dot(inv.storage_links, b.link);
  t.storage_capex = t.storage_capex_servers + t.storage_capex_drives + t.storage_capex_nics +
                    t.storage_capex_network;
  t.storage_capex_per_year =
      (t.storage_capex_servers + t.storage_capex_drives + t.storage_capex_nics) / b.storage_years +
      t.storage_capex_network / b.network_years;
  t.storage_power_w = static_cast<double>(inv.storage_servers) * b.storage_server_w +
                      static_cast<double>(inv.storage_drives) * b.nvme_w +
                      static_cast<double>(total(inv.storage_nics)) * b.nic_w +
                      static_cast<double>(total(inv.storage_switch_ports)) * b.switch_port_w;
  t.storage_opex_per_year = opex_per_year(b, t.storage_power_w);
}

void compute_costs(const PriceBook& b, const Inventory& inv, Tco& t) {
  const double servers = static_cast<double>(inv.gpu_servers) * b.gpu_server;
  const double network =
      dot(inv.compute_switch_ports, b.switch_port) + dot(inv.compute_links, b.link);
  t.compute_capex = servers + network;
  t.compute_capex_per_year = servers / b.gpu_server_years + network / b.network_years;
  t.compute_power_w = static_cast<double>(inv.gpu_servers) * b.gpu_server_w +
                      static_cast<double>(total(inv.compute_switch_ports)) * b.switch_port_w;
  t.compute_opex_per_year = opex_per_year(b, t.compute_power_w);
}

void gpu_time(const PriceBook& b, const Inventory& inv, const Usage& u, Tco& t) {
  const double gpus = static_cast<double>(u.checkpoint_gpus > 0 ? u.checkpoint_gpus : inv.gpus);
  const double stall_gpu_hours = u.checkpoint_stall_s * gpus / kSecondsPerHour;
  t.gpu_hours_per_year = static_cast<double>(inv.gpus) * kHoursPerYear;
  if (u.checkpoint_interval_s > 0) {
    t.checkpoints_per_year = kHoursPerYear * kSecondsPerHour / u.checkpoint_interval_s;
    t.gpu_hours_lost_to_checkpoints_per_year = t.checkpoints_per_year * stall_gpu_hours;
    t.cost_per_checkpoint =
        (t.storage_capex_per_year + t.storage_opex_per_year) / t.checkpoints_per_year +
        stall_gpu_hours * b.gpu_price_per_hour;
  }
  t.gpu_hours_lost_to_failures_per_year = u.gpu_hours_lost_failures_per_year;
  t.gpu_cost_lost_to_checkpoints_per_year =
      t.gpu_hours_lost_to_checkpoints_per_year * b.gpu_price_per_hour;
  t.gpu_cost_lost_to_failures_per_year =
      t.gpu_hours_lost_to_failures_per_year * b.gpu_price_per_hour;
  t.useful_gpu_hours_per_year =
      std::max(0.0, t.gpu_hours_per_year - t.gpu_hours_lost_to_checkpoints_per_year -
                        t.gpu_hours_lost_to_failures_per_year);
  if (t.useful_gpu_hours_per_year > 0)
    t.total_cost_per_useful_gpu_hour = t.total_cost_per_year / t.useful_gpu_hours_per_year;
}

// "1,234,567".
std::string grouped(double whole) {
  std::string digits = fmt::format("{:.0f}", std::fabs(whole));
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[i]);
    if (const std::size_t left = n - 1 - i; left > 0 && left % 3 == 0)
      out.push_back(',');
  }
  return out;
}

std::string kw(double watts) {
  return fmt::format("{:.4g} kW", watts / 1000);
}

std::string hours(double h) {
  return fmt::format("{} GPU-h", grouped(h));
}

}  // namespace

std::string format_usd(double usd) {
  const char* sign = usd < 0 ? "-" : "";
  if (std::fabs(usd) >= 1000)
    return fmt::format("{}${}", sign, grouped(std::round(usd)));
  return fmt::format("{}${:.2f}", sign, std::fabs(usd));
}

nlohmann::json Usage::to_json() const {
  return {{"checkpoint_interval_s", checkpoint_interval_s},
          {"checkpoint_stall_s", checkpoint_stall_s},
          {"checkpoint_gpus", checkpoint_gpus},
          {"gpu_hours_lost_failures_per_year", gpu_hours_lost_failures_per_year},
          {"storage_used_bytes", storage_used_bytes},
          {"notes", notes}};
}

Tco compute_tco(const PriceBook& book, const Inventory& inv, const Usage& usage) {
  Tco t;
  storage_costs(book, inv, t);
  compute_costs(book, inv, t);
  t.total_cost_per_year = t.storage_capex_per_year + t.storage_opex_per_year +
                          t.compute_capex_per_year + t.compute_opex_per_year;
  if (usage.storage_used_bytes > 0) {
    t.storage_cost_per_used_tb_year =
        (t.storage_capex_per_year + t.storage_opex_per_year) / (usage.storage_used_bytes / 1e12);
  }
  gpu_time(book, inv, usage, t);
  return t;
}

nlohmann::json Tco::to_json() const {
  return {
      {"storage_capex_usd", storage_capex},
      {"storage_capex_breakdown_usd",
       {{"servers", storage_capex_servers},
        {"drives", storage_capex_drives},
        {"nics", storage_capex_nics},
        {"network", storage_capex_network}}},
      {"storage_capex_per_year_usd", storage_capex_per_year},
      {"storage_power_w", storage_power_w},
      {"storage_opex_per_year_usd", storage_opex_per_year},
      {"storage_cost_per_used_tb_year_usd", storage_cost_per_used_tb_year},
      {"compute_capex_usd", compute_capex},
      {"compute_capex_per_year_usd", compute_capex_per_year},
      {"compute_power_w", compute_power_w},
      {"compute_opex_per_year_usd", compute_opex_per_year},
      {"total_cost_per_year_usd", total_cost_per_year},
      {"checkpoints_per_year", checkpoints_per_year},
      {"cost_per_checkpoint_usd", cost_per_checkpoint},
      {"gpu_hours_per_year", gpu_hours_per_year},
      {"gpu_hours_lost_to_checkpoints_per_year", gpu_hours_lost_to_checkpoints_per_year},
      {"gpu_hours_lost_to_failures_per_year", gpu_hours_lost_to_failures_per_year},
      {"gpu_cost_lost_to_checkpoints_per_year_usd", gpu_cost_lost_to_checkpoints_per_year},
      {"gpu_cost_lost_to_failures_per_year_usd", gpu_cost_lost_to_failures_per_year},
      {"useful_gpu_hours_per_year", useful_gpu_hours_per_year},
      {"total_cost_per_useful_gpu_hour_usd", total_cost_per_useful_gpu_hour},
  };
}

std::vector<std::string> Tco::summary() const {
  std::vector<std::string> lines;
  lines.push_back(fmt::format(
      "storage capex: {} (servers {}, drives {}, NICs {}, network {}), {}/year amortized",
      format_usd(storage_capex), format_usd(storage_capex_servers),
      format_usd(storage_capex_drives), format_usd(storage_capex_nics),
      format_usd(storage_capex_network), format_usd(storage_capex_per_year)));
  lines.push_back(fmt::format("storage opex: {}/year ({} IT power)",
                              format_usd(storage_opex_per_year), kw(storage_power_w)));
  lines.push_back(fmt::format("compute: {}/year amortized capex, {}/year power ({})",
                              format_usd(compute_capex_per_year), format_usd(compute_opex_per_year),
                              kw(compute_power_w)));
  lines.push_back(checkpoints_per_year > 0
                      ? fmt::format("cost per checkpoint: {} ({:.5g} checkpoints/year)",
                                    format_usd(cost_per_checkpoint), checkpoints_per_year)
                      : std::string("cost per checkpoint: n/a (no checkpoints)"));
  lines.push_back(fmt::format("GPU time lost: checkpoints {}/year ({}), failures {}/year ({})",
                              format_usd(gpu_cost_lost_to_checkpoints_per_year),
                              hours(gpu_hours_lost_to_checkpoints_per_year),
                              format_usd(gpu_cost_lost_to_failures_per_year),
                              hours(gpu_hours_lost_to_failures_per_year)));
  lines.push_back(fmt::format("total cost per useful GPU-hour: {} ({}/year over {} useful)",
                              format_usd(total_cost_per_useful_gpu_hour),
                              format_usd(total_cost_per_year), hours(useful_gpu_hours_per_year)));
  return lines;
}

}  // namespace stormsim::models::cost
