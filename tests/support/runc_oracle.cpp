// The oracle path: a Docker/OCI profile compiled the way Docker and runc do it, step by step,
// with no IR in between. Kept small and literal on purpose: tests compare the IR path with it.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/enosys.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "support/docker_oracle.hpp"
#include "support/runc_oracle.hpp"

namespace policy::seccomp {

namespace {

using nlohmann::json;

uint32_t runc_action(const json& act, const json& ret) {
  // runc getAction: ERRNO and TRACE default to EPERM; KILL is kill-thread.
  const std::string a = act.get<std::string>();
  const uint32_t code = ret.is_number() ? ret.get<uint32_t>() : 1;
  if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (a == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (a == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(code);
  if (a == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (a == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (a == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(code);
  if (a == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (a == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  throw Error("runc oracle: invalid action " + a);
}

scmp_compare runc_op(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  throw Error("runc oracle: invalid operator " + op);
}

struct CtxDeleter {
  void operator()(void* p) const {
    if (p) seccomp_release(p);
  }
};

}  // namespace

Program compile_json_like_runc(const json& j, const importer::JsonImportOptions& opt,
                               bool enosys_stub) {
  const uint32_t native = opt.native_arches.empty() ? names::native_arch() : opt.native_arches[0];
  const ir::KernelVersion kernel = opt.kernel ? *opt.kernel : host_kernel_version();

  // --- Docker (moby/profiles seccomp setupSeccomp): architectures and the rule filter ---
  const json oci = docker_to_oci(j, {native, opt.capabilities, kernel});
  std::vector<std::string> arches;
  for (const json& a : oci["architectures"]) arches.push_back(a.get<std::string>());
  struct Call {
    std::string name;
    json action, errno_ret, args;
  };
  std::vector<Call> calls;  // runc's config: one entry per name
  for (const json& c : oci["syscalls"])
    for (const json& n : c["names"])
      calls.push_back({n.get<std::string>(), c["action"], c.value("errnoRet", json()),
                       c.value("args", json::array())});

  // --- runc (libcontainer/seccomp InitSeccomp + matchCall) ---
  const uint32_t def = runc_action(j["defaultAction"], j.value("defaultErrnoRet", json()));
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(def));
  if (!ctx) throw Error("runc oracle: seccomp_init failed");
  for (const std::string& a : arches) {
    auto t = names::arch_token(a);
    if (!t) throw Error("runc oracle: unknown architecture " + a);
    int rc = seccomp_arch_add(ctx.get(), *t);
    if (rc < 0 && rc != -EEXIST) throw Error("runc oracle: seccomp_arch_add " + a + " failed");
  }
  if (calls.size() > 32) seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  for (const Call& call : calls) {
    const uint32_t act = runc_action(call.action, call.errno_ret);
    if (act == def) continue;  // redundant, runc skips it
    const int nr = seccomp_syscall_resolve_name(call.name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // unknown to libseccomp: runc ignores it
    auto add = [&](const std::vector<scmp_arg_cmp>& conds) {
      int rc = seccomp_rule_add_array(ctx.get(), act, nr, static_cast<unsigned>(conds.size()),
                                      conds.empty() ? nullptr : conds.data());
      if (rc < 0)
        throw Error("runc oracle: seccomp_rule_add for " + call.name +
                    " failed: " + std::strerror(-rc));
    };
    if (call.args.empty()) {
      add({});
      continue;
    }
    std::vector<scmp_arg_cmp> conds;
    unsigned count[6] = {};
    for (const json& a : call.args) {
      scmp_arg_cmp c{};
      c.arg = a["index"].get<unsigned>();
      c.op = runc_op(a["op"].get<std::string>());
      c.datum_a = a.value("value", uint64_t{0});
      c.datum_b = a.value("valueTwo", uint64_t{0});
      ++count[c.arg];
      conds.push_back(c);
    }
    if (std::any_of(std::begin(count), std::end(count), [](unsigned n) { return n > 1; })) {
      for (const scmp_arg_cmp& c : conds) add({c});  // runc's "old behavior": one rule each
    } else {
      add(conds);
    }
  }
  Program prog = export_program(ctx.get());
  if (!enosys_stub || !enosys_for_unknown_syscalls(action_of(def))) return prog;
  std::vector<uint32_t> tokens{names::native_arch()};  // seccomp_init's filter holds it
  for (const std::string& a : arches)
    if (std::find(tokens.begin(), tokens.end(), *names::arch_token(a)) == tokens.end())
      tokens.push_back(*names::arch_token(a));
  return with_enosys_stub(prog, tokens);
}

}  // namespace policy::seccomp
