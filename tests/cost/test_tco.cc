// The inventory counted from the shipped topologies, and the TCO formulas of
// models/cost/tco.h against hand-computed values.
#include <catch2/catch.hpp>
#include <string>

#include "models/cost/inventory.h"
#include "models/cost/price_book.h"
#include "models/cost/tco.h"
#include "models/cost/tco_metrics.h"
#include "models/simulation.h"
#include "sim/config/compose.h"
#include "sim/config/node.h"
#include "topologies/loader.h"

namespace cost = stormsim::models::cost;
using cost::Inventory;
using cost::PriceBook;
using cost::Tco;
using cost::Usage;

namespace {

const std::string kSource = STORMSIM_SOURCE_DIR;

// Round numbers, so every figure below can be checked by hand.
PriceBook tiny_book() {
  PriceBook b;
  b.gpu_server = 100000;
  b.storage_server = 10000;
  b.nvme_per_tb = 100;
  b.nic = {0, 1000, 0, 0};
  b.switch_port = {0, 500, 1000, 0};
  b.link = {0, 200, 800, 0};
  b.gpu_server_w = 10000;
  b.storage_server_w = 500;
  b.nvme_w = 20;
  b.nic_w = 20;
  b.switch_port_w = 10;
  b.electricity_per_kwh = 0.1;
  b.pue = 1.5;
  b.gpu_server_years = 4;
  b.storage_years = 5;
  b.network_years = 5;
  b.gpu_price_per_hour = 2;
  b.fabric_port_rate = stormsim::sim::BytesPerSec::from_bits_per_sec(400e9);
  return b;
}

// 2 GPU servers (16 GPUs) and 1 storage server with 10 drives of 10 TB and
// two 200G NICs.
Inventory tiny_inventory() {
  Inventory inv;
  inv.gpu_servers = 2;
  inv.gpus = 16;
  inv.storage_servers = 1;
  inv.storage_drives = 10;
  inv.storage_raw_bytes = 100e12;
  inv.storage_nics[1] = 2;
  inv.storage_switch_ports[1] = 2;
  inv.storage_links[1] = 2;
  inv.compute_switch_ports[2] = 20;
  inv.compute_links[2] = 16;
  return inv;
}

Inventory dev_inventory() {
  return cost::count_inventory(stormsim::topo::load_topology(kSource + "/topologies/dev.yaml"),
                               cost::default_drive_capacity(),
                               cost::default_price_book().fabric_port_rate);
}

}  // namespace

TEST_CASE("TCO of a tiny inventory, by hand", "[cost]") {
  Usage u;
  u.checkpoint_interval_s = 1800;
  u.checkpoint_stall_s = 36;
  u.gpu_hours_lost_failures_per_year = 100;
  u.storage_used_bytes = 50e12;
  const Tco t = cost::compute_tco(tiny_book(), tiny_inventory(), u);

  // Storage: 10,000 server + 100 TB x $100 + 2 NICs x $1,000 + 2 ports x $500
  // + 2 links x $200.
  CHECK(t.storage_capex_servers == Approx(10000));
  CHECK(t.storage_capex_drives == Approx(10000));
  CHECK(t.storage_capex_nics == Approx(2000));
  CHECK(t.storage_capex_network == Approx(1400));
  CHECK(t.storage_capex == Approx(23400));
  CHECK(t.storage_capex_per_year == Approx(22000.0 / 5 + 1400.0 / 5));  // 4,680
  // 500 + 10 x 20 + 2 x 20 + 2 x 10 = 760 W; x 8760 h x 1.5 x $0.1/kWh.
  CHECK(t.storage_power_w == Approx(760));
  CHECK(t.storage_opex_per_year == Approx(0.76 * 8760 * 1.5 * 0.1));  // 998.64
  CHECK(t.storage_cost_per_used_tb_year == Approx((4680 + 998.64) / 50));

  // Compute: 2 x $100,000 over 4 years; 20 ports x $1,000 + 16 links x $800
  // over 5; 20,000 W + 20 x 10 W.
  CHECK(t.compute_capex == Approx(232800));
  CHECK(t.compute_capex_per_year == Approx(50000 + 32800.0 / 5));  // 56,560
  CHECK(t.compute_power_w == Approx(20200));
  CHECK(t.compute_opex_per_year == Approx(20.2 * 8760 * 0.15));  // 26,542.8
  CHECK(t.total_cost_per_year == Approx(4680 + 998.64 + 56560 + 26542.8));

  // 17,520 checkpoints a year, each idling 16 GPUs for 36 s = 0.16 GPU-h.
  CHECK(t.checkpoints_per_year == Approx(17520));
  CHECK(t.gpu_hours_lost_to_checkpoints_per_year == Approx(2803.2));
  CHECK(t.gpu_cost_lost_to_checkpoints_per_year == Approx(5606.4));
  CHECK(t.cost_per_checkpoint == Approx((4680 + 998.64) / 17520 + 0.16 * 2));
  CHECK(t.gpu_hours_lost_to_failures_per_year == Approx(100));
  CHECK(t.gpu_cost_lost_to_failures_per_year == Approx(200));
  CHECK(t.gpu_hours_per_year == Approx(140160));
  CHECK(t.useful_gpu_hours_per_year == Approx(140160 - 2803.2 - 100));
  CHECK(t.total_cost_per_useful_gpu_hour == Approx(88781.44 / 137256.8));

  const nlohmann::json j = t.to_json();
  CHECK(j["storage_capex_usd"].get<double>() == Approx(23400));
  CHECK(j["cost_per_checkpoint_usd"].get<double>() == Approx(t.cost_per_checkpoint));
}

