// The capability backend against the kernel (/proc/self/status of a real process that dropped
// its capabilities) and against libcap's own capsh.
#include "compiler/caps/capability_formats.hpp"

#include <gtest/gtest.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "support/kernel_skip.hpp"

using namespace policy;

namespace {

const std::vector<std::string> kDockerCaps = {
    "CHOWN",   "DAC_OVERRIDE", "FSETID",           "FOWNER",
    "MKNOD",   "NET_RAW",      "SETGID",           "SETUID",
    "SETFCAP", "SETPCAP",      "NET_BIND_SERVICE", "SYS_CHROOT",
    "KILL",    "AUDIT_WRITE"};
constexpr uint64_t kDockerMask = 0x00000000a80425fbULL;

ir::CapabilitySets keep(uint64_t mask) {
  ir::CapabilitySets s;
  s.bounding = s.permitted = s.effective = mask;
  return s;
}

// Runs a command and returns its standard output; nullopt when it cannot be run.
std::optional<std::string> run(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int rc = pclose(p);
  if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) return std::nullopt;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string capsh_path() {
  for (const char* p : {"/usr/sbin/capsh", "/sbin/capsh", "/usr/bin/capsh"})
    if (access(p, X_OK) == 0) return p;
  return {};
}

}  // namespace

TEST(CapsMasks, DockerDefaultsAreA80425fb) {
  auto mask = caps::mask_of(kDockerCaps);
  ASSERT_TRUE(mask);
  EXPECT_EQ(*mask, kDockerMask);
  EXPECT_EQ(caps::status_hex(*mask), "00000000a80425fb");
  EXPECT_EQ(caps::names(*mask).size(), 14u);
  EXPECT_EQ(caps::names(*mask).front(), "CAP_CHOWN");
  EXPECT_EQ(caps::names(*mask).back(), "CAP_SETFCAP");  // 31 is the highest of the fourteen
}

TEST(CapsMasks, NamesAndMasksRoundTripForEveryCapability) {
  for (int cap = 0; cap <= names::last_capability(); ++cap) {
    uint64_t bit = 1ULL << cap;
    auto n = caps::names(bit);
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(caps::mask_of(n), bit) << n[0];
    EXPECT_EQ(caps::parse_mask(caps::status_hex(bit)), bit);
  }
  EXPECT_EQ(caps::mask_of(caps::names(caps::all_mask())), caps::all_mask());
  EXPECT_EQ(caps::names(0).size(), 0u);
  EXPECT_EQ(caps::status_hex(caps::all_mask()), "000001ffffffffff");  // libcap knows 41 here
}

TEST(CapsMasks, UnknownNameIsReported) {
  std::string bad;
  EXPECT_FALSE(caps::mask_of({"CHOWN", "SYS_ADMN"}, &bad));
  EXPECT_EQ(bad, "SYS_ADMN");
  EXPECT_EQ(caps::mask_of({"cap_sys_admin", "CAP_KILL"}), (1ULL << 21) | (1ULL << 5));
}

TEST(CapsMasks, ParseMaskAcceptsWhatCapshAccepts) {
  EXPECT_EQ(caps::parse_mask("00000000a80425fb"), kDockerMask);
  EXPECT_EQ(caps::parse_mask("0xA80425FB"), kDockerMask);
  EXPECT_EQ(caps::parse_mask("0"), 0u);
  EXPECT_EQ(caps::parse_mask("ffffffffffffffff"), ~0ULL);
  EXPECT_FALSE(caps::parse_mask(""));
  EXPECT_FALSE(caps::parse_mask("0x"));
  EXPECT_FALSE(caps::parse_mask("10000000000000000"));  // 17 digits
  EXPECT_FALSE(caps::parse_mask("a80425fg"));
  EXPECT_FALSE(caps::parse_mask("-1"));
}

TEST(CapsMasks, BitsBeyondLibcapAreNamedByNumber) {
  int beyond = names::last_capability() + 1;
  if (beyond > 63) GTEST_SKIP() << "libcap names all 64 bits";
  auto n = caps::names(1ULL << beyond);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0], "CAP_" + std::to_string(beyond));
}

