#include "compiler/ir/apparmor_perms.hpp"

#include "compiler/ir/filesystem.hpp"

namespace policy::ir {

namespace {

constexpr std::string_view kQualifiers = "iupcUPC";
constexpr std::string_view kExecModes =
    "ix, px, cx, ux, Px, Cx, Ux, pix, Pix, cix, Cix, pux, PUx, cux, CUx";

uint32_t access_bit(char c) {
  switch (c) {
    case 'r':
      return kRead;
    case 'w':
      return kWrite;
    case 'a':
      return kAppend;
    case 'm':
      return kMap;
    case 'l':
      return kLink;
    case 'k':
      return kLock;
    default:
      return 0;
  }
}

// apparmor_parser's qualifiers: one of i u U p P c C, or p P c C followed by i, u or U.
bool valid_qualifier(std::string_view q) {
  if (q.size() == 1) return true;
  return q.size() == 2 && std::string_view("pPcC").find(q[0]) != std::string_view::npos &&
         std::string_view("iuU").find(q[1]) != std::string_view::npos;
}

AppArmorPermissions refused(std::string message) {
  AppArmorPermissions p;
  p.error = std::move(message);
  return p;
}

}  // namespace

bool looks_like_apparmor_permissions(std::string_view word) {
  if (word.empty()) return false;
  for (char c : word)
    if (!access_bit(c) && c != 'x' && kQualifiers.find(c) == std::string_view::npos) return false;
  return true;
}

AppArmorPermissions parse_apparmor_permissions(std::string_view letters, bool deny,
                                               bool has_target) {
  AppArmorPermissions p;
  std::string qualifier;  // the exec permission's, once an x has one
  std::string pending;    // qualifier letters not yet followed by their x
  bool exec = false;
  for (char c : letters) {
    if (uint32_t bit = access_bit(c); bit && pending.empty()) {
      p.access |= bit;
    } else if (kQualifiers.find(c) != std::string_view::npos) {
      pending += c;
    } else if (c != 'x') {
      return refused(bit ? "exec qualifier '" + pending + "' must be followed by x"
                         : "'" + std::string(1, c) + "' is not an AppArmor permission letter");
    } else if (!pending.empty()) {
      if (!valid_qualifier(pending))
        return refused("'" + pending +
                       "x' is not an exec mode (AppArmor's: " + std::string(kExecModes) + ")");
      if (!qualifier.empty() && qualifier != pending)
        return refused("conflicting exec modes '" + qualifier + "x' and '" + pending + "x'");
      qualifier = pending;
      pending.clear();
      exec = true;
    } else {
      exec = true;
    }
  }
  if (letters.empty()) return refused("no permission letters");
  if (!pending.empty()) return refused("exec qualifier '" + pending + "' must be followed by x");
  if (exec) p.access |= kExec;
  if (deny) {
    // apparmor_parser: "in deny rules 'x' must not be preceded by exec qualifier".
    if (!qualifier.empty())
      return refused("a deny rule refuses every exec: write x, not " + qualifier +
                     "x (AppArmor takes no exec mode in a deny rule)");
    return p;
  }
  if (exec && qualifier.empty()) {
    // apparmor_parser: "'x' must be preceded by exec qualifier"; `x -> t` compiles as `Px -> t`.
    if (!has_target)
      return refused(
          "'x' needs an exec mode in an allow rule, as in AppArmor: ix (the program "
          "runs under this profile; what `exec` means), px, cx or ux");
    qualifier = "P";
  }
  if (exec) p.exec_mode = qualifier + "x";
  return p;
}

}  // namespace policy::ir
