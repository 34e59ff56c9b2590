#include "compiler/importer/import.hpp"

#include <cctype>
#include <filesystem>

#include "compiler/common/error.hpp"
#include "compiler/importer/apparmor_profile.hpp"
#include "compiler/importer/pol_writer.hpp"
#include "compiler/importer/seccomp_json.hpp"

namespace fs = std::filesystem;

namespace policy::importer {

Format sniff_format(const std::string& text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && text[first] == '{' ? Format::SeccompJson
                                                          : Format::AppArmorProfile;
}

const char* format_name(Format format) {
  return format == Format::SeccompJson ? "seccomp profile" : "AppArmor profile";
}

namespace {

std::optional<ir::Policy> read_seccomp_json(const std::string& text, const ImportOptions& options,
                                            DiagnosticEngine& diags) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(options.file + ": not valid JSON: " + e.what());
  }
  JsonImportOptions o;
  o.file_name = options.file;
  if (options.capabilities) o.capabilities = *options.capabilities;
  ir::Policy policy;
  policy.seccomp = seccomp_from_json(j, o, diags);
  policy.capabilities.bounding = policy.capabilities.permitted = policy.capabilities.effective =
      o.capabilities;
  policy.name = fs::path(options.file).stem().string();
  return policy;
}

}  // namespace

std::optional<Imported> read_profile(const std::string& text, const ImportOptions& options,
                                     DiagnosticEngine& diags) {
  diags.add_source(options.file, text);
  Imported out;
  out.format = sniff_format(text);
  auto policy = out.format == Format::SeccompJson ? read_seccomp_json(text, options, diags)
                                                  : import_apparmor(text, options.file, diags);
  if (!policy || diags.has_errors()) return std::nullopt;
  out.policy = std::move(*policy);
  if (!options.name.empty()) out.policy.name = options.name;
  for (char& c : out.policy.name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
  return out;
}

std::string policy_text(const Imported& imported, const ImportOptions& options) {
  WriterOptions w;
  w.header_comment = "Imported by `policyc import` from " +
                     std::string(format_name(imported.format)) + " " +
                     fs::path(options.file).filename().string() + ".";
  if (imported.format == Format::SeccompJson && options.base.empty())
    w.header_comment +=
        "\nA seccomp profile has no namespaces, mounts or rootfs settings: as written, this policy "
        "runs\nthe container in the host's pid, network, ipc and uts namespaces. Re-import with "
        "--base docker-default\n(or add 'extends docker-default') for Docker's.";
  if (!options.base.empty()) {
    w.base = options.base;
    w.include = options.base + ".pol";
    w.header_comment += "\nNamespaces, mounts, rootfs, process and capabilities come from " +
                        options.base +
                        " (extends);\nits syscall rules and the ones below are combined.";
  }
  return write_policy(imported.policy, w);
}

bool policy_text_compiles(const std::string& shown, const std::string& text,
                          frontend::LoadOptions load, DiagnosticEngine& diags) {
  load.arches.clear();
  return frontend::load_policy_text(shown, text, load, diags).has_value();
}

}  // namespace policy::importer