TEST_CASE("a checkpoint that stalls only some GPUs costs only their time", "[cost]") {
  Usage u;
  u.checkpoint_interval_s = 3600;
  u.checkpoint_stall_s = 360;
  u.checkpoint_gpus = 8;
  const Tco t = cost::compute_tco(tiny_book(), tiny_inventory(), u);
  // 8,760 checkpoints x 8 GPUs x 0.1 h.
  CHECK(t.gpu_hours_lost_to_checkpoints_per_year == Approx(8760 * 0.8));
}

TEST_CASE("zero stall loses no GPU time to checkpoints", "[cost]") {
  Usage u;
  u.checkpoint_interval_s = 1800;
  u.checkpoint_stall_s = 0;
  const Tco t = cost::compute_tco(tiny_book(), tiny_inventory(), u);
  CHECK(t.gpu_hours_lost_to_checkpoints_per_year == 0);
  CHECK(t.gpu_cost_lost_to_checkpoints_per_year == 0);
  // Only the storage's cost is left in each checkpoint.
  CHECK(t.cost_per_checkpoint == Approx((4680 + 998.64) / 17520));
  CHECK(t.useful_gpu_hours_per_year == Approx(140160));

  const Tco none = cost::compute_tco(tiny_book(), tiny_inventory(), Usage{});
  CHECK(none.checkpoints_per_year == 0);
  CHECK(none.cost_per_checkpoint == 0);
  CHECK(none.total_cost_per_useful_gpu_hour == Approx(none.total_cost_per_year / 140160));
}

TEST_CASE("doubling the NVMe price adds exactly the drives' share", "[cost]") {
  const Inventory inv = dev_inventory();
  PriceBook twice = cost::default_price_book();
  twice.nvme_per_tb *= 2;
  const Tco a = cost::compute_tco(cost::default_price_book(), inv, Usage{});
  const Tco b = cost::compute_tco(twice, inv, Usage{});
  const double drives = inv.storage_raw_bytes / 1e12 * cost::default_price_book().nvme_per_tb;
  CHECK(b.storage_capex - a.storage_capex == Approx(drives));
  CHECK(b.storage_capex_drives == Approx(2 * a.storage_capex_drives));
  CHECK(b.storage_capex_per_year - a.storage_capex_per_year == Approx(drives / 5));
  CHECK(b.compute_capex == a.compute_capex);
  CHECK(b.storage_opex_per_year == a.storage_opex_per_year);
}

TEST_CASE("the dev cluster's inventory matches the hand count", "[cost]") {
  // topologies/README.md: 4 DGX H100-like servers (8 GPUs, 8 x 400G NICs,
  // 8 drives each) on 2 leaves, 2 storage servers (16 drives, 2 x 200G NICs)
  // on a storage leaf, 2 spines, oversubscription 1.
  const Inventory inv = dev_inventory();
  CHECK(inv.gpu_servers == 4);
  CHECK(inv.gpus == 32);
  CHECK(inv.gpu_nics == 32);
  CHECK(inv.gpu_server_drives == 32);
  CHECK(inv.storage_servers == 2);
  CHECK(inv.storage_drives == 32);
  CHECK(inv.storage_raw_bytes == Approx(32 * 15.36e12));  // PM1743 15.36 TB
  CHECK(inv.storage_nics == cost::SpeedCounts{0, 4, 0, 0});
  CHECK(inv.switches == 5);
  CHECK(inv.storage_switches == 1);  // the storage leaf
  // Storage: 4 access ports and links at 200G; the storage leaf's 2 uplinks
  // of 400 Gb/s (100 GB/s of NICs over 2 spines) are one 400G link each,
  // with a port at both ends.
  CHECK(inv.storage_switch_ports == cost::SpeedCounts{0, 4, 4, 0});
  CHECK(inv.storage_links == cost::SpeedCounts{0, 4, 2, 0});
  // Compute: 32 access ports at 400G; each GPU leaf's 2 uplinks carry
  // 800 GB/s / 2 = 3.2 Tb/s = 8 links of 400G: 4 x 8 = 32 links, 64 ports.
  CHECK(inv.compute_switch_ports == cost::SpeedCounts{0, 0, 32 + 64, 0});
  CHECK(inv.compute_links == cost::SpeedCounts{0, 0, 32 + 32, 0});
  CHECK(inv.switch_ports() == 104);
  CHECK(inv.links() == 70);

  // At the shipped prices: 2 x $20,000 + 491.52 TB x $100 + 4 x $1,200 +
  // 4 x $350 + 4 x $562.5 + 4 x $600 + 2 x $1,200.
  const Tco t = cost::compute_tco(cost::default_price_book(), inv, Usage{});
  CHECK(t.storage_capex == Approx(40000 + 49152 + 4800 + 8450));
}

