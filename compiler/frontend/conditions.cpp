// Argument conditions -> disjunctive normal form (docs/language.md, "Argument conditions").
// `not` is pushed down to the comparisons: == <-> !=, < <-> >=, <= <-> >, `in` <-> `not in`, and
// not (x & m == v) becomes the OR, over each bit b of m, of (x & b == (v & b) ^ b): x differs from
// v in at least one bit of the mask. Every step is exact.
#include <algorithm>
#include <limits>

#include "compiler/common/names.hpp"
#include "compiler/common/syscall_args.hpp"
#include "compiler/frontend/resolve.hpp"

namespace policy::frontend {

namespace {

constexpr size_t kMaxConjunctions = 1024;

// A DNF where "false" is no conjunction and "true" is one empty conjunction.
using Dnf = ir::Condition;

Dnf dnf_true() {
  return Dnf{ir::Conjunction{}};
}
Dnf dnf_false() {
  return Dnf{};
}

Dnf dnf_or(Dnf a, const Dnf& b) {
  for (const auto& c : b)
    if (std::find(a.begin(), a.end(), c) == a.end()) a.push_back(c);
  return a;
}

class ConditionResolver {
 public:
  ConditionResolver(const std::string& syscall, DiagnosticEngine& diags)
      : syscall_(syscall), diags_(diags) {}

  std::optional<Dnf> run(const ast::CondExpr& e) {
    Dnf d = to_dnf(e, false);
    if (failed_) return std::nullopt;
    return d;
  }

  bool too_complex() const { return too_complex_; }

 private:
  const std::string& syscall_;
  DiagnosticEngine& diags_;
  bool failed_ = false;
  bool too_complex_ = false;

  Dnf dnf_and(const Dnf& a, const Dnf& b) {
    Dnf out;
    for (const auto& x : a)
      for (const auto& y : b) {
        ir::Conjunction c = x;
        for (const auto& cmp : y)
          if (std::find(c.begin(), c.end(), cmp) == c.end()) c.push_back(cmp);
        if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(std::move(c));
        if (out.size() > kMaxConjunctions) {
          too_complex_ = true;
          return out;
        }
      }
    return out;
  }

  Dnf to_dnf(const ast::CondExpr& e, bool negate) {
    using K = ast::CondExpr;
    switch (e.kind) {
      case K::Not:
        return to_dnf(e.operands.at(0), !negate);
      case K::Or:
      case K::And: {
        // De Morgan: a negated OR is an AND of negations, and the reverse.
        bool conj = (e.kind == K::And) != negate;
        Dnf acc = conj ? dnf_true() : dnf_false();
        for (const auto& op : e.operands) {
          Dnf d = to_dnf(op, negate);
          acc = conj ? dnf_and(acc, d) : dnf_or(std::move(acc), d);
          if (too_complex_) return acc;
        }
        return acc;
      }
      default:
        return comparison(e, negate);
    }
  }

  std::optional<uint64_t> value(const ast::Value& v, bool u32) {
    uint64_t out = 0;
    for (const ast::Token& t : v.terms) {
      std::optional<uint64_t> x;
      if (!t.text.empty() && std::isdigit(static_cast<unsigned char>(t.text[0]))) {
        x = parse_integer(t.text);
        if (!x) diags_.error(t.loc, "number '" + t.text + "' does not fit in 64 bits");
      } else {
        x = names::constant_value(t.text);
        if (!x)
          diags_.error(t.loc, unknown_message("constant", t.text, names::all_constant_names()));
      }
      if (!x) return std::nullopt;
      out |= *x;
    }
    if (u32 && out > std::numeric_limits<uint32_t>::max()) {
      diags_.error(v.loc, "value does not fit in the 32 bits that u32(...) compares");
      return std::nullopt;
    }
    return out;
  }

  std::optional<ir::Comparison> base(const ast::CondExpr& e) {
    ir::Comparison c;
    c.arg_name = e.arg.name.text;
    c.width = e.arg.u32 ? ir::ArgWidth::Bits32 : ir::ArgWidth::Bits64;
    c.loc = e.arg.name.loc;
    auto idx = syscall_arg_index(syscall_, e.arg.name.text);
    if (!idx) {
      std::vector<std::string> cands = syscall_arg_names(syscall_);
      for (int i = 0; i < 6; ++i) cands.push_back("arg" + std::to_string(i));
      std::string msg = "'" + e.arg.name.text + "' is not an argument of '" + syscall_ + "'";
      auto s = suggest(e.arg.name.text, cands);
      if (!s.empty()) msg += "; did you mean '" + s[0] + "'?";
      diags_.error(e.arg.name.loc, msg);
      return std::nullopt;
    }
    c.arg = *idx;
    // Only for names from the prototype: written as argN the argument is addressed by position,
    // often for an ABI whose order differs from the manual's (clone on s390).
    std::vector<std::string> proto = syscall_arg_names(syscall_);
    bool positional = c.arg >= proto.size() || proto[c.arg] != e.arg.name.text;
    if (syscall_arg_is_pointer(syscall_, c.arg) && !positional)
      diags_.warning(warn::kPointerArgument, e.arg.name.loc,
                     "argument '" + e.arg.name.text + "' of '" + syscall_ +
                         "' is a pointer: seccomp compares the address, not the data it points to");
    return c;
  }

