// `policyc caps decode HEX` and `policyc caps encode NAMES`: capability masks as the kernel shows
// them in /proc/PID/status and as `capsh --decode` spells them (docs/cli.md, "caps").
#include <boost/program_options.hpp>
#include <iostream>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/cli/commands.hpp"
#include "compiler/cli/options.hpp"
#include "compiler/common/diagnostics.hpp"
#include "compiler/common/names.hpp"

namespace po = boost::program_options;

namespace policy::cli {

namespace {

int decode(const std::string& hex, bool verbose) {
  auto mask = caps::parse_mask(hex);
  if (!mask)
    throw UsageError("'" + hex +
                     "' is not a capability mask: give up to 16 hex digits, with or without 0x, "
                     "as /proc/PID/status shows them (e.g. 00000000a80425fb)");
  std::cout << caps::capsh_decode(*mask) << "\n";
  if (verbose)
    for (int cap = 0; cap < 64; ++cap)
      if ((*mask >> cap) & 1)
        std::cout << (cap <= names::last_capability() ? names::capability_name(cap) : "(unnamed)")
                  << " " << cap << "\n";
  return 0;
}

int encode(const std::vector<std::string>& list) {
  std::vector<std::string> wanted = split_list(list);
  if (wanted.empty()) throw UsageError("caps encode needs capability names, e.g. CHOWN,KILL");
  std::string unknown;
  auto mask = caps::mask_of(wanted, &unknown);
  if (!mask) {
    // Compared without the CAP_ prefix, which users write or leave out.
    auto bare = [](const std::string& n) {
      return n.size() > 4 && (n.rfind("CAP_", 0) == 0 || n.rfind("cap_", 0) == 0) ? n.substr(4) : n;
    };
    std::vector<std::string> known;
    for (const std::string& n : names::all_capability_names()) known.push_back(bare(n));
    auto s = suggest(bare(unknown), known);
    throw UsageError("unknown capability '" + unknown + "'" +
                     (s.empty() ? "" : "; did you mean '" + s[0] + "'?"));
  }
  std::cout << caps::status_hex(*mask) << "\n";
  return 0;
}

}  // namespace

int cmd_caps(const std::vector<std::string>& args) {
  std::string action;
  std::vector<std::string> values;
  bool verbose = false;
  po::options_description d(
      "policyc caps decode HEX [--verbose] | policyc caps encode NAME[,NAME...]");
  d.add_options()("help,h", "this help")("action", po::value(&action)->required(),
                                         "decode or encode")(
      "values", po::value(&values)->composing(), "the mask (decode) or the names (encode)")(
      "verbose,v", po::bool_switch(&verbose),
      "decode: also one capability per line, with its number");
  if (!parse_command(args, d, {{"action", 1}, {"values", -1}})) return 0;
  if (action == "decode") {
    if (values.size() != 1) throw UsageError("caps decode takes one mask, e.g. 00000000a80425fb");
    return decode(values[0], verbose);
  }
  if (action == "encode") {
    if (verbose) throw UsageError("--verbose applies to caps decode");
    return encode(values);
  }
  throw UsageError("caps takes decode or encode, not '" + action + "'");
}

}  // namespace policy::cli
