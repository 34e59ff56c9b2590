// policyc audit's checks on real compiled filters: each dangerous call found where a policy
// allows it (at its rule) and absent where the policy refuses it; the 64-bit ioctl comparison
// bypass; a raw filter without an architecture check; the score's order; the PSS levels.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdlib>
#include <string>

#include "compiler/audit/audit.hpp"
#include "compiler/audit/from_policy.hpp"
#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"

using namespace policy;
using audit::AuditResult;
using audit::Finding;

namespace {

std::string policies_dir() {
  return std::string(std::getenv("POLICY_SOURCE_DIR")) + "/policies";
}

ir::Policy load_text(const std::string& text, std::vector<uint32_t> arches = {}) {
  frontend::LoadOptions o;
  o.include_dirs = {policies_dir()};
  o.arches = std::move(arches);
  DiagnosticEngine diags;
  auto p = frontend::load_policy_text("t.pol", text, o, diags);
  std::ostringstream errs;
  diags.print_all(errs);
  if (!p || diags.has_errors()) throw std::runtime_error("policy does not load:\n" + errs.str());
  return *p;
}

ir::Policy load_file(const std::string& name) {
  frontend::LoadOptions o;
  o.include_dirs = {policies_dir()};
  DiagnosticEngine diags;
  auto p = frontend::load_policy_file(policies_dir() + "/" + name, o, diags);
  if (!p || diags.has_errors()) throw std::runtime_error(name + " does not load");
  return *p;
}

AuditResult audit_of(const ir::Policy& p) {
  return audit::run_audit(audit::posture_of_policy(p, {}, "policy " + p.name));
}

const Finding* find(const AuditResult& r, const std::string& id) {
  for (const Finding& f : r.findings)
    if (f.id == id) return &f;
  return nullptr;
}

// A policy whose syscalls section holds `rule` on line 3.
std::string with_rule(const std::string& rule) {
  return "policy t {\n  syscalls default errno(EPERM) {\n    " + rule +
         "\n    allow read, write, exit_group\n  }\n}\n";
}

struct CallCase {
  const char* id;
  const char* allows;   // a rule that lets the danger through
  const char* refuses;  // one that does not
  // Compiled for x86_64 and x32 only: on x86, socket() is also socketcall(SYS_SOCKET), whose
  // family no filter can read (Socket.SocketcallOnX86LetsEveryFamilyThrough).
  bool no_x86 = false;
};

std::vector<uint32_t> arches_of(const CallCase& c) {
  if (!c.no_x86) return {};
  return {*names::arch_token("x86_64"), *names::arch_token("x32")};
}

class DangerousCall : public testing::TestWithParam<CallCase> {};

TEST_P(DangerousCall, FoundAtTheRuleThatAllowsItAbsentWhenRefused) {
  const CallCase& c = GetParam();
  const AuditResult allowed = audit_of(load_text(with_rule(c.allows), arches_of(c)));
  const Finding* f = find(allowed, c.id);
  ASSERT_NE(f, nullptr) << c.allows;
  EXPECT_EQ(f->origin.loc.file, "t.pol");
  EXPECT_EQ(f->origin.loc.line, 3u) << f->origin.str();
  EXPECT_EQ(f->origin.loc.column, 11u) << f->origin.str();
  EXPECT_FALSE(f->why.empty());
  EXPECT_FALSE(f->fix.empty());
  const AuditResult refused = audit_of(load_text(with_rule(c.refuses), arches_of(c)));
  EXPECT_EQ(find(refused, c.id), nullptr) << c.refuses << ": " << find(refused, c.id)->title;
}

constexpr const char* kNsMask =
    "(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | "
    "CLONE_NEWCGROUP | CLONE_NEWTIME)";

std::string masked(const char* call, const char* arg) {
  return std::string("allow ") + call + "(" + arg + " & " + kNsMask + " == 0)";
}

const std::string kUnshareMasked = masked("unshare", "arg0");
const std::string kCloneMasked = masked("clone", "arg0") + " when not arch s390, s390x";

INSTANTIATE_TEST_SUITE_P(
    Calls, DangerousCall,
    testing::Values(
        CallCase{"syscall.mount", "allow mount", "errno(EPERM) mount"},
        CallCase{"syscall.mount", "allow fsopen", "allow getpid"},
        CallCase{"syscall.ptrace", "allow ptrace", "kill ptrace"},
        CallCase{"syscall.process_vm", "allow process_vm_writev", "allow getpid"},
        CallCase{"syscall.bpf", "allow bpf", "allow getpid"},
        CallCase{"syscall.perf_event_open", "allow perf_event_open", "allow getpid"},
        CallCase{"syscall.userfaultfd", "allow userfaultfd", "allow getpid"},
        CallCase{"syscall.keyctl", "allow add_key", "allow getpid"},
        CallCase{"syscall.io_uring", "allow io_uring_setup", "allow getpid"},
        CallCase{"syscall.unshare", "allow unshare", kUnshareMasked.c_str()},
        CallCase{"syscall.clone-namespaces", "allow clone", kCloneMasked.c_str()},
        CallCase{"syscall.clone3", "allow clone3", "errno(ENOSYS) clone3"},
        CallCase{"syscall.setns", "allow setns", "allow getpid"},
        CallCase{"syscall.kexec", "allow kexec_load", "allow getpid"},
        CallCase{"syscall.module", "allow finit_module", "allow getpid"},
        CallCase{"syscall.open_by_handle_at", "allow open_by_handle_at", "allow getpid"},
        CallCase{"syscall.name_to_handle_at", "allow name_to_handle_at", "allow getpid"},
        CallCase{"syscall.personality", "allow personality",
                 "allow personality(arg0 in {0x0, 0x8, 0xffffffff})"},
        CallCase{"syscall.ioctl-TIOCSTI", "allow ioctl",
                 "allow ioctl(u32(request) not in {TIOCSTI, TIOCLINUX})"},
        CallCase{"syscall.ioctl-TIOCLINUX", "allow ioctl",
                 "allow ioctl(u32(request) not in {TIOCSTI, TIOCLINUX})"},
        CallCase{"syscall.socket-AF_ALG", "allow socket",
                 "allow socket(domain in {AF_UNIX, AF_INET, AF_INET6})", true},
        CallCase{"syscall.socket-AF_PACKET", "allow socket",
                 "allow socket(domain in {AF_UNIX, AF_INET, AF_INET6})", true},
        CallCase{"syscall.pivot_root", "allow pivot_root", "allow getpid"},
        CallCase{"syscall.swap", "allow swapon", "allow getpid"},
        CallCase{"syscall.reboot", "allow reboot", "allow getpid"},
        CallCase{"syscall.syslog", "allow syslog", "allow getpid"},
        CallCase{"syscall.acct", "allow acct", "allow getpid"},
        CallCase{"syscall.quotactl", "allow quotactl", "allow getpid"},
        CallCase{"syscall.lookup_dcookie", "allow lookup_dcookie", "allow getpid"},
        CallCase{"syscall.clock", "allow clock_settime", "allow clock_gettime"},
        CallCase{"syscall.ioport", "allow iopl", "allow getpid"}));

// The kernel reads ioctl's request as an unsigned int: a filter comparing the 64-bit register
// refuses TIOCSTI but lets TIOCSTI | 1<<32 through, which the kernel runs as TIOCSTI.
TEST(Ioctl, A64BitComparisonIsBypassedWithTheUpperBitsSet) {
  const AuditResult wide = audit_of(
      load_text(with_rule("errno(EPERM) ioctl(request in {TIOCSTI, TIOCLINUX})\n    allow ioctl")));
  const Finding* f = find(wide, "syscall.ioctl-TIOCSTI");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->title.find("upper 32 bits"), std::string::npos) << f->title;
  EXPECT_NE(f->title.find("x86_64"), std::string::npos) << f->title;
  EXPECT_EQ(f->origin.loc.line, 4u) << f->origin.str();  // the `allow ioctl` that lets it in

