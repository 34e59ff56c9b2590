// Argument conditions -> disjunctive normal form (docs/language.md, "Argument conditions").
// `not` is pushed down to the comparisons: == <-> !=, < <-> >=, <= <-> >, `in` <-> `not in`, and
// not (x & m == v) becomes the OR, over each bit b of m, of (x & b == (v & b) ^ b): x differs from
// v in at least one bit of the mask. Every step is exact.
#include <algorithm>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "compiler/common/names.hpp"
#include "compiler/common/syscall_args.hpp"
#include "compiler/frontend/resolve.hpp"

namespace policy::frontend {

namespace {

constexpr size_t kMaxConjunctions = 1024;
// A seccomp filter has at most 4096 instructions (BPF_MAXINSNS) and each comparison takes at
// least one: a condition with more can never be compiled, and the backends must not be handed one.
constexpr size_t kMaxComparisons = 4096;

// A DNF where "false" is no conjunction and "true" is one empty conjunction.
using Dnf = ir::Condition;

Dnf dnf_true() {
  return Dnf{ir::Conjunction{}};
}
Dnf dnf_false() {
  return Dnf{};
}

size_t hash_of(const ir::Comparison& c) {
  size_t h = std::hash<uint64_t>{}(c.value);
  for (uint64_t x :
       {uint64_t{c.arg}, static_cast<uint64_t>(c.op), c.mask, static_cast<uint64_t>(c.width)})
    h = h * 1000003u ^ std::hash<uint64_t>{}(x);
  return h;
}

size_t hash_of(const ir::Conjunction& c) {
  size_t h = c.size();
  for (const auto& x : c) h = h * 31u + hash_of(x);
  return h;
}

// Builds a disjunction without duplicate conjunctions in time linear in its size (an `in` set or
// an `or` of 100k values must not cost a search of the whole list per value).
class DnfBuilder {
 public:
  explicit DnfBuilder(Dnf start = {}) {
    for (auto& c : start) add(std::move(c));
  }
  void add(ir::Conjunction c) {
    size_t h = hash_of(c);
    auto [lo, hi] = index_.equal_range(h);
    for (auto it = lo; it != hi; ++it)
      if (dnf_[it->second] == c) return;
    index_.emplace(h, dnf_.size());
    dnf_.push_back(std::move(c));
  }
  void add_all(const Dnf& d) {
    for (const auto& c : d) add(c);
  }
  size_t size() const { return dnf_.size(); }
  Dnf take() { return std::move(dnf_); }

 private:
  Dnf dnf_;
  std::unordered_multimap<size_t, size_t> index_;
};

// One conjunction without duplicate comparisons, in linear time.
class ConjunctionBuilder {
 public:
  void add(const ir::Comparison& c) {
    size_t h = hash_of(c);
    auto [lo, hi] = index_.equal_range(h);
    for (auto it = lo; it != hi; ++it)
      if (conj_[it->second] == c) return;
    index_.emplace(h, conj_.size());
    conj_.push_back(c);
  }
  ir::Conjunction take() { return std::move(conj_); }

 private:
  ir::Conjunction conj_;
  std::unordered_multimap<size_t, size_t> index_;
};

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
        if (!conj) {
          DnfBuilder acc;
          for (const auto& op : e.operands) {
            acc.add_all(to_dnf(op, negate));
            if (acc.size() > kMaxConjunctions) too_complex_ = true;
            if (too_complex_) break;
          }
          return acc.take();
        }
        // While the product is one conjunction (the usual case), each operand's comparisons
        // are appended in linear time; otherwise the operands are multiplied out.
        ConjunctionBuilder single;
        bool is_single = true;  // acc is {single}
        bool is_false = false;  // an operand never holds (its errors are still reported)
        Dnf acc;
        for (const auto& op : e.operands) {
          Dnf d = to_dnf(op, negate);
          if (too_complex_) return d;
          if (d.empty()) is_false = true;
          if (is_false) continue;
          if (is_single && d.size() == 1) {
            for (const auto& cmp : d[0]) single.add(cmp);
            continue;
          }
          if (is_single) acc = Dnf{single.take()}, is_single = false;
          acc = dnf_and(acc, d);
          if (too_complex_) return acc;
        }
        if (is_false) return dnf_false();
        return is_single ? Dnf{single.take()} : acc;
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
      ir::CmpOp op = any ? ir::CmpOp::Eq : ir::CmpOp::Ne;
      Dnf acc;
      std::unordered_set<uint64_t> seen;  // each value once, in the order written
      ir::Conjunction all;
      for (const ast::Value& v : e.values) {
        auto x = value(v, u32);
        if (!x) {
          failed_ = true;
          return dnf_false();
        }
        if (!seen.insert(*x).second) continue;
        if (any && acc.size() == kMaxConjunctions) {
          too_complex_ = true;  // reported by resolve_condition; the rest is not even read
          return acc;
        }
        ir::Comparison c = *b;
        c.op = op;
        c.value = *x;
        if (any)
          acc.push_back(ir::Conjunction{c});
        else
          all.push_back(c);
      }
      if (!any) acc.push_back(std::move(all));
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
  size_t comparisons = 0;
  for (const auto& c : *d) comparisons += c.size();
  if (comparisons > kMaxComparisons) {
    diags.error(cond.loc, "the argument condition has " + std::to_string(comparisons) +
                              " comparisons in normal form, more than the " +
                              std::to_string(kMaxComparisons) +
                              " instructions a seccomp filter can hold; split it into several "
                              "rules");
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
