// Syscall-number dispatch: numbers with the same outcome merged into ranges, searched by the
// binary tree that minimises the weighted number of executed tests (dynamic programming over the
// ranges, with a chain of JEQ where a few single numbers sit inside one outcome).
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/bpfgen/graph.hpp"

namespace policy::bpfgen {

struct NumberRange {
  uint32_t lo = 0, hi = 0;  // inclusive
  NodeId leaf = -1;
  double weight = 0;  // how much the calls in this range matter (frequency)
};

// `ranges` cover 0..0xffffffff in order; adjacent ranges with the same leaf are merged here.
// Returns the node that decides on the syscall number already in the accumulator.
// `size_cost` is what one more instruction costs, in units of weight.
NodeId build_search(Graph& graph, std::vector<NumberRange> ranges, double size_cost);

// The weighted cost of the best comparison tree (JGE splits and JEQ chains) over `ranges`, merged
// as build_search merges them. `exhaustive`: the cubic search every split is tried in, instead of
// the one build_search runs (Knuth's bounds): for tests that compare the two.
double comparison_search_cost(const std::vector<NumberRange>& ranges, double size_cost,
                              bool exhaustive);

}  // namespace policy::bpfgen
