#include "experiments/sweep/expr.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace stormsim::sweep {

struct Expr::Node {
  enum class Op { kNumber, kName, kNeg, kBinary, kCall, kTernary };
  Op op = Op::kNumber;
  double number = 0;
  std::string name;  // a parameter, a function or a binary operator
  std::size_t offset = 0;
  std::vector<std::shared_ptr<const Node>> args;
};

namespace {

using NodePtr = std::shared_ptr<const Expr::Node>;

struct Function {
  std::string_view name;
  int arity;
};
constexpr std::array<Function, 14> kFunctions{{{"abs", 1},
                                               {"ceil", 1},
                                               {"floor", 1},
                                               {"round", 1},
                                               {"sqrt", 1},
                                               {"exp", 1},
                                               {"log", 1},
                                               {"log2", 1},
                                               {"log10", 1},
                                               {"min", 2},
                                               {"max", 2},
                                               {"pow", 2},
                                               {"clamp", 3},
                                               {"int", 1}}};

// Recursive descent, lowest precedence first:
//   ternary    := comparison ('?' ternary ':' ternary)?
//   comparison := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?
//   sum        := product (('+' | '-') product)*
//   product    := unary (('*' | '/' | '%') unary)*
//   unary      := '-' unary | '+' unary | power
//   power      := primary ('^' unary)?
//   primary    := number | name | name '(' args ')' | '(' ternary ')'
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  NodePtr parse_all(std::vector<std::string>& names) {
    names_ = &names;
    NodePtr root = ternary();
    skip_space();
    if (pos_ < text_.size())
      fail(fmt::format("unexpected `{}`", text_.substr(pos_, 1)));
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw ExprError(pos_, what); }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }
  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) == token) {
      pos_ += token.size();
      return true;
    }
    return false;
  }
  void expect(std::string_view token) {
    if (!accept(token)) {
      skip_space();
      fail(pos_ < text_.size()
               ? fmt::format("expected `{}` but found `{}`", token, text_.substr(pos_, 1))
               : fmt::format("expected `{}` but the expression ended", token));
    }
  }

  static NodePtr binary(std::string op, NodePtr a, NodePtr b, std::size_t offset) {
    auto n = std::make_shared<Expr::Node>();
    n->op = Expr::Node::Op::kBinary;
    n->name = std::move(op);
    n->offset = offset;
    n->args = {std::move(a), std::move(b)};
    return n;
  }

  NodePtr ternary() {
    NodePtr cond = comparison();
    const std::size_t at = pos_;
    if (!accept("?"))
      return cond;
    NodePtr a = ternary();
    expect(":");
    NodePtr b = ternary();
    auto n = std::make_shared<Expr::Node>();
    n->op = Expr::Node::Op::kTernary;
    n->offset = at;
    n->args = {std::move(cond), std::move(a), std::move(b)};
    return n;
  }

  NodePtr comparison() {
    NodePtr a = sum();
    skip_space();
    const std::size_t at = pos_;
    for (std::string_view op : {"<=", ">=", "==", "!=", "<", ">"}) {
      if (accept(op))
        return binary(std::string(op), a, sum(), at);
    }
    return a;
  }

  NodePtr sum() {
    NodePtr a = product();
    for (;;) {
      skip_space();
      const std::size_t at = pos_;
      if (accept("+"))
        a = binary("+", a, product(), at);
      else if (accept("-"))
        a = binary("-", a, product(), at);
      else
        return a;
    }
  }

  NodePtr product() {
    NodePtr a = unary();
    for (;;) {
      skip_space();
      const std::size_t at = pos_;
      if (accept("*"))
        a = binary("*", a, unary(), at);
      else if (accept("/"))
        a = binary("/", a, unary(), at);
      else if (accept("%"))
        a = binary("%", a, unary(), at);
      else
        return a;
    }
  }

  NodePtr unary() {
    skip_space();
    const std::size_t at = pos_;
    if (accept("-")) {
      auto n = std::make_shared<Expr::Node>();
      n->op = Expr::Node::Op::kNeg;
      n->offset = at;
      n->args = {unary()};
      return n;
    }
    if (accept("+"))
      return unary();
    return power();
  }

  NodePtr power() {
    NodePtr base = primary();
    skip_space();
    const std::size_t at = pos_;
    if (accept("^"))
      return binary("^", base, unary(), at);
    return base;
  }

  NodePtr primary() {
    skip_space();
    if (pos_ >= text_.size())
      fail("expected a number, a name or `(` but the expression ended");
    const std::size_t at = pos_;
    const char c = text_[pos_];
    if (accept("(")) {
      NodePtr inner = ternary();
      expect(")");
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      const std::string rest(text_.substr(pos_));
      char* end = nullptr;
      const double v = std::strtod(rest.c_str(), &end);
      if (end == rest.c_str())
        fail(fmt::format("cannot read a number at `{}`", text_.substr(pos_, 1)));
      pos_ += static_cast<std::size_t>(end - rest.c_str());
      auto n = std::make_shared<Expr::Node>();
      n->number = v;
      n->offset = at;
      return n;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t end = pos_;
      while (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) ||
                                    text_[end] == '_' || text_[end] == '.'))
        ++end;
      std::string name(text_.substr(pos_, end - pos_));
      pos_ = end;
      auto n = std::make_shared<Expr::Node>();
      n->offset = at;
      n->name = name;
      if (accept("(")) {
        const auto f = std::find_if(kFunctions.begin(), kFunctions.end(),
                                    [&](const Function& fn) { return fn.name == name; });
        if (f == kFunctions.end()) {
          pos_ = at;
          std::vector<std::string_view> known;
          for (const Function& fn : kFunctions)
            known.push_back(fn.name);
          fail(fmt::format("unknown function `{}`; known: {}", name, fmt::join(known, ", ")));
        }
        n->op = Expr::Node::Op::kCall;
        if (!accept(")")) {
          do {
            n->args.push_back(ternary());
          } while (accept(","));
          expect(")");
        }
        if (static_cast<int>(n->args.size()) != f->arity) {
          pos_ = at;
          fail(fmt::format("`{}` takes {} argument{}, not {}", name, f->arity,
                           f->arity == 1 ? "" : "s", n->args.size()));
        }
        return n;
      }
      n->op = Expr::Node::Op::kName;
      if (std::find(names_->begin(), names_->end(), name) == names_->end())
        names_->push_back(name);
      return n;
    }
    fail(fmt::format("unexpected `{}`", text_.substr(pos_, 1)));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::vector<std::string>* names_ = nullptr;
};

