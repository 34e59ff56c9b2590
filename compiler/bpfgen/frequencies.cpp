#include <fstream>
#include <sstream>
#include <vector>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/common/error.hpp"

namespace policy::bpfgen {

// builtin_frequencies.cpp
extern const char* const kBuiltinStraceSummary;

double FrequencyTable::total() const {
  double t = 0;
  for (const auto& [name, n] : calls) t += n;
  return t;
}

namespace {

// The table of a `strace -c` run:
//   % time     seconds  usecs/call     calls    errors syscall
//   ------ ----------- ----------- --------- --------- ----------------
//    25.00    0.000010           1        10         2 read
//   ...
//   100.00    0.000040           0        20         2 total
// The calls column is the fourth; "errors" may be empty; the name is last.
FrequencyTable parse(std::istream& in, const std::string& source) {
  FrequencyTable t;
  t.source = source;
  std::string line;
  size_t lineno = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++lineno;
    std::istringstream ls(line);
    std::vector<std::string> tok;
    for (std::string w; ls >> w;) tok.push_back(w);
    if (tok.empty()) continue;
    if (tok[0] == "%" || tok[0].rfind("---", 0) == 0) {
      header |= tok[0] == "%";
      continue;
    }
    if (!header) continue;  // strace's own messages before the table
    if (tok.back() == "total") continue;
    if (tok.size() < 5) {
      throw Error(source + ":" + std::to_string(lineno) +
                  ": not a line of a `strace -c` table (expected '% time seconds usecs/call "
                  "calls [errors] syscall'); produce the file with `strace -f -c -o FILE cmd`");
    }
    char* end = nullptr;
    const double calls = std::strtod(tok[3].c_str(), &end);
    if (end == tok[3].c_str() || *end != '\0' || calls < 0) {
      throw Error(source + ":" + std::to_string(lineno) + ": the calls column '" + tok[3] +
                  "' is not a number; produce the file with `strace -f -c -o FILE cmd`");
    }
    t.calls[tok.back()] += calls;
  }
  if (!header)
    throw Error(source +
                ": no `strace -c` table found (no '% time ... syscall' header); produce "
                "the file with `strace -f -c -o FILE cmd`");
  return t;
}

}  // namespace

FrequencyTable load_frequencies(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw sys_error("open the syscall frequency file", path);
  return parse(in, path);
}

FrequencyTable builtin_frequencies() {
  static const FrequencyTable table = [] {
    std::istringstream in(kBuiltinStraceSummary);
    return parse(in, "built-in");
  }();
  return table;
}

}  // namespace policy::bpfgen
