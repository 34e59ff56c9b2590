// Kubernetes objects (`policyc compile --emit k8s-pod,spo-seccomp,spo-apparmor,kubelet-seccomp`,
// docs/kubernetes.md): every shipped policy's objects validate against the published schemas
// (tests/data/schemas, judged by python3-jsonschema through tests/driver/k8s_validate.py); the Pod
// says what the policy says; the seccomp files decide as the policy does, by libseccomp as runc
// builds them and by the kernel running them; what Kubernetes cannot say is a note.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/common/error.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/k8s/objects.hpp"
#include "compiler/k8s/yaml.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "seccomp/seccomp_test_support.hpp"
#include "support/runc_oracle.hpp"

using namespace policy;
using nlohmann::json;
using nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

const ir::KernelVersion kKernel{6, 1};

fs::path source_dir() {
  return std::getenv("POLICY_SOURCE_DIR");
}

ir::Policy load_text(const std::string& text) {
  DiagnosticEngine diags;
  auto p = frontend::load_policy_text("/tmp/k8s-test.pol", text, {}, diags);
  if (!p) {
    diags.print_all(std::cerr);
    throw std::runtime_error("test policy does not compile");
  }
  return *p;
}

ir::Policy load_file(const fs::path& path) {
  DiagnosticEngine diags;
  auto p = frontend::load_policy_file(path.string(), {}, diags);
  if (!p) throw std::runtime_error(path.string() + " does not compile");
  return *p;
}

std::string artifact(const ir::Policy& p, const std::string& kind) {
  driver::SeccompOptions o;
  o.kernel = kKernel;
  return driver::build_artifacts(p, {kind}, o).at(0).content;
}

bool has_note(const k8s::Object& o, const std::string& part) {
  for (const std::string& n : o.notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

std::string all_notes(const k8s::Object& o) {
  std::string s;
  for (const std::string& n : o.notes) s += n + "\n";
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr
};

// A command line of quoted arguments (the tests' own paths) through the shell.
Outcome run(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const std::string& a : argv) cmd += "'" + a + "' ";
  FILE* f = ::popen((cmd + "2>&1").c_str(), "r");
  Outcome o;
  if (!f) return o;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) o.output.append(buf, n);
  const int st = ::pclose(f);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

bool python_has_validators() {
  return run({"/usr/bin/python3", "-c", "import yaml, jsonschema"}).status == 0;
}

class K8sFiles : public ::testing::Test {
 protected:
  fs::path tmp;
  void SetUp() override {
    char tmpl[] = "/tmp/k8s-objects-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp = tmpl;
  }
  void TearDown() override { fs::remove_all(tmp); }
  Outcome validate(const std::string& mode, const fs::path& file, const fs::path& schema) {
    return run({"/usr/bin/python3", (source_dir() / "tests/driver/k8s_validate.py").string(), mode,
                file.string(), schema.string()});
  }
};

}  // namespace

