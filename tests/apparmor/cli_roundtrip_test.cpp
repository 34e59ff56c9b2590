// The user's path through the tools: `policyc import` Docker's AppArmor profile to a .pol, then
// `policyc compile --emit apparmor` it: apparmor_parser -QKS gives Docker's binary policy again.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/apparmor/parser_tool.hpp"

namespace policy {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AppArmorCli, ImportThenCompileGivesDockersBinaryPolicy) {
  // $POLICYC, else the policyc built next to this test binary
  std::string policyc = std::getenv("POLICYC") ? std::getenv("POLICYC") : "";
  if (policyc.empty())
    policyc = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "policyc";
  if (!std::filesystem::exists(policyc)) GTEST_SKIP() << "no policyc at " << policyc;
  const char* shared = std::getenv("POLICY_SHARED_DIR");
  std::string moby =
      std::string(shared ? shared : "/work/shared") + "/data/profiles/moby-default.apparmor";
  char tmpl[] = "/tmp/aa-cli-XXXXXX";
  ASSERT_TRUE(mkdtemp(tmpl));
  std::string dir = tmpl;
  std::string import =
      policyc + " import " + moby + " -o " + dir + "/imported.pol >" + dir + "/import.log 2>&1";
  ASSERT_EQ(std::system(import.c_str()), 0) << read_file(dir + "/import.log");
  std::string compile = policyc + " compile " + dir + "/imported.pol -o " + dir +
                        " --emit apparmor >" + dir + "/compile.log 2>&1";
  ASSERT_EQ(std::system(compile.c_str()), 0) << read_file(dir + "/compile.log");
  std::string ours = apparmor::binary_policy(read_file(dir + "/docker-default.apparmor"));
  std::string docker = apparmor::binary_policy(read_file(moby));
  EXPECT_TRUE(ours == docker) << read_file(dir + "/imported.pol");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace policy
