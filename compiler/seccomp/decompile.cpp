#include "compiler/seccomp/decompile.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::seccomp {

namespace {

constexpr uint32_t kFull = 0xffffffffu;
constexpr uint64_t kAll64 = ~0ULL;
// Work allowed for one (arch, syscall): a filter needing more is reported, not decompiled.
constexpr size_t kNodeBudget = 20000;
constexpr size_t kListBudget = 200000;

// Why one call's decision cannot be written in the policy language.
struct Unsupported {
  std::string why;
};

// ---- the symbolic walk: a decision graph for one (arch, nr) ----

// A register or scratch value: a constant, or a 32-bit word of seccomp_data's arguments (or
// instruction pointer) with an AND mask applied.
struct Val {
  bool word = false;
  uint32_t v = 0;  // the constant
  uint32_t index = 0, mask = kFull;
  uint64_t key() const { return word ? (1ULL << 63) | (uint64_t{index} << 32) | mask : v; }
};

struct State {
  Val A, X;
  Val M[kScratchWords];
};

// A return, or a test of one (masked) word against a constant with its two successors.
struct Node {
  bool ret = false;
  uint32_t value = 0;  // ret: the SECCOMP_RET_* value; test: the constant
  uint16_t op = 0;     // BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET
  uint32_t word = 0, mask = kFull;
  int t = -1, f = -1;
};

// Registers read before written from each instruction on (bit 0 A, bit 1 X, bit 2+i M[i]), so
// that two paths reaching an instruction with the same live values share one node.
std::vector<uint32_t> live_registers(const Program& prog) {
  std::vector<uint32_t> in(prog.size() + 1, 0);
  for (size_t pc = prog.size(); pc-- > 0;) {
    const sock_filter& f = prog[pc];
    uint32_t use = 0, def = 0, out = 0;
    const uint32_t A = 1, X = 2, M = 4u << (f.k < kScratchWords ? f.k : 0);
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
        def = A;
        if (BPF_MODE(f.code) == BPF_MEM) use = M;
        out = in[pc + 1];
        break;
      case BPF_LDX:
        def = X;
        if (BPF_MODE(f.code) == BPF_MEM) use = M;
        out = in[pc + 1];
        break;
      case BPF_ST:
        use = A, def = M, out = in[pc + 1];
        break;
      case BPF_STX:
        use = X, def = M, out = in[pc + 1];
        break;
      case BPF_ALU:
        use = A | (BPF_SRC(f.code) == BPF_X && BPF_OP(f.code) != BPF_NEG ? X : 0);
        def = A, out = in[pc + 1];
        break;
      case BPF_JMP:
        if (BPF_OP(f.code) == BPF_JA) {
          out = in[pc + 1 + f.k];
        } else {
          use = A | (BPF_SRC(f.code) == BPF_X ? X : 0);
          out = in[pc + 1 + f.jt] | in[pc + 1 + f.jf];
        }
        break;
      case BPF_RET:
        use = BPF_RVAL(f.code) == BPF_A ? A : 0;
        break;
      case BPF_MISC:
        use = BPF_MISCOP(f.code) == BPF_TAX ? A : X;
        def = BPF_MISCOP(f.code) == BPF_TAX ? X : A;
        out = in[pc + 1];
        break;
    }
    in[pc] = use | (out & ~def);
  }
  return in;
}

uint32_t alu(uint32_t op, uint32_t a, uint32_t b) {
  switch (op) {
    case BPF_ADD:
      return a + b;
    case BPF_SUB:
      return a - b;
    case BPF_MUL:
      return a * b;
    case BPF_DIV:
      return b ? a / b : 0;
    case BPF_MOD:
      return b ? a % b : 0;
    case BPF_OR:
      return a | b;
    case BPF_AND:
      return a & b;
    case BPF_XOR:
      return a ^ b;
    case BPF_LSH:
      return b < 32 ? a << b : 0;
    case BPF_RSH:
      return b < 32 ? a >> b : 0;
    case BPF_NEG:
      return -a;
  }
  return 0;
}

bool jump_taken(uint32_t op, uint32_t a, uint32_t k) {
  switch (op) {
    case BPF_JEQ:
      return a == k;
    case BPF_JGT:
      return a > k;
    case BPF_JGE:
      return a >= k;
    default:
      return (a & k) != 0;
  }
}

