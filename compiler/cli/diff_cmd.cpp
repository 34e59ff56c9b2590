// `policyc diff OLD NEW`: the privilege delta between two policies (compiler/review), each a
// file or REV:path read from git; docs/review.md.
#include <iostream>
#include <memory>
#include <sstream>

#include "compiler/cli/commands.hpp"
#include "compiler/cli/options.hpp"
#include "compiler/common/json_text.hpp"
#include "compiler/driver/output_files.hpp"
#include "compiler/review/delta.hpp"
#include "compiler/review/render.hpp"
#include "compiler/review/revision.hpp"

namespace po = boost::program_options;

namespace policy::cli {

namespace {

struct Side {
  std::string label;  // as the user wrote it
  std::unique_ptr<review::RevisionCheckout> revision;
  std::string revision_name;
  std::optional<ir::Policy> policy;
};

// Loads one side, printing its diagnostics with REV:path locations for a revision.
Side load_side(const std::string& arg, const PolicyOptions& popts) {
  Side side{arg, nullptr, "", std::nullopt};
  auto rev = review::split_revision(arg);
  if (!rev) {
    DiagnosticEngine diags;
    side.policy = load(arg, popts, diags);
    return side;
  }
  side.revision = std::make_unique<review::RevisionCheckout>(rev->first, rev->second);
  side.revision_name = rev->first;
  DiagnosticEngine diags;
  popts.configure(diags);
  auto policy = frontend::load_policy_file(side.revision->file(), popts.load_options(), diags);
  std::ostringstream text;
  diags.print_all(text);
  std::cerr << side.revision->display_text(text.str());
  if (!diags.has_errors()) side.policy = std::move(policy);
  return side;
}

}  // namespace

int cmd_diff(const std::vector<std::string>& args) {
  PolicyOptions popts;
  std::string old_arg, new_arg, format = "text", fail_on, output;
  po::options_description d(
      "policyc diff OLD NEW [--format text|markdown|json|sarif] [--fail-on widen|SEVERITY] "
      "[-o FILE] [options]\n"
      "OLD and NEW are policy files or REV:path (read from git, e.g. HEAD~1:policies/web.pol)");
  d.add_options()("help,h", "this help")("old", po::value(&old_arg)->required(),
                                         "the policy before")(
      "new", po::value(&new_arg)->required(), "the policy after")(
      "format", po::value(&format), "text (default), markdown, json or sarif")(
      "fail-on", po::value(&fail_on),
      "exit 3 when privileges widen: `widen` (any widening) or a severity (low, medium, high, "
      "critical: a widening at or above it)")("output,o", po::value(&output),
                                              "write the delta to FILE instead of standard output");
  popts.add_to(d);
  if (!parse_command(args, d, {{"old", 1}, {"new", 1}})) return 0;
  if (format != "text" && format != "markdown" && format != "json" && format != "sarif")
    throw UsageError("--format takes text, markdown, json or sarif, not '" + format + "'");
  std::optional<review::Severity> threshold;
  if (fail_on == "widen")
    threshold = review::Severity::Info;
  else if (!fail_on.empty() && !(threshold = review::parse_severity(fail_on)))
    throw UsageError(
        "--fail-on takes widen or a severity (info, low, medium, high, critical), not '" + fail_on +
        "'");
  const driver::SeccompOptions so = popts.seccomp_options();

  Side old_side = load_side(old_arg, popts), new_side = load_side(new_arg, popts);
  if (!old_side.policy || !new_side.policy) return 1;

  review::Delta delta = review::diff_policies(*old_side.policy, *new_side.policy, so);
  delta.old_label = old_arg;
  delta.new_label = new_arg;
  delta.new_revision = new_side.revision_name;
  for (review::Change& c : delta.changes)
    for (const Side* s : {&old_side, &new_side})
      if (s->revision) c.loc.file = s->revision->display(c.loc.file);

  std::string text;
  if (format == "markdown")
    text = review::render_markdown(delta);
  else if (format == "json")
    text = json_text(review::render_json(delta), "the JSON diff");
  else if (format == "sarif")
    text = json_text(review::render_sarif(delta), "the SARIF diff");
  else
    text = review::render_text(delta);
  if (output.empty())
    std::cout << text;
  else
    driver::write_files_atomically({{output, text}});

  if (threshold)
    for (const review::Change& c : delta.changes)
      if (c.direction == review::Direction::Widen && c.severity >= *threshold) return 3;
  return 0;
}

}  // namespace policy::cli
