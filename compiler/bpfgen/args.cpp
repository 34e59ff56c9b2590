#include "compiler/bpfgen/args.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>

#include "compiler/seccomp/interpreter.hpp"

namespace policy::bpfgen {

namespace {

// A test of one 32-bit word of seccomp_data.
struct Atom {
  enum Op : uint8_t { Eq, Gt, Ge, Set, MaskEq };
  uint32_t word = 0;  // byte offset in seccomp_data
  Op op = Eq;
  uint32_t k = 0;     // the constant (Set: the mask)
  uint32_t mask = 0;  // MaskEq: (word & mask) == k
};

constexpr int kTrue = -1, kFalse = -2;

// One comparison as a small decision tree over atoms.
struct CmpTree {
  struct N {
    Atom atom;
    int t, f;
  };
  std::vector<N> nodes;
  int root = kFalse;
  int add(const Atom& a, int t, int f) {
    if (t == f) return t;
    nodes.push_back(N{a, t, f});
    return static_cast<int>(nodes.size()) - 1;
  }
  // (word & m) == v, with JSET where the mask allows it.
  int masked(uint32_t word, uint32_t m, uint32_t v, int t, int f) {
    if ((v & ~m) != 0) return f;
    if (m == 0) return t;
    if (m == 0xffffffffU) return add({word, Atom::Eq, v, 0}, t, f);
    if (v == 0) return add({word, Atom::Set, m, 0}, f, t);
    if (v == m && std::popcount(m) == 1) return add({word, Atom::Set, m, 0}, t, f);
    return add({word, Atom::MaskEq, v, m}, t, f);
  }
};

CmpTree compile_comparison(const ir::Comparison& c, const ArchModel& arch) {
  CmpTree tree;
  const uint32_t base = 16 + 8 * c.arg;
  const uint32_t lo = base + (arch.little_endian ? 0 : 4), hi = base + (arch.little_endian ? 4 : 0);
  uint64_t v = c.value, m = c.op == ir::CmpOp::MaskedEq ? c.mask : ~0ULL;
  if (arch.narrow) {  // libseccomp's reading: the register is the low word, constants are cut
    v &= 0xffffffffULL;
    m &= 0xffffffffULL;
  }
  const bool wide = !arch.narrow && c.width == ir::ArgWidth::Bits64;
  int T = kTrue, F = kFalse;
  ir::CmpOp op = c.op;
  switch (op) {  // negations swap the outcomes
    case ir::CmpOp::Ne:
      op = ir::CmpOp::Eq, std::swap(T, F);
      break;
    case ir::CmpOp::Lt:
      op = ir::CmpOp::Ge, std::swap(T, F);
      break;
    case ir::CmpOp::Le:
      op = ir::CmpOp::Gt, std::swap(T, F);
      break;
    default:
      break;
  }
  const uint32_t vl = static_cast<uint32_t>(v), vh = static_cast<uint32_t>(v >> 32);
  const uint32_t ml = static_cast<uint32_t>(m), mh = static_cast<uint32_t>(m >> 32);
  if (!wide) {
    // Only the low word counts; a wider constant (u32() on a 64-bit arch) is out of its reach.
    if (vh != 0) {
      tree.root = F;
      return tree;
    }
    switch (op) {
      case ir::CmpOp::Eq:
        tree.root = tree.add({lo, Atom::Eq, vl, 0}, T, F);
        break;
      case ir::CmpOp::Gt:
        tree.root = tree.add({lo, Atom::Gt, vl, 0}, T, F);
        break;
      case ir::CmpOp::Ge:
        tree.root = tree.add({lo, Atom::Ge, vl, 0}, T, F);
        break;
      case ir::CmpOp::MaskedEq:
        tree.root = tree.masked(lo, ml, vl, T, F);
        break;
      default:
        break;
    }
    return tree;
  }
  switch (op) {
    case ir::CmpOp::Eq:
      tree.root = tree.add({hi, Atom::Eq, vh, 0}, tree.add({lo, Atom::Eq, vl, 0}, T, F), F);
      break;
    case ir::CmpOp::Gt:
    case ir::CmpOp::Ge: {
      int low = tree.add({lo, op == ir::CmpOp::Gt ? Atom::Gt : Atom::Ge, vl, 0}, T, F);
      tree.root = tree.add({hi, Atom::Gt, vh, 0}, T, tree.add({hi, Atom::Eq, vh, 0}, low, F));
      break;
    }
    case ir::CmpOp::MaskedEq:
      if ((v & ~m) != 0) {
        tree.root = F;
        break;
      }
      tree.root = tree.masked(hi, mh, vh, tree.masked(lo, ml, vl, T, F), F);
      break;
    default:
      break;
  }
  return tree;
}

// What is known about the words of seccomp_data on a path through the program.
struct WordFacts {
  uint32_t min = 0, max = 0xffffffffU;
  std::vector<uint32_t> ne;  // values it is known not to be
  struct Bit {
    Atom::Op op;
    uint32_t k, mask;
    bool holds;
  };
  std::vector<Bit> bits;  // outcomes of Set / MaskEq tests
};
using Facts = std::map<uint32_t, WordFacts>;

bool eval_atom(const Atom& a, uint32_t x) {
  switch (a.op) {
    case Atom::Eq:
      return x == a.k;
    case Atom::Gt:
      return x > a.k;
    case Atom::Ge:
      return x >= a.k;
    case Atom::Set:
      return (x & a.k) != 0;
    case Atom::MaskEq:
      return (x & a.mask) == a.k;
  }
  return false;
}

// -1 unknown, 0 false, 1 true.
int decide(const Atom& a, const Facts& facts) {
  auto it = facts.find(a.word);
  if (it == facts.end()) {
    if (a.op == Atom::Gt && a.k == 0xffffffffU) return 0;
    if (a.op == Atom::Ge && a.k == 0) return 1;
    return -1;
  }
  const WordFacts& f = it->second;
  if (f.min == f.max) return eval_atom(a, f.min) ? 1 : 0;
  switch (a.op) {
    case Atom::Eq:
      if (a.k < f.min || a.k > f.max) return 0;
      if (std::find(f.ne.begin(), f.ne.end(), a.k) != f.ne.end()) return 0;
      for (const WordFacts::Bit& b : f.bits) {
        Atom t{a.word, b.op, b.k, b.mask};
        if (eval_atom(t, a.k) != b.holds) return 0;
      }
      return -1;
    case Atom::Gt:
      if (f.min > a.k) return 1;
      if (f.max <= a.k) return 0;
      return -1;
    case Atom::Ge:
      if (f.min >= a.k) return 1;
      if (f.max < a.k) return 0;
      return -1;
    case Atom::Set:
    case Atom::MaskEq: {
      const uint32_t m = a.op == Atom::Set ? a.k : a.mask;
      if (a.op == Atom::Set && f.max < (m & (~m + 1))) return 0;  // below its lowest bit
      for (const WordFacts::Bit& b : f.bits) {
        if (b.op == a.op && b.k == a.k && b.mask == a.mask) return b.holds ? 1 : 0;
        // A known masked value covering this mask decides it.
        if (b.holds && b.op == Atom::MaskEq && (m & ~b.mask) == 0) return eval_atom(a, b.k) ? 1 : 0;
        // Known "no bit of M set" with this mask inside M.
        if (!b.holds && b.op == Atom::Set && (m & ~b.k) == 0) return eval_atom(a, 0) ? 1 : 0;
      }
      return -1;
    }
  }
  return -1;
}

Facts learn(const Facts& facts, const Atom& a, bool holds) {
  Facts out = facts;
  WordFacts& f = out[a.word];
  switch (a.op) {
    case Atom::Eq:
      if (holds) {
        f = WordFacts{};
        f.min = f.max = a.k;
      } else {
        f.ne.push_back(a.k);
      }
      break;
    case Atom::Gt:
      if (holds)
        f.min = std::max(f.min, a.k + 1);
      else
        f.max = std::min(f.max, a.k);
      break;
    case Atom::Ge:
      if (holds)
        f.min = std::max(f.min, a.k);
      else
        f.max = std::min(f.max, a.k - 1);
      break;
    case Atom::Set:
    case Atom::MaskEq:
      f.bits.push_back({a.op, a.k, a.mask, holds});
      break;
  }
  // Tighten the interval past excluded values, and keep the facts canonical.
  std::sort(f.ne.begin(), f.ne.end());
  f.ne.erase(std::unique(f.ne.begin(), f.ne.end()), f.ne.end());
  bool moved = true;
  while (moved && f.min < f.max) {
    moved = false;
    if (std::binary_search(f.ne.begin(), f.ne.end(), f.min)) ++f.min, moved = true;
    if (std::binary_search(f.ne.begin(), f.ne.end(), f.max)) --f.max, moved = true;
  }
  std::erase_if(f.ne, [&](uint32_t x) { return x < f.min || x > f.max; });
  if (f.min == f.max) {
    f.ne.clear();
    f.bits.clear();
  }
  std::sort(f.bits.begin(), f.bits.end(), [](const WordFacts::Bit& x, const WordFacts::Bit& y) {
    return std::tie(x.op, x.k, x.mask, x.holds) < std::tie(y.op, y.k, y.mask, y.holds);
  });
  return out;
}

std::string key_of(const Facts& facts) {
  std::string s;
  auto put = [&](uint32_t x) { s.append(reinterpret_cast<const char*>(&x), sizeof x); };
  for (const auto& [w, f] : facts) {
    put(w), put(f.min), put(f.max), put(static_cast<uint32_t>(f.ne.size()));
    for (uint32_t x : f.ne) put(x);
    put(static_cast<uint32_t>(f.bits.size()));
    for (const auto& b : f.bits) put(b.op), put(b.k), put(b.mask), put(b.holds);
  }
  return s;
}

struct Outcome {
  int state;  // kTrue, kFalse or -3 (undecided; atom is the next test)
  Atom atom;
};
constexpr int kUndecided = -3;

Outcome eval_tree(const CmpTree& t, const Facts& facts) {
  int at = t.root;
  while (at >= 0) {
    const CmpTree::N& n = t.nodes[static_cast<size_t>(at)];
    int d = decide(n.atom, facts);
    if (d < 0) return {kUndecided, n.atom};
    at = d ? n.t : n.f;
  }
  return {at, {}};
}

struct RuleCode {
  std::vector<std::vector<CmpTree>> conjunctions;
  NodeId leaf;
};

NodeId test(Graph& g, const Atom& a, NodeId t, NodeId f) {
  if (t == f) return t;
  switch (a.op) {
    case Atom::Eq:
      return g.load(a.word, g.jump(BPF_JEQ, a.k, t, f));
    case Atom::Gt:
      return g.load(a.word, g.jump(BPF_JGT, a.k, t, f));
    case Atom::Ge:
      return g.load(a.word, g.jump(BPF_JGE, a.k, t, f));
    case Atom::Set:
      return g.load(a.word, g.jump(BPF_JSET, a.k, t, f));
    case Atom::MaskEq:
      return g.load(a.word, g.and_mask(a.mask, g.jump(BPF_JEQ, a.k, t, f)));
  }
  return f;
}

struct TooBig {};

// Path-sensitive: every test is followed, on each side, by only the tests whose outcome is not
// yet known there (e.g. `in {a, b, c}` on 64-bit loads and tests the high word once).
class PathBuilder {
 public:
  PathBuilder(Graph& g, const std::vector<RuleCode>& rules, NodeId fallback, size_t budget)
      : g_(g), rules_(rules), fallback_(fallback), budget_(budget) {}

