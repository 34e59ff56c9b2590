// The container store (runtime/container/store.cpp): state.json, names, lookups, reconciliation of
// containers whose supervisor died, the stored policy, and the pid checks.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "compiler/common/error.hpp"
#include "runtime/common/host.hpp"
#include "runtime/container/store.hpp"
#include "runtime/launch/reaper.hpp"

namespace {

using policy::container::State;
using policy::container::Status;
using policy::container::Store;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/life-store-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    for (pid_t p : children_) {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
    policy::runtime::remove_tree(root_);
  }
  // A process that sleeps until killed (a stand-in supervisor or container init).
  pid_t sleeper() {
    pid_t p = ::fork();
    if (p == 0) {
      ::pause();
      ::_exit(0);
    }
    children_.push_back(p);
    return p;
  }
  void reap(pid_t p) {
    ::kill(p, SIGKILL);
    ::waitpid(p, nullptr, 0);
    std::erase(children_, p);
  }
  // Marks `s` running under a fresh sleeper as its supervisor; returns the sleeper.
  pid_t run_under_sleeper(Store& store, State& s) {
    const pid_t p = sleeper();
    s.status = Status::Running;
    s.supervisor_pid = p;
    s.supervisor_starttime = policy::container::starttime(p);
    store.save(s);
    return p;
  }
  static State make(const std::string& id, const std::string& name = "") {
    State s;
    s.id = id;
    s.name = name;
    s.image = "busybox";
    s.command = {"sh", "-c", "sleep 1"};
    return s;
  }

