// `stormsim tco SCENARIO [--price-book FILE] [-o result.json]`: what a
// scenario's cluster costs per year, per checkpoint and per useful GPU-hour.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace stormsim::app {

struct TcoOptions {
  std::string path;
  std::string price_book;  // empty: the shipped default
  std::string out;         // empty: print only
  std::vector<std::string> sets;
};

// Declares the `tco` subcommand on `app`, filling `o`.
CLI::App* add_tco_command(CLI::App& app, TcoOptions& o);

// Runs the scenario (its checkpoint and failure metrics, where it has such
// components, are the usage), counts its cluster and prints storage capex and
// opex per year, cost per checkpoint, the cost of GPU time lost to
// checkpointing and failures and the total cost per useful GPU-hour. A
// topology file (topologies/*.yaml) is counted without running anything, at
// zero usage. Bad input is a ConfigError (file:line and key).
int command_tco(const TcoOptions& o, std::ostream& out);

}  // namespace stormsim::app