class Walker {
 public:
  Walker(const Program& prog, const std::vector<uint32_t>& live, const seccomp_data& data)
      : prog_(prog), live_(live), data_(data) {}

  int walk(size_t pc, State s) {
    while (true) {
      const sock_filter& f = prog_[pc];
      const uint32_t cls = BPF_CLASS(f.code);
      if (cls == BPF_RET) {
        Val r = BPF_RVAL(f.code) == BPF_A ? s.A : Val{false, f.k};
        if (r.word) throw Unsupported{"the filter returns an argument word as its verdict"};
        return ret_node(r.v);
      }
      if (cls == BPF_JMP && BPF_OP(f.code) == BPF_JA) {
        pc += 1 + f.k;
        continue;
      }
      if (cls == BPF_JMP) {
        const Val k = BPF_SRC(f.code) == BPF_X ? s.X : Val{false, f.k};
        if (k.word) throw Unsupported{"the filter compares two argument words with each other"};
        if (!s.A.word) {
          pc += 1 + (jump_taken(BPF_OP(f.code), s.A.v, k.v) ? f.jt : f.jf);
          continue;
        }
        if (f.jt == f.jf) {
          pc += 1 + f.jt;
          continue;
        }
        return test_node(pc, s, k.v);
      }
      step(pc, f, s);
      ++pc;
    }
  }

  std::vector<Node> nodes;

 private:
  void step(size_t pc, const sock_filter& f, State& s) {
    (void)pc;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
      case BPF_LDX: {
        Val v;
        switch (BPF_MODE(f.code)) {
          case BPF_ABS:
            v = load(f.k);
            break;
          case BPF_IMM:
            v = Val{false, f.k};
            break;
          case BPF_MEM:
            v = s.M[f.k];
            break;
          case BPF_LEN:
            v = Val{false, kSeccompDataSize};
            break;
        }
        (BPF_CLASS(f.code) == BPF_LD ? s.A : s.X) = v;
        break;
      }
      case BPF_ST:
        s.M[f.k] = s.A;
        break;
      case BPF_STX:
        s.M[f.k] = s.X;
        break;
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX)
          s.X = s.A;
        else
          s.A = s.X;
        break;
      case BPF_ALU: {
        const uint32_t op = BPF_OP(f.code);
        const Val b = BPF_SRC(f.code) == BPF_X ? s.X : Val{false, f.k};
        if (!s.A.word && !b.word) {
          s.A = Val{false, alu(op, s.A.v, b.v)};
        } else if (op == BPF_AND && s.A.word && !b.word) {
          s.A.mask &= b.v;
        } else if (op == BPF_AND && !s.A.word && b.word) {
          Val w = b;
          w.mask &= s.A.v;
          s.A = w;
        } else {
          throw Unsupported{
              "the filter computes on argument words (only AND with a constant "
              "can be written as a condition)"};
        }
        break;
      }
    }
  }

  Val load(uint32_t offset) const {
    uint32_t w;
    std::memcpy(&w, reinterpret_cast<const char*>(&data_) + offset, sizeof w);
    if (offset < 8) return Val{false, w};  // nr and arch are fixed for the walk
    return Val{true, 0, offset / 4, kFull};
  }

  int ret_node(uint32_t value) {
    auto [it, added] = rets_.emplace(value, static_cast<int>(nodes.size()));
    if (added) nodes.push_back(Node{true, value});
    return it->second;
  }

  int test_node(size_t pc, const State& s, uint32_t k) {
    std::vector<uint64_t> key{pc, k};
    const uint32_t live = live_[pc];
    key.push_back(s.A.key());
    if (live & 2) key.push_back(s.X.key());
    for (uint32_t i = 0; i < kScratchWords; ++i)
      if (live & (4u << i)) key.push_back(s.M[i].key());
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    if (nodes.size() > kNodeBudget) throw Unsupported{"the filter has too many paths to follow"};
    const sock_filter& f = prog_[pc];
    const int t = walk(pc + 1 + f.jt, s);
    const int e = walk(pc + 1 + f.jf, s);
    int id = t;
    if (t != e) {
      id = static_cast<int>(nodes.size());
      nodes.push_back(
          Node{false, k, static_cast<uint16_t>(BPF_OP(f.code)), s.A.index, s.A.mask, t, e});
    }
    memo_.emplace(std::move(key), id);
    return id;
  }

  const Program& prog_;
  const std::vector<uint32_t>& live_;
  const seccomp_data& data_;
  std::map<std::vector<uint64_t>, int> memo_;
  std::map<uint32_t, int> rets_;
};

