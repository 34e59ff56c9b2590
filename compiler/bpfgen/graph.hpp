// The program as a graph before layout: every node is one BPF instruction, identical nodes are
// created once (hash-consing), so identical tails - return blocks, argument checks repeated for
// several syscalls or architectures - are shared, and unreachable code is never emitted.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "compiler/seccomp/program.hpp"

namespace policy::bpfgen {

using NodeId = int;

struct Node {
  enum class Kind : uint8_t { Ret, Load, And, Jump };
  Kind kind = Kind::Ret;
  uint16_t op = 0;    // Jump: BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET (always against K)
  uint32_t k = 0;     // Ret: the SECCOMP_RET_* value; Load: seccomp_data offset; And: mask
  NodeId next = -1;   // Load/And: the following node; Jump: the target when the test holds
  NodeId other = -1;  // Jump: the target when it does not
  bool operator==(const Node&) const = default;
};

class Graph {
 public:
  NodeId ret(uint32_t value);
  NodeId load(uint32_t offset, NodeId next);
  NodeId and_mask(uint32_t mask, NodeId next);
  // A test of the accumulator; collapses to the common target when both are the same.
  NodeId jump(uint16_t op, uint32_t k, NodeId if_true, NodeId if_false);
  const Node& at(NodeId id) const { return nodes_[static_cast<size_t>(id)]; }
  size_t size() const { return nodes_.size(); }

 private:
  NodeId intern(const Node& n);
  struct Hash {
    size_t operator()(const Node& n) const;
  };
  std::vector<Node> nodes_;
  std::unordered_map<Node, NodeId, Hash> index_;
};

// Lays the graph reachable from `root` out as a program: loads whose word is already in the
// accumulator on every path are dropped, fall-through is used where it can be, conditional jumps
// further than 255 instructions go through a nearby copy of the return or a JA, and the kernel's
// limit is enforced (policy::Error beyond 4096 instructions).
seccomp::Program emit(const Graph& graph, NodeId root);

}  // namespace policy::bpfgen
