#include "runtime/image/user.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <sstream>

#include "compiler/common/error.hpp"
#include "runtime/common/text.hpp"
#include "runtime/image/fsutil.hpp"

namespace policy::image {

namespace {

constexpr size_t kDbLimit = 8u << 20;

// /etc/passwd or /etc/group as the container will see it: every symlink on the way is resolved
// inside the root. `text` is empty when the file is missing; `unusable` says why a file that is
// there cannot be read (not a regular file, too large): a name cannot be looked up in it, and a
// number needs no entry, as Docker's runtimes treat an unreadable database.
struct Db {
  std::optional<std::string> text;
  std::string unusable;
};

Db read_in_root(int root_fd, const char* name, const std::string& what) {
  UniqueFd f = runtime::openat2(root_fd, name, O_RDONLY | O_NONBLOCK,
                                RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (!f.valid()) {
    if (errno == ENOENT) return {};
    throw sys_error(what + ": open in the container root", name);
  }
  struct stat st;
  if (::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return {std::nullopt, what + ": " + name + " in the container root is not a regular file"};
  if (static_cast<uint64_t>(st.st_size) > kDbLimit)
    return {std::nullopt, what + ": " + name + " in the container root is larger than " +
                              std::to_string(kDbLimit) + " bytes"};
  return {runtime::read_fd(f.get(), what + ": " + name, kDbLimit), {}};
}

// A lookup by name in `db`: its text, or an Error when the file is there but unusable.
const std::optional<std::string>& for_names(const Db& db) {
  if (!db.unusable.empty()) throw Error(db.unusable);
  return db.text;
}

std::vector<std::vector<std::string>> colon_records(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(runtime::split(line, ':'));
  }
  return out;
}

std::optional<uint32_t> parse_id(const std::string& s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > 0x7fffffffu) return std::nullopt;
  return static_cast<uint32_t>(v);
}

}  // namespace

ExecUser resolve_user(int root_fd, const std::string& user, const std::string& what) {
  ExecUser out;
  if (user.empty()) return out;
  size_t colon = user.find(':');
  std::string user_part = user.substr(0, colon);
  std::optional<std::string> group_part;
  if (colon != std::string::npos) group_part = user.substr(colon + 1);
  if (user_part.empty()) throw Error(what + ": User '" + user + "' has no user part");

  const Db passwd_db = read_in_root(root_fd, "/etc/passwd", what);
  std::string user_name;
  auto uid = parse_id(user_part);
  const auto& passwd = uid ? passwd_db.text : for_names(passwd_db);
  bool found = false;
  if (passwd) {
    for (auto& f : colon_records(*passwd)) {
      if (f.size() < 7) continue;
      auto fuid = parse_id(f[2]);
      if (!fuid) continue;
      if ((uid && *fuid == *uid) || (!uid && f[0] == user_part)) {
        out.uid = *fuid;
        out.gid = parse_id(f[3]).value_or(0);
        out.home = f[5].empty() ? "/" : f[5];
        user_name = f[0];
        found = true;
        break;
      }
    }
  }
  if (!found) {
    if (!uid)
      throw Error(what + ": User '" + user_part + "' is not in the image's /etc/passwd; use a " +
                  "numeric uid or add the user to the image");
    out.uid = *uid;
  }

  const Db group_db = read_in_root(root_fd, "/etc/group", what);
  const auto& group = group_db.text;
  if (group_part) {
    if (group_part->empty()) throw Error(what + ": User '" + user + "' has an empty group part");
    auto gid = parse_id(*group_part);
    if (gid) {
      out.gid = *gid;
    } else {
      bool gfound = false;
      if (for_names(group_db))
        for (auto& f : colon_records(*group))
          if (f.size() >= 3 && f[0] == *group_part && parse_id(f[2])) {
            out.gid = *parse_id(f[2]);
            gfound = true;
            break;
          }
      if (!gfound)
        throw Error(what + ": group '" + *group_part + "' is not in the image's /etc/group; " +
                    "use a numeric gid or add the group to the image");
    }
  } else if (group && !user_name.empty()) {
    for (auto& f : colon_records(*group)) {
      if (f.size() < 4) continue;
      auto gid = parse_id(f[2]);
      if (!gid) continue;
      for (const auto& m : runtime::split(f[3], ','))
        if (m == user_name && *gid != out.gid) out.supplementary_groups.push_back(*gid);
    }
  }
  return out;
}

}  // namespace policy::image
