// A deliberately wrong policy makes the real service fail, and policyrun says which layer refused
// which operation under which rule: web.pol without the content it serves (one path missing,
// Landlock), redis.pol without the fsync family (one syscall group missing, seccomp).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "runtime/launch/landlock.hpp"
#include "services/service_fixture.hpp"
#include "support/kernel_skip.hpp"

namespace {

using namespace std::chrono_literals;

// The shipped policy `file` with `line` (which must be in it) removed, written next to the test's
// state as `name`; includes still resolve (policyrun gets -I policies).
std::string without(const std::string& file, const std::string& line, const std::string& name) {
  std::ifstream in(services::policy_for(file));
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const size_t at = s.find(line);
  if (at == std::string::npos) throw std::runtime_error(file + " has no line '" + line + "'");
  s.erase(at, line.size());
  std::string path = services::state_root() + "/" + name;
  std::ofstream(path) << s;
  return path;
}

std::string include_dir() {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  return std::string(src ? src : ".") + "/policies";
}

}  // namespace

// nginx answers 403 for its page, and the refusal is named: the call, the path, Landlock, and
// that no rule of the policy allows reading it.
TEST(WrongPolicy, NginxWithoutItsContentPathSays403AndNamesLandlockAndThePath) {
  SKIP_UNLESS(needs::root(), needs::program("/usr/bin/nsenter"));
  if (policy::launch::landlock_abi() == 0) GTEST_SKIP() << "this kernel has no Landlock";
  const std::string pol =
      without("web.pol", ", /var/www/**", "web-without-www.pol");  // keeps the rest of the line
  services::Service nginx(pol,
                          services::run_args("nginx", {"-I", include_dir(), "--explain-files"}));
  ASSERT_EQ(nginx.wait_for_port(80), "");
  auto r = nginx.client({"curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                         "http://127.0.0.1/"});
  EXPECT_EQ(r.out, "403") << r.err << nginx.err();
  for (int i = 0; i < 50 && nginx.err().find("by Landlock") == std::string::npos; ++i)
    std::this_thread::sleep_for(100ms);
  const std::string err = nginx.err();
  EXPECT_NE(err.find("policyrun: denied: openat(AT_FDCWD, \"/var/www/html/index.html\", O_RDONLY"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("by Landlock: no rule of web-without-www.pol allows read on "
                     "/var/www/html/index.html"),
            std::string::npos)
      << err;
  nginx.stop();
}

// redis cannot fsync its snapshot: BGSAVE fails, and the refused fsync is named with the
// policy's default action and where the policy is.
TEST(WrongPolicy, RedisWithoutFsyncFailsBgsaveAndNamesSeccompAndTheSyscall) {
  SKIP_UNLESS(needs::root(), needs::program("/usr/bin/nsenter"), needs::program("/usr/bin/redis-cli"));
  const std::string pol = without("redis.pol", "    allow @basic-io, @file-system-core, @sync-core",
                                  "redis-without-sync.pol");
  // Put the I/O groups back without @sync-core.
  {
    std::ifstream in(pol);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    s.replace(s.find("    allow @default-core, @arch-runtime"),
              std::string("    allow @default-core, @arch-runtime").size(),
              "    allow @default-core, @arch-runtime\n    allow @basic-io, @file-system-core");
    std::ofstream(pol) << s;
  }
  services::Service redis(pol, services::run_args("redis", {"-I", include_dir()}));
  ASSERT_EQ(redis.wait_for_port(6379), "");
  auto cli = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"redis-cli", "-h", "127.0.0.1", "-p", "6379"};
    argv.insert(argv.end(), args.begin(), args.end());
    return redis.client(argv).out;
  };
  EXPECT_EQ(cli({"SET", "k", "v"}), "OK\n");
  cli({"BGSAVE"});
  std::string info;
  for (int i = 0; i < 50; ++i) {
    info = cli({"INFO", "persistence"});
    if (info.find("rdb_bgsave_in_progress:0") != std::string::npos &&
        info.find("rdb_last_bgsave_status:") != std::string::npos &&
        redis.err().find("denied: f") != std::string::npos)
      break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(info.find("rdb_last_bgsave_status:err"), std::string::npos) << info << redis.err();
  const std::string err = redis.err();
  // rdbSave syncs with fsync; the AOF with fdatasync on Linux: either is the one refused.
  EXPECT_TRUE(err.find("policyrun: denied: fsync(") != std::string::npos ||
              err.find("policyrun: denied: fdatasync(") != std::string::npos)
      << err;
  EXPECT_NE(err.find("by seccomp: errno(EPERM) from the default of redis-without-sync.pol"),
            std::string::npos)
      << err;
  redis.stop();
}
