#include "compiler/bpfgen/graph.hpp"

#include <linux/filter.h>

#include <algorithm>
#include <string>

#include "compiler/common/error.hpp"

namespace policy::bpfgen {

size_t Graph::Hash::operator()(const Node& n) const {
  uint64_t h = static_cast<uint64_t>(n.kind) * 0x9e3779b97f4a7c15ULL;
  h ^= (static_cast<uint64_t>(n.op) << 32 | n.k) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= (static_cast<uint64_t>(static_cast<uint32_t>(n.next)) << 32 |
        static_cast<uint32_t>(n.other)) +
       0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return static_cast<size_t>(h);
}

NodeId Graph::intern(const Node& n) {
  auto it = index_.find(n);
  if (it != index_.end()) return it->second;
  NodeId id = static_cast<NodeId>(nodes_.size());
  nodes_.push_back(n);
  index_.emplace(n, id);
  return id;
}

NodeId Graph::ret(uint32_t value) {
  return intern(Node{Node::Kind::Ret, 0, value, -1, -1});
}

NodeId Graph::load(uint32_t offset, NodeId next) {
  return intern(Node{Node::Kind::Load, 0, offset, next, -1});
}

NodeId Graph::and_mask(uint32_t mask, NodeId next) {
  if (mask == 0xffffffffU) return next;
  return intern(Node{Node::Kind::And, 0, mask, next, -1});
}

NodeId Graph::jump(uint16_t op, uint32_t k, NodeId if_true, NodeId if_false) {
  if (if_true == if_false) return if_true;
  return intern(Node{Node::Kind::Jump, op, k, if_true, if_false});
}

namespace {

// Nodes reachable from root, each before all its successors (reverse post-order). For a jump the
// "false" successor is visited last so that it is laid out right after the jump when it can be;
// for a load or AND the only successor directly follows.
std::vector<NodeId> reverse_post_order(const Graph& g, NodeId root) {
  std::vector<NodeId> post;
  std::vector<char> seen(g.size(), 0);
  struct Frame {
    NodeId id;
    int stage;
  };
  std::vector<Frame> stack{{root, 0}};
  seen[static_cast<size_t>(root)] = 1;
  while (!stack.empty()) {
    Frame& f = stack.back();
    const Node& n = g.at(f.id);
    NodeId child = -1;
    if (n.kind == Node::Kind::Jump) {
      if (f.stage == 0)
        child = n.next;
      else if (f.stage == 1)
        child = n.other;
    } else if (n.kind != Node::Kind::Ret && f.stage == 0) {
      child = n.next;
    }
    if (child < 0 &&
        (n.kind == Node::Kind::Ret || f.stage >= (n.kind == Node::Kind::Jump ? 2 : 1))) {
      post.push_back(f.id);
      stack.pop_back();
      continue;
    }
    ++f.stage;
    if (child >= 0 && !seen[static_cast<size_t>(child)]) {
      seen[static_cast<size_t>(child)] = 1;
      stack.push_back({child, 0});
    }
  }
  std::reverse(post.begin(), post.end());
  return post;
}

// Drops loads of a word the accumulator already holds on every path into them.
std::pair<Graph, NodeId> drop_redundant_loads(const Graph& g, NodeId root) {
  constexpr int kUnset = -2, kUnknown = -1;
  std::vector<NodeId> order = reverse_post_order(g, root);
  std::vector<int> in(g.size(), kUnset);
  std::vector<char> redundant(g.size(), 0);
  auto meet = [&](NodeId to, int state) {
    int& s = in[static_cast<size_t>(to)];
    s = (s == kUnset || s == state) ? state : kUnknown;
  };
  in[static_cast<size_t>(root)] = kUnknown;
  for (NodeId id : order) {
    const Node& n = g.at(id);
    int state = in[static_cast<size_t>(id)];
    switch (n.kind) {
      case Node::Kind::Ret:
        break;
      case Node::Kind::Load:
        if (state == static_cast<int>(n.k)) redundant[static_cast<size_t>(id)] = 1;
        meet(n.next, static_cast<int>(n.k));
        break;
      case Node::Kind::And:
        meet(n.next, kUnknown);
        break;
      case Node::Kind::Jump:
        meet(n.next, state);
        meet(n.other, state);
        break;
    }
  }
  Graph out;
  std::vector<NodeId> map(g.size(), -1);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node& n = g.at(*it);
    auto m = [&](NodeId x) { return map[static_cast<size_t>(x)]; };
    NodeId r = -1;
    switch (n.kind) {
      case Node::Kind::Ret:
        r = out.ret(n.k);
        break;
      case Node::Kind::Load:
        r = redundant[static_cast<size_t>(*it)] ? m(n.next) : out.load(n.k, m(n.next));
        break;
      case Node::Kind::And:
        r = out.and_mask(n.k, m(n.next));
        break;
      case Node::Kind::Jump:
        r = out.jump(n.op, n.k, m(n.next), m(n.other));
        break;
    }
    map[static_cast<size_t>(*it)] = r;
  }
  return {std::move(out), map[static_cast<size_t>(root)]};
}

struct Ins {
  uint16_t code = 0;
  uint32_t k = 0;
  int label = -1;      // the node this instruction starts (or a trampoline's own label)
  int target = -1;     // jump: label when true; JA: its target
  int other = -1;      // jump: label when false
  int tramp_for = -1;  // a trampoline: the label it stands in for
};

}  // namespace