// ---- from the graph to an ordered list of rules ----

// What a rule requires of one 32-bit word: a range, values it must not be, and bits it must have
// (value & mask == bits).
struct WordDom {
  uint32_t lo = 0, hi = kFull;
  std::vector<uint32_t> ne;
  uint32_t mask = 0, bits = 0;
  bool trivial() const { return lo == 0 && hi == kFull && ne.empty() && mask == 0; }
  bool holds(uint32_t v) const {
    return v >= lo && v <= hi && (v & mask) == bits &&
           std::find(ne.begin(), ne.end(), v) == ne.end();
  }
};

struct Dom {
  std::map<uint32_t, WordDom> words;  // by word index of seccomp_data
  bool empty = false;
};

bool word_is_high(uint32_t index) {
  const bool odd = (index & 1) != 0;  // args start at word 4; each is two words
  return std::endian::native == std::endian::little ? odd : !odd;
}

bool require_bits(Dom& d, WordDom& w, uint32_t mask, uint32_t bits) {
  if (((w.bits ^ bits) & w.mask & mask) != 0) d.empty = true;
  w.mask |= mask;
  w.bits = (w.bits & ~mask) | (bits & mask);
  return true;
}

bool exclude(Dom& d, WordDom& w, uint32_t k, bool high) {
  if (k < w.lo || k > w.hi) return true;
  if (w.lo == w.hi) {
    d.empty = true;
  } else if (k == w.lo) {
    ++w.lo;
  } else if (k == w.hi) {
    --w.hi;
  } else {
    if (high) return false;  // `arg != V` on the high word alone has no spelling
    w.ne.push_back(k);
  }
  return true;
}

// Adds what taking side `taken` of test `n` says. false: the language cannot say it (d is then
// left unchanged).
bool add(Dom& d, const Node& n, bool taken) {
  Dom out = d;
  WordDom& w = out.words[n.word];
  const bool high = word_is_high(n.word);
  bool ok = true;
  switch (n.op) {
    case BPF_JEQ:
      if (n.value & ~n.mask) {  // never equal
        if (taken) out.empty = true;
      } else if (n.mask != kFull) {
        ok = taken && require_bits(out, w, n.mask, n.value);
      } else if (taken) {
        w.lo = std::max(w.lo, n.value), w.hi = std::min(w.hi, n.value);
        if (w.lo > w.hi) out.empty = true;
      } else {
        ok = exclude(out, w, n.value, high);
      }
      break;
    case BPF_JGT:
    case BPF_JGE: {
      if (n.mask != kFull) return false;
      // a > k is a >= k+1; a >= k is a > k-1.
      const bool gt = n.op == BPF_JGT;
      if (taken) {
        if (gt && n.value == kFull)
          out.empty = true;
        else
          w.lo = std::max(w.lo, gt ? n.value + 1 : n.value);
      } else {
        if (!gt && n.value == 0)
          out.empty = true;
        else
          w.hi = std::min(w.hi, gt ? n.value : n.value - 1);
      }
      if (w.lo > w.hi) out.empty = true;
      break;
    }
    default: {  // BPF_JSET
      const uint32_t b = n.value & n.mask;
      if (b == 0) {
        if (taken) out.empty = true;
      } else if (!taken) {
        require_bits(out, w, b, 0);
      } else if (std::popcount(b) == 1) {
        require_bits(out, w, b, b);
      } else {
        ok = false;  // "one of these bits set" has no spelling
      }
    }
  }
  if (ok) d = std::move(out);
  return ok;
}

bool satisfiable(const Dom& d) {
  if (d.empty) return false;
  for (const auto& [index, w] : d.words) {
    if (w.lo > w.hi) return false;
    if (w.lo == w.hi && !w.holds(w.lo)) return false;
    if (w.mask == kFull && !w.holds(w.bits)) return false;
  }
  return true;
}

struct RuleList {
  std::vector<std::pair<Dom, uint32_t>> rules;  // first match decides
  bool reached_skip = false;
};