  std::string root_;
  std::vector<pid_t> children_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(StoreJson, RoundTripsEveryField) {
  State s;
  s.id = "abc123";
  s.name = "db";
  s.image = "redis:7";
  s.command = {"redis-server", "--port", "6379"};
  s.user = "999:999";
  s.cwd = "/data";
  s.env = {"PATH=/bin", "A=b c"};
  s.policy_file = "/p/redis.pol";
  s.policy_name = "redis";
  s.policy_sha256 = std::string(64, 'a');
  s.status = Status::Running;
  s.detached = true;
  s.auto_remove = true;
  s.pid = 1234;
  s.pid_starttime = 987654321;
  s.supervisor_pid = 1200;
  s.supervisor_starttime = 55;
  s.exit_code = 137;
  s.exit_note = "OOM killed";
  s.created_ns = 1;
  s.started_ns = 2;
  s.finished_ns = 3;
  s.cgroup_dirs = {"/sys/fs/cgroup/policyrun/abc123"};
  s.network = "private";
  s.ports = {{8080, 80, "tcp", "127.0.0.1"}, {53, 53, "udp", ""}};
  s.network_helper_pid = 77;
  s.labels = {{"hostname", "db"}};
  auto back = policy::container::from_json(policy::container::to_json(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(policy::container::to_json(*back), policy::container::to_json(s));
  EXPECT_EQ(back->status, Status::Running);
  EXPECT_EQ(back->ports.at(0).host_ip, "127.0.0.1");
  EXPECT_EQ(back->ports.at(1).proto, "udp");
  EXPECT_EQ(back->env.at(1), "A=b c");
}

TEST(StoreJson, RefusesWhatIsNotAStateFile) {
  EXPECT_FALSE(policy::container::from_json("{"));
  EXPECT_FALSE(policy::container::from_json("[]"));
  EXPECT_FALSE(policy::container::from_json(R"({"name":"x"})"));
  EXPECT_FALSE(policy::container::from_json(R"({"id":"../etc"})"));
  EXPECT_FALSE(policy::container::from_json(R"({"id":"a","status":"zombie"})"));
  EXPECT_FALSE(policy::container::from_json(R"({"id":"a","pid":"x"})"));
}

TEST_F(StoreTest, CreateWritesStateAndNamesAreUnique) {
  Store store(root_);
  State a = make("aaaa11112222", "web");
  store.create(a);
  EXPECT_NE(a.created_ns, 0);
  auto text = slurp(root_ + "/containers/aaaa11112222/state.json");
  auto back = policy::container::from_json(text);
  ASSERT_TRUE(back) << text;
  EXPECT_EQ(back->name, "web");
  EXPECT_EQ(back->status, Status::Created);

  State b = make("bbbb11112222", "web");
  try {
    store.create(b);
    FAIL() << "a second 'web' was created";
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'web' is already in use by container aaaa11112222"),
              std::string::npos)
        << e.what();
  }
  State c = make("aaaa11112222");  // the same id
  EXPECT_THROW(store.create(c), policy::Error);
  State bad = make("Not/Valid");
  EXPECT_THROW(store.create(bad), policy::Error);
  State badname = make("cccc11112222", "a b");
  EXPECT_THROW(store.create(badname), policy::Error);
  struct stat st;
  EXPECT_NE(::stat((root_ + "/containers/bbbb11112222").c_str(), &st), 0);

  // Only the name frees when the container goes.
  store.remove("aaaa11112222");
  EXPECT_NE(::stat((root_ + "/containers/aaaa11112222").c_str(), &st), 0);
  EXPECT_NO_THROW(store.create(b));
}

TEST_F(StoreTest, SaveReplacesAtomicallyAndListIsInCreationOrder) {
  Store store(root_);
  State second = make("222222222222");
  second.created_ns = 20;
  State first = make("111111111111");
  first.created_ns = 10;
  store.create(second);
  store.create(first);
  first.exit_code = 3;
  first.status = Status::Exited;
  store.save(first);
  auto all = store.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "111111111111");
  EXPECT_EQ(all[0].status, Status::Exited);
  EXPECT_EQ(all[0].exit_code, 3);
  EXPECT_EQ(all[1].id, "222222222222");
  // No temporary file is left beside state.json.
  int entries = 0;
  for (const char* e : {"state.json"}) {
    struct stat st;
    entries += ::stat((store.dir(first.id) + "/" + e).c_str(), &st) == 0;
  }
  EXPECT_EQ(entries, 1);
  FILE* ls = ::popen(("ls -A " + store.dir(first.id)).c_str(), "r");
  char buf[256] = {};
  size_t n = std::fread(buf, 1, sizeof buf - 1, ls);
  ::pclose(ls);
  EXPECT_EQ(std::string(buf, n), "state.json\n");
}

TEST_F(StoreTest, FindTakesIdNameOrAUniquePrefix) {
  Store store(root_);
  State a = make("abc111111111", "db");
  State b = make("abd222222222");
  store.create(a);
  store.create(b);
  EXPECT_EQ(store.find("abc111111111").id, "abc111111111");
  EXPECT_EQ(store.find("db").id, "abc111111111");
  EXPECT_EQ(store.find("abd").id, "abd222222222");
  try {
    store.find("ab");
    FAIL();
  } catch (const policy::Error& e) {
    EXPECT_STREQ(e.what(), "ab is ambiguous: abc111111111, abd222222222 (give more of the id)");
  }
  try {
    store.find("nosuch");
    FAIL();
  } catch (const policy::Error& e) {
    EXPECT_STREQ(e.what(), "no such container: nosuch (policyrun ps -a lists them)");
  }
}

TEST_F(StoreTest, SupervisedMeansTheRunRecordIsHeld) {
  Store store(root_);
  EXPECT_FALSE(store.supervised("r1"));  // no record at all
  {
    policy::launch::reaper::RunRecord record(root_, "r1");
    EXPECT_TRUE(store.supervised("r1"));
    // supervised() never keeps a lock: the holder's lock is untouched and a second check agrees.
    EXPECT_TRUE(store.supervised("r1"));
  }
  EXPECT_FALSE(store.supervised("r1"));
  // A record left behind by a dead supervisor (a file nobody locks).
  ::close(::open((root_ + "/run/r2.lock").c_str(), O_CREAT | O_WRONLY, 0600));
  EXPECT_FALSE(store.supervised("r2"));
  int fd = ::open((root_ + "/run/r2.lock").c_str(), O_RDONLY);
  EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0) << "supervised() left the record locked";
  ::close(fd);
}

TEST_F(StoreTest, ListMarksAContainerWhoseSupervisorDiedAndCollectsItsRun) {
  Store store(root_);
  State s = make("dead11112222", "dead");
  store.create(s);
  const pid_t supervisor = run_under_sleeper(store, s);
  // A dead run's record and state dir (what launch() leaves when its policyrun is SIGKILLed).
  ::mkdir((root_ + "/run").c_str(), 0711);
  ::mkdir((root_ + "/run/dead11112222").c_str(), 0700);
  ::close(::open((root_ + "/run/dead11112222.lock").c_str(), O_CREAT | O_WRONLY, 0600));

  // The supervisor lives: running, even without a held record.
  auto all = store.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].status, Status::Running);

  reap(supervisor);
  all = store.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].status, Status::Exited);
  EXPECT_EQ(all[0].exit_code, 137);
  EXPECT_EQ(all[0].exit_note, "supervisor died");
  EXPECT_NE(all[0].finished_ns, 0);
  EXPECT_EQ(store.find("dead").status, Status::Exited);  // saved, not only reported
  struct stat st;
  EXPECT_NE(::stat((root_ + "/run/dead11112222.lock").c_str(), &st), 0) << "reaper not called";
  EXPECT_NE(::stat((root_ + "/run/dead11112222").c_str(), &st), 0);
}

