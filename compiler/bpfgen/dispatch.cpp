#include "compiler/bpfgen/dispatch.hpp"

#include <linux/filter.h>

#include <algorithm>
#include <limits>
#include <optional>

namespace policy::bpfgen {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr size_t kMaxChain = 12;

struct Search {
  Graph& g;
  const std::vector<NumberRange>& r;
  size_t n;
  std::vector<double> cost;  // n*n
  std::vector<int> choice;   // >0: split at that index; -1: leaf; -2: JEQ chain
  std::vector<NodeId> chain_bg;
  std::vector<double> prefix;

  double weight(size_t i, size_t j) const { return prefix[j + 1] - prefix[i]; }
  size_t at(size_t i, size_t j) const { return i * n + j; }

  // Cost of testing the single-number exceptions of [i..j] one by one (heaviest first) around a
  // background outcome; infinite when that shape does not fit.
  void chains(double size_cost) {
    for (size_t i = 0; i < n; ++i) {
      for (size_t cand = i; cand < std::min(n, i + 2); ++cand) {
        const NodeId bg = r[cand].leaf;
        std::vector<double> ex;  // exception weights, sorted descending
        double bg_weight = 0;
        for (size_t j = i; j < n; ++j) {
          if (r[j].leaf == bg) {
            bg_weight += r[j].weight;
          } else {
            if (r[j].lo != r[j].hi || ex.size() >= kMaxChain) break;
            ex.insert(std::upper_bound(ex.begin(), ex.end(), r[j].weight, std::greater<>()),
                      r[j].weight);
          }
          if (j == i || ex.empty()) continue;
          double c = static_cast<double>(ex.size()) * (bg_weight + size_cost);
          for (size_t t = 0; t < ex.size(); ++t) c += static_cast<double>(t + 1) * ex[t];
          if (c < cost[at(i, j)]) {
            cost[at(i, j)] = c;
            choice[at(i, j)] = -2;
            chain_bg[at(i, j)] = bg;
          }
        }
      }
    }
  }

  void solve(double size_cost) {
    prefix.assign(n + 1, 0);
    for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + r[i].weight;
    cost.assign(n * n, kInf);
    choice.assign(n * n, -1);
    chain_bg.assign(n * n, -1);
    for (size_t i = 0; i < n; ++i) cost[at(i, i)] = 0;
    chains(size_cost);
    for (size_t len = 2; len <= n; ++len) {
      for (size_t i = 0; i + len <= n; ++i) {
        const size_t j = i + len - 1;
        double best = cost[at(i, j)];
        int pick = choice[at(i, j)];
        const double here = weight(i, j) + size_cost;
        for (size_t k = i + 1; k <= j; ++k) {
          double c = here + cost[at(i, k - 1)] + cost[at(k, j)];
          if (c < best) {
            best = c;
            pick = static_cast<int>(k);
          }
        }
        cost[at(i, j)] = best;
        choice[at(i, j)] = pick;
      }
    }
  }

