// policyrun's compile cache (runtime/launch/policy_cache.hpp) and the IR codec it stores
// (compiler/driver/ir_codec.hpp): a cached compile must be the fresh compile, output for output,
// and must never be used once anything it read has changed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "compiler/driver/driver.hpp"
#include "compiler/driver/ir_codec.hpp"
#include "compiler/driver/report.hpp"
#include "launch/launch_fixture.hpp"
#include "runtime/launch/policy_cache.hpp"

namespace fs = std::filesystem;
using policy::launch::CompiledPolicy;
using policy::launch::CompileRequest;

namespace {

std::string source_dir() {
  const char* s = std::getenv("POLICY_SOURCE_DIR");
  return s ? s : "";
}

CompileRequest request(const std::string& file, const std::string& cache) {
  CompileRequest r;
  r.policy_file = file;
  r.load.include_dirs = {source_dir() + "/policies"};
  r.cache_dir = cache;
  return r;
}

CompiledPolicy compile(const CompileRequest& r) {
  std::string diagnostics;
  auto c = policy::launch::compile_policy(r, diagnostics);
  if (!c) throw std::runtime_error("policy did not compile: " + diagnostics);
  EXPECT_EQ(diagnostics, c->diagnostics);
  return std::move(*c);
}

// Everything policyc and policyrun derive from a compiled policy.
std::string outputs(const CompiledPolicy& c) {
  std::string all;
  for (const auto& a : policy::driver::build_artifacts(c.policy, {}, {}))
    all += a.kind + "\n" + a.content + "\n";
  all += policy::driver::report_text(policy::driver::enforceability_report(c.policy));
  all.append(reinterpret_cast<const char*>(c.filter.data()), c.filter.size() * sizeof c.filter[0]);
  return all + c.diagnostics;
}

std::string fresh_dir(const std::string& name) {
  std::string d = launch_test::scratch() + "/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(IrCodec, EveryShippedPolicyRoundTripsAndTruncationIsRefused) {
  // docker-host-pid: the removals it records (ir::Policy::removals) are coded too.
  for (const char* name : {"docker-default", "web", "redis", "docker-host-pid"}) {
    std::string cache = fresh_dir(std::string("codec-") + name);
    auto c = compile(request(source_dir() + "/policies/" + name + ".pol", ""));
    std::string bytes = policy::driver::encode_ir(c.policy);
    auto back = policy::driver::decode_ir(bytes);
    ASSERT_TRUE(back) << name;
    EXPECT_EQ(policy::driver::encode_ir(*back), bytes) << name;
    EXPECT_FALSE(policy::driver::decode_ir(bytes.substr(0, bytes.size() - 1))) << name;
    EXPECT_FALSE(policy::driver::decode_ir(bytes + "x")) << name;
  }
}

TEST(PolicyCache, CachedCompileIsTheFreshCompileOutputForOutput) {
  for (const char* name : {"docker-default", "web", "redis"}) {
    std::string file = source_dir() + "/policies/" + name + ".pol";
    std::string cache = fresh_dir(std::string("cache-") + name) + "/policy-cache";
    auto fresh = compile(request(file, ""));
    auto first = compile(request(file, cache));
    auto hit = compile(request(file, cache));
    EXPECT_FALSE(fresh.from_cache);
    EXPECT_FALSE(first.from_cache) << name << ": nothing was cached yet";
    EXPECT_TRUE(hit.from_cache) << name;
    EXPECT_EQ(outputs(hit), outputs(fresh)) << name;
    EXPECT_EQ(policy::driver::encode_ir(hit.policy), policy::driver::encode_ir(fresh.policy));
    struct stat st {};
    ASSERT_EQ(::stat(cache.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
  }
}

TEST(PolicyCache, AnyChangeToWhatTheCompileReadMeansAFreshCompile) {
  std::string dir = fresh_dir("cache-stale");
  std::string lib = dir + "/lib", early = dir + "/early";
  fs::create_directories(lib);
  fs::create_directories(early);
  std::ofstream(lib + "/base.pol") << "policy base {\n  syscalls default errno(EPERM) { allow read }\n}\n";
  std::ofstream(dir + "/app.pol")
      << "include \"base.pol\"\npolicy app extends base {\n  syscalls { allow write }\n}\n";
  CompileRequest r = request(dir + "/app.pol", dir + "/policy-cache");
  r.load.include_dirs = {early, lib};  // base.pol is looked for in early/ first, found in lib/
  auto allows = [](const CompiledPolicy& c, const std::string& sc) {
    for (const auto& rule : c.policy.seccomp.rules)
      if (rule.syscall == sc) return true;
    return false;
  };

  EXPECT_FALSE(compile(r).from_cache);
  EXPECT_TRUE(compile(r).from_cache);

  // The included file changes.
  std::ofstream(lib + "/base.pol") << "policy base {\n  syscalls default errno(EPERM) { allow getpid }\n}\n";
  auto edited = compile(r);
  EXPECT_FALSE(edited.from_cache);
  EXPECT_TRUE(allows(edited, "getpid"));
  EXPECT_FALSE(allows(edited, "read"));
  EXPECT_TRUE(compile(r).from_cache);

  // A file appears where the include is looked for first.
  std::ofstream(early + "/base.pol") << "policy base {\n  syscalls default errno(EPERM) { allow openat }\n}\n";
  auto shadowed = compile(r);
  EXPECT_FALSE(shadowed.from_cache);
  EXPECT_TRUE(allows(shadowed, "openat"));

  // The policy file itself changes (same size, one letter).
  std::ofstream(dir + "/app.pol")
      << "include \"base.pol\"\npolicy app extends base {\n  syscalls { allow fsync }\n}\n";
  auto main_edit = compile(r);
  EXPECT_FALSE(main_edit.from_cache);
  EXPECT_TRUE(allows(main_edit, "fsync"));

  // Another seccomp backend: another entry.
  r.seccomp.backend = policy::driver::Backend::LibseccompTree;
  EXPECT_FALSE(compile(r).from_cache);
}

TEST(PolicyCache, UntrustedOrDamagedEntriesAreNeverUsed) {
  std::string dir = fresh_dir("cache-untrusted");
  std::string file = source_dir() + "/policies/web.pol";
  std::string cache = dir + "/policy-cache";
  auto fresh = compile(request(file, ""));
  EXPECT_FALSE(compile(request(file, cache)).from_cache);
  ASSERT_TRUE(compile(request(file, cache)).from_cache);

  // A cache directory others may write is not read.
  ASSERT_EQ(::chmod(cache.c_str(), 0777), 0);
  EXPECT_FALSE(compile(request(file, cache)).from_cache);
  ASSERT_EQ(::chmod(cache.c_str(), 0700), 0);
  ASSERT_TRUE(compile(request(file, cache)).from_cache);

  // A damaged entry (one byte in the middle changed, or truncated) is a miss, not an error.
  auto damage = [&](bool truncate) {
    for (const auto& e : fs::directory_iterator(cache)) {
      auto size = fs::file_size(e.path());
      if (truncate) {
        fs::resize_file(e.path(), size - 3);
      } else {
        std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(size / 2));
        char c = 0;
        f.read(&c, 1);
        f.seekp(static_cast<std::streamoff>(size / 2));
        c = static_cast<char>(c ^ 1);
        f.write(&c, 1);
      }
    }
  };
  for (bool truncate : {false, true}) {
    damage(truncate);
    auto after = compile(request(file, cache));
    EXPECT_FALSE(after.from_cache) << (truncate ? "truncated" : "one bit flipped");
    EXPECT_EQ(outputs(after), outputs(fresh));
    ASSERT_TRUE(compile(request(file, cache)).from_cache);  // the fresh compile replaced it
  }
}
