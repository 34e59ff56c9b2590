// What /etc/hosts and /etc/resolv.conf say of a container on a private network or on another
// container's network (runtime/launch/identity.cpp with NetworkNames), and the -p syntax.
#include <gtest/gtest.h>

#include "compiler/common/error.hpp"
#include "runtime/container/network.hpp"
#include "runtime/launch/identity.hpp"

namespace {

using policy::launch::identity::etc_files;
using policy::launch::identity::NetworkNames;

TEST(NetIdentity, HostsNamesTheContainersAddressAndItsPeers) {
  NetworkNames names;
  names.address = "192.0.2.2";
  names.peers = {{"127.0.0.1", "db"}};
  const auto f =
      etc_files("web", /*new_netns=*/false, names);  // a joined network is not the host's
  EXPECT_NE(f.hosts.find("\n192.0.2.2\tweb\n127.0.0.1\tdb\n"), std::string::npos) << f.hosts;
  EXPECT_EQ(f.hosts.find("127.0.1.1"), std::string::npos) << f.hosts;
  EXPECT_EQ(f.hosts.rfind("127.0.0.1\tlocalhost\n", 0), 0u) << f.hosts;
}

TEST(NetIdentity, ResolvConfUsesTheForwarderWhenGiven) {
  using policy::launch::identity::container_resolv_conf;
  EXPECT_EQ(container_resolv_conf("search example.org\nnameserver 127.0.0.53\n", {"192.0.2.1"}),
            "nameserver 192.0.2.1\nsearch example.org\n");
  EXPECT_EQ(container_resolv_conf("nameserver 10.0.0.53\n", {}), "nameserver 10.0.0.53\n");
}

TEST(NetIdentity, PublishSyntaxAsDockerWritesIt) {
  using policy::container::parse_port;
  using policy::container::port_string;
  EXPECT_EQ(port_string(parse_port("8080:80")), "8080:80/tcp");
  EXPECT_EQ(port_string(parse_port("127.0.0.1:8080:80/udp")), "127.0.0.1:8080:80/udp");
  EXPECT_EQ(port_string(parse_port("[::1]:8080:80")), "[::1]:8080:80/tcp");
  auto message = [](const std::string& spec) {
    try {
      parse_port(spec);
    } catch (const policy::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("80"),
            "-p 80: the form is [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp], e.g. -p 8080:80");
  EXPECT_EQ(message("8080:80/sctp"), "-p 8080:80/sctp: protocol 'sctp' must be tcp or udp");
  EXPECT_EQ(message("0:80"), "-p 0:80: port 0 is out of range (1..65535)");
  EXPECT_EQ(message("host:1:2"), "-p host:1:2: 'host' is not an IP address of this host");
}

}  // namespace
