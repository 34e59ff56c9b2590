#include "compiler/inspect/filter_text.hpp"

#include "compiler/importer/pol_writer.hpp"

namespace policy::inspect {

std::string filter_policy_text(const seccomp::Decompiled& filter, const std::string& name,
                               const std::vector<std::string>& header) {
  ir::Policy p;
  p.name = name;
  p.seccomp = filter.policy;
  importer::WriterOptions o;
  for (const std::string& h : header) o.header_comment += h + "\n";
  for (const std::string& n : filter.notes)
    o.header_comment += "not expressible, so this text differs from the filter here: " + n + "\n";
  return importer::write_policy(p, o);
}

}  // namespace policy::inspect
