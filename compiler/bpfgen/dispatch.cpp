#include "compiler/bpfgen/dispatch.hpp"

#include <linux/filter.h>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <stdexcept>

namespace policy::bpfgen {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr size_t kMaxChain = 12;
constexpr int16_t kChainFirst = -2, kChainSecond = -3;  // background: outcome of range i, i + 1
constexpr size_t kMaxSearchRanges = 600;
constexpr size_t kKnuthSlack = 2;  // larger domains: split where the weight halves

// The tables of one search, kept between searches: plan() runs thousands of them, and a fresh
// n*n allocation for each cost more than the search itself.
// Every table holds the intervals [i..j], i <= j, row by row (a triangle: first touches of fresh
// pages are most of a small search's cost on a VM).
struct Tables {
  std::vector<double> cost;
  std::vector<int16_t> choice;  // >0: split at that index; kChainFirst/kChainSecond: JEQ chain
  std::vector<uint16_t> root;   // the best plain split of [i..j] (Knuth's bound)
  std::vector<size_t> row;      // where row i starts
  std::vector<double> prefix;
  std::vector<double> ex;  // chain exception weights (scratch)
};

struct Search {
  Graph& g;
  const std::vector<NumberRange>& r;
  size_t n;
  Tables& t;

  double weight(size_t i, size_t j) const { return t.prefix[j + 1] - t.prefix[i]; }
  size_t at(size_t i, size_t j) const { return t.row[i] + (j - i); }
  double total() const { return n == 1 ? 0 : t.cost[at(0, n - 1)]; }

  // Cost of testing the single-number exceptions of [i..j] one by one (heaviest first) around a
  // background outcome; infinite when that shape does not fit.
  void chains(double size_cost) {
    std::vector<double>& ex = t.ex;  // exception weights, sorted descending
    for (size_t i = 0; i < n; ++i) {
      for (size_t cand = i; cand < std::min(n, i + 2); ++cand) {
        const NodeId bg = r[cand].leaf;
        ex.clear();
        double bg_weight = 0, ranked = 0;  // ranked: sum of (rank + 1) * weight over ex
        for (size_t j = i; j < n; ++j) {
          if (r[j].leaf == bg) {
            bg_weight += r[j].weight;
          } else {
            if (r[j].lo != r[j].hi || ex.size() >= kMaxChain) break;
            const auto pos = std::upper_bound(ex.begin(), ex.end(), r[j].weight, std::greater<>());
            // Inserting at `pos` moves every lighter exception one rank down.
            double lighter = 0;
            for (auto it = pos; it != ex.end(); ++it) lighter += *it;
            ranked += static_cast<double>(pos - ex.begin() + 1) * r[j].weight + lighter;
            ex.insert(pos, r[j].weight);
          }
          if (j == i || ex.empty()) continue;
          const double c = static_cast<double>(ex.size()) * (bg_weight + size_cost) + ranked;
          if (c < t.cost[at(i, j)]) {
            t.cost[at(i, j)] = c;
            t.choice[at(i, j)] = cand == i ? kChainFirst : kChainSecond;
          }
        }
      }
    }
  }

  // Knuth's speed-up: the best split of [i..j] lies between those of [i..j-1] and [i+1..j], which
  // makes the search quadratic instead of cubic. Chains break the monotonicity it rests on, so
  // the bounds come from the best plain split alone (tracked apart from the chosen shape) and are
  // widened by kKnuthSlack on each side: with it docker-default and web get the cubic search's
  // filters (without it web.pol's native mean is 0.2 worse); tests/bpfgen compare the two.
  void solve(double size_cost, bool knuth = true) {
    t.prefix.assign(n + 1, 0);
    for (size_t i = 0; i < n; ++i) t.prefix[i + 1] = t.prefix[i] + r[i].weight;
    t.row.resize(n);
    size_t cells = 0;
    for (size_t i = 0; i < n; ++i) {
      t.row[i] = cells;
      cells += n - i;
    }
    // choice and root are written for every interval before they are read.
    t.cost.assign(cells, kInf);
    t.choice.resize(cells);
    t.root.resize(cells);
    for (size_t i = 0; i < n; ++i) {
      t.cost[at(i, i)] = 0;
      t.root[at(i, i)] = static_cast<uint16_t>(i);
    }
    chains(size_cost);
    for (size_t len = 2; len <= n; ++len) {
      for (size_t i = 0; i + len <= n; ++i) {
        const size_t j = i + len - 1;
        size_t lo = i + 1, hi = j;
        if (knuth) {
          const size_t from = t.root[at(i, j - 1)], to = t.root[at(i + 1, j)];
          lo = std::max(lo, from > kKnuthSlack ? from - kKnuthSlack : 0);
          hi = std::min(hi, std::max(lo, to + kKnuthSlack));
        }
        double split = kInf;
        size_t k_best = lo;
        for (size_t k = lo; k <= hi; ++k) {
          const double c = t.cost[at(i, k - 1)] + t.cost[at(k, j)];
          if (c < split) {
            split = c;
            k_best = k;
          }
        }
        t.root[at(i, j)] = static_cast<uint16_t>(k_best);
        split += weight(i, j) + size_cost;
        if (split < t.cost[at(i, j)]) {
          t.cost[at(i, j)] = split;
          t.choice[at(i, j)] = static_cast<int16_t>(k_best);
        }
      }
    }
  }