// Every policy in policies/, compiled by the real policyc, gives objects the published schemas
// accept: the Pod (Kubernetes v1.30's pod-v1.json, strict), both SPO custom resources (their CRDs'
// openAPIV3Schema, with the API server's pruning as errors) and the kubelet's seccomp file (the
// OCI runtime-spec's linux.seccomp).
TEST_F(K8sFiles, EveryShippedPolicyValidatesAgainstThePublishedSchemas) {
  if (!python_has_validators())
    GTEST_SKIP() << "/usr/bin/python3 lacks yaml or jsonschema (apt-get install python3-yaml "
                    "python3-jsonschema): the objects were not validated";
  const fs::path schemas = source_dir() / "tests/data/schemas";
  int policies = 0;
  for (const auto& e : fs::directory_iterator(source_dir() / "policies")) {
    if (e.path().extension() != ".pol") continue;
    ++policies;
    const std::string name = e.path().stem().string();
    const fs::path out = tmp / name;
    Outcome c = run({std::getenv("POLICYC"), "compile", e.path().string(), "--emit",
                     "k8s-pod,spo-seccomp,spo-apparmor,kubelet-seccomp", "-o", out.string()});
    ASSERT_EQ(c.status, 0) << c.output;
    // The file names are the policy's; the objects inside are named object_name().
    const fs::path base = out / name;
    for (auto [mode, suffix, schema] :
         {std::tuple{"json", ".pod.yaml", schemas / "kubernetes-v1.30.0/pod-v1.json"},
          std::tuple{"crd", ".spo-seccomp.yaml", schemas / "spo-seccompprofile-crd.yaml"},
          std::tuple{"crd", ".spo-apparmor.yaml", schemas / "spo-apparmorprofile-crd.yaml"},
          std::tuple{"oci-seccomp", ".kubelet-seccomp.json", schemas / "oci-runtime-spec"}}) {
      Outcome v = validate(mode, base.string() + suffix, schema);
      EXPECT_EQ(v.status, 0) << name << suffix << ":\n" << v.output;
    }
  }
  EXPECT_GE(policies, 4);

  // The validator does refuse what the schemas forbid: a field the CRD does not have (the API
  // server would drop it), a Pod field of the wrong type, a value beyond int64.
  const std::string web = (tmp / "web/web").string();
  struct Broken {
    const char* mode;
    std::string file;
    fs::path schema;
    std::string from, to;
  };
  for (const Broken& b :
       {Broken{"crd", web + ".spo-seccomp.yaml", schemas / "spo-seccompprofile-crd.yaml",
               "\n  defaultAction:", "\n  defaultErrnoRet: 38\n  defaultAction:"},
        Broken{"json", web + ".pod.yaml", schemas / "kubernetes-v1.30.0/pod-v1.json",
               "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: \"yes\""},
        Broken{"crd", web + ".spo-seccomp.yaml", schemas / "spo-seccompprofile-crd.yaml",
               "valueTwo: 0\n", "valueTwo: 18446744073709551615\n"},
        Broken{"json", web + ".pod.yaml", schemas / "kubernetes-v1.30.0/pod-v1.json", "- \"CHOWN\"",
               "- \"SYS_ADMIN\""},  // with allowPrivilegeEscalation: false
        Broken{"crd", web + ".spo-apparmor.yaml", schemas / "spo-apparmorprofile-crd.yaml",
               "allowRaw: false", "allowRaw: false\n      allowIcmp: true"}}) {
    std::string text = slurp(b.file);
    const size_t at = text.find(b.from);
    ASSERT_NE(at, std::string::npos) << b.from << " in " << b.file;
    text.replace(at, b.from.size(), b.to);
    std::ofstream(tmp / "broken") << text;
    Outcome v = validate(b.mode, tmp / "broken", b.schema);
    EXPECT_EQ(v.status, 1) << b.to << ":\n" << v.output;
  }
}

