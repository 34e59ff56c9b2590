#include "compiler/bpfgen/dispatch.hpp"

#include <linux/filter.h>

#include <algorithm>
#include <limits>

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

}  // namespace

NodeId build_search(Graph& graph, std::vector<NumberRange> ranges, double size_cost) {
  std::vector<NumberRange> merged;
  for (const NumberRange& x : ranges) {
    if (!merged.empty() && merged.back().leaf == x.leaf && merged.back().hi + 1 == x.lo) {
      merged.back().hi = x.hi;
      merged.back().weight += x.weight;
    } else {
      merged.push_back(x);
    }
  }
  if (merged.size() > 600) return balanced(graph, merged, 0, merged.size() - 1);
  Search s{graph, merged, merged.size(), {}, {}, {}, {}};
  s.solve(size_cost);
  return s.emit(0, merged.size() - 1);
}

}  // namespace policy::bpfgen