TEST_F(StoreTest, AHeldRecordKeepsTheContainerRunning) {
  Store store(root_);
  State s = make("live11112222");
  store.create(s);
  policy::launch::reaper::RunRecord record(root_, s.id);
  reap(run_under_sleeper(store, s));
  EXPECT_EQ(store.list().at(0).status, Status::Running);
}

TEST_F(StoreTest, AnAutoRemoveContainerWhoseSupervisorDiedGoes) {
  Store store(root_);
  State s = make("rm1111112222");
  s.auto_remove = true;
  store.create(s);
  reap(run_under_sleeper(store, s));
  EXPECT_TRUE(store.list().empty());
  struct stat st;
  EXPECT_NE(::stat(store.dir(s.id).c_str(), &st), 0);
}

TEST_F(StoreTest, ADirectoryWithoutStateIsRemovedAndFreesItsName) {
  Store store(root_);
  store.list();  // creates containers/
  ASSERT_EQ(::mkdir((root_ + "/containers/half").c_str(), 0700), 0);
  EXPECT_TRUE(store.list().empty());
  struct stat st;
  EXPECT_NE(::stat((root_ + "/containers/half").c_str(), &st), 0);
  State s = make("half");
  EXPECT_NO_THROW(store.create(s));
}

TEST_F(StoreTest, ACreatedContainerWithoutSupervisorIsLeftAlone) {
  Store store(root_);
  State s = make("new111112222");
  store.create(s);
  EXPECT_EQ(store.list().at(0).status, Status::Created);
}

TEST_F(StoreTest, PolicyRoundTripsAndItsHashIsTheFilesSha256) {
  Store store(root_);
  State s = make("pol111112222");
  store.create(s);
  policy::ir::Policy p;
  p.name = "redis";
  std::vector<sock_filter> filter = {{0x06, 0, 0, 0x7fff0000}, {0x15, 1, 2, 59}};
  store.save_policy(s.id, p, filter);
  const std::string sha = store.policy_sha256(s.id);
  FILE* f = ::popen(("sha256sum " + store.dir(s.id) + "/policy.bin").c_str(), "r");
  char buf[65] = {};
  ASSERT_EQ(std::fread(buf, 1, 64, f), 64u);
  ::pclose(f);
  EXPECT_EQ(sha, std::string(buf, 64));
  auto back = store.load_policy(s.id);
  EXPECT_EQ(back.policy.name, "redis");
  ASSERT_EQ(back.filter.size(), 2u);
  EXPECT_EQ(back.filter[1].code, 0x15);
  EXPECT_EQ(back.filter[1].jt, 1);
  EXPECT_EQ(back.filter[1].k, 59u);

  // A damaged file is an error naming it.
  ::truncate((store.dir(s.id) + "/policy.bin").c_str(), 10);
  try {
    store.load_policy(s.id);
    FAIL();
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find(store.dir(s.id) + "/policy.bin: not a compiled policy"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(StoreTest, OpenInitChecksTheProcessIsStillOurs) {
  const pid_t p = sleeper();
  const uint64_t start = policy::container::starttime(p);
  ASSERT_NE(start, 0u);
  EXPECT_EQ(policy::container::starttime(p), start);
  State s = make("pid111112222");
  s.pid = p;
  s.pid_starttime = start;
  EXPECT_TRUE(policy::container::open_init(s).valid());
  s.pid_starttime = start + 1;  // a reused pid
  EXPECT_FALSE(policy::container::open_init(s).valid());
  s.pid_starttime = start;
  reap(p);
  EXPECT_EQ(policy::container::starttime(p), 0u);
  EXPECT_FALSE(policy::container::open_init(s).valid());
  s.pid = 0;
  EXPECT_FALSE(policy::container::open_init(s).valid());
}

}  // namespace