// capsh (libcap2-bin) is the judge of what a mask means: our decoding must print what it prints.
TEST(CapsCapsh, DecodeMatchesCapshForDockerAndOtherMasks) {
  std::string capsh = capsh_path();
  if (capsh.empty()) GTEST_SKIP() << "capsh (libcap2-bin) is not installed";
  for (uint64_t mask : {kDockerMask, uint64_t{0}, caps::all_mask(), uint64_t{1} << 21,
                        uint64_t{0x000001c000000000}, ~uint64_t{0}}) {
    std::string hex = caps::status_hex(mask);
    auto out = run(capsh + " --decode=" + hex);
    ASSERT_TRUE(out) << "capsh --decode=" << hex << " failed";
    EXPECT_EQ(*out, caps::capsh_decode(mask)) << hex;
    // ... and capsh's names, upper-cased, are our names.
    std::string list = out->substr(out->find('=') + 1);
    std::vector<std::string> theirs;
    std::stringstream ss(list);
    for (std::string item; std::getline(ss, item, ',');) {
      for (char& c : item) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      theirs.push_back(std::isdigit(static_cast<unsigned char>(item[0])) ? "CAP_" + item : item);
    }
    EXPECT_EQ(theirs, caps::names(mask)) << hex;
  }
}

TEST(CapsCapsh, CapshReadsBackOurHex) {
  std::string capsh = capsh_path();
  if (capsh.empty()) GTEST_SKIP() << "capsh (libcap2-bin) is not installed";
  auto out = run(capsh + " --decode=0x" + caps::status_hex(kDockerMask));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->substr(0, 19), "0x00000000a80425fb=");
  EXPECT_NE(out->find("cap_audit_write"), std::string::npos);
  EXPECT_EQ(out->find("cap_sys_admin"), std::string::npos);
}

TEST(CapsSets, StatusLinesAndParseRoundTrip) {
  ir::CapabilitySets s = keep(kDockerMask);
  s.inheritable = 1ULL << 0;
  s.ambient = 1ULL << 0;
  std::string text = caps::status_lines(s);
  EXPECT_EQ(text,
            "CapInh:\t0000000000000001\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n"
            "CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000001\n");
  auto back = caps::parse_status("Name:\tx\n" + text + "NoNewPrivs:\t1\n");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(caps::parse_status("CapInh:\t0000000000000000\n"));      // sets missing
  EXPECT_FALSE(caps::parse_status("CapInh:\tzz\n" + text.substr(24)));  // malformed
}

// The real thing: a child drops to Docker's sets with libcap and prctl, then reads what the kernel
// says in /proc/self/status; our rendering of the same sets must match it line for line.
TEST(CapsSets, KernelShowsTheSetsAsWeRenderThem) {
  SKIP_UNLESS(needs::root());  // drops capabilities in a child
  ir::CapabilitySets want = keep(kDockerMask);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    for (int cap = 0; cap <= names::last_capability(); ++cap)
      if (!want.has(cap) && prctl(PR_CAPBSET_READ, cap) == 1 && prctl(PR_CAPBSET_DROP, cap) != 0)
        _exit(2);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    cap_t c = cap_init();
    for (int cap = 0; cap <= names::last_capability(); ++cap) {
      if (!want.has(cap)) continue;
      cap_value_t v = cap;
      cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET);
      cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
    }
    if (cap_set_proc(c) != 0) _exit(3);
    std::ifstream f("/proc/self/status");
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    (void)!write(fds[1], s.data(), s.size());
    _exit(0);
  }
  close(fds[1]);
  std::string status;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) status.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int ws = 0;
  waitpid(pid, &ws, 0);
  ASSERT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << "child failed to drop capabilities";
  auto got = caps::parse_status(status);
  ASSERT_TRUE(got) << status;
  EXPECT_EQ(*got, want);
  std::string lines = caps::status_lines(want);
  for (size_t pos = 0; pos < lines.size();) {
    size_t eol = lines.find('\n', pos);
    EXPECT_NE(status.find(lines.substr(pos, eol - pos + 1)), std::string::npos)
        << "kernel does not print: " << lines.substr(pos, eol - pos);
    pos = eol + 1;
  }
}