  const AuditResult narrow = audit_of(load_text(
      with_rule("errno(EPERM) ioctl(u32(request) in {TIOCSTI, TIOCLINUX})\n    allow ioctl")));
  EXPECT_EQ(find(narrow, "syscall.ioctl-TIOCSTI"), nullptr);
  EXPECT_EQ(find(narrow, "syscall.ioctl-TIOCLINUX"), nullptr);
}

// socket's family is an int too: Docker's way of refusing AF_ALG (`domain != AF_ALG`, a 64-bit
// comparison) lets AF_ALG | 1<<32 through, which the kernel creates as AF_ALG; u32(domain) does
// not.
TEST(Socket, A64BitFamilyComparisonIsBypassedWithTheUpperBitsSet) {
  const std::vector<uint32_t> x86_64 = {*names::arch_token("x86_64")};
  const AuditResult wide = audit_of(load_text(with_rule("allow socket(domain != AF_ALG)"), x86_64));
  const Finding* f = find(wide, "syscall.socket-AF_ALG");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->title.find("on x86_64 with the family's upper 32 bits set"), std::string::npos)
      << f->title;
  EXPECT_EQ(f->origin.loc.line, 3u) << f->origin.str();
  const AuditResult narrow =
      audit_of(load_text(with_rule("allow socket(u32(domain) != AF_ALG)"), x86_64));
  EXPECT_EQ(find(narrow, "syscall.socket-AF_ALG"), nullptr);
}