double call(const std::string& f, const std::vector<double>& a) {
  if (f == "abs")
    return std::fabs(a[0]);
  if (f == "ceil")
    return std::ceil(a[0]);
  if (f == "floor")
    return std::floor(a[0]);
  if (f == "round")
    return std::round(a[0]);
  if (f == "int")
    return std::trunc(a[0]);
  if (f == "sqrt")
    return std::sqrt(a[0]);
  if (f == "exp")
    return std::exp(a[0]);
  if (f == "log")
    return std::log(a[0]);
  if (f == "log2")
    return std::log2(a[0]);
  if (f == "log10")
    return std::log10(a[0]);
  if (f == "min")
    return std::min(a[0], a[1]);
  if (f == "max")
    return std::max(a[0], a[1]);
  if (f == "pow")
    return std::pow(a[0], a[1]);
  // clamp(x, lo, hi)
  return std::min(std::max(a[0], a[1]), a[2]);
}

double eval_node(const Expr::Node& n, const Expr::Lookup& lookup) {
  using Op = Expr::Node::Op;
  switch (n.op) {
    case Op::kNumber:
      return n.number;
    case Op::kName: {
      const std::optional<double> v = lookup(n.name);
      if (!v)
        throw ExprError(n.offset, fmt::format("unknown parameter `{}`", n.name));
      return *v;
    }
    case Op::kNeg:
      return -eval_node(*n.args[0], lookup);
    case Op::kTernary:
      return eval_node(*n.args[0], lookup) != 0 ? eval_node(*n.args[1], lookup)
                                                : eval_node(*n.args[2], lookup);
    case Op::kCall: {
      std::vector<double> a;
      for (const auto& arg : n.args)
        a.push_back(eval_node(*arg, lookup));
      return call(n.name, a);
    }
    case Op::kBinary:
      break;
  }
  const double a = eval_node(*n.args[0], lookup);
  const double b = eval_node(*n.args[1], lookup);
  const std::string& op = n.name;
  if (op == "+")
    return a + b;
  if (op == "-")
    return a - b;
  if (op == "*")
    return a * b;
  if (op == "/")
    return a / b;
  if (op == "%")
    return std::fmod(a, b);
  if (op == "^")
    return std::pow(a, b);
  if (op == "<")
    return a < b ? 1 : 0;
  if (op == "<=")
    return a <= b ? 1 : 0;
  if (op == ">")
    return a > b ? 1 : 0;
  if (op == ">=")
    return a >= b ? 1 : 0;
  if (op == "==")
    return a == b ? 1 : 0;
  return a != b ? 1 : 0;
}

}  // namespace

Expr Expr::parse(std::string_view text) {
  Expr e;
  e.root_ = Parser(text).parse_all(e.names_);
  return e;
}

double Expr::eval(const Lookup& lookup) const {
  return eval_node(*root_, lookup);
}

}  // namespace stormsim::sweep