// Rules in first-match order for the graph below a node. Each test's two sides are written one
// after the other, the side whose condition the language can say first; the second side needs
// the negation only when inputs of the first side can fall through (they reached `skip`, the
// node the caller writes next). A node both sides reach is written once, after them.
class Lister {
 public:
  Lister(const std::vector<Node>& nodes, uint32_t default_ret)
      : nodes_(nodes), default_ret_(default_ret) {
    const size_t n = nodes.size(), words = (n + 63) / 64;
    reach_.assign(n, std::vector<uint64_t>(words, 0));
    for (size_t i = 0; i < n; ++i) {  // children come before their parents
      reach_[i][i / 64] |= 1ULL << (i % 64);
      if (nodes[i].ret) continue;
      for (int c : {nodes[i].t, nodes[i].f})
        for (size_t w = 0; w < words; ++w) reach_[i][w] |= reach_[c][w];
    }
  }

  RuleList list(int n, const Dom& d, int skip) {
    if (++calls_ > kListBudget) throw Unsupported{"the filter has too many paths to follow"};
    if (n == skip) return {{}, true};
    if (!satisfiable(d)) return {};
    const Node& x = nodes_[n];
    if (x.ret) return {{{d, x.value}}, false};
    struct Order {
      bool first_taken;
      int first_skip;
    };
    std::vector<Order> orders;
    const Node &t = nodes_[x.t], &f = nodes_[x.f];
    // A side that gives the default goes last, where trailing default rules are dropped; another
    // return goes first; between two tests, the one both reach goes last and is written once.
    if ((t.ret && t.value == default_ret_) || (f.ret && f.value != default_ret_ && !t.ret))
      orders = {{false, skip}, {true, skip}};
    else if (f.ret || t.ret)
      orders = {{true, skip}, {false, skip}};
    else if (reaches(x.t, x.f))
      orders = {{true, x.f}, {false, skip}};
    else if (reaches(x.f, x.t))
      orders = {{false, x.t}, {true, skip}};
    else
      orders = {{true, skip}, {false, skip}};
    for (const Order& o : orders) {
      const int first = o.first_taken ? x.t : x.f, second = o.first_taken ? x.f : x.t;
      Dom da = d;
      if (!add(da, x, o.first_taken)) continue;
      RuleList ra = list(first, da, o.first_skip);
      RuleList rb;
      if (o.first_skip == second) {
        rb = list(second, d, skip);
      } else {
        Dom db = d;
        const bool negated = ra.reached_skip && add(db, x, !o.first_taken);
        rb = list(second, db, skip);
        if (ra.reached_skip && !negated && !rb.rules.empty()) continue;
        rb.reached_skip = rb.reached_skip || ra.reached_skip;
      }
      ra.rules.insert(ra.rules.end(), rb.rules.begin(), rb.rules.end());
      ra.reached_skip = rb.reached_skip;
      return ra;
    }
    throw Unsupported{
        "the filter tests argument words in a way the policy language cannot say "
        "(a masked inequality or \"any of several bits set\")"};
  }

 private:
  bool reaches(int from, int to) const { return (reach_[from][to / 64] >> (to % 64)) & 1; }

  const std::vector<Node>& nodes_;
  const uint32_t default_ret_;
  std::vector<std::vector<uint64_t>> reach_;
  size_t calls_ = 0;
};

// ---- from word conditions to the language's comparisons ----

// One argument's condition: a 64-bit range [a, b] when it is one (so that neighbouring rules can
// join: libseccomp splits `arg > V` into a high-word and a low-word test), else comparisons.
struct ArgCond {
  unsigned arg = 0;
  bool range = false;
  uint64_t a = 0, b = 0;
  ir::Conjunction cmps;
  bool operator==(const ArgCond& o) const {
    return arg == o.arg && range == o.range && a == o.a && b == o.b && cmps == o.cmps;
  }
};

struct WordRule {
  std::vector<ArgCond> args;
  uint32_t ret = 0;
};

ir::Comparison cmp(unsigned arg, ir::CmpOp op, uint64_t value, ir::ArgWidth width,
                   uint64_t mask = kAll64) {
  return ir::Comparison{.arg = arg,
                        .arg_name = "arg" + std::to_string(arg),
                        .op = op,
                        .value = value,
                        .mask = mask,
                        .width = width,
                        .loc = {}};
}

void range_comparisons(ir::Conjunction& out, unsigned arg, uint64_t a, uint64_t b,
                       ir::ArgWidth width, uint64_t top) {
  if (a == b) {
    out.push_back(cmp(arg, ir::CmpOp::Eq, a, width));
    return;
  }
  if (a > 0) out.push_back(cmp(arg, ir::CmpOp::Ge, a, width));
  if (b < top) out.push_back(cmp(arg, ir::CmpOp::Le, b, width));
}