// socketcall(SYS_SOCKET) carries the family in memory: allowing it on x86 allows AF_ALG.
TEST(Socket, SocketcallOnX86LetsEveryFamilyThrough) {
  auto x86 = names::arch_token("x86");
  if (names::native_arch() != *names::arch_token("x86_64")) GTEST_SKIP() << "x86_64 host only";
  const AuditResult r = audit_of(
      load_text(with_rule("allow socket(domain in {AF_UNIX, AF_INET})\n    allow socketcall"),
                {*names::arch_token("x86_64"), *x86}));
  const Finding* f = find(r, "syscall.socket-AF_ALG");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->title.find("socketcall"), std::string::npos) << f->title;
  EXPECT_EQ(f->origin.loc.line, 4u) << f->origin.str();
}

// A raw filter that refuses x86_64's mount number but never looks at seccomp_data.arch: the
// 32-bit and x32 ABIs get mount (and every other call) through.
TEST(Arch, AFilterWithoutAnArchCheckIsCritical) {
  const auto x86_64 = names::arch_token("x86_64");
  if (names::native_arch() != *x86_64) GTEST_SKIP() << "x86_64 host only";
  std::vector<sock_filter> prog;
  prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0));  // nr
  for (const char* call : {"mount", "ptrace", "bpf", "kexec_load"}) {
    const auto nr = names::syscall_number(call, *x86_64);
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(*nr), 0, 1));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1));
  }
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  audit::Posture p;
  p.subject = "raw filter";
  p.seccomp.known = true;
  p.seccomp.filters = {prog};
  p.seccomp.arches = {*x86_64};
  p.seccomp.origin.where = "raw.bpf";
  const AuditResult r = audit::run_audit(p);
  for (const char* id : {"seccomp.arch-x86", "seccomp.arch-x32"}) {
    const Finding* f = find(r, id);
    ASSERT_NE(f, nullptr) << id;
    EXPECT_EQ(f->severity, audit::Severity::Critical);
    EXPECT_NE(f->title.find("mount"), std::string::npos) << f->title;
  }
  const Finding* mount = find(r, "syscall.mount");
  ASSERT_NE(mount, nullptr);

  // The same calls refused by a compiled policy: every ABI is checked.
  const AuditResult compiled =
      audit_of(load_text(with_rule("errno(EPERM) mount, ptrace, bpf, kexec_load")));
  EXPECT_EQ(find(compiled, "seccomp.arch-x86"), nullptr);
  EXPECT_EQ(find(compiled, "seccomp.arch-x32"), nullptr);
}