// The Pod's container says what the policy says, field by field.
TEST(K8sPod, SecurityContextResourcesAndNamespacesFollowThePolicy) {
  ir::Policy p = load_text(R"(policy Api_Server {
  syscalls default errno(EPERM) { allow read, write, exit_group }
  capabilities keep { NET_BIND_SERVICE, CHOWN }
  namespaces { mount, ipc, uts, net, cgroup }
  resources { memory 64M, cpu.quota 50ms/100ms, pids 32 }
  process { no_new_privileges; user 1000:2000; hostname "api" }
  rootfs { readonly; tmpfs /tmp size=16M }
})");
  k8s::Object o = k8s::pod(p);
  const ordered_json& spec = o.object["spec"];
  EXPECT_EQ(o.object["metadata"]["name"], "api-server");
  EXPECT_TRUE(has_note(o, "is named 'api-server'")) << all_notes(o);
  // No pid namespace in the policy: the host's, as hostPID says; the others are the Pod's own.
  EXPECT_EQ(spec["hostPID"], true);
  EXPECT_FALSE(spec.contains("hostNetwork"));
  EXPECT_FALSE(spec.contains("hostIPC"));
  EXPECT_EQ(spec["hostname"], "api");
  const ordered_json& c = spec["containers"][0];
  const ordered_json& sc = c["securityContext"];
  EXPECT_EQ(sc["capabilities"]["drop"], ordered_json({"ALL"}));
  EXPECT_EQ(sc["capabilities"]["add"], ordered_json({"CHOWN", "NET_BIND_SERVICE"}));
  EXPECT_EQ(sc["allowPrivilegeEscalation"], false);  // no_new_privileges
  EXPECT_EQ(sc["runAsUser"], 1000);
  EXPECT_EQ(sc["runAsGroup"], 2000);
  EXPECT_EQ(sc["runAsNonRoot"], true);
  EXPECT_EQ(sc["readOnlyRootFilesystem"], true);
  EXPECT_EQ(json(sc["seccompProfile"]),
            json({{"type", "Localhost"}, {"localhostProfile", "policyrun/api-server.json"}}));
  EXPECT_EQ(k8s::kubelet_seccomp_path(p), "policyrun/api-server.json");
  // The AppArmor profile is the one `--emit apparmor` writes, named as the policy.
  EXPECT_EQ(json(sc["appArmorProfile"]),
            json({{"type", "Localhost"}, {"localhostProfile", "Api_Server"}}));
  EXPECT_EQ(o.object["metadata"]["annotations"]["container.apparmor.security.beta.kubernetes.io/" +
                                                c["name"].get<std::string>()],
            "localhost/Api_Server");
  EXPECT_EQ(c["resources"]["limits"]["memory"], std::to_string(64 << 20));
  EXPECT_EQ(c["resources"]["limits"]["cpu"], "500m");  // 50ms per 100ms
  EXPECT_EQ(json(spec["volumes"][0]["emptyDir"]),
            json({{"medium", "Memory"}, {"sizeLimit", std::to_string(16 << 20)}}));
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"], "/tmp");
  // No Pod field for the pids limit: said, never dropped silently.
  EXPECT_TRUE(has_note(o, "pids limit 32")) << all_notes(o);
  EXPECT_TRUE(has_note(o, "/tmp/k8s-test.pol:5:")) << all_notes(o);  // with the policy line
}

// Kubernetes refuses allowPrivilegeEscalation: false with CAP_SYS_ADMIN added: the Pod says true,
// as the container will run, and a note says no_new_privs is lost.
TEST(K8sPod, NoNewPrivilegesWithSysAdminIsANote) {
  ir::Policy p = load_text(R"(policy admin {
  syscalls default allow { }
  capabilities keep { SYS_ADMIN }
  process { no_new_privileges; user 0:0 }
})");
  k8s::Object o = k8s::pod(p);
  const ordered_json& sc = o.object["spec"]["containers"][0]["securityContext"];
  EXPECT_EQ(sc["allowPrivilegeEscalation"], true);
  EXPECT_TRUE(has_note(o, "not expressed: no_new_privileges")) << all_notes(o);
  EXPECT_EQ(sc["runAsUser"], 0);
  EXPECT_FALSE(sc.contains("runAsNonRoot"));
  // Without the capability, no_new_privs is the Pod's.
  ir::Policy q = load_text(R"(policy plain {
  syscalls default allow { }
  process { no_new_privileges }
})");
  EXPECT_EQ(
      k8s::pod(q).object["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"],
      false);
}

// SeccompProfile's spec is the OCI export's, but the CRD has no defaultErrnoRet: another errno is
// a note, and the kubelet's file keeps it.
TEST(K8sSeccomp, AnotherDefaultErrnoIsANoteAndTheKubeletFileKeepsIt) {
  ir::Policy p = load_text(R"(policy enosys {
  syscalls default errno(ENOSYS) { allow read, write, exit_group }
})");
  k8s::Object o = k8s::spo_seccomp_profile(p, kKernel);
  EXPECT_FALSE(o.object["spec"].contains("defaultErrnoRet"));
  EXPECT_TRUE(has_note(o, "errno ENOSYS")) << all_notes(o);
  EXPECT_EQ(json::parse(artifact(p, "kubelet-seccomp"))["defaultErrnoRet"], ENOSYS);
  // EPERM is what the runtime returns without one: nothing to say.
  ir::Policy q = load_text(R"(policy eperm {
  syscalls default errno(EPERM) { allow read, write, exit_group }
})");
  EXPECT_TRUE(k8s::spo_seccomp_profile(q, kKernel).notes.empty())
      << all_notes(k8s::spo_seccomp_profile(q, kKernel));
}