  NodeId emit(size_t i, size_t j) {
    if (i == j) return r[i].leaf;
    const int c = t.choice[at(i, j)];
    if (c == kChainFirst || c == kChainSecond) {
      const NodeId bg = r[c == kChainFirst ? i : i + 1].leaf;
      std::vector<size_t> ex;
      for (size_t t = i; t <= j; ++t)
        if (r[t].leaf != bg) ex.push_back(t);
      std::stable_sort(ex.begin(), ex.end(),
                       [&](size_t a, size_t b) { return r[a].weight > r[b].weight; });
      NodeId node = bg;
      for (auto it = ex.rbegin(); it != ex.rend(); ++it)
        node = g.jump(BPF_JEQ, r[*it].lo, r[*it].leaf, node);
      return node;
    }
    const size_t k = static_cast<size_t>(c);
    NodeId left = emit(i, k - 1), right = emit(k, j);
    return g.jump(BPF_JGE, r[k].lo, right, left);
  }
};

// For very many ranges: split where the weight halves (no DP, O(n log n)).
NodeId balanced(Graph& g, const std::vector<NumberRange>& r, size_t i, size_t j) {
  if (i == j) return r[i].leaf;
  double total = 0;
  for (size_t t = i; t <= j; ++t) total += r[t].weight + 1e-3;
  double acc = 0;
  size_t k = i + 1;
  for (size_t t = i; t < j; ++t) {
    acc += r[t].weight + 1e-3;
    k = t + 1;
    if (acc * 2 >= total) break;
  }
  return g.jump(BPF_JGE, r[k].lo, balanced(g, r, k, j), balanced(g, r, i, k - 1));
}

// Pieces of one domain in order: values between two pieces cannot reach this node, so neighbours
// with the same outcome merge whether or not they touch. `first[m]`: the first piece of merged m.
void merge(const NumberRange* begin, const NumberRange* end, std::vector<NumberRange>& merged,
           std::vector<size_t>& first) {
  merged.clear();
  first.clear();
  for (const NumberRange* x = begin; x != end; ++x) {
    if (!merged.empty() && merged.back().leaf == x->leaf) {
      merged.back().hi = x->hi;
      merged.back().weight += x->weight;
    } else {
      merged.push_back(*x);
      first.push_back(static_cast<size_t>(x - begin));
    }
  }
  first.push_back(static_cast<size_t>(end - begin));
}

// A piece wider than this is not cut by a bit test: it goes whole to both sides (it is one
// outcome, so either side decides it right), at half its weight each.
constexpr uint64_t kMaxCutWidth = 4096;
constexpr int kMaxPlanDepth = 8;        // levels on which bit tests are considered
constexpr size_t kMaxPlanRanges = 300;  // larger domains: comparisons only
constexpr uint32_t kBitTests = 10;      // JSET on bits 0..9: syscall numbers are below 1024

// The parts of piece `x` on each side of JSET `mask` (one bit): add(on, part) for each.
template <class Add>
void cut_piece(const NumberRange& x, uint32_t mask, Add add) {
  const uint64_t width = static_cast<uint64_t>(x.hi) - x.lo + 1;
  if (x.weight == 0) {
    // Nothing to share out: on each side, one part from its first number to its last (the other
    // side's numbers between cannot reach there), as its parts would merge into anyway.
    const uint64_t lo = x.lo, hi = x.hi, low = mask - 1;
    for (const bool on : {true, false}) {
      const uint64_t first = ((lo & mask) != 0) == on ? lo : (lo | low) + 1;
      const uint64_t last = ((hi & mask) != 0) == on ? hi : (hi & ~low) - 1;
      if (first <= last && first <= hi && last >= lo)
        add(on, NumberRange{static_cast<uint32_t>(first), static_cast<uint32_t>(last), x.leaf, 0});
    }
    return;
  }
  if (width > kMaxCutWidth) {
    NumberRange half = x;
    half.weight /= 2;
    add(true, half);
    add(false, half);
    return;
  }
  for (uint64_t v = x.lo; v <= x.hi;) {
    const uint64_t last = std::min<uint64_t>(x.hi, v | (mask - 1));  // bit constant up to here
    add((v & mask) != 0,
        NumberRange{static_cast<uint32_t>(v), static_cast<uint32_t>(last), x.leaf,
                    x.weight * static_cast<double>(last - v + 1) / static_cast<double>(width)});
    v = last + 1;
  }
}

struct Split {
  std::vector<NumberRange> on, off;
};

// A domain's pieces cut by one bit, each side's neighbours with the same outcome merged: what the
// bit tests of every node of the domain are ranked with (a node's pieces are a run of the
// domain's, so its sides are runs of these).
struct BitSides {
  std::vector<NumberRange> side[2];  // [0]: bit clear, [1]: bit set
  std::vector<uint32_t> before[2];   // before[s][p]: side s's size before piece p (p = P: after)
  std::vector<uint8_t> joined[2];    // piece p's first part merged into the range before it
  std::vector<double> prefix[2];     // prefix sums of the side's weights (+ a little per range)