TEST_CASE("storage-only switches of a rail-optimized SuperPOD", "[cost]") {
  const Inventory inv = cost::count_inventory(
      stormsim::topo::load_topology(kSource + "/topologies/h100-superpod-1024.yaml"),
      cost::default_drive_capacity(), cost::default_price_book().fabric_port_rate);
  CHECK(inv.gpu_servers == 128);
  CHECK(inv.gpus == 1024);
  CHECK(inv.storage_servers == 32);
  CHECK(inv.storage_switches == 2);  // 32 storage servers, 16 per leaf
  CHECK(cost::total(inv.storage_nics) == 64);
  // Every NIC port has a switch port; each fabric link 2.
  CHECK(inv.switch_ports() == 1088 + 2 * (inv.links() - 1088));
}

TEST_CASE("usage is read from the run's metrics by well-known keys", "[cost]") {
  SECTION("checkpoint and failure metrics") {
    const nlohmann::json m = {
        {"a-ckpt", {{"checkpoint", {{"stall_s", 12.5}, {"interval_s", 1800}, {"gpus", 64}}}}},
        {"b-ckpt", {{"checkpoint", {{"stall_s", 99}, {"interval_s", 60}}}}},
        {"failures", {{"campaign", {{"gpu_hours_lost_per_year", 1234.5}}}}},
        {"other", {{"bytes", 5}}}};
    const Usage u = cost::usage_from_metrics(m);
    CHECK(u.checkpoint_stall_s == 12.5);
    CHECK(u.checkpoint_interval_s == 1800);
    CHECK(u.checkpoint_gpus == 64);
    CHECK(u.gpu_hours_lost_failures_per_year == 1234.5);
    CHECK(u.notes.size() == 3);  // from a-ckpt, b-ckpt not used, from failures
  }
  SECTION("nothing reported: zero usage, and the notes say so") {
    const Usage u = cost::usage_from_metrics({{"fs", {{"bytes", 1}}}});
    CHECK(u.checkpoint_interval_s == 0);
    CHECK(u.checkpoint_stall_s == 0);
    CHECK(u.gpu_hours_lost_failures_per_year == 0);
    REQUIRE(u.notes.size() == 2);
    CHECK_THAT(u.notes[0], Catch::Contains("zero checkpoint stall"));
    CHECK_THAT(u.notes[1], Catch::Contains("zero GPU time lost to failures"));
  }
  SECTION("a negative or non-numeric value is ignored with a note") {
    const Usage u = cost::usage_from_metrics(
        {{"c", {{"checkpoint", {{"stall_s", "slow"}, {"interval_s", 10}}}}}});
    CHECK(u.checkpoint_interval_s == 0);
    CHECK_THAT(u.notes[0], Catch::Contains("c.checkpoint.stall_s"));
  }
}

TEST_CASE("tco_metrics counts a scenario's cluster", "[cost]") {
  const stormsim::models::Simulation sim(
      stormsim::sim::config::load_scenario(kSource + "/experiments/storage/lustre.yaml"));
  const nlohmann::json j = cost::tco_metrics(sim, cost::default_price_book());
  CHECK(j["price_book"] == "<default price book>");
  CHECK(j["inventory"]["storage"]["servers"] == 2);
  CHECK(j["inventory"]["storage"]["drives"] == 32);
  CHECK(j["tco"]["storage_capex_usd"].get<double>() == Approx(102402));
  CHECK(j["tco"]["gpu_cost_lost_to_checkpoints_per_year_usd"].get<double>() == 0);

  const stormsim::models::Simulation bare(
      stormsim::sim::config::load_string("name: bare\ncomponents: []\n", "<test>"));
  CHECK(cost::tco_metrics(bare, cost::default_price_book()).contains("note"));
}