// An argument value the CRD's int64 cannot hold is refused, naming the rule and what to use.
TEST(K8sSeccomp, ValuesBeyondInt64AreRefused) {
  ir::Policy p = load_text(R"(policy big {
  syscalls default errno(EPERM) { allow personality(persona == 0xffffffffffffffff), exit_group }
})");
  try {
    k8s::spo_seccomp_profile(p, kKernel);
    FAIL() << "a value beyond int64 was written";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("personality"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("kubelet-seccomp"), std::string::npos) << e.what();
  }
}

// The kubelet's file and SeccompProfile's spec, compiled as runc compiles them (libseccomp, no
// IR), decide every call as the policy does.
TEST(K8sSeccomp, KubeletFileAndSpoSpecDecideAsThePolicy) {
  for (const char* name : {"web", "docker-default", "redis", "postgres"}) {
    SCOPED_TRACE(name);
    ir::Policy p = load_file(source_dir() / "policies" / (std::string(name) + ".pol"));
    importer::JsonImportOptions opt;
    opt.kernel = kKernel;
    opt.capabilities = p.capabilities.bounding;
    const json kubelet = json::parse(artifact(p, "kubelet-seccomp"));
    auto diff = seccomp::first_difference_from_policy(
        seccomp::compile_json_like_runc(kubelet, opt, /*enosys_stub=*/true), p.seccomp, kKernel);
    EXPECT_FALSE(diff) << *diff;
    json spec = k8s::spo_seccomp_profile(p, kKernel).object["spec"];
    if (p.seccomp.default_action.kind == ir::ActionKind::Errno &&
        p.seccomp.default_action.value == EPERM)
      spec["defaultErrnoRet"] = EPERM;  // what the runtime returns without one
    diff = seccomp::first_difference_from_policy(
        seccomp::compile_json_like_runc(spec, opt, /*enosys_stub=*/true), p.seccomp, kKernel);
    EXPECT_FALSE(diff) << *diff;
  }
}

// The kernel, running the kubelet's file for web.pol as runc builds it, refuses what the policy
// refuses: mount (EPERM), clone3 (ENOSYS, so libc falls back to clone), ptrace (killed).
TEST(K8sKernel, KernelRefusesWhatTheKubeletFileRefuses) {
  ir::Policy p = load_file(source_dir() / "policies/web.pol");
  importer::JsonImportOptions opt;
  opt.kernel = kKernel;
  const seccomp::Program prog = seccomp::compile_json_like_runc(
      json::parse(artifact(p, "kubelet-seccomp")), opt, /*enosys_stub=*/true);
  using seccomp_test::errno_of;
  auto mount = seccomp_test::run_filtered(
      prog, [] { return errno_of(::syscall(SYS_mount, "none", "/", "tmpfs", 0, nullptr)); });
  EXPECT_TRUE(mount.exited && mount.exit_code == EPERM) << mount.describe();
  auto clone3 =
      seccomp_test::run_filtered(prog, [] { return errno_of(::syscall(SYS_clone3, nullptr, 0)); });
  EXPECT_TRUE(clone3.exited && clone3.exit_code == ENOSYS) << clone3.describe();
  auto ptrace =
      seccomp_test::run_filtered(prog, [] { return errno_of(::syscall(SYS_ptrace, 0, 0, 0, 0)); });
  EXPECT_EQ(ptrace.signal, SIGSYS) << ptrace.describe();
  auto getpid = seccomp_test::run_filtered(prog, [] { return errno_of(::syscall(SYS_getpid)); });
  EXPECT_TRUE(getpid.exited && getpid.exit_code == 0) << getpid.describe();
}

