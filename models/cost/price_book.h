// PriceBook: what the parts of a cluster cost to buy and to run, read from a
// YAML price book (models/cost/price_book.yaml is the shipped default,
// compiled in; a user's file is merged over it key by key).
#pragma once

#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sim/config/node.h"
#include "sim/quantity.h"

namespace stormsim::models::cost {

inline constexpr double kSecondsPerHour = 3600;

// Port speed classes that NICs, switch ports and links are priced by.
inline constexpr std::size_t kSpeedClasses = 4;
inline constexpr std::array<double, kSpeedClasses> kSpeedClassGbps = {100, 200, 400, 800};
// "100g", "200g", "400g", "800g": the suffix of the price book keys.
std::string_view speed_class_name(std::size_t c);
// The smallest class at least as fast as `rate` (within 1e-9), or the last
// class when `rate` is faster than all of them.
std::size_t speed_class(sim::BytesPerSec rate);

// One price per speed class, in dollars.
using PerSpeed = std::array<double, kSpeedClasses>;

// The entries of a price book in plain units: dollars, watts, years.
struct PriceBook {
  std::string source;  // the file it was read from, or "<default price book>"

  // Capex, dollars.
  double gpu_server = 0;      // a whole GPU server, its NICs and local drives included
  double storage_server = 0;  // a storage chassis without data drives or fabric NICs
  double nvme_per_tb = 0;     // per 10^12 bytes of raw drive capacity
  PerSpeed nic{};             // a storage server's fabric NIC port
  PerSpeed switch_port{};     // one switch port
  PerSpeed link{};            // a cable with its two transceivers

  // Power, watts.
  double gpu_server_w = 0;
  double storage_server_w = 0;  // without drives and NICs
  double nvme_w = 0;            // per drive
  double nic_w = 0;             // per storage NIC port
  double switch_port_w = 0;     // per switch port

  double electricity_per_kwh = 0;  // dollars per kWh
  double pue = 1;                  // facility power / IT power

  // Straight-line amortization, years.
  double gpu_server_years = 0;
  double storage_years = 0;
  double network_years = 0;

  double gpu_price_per_hour = 0;         // dollars per GPU-hour, for lost GPU time
  sim::BytesPerSec fabric_port_rate{0};  // switch-to-switch port speed

  // Every entry, in the units above (dollars, W, years, $/GPU-hour, Gb/s).
  nlohmann::json to_json() const;
};

// The shipped price book's text (models/cost/price_book.yaml).
std::string_view default_price_book_text();
// The shipped price book, parsed.
const PriceBook& default_price_book();
// Reads a price book file and merges it over the default: keys it omits keep
// their default. Unknown keys, values of the wrong dimension or out of range
// are ConfigErrors naming the file, line and key (`capex.nvme_per_tb`).
PriceBook load_price_book(const std::string& path);
// As load_price_book, for a parsed tree (merged over the default).
PriceBook parse_price_book(const sim::config::Node& root, std::string source);

}  // namespace stormsim::models::cost
