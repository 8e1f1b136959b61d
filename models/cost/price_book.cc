#include "models/cost/price_book.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <string_view>

#include "sim/config/compose.h"
#include "sim/config/params.h"
#include "sim/units.h"

namespace stormsim::models::cost {

using sim::config::ConfigError;
using sim::config::ModelSpec;
using sim::config::Node;
using sim::config::Params;
using sim::config::ParamSpec;
using sim::units::Dimension;

namespace {

constexpr std::array<std::string_view, kSpeedClasses> kClassNames = {"100g", "200g", "400g",
                                                                     "800g"};
constexpr std::array<std::string_view, 4> kSections = {"capex", "power", "electricity",
                                                       "amortization"};

// Section specs: no defaults, because the shipped price book underneath
// every file supplies them, and a key missing there is a bug the tests catch.
ParamSpec money(std::string name, std::string help) {
  return ParamSpec::quantity(std::move(name), Dimension::kMoney).min(0).help(std::move(help));
}

ParamSpec watts(std::string name, std::string help) {
  return ParamSpec::quantity(std::move(name), Dimension::kPower).min(0).help(std::move(help));
}

ParamSpec years(std::string name, std::string help) {
  return ParamSpec::real(std::move(name)).positive().help(std::move(help));
}

const ModelSpec& capex_spec() {
  static const ModelSpec spec = [] {
    ModelSpec s{"price book capex",
                "one-time purchase prices",
                {
                    money("gpu_server", "a GPU server with its GPUs, NICs and local drives"),
                    money("storage_server", "a storage server without data drives or NICs"),
                    money("nvme_per_tb", "raw NVMe capacity, per TB (10^12 bytes)"),
                }};
    for (std::string_view c : kClassNames) {
      s.params.push_back(money(fmt::format("nic_{}", c), "a storage server's fabric NIC port"));
      s.params.push_back(money(fmt::format("switch_port_{}", c), "one switch port"));
      s.params.push_back(money(fmt::format("link_{}", c), "a cable with its two transceivers"));
    }
    return s;
  }();
  return spec;
}

const ModelSpec& power_spec() {
  static const ModelSpec spec{
      "price book power",
      "electrical power per part",
      {
          watts("gpu_server", "a GPU server, its NICs and local drives included"),
          watts("storage_server", "a storage server without drives and NICs"),
          watts("nvme", "one NVMe drive"),
          watts("nic", "one storage NIC port"),
          watts("switch_port", "one switch port with its transceiver"),
      }};
  return spec;
}

const ModelSpec& electricity_spec() {
  static const ModelSpec spec{
      "price book electricity",
      "energy price and facility overhead",
      {
          money("price_per_kwh", "price of one kWh, written as money ($0.08)"),
          ParamSpec::real("pue").min(1).max(10).help(
              "power usage effectiveness: facility power / IT power"),
      }};
  return spec;
}

const ModelSpec& amortization_spec() {
  static const ModelSpec spec{
      "price book amortization",
      "straight-line amortization periods",
      {
          years("gpu_server_years", "years a GPU server's price is spread over"),
          years("storage_years", "years storage servers, drives and NICs are spread over"),
          years("network_years", "years switch ports and links are spread over"),
      }};
  return spec;
}

const ModelSpec& root_spec() {
  static const ModelSpec spec{
      "price book",
      "a price book: capex, power, electricity, amortization, GPU time",
      {
          ParamSpec::quantity("gpu_price_per_hour", Dimension::kMoneyRate)
              .min(0)
              .help("value of one GPU-hour, for GPU time lost to stalls and failures"),
          ParamSpec::quantity("fabric_port_speed", Dimension::kDataRate)
              .positive()
              .help("port speed of switch-to-switch links"),
      }};
  return spec;
}

Params section(const Node& root, std::string_view name, const ModelSpec& spec) {
  const Node* n = root.find(name);
  if (n == nullptr) {
    throw ConfigError(root.location(), std::string(name),
                      fmt::format("the price book has no `{}` section", name));
  }
  return sim::config::validate(*n, spec, {}, name);
}

PerSpeed per_speed(const Params& p, std::string_view prefix) {
  PerSpeed out{};
  for (std::size_t c = 0; c < kSpeedClasses; ++c)
    out[c] = p.quantity(fmt::format("{}_{}", prefix, kClassNames[c]));
  return out;
}

nlohmann::json per_speed_json(const PerSpeed& v) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t c = 0; c < kSpeedClasses; ++c)
    out[std::string(kClassNames[c])] = v[c];
  return out;
}