seccomp::Program emit(const Graph& graph, NodeId root) {
  auto [g, r] = drop_redundant_loads(graph, root);
  std::vector<NodeId> order = reverse_post_order(g, r);

  std::vector<Ins> code;
  code.reserve(order.size() + 16);
  for (size_t i = 0; i < order.size(); ++i) {
    const Node& n = g.at(order[i]);
    Ins ins;
    ins.label = order[i];
    switch (n.kind) {
      case Node::Kind::Ret:
        ins.code = BPF_RET | BPF_K;
        ins.k = n.k;
        break;
      case Node::Kind::Load:
        ins.code = BPF_LD | BPF_W | BPF_ABS;
        ins.k = n.k;
        break;
      case Node::Kind::And:
        ins.code = BPF_ALU | BPF_AND | BPF_K;
        ins.k = n.k;
        break;
      case Node::Kind::Jump:
        ins.code = static_cast<uint16_t>(BPF_JMP | n.op | BPF_K);
        ins.k = n.k;
        ins.target = n.next;
        ins.other = n.other;
        break;
    }
    code.push_back(ins);
    if ((n.kind == Node::Kind::Load || n.kind == Node::Kind::And) &&
        (i + 1 >= order.size() || order[i + 1] != n.next)) {
      Ins ja;
      ja.code = BPF_JMP | BPF_JA;
      ja.target = n.next;
      code.push_back(ja);
    }
  }

  // Conditional jumps reach at most 255 instructions ahead: route far ones through a copy of the
  // return (when the target is one; same size as a JA and one instruction less executed) or a JA
  // placed right after the jump, shared by later far jumps to the same place.
  int next_label = static_cast<int>(g.size());
  std::vector<int> pos;
  for (;;) {
    if (code.size() > seccomp::kMaxInstructions * 4)
      throw Error("seccomp: the filter grew past " + std::to_string(code.size()) +
                  " instructions while placing long jumps; the kernel accepts at most " +
                  std::to_string(seccomp::kMaxInstructions));
    pos.assign(static_cast<size_t>(next_label), -1);
    for (size_t i = 0; i < code.size(); ++i)
      if (code[i].label >= 0) pos[static_cast<size_t>(code[i].label)] = static_cast<int>(i);
    bool changed = false;
    for (size_t i = code.size(); i-- > 0 && !changed;) {
      if (BPF_CLASS(code[i].code) != BPF_JMP || BPF_OP(code[i].code) == BPF_JA) continue;
      for (int which = 0; which < 2 && !changed; ++which) {
        const int dest = which == 0 ? code[i].target : code[i].other;
        if (pos[static_cast<size_t>(dest)] - static_cast<int>(i) - 1 <= 255) continue;
        changed = true;  // positions move: recompute before looking further
        // An existing stand-in within reach?
        int found = -1;
        for (size_t j = i + 1; j < code.size() && j <= i + 256; ++j)
          if (code[j].tramp_for == dest) {
            found = code[j].label;
            break;
          }
        if (found < 0) {
          Ins t;
          t.label = next_label++;
          t.tramp_for = dest;
          const Ins& target = code[static_cast<size_t>(pos[static_cast<size_t>(dest)])];
          if (target.code == (BPF_RET | BPF_K)) {
            t.code = BPF_RET | BPF_K;
            t.k = target.k;
          } else {
            t.code = BPF_JMP | BPF_JA;
            t.target = dest;
          }
          found = t.label;
          code.insert(code.begin() + static_cast<long>(i) + 1, t);
        }
        (which == 0 ? code[i].target : code[i].other) = found;
      }
    }
    if (!changed) break;
  }

  if (code.size() > seccomp::kMaxInstructions)
    throw Error("seccomp: the filter needs " + std::to_string(code.size()) +
                " instructions but the kernel accepts at most " +
                std::to_string(seccomp::kMaxInstructions) +
                " (BPF_MAXINSNS); split the policy's argument conditions into fewer rules or "
                "target fewer architectures (--arch)");

  seccomp::Program prog;
  prog.reserve(code.size());
  for (size_t i = 0; i < code.size(); ++i) {
    const Ins& ins = code[i];
    sock_filter f{ins.code, 0, 0, ins.k};
    if (ins.code == (BPF_JMP | BPF_JA)) {
      f.k = static_cast<uint32_t>(pos[static_cast<size_t>(ins.target)] - static_cast<int>(i) - 1);
    } else if (BPF_CLASS(ins.code) == BPF_JMP) {
      f.jt = static_cast<uint8_t>(pos[static_cast<size_t>(ins.target)] - static_cast<int>(i) - 1);
      f.jf = static_cast<uint8_t>(pos[static_cast<size_t>(ins.other)] - static_cast<int>(i) - 1);
    }
    prog.push_back(f);
  }
  return prog;
}

}  // namespace policy::bpfgen