bool exact_or_bits(const WordDom* w, uint32_t& mask, uint32_t& bits) {
  if (!w) return mask = 0, bits = 0, true;
  if (!w->ne.empty()) return false;
  if (w->lo == w->hi) return mask = kFull, bits = w->lo, true;
  if (w->lo != 0 || w->hi != kFull) return false;
  return mask = w->mask, bits = w->bits, true;
}

// nullopt: the rule can hold for no call on this arch (a high-word test on a 32-bit arch, where
// the high word is always 0).
std::optional<std::vector<ArgCond>> arg_conditions(const Dom& d, bool arch32) {
  std::vector<ArgCond> out;
  for (const auto& [index, w] : d.words)
    if (index < 4 && !w.trivial()) throw Unsupported{"the filter tests the instruction pointer"};
  for (unsigned arg = 0; arg < 6; ++arg) {
    const WordDom *lo = nullptr, *hi = nullptr;
    for (uint32_t index : {4 + 2 * arg, 5 + 2 * arg}) {
      auto it = d.words.find(index);
      if (it == d.words.end() || it->second.trivial()) continue;
      (word_is_high(index) ? hi : lo) = &it->second;
    }
    if (arch32 && hi) {
      if (!hi->holds(0)) return std::nullopt;
      hi = nullptr;
    }
    if (!lo && !hi) continue;
    ArgCond c;
    c.arg = arg;
    const auto plain = [](const WordDom* w) { return !w || (w->ne.empty() && w->mask == 0); };
    const uint32_t llo = lo ? lo->lo : 0, lhi = lo ? lo->hi : kFull;
    const uint32_t hlo = hi ? hi->lo : 0, hhi = hi ? hi->hi : kFull;
    if (plain(lo) && plain(hi)) {
      if (arch32) {
        c.range = true, c.a = llo, c.b = lhi == kFull && llo != lhi ? kAll64 : lhi;
      } else if (hlo == hhi) {
        c.range = true, c.a = uint64_t{hlo} << 32 | llo, c.b = uint64_t{hlo} << 32 | lhi;
      } else if (llo == 0 && lhi == kFull) {
        c.range = true, c.a = uint64_t{hlo} << 32, c.b = uint64_t{hhi} << 32 | kFull;
      }
    }
    if (!c.range) {
      uint32_t hm, hb, lm, lb;
      if (exact_or_bits(hi, hm, hb) && exact_or_bits(lo, lm, lb)) {
        // One masked 64-bit comparison: libseccomp's `arg & M == V` tests both words so.
        const uint64_t mask = uint64_t{hm} << 32 | lm, bits = uint64_t{hb} << 32 | lb;
        if (arch32 || hm == 0) {  // the low word alone: u32(arg)
          if (lm == kFull)
            c.cmps.push_back(cmp(arg, ir::CmpOp::Eq, lb, ir::ArgWidth::Bits32));
          else
            c.cmps.push_back(cmp(arg, ir::CmpOp::MaskedEq, lb, ir::ArgWidth::Bits32, lm));
        } else {
          c.cmps.push_back(cmp(arg, ir::CmpOp::MaskedEq, bits, ir::ArgWidth::Bits64, mask));
        }
      } else {
        if (hi) {
          if (!hi->ne.empty()) throw Unsupported{"the filter excludes a high-word value"};
          range_comparisons(c.cmps, arg, uint64_t{hlo} << 32, uint64_t{hhi} << 32 | kFull,
                            ir::ArgWidth::Bits64, kAll64);
          if (hi->mask)
            c.cmps.push_back(cmp(arg, ir::CmpOp::MaskedEq, uint64_t{hi->bits} << 32,
                                 ir::ArgWidth::Bits64, uint64_t{hi->mask} << 32));
        }
        if (lo) {
          range_comparisons(c.cmps, arg, llo, lhi, ir::ArgWidth::Bits32, kFull);
          if (llo != lhi) {
            for (uint32_t v : lo->ne)
              c.cmps.push_back(cmp(arg, ir::CmpOp::Ne, v, ir::ArgWidth::Bits32));
            if (lo->mask)
              c.cmps.push_back(
                  cmp(arg, ir::CmpOp::MaskedEq, lo->bits, ir::ArgWidth::Bits32, lo->mask));
          }
        }
      }
    }
    if (c.range && c.a == 0 && c.b == kAll64) continue;
    out.push_back(std::move(c));
  }
  return out;
}