// Seccomp JSON: locations are the entry that allows the call; a denylist is a default allow.
TEST(SeccompJson, FindingsPointAtTheEntryAndADenylistIsHigh) {
  auto posture = [](const std::string& json) {
    DiagnosticEngine diags;
    auto p = audit::posture_of_seccomp_json(json, "t.json", 0, "--caps", audit::ProfileBase{}, {},
                                            diags);
    if (!p) throw std::runtime_error("JSON not read");
    return *p;
  };
  const AuditResult allowlist = audit::run_audit(posture(R"({"defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                 {"names": ["getpid", "ptrace"], "action": "SCMP_ACT_ALLOW"}]})"));
  const Finding* ptrace = find(allowlist, "syscall.ptrace");
  ASSERT_NE(ptrace, nullptr);
  EXPECT_EQ(ptrace->origin.str(), "t.json syscalls[1]");
  EXPECT_EQ(find(allowlist, "syscall.bpf"), nullptr);
  EXPECT_EQ(find(allowlist, "seccomp.default-allow"), nullptr);
  // --base none: the other layers are unknown, said and scored as exposed.
  EXPECT_NE(find(allowlist, "namespace.unknown"), nullptr);
  EXPECT_FALSE(allowlist.assumptions.empty());

  const AuditResult denylist = audit::run_audit(posture(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mount", "umount2"], "action": "SCMP_ACT_ERRNO"}]})"));
  const Finding* d = find(denylist, "seccomp.default-allow");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, audit::Severity::High);
  const Finding* bpf = find(denylist, "syscall.bpf");
  ASSERT_NE(bpf, nullptr);
  EXPECT_EQ(bpf->origin.str(), "t.json (defaultAction)");
}

const char* kAllowAll = R"(policy everything {
  syscalls default allow { }
  capabilities keep { SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH }
  namespaces { mount }
  process { no_new_privileges false }
  devices { allow a *:* rwm }
}
)";

