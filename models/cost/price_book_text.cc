// The shipped price book, compiled in so that `stormsim tco` works from
// anywhere. It must equal models/cost/price_book.yaml byte for byte (a test
// checks); edit the YAML, then paste it here.
#include "models/cost/price_book.h"

namespace stormsim::models::cost {

namespace {

constexpr char kText[] = R"yaml(
# stormsim price book: what the parts of a cluster cost to buy and to run.
#
# `stormsim tco SCENARIO --price-book my_prices.yaml` reads a file like this
# one. Copy it and change what you know better: a file may also hold only
# the keys it changes, the rest come from these defaults (this file is
# compiled into stormsim). Unknown keys and bad values are errors naming the
# file, line and key. Money is written with a leading `$`, power in W or kW,
# rates with units; models/cost/tco.h says how each entry is used.
#
# Every value cites a public source, or says `# assumption:` and why where no
# public price exists. Prices are US dollars, list or street prices of
# 2023-2024; your negotiated prices will differ, often by a lot.

# One-time purchase prices.
capex:
  # A GPU server with everything inside it: 8 GPUs, CPUs, memory, its NICs
  # and local NVMe. SemiAnalysis, "AI Server Cost Analysis" (May 2023), as
  # quoted in Epoch AI's training-cost-trends notebook: DGX H100 sale price
  # about $270,000. (Thinkmate quoted an 8x H100 HGX server with 8x 400G
  # NICs at about $317,000 in August 2024.)
  gpu_server: $270000
  # assumption: a 1-socket 2U NVMe storage chassis with CPU, 256-512 GB DRAM,
  # boot drives and power supplies, without data drives or fabric NICs;
  # configured servers have no public list price, and vendor configurators
  # put such a chassis in the $15,000-25,000 range.
  storage_server: $20000
  # assumption: enterprise TLC NVMe (e.g. Samsung PM1743 15.36 TB) sells at
  # roughly $80-150 per TB on the street; there is no public list price.
  nvme_per_tb: $100
  # Fabric NICs of storage servers, per port speed class (a port is priced at
  # the smallest class at least as fast). GPU servers' NICs are part of
  # gpu_server above.
  # assumption: street prices of ConnectX-6/7 class adapters; NVIDIA publishes
  # no list prices.
  nic_100g: $800
  nic_200g: $1200
  nic_400g: $2000
  nic_800g: $3000
  # One switch port. An FS.com NVIDIA Quantum-2 QM9700 (64 ports of 400 Gb/s
  # NDR) listed at about $36,000 in August 2024 (archived fs.com product
  # page 206473): $36,000 / 64 = $562.50 per 400G port.
  switch_port_400g: $562.5
  # assumption: the other classes scaled from the 400G port, cheaper per bit
  # at lower speeds' older switch generations.
  switch_port_100g: $200
  switch_port_200g: $350
  switch_port_800g: $1100
  # One link: the cable or fiber with its two transceivers.
  # assumption: third-party 400G OSFP transceivers sell for about $500 each;
  # two of them plus a fiber. Lower classes are often copper DACs.
  link_100g: $300
  link_200g: $600
  link_400g: $1200
  link_800g: $2000

# Electrical power drawn by each part, at the wall before PUE.
power:
  # NVIDIA DGX H100 datasheet: 10.2 kW max system power (includes its NICs
  # and local NVMe).
  gpu_server: 10.2kW
  # assumption: one CPU socket, DRAM and fans of a storage node under load,
  # without its data drives and fabric NICs (counted below).
  storage_server: 400W
  # Samsung Newsroom, 2021-12-21 (PM1743): up to 608 MB/s per watt at
  # 13,000 MB/s sequential read, i.e. about 21 W active.
  nvme: 21W
  # assumption: a 400G-class adapter with its optics, about 25 W (ConnectX-7
  # class cards draw tens of watts; NVIDIA's 400G OSFP optics about 8.5 W).
  nic: 25W
  # assumption: a switch port with its share of the switch ASIC and fans,
  # about 16 W, plus half a twin-port OSFP transceiver (NVIDIA MMS4X00-NS
  # documentation: 17 W per twin-port, 2 x 400G, transceiver), 8.5 W.
  switch_port: 25W

electricity:
  # EIA Electric Power Annual 2023: average US retail price to industrial
  # customers, 8.06 cents per kWh. Written as money per kWh.
  price_per_kwh: $0.0806
  # Uptime Institute Global Data Center Survey 2023: average annual PUE 1.58.
  pue: 1.58

# Years over which a purchase is spread (straight line).
amortization:
  # Amazon 10-K for 2024: useful life of a subset of its servers shortened
  # from six to five years from January 2025, citing the pace of AI change.
  gpu_server_years: 5
  # assumption: enterprise NVMe and storage nodes carry 5-year warranties
  # (Samsung PM1743: 5 years) and are usually retired with them.
  storage_years: 5
  # assumption: a switch generation stays in service about as long as the
  # servers it connects.
  network_years: 5

# What one GPU-hour is worth, to cost GPU time lost to checkpoint stalls and
# failures. AWS p5.48xlarge (8x H100) on demand, US East, at launch in July
# 2023: $98.32 per hour (The Next Platform, 2023-07-27), $12.29 per GPU-hour.
# AWS cut P5 on-demand prices by up to 45% in June 2025, and EC2 Capacity
# Blocks sold H100 time at about $4.92 per GPU-hour in late 2024: set your own.
gpu_price_per_hour: $12.29/h

# The port speed of switch-to-switch links: a fabric link of capacity C
# (generators merge parallel links into one) takes ceil(C / this) ports at
# each end and as many cables. Quantum-2 NDR, 400 Gb/s ports, as in the
# NVIDIA DGX SuperPOD (H100) reference architecture.
fabric_port_speed: 400Gbps
)yaml";

}  // namespace

std::string_view default_price_book_text() {
  // Without the newline after the opening delimiter and the final NUL.
  return {kText + 1, sizeof(kText) - 2};
}

}  // namespace stormsim::models::cost
