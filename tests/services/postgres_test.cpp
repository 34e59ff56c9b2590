// Debian's PostgreSQL 15 (tools/test-images: the mmdebstrap rootfs tarball, cluster `main`
// initialised at build time) under the shipped postgres.pol, with psql over TCP.
#include <gtest/gtest.h>

#include "services/service_fixture.hpp"

namespace {

class Postgres : public services::ServiceTest {
 protected:
  Postgres() : ServiceTest("postgres", "postgres.pol", 5432) {}

  services::Output psql(const std::string& sql) {
    return service().client({"psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d",
                             "postgres", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql});
  }
};

TEST_F(Postgres, CreatesInsertsAndSelectsOverTcp) {
  auto r = psql("CREATE TABLE policyrun_test (id integer PRIMARY KEY, note text)");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  r = psql("INSERT INTO policyrun_test VALUES (1, 'enforced')");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  r = psql("SELECT id, note FROM policyrun_test");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "1|enforced\n");
}

}  // namespace
