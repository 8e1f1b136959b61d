// Arithmetic expressions for a sweep's derived values: numbers, the names of
// other parameters, + - * / % ^ (power, right-associative), unary minus,
// parentheses, comparisons (< <= > >= == !=, giving 1 or 0), `c ? a : b`, and
// the functions abs ceil floor round sqrt exp log log2 log10 min max pow
// clamp. Parsed once, evaluated per point.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stormsim::sweep {

// What went wrong in an expression, with the 0-based offset in its text.
class ExprError : public std::runtime_error {
 public:
  ExprError(std::size_t offset, const std::string& what)
      : std::runtime_error(what), offset_(offset) {}
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

class Expr {
 public:
  // Parses `text`; throws ExprError on a syntax error or an unknown function.
  static Expr parse(std::string_view text);

  // The parameter names the expression reads, in order of first use.
  const std::vector<std::string>& names() const { return names_; }

  // Evaluates with `lookup` giving each name's value (nullopt: unknown, an
  // ExprError). Division by zero and the like give inf or NaN, which the
  // caller rejects.
  using Lookup = std::function<std::optional<double>(const std::string&)>;
  double eval(const Lookup& lookup) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
  std::vector<std::string> names_;
};

}  // namespace stormsim::sweep