const char* kRestricted = R"(include "groups/standard.pol"
policy locked {
  syscalls default errno(EPERM) {
    allow @default-core, @basic-io
  }
  capabilities keep { NET_BIND_SERVICE }
  namespaces { mount, pid, ipc, uts, net, cgroup }
  process { no_new_privileges; user 1000:1000 }
  rootfs { readonly; docker-defaults }
  resources { memory 64M, pids 32 }
  filesystem { read /etc/** }
}
)";

TEST(Score, OrdersPostures) {
  const double docker = audit_of(load_file("docker-default.pol")).score.exposure;
  const double web = audit_of(load_file("web.pol")).score.exposure;
  const AuditResult all = audit_of(load_text(kAllowAll));
  EXPECT_LT(web, docker);
  EXPECT_LT(docker, all.score.exposure);
  EXPECT_GT(all.score.exposure, 5.0);

  const AuditResult empty = audit::run_audit(audit::Posture{});  // nothing known: unconfined
  EXPECT_EQ(empty.score.exposure, 10.0);
  EXPECT_EQ(empty.score.rating, "DANGEROUS");
  audit::Posture none;  // known to have no filter: exposed as well
  none.seccomp.known = true;
  EXPECT_NE(find(audit::run_audit(none), "seccomp.none"), nullptr);
}

TEST(Pss, Levels) {
  const AuditResult docker = audit_of(load_file("docker-default.pol"));
  EXPECT_EQ(docker.pss.level, audit::PssLevel::Baseline)
      << (docker.pss.baseline_violations.empty() ? "" : docker.pss.baseline_violations[0]);
  // web.pol: no host namespace, masks, a filter, AppArmor; but the image's user (root in the
  // nginx image) and CHOWN, SETUID, SETGID: baseline, not restricted.
  const AuditResult web = audit_of(load_file("web.pol"));
  EXPECT_EQ(web.pss.level, audit::PssLevel::Baseline);
  ASSERT_EQ(web.pss.restricted_violations.size(), 2u);
  EXPECT_NE(web.pss.restricted_violations[0].find("user"), std::string::npos);
  EXPECT_NE(web.pss.restricted_violations[1].find("CHOWN, SETGID, SETUID"), std::string::npos);

  const AuditResult all = audit_of(load_text(kAllowAll));
  EXPECT_EQ(all.pss.level, audit::PssLevel::Privileged);
  EXPECT_NE(find(all, "cap.SYS_ADMIN"), nullptr);
  EXPECT_NE(find(all, "namespace.pid-host"), nullptr);
  EXPECT_NE(find(all, "devices.unrestricted"), nullptr);
  EXPECT_NE(find(all, "seccomp.default-allow"), nullptr);

  const AuditResult locked = audit_of(load_text(kRestricted));
  EXPECT_EQ(locked.pss.level, audit::PssLevel::Restricted)
      << (locked.pss.restricted_violations.empty()
              ? (locked.pss.baseline_violations.empty() ? "" : locked.pss.baseline_violations[0])
              : locked.pss.restricted_violations[0]);
  EXPECT_LT(locked.score.exposure, web.score.exposure);
}

TEST(Cis, ItemsFollowTheFacts) {
  const AuditResult all = audit_of(load_text(kAllowAll));
  auto status = [](const AuditResult& r, const std::string& id) {
    for (const auto& c : r.cis)
      if (c.id == id) return c.status;
    throw std::runtime_error("no CIS item " + id);
  };
  using S = audit::CisItem::Status;
  EXPECT_EQ(status(all, "5.4"), S::Fail);   // privileged
  EXPECT_EQ(status(all, "5.15"), S::Fail);  // host pid
  EXPECT_EQ(status(all, "5.25"), S::Fail);  // no_new_privileges off
  EXPECT_EQ(status(all, "4.1"), S::Unknown);
  const AuditResult locked = audit_of(load_text(kRestricted));
  for (const char* id : {"4.1", "5.3", "5.4", "5.9", "5.10", "5.12", "5.21", "5.25", "5.28"})
    EXPECT_EQ(status(locked, id), S::Pass) << id;
}

// Host bind mounts and /proc/sys: what the rootfs and filesystem sections say.
TEST(Mounts, SensitiveHostPathsAndProcSys) {
  const AuditResult open_ = audit_of(load_text(R"(policy t {
  syscalls default errno(EPERM) { allow read }
  namespaces { mount, pid, ipc, uts, net }
  rootfs {
    bind /var/run/docker.sock /var/run/docker.sock
    bind /srv/data /data ro
  }
}
)"));
  const Finding* sock = find(open_, "mount.host-/var/run/docker.sock");
  ASSERT_NE(sock, nullptr);
  EXPECT_EQ(sock->severity, audit::Severity::Critical);
  EXPECT_EQ(sock->origin.loc.line, 5u) << sock->origin.str();
  EXPECT_EQ(find(open_, "mount.host-/srv/data"), nullptr);  // not sensitive
  EXPECT_NE(find(open_, "proc.sys-writable"), nullptr);     // no read-only path, no LSM rule
  EXPECT_NE(find(open_, "proc.masks"), nullptr);
  EXPECT_EQ(open_.pss.level, audit::PssLevel::Privileged);  // hostPath volumes
  for (const auto& c : open_.cis) {
    if (c.id == "5.31" || c.id == "5.5") {
      EXPECT_EQ(c.status, audit::CisItem::Status::Fail) << c.id;
    }
  }

  const AuditResult closed = audit_of(load_text(R"(policy t {
  syscalls default errno(EPERM) { allow read }
  namespaces { mount, pid, ipc, uts, net }
  filesystem { allow all
    deny write /proc/sys/** }
}
)"));
  EXPECT_EQ(find(closed, "proc.sys-writable"), nullptr);
  EXPECT_EQ(find(closed, "mount.host-/var/run/docker.sock"), nullptr);
}

}  // namespace