// SPO's abstract AppArmor form: what it can carry, and a note for each thing it cannot.
TEST(K8sAppArmor, AbstractFormAndItsNotes) {
  ir::Policy p = load_text(R"(policy files {
  syscalls default allow { }
  capabilities keep { NET_BIND_SERVICE }
  filesystem {
    read /etc/app/**
    write /var/log/app/**
    read+write /data/**
    exec /usr/bin/app
    read+map /usr/lib/**
    deny write /proc/sys/**
  }
  network { inet stream, unix }
})");
  k8s::Object o = k8s::spo_apparmor_profile(p);
  const ordered_json& a = o.object["spec"]["abstract"];
  EXPECT_EQ(a["filesystem"]["readOnlyPaths"], ordered_json({"/etc/app/**", "/usr/lib/**"}));
  EXPECT_EQ(a["filesystem"]["writeOnlyPaths"], ordered_json({"/var/log/app/**"}));
  EXPECT_EQ(a["filesystem"]["readWritePaths"], ordered_json({"/data/**"}));
  EXPECT_EQ(a["executable"]["allowedExecutables"], ordered_json({"/usr/bin/app"}));
  EXPECT_EQ(a["executable"]["allowedLibraries"], ordered_json({"/usr/lib/**"}));
  EXPECT_EQ(json(a["network"]),
            json({{"allowRaw", false}, {"allowedProtocols", {{"allowTcp", true}}}}));
  EXPECT_EQ(a["capability"]["allowedCapabilities"], ordered_json({"net_bind_service"}));
  EXPECT_TRUE(has_note(o, "deny rule for /proc/sys/**")) << all_notes(o);
  EXPECT_TRUE(has_note(o, "not expressed: unix")) << all_notes(o);
}

// The YAML reads back (PyYAML, the YAML 1.1 reader kubectl's users meet most) as the same JSON,
// strings that look like YAML's bools, numbers or nulls included.
TEST_F(K8sFiles, YamlReadsBackAsTheSameObject) {
  if (!python_has_validators()) GTEST_SKIP() << "/usr/bin/python3 lacks yaml (python3-yaml)";
  ordered_json o = {
      {"on", "yes"},
      {"n", {"no", "0755", "1e3", "null", "~", "", "- x", "a: b", "#c", "tab\there", "é"}},
      {"nested",
       {{"list", {ordered_json::object(), ordered_json::array(), {1, 2}}},
        {"map", {{"key with space", true}, {"x", nullptr}, {"n", -3}}}}},
      {"multi\nline", "line1\nline2"}};
  std::ofstream(tmp / "o.yaml") << k8s::to_yaml(o, {"a comment", "two\nlines"}, "o.yaml");
  Outcome r = run({"/usr/bin/python3", "-c",
                   "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
                   (tmp / "o.yaml").string()});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(json::parse(r.output), json(o)) << slurp((tmp / "o.yaml").string());
}

// A policy keeping SYS_ADMIN with no_new_privileges gives a Pod the API server accepts (the rule
// the validator applies above), with the loss said.
TEST_F(K8sFiles, SysAdminPodPassesTheApiServersRules) {
  if (!python_has_validators()) GTEST_SKIP() << "/usr/bin/python3 lacks yaml or jsonschema";
  ir::Policy p = load_text(R"(policy admin {
  syscalls default allow { }
  capabilities keep { SYS_ADMIN }
  process { no_new_privileges }
})");
  std::ofstream(tmp / "admin.pod.yaml") << k8s::render(k8s::pod(p), p, {}, "admin.pod.yaml");
  Outcome v = validate("json", tmp / "admin.pod.yaml",
                       source_dir() / "tests/data/schemas/kubernetes-v1.30.0/pod-v1.json");
  EXPECT_EQ(v.status, 0) << v.output;
  EXPECT_NE(slurp((tmp / "admin.pod.yaml").string()).find("# - not expressed: no_new_privileges"),
            std::string::npos);
}