// Neighbouring rules with one action that differ only in one argument's adjoining ranges are one
// rule: `arg > V` and `arg < V` come out of libseccomp as a high-word and a low-word rule.
void join_ranges(std::vector<WordRule>& rules) {
  for (size_t i = 0; i + 1 < rules.size();) {
    WordRule &r = rules[i], &s = rules[i + 1];
    int differ = -1;
    bool joinable = r.ret == s.ret && r.args.size() == s.args.size();
    for (size_t k = 0; joinable && k < r.args.size(); ++k) {
      if (r.args[k] == s.args[k]) continue;
      const ArgCond &x = r.args[k], &y = s.args[k];
      const bool adjoin = x.arg == y.arg && x.range && y.range &&
                          ((x.b != kAll64 && x.b + 1 == y.a) || (y.b != kAll64 && y.b + 1 == x.a));
      if (!adjoin || differ >= 0) joinable = false;
      differ = static_cast<int>(k);
    }
    if (!joinable || differ < 0) {
      ++i;
      continue;
    }
    ArgCond& x = r.args[differ];
    const ArgCond& y = s.args[differ];
    x.a = std::min(x.a, y.a), x.b = std::max(x.b, y.b);
    if (x.a == 0 && x.b == kAll64) r.args.erase(r.args.begin() + differ);
    rules.erase(rules.begin() + static_cast<long>(i) + 1);
    if (i > 0) --i;
  }
}

using RuleSeq = std::vector<std::pair<ir::Conjunction, ir::Action>>;

ir::Conjunction conjunction(const std::vector<ArgCond>& args) {
  ir::Conjunction out;
  for (const ArgCond& c : args) {
    if (c.range)
      range_comparisons(out, c.arg, c.a, c.b, ir::ArgWidth::Bits64, kAll64);
    else
      out.insert(out.end(), c.cmps.begin(), c.cmps.end());
  }
  return out;
}

// The rules deciding one call on one arch, first match first, with the trailing rules that give
// the default dropped and nothing after an unconditional rule.
RuleSeq decide_call(const Program& prog, const std::vector<uint32_t>& live, uint32_t arch,
                    uint32_t nr, const ir::Action& default_action) {
  const seccomp_data data = make_seccomp_data(arch, nr);
  Walker walker(prog, live, data);
  const int root = walker.walk(0, State{});
  Lister lister(walker.nodes, ret_of(default_action));
  const RuleList listed = lister.list(root, Dom{}, -1);
  const bool arch32 = arch_is_32bit(arch);
  std::vector<WordRule> rules;
  for (const auto& [dom, ret] : listed.rules) {
    auto args = arg_conditions(dom, arch32);
    if (!args) continue;
    rules.push_back({std::move(*args), ret});
    if (rules.back().args.empty()) break;  // later rules are never reached
  }
  join_ranges(rules);
  RuleSeq seq;
  for (const WordRule& r : rules) {
    const ir::Action action = action_of(r.ret);
    // A short range of one argument reads better as its values: `arg in {1, 2}`.
    if (r.args.size() == 1 && r.args[0].range && r.args[0].a != r.args[0].b &&
        r.args[0].b - r.args[0].a < 4) {
      for (uint64_t v = r.args[0].a; v <= r.args[0].b; ++v)
        seq.emplace_back(
            ir::Conjunction{cmp(r.args[0].arg, ir::CmpOp::Eq, v, ir::ArgWidth::Bits64)}, action);
      continue;
    }
    seq.emplace_back(conjunction(r.args), action);
    if (seq.back().first.empty()) break;
  }
  // A rule whose condition an earlier rule already has is never reached.
  for (size_t i = 1; i < seq.size();) {
    const bool seen = std::any_of(seq.begin(), seq.begin() + static_cast<long>(i),
                                  [&](const auto& e) { return e.first == seq[i].first; });
    if (seen)
      seq.erase(seq.begin() + static_cast<long>(i));
    else
      ++i;
  }
  while (!seq.empty() && seq.back().second == default_action) seq.pop_back();
  return seq;
}

