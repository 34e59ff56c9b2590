// Debian's redis-server (tools/test-images: an OCI layout of two layers, the second with the test
// configuration) under the shipped redis.pol: commands, snapshots and AOF rewrites (the forked
// child writes /data), and redis-benchmark, all over TCP from the container's loopback.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "services/service_fixture.hpp"

namespace {

using namespace std::chrono_literals;

class Redis : public services::ServiceTest {
 protected:
  Redis() : ServiceTest("redis", "redis.pol", 6379) {}

  // redis-cli's answer to `args`, without the final newline.
  std::string cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"redis-cli", "-h", "127.0.0.1", "-p", "6379"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = service().client(argv);
    EXPECT_EQ(r.status, 0) << r.err;
    while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == '\r')) r.out.pop_back();
    return r.out;
  }

  // The value of `field` in `INFO persistence`.
  std::string persistence(const std::string& field) {
    const std::string info = cli({"INFO", "persistence"});
    const auto at = info.find(field + ":");
    if (at == std::string::npos) return "";
    const auto begin = at + field.size() + 1;
    return info.substr(begin, info.find_first_of("\r\n", begin) - begin);
  }

  // Waits until INFO persistence's `field` is `value` (at most 30 s).
  bool wait_for(const std::string& field, const std::string& value) {
    for (int i = 0; i < 300; ++i) {
      if (persistence(field) == value) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
};

TEST_F(Redis, AnswersPingSetAndGet) {
  EXPECT_EQ(cli({"PING"}), "PONG");
  EXPECT_EQ(cli({"SET", "policyrun", "enforced"}), "OK");
  EXPECT_EQ(cli({"GET", "policyrun"}), "enforced");
}

TEST_F(Redis, BgsaveWritesASnapshot) {
  ASSERT_EQ(cli({"SET", "k", "v"}), "OK");
  const std::string before = cli({"LASTSAVE"});
  // LASTSAVE counts seconds: let one pass so that a new save shows.
  while (std::to_string(std::time(nullptr)) <= before) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(cli({"BGSAVE"}), "Background saving started");
  ASSERT_TRUE(wait_for("rdb_bgsave_in_progress", "0"));
  EXPECT_NE(cli({"LASTSAVE"}), before);
  EXPECT_EQ(persistence("rdb_last_bgsave_status"), "ok") << service().err();
}

TEST_F(Redis, BgrewriteaofRewritesTheAppendOnlyFile) {
  EXPECT_EQ(cli({"CONFIG", "SET", "appendonly", "yes"}), "OK");
  // Turning the AOF on starts a rewrite of its own: let it finish first.
  ASSERT_TRUE(wait_for("aof_rewrite_in_progress", "0"));
  ASSERT_TRUE(wait_for("aof_rewrite_scheduled", "0"));
  ASSERT_EQ(cli({"SET", "k", "v"}), "OK");
  EXPECT_EQ(cli({"BGREWRITEAOF"}), "Background append only file rewriting started");
  ASSERT_TRUE(wait_for("aof_rewrite_in_progress", "0"));
  EXPECT_EQ(persistence("aof_last_bgrewrite_status"), "ok") << service().err();
  EXPECT_EQ(persistence("aof_enabled"), "1");
}

TEST_F(Redis, BenchmarkOfGetAndSetSucceeds) {
  const auto r = service().client(
      {"redis-benchmark", "-h", "127.0.0.1", "-p", "6379", "-t", "get,set", "-n", "2000", "-q"},
      120s);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("SET: "), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("GET: "), std::string::npos) << r.out << r.err;
}

}  // namespace