TEST(CapsSets, CheckReportsWhatTheKernelRefuses) {
  EXPECT_TRUE(caps::check(keep(kDockerMask)).empty());
  ir::CapabilitySets s = keep(kDockerMask);
  s.ambient = 1ULL << 0;  // CHOWN: permitted but not inheritable
  auto p = caps::check(s);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("ambient"), std::string::npos);
  EXPECT_NE(p[0].find("CAP_CHOWN"), std::string::npos);
  s.inheritable = 1ULL << 0;
  EXPECT_TRUE(caps::check(s).empty());
  s.effective |= 1ULL << 21;  // SYS_ADMIN effective but not permitted
  p = caps::check(s);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("CAP_SYS_ADMIN"), std::string::npos);
}

TEST(CapsOci, ProcessCapabilitiesObject) {
  nlohmann::json j = caps::to_oci(keep(kDockerMask));
  ASSERT_TRUE(j.is_object());
  for (const char* key : {"bounding", "effective", "permitted"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j[key].size(), 14u) << key;
    EXPECT_EQ(j[key][0], "CAP_CHOWN") << key;
  }
  EXPECT_EQ(j["inheritable"], nlohmann::json::array());
  EXPECT_EQ(j["ambient"], nlohmann::json::array());
  EXPECT_EQ(caps::from_oci(j), keep(kDockerMask));
}

TEST(CapsOci, FromOciSkipsUnknownNamesAndRejectsWrongTypes) {
  std::vector<std::string> unknown;
  auto s = caps::from_oci(
      nlohmann::json{{"bounding", {"CAP_KILL", "CAP_FLY"}}, {"effective", {"CAP_KILL"}}}, &unknown);
  EXPECT_EQ(s.bounding, 1ULL << 5);
  EXPECT_EQ(s.effective, 1ULL << 5);
  EXPECT_EQ(s.permitted, 0u);
  EXPECT_EQ(unknown, std::vector<std::string>{"CAP_FLY"});
  EXPECT_THROW(caps::from_oci(nlohmann::json::array()), Error);
  EXPECT_THROW(caps::from_oci(nlohmann::json{{"bounding", "CAP_KILL"}}), Error);
  EXPECT_THROW(caps::from_oci(nlohmann::json{{"bounding", {5}}}), Error);
}

TEST(CapsText, ReviewTextForDockerDefaults) {
  std::string t = caps::render_text(keep(kDockerMask));
  EXPECT_NE(t.find("keeps 14 of 41 (bounding = permitted = effective; inheritable and ambient "
                   "empty)"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("  keeps: CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER"), std::string::npos) << t;
  EXPECT_NE(t.find("  drops: CAP_DAC_READ_SEARCH CAP_LINUX_IMMUTABLE"), std::string::npos) << t;
  EXPECT_NE(t.find("    CapEff:\t00000000a80425fb\n"), std::string::npos) << t;
  EXPECT_NE(t.find("note: keeps CAP_NET_RAW"), std::string::npos) << t;
  EXPECT_EQ(t.find("CAP_SYS_ADMIN:"), std::string::npos) << t;
  EXPECT_EQ(t.find("problem:"), std::string::npos) << t;
}

TEST(CapsText, ReviewTextShowsEachSetWhenTheyDiffer) {
  ir::CapabilitySets s = keep((1ULL << 21) | (1ULL << 0));
  s.effective = 1ULL << 0;
  s.inheritable = 1ULL << 0;
  s.ambient = 1ULL << 12;  // NET_ADMIN: neither permitted nor inheritable
  std::string t = caps::render_text(s);
  EXPECT_NE(t.find("keeps 2 of 41 in the bounding set"), std::string::npos) << t;
  EXPECT_NE(t.find("  effective:   CAP_CHOWN\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  ambient:     CAP_NET_ADMIN\n"), std::string::npos) << t;
  EXPECT_NE(t.find("note: keeps CAP_SYS_ADMIN"), std::string::npos) << t;
  EXPECT_NE(t.find("problem: ambient capabilities"), std::string::npos) << t;
}