  void build(const NumberRange* begin, const NumberRange* end, uint32_t mask) {
    const size_t pieces = static_cast<size_t>(end - begin);
    for (int s = 0; s < 2; ++s) {
      side[s].clear();
      before[s].resize(pieces + 1);
      joined[s].assign(pieces, 0);
    }
    for (size_t p = 0; p < pieces; ++p) {
      for (int s = 0; s < 2; ++s) before[s][p] = static_cast<uint32_t>(side[s].size());
      bool seen[2] = {false, false};
      cut_piece(begin[p], mask, [&](bool on, const NumberRange& part) {
        std::vector<NumberRange>& v = side[on];
        if (!v.empty() && v.back().leaf == part.leaf) {
          if (!seen[on]) joined[on][p] = 1;
          v.back().hi = part.hi;
          v.back().weight += part.weight;
        } else {
          v.push_back(part);
        }
        seen[on] = true;
      });
    }
    for (int s = 0; s < 2; ++s) {
      before[s][pieces] = static_cast<uint32_t>(side[s].size());
      prefix[s].resize(side[s].size() + 1);
      prefix[s][0] = 0;
      for (size_t i = 0; i < side[s].size(); ++i)
        prefix[s][i + 1] = prefix[s][i] + side[s][i].weight + 1e-3;
    }
  }

  // Side s's ranges for pieces [pb, pe): [first, last) (weights at the two ends approximate).
  std::pair<size_t, size_t> run(int s, size_t pb, size_t pe) const {
    size_t first = before[s][pb];
    if (pb < joined[s].size() && joined[s][pb]) --first;
    return {first, before[s][pe]};
  }

  // Cost of the tree that splits side s's ranges [i..j] where their weight halves: an upper
  // bound of the optimal comparison tree, cheap enough to rank bit tests with. Stops once past
  // `budget` (the result is then only known to exceed it).
  double halving_cost(int s, size_t i, size_t j, double size_cost, double budget) const {
    if (i == j) return 0;
    const std::vector<double>& pre = prefix[s];
    double c = pre[j + 1] - pre[i] + size_cost;
    if (c >= budget) return c;
    const double half = (pre[i] + pre[j + 1]) / 2;
    // The first k in (i, j] whose prefix reaches half: [i..k-1] below, [k..j] above.
    size_t k = static_cast<size_t>(std::lower_bound(pre.begin() + static_cast<long>(i) + 1,
                                                    pre.begin() + static_cast<long>(j) + 1, half) -
                                   pre.begin());
    k = std::clamp(k, i + 1, j);
    c += halving_cost(s, i, k - 1, size_cost, budget - c);
    if (c >= budget) return c;
    return c + halving_cost(s, k, j, size_cost, budget - c);
  }
};

struct Plan {
  double cost;
  NodeId node;
};

// Every buffer the planner needs, allocated once per build_search. A domain's search tables stay
// alive while the plans inside it are made: the comparison tree's sides reuse its sub-results,
// and only the sides of a bit test need a search of their own (one level of `levels` per bit test
// on the way down).
struct Planner {
  Graph& g;
  double size_cost;
  struct Level {
    Tables tables;
    std::vector<NumberRange> merged;
    std::vector<size_t> first;
    std::array<BitSides, kBitTests> bits;
    bool bits_ready = false;
  };
  std::vector<Level> levels = std::vector<Level>(kMaxPlanDepth + 1);

