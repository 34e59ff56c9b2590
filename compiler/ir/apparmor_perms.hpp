// AppArmor file permission letters (`rwkl`, `ix`, `Px -> t`, `deny ... x`), read once for the
// policy language and the AppArmor importer, with the meaning apparmor_parser gives them
// (checked against apparmor_parser in tests/apparmor/permission_letters_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace policy::ir {

struct AppArmorPermissions {
  uint32_t access = 0;    // FileAccess bits
  std::string exec_mode;  // with kExec in an allow rule: "ix", "px", "Pix", "Cux"...; else ""
  std::string error;      // why the letters are not valid AppArmor; empty when they are
  bool ok() const { return error.empty(); }
};

// One word of letters: r w a m l k, and x with its exec qualifier (i, u/U, p/P, c/C, or p/P/c/C
// followed by i, u or U). As apparmor_parser: in an allow rule `x` needs a qualifier (plain `x` is
// refused), except before a named target, where `x -> t` means `Px -> t`; in a deny rule `x`
// takes no qualifier and refuses every exec (exec_mode stays empty). `has_target`: the rule
// continues with `-> TARGET`.
AppArmorPermissions parse_apparmor_permissions(std::string_view letters, bool deny,
                                               bool has_target = false);

// True when `word` is made only of the characters permission letters use: tells `PERMS PATH`
// from other words before the letters are checked.
bool looks_like_apparmor_permissions(std::string_view word);

}  // namespace policy::ir
