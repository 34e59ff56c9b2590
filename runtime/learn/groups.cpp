#include "runtime/learn/groups.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "compiler/common/diagnostics.hpp"
#include "compiler/common/error.hpp"
#include "compiler/frontend/parse.hpp"
#include "compiler/frontend/resolve.hpp"
#include "runtime/launch/files.hpp"

namespace policy::learn {

namespace fs = std::filesystem;

std::optional<std::string> find_groups_dir(const std::string& base_policy_file,
                                           const std::vector<std::string>& include_dirs) {
  std::vector<fs::path> candidates{fs::path(base_policy_file).parent_path() / "groups"};
  for (const std::string& d : include_dirs) candidates.push_back(fs::path(d) / "groups");
  for (const fs::path& c : candidates) {
    std::error_code ec;
    if (fs::is_directory(c, ec)) return fs::absolute(c, ec).lexically_normal().string();
  }
  return std::nullopt;
}

SyscallGroups load_groups(const std::string& dir) {
  SyscallGroups out;
  out.dir = dir;
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".pol") files.push_back(e.path().string());
  if (ec) throw Error("cannot list the syscall groups in " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (std::find(files.begin(), files.end(), dir + "/all.pol") != files.end())
    out.include = dir + "/all.pol";

  DiagnosticEngine diags;
  frontend::Program program;
  for (const std::string& f : files) {
    auto file = frontend::parse_policy_text(f, launch::files::read(f), diags);
    if (!file) continue;
    program.files.push_back(std::make_unique<frontend::ast::File>(std::move(*file)));
    for (const auto& g : program.files.back()->groups) program.groups.emplace(g.name.text, &g);
  }
  frontend::GroupExpansions expansions;
  if (!diags.has_errors()) frontend::check_groups(program, diags, &expansions);
  if (diags.has_errors()) {
    std::ostringstream os;
    diags.print_all(os);
    throw Error("cannot read the syscall groups in " + dir + ":\n" + os.str());
  }
  for (const auto& [name, members] : expansions) {
    if (!members) continue;
    std::vector<std::string>& names = out.members[name];
    for (const auto& m : *members) names.push_back(m.syscall);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
  }
  return out;
}

}  // namespace policy::learn
