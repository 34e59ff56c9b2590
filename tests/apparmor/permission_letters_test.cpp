// AppArmor permission letters mean one thing in the policy language and in `policyc import`
// (ir::parse_apparmor_permissions), and that thing is what apparmor_parser makes of them: the same
// words accepted and refused, and the profile written from the IR compiles to the same binary
// policy as the original rule.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "compiler/apparmor/parser_tool.hpp"
#include "compiler/apparmor/profile.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/importer/apparmor_profile.hpp"
#include "compiler/ir/apparmor_perms.hpp"

namespace policy {
namespace {

// Plain x alone, with other letters, before and after its qualifier; every qualifier
// apparmor_parser knows and some it does not; repeated and conflicting exec permissions.
const std::vector<std::string> kWords = {
    "x",   "rx",  "xr",   "rwklx", "wklx", "ix",   "ux",   "Ux",  "px",  "Px",  "cx",
    "Cx",  "pix", "Pix",  "cix",   "Cix",  "pux",  "PUx",  "cux", "CUx", "pUx", "Cux",
    "rix", "ixr", "mrix", "xix",   "ixx",  "ixix", "ixpx", "irx", "xir", "ipx", "uix",
    "iix", "i",   "p",    "r",     "rw",   "rwlk", "ra",   "mkl"};

std::string profile_with(const std::string& rule) {
  return "profile t {\n  " + rule + ",\n}\n";
}

std::string rule_of(const std::string& word, bool deny) {
  return std::string(deny ? "deny " : "") + "/bin/foo " + word;
}

// apparmor_parser's verdict on `[deny] /bin/foo WORD,`, asked once per rule.
bool parser_accepts(const std::string& word, bool deny) {
  static std::map<std::string, bool> verdicts;
  const std::string rule = rule_of(word, deny);
  auto it = verdicts.find(rule);
  if (it == verdicts.end())
    it = verdicts.emplace(rule, !apparmor::check_profile(profile_with(rule)).has_value()).first;
  return it->second;
}

TEST(AppArmorLetters, AcceptedAndRefusedExactlyAsApparmorParserDoes) {
  for (bool deny : {false, true})
    for (const std::string& w : kWords) {
      ir::AppArmorPermissions p = ir::parse_apparmor_permissions(w, deny);
      EXPECT_EQ(p.ok(), parser_accepts(w, deny))
          << "'" << rule_of(w, deny) << "': ours says " << (p.ok() ? "valid" : p.error);
    }
}

TEST(AppArmorLetters, PlainXIsAnExecModeOnlyInDenyRulesOrBeforeATarget) {
  // apparmor_parser refuses `/bin/foo x,` ("'x' must be preceded by exec qualifier") and
  // `deny /bin/foo ix,` ("in deny rules 'x' must not be preceded by exec qualifier").
  EXPECT_FALSE(parser_accepts("x", false));
  EXPECT_TRUE(parser_accepts("x", true));
  EXPECT_FALSE(parser_accepts("ix", true));
  ir::AppArmorPermissions allow = ir::parse_apparmor_permissions("x", false);
  EXPECT_FALSE(allow.ok());
  EXPECT_NE(allow.error.find("needs an exec mode"), std::string::npos) << allow.error;
  ir::AppArmorPermissions deny = ir::parse_apparmor_permissions("rwklx", true);
  ASSERT_TRUE(deny.ok()) << deny.error;
  EXPECT_EQ(deny.access, ir::kRead | ir::kWrite | ir::kLock | ir::kLink | ir::kExec);
  EXPECT_EQ(deny.exec_mode, "");  // refuses every exec: no mode
  EXPECT_FALSE(ir::parse_apparmor_permissions("ix", true).ok());
  // `x -> t` is `Px -> t`: apparmor_parser compiles both to the same binary policy.
  ir::AppArmorPermissions target = ir::parse_apparmor_permissions("x", false, true);
  ASSERT_TRUE(target.ok()) << target.error;
  EXPECT_EQ(target.exec_mode, "Px");
  EXPECT_EQ(apparmor::binary_policy(profile_with("/bin/foo x -> bar")),
            apparmor::binary_policy(profile_with("/bin/foo Px -> bar")));
}

// The IR of `WORD /bin/foo` in the language and of `/bin/foo WORD,` in an imported profile.
struct Read {
  bool ok = false;
  uint32_t access = 0;
  std::string exec_mode;
};

Read from_language(const std::string& word, bool deny) {
  DiagnosticEngine d;
  auto p = frontend::load_policy_text(
      "t.pol",
      "policy t { filesystem { " + std::string(deny ? "deny " : "") + word + " /bin/foo } }\n",
      frontend::LoadOptions{}, d);
  if (!p || p->filesystem.rules.size() != 1) return {};
  return {true, p->filesystem.rules[0].access, p->filesystem.rules[0].exec_mode};
}

Read from_profile(const std::string& word, bool deny) {
  DiagnosticEngine d;
  auto p = importer::import_apparmor(profile_with(rule_of(word, deny)), "t.apparmor", d);
  if (!p || p->filesystem.rules.size() != 1) return {};
  return {true, p->filesystem.rules[0].access, p->filesystem.rules[0].exec_mode};
}

TEST(AppArmorLetters, LanguageAndImportReadEveryWordTheSameWay) {
  for (bool deny : {false, true})
    for (const std::string& w : kWords) {
      Read lang = from_language(w, deny), imported = from_profile(w, deny);
      SCOPED_TRACE(rule_of(w, deny));
      EXPECT_EQ(lang.ok, imported.ok);
      EXPECT_EQ(lang.access, imported.access);
      EXPECT_EQ(lang.exec_mode, imported.exec_mode);
      EXPECT_EQ(imported.ok, parser_accepts(w, deny));
    }
}

TEST(AppArmorLetters, ProfileWrittenFromTheIrIsTheOriginalRuleForApparmorParser) {
  for (bool deny : {false, true})
    for (const std::string& w : kWords) {
      Read r = from_profile(w, deny);
      if (!r.ok) continue;
      SCOPED_TRACE(rule_of(w, deny));
      ir::Policy p;
      p.name = "t";
      p.filesystem.specified = true;
      p.filesystem.rules.push_back({deny, r.access, "/bin/foo", r.exec_mode, {}});
      std::string written = apparmor::generate_profile(p);
      // The same profile with the rule's letters as the original wrote them.
      size_t at = written.find("/bin/foo ");
      ASSERT_NE(at, std::string::npos) << written;
      at += 9;
      std::string original = written;
      original.replace(at, written.find(',', at) - at, w);
      EXPECT_EQ(apparmor::binary_policy(written), apparmor::binary_policy(original))
          << written << "\n---\n"
          << original;
    }
}

}  // namespace
}  // namespace policy