  Dnf comparison(const ast::CondExpr& e, bool negate) {
    using K = ast::CondExpr;
    auto b = base(e);
    if (!b) {
      failed_ = true;
      return dnf_false();
    }
    bool u32 = e.arg.u32;
    auto atom = [&](ir::CmpOp op, uint64_t v) {
      ir::Comparison c = *b;
      c.op = op;
      c.value = v;
      return Dnf{ir::Conjunction{c}};
    };
    if (e.kind == K::In || e.kind == K::NotIn) {
      // x in {a, b} = x == a or x == b; x not in {a, b} = x != a and x != b.
      bool any = (e.kind == K::In) != negate;
      Dnf acc = any ? dnf_false() : dnf_true();
      for (const ast::Value& v : e.values) {
        auto x = value(v, u32);
        if (!x) {
          failed_ = true;
          return dnf_false();
        }
        Dnf one = atom(any ? ir::CmpOp::Eq : ir::CmpOp::Ne, *x);
        acc = any ? dnf_or(std::move(acc), one) : dnf_and(acc, one);
      }
      return acc;
    }
    auto v = value(e.values.at(0), u32);
    if (!v) {
      failed_ = true;
      return dnf_false();
    }
    if (e.kind == K::Masked) {
      auto m = value(e.mask, u32);
      if (!m) {
        failed_ = true;
        return dnf_false();
      }
      // Bits of the value outside the mask can never match: the comparison is constant.
      if (*v & ~*m) return negate ? dnf_true() : dnf_false();
      if (!negate) {
        ir::Comparison c = *b;
        c.op = ir::CmpOp::MaskedEq;
        c.mask = *m;
        c.value = *v;
        return Dnf{ir::Conjunction{c}};
      }
      Dnf acc = dnf_false();  // m == 0: x & 0 == 0 always holds, so its negation never does
      for (int bit = 0; bit < 64; ++bit) {
        uint64_t bb = uint64_t{1} << bit;
        if (!(*m & bb)) continue;
        ir::Comparison c = *b;
        c.op = ir::CmpOp::MaskedEq;
        c.mask = bb;
        c.value = (*v & bb) ^ bb;
        acc.push_back(ir::Conjunction{c});
      }
      return acc;
    }
    ir::CmpOp op = e.op == "=="   ? ir::CmpOp::Eq
                   : e.op == "!=" ? ir::CmpOp::Ne
                   : e.op == "<"  ? ir::CmpOp::Lt
                   : e.op == "<=" ? ir::CmpOp::Le
                   : e.op == ">"  ? ir::CmpOp::Gt
                                  : ir::CmpOp::Ge;
    if (negate) {
      switch (op) {
        case ir::CmpOp::Eq:
          op = ir::CmpOp::Ne;
          break;
        case ir::CmpOp::Ne:
          op = ir::CmpOp::Eq;
          break;
        case ir::CmpOp::Lt:
          op = ir::CmpOp::Ge;
          break;
        case ir::CmpOp::Ge:
          op = ir::CmpOp::Lt;
          break;
        case ir::CmpOp::Le:
          op = ir::CmpOp::Gt;
          break;
        case ir::CmpOp::Gt:
          op = ir::CmpOp::Le;
          break;
        case ir::CmpOp::MaskedEq:
          break;
      }
    }
    return atom(op, *v);
  }
};

}  // namespace

std::optional<ir::Condition> resolve_condition(const ast::CondExpr& cond,
                                               const std::string& syscall,
                                               DiagnosticEngine& diags) {
  ConditionResolver r(syscall, diags);
  auto d = r.run(cond);
  if (!d) return std::nullopt;
  if (r.too_complex()) {
    diags.error(cond.loc, "the argument condition has more than " +
                              std::to_string(kMaxConjunctions) +
                              " alternatives in normal form; split it into several rules");
    return std::nullopt;
  }
  if (d->empty()) {
    diags.error(cond.loc, "the argument condition can never hold");
    return std::nullopt;
  }
  // A condition that always holds (an empty conjunction) makes the rule unconditional.
  for (const auto& c : *d)
    if (c.empty()) return ir::Condition{};
  return d;
}

}  // namespace policy::frontend
