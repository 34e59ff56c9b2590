// `-X` in the namespaces, rootfs and filesystem sections: a derived policy takes away what the
// policies before it in the extends order gave (docs/language.md, "Removals"). The syscalls and
// capabilities removals live with their resolvers (resolve.cpp). Every removal must remove
// something, and must not be undone by its own section: both are errors, so that a typo or a
// misunderstanding never leaves in place what the author meant to take away.
#include <algorithm>

#include "compiler/frontend/resolve.hpp"

namespace policy::frontend {

std::string removes_nothing_message(const ast::Removal& r, const std::string& what,
                                    const std::string& policy,
                                    const std::vector<std::string>& inherited) {
  const std::string written = (r.is_group ? "@" : "") + r.name.text;
  std::string msg = quoted_word("-" + written) + " removes nothing: the bases of policy '" +
                    policy + "' grant no " + what + " " + quoted_word(written);
  auto s = suggest(written, inherited);
  msg += s.empty() ? "; remove the line" : "; did you mean '-" + s[0] + "'?";
  return msg;
}

void report_added_and_removed(const ast::Removal& r, const std::string& adding,
                              const SourceLoc& adding_loc, DiagnosticEngine& diags) {
  diags.error(r.loc,
              quoted_word("-" + std::string(r.is_group ? "@" : "") + r.name.text) + " and " +
                  adding +
                  " in the same section: a removal takes away only what the bases grant; keep "
                  "one of the two",
              {DiagnosticEngine::note(adding_loc, "it is granted here")});
}

namespace {

// /tmp/ and /tmp name the same mount target.
std::string target_of(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

void remove_namespaces(const ast::NamespacesSection& s, const std::string& policy, ir::Policy& out,
                       DiagnosticEngine& diags) {
  std::vector<ir::NamespaceSpec>& have = out.namespaces.namespaces;
  for (const ast::Removal& r : s.removals) {
    std::optional<ir::NamespaceKind> kind = ir::namespace_kind(r.name.text);
    if (!kind) {
      diags.error(r.name.loc, unknown_message("namespace", r.name.text, ir::namespace_spellings()));
      continue;
    }
    if (*kind == ir::NamespaceKind::Mount) {
      diags.error(r.loc, "'-" + r.name.text +
                             "' is not possible: policyrun builds the container's root in a mount "
                             "namespace of its own; remove the line");
      continue;
    }
    auto same = std::find_if(s.items.begin(), s.items.end(), [&](const ast::NsItem& i) {
      return i.kind == ast::NsItem::Namespace && ir::namespace_kind(i.name.text) == kind;
    });
    if (same != s.items.end()) {
      report_added_and_removed(r, "'" + same->name.text + "'", same->loc, diags);
      continue;
    }
    auto it = std::find_if(have.begin(), have.end(), [&](auto& n) { return n.kind == *kind; });
    if (it == have.end()) {
      std::vector<std::string> inherited;
      for (const ir::NamespaceSpec& n : have) inherited.push_back(ir::namespace_name(n.kind));
      diags.error(r.loc, removes_nothing_message(r, "namespace", policy, inherited));
      continue;
    }
    have.erase(it);
    out.removals.push_back({"namespaces", ir::namespace_name(*kind), r.loc});
  }
}

void remove_mounts(const ast::SettingsSection& s, const std::string& policy, ir::Policy& out,
                   DiagnosticEngine& diags) {
  ir::RootfsPlan& root = out.rootfs;
  auto same_target = [](const std::string& a, const std::string& b) {
    return target_of(a) == target_of(b);
  };
  for (const ast::Removal& r : s.removals) {
    if (!check_path(r.name, diags)) continue;
    const std::string target = target_of(r.name.text);
    // The section's own mounts at that target.
    const ast::Setting* adding = nullptr;
    for (const ast::Setting& item : s.items) {
      std::vector<std::string> targets;
      if (item.key == "tmpfs") targets = {item.values.at(0).text};
      if (item.key == "bind") targets = {item.values.at(1).text};
      if (item.key == "masked" || item.key == "readonly-paths")
        for (const ast::Token& t : item.values) targets.push_back(t.text);
      if (item.key == "docker-defaults") {
        targets = ir::docker_masked_paths();
        for (const std::string& p : ir::docker_readonly_paths()) targets.push_back(p);
      }
      for (const std::string& t : targets)
        if (same_target(t, target)) adding = &item;
    }
    if (adding) {
      report_added_and_removed(r, "'" + adding->key + "'", adding->loc, diags);
      continue;
    }
    std::vector<std::string> inherited;
    for (const ir::MountSpec& m : root.mounts) inherited.push_back(m.target);
    for (const std::string& p : root.masked_paths) inherited.push_back(p);
    for (const std::string& p : root.readonly_paths) inherited.push_back(p);
    size_t removed = 0;
    auto drop_paths = [&](std::vector<std::string>& v) {
      auto end = std::remove_if(v.begin(), v.end(),
                                [&](const std::string& p) { return same_target(p, target); });
      removed += static_cast<size_t>(v.end() - end);
      v.erase(end, v.end());
    };
    auto end = std::remove_if(root.mounts.begin(), root.mounts.end(), [&](const ir::MountSpec& m) {
      return same_target(m.target, target);
    });
    removed += static_cast<size_t>(root.mounts.end() - end);
    root.mounts.erase(end, root.mounts.end());
    drop_paths(root.masked_paths);
    drop_paths(root.readonly_paths);
    if (!removed) {
      diags.error(r.loc, removes_nothing_message(r, "mount at", policy, inherited));
      continue;
    }
    out.removals.push_back({"rootfs", target, r.loc});
  }
}

void remove_paths(const ast::FilesystemSection& s, const std::string& policy, ir::Policy& out,
                  DiagnosticEngine& diags) {
  ir::FilesystemPolicy& fs = out.filesystem;
  for (const ast::Removal& r : s.removals) {
    if (!check_path(r.name, diags)) continue;
    const std::string& path = r.name.text;
    const ast::FsItem* adding = nullptr;
    for (const ast::FsItem& item : s.items)
      if (item.kind == ast::FsItem::Access && !item.deny)
        for (const ast::Token& p : item.paths)
          if (p.text == path) adding = &item;
    if (adding) {
      report_added_and_removed(r, "an allow rule for '" + path + "'", adding->loc, diags);
      continue;
    }
    // Only what the bases allow: their deny rules for the path stay (a removal never widens).
    auto end = std::remove_if(fs.rules.begin(), fs.rules.end(),
                              [&](const ir::PathRule& p) { return !p.deny && p.pattern == path; });
    if (end == fs.rules.end()) {
      std::vector<std::string> inherited;
      for (const ir::PathRule& p : fs.rules)
        if (!p.deny) inherited.push_back(p.pattern);
      diags.error(r.loc, removes_nothing_message(r, "access to", policy, inherited));
      continue;
    }
    fs.rules.erase(end, fs.rules.end());
    const bool own_allow_all =
        std::any_of(s.items.begin(), s.items.end(),
                    [](const ast::FsItem& i) { return i.kind == ast::FsItem::AllowAll; });
    if (fs.allow_all_files || own_allow_all) {
      diags.error(r.loc, quoted_word("-" + path) +
                             " refuses nothing: 'allow all' lets the process reach every file; "
                             "write a deny rule for the accesses to refuse instead, as in "
                             "'deny write " +
                             path + "'");
      continue;
    }
    out.removals.push_back({"filesystem", path, r.loc});
  }
}

}  // namespace policy::frontend