// Whether two arches' rules for a call say the same, reading a 32-bit arch's values as it
// compares them (low 32 bits).
bool same_rules(const RuleSeq& a, const RuleSeq& b, bool b_is_32bit) {
  if (a.size() != b.size()) return false;
  const uint64_t cut = b_is_32bit ? kFull : kAll64;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i].second == b[i].second) || a[i].first.size() != b[i].first.size()) return false;
    for (size_t k = 0; k < a[i].first.size(); ++k) {
      const ir::Comparison &x = a[i].first[k], &y = b[i].first[k];
      const bool width_ok = b_is_32bit || x.width == y.width;
      if (x.arg != y.arg || x.op != y.op || !width_ok || (x.value & cut) != (y.value & cut) ||
          (x.op == ir::CmpOp::MaskedEq && (x.mask & cut) != (y.mask & cut)) ||
          (b_is_32bit && x.value > kFull && x.op != ir::CmpOp::MaskedEq))
        return false;
    }
  }
  return true;
}

// The numbers of an arch's calls: libseccomp's names resolved there, and the numbers of its
// first 1024 that it names (x86's socket() is 359 there, while resolving "socket" gives the
// socketcall multiplexer's pseudo-number).
std::vector<int> call_numbers(uint32_t arch) {
  std::vector<int> out = names::arch_syscall_numbers(arch);
  const int base = out.empty() ? 0 : out.front() & ~0xfff;
  for (int nr = base; nr < base + 1024; ++nr)
    if (names::syscall_name(nr, arch)) out.push_back(nr);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// An architecture none of `arches` is, for the filter's verdict on a foreign one.
std::optional<uint32_t> foreign_arch(const std::vector<uint32_t>& arches) {
  std::set<uint32_t> audit;
  for (uint32_t a : arches) audit.insert(audit_arch(a));
  for (const std::string& n : names::all_arch_names()) {
    auto t = names::arch_token(n);
    if (t && !audit.count(audit_arch(*t))) return t;
  }
  return std::nullopt;
}

Program combine_two(const Program& newer, const Program& older) {
  // Every return of `newer` jumps to a copy of `older` whose returns give the stronger verdict.
  std::vector<uint32_t> values;
  for (const sock_filter& f : newer) {
    if (BPF_CLASS(f.code) != BPF_RET) continue;
    if (BPF_RVAL(f.code) != BPF_K)
      throw Error("cannot combine seccomp filters: a filter returns its accumulator");
    if (std::find(values.begin(), values.end(), f.k) == values.end()) values.push_back(f.k);
  }
  if (newer.size() + values.size() * older.size() > kMaxInstructions)
    throw Error(
        "cannot combine the process's seccomp filters into one program: it would be "
        "longer than " +
        std::to_string(kMaxInstructions) + " instructions");
  Program out = newer;
  for (size_t pc = 0; pc < newer.size(); ++pc) {
    if (BPF_CLASS(newer[pc].code) != BPF_RET) continue;
    const size_t block = std::find(values.begin(), values.end(), newer[pc].k) - values.begin();
    const size_t target = newer.size() + block * older.size();
    out[pc] = BPF_STMT(BPF_JMP | BPF_JA, static_cast<uint32_t>(target - pc - 1));
  }
  for (uint32_t v : values)
    for (sock_filter f : older) {
      if (BPF_CLASS(f.code) == BPF_RET) {
        if (BPF_RVAL(f.code) != BPF_K)
          throw Error("cannot combine seccomp filters: a filter returns its accumulator");
        f.k = stronger(v, f.k);
      }
      out.push_back(f);
    }
  return out;
}

}  // namespace

