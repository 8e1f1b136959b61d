// Total cost of ownership of a cluster and what checkpointing and failures
// cost it, from a price book (price_book.h), an inventory (inventory.h) and
// how the cluster is used.
//
// Formulas, with B the price book, I the inventory, U the usage, a year of
// Y = 8760 h (365 d, as sim/units.h) and per-class sums written sum_c:
//
//   storage_capex          = I.storage_servers * B.storage_server
//                          + I.storage_raw_bytes / 1e12 * B.nvme_per_tb
//                          + sum_c I.storage_nics[c] * B.nic[c]
//                          + sum_c I.storage_switch_ports[c] * B.switch_port[c]
//                          + sum_c I.storage_links[c] * B.link[c]
//   storage_capex_per_year = (servers + drives + NICs) / B.storage_years
//                          + (switch ports + links) / B.network_years
//   storage_power_w        = I.storage_servers * B.storage_server_w
//                          + I.storage_drives * B.nvme_w
//                          + total(I.storage_nics) * B.nic_w
//                          + total(I.storage_switch_ports) * B.switch_port_w
//   opex_per_year(P)       = P / 1000 * Y * B.pue * B.electricity_per_kwh
//   storage_opex_per_year  = opex_per_year(storage_power_w)
//   compute_capex          = I.gpu_servers * B.gpu_server
//                          + sum_c (I.compute_switch_ports[c] * B.switch_port[c]
//                                   + I.compute_links[c] * B.link[c])
//   compute_capex_per_year = GPU servers / B.gpu_server_years
//                          + (switch ports + links) / B.network_years
//   compute_power_w        = I.gpu_servers * B.gpu_server_w
//                          + total(I.compute_switch_ports) * B.switch_port_w
//   compute_opex_per_year  = opex_per_year(compute_power_w)
//   total_cost_per_year    = storage and compute capex per year and opex per year
//
//   G                      = U.checkpoint_gpus, or I.gpus when 0
//   checkpoints_per_year   = Y * 3600 / U.checkpoint_interval_s (0 without checkpoints)
//   gpu_hours_lost_to_checkpoints_per_year
//                          = checkpoints_per_year * U.checkpoint_stall_s * G / 3600
//   gpu_cost_lost_to_checkpoints_per_year = that * B.gpu_price_per_hour
//   gpu_cost_lost_to_failures_per_year
//                          = U.gpu_hours_lost_failures_per_year * B.gpu_price_per_hour
//   cost_per_checkpoint    = (storage_capex_per_year + storage_opex_per_year)
//                              / checkpoints_per_year
//                          + U.checkpoint_stall_s * G / 3600 * B.gpu_price_per_hour
//                            (all of the storage's cost is charged to checkpoints)
//   gpu_hours_per_year     = I.gpus * Y
//   useful_gpu_hours_per_year = max(0, gpu_hours_per_year - lost to checkpoints
//                                       - lost to failures)
//   total_cost_per_useful_gpu_hour = total_cost_per_year / useful_gpu_hours_per_year
//
// Lost GPU time is valued at B.gpu_price_per_hour for the "cost of lost time"
// figures, but is not added to total_cost_per_year: the lost hours already
// shrink the denominator, and counting them twice would overstate the cost.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/cost/inventory.h"
#include "models/cost/price_book.h"

namespace stormsim::models::cost {

inline constexpr double kHoursPerYear = 8760;

// How the cluster is used: from a run's metrics (tco_metrics.h) or given.
struct Usage {
  double checkpoint_interval_s = 0;             // start to start; 0: no checkpoints
  double checkpoint_stall_s = 0;                // training stall per checkpoint (mean)
  std::int64_t checkpoint_gpus = 0;             // GPUs the stall idles; 0: every GPU
  double gpu_hours_lost_failures_per_year = 0;  // lost work and restarts
  double storage_used_bytes = 0;                // 0: unknown
  std::vector<std::string> notes;               // where the numbers came from

  nlohmann::json to_json() const;
};

struct Tco {
  // Storage, with the capex broken down.
  double storage_capex = 0;
  double storage_capex_servers = 0;
  double storage_capex_drives = 0;
  double storage_capex_nics = 0;
  double storage_capex_network = 0;  // switch ports and links
  double storage_capex_per_year = 0;
  double storage_power_w = 0;
  double storage_opex_per_year = 0;
  double storage_cost_per_used_tb_year = 0;  // 0 when storage_used_bytes is unknown

  // Compute.
  double compute_capex = 0;
  double compute_capex_per_year = 0;
  double compute_power_w = 0;
  double compute_opex_per_year = 0;

  double total_cost_per_year = 0;

  // Checkpointing and failures.
  double checkpoints_per_year = 0;
  double cost_per_checkpoint = 0;
  double gpu_hours_per_year = 0;
  double gpu_hours_lost_to_checkpoints_per_year = 0;
  double gpu_hours_lost_to_failures_per_year = 0;
  double gpu_cost_lost_to_checkpoints_per_year = 0;
  double gpu_cost_lost_to_failures_per_year = 0;
  double useful_gpu_hours_per_year = 0;
  double total_cost_per_useful_gpu_hour = 0;  // 0 when there are no useful hours

  // Every figure above (dollars, W, hours), keys as the fields.
  nlohmann::json to_json() const;
  // "storage capex: $102,404 ..." lines for the CLI and the run summary.
  std::vector<std::string> summary() const;
};

Tco compute_tco(const PriceBook& book, const Inventory& inv, const Usage& usage);

// "$1,234,567" (whole dollars from $1,000), "$12.29" below it.
std::string format_usd(double usd);

}  // namespace stormsim::models::cost
