// The json-file log of a detached container (runtime/container/log.cpp): lines, partial lines,
// long lines, rotation at the size bound, --tail and following across a rotation.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/container/log.hpp"

namespace {

namespace log = policy::container::log;
namespace fs = std::filesystem;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/life-log-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<std::string> lines(const std::string& file) {
    std::ifstream in(dir_ + "/" + file);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  // What `logs` prints: "o:" / "e:" before each entry's text.
  std::string read(long tail = -1) {
    std::string out;
    log::read(
        dir_, tail, false, [] { return false; },
        [&](const log::Entry& e) {
          out += (e.stream == log::Stream::Stdout ? "o:" : "e:") + e.text;
        });
    return out;
  }
  std::string dir_;
};

TEST_F(LogTest, OneEntryPerLineInDockersShape) {
  {
    log::Writer w(dir_);
    w.append(log::Stream::Stdout, "a\nb");
    w.append(log::Stream::Stderr, "x\n");
    w.append(log::Stream::Stdout, "c\n\"q\"\t\n");
    w.append(log::Stream::Runtime, "policyrun: note\n");
    w.append(log::Stream::Stdout, "tail");
    w.flush();
  }
  auto l = lines("log.json");
  ASSERT_EQ(l.size(), 6u);
  EXPECT_TRUE(l[0].starts_with(R"({"log":"a\n","stream":"stdout","time":)")) << l[0];
  EXPECT_TRUE(l[1].starts_with(R"({"log":"x\n","stream":"stderr","time":)")) << l[1];
  EXPECT_TRUE(l[2].starts_with(R"({"log":"bc\n","stream":"stdout","time":)")) << l[2];
  EXPECT_TRUE(l[3].starts_with(R"({"log":"\"q\"\t\n","stream":"stdout","time":)")) << l[3];
  EXPECT_NE(l[4].find(R"("stream":"stderr")"), std::string::npos);
  EXPECT_EQ(read(), "o:a\ne:x\no:bc\no:\"q\"\t\ne:policyrun: note\no:tail");
  EXPECT_EQ(read(2), "e:policyrun: note\no:tail");
}

TEST_F(LogTest, TimesAreRfc3339WithNanoseconds) {
  EXPECT_EQ(log::rfc3339nano(int64_t{1796201627} * 1000000000 + 5),
            "2026-12-02T08:53:47.000000005Z");
}

TEST_F(LogTest, ALongLineIsCutAndBinaryIsKept) {
  {
    log::Writer w(dir_);
    w.append(log::Stream::Stdout, std::string(log::kMaxLineBytes + 10, 'z'));
    w.append(log::Stream::Stdout, std::string("\xff\xfe\n"));
  }
  auto l = lines("log.json");
  ASSERT_EQ(l.size(), 2u);
  auto first = log::parse(l[0]);
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.text, std::string(log::kMaxLineBytes, 'z'));
  auto second = log::parse(l[1]);
  ASSERT_TRUE(second.ok);
  EXPECT_TRUE(second.text.starts_with(std::string(10, 'z'))) << second.text;
  EXPECT_TRUE(second.text.ends_with("\n"));
}

TEST_F(LogTest, RotatesAtTheBoundAndKeepsTwoFiles) {
  const size_t bound = 4096;
  {
    log::Writer w(dir_, bound);
    for (int i = 0; i < 300; ++i) w.append(log::Stream::Stdout, "line " + std::to_string(i) + "\n");
  }
  struct stat a, b;
  ASSERT_EQ(::stat((dir_ + "/log.json").c_str(), &a), 0);
  ASSERT_EQ(::stat((dir_ + "/log.json.1").c_str(), &b), 0);
  EXPECT_LE(static_cast<size_t>(a.st_size), bound);
  EXPECT_LE(static_cast<size_t>(b.st_size), bound);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
  // What is kept is the newest lines, in order, ending with the last.
  const std::string text = read();
  EXPECT_TRUE(text.ends_with("o:line 298\no:line 299\n")) << text;
  EXPECT_EQ(text.find("o:line 0\n"), std::string::npos);
}

TEST_F(LogTest, FollowSeesNewLinesAcrossARotation) {
  log::Writer w(dir_, 2048);
  w.append(log::Stream::Stdout, "before\n");
  std::atomic<bool> running{true};
  std::string seen;
  std::thread reader([&] {
    log::read(
        dir_, -1, true, [&] { return running.load(); },
        [&](const log::Entry& e) { seen += e.text; });
  });
  for (int i = 0; i < 100; ++i) {  // several rotations while the reader follows
    w.append(log::Stream::Stdout, "after " + std::to_string(i) + "\n");
    if (i % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(120));
  }
  running = false;
  reader.join();
  // A rotation the reader notices hands it the rest of the old file, then the new one.
  EXPECT_TRUE(seen.starts_with("before\nafter 0\n")) << seen;
  EXPECT_TRUE(seen.ends_with("after 98\nafter 99\n")) << seen;
  EXPECT_NE(seen.find("after 50\nafter 51\n"), std::string::npos) << seen;
}

}  // namespace