  // The best plan for `pieces` (a domain), with bit tests allowed `depth` levels down.
  Plan plan(const NumberRange* begin, const NumberRange* end, int level, int depth) {
    Level& l = levels[static_cast<size_t>(level)];
    merge(begin, end, l.merged, l.first);
    const size_t n = l.merged.size();
    if (n == 1) return {0, l.merged[0].leaf};
    if (n > kMaxSearchRanges) return {0, balanced(g, l.merged, 0, n - 1)};
    Search s{g, l.merged, n, l.tables};
    s.solve(size_cost);
    l.bits_ready = false;
    return plan_range(s, begin, l.first, 0, n - 1, level, depth);
  }

  // The cheapest of: the comparison tree for merged ranges [i..j] of `s`; a JSET on one bit of
  // the number with the best plan on each side; the comparison tree's own first JGE with the best
  // plan on each side. Bit tests reach a few levels down the tree this way. The bit whose sides'
  // weight-halving trees cost least is tried, and only when that bound already beats the
  // comparison tree: a bit test that cannot pay so is not worth two more searches (measured:
  // docs/bpfgen.md). Bit tests cut the pieces (the domain before merging): cutting a merged
  // range would spread its weight over numbers that carry none.
  Plan plan_range(Search& s, const NumberRange* pieces, const std::vector<size_t>& first, size_t i,
                  size_t j, int level, int depth) {
    if (i == j) return {0, s.r[i].leaf};
    Plan best{s.t.cost[s.at(i, j)], -1};
    const size_t n = j - i + 1;
    if (depth >= kMaxPlanDepth || n < 3 || n > kMaxPlanRanges) return {best.cost, s.emit(i, j)};
    const double here = s.weight(i, j) + size_cost;

    Level& l = levels[static_cast<size_t>(level)];
    if (!l.bits_ready) {
      for (uint32_t bit = 0; bit < kBitTests; ++bit)
        l.bits[bit].build(pieces, pieces + first.back(), 1U << bit);
      l.bits_ready = true;
    }
    uint32_t mask = 0;
    double bound = best.cost;
    for (uint32_t bit = 0; bit < kBitTests; ++bit) {
      const BitSides& b = l.bits[bit];
      double e = here;
      for (int side = 0; side < 2 && e < bound; ++side) {
        const auto [lo, hi] = b.run(side, first[i], first[j + 1]);
        if (lo >= hi)
          e = kInf;  // one side would hold everything
        else
          e += b.halving_cost(side, lo, hi - 1, size_cost, bound - e);
      }
      if (e < bound) {
        bound = e;
        mask = 1U << bit;
      }
    }
    if (mask != 0) {
      Split sides;
      for (const NumberRange* x = pieces + first[i]; x != pieces + first[j + 1]; ++x)
        cut_piece(*x, mask, [&](bool on, const NumberRange& part) {
          (on ? sides.on : sides.off).push_back(part);
        });
      // Both sides are planned on the next level, one after the other.
      const Plan on =
          plan(sides.on.data(), sides.on.data() + sides.on.size(), level + 1, depth + 1);
      const Plan off =
          plan(sides.off.data(), sides.off.data() + sides.off.size(), level + 1, depth + 1);
      const double cost = here + on.cost + off.cost;
      if (cost < best.cost) best = {cost, g.jump(BPF_JSET, mask, on.node, off.node)};
    }

    if (const int k = s.t.choice[s.at(i, j)]; k > 0) {
      const size_t m = static_cast<size_t>(k);
      const Plan lo = plan_range(s, pieces, first, i, m - 1, level, depth + 1);
      const Plan hi = plan_range(s, pieces, first, m, j, level, depth + 1);
      const double cost = here + lo.cost + hi.cost;
      if (cost < best.cost) best = {cost, g.jump(BPF_JGE, s.r[m].lo, hi.node, lo.node)};
    }
    if (best.node < 0) best.node = s.emit(i, j);
    return best;
  }
};

}  // namespace

double comparison_search_cost(const std::vector<NumberRange>& ranges, double size_cost,
                              bool exhaustive) {
  std::vector<NumberRange> merged;
  std::vector<size_t> first;
  merge(ranges.data(), ranges.data() + ranges.size(), merged, first);
  if (merged.size() > kMaxSearchRanges)
    throw std::invalid_argument("comparison_search_cost: more ranges than the search takes");
  Tables tables;
  Graph graph;
  Search s{graph, merged, merged.size(), tables};
  s.solve(size_cost, !exhaustive);
  return s.total();
}

NodeId build_search(Graph& graph, std::vector<NumberRange> ranges, double size_cost) {
  Planner planner{graph, size_cost};
  return planner.plan(ranges.data(), ranges.data() + ranges.size(), 0, 0).node;
}

}  // namespace policy::bpfgen
