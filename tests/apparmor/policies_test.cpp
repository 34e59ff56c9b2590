// Every policy shipped in policies/ compiles to a profile apparmor_parser accepts, and
// docker-default.pol compiles to exactly the binary policy of Docker's own profile.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/apparmor/parser_tool.hpp"
#include "compiler/apparmor/profile.hpp"
#include "compiler/frontend/frontend.hpp"

namespace policy {
namespace {

std::string source_dir() {
  const char* d = std::getenv("POLICY_SOURCE_DIR");
  return d ? d : "/work/main";
}
std::string shared_dir() {
  const char* d = std::getenv("POLICY_SHARED_DIR");
  return d ? d : "/work/shared";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<ir::Policy> load(const std::string& path) {
  DiagnosticEngine d;
  auto p = frontend::load_policy_file(path, {}, d);
  if (!p) {
    std::ostringstream os;
    d.print_all(os);
    ADD_FAILURE() << path << " does not compile:\n" << os.str();
  }
  return p;
}

TEST(AppArmorPolicies, EveryShippedPolicyGivesAProfileApparmorParserAccepts) {
  std::vector<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(source_dir() + "/policies"))
    if (e.path().extension() == ".pol") files.push_back(e.path().string());
  ASSERT_FALSE(files.empty());
  for (auto& f : files) {
    auto p = load(f);
    if (!p) continue;
    std::string profile = apparmor::generate_profile(*p);
    auto err = apparmor::check_profile(profile);
    EXPECT_FALSE(err) << f << ": apparmor_parser -Q -K refused the profile:\n"
                      << *err << "\n"
                      << profile;
  }
}

TEST(AppArmorPolicies, DockerDefaultPolIsBinaryIdenticalToDockersProfile) {
  auto p = load(source_dir() + "/policies/docker-default.pol");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->filesystem.specified) << "docker-default.pol has no filesystem section";
  std::string ours = apparmor::binary_policy(apparmor::generate_profile(*p));
  std::string docker =
      apparmor::binary_policy(read_file(shared_dir() + "/data/profiles/moby-default.apparmor"));
  ASSERT_FALSE(docker.empty());
  EXPECT_TRUE(ours == docker) << "apparmor_parser -QKS output differs (" << ours.size() << " vs "
                              << docker.size() << " bytes)";
}

}  // namespace
}  // namespace policy