PriceBook build(const Node& root, std::string source) {
  const Params top = sim::config::validate(root, root_spec(), kSections);
  const Params capex = section(root, "capex", capex_spec());
  const Params power = section(root, "power", power_spec());
  const Params elec = section(root, "electricity", electricity_spec());
  const Params amort = section(root, "amortization", amortization_spec());

  PriceBook b;
  b.source = std::move(source);
  b.gpu_server = capex.quantity("gpu_server");
  b.storage_server = capex.quantity("storage_server");
  b.nvme_per_tb = capex.quantity("nvme_per_tb");
  b.nic = per_speed(capex, "nic");
  b.switch_port = per_speed(capex, "switch_port");
  b.link = per_speed(capex, "link");
  b.gpu_server_w = power.quantity("gpu_server");
  b.storage_server_w = power.quantity("storage_server");
  b.nvme_w = power.quantity("nvme");
  b.nic_w = power.quantity("nic");
  b.switch_port_w = power.quantity("switch_port");
  b.electricity_per_kwh = elec.quantity("price_per_kwh");
  b.pue = elec.real("pue");
  b.gpu_server_years = amort.real("gpu_server_years");
  b.storage_years = amort.real("storage_years");
  b.network_years = amort.real("network_years");
  b.gpu_price_per_hour = top.quantity("gpu_price_per_hour") * kSecondsPerHour;
  b.fabric_port_rate = top.data_rate("fabric_port_speed");
  return b;
}

const Node& default_tree() {
  static const Node tree =
      sim::config::load_string(default_price_book_text(), "<default price book>");
  return tree;
}

}  // namespace

std::string_view speed_class_name(std::size_t c) {
  return kClassNames.at(c);
}

std::size_t speed_class(sim::BytesPerSec rate) {
  const double gbps = rate.bits_per_sec() / 1e9;
  for (std::size_t c = 0; c < kSpeedClasses; ++c) {
    if (gbps <= kSpeedClassGbps[c] * (1 + 1e-9))
      return c;
  }
  return kSpeedClasses - 1;
}

nlohmann::json PriceBook::to_json() const {
  return {
      {"source", source},
      {"capex_usd",
       {{"gpu_server", gpu_server},
        {"storage_server", storage_server},
        {"nvme_per_tb", nvme_per_tb},
        {"nic", per_speed_json(nic)},
        {"switch_port", per_speed_json(switch_port)},
        {"link", per_speed_json(link)}}},
      {"power_w",
       {{"gpu_server", gpu_server_w},
        {"storage_server", storage_server_w},
        {"nvme", nvme_w},
        {"nic", nic_w},
        {"switch_port", switch_port_w}}},
      {"electricity", {{"usd_per_kwh", electricity_per_kwh}, {"pue", pue}}},
      {"amortization_years",
       {{"gpu_server", gpu_server_years}, {"storage", storage_years}, {"network", network_years}}},
      {"gpu_price_per_hour_usd", gpu_price_per_hour},
      {"fabric_port_gbps", fabric_port_rate.bits_per_sec() / 1e9},
  };
}

const PriceBook& default_price_book() {
  static const PriceBook book = build(default_tree(), "<default price book>");
  return book;
}

PriceBook parse_price_book(const Node& root, std::string source) {
  if (!root.is_map()) {
    throw ConfigError(root.location(), "",
                      fmt::format("a price book is a map with sections {}; got a {}",
                                  fmt::join(kSections, ", "), sim::config::kind_name(root.kind())));
  }
  Node merged = default_tree();
  sim::config::deep_merge(merged, root);
  return build(merged, std::move(source));
}

PriceBook load_price_book(const std::string& path) {
  return parse_price_book(sim::config::load_file(path), path);
}

}  // namespace stormsim::models::cost