  NodeId build(const Facts& facts) {
    std::string key = key_of(facts);
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    if (memo_.size() >= budget_) throw TooBig{};
    NodeId result = fallback_;
    bool decided = false;
    for (const RuleCode& r : rules_) {
      bool any_undecided = false, matched = false;
      Atom next{};
      for (const auto& conj : r.conjunctions) {
        int state = kTrue;
        Atom first{};
        for (const CmpTree& c : conj) {
          Outcome o = eval_tree(c, facts);
          if (o.state == kFalse) {
            state = kFalse;
            break;
          }
          if (o.state == kUndecided && state == kTrue) {
            state = kUndecided;
            first = o.atom;
          }
        }
        if (state == kTrue) {
          matched = true;
          break;
        }
        if (state == kUndecided && !any_undecided) {
          any_undecided = true;
          next = first;
        }
      }
      if (matched) {
        result = r.leaf;
        decided = true;
        break;
      }
      if (any_undecided) {
        NodeId t = build(learn(facts, next, true));
        NodeId f = build(learn(facts, next, false));
        result = test(g_, next, t, f);
        decided = true;
        break;
      }
    }
    (void)decided;
    memo_.emplace(std::move(key), result);
    return result;
  }

 private:
  Graph& g_;
  const std::vector<RuleCode>& rules_;
  NodeId fallback_;
  size_t budget_;
  std::unordered_map<std::string, NodeId> memo_;
};

// Straight translation, each comparison on its own: linear in the size of the condition.
NodeId build_tree(Graph& g, const CmpTree& t, int at, const Facts& facts, NodeId T, NodeId F) {
  if (at == kTrue) return T;
  if (at == kFalse) return F;
  const CmpTree::N& n = t.nodes[static_cast<size_t>(at)];
  int d = decide(n.atom, facts);
  if (d >= 0) return build_tree(g, t, d ? n.t : n.f, facts, T, F);
  return test(g, n.atom, build_tree(g, t, n.t, learn(facts, n.atom, true), T, F),
              build_tree(g, t, n.f, learn(facts, n.atom, false), T, F));
}

NodeId build_linear(Graph& g, const std::vector<RuleCode>& rules, NodeId fallback) {
  NodeId cont = fallback;
  for (auto r = rules.rbegin(); r != rules.rend(); ++r) {
    NodeId any = cont;
    for (auto c = r->conjunctions.rbegin(); c != r->conjunctions.rend(); ++c) {
      NodeId all = r->leaf;
      for (auto cmp = c->rbegin(); cmp != c->rend(); ++cmp)
        all = build_tree(g, *cmp, cmp->root, {}, all, any);
      any = all;
    }
    cont = any;
  }
  return cont;
}

// Copies the subgraph at `id` of `from` into `to`.
NodeId copy(const Graph& from, NodeId id, Graph& to, std::unordered_map<NodeId, NodeId>& memo) {
  if (auto it = memo.find(id); it != memo.end()) return it->second;
  const Node& n = from.at(id);
  NodeId r = -1;
  switch (n.kind) {
    case Node::Kind::Ret:
      r = to.ret(n.k);
      break;
    case Node::Kind::Load:
      r = to.load(n.k, copy(from, n.next, to, memo));
      break;
    case Node::Kind::And:
      r = to.and_mask(n.k, copy(from, n.next, to, memo));
      break;
    case Node::Kind::Jump:
      r = to.jump(n.op, n.k, copy(from, n.next, to, memo), copy(from, n.other, to, memo));
      break;
  }
  memo.emplace(id, r);
  return r;
}

size_t reachable(const Graph& g, NodeId root) {
  std::vector<char> seen(g.size(), 0);
  std::vector<NodeId> stack{root};
  size_t count = 0;
  while (!stack.empty()) {
    NodeId id = stack.back();
    stack.pop_back();
    if (seen[static_cast<size_t>(id)]) continue;
    seen[static_cast<size_t>(id)] = 1;
    ++count;
    const Node& n = g.at(id);
    if (n.kind != Node::Kind::Ret) stack.push_back(n.next);
    if (n.kind == Node::Kind::Jump) stack.push_back(n.other);
  }
  return count;
}

}  // namespace

NodeId build_decision(Graph& graph, const SyscallDecision& decision, const ArchModel& arch) {
  const NodeId fallback = graph.ret(seccomp::ret_of(decision.fallback));
  if (decision.conditional.empty()) return fallback;

  // Build in a scratch graph both ways and keep the smaller (the path-sensitive one executes no
  // more tests on any path; it wins unless it had to duplicate much).
  auto lower = [&](Graph& g, std::vector<RuleCode>& rules) {
    rules.clear();
    for (const ConditionalRule& r : decision.conditional) {
      RuleCode rc{{}, g.ret(seccomp::ret_of(r.action))};
      for (const ir::Conjunction& conj : r.condition) {
        std::vector<CmpTree> cmps;
        for (const ir::Comparison& c : conj) cmps.push_back(compile_comparison(c, arch));
        rc.conjunctions.push_back(std::move(cmps));
      }
      rules.push_back(std::move(rc));
    }
  };
  Graph linear_g, path_g;
  std::vector<RuleCode> rules;
  lower(linear_g, rules);
  NodeId linear = build_linear(linear_g, rules, linear_g.ret(seccomp::ret_of(decision.fallback)));
  const size_t linear_size = reachable(linear_g, linear);
  lower(path_g, rules);
  std::unordered_map<NodeId, NodeId> memo;
  try {
    PathBuilder pb(path_g, rules, path_g.ret(seccomp::ret_of(decision.fallback)),
                   4 * linear_size + 64);
    NodeId path = pb.build({});
    if (reachable(path_g, path) <= linear_size + 8) return copy(path_g, path, graph, memo);
  } catch (const TooBig&) {
  }
  return copy(linear_g, linear, graph, memo);
}

}  // namespace policy::bpfgen
