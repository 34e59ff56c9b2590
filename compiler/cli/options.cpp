#include "compiler/cli/options.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/cli/commands.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"

namespace po = boost::program_options;

namespace policy::cli {

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    std::stringstream ss(item);
    for (std::string s; std::getline(ss, s, ',');)
      if (!s.empty()) out.push_back(s);
  }
  return out;
}

void PolicyOptions::add_to(po::options_description& d) {
  d.add_options()("include-dir,I", po::value(&include_dirs)->composing(),
                  "search DIR for included policies")(
      "policy", po::value(&policy_name), "the policy to use when the file holds several")(
      "arch", po::value(&arches)->composing(),
      "target architectures (comma-separated), e.g. x86_64,x86,x32 or aarch64")(
      "kernel", po::value(&kernel),
      "target kernel version for `when kernel >=` (default: this host's)")(
      "backend", po::value(&backend),
      "seccomp backend: default (policyc's optimising generator), libseccomp, libseccomp-linear")(
      "warning,W", po::value(&warnings)->composing(),
      "-Wno-NAME silences warning NAME; -Werror makes warnings errors")(
      "error-limit", po::value(&error_limit),
      "stop printing errors after N of them (default 20; 0: no limit)");
}

frontend::LoadOptions PolicyOptions::load_options() const {
  frontend::LoadOptions o;
  o.include_dirs = include_dirs;
  for (const std::string& d : driver::default_include_dirs()) o.include_dirs.push_back(d);
  if (!policy_name.empty()) o.policy_name = policy_name;
  for (const std::string& a : split_list(arches)) {
    auto tok = names::arch_token(a);
    if (!tok) {
      auto s = suggest(a, names::all_arch_names());
      throw UsageError("unknown architecture '" + a + "'" +
                       (s.empty() ? "" : "; did you mean '" + s[0] + "'?"));
    }
    // "x86_64" alone means the ABI the user named; `--arch x86_64,x86,x32` for all three.
    o.arches.push_back(*tok);
  }
  o.kernel = kernel_version();
  o.error_limit = error_limit;
  return o;
}

std::optional<ir::KernelVersion> PolicyOptions::kernel_version() const {
  if (kernel.empty()) return std::nullopt;
  auto k = driver::parse_kernel_version(kernel);
  if (!k) throw UsageError("--kernel wants MAJOR.MINOR, e.g. 5.10; got '" + kernel + "'");
  return k;
}

driver::SeccompOptions PolicyOptions::seccomp_options() const {
  driver::SeccompOptions o;
  auto b = driver::parse_backend(backend);
  if (!b)
    throw UsageError("unknown backend '" + backend +
                     "'; choose default, libseccomp or libseccomp-linear");
  o.backend = *b;
  o.kernel = kernel_version();
  return o;
}

void PolicyOptions::configure(DiagnosticEngine& diags) const {
  for (const std::string& w : warnings) {
    if (w == "error")
      diags.set_warnings_as_errors(true);
    else if (w.rfind("no-", 0) == 0)
      diags.disable_warning(w.substr(3));
    else
      throw UsageError("unknown warning option '-W" + w + "'; use -Wno-NAME or -Werror");
  }
}

bool parse_command(const std::vector<std::string>& args, const po::options_description& d,
                   std::initializer_list<std::pair<const char*, int>> positionals) {
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    std::cout << d;
    return false;
  }
  po::positional_options_description pos;
  for (const auto& [name, count] : positionals) pos.add(name, count);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(d).positional(pos).run(), vm);
  po::notify(vm);
  return true;
}

std::optional<ir::Policy> load(const std::string& file, const PolicyOptions& opts,
                               DiagnosticEngine& diags) {
  opts.configure(diags);
  auto policy = frontend::load_policy_file(file, opts.load_options(), diags);
  diags.print_all(std::cerr);
  if (diags.has_errors()) return std::nullopt;
  return policy;
}

std::string read_input(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw sys_error("cannot read", file);
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw sys_error("cannot read", file);
  return buf.str();
}

}  // namespace policy::cli