  NodeId emit(size_t i, size_t j) {
    if (i == j) return r[i].leaf;
    const int c = choice[at(i, j)];
    if (c == -2) {
      const NodeId bg = chain_bg[at(i, j)];
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

std::vector<NumberRange> merge(const std::vector<NumberRange>& ranges) {
  // Pieces of one domain in order: values between two pieces cannot reach this node, so
  // neighbours with the same outcome merge whether or not they touch.
  std::vector<NumberRange> merged;
  for (const NumberRange& x : ranges) {
    if (!merged.empty() && merged.back().leaf == x.leaf) {
      merged.back().hi = x.hi;
      merged.back().weight += x.weight;
    } else {
      merged.push_back(x);
    }
  }
  return merged;
}

// A piece wider than this is not cut by a bit test: it goes whole to both sides (it is one
// outcome, so either side decides it right), at half its weight each.
constexpr uint64_t kMaxCutWidth = 4096;
constexpr int kMaxPlanDepth = 8;        // levels on which bit tests are considered
constexpr size_t kMaxPlanRanges = 300;  // larger domains: comparisons only (the DP is cubic)
constexpr uint32_t kBitTests = 10;      // JSET on bits 0..9: syscall numbers are below 1024

struct Split {
  std::vector<NumberRange> on, off;
};

// The domain cut by JSET `mask` (one bit); nullopt when one side would hold everything.
std::optional<Split> split_by_bit(const std::vector<NumberRange>& domain, uint32_t mask) {
  Split s;
  bool only_on = false, only_off = false;
  for (const NumberRange& x : domain) {
    const uint64_t width = static_cast<uint64_t>(x.hi) - x.lo + 1;
    if (width > kMaxCutWidth) {
      NumberRange half = x;
      half.weight /= 2;
      s.on.push_back(half);
      s.off.push_back(half);
      continue;
    }
    for (uint64_t v = x.lo; v <= x.hi;) {
      const uint64_t end = std::min<uint64_t>(x.hi, v | (mask - 1));  // bit constant up to here
      NumberRange part{static_cast<uint32_t>(v), static_cast<uint32_t>(end), x.leaf,
                       x.weight * static_cast<double>(end - v + 1) / static_cast<double>(width)};
      if (v & mask) {
        s.on.push_back(part);
        only_on = true;
      } else {
        s.off.push_back(part);
        only_off = true;
      }
      v = end + 1;
    }
  }
  if (!only_on || !only_off) return std::nullopt;
  return s;
}

double total_weight(const std::vector<NumberRange>& d) {
  double w = 0;
  for (const NumberRange& x : d) w += x.weight;
  return w;
}

double comparison_cost(Graph& g, const std::vector<NumberRange>& d, double size_cost) {
  if (d.size() <= 1) return 0;
  Search s{g, d, d.size(), {}, {}, {}, {}};
  s.solve(size_cost);
  return s.cost[s.at(0, d.size() - 1)];
}

struct Plan {
  double cost;
  NodeId node;
};

// The cheapest of: the comparison tree; a JSET on one bit of the number (the bit whose two sides
// have the cheapest comparison trees) with the best plan on each side; the comparison tree's own
// first JGE with the best plan on each side. Bit tests reach a few levels down the tree this way.
// `pieces` are the domain before merging: cutting a merged range would spread its weight over
// numbers that carry none.
Plan plan(Graph& g, const std::vector<NumberRange>& pieces, double size_cost, int depth) {
  const std::vector<NumberRange> d = merge(pieces);
  if (d.size() == 1) return {0, d[0].leaf};
  if (d.size() > 600) return {0, balanced(g, d, 0, d.size() - 1)};
  Search s{g, d, d.size(), {}, {}, {}, {}};
  s.solve(size_cost);
  Plan best{s.cost[s.at(0, d.size() - 1)], -1};
  if (depth >= kMaxPlanDepth || d.size() < 3 || d.size() > kMaxPlanRanges)
    return {best.cost, s.emit(0, d.size() - 1)};
  const double here = total_weight(d) + size_cost;

  std::optional<Split> cut;
  uint32_t mask = 0;
  double estimate = best.cost;
  for (uint32_t bit = 0; bit < kBitTests; ++bit) {
    std::optional<Split> c = split_by_bit(pieces, 1U << bit);
    if (!c) continue;
    const double e = here + comparison_cost(g, merge(c->on), size_cost) +
                     comparison_cost(g, merge(c->off), size_cost);
    if (e < estimate) {
      estimate = e;
      cut = std::move(c);
      mask = 1U << bit;
    }
  }
  if (cut) {
    const Plan on = plan(g, cut->on, size_cost, depth + 1);
    const Plan off = plan(g, cut->off, size_cost, depth + 1);
    const double cost = here + on.cost + off.cost;
    if (cost < best.cost) best = {cost, g.jump(BPF_JSET, mask, on.node, off.node)};
  }

  if (const int k = s.choice[s.at(0, d.size() - 1)]; k > 0) {
    const uint32_t at = d[static_cast<size_t>(k)].lo;
    std::vector<NumberRange> below, above;
    for (const NumberRange& x : pieces) (x.lo < at ? below : above).push_back(x);
    const Plan lo = plan(g, below, size_cost, depth + 1);
    const Plan hi = plan(g, above, size_cost, depth + 1);
    const double cost = here + lo.cost + hi.cost;
    if (cost < best.cost) best = {cost, g.jump(BPF_JGE, at, hi.node, lo.node)};
  }
  if (best.node < 0) best.node = s.emit(0, d.size() - 1);
  return best;
}

}  // namespace

NodeId build_search(Graph& graph, std::vector<NumberRange> ranges, double size_cost) {
  return plan(graph, ranges, size_cost, 0).node;
}

}  // namespace policy::bpfgen