Program combined(const std::vector<Program>& filters) {
  if (filters.empty()) return {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  Program acc = filters.back();  // the most recently installed
  for (size_t i = filters.size() - 1; i-- > 0;) acc = combine_two(acc, filters[i]);
  return acc;
}

Decompiled decompile(const Program& prog, const std::vector<uint32_t>& arches) {
  validate_program(prog);
  const std::vector<uint32_t> live = live_registers(prog);
  Decompiled out;
  ir::SeccompPolicy& policy = out.policy;

  // The verdict on a foreign arch: kill unless the filter says otherwise (bad_arch_action).
  std::optional<uint32_t> bad_ret;
  if (auto foreign = foreign_arch(arches))
    bad_ret = run_filter_unchecked(prog, make_seccomp_data(*foreign, 0)).ret;
  // Targets: the arches whose calls the filter does not refuse as a whole; the default: the most
  // common verdict on them with all arguments 0.
  std::map<uint32_t, size_t> verdicts;
  for (uint32_t arch : arches) {
    std::map<uint32_t, size_t> here;
    for (int nr : call_numbers(arch))
      ++here[run_filter_unchecked(prog, make_seccomp_data(arch, nr)).ret];
    if (bad_ret && here.size() == 1 && here.begin()->first == *bad_ret) continue;
    policy.arches.push_back(arch);
    for (const auto& [ret, count] : here) verdicts[ret] += count;
  }
  const auto kills = [](const ir::Action& a) {
    return a.kind == ir::ActionKind::KillProcess || a.kind == ir::ActionKind::KillThread;
  };
  if (bad_ret && !kills(action_of(*bad_ret))) {
    policy.bad_arch_action = action_of(*bad_ret);
    // The language always kills calls of other architectures; a filter that does not is worth
    // saying (a missing arch check lets a process call through another ABI's numbers).
    out.notes.push_back("calls of architectures the filter does not name get " +
                        seccomp::describe(*policy.bad_arch_action) +
                        ", where a policy's filter kills them");
  }
  // The default is what numbers no rule names get: the gaps in the native arch's table (x86_64
  // has none between 335 and 423); without gaps, the most common verdict.
  if (!policy.arches.empty()) {
    const uint32_t native = policy.arches.front();
    const std::vector<int> known = call_numbers(native);
    const std::set<int> numbers(known.begin(), known.end());
    std::map<uint32_t, size_t> gaps;
    for (int nr = known.empty() ? 0 : *numbers.begin(); nr < names::highest_syscall_number(native);
         ++nr)
      if (!numbers.count(nr)) ++gaps[run_filter_unchecked(prog, make_seccomp_data(native, nr)).ret];
    if (!gaps.empty()) verdicts = gaps;
  }
  uint32_t default_ret = SECCOMP_RET_KILL_PROCESS;
  size_t best = 0;
  for (const auto& [ret, count] : verdicts)
    if (count > best) best = count, default_ret = ret;
  policy.default_action = action_of(default_ret);

  // Each call on each target arch; then the arches that say the same share one rule.
  std::map<std::string, std::vector<std::pair<uint32_t, RuleSeq>>> by_name;
  for (uint32_t arch : policy.arches) {
    for (int nr : call_numbers(arch)) {
      const auto name = names::syscall_name(nr, arch);
      if (!name) continue;
      RuleSeq seq;
      try {
        seq = decide_call(prog, live, arch, static_cast<uint32_t>(nr), policy.default_action);
      } catch (const Unsupported& u) {
        const ir::Action a = action_of(run_filter_unchecked(prog, make_seccomp_data(arch, nr)).ret);
        out.notes.push_back(names::arch_name(arch) + " " + *name + ": " + u.why +
                            "; written as its verdict when every argument is 0 (" +
                            seccomp::describe(a) + ")");
        if (!(a == policy.default_action)) seq.emplace_back(ir::Conjunction{}, a);
      }
      by_name[*name].emplace_back(arch, std::move(seq));
    }
  }
  for (auto& [name, per_arch] : by_name) {
    std::vector<bool> done(per_arch.size(), false);
    for (size_t i = 0; i < per_arch.size(); ++i) {
      if (done[i]) continue;
      std::vector<uint32_t> group{per_arch[i].first};
      for (size_t j = i + 1; j < per_arch.size(); ++j)
        if (!done[j] &&
            same_rules(per_arch[i].second, per_arch[j].second, arch_is_32bit(per_arch[j].first)))
          done[j] = true, group.push_back(per_arch[j].first);
      if (group.size() == per_arch.size()) group.clear();  // every arch that has the call
      for (const auto& [conj, action] : per_arch[i].second) {
        ir::SyscallRule r;
        r.syscall = name;
        r.action = action;
        if (!conj.empty()) r.args = {conj};
        r.arches = group;
        policy.rules.push_back(std::move(r));
      }
    }
  }
  // Conditional rules before unconditional ones, each kind in the order found (docs/language.md:
  // conditional rules are tried first anyway).
  std::stable_partition(policy.rules.begin(), policy.rules.end(),
                        [](const ir::SyscallRule& r) { return !r.args.empty(); });
  return out;
}

}  // namespace policy::seccomp
