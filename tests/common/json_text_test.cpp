// json_text: JSON artifacts whose strings are not UTF-8 are a clear error, never altered.
#include "compiler/common/json_text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace {

std::string error_of(const auto& j) {
  try {
    (void)policy::json_text(j, "web.landlock.json");
  } catch (const policy::Error& e) {
    return e.what();
  }
  return "";
}

TEST(JsonText, WritesIndentedNewlineTerminatedJson) {
  nlohmann::json j = {{"path", "/srv/www"}, {"from", "web.pol:3:5"}};
  EXPECT_EQ(policy::json_text(j, "x"), j.dump(2) + "\n");
}

TEST(JsonText, AStringThatIsNotUtf8IsNamedNotReplaced) {
  nlohmann::ordered_json j;
  j["rules"] = nlohmann::ordered_json::array();
  j["rules"].push_back({{"path", "/srv/ok"}});
  j["rules"].push_back({{"path", "/srv/bad\xff\x01name"}});
  std::string e = error_of(j);
  EXPECT_NE(e.find("web.landlock.json: cannot be written as JSON, which must be UTF-8"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("\"/srv/bad\\xff\\x01name\" is not"), std::string::npos) << e;
  nlohmann::json key = {{"bad\xc3", 1}};  // a truncated two-byte sequence, as a key
  EXPECT_NE(error_of(key).find("\"bad\\xc3\" is not"), std::string::npos) << error_of(key);
}

}  // namespace
