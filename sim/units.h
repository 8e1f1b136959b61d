// Parsing and formatting of quantities written with units ("3.84TB",
// "400Gbps", "1.2us", "$2.49/h", "50%"): the one place that knows unit
// spellings, so every config value and CLI flag reads numbers the same way.
//
// Grammar: [+|-] [$] number [" "] unit, where number is decimal digits with an
// optional fraction and exponent ("400", "0.5", ".5", "1.5e3"), at most one
// space separates it from the unit, and money puts "$" before the number
// ("$1200", "-$5", "$2.49/h"). Units are case-sensitive (Gb is bits, GB is
// bytes); a near miss is named in the error ("did you mean"). Every unit is
// required, even for fractions: a bare "50" could mean 50% or 5000%.
//
// Unit table (canonical unit in brackets):
//   size [bytes]       B; KB kB MB GB TB PB (10^3n); KiB MiB GiB TiB PiB (2^10n)
//   data rate [B/s]    bps Kbps kbps Mbps Gbps Tbps, b/s Kb/s kb/s Mb/s Gb/s Tb/s
//                      (bits); B/s KB/s kB/s MB/s GB/s TB/s PB/s, KiB/s MiB/s
//                      GiB/s TiB/s PiB/s (bytes)
//   operation rate     IOPS KIOPS kIOPS MIOPS "K IOPS" "k IOPS" "M IOPS" ops/s
//   time [s]           ns us µs μs ms s min h d
//   money [$]          $ (before the number)
//   money rate [$/s]   $/s $/h $/d $/month $/yr; a month is 730 h (365 d / 12,
//                      the convention of cloud price sheets), a year 365 d
//   power [W]          W kW MW
//   fraction [1]       % (50% -> 0.5)
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "sim/quantity.h"
#include "sim/time.h"

namespace stormsim::sim::units {

// What a quantity measures; decides which units are accepted.
enum class Dimension { kSize, kDataRate, kOpRate, kTime, kMoney, kMoneyRate, kPower, kFraction };

// "size", "data rate", "operation rate", "time", "money", "money rate",
// "power", "fraction".
std::string_view name(Dimension d);
// A well-formed value of the dimension for error messages: "3.84TB",
// "400Gbps", "1.5M IOPS", "1.2us", "$1200", "$2.49/h", "700W", "50%".
std::string_view example(Dimension d);
// Every unit spelling of the dimension, comma-separated, for error messages.
std::string valid_units(Dimension d);

// A parsed value in the dimension's canonical unit: bytes, bytes/s,
// operations/s, seconds, dollars, dollars/s, watts, or a plain fraction.
struct Quantity {
  double value;
  Dimension dim;

  bool operator==(const Quantity&) const = default;
};

// A quantity the user wrote wrongly. The message always quotes the text as
// `invalid quantity "<text>": ...` and says what would be valid.
class UnitError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

// Parses any quantity, inferring the dimension from the unit. Negative values
// parse; range checks are the caller's job. Throws UnitError.
Quantity parse(std::string_view text);
// Parses a quantity that must be of dimension `expected`; a unit of another
// dimension is an error naming both.
Quantity parse(std::string_view text, Dimension expected);

// Parses a time exactly from its decimal digits ("0.1s" is 100000000 ns, not
// 0.1 * 1e9 in binary floating point), rounding half away from zero to the
// nearest ns. Throws UnitError when the result is beyond int64 ns (~292 years).
// Digits past the 24th significant one are ignored.
Time parse_time(std::string_view text);
Bytes parse_size(std::string_view text);
BytesPerSec parse_data_rate(std::string_view text);

// Formats a canonical value so that parse() reads it back: with the largest
// unit that shows it exactly in 6 significant digits ("1.5min", "1MiB"), else
// the largest unit not above it, rounded to 6 significant digits. Sizes and
// data rates prefer decimal units, and rates are in bytes ("50GB/s", not
// "400Gbps", matching to_string(BytesPerSec)); money rates are per hour.
std::string format(double canonical_value, Dimension d);

}  // namespace stormsim::sim::units
