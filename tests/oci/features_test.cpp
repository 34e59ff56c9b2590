// runtime/oci/features.cpp: the features document, judged by the runtime-spec's own schema.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "compiler/common/names.hpp"
#include "launch/launch_fixture.hpp"
#include "oci/bundle_fixture.hpp"
#include "runtime/oci/config.hpp"

using nlohmann::json;

namespace {

int system_status(const std::string& cmd) {
  int s = std::system(cmd.c_str());
  return WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

// python3 -m jsonschema with the schema's folder as the base of its $refs (defs.json, ...).
int validate(const std::string& instance) {
  const std::string dir =
      std::string(std::getenv("POLICY_SHARED_DIR")) + "/data/schemas/oci-runtime-spec/";
  return system_status("/usr/bin/python3 -m jsonschema --base-uri file://" + dir + " -i " +
                       instance + " " + dir + "features-schema.json 2>" + instance + ".err");
}

}  // namespace

TEST(OciFeatures, ValidatesAgainstTheSchema) {
  if (system_status("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 has no jsonschema module (tools/install-deps)";
  const json f = policy::oci::features();
  const std::string dir = oci_test::new_bundle("features");
  oci_test::write_file(dir + "/features.json", f.dump(2));
  EXPECT_EQ(validate(dir + "/features.json"), 0) << launch_test::slurp(dir + "/features.json.err");
  // The validation can fail: an architecture outside the spec's list is refused.
  json bad = f;
  bad["linux"]["seccomp"]["archs"].push_back("SCMP_ARCH_NOPE");
  oci_test::write_file(dir + "/bad.json", bad.dump(2));
  EXPECT_NE(validate(dir + "/bad.json"), 0);
}

TEST(OciFeatures, SaysWhatThisRuntimeReads) {
  const json f = policy::oci::features();
  EXPECT_EQ(f["ociVersionMin"], "1.0.0");
  EXPECT_TRUE(f["hooks"].empty());  // hooks in a config are refused
  EXPECT_EQ(f["linux"]["capabilities"].size(), policy::names::all_capability_names().size());
  const json& archs = f["linux"]["seccomp"]["archs"];
  const std::string native = "SCMP_ARCH_" + [] {
    std::string n = policy::names::arch_name(policy::names::native_arch());
    for (char& ch : n) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return n;
  }();
  EXPECT_NE(std::find(archs.begin(), archs.end(), native), archs.end()) << archs.dump();
  const json& actions = f["linux"]["seccomp"]["actions"];
  EXPECT_EQ(std::find(actions.begin(), actions.end(), "SCMP_ACT_NOTIFY"), actions.end());
  EXPECT_TRUE(f["annotations"].contains(policy::oci::kPolicyAnnotation));
  EXPECT_FALSE(f["linux"]["selinux"]["enabled"].get<bool>());
}
