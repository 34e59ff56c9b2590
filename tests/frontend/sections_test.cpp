// Every non-syscall section, parsed and resolved into the IR.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "compiler/common/names.hpp"
#include "tests/frontend/test_util.hpp"

namespace policy {
namespace {

using test::compile;

uint64_t caps(std::initializer_list<const char*> names) {
  uint64_t out = 0;
  for (const char* n : names) out |= uint64_t{1} << *names::capability_number(n);
  return out;
}

TEST(Capabilities, KeepSetsThreeSets) {
  auto c = compile("policy p { capabilities keep { CHOWN, CAP_SETUID, setgid } }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& s = c.policy->capabilities;
  uint64_t want = caps({"CHOWN", "SETUID", "SETGID"});
  EXPECT_EQ(s.bounding, want);
  EXPECT_EQ(s.permitted, want);
  EXPECT_EQ(s.effective, want);
  EXPECT_EQ(s.inheritable, 0u);
  EXPECT_EQ(s.ambient, 0u);
}

TEST(Capabilities, NoSectionKeepsNothing) {
  auto c = compile("policy p { syscalls { allow read } }");
  ASSERT_TRUE(c.policy);
  EXPECT_EQ(c.policy->capabilities, ir::CapabilitySets{});
}

TEST(Capabilities, ExplicitSetsAddDropAllNone) {
  auto c = compile(R"(policy base { capabilities keep all }
policy p extends base {
  capabilities {
    drop { SYS_ADMIN, NET_RAW }
    inheritable { NET_BIND_SERVICE }
    ambient { NET_BIND_SERVICE }
    add { SYS_ADMIN }
  }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& s = c.policy->capabilities;
  uint64_t all = 0;
  for (int i = 0; i <= names::last_capability(); ++i) all |= uint64_t{1} << i;
  EXPECT_EQ(s.bounding, all & ~caps({"NET_RAW"}));
  EXPECT_EQ(s.permitted, all & ~caps({"NET_RAW"}));
  EXPECT_EQ(s.inheritable, caps({"NET_BIND_SERVICE"}));
  EXPECT_EQ(s.ambient, caps({"NET_BIND_SERVICE"}));
  auto d = compile("policy p { capabilities { keep { CHOWN }\n bounding none } }");
  ASSERT_TRUE(d.policy) << d.diagnostics;
  EXPECT_EQ(d.policy->capabilities.bounding, 0u);
  EXPECT_EQ(d.policy->capabilities.permitted, caps({"CHOWN"}));
}

TEST(Capabilities, AmbientMustBePermittedAndInheritable) {
  auto c = compile("policy p {\n  capabilities { keep { CHOWN }\n ambient { CHOWN } }\n}");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:2:3: error: an ambient capability must also be permitted and inheritable; "
            "not both: CAP_CHOWN\n"
            "  capabilities { keep { CHOWN }\n"
            "  ^\n");
}

TEST(Capabilities, UnknownCapabilitySuggestsInTheSameStyle) {
  auto c = compile("policy p { capabilities keep { CHWON, CAP_SETUDI } }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:1:32: error: unknown capability 'CHWON'; did you mean 'CHOWN'?\n"
            "policy p { capabilities keep { CHWON, CAP_SETUDI } }\n"
            "                               ^\n"
            "test.pol:1:39: error: unknown capability 'CAP_SETUDI'; did you mean 'CAP_SETUID'?\n"
            "policy p { capabilities keep { CHWON, CAP_SETUDI } }\n"
            "                                      ^\n");
}

TEST(Filesystem, AccessRulesPathsAndAppArmorKinds) {
  auto d = compile(R"(policy p {
  filesystem {
    read /etc/nginx/**, /usr/**; write /var/log/nginx/**
    exec /usr/sbin/nginx
    read+write "/srv/my data/**"
    deny write /proc/sys/**
    deny wklx @{PROC}/{[^1-9/],[^1-9/][^0-9/]}/**
    deny rwklx /sys/firmware/**
    px /usr/bin/helper
    allow all
    deny mount
    umount
    mount "fstype=tmpfs"
    signal (receive) peer=unconfined
    ptrace (trace, read) peer="docker-default"
  }
})");
  ASSERT_TRUE(d.policy) << d.diagnostics;
  const auto& fs = d.policy->filesystem;
  EXPECT_TRUE(fs.specified);
  EXPECT_TRUE(fs.allow_all_files);
  ASSERT_EQ(fs.rules.size(), 9u);
  EXPECT_EQ(fs.rules[0].pattern, "/etc/nginx/**");
  EXPECT_EQ(fs.rules[0].access, ir::kRead);
  EXPECT_EQ(fs.rules[1].pattern, "/usr/**");
  EXPECT_EQ(fs.rules[2].access, ir::kWrite);
  EXPECT_EQ(fs.rules[3].access, ir::kExec);
  EXPECT_EQ(fs.rules[3].exec_mode, "ix");
  EXPECT_EQ(fs.rules[4].pattern, "/srv/my data/**");
  EXPECT_EQ(fs.rules[4].access, ir::kRead | ir::kWrite);
  EXPECT_TRUE(fs.rules[5].deny);
  EXPECT_EQ(fs.rules[6].pattern, "@{PROC}/{[^1-9/],[^1-9/][^0-9/]}/**");
  EXPECT_EQ(fs.rules[6].access, ir::kWrite | ir::kLock | ir::kLink | ir::kExec);
  EXPECT_EQ(fs.rules[7].access, ir::kRead | ir::kWrite | ir::kLock | ir::kLink | ir::kExec);
  EXPECT_EQ(fs.rules[8].exec_mode, "px");
  ASSERT_EQ(fs.mount_rules.size(), 3u);
  EXPECT_TRUE(fs.mount_rules[0].deny);
  EXPECT_EQ(fs.mount_rules[1].kind, "umount");
  EXPECT_EQ(fs.mount_rules[2].text, "fstype=tmpfs");
  ASSERT_EQ(fs.signal_rules.size(), 1u);
  EXPECT_EQ(fs.signal_rules[0].perms, std::vector<std::string>{"receive"});
  EXPECT_EQ(fs.signal_rules[0].peer, "unconfined");
  ASSERT_EQ(fs.ptrace_rules.size(), 1u);
  EXPECT_EQ(fs.ptrace_rules[0].perms, (std::vector<std::string>{"trace", "read"}));
  EXPECT_EQ(fs.ptrace_rules[0].peer, "docker-default");
}

TEST(Filesystem, UnknownAccessSuggests) {
  auto c = compile("policy p { filesystem { raed /etc/** } }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:1:25: error: unknown file access 'raed'; did you mean 'read'? (or AppArmor "
            "letters such as rwklx)\n"
            "policy p { filesystem { raed /etc/** } }\n"
            "                        ^\n");
}

TEST(Network, FamiliesPortsScopes) {
  auto c = compile(R"(policy p {
  network { inet stream, inet6 stream, unix
            deny alg; deny netlink raw
            bind tcp 80, 443; connect tcp 5432, 8000-8080
            scope abstract-unix; scope signals }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& n = c.policy->network;
  EXPECT_TRUE(n.specified);
  ASSERT_EQ(n.sockets.size(), 5u);
  EXPECT_EQ(n.sockets[0].family, "inet");
  EXPECT_EQ(n.sockets[0].type, "stream");
  EXPECT_EQ(n.sockets[2].family, "unix");
  EXPECT_EQ(n.sockets[2].type, "");
  EXPECT_TRUE(n.sockets[3].deny);
  EXPECT_EQ(n.sockets[4].type, "raw");
  ASSERT_EQ(n.ports.size(), 4u);
  EXPECT_EQ(n.ports[0].kind, ir::PortRule::Bind);
  EXPECT_EQ(n.ports[1].first, 443);
  EXPECT_EQ(n.ports[2].kind, ir::PortRule::Connect);
  EXPECT_EQ(n.ports[3].first, 8000);
  EXPECT_EQ(n.ports[3].last, 8080);
  EXPECT_TRUE(n.scope_abstract_unix);
  EXPECT_TRUE(n.scope_signals);
}

TEST(Network, UnknownFamilyAndBadPort) {
  auto c = compile("policy p { network { inte stream; bind tcp 70000 } }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:1:22: error: unknown socket family 'inte'; did you mean 'inet'?\n"
            "policy p { network { inte stream; bind tcp 70000 } }\n"
            "                     ^\n"
            "test.pol:1:44: error: '70000' is out of range (0..65535)\n"
            "policy p { network { inte stream; bind tcp 70000 } }\n"
            "                                           ^\n");
}

TEST(Namespaces, KindsJoinAndMaps) {
  auto c = compile(R"(policy p {
  namespaces { mount, pid, ipc, uts, net join /proc/1/ns/net, cgroup
               user; uidmap 0 100000 65536; gidmap 0 100000 65536 }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& ns = c.policy->namespaces;
  ASSERT_EQ(ns.namespaces.size(), 7u);
  EXPECT_EQ(ns.namespaces[0].kind, ir::NamespaceKind::Mount);
  EXPECT_EQ(ns.namespaces[4].kind, ir::NamespaceKind::Net);
  EXPECT_EQ(ns.namespaces[4].join_path, "/proc/1/ns/net");
  EXPECT_TRUE(ns.has(ir::NamespaceKind::User));
  ASSERT_EQ(ns.uid_map.size(), 1u);
  EXPECT_EQ(ns.uid_map[0].outside, 100000u);
  EXPECT_EQ(ns.gid_map[0].count, 65536u);
  auto d = compile("policy p { namespaces { nett } }");
  EXPECT_EQ(d.diagnostics,
            "test.pol:1:25: error: unknown namespace 'nett'; did you mean 'net'?\n"
            "policy p { namespaces { nett } }\n"
            "                        ^\n");
  auto e = compile("policy p { namespaces { mnt } }");  // the name of /proc/PID/ns/mnt
  ASSERT_TRUE(e.policy) << e.diagnostics;
  EXPECT_TRUE(e.policy->namespaces.has(ir::NamespaceKind::Mount));
}

TEST(Resources, SizesDurationsCpus) {
  auto c = compile(R"(policy p {
  resources { memory 256M, memory.swap 1G, cpu.shares 512, cpu.weight 100, pids 128
              cpu.quota 50ms/100ms; cpuset.cpus "0-3"; cpuset.mems "0" }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& r = c.policy->resources;
  EXPECT_EQ(r.memory_bytes, 256ull << 20);
  EXPECT_EQ(r.memory_swap_bytes, 1ull << 30);
  EXPECT_EQ(r.cpu_shares, 512u);
  EXPECT_EQ(r.cpu_weight, 100u);
  EXPECT_EQ(r.pids, 128u);
  EXPECT_EQ(r.cpu_quota_us, 50000);
  EXPECT_EQ(r.cpu_period_us, 100000u);
  EXPECT_EQ(r.cpuset_cpus, "0-3");
  EXPECT_EQ(r.cpuset_mems, "0");
  auto d = compile("policy p { resources { cpus 1.5 } }");
  ASSERT_TRUE(d.policy) << d.diagnostics;
  EXPECT_EQ(d.policy->resources.cpu_quota_us, 150000);
  EXPECT_EQ(d.policy->resources.cpu_period_us, 100000u);
  auto e = compile("policy p { resources { cpu.quota 20ms; memory 64K } }");
  ASSERT_TRUE(e.policy) << e.diagnostics;
  EXPECT_EQ(e.policy->resources.cpu_quota_us, 20000);
  EXPECT_EQ(e.policy->resources.cpu_period_us, 100000u);
  EXPECT_EQ(e.policy->resources.memory_bytes, 65536u);
}

TEST(Process, EverySetting) {
  auto c = compile(R"(policy p {
  process { no_new_privileges; user 101:102; groups 10, 11; hostname "web"; cwd /srv
            env PATH = "/usr/bin"; rlimit NOFILE 1024 4096; rlimit core 0; rlimit RLIMIT_STACK unlimited
            init }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& p = c.policy->process;
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.uid, 101u);
  EXPECT_EQ(p.gid, 102u);
  EXPECT_EQ(p.supplementary_groups, (std::vector<uint32_t>{10, 11}));
  EXPECT_EQ(p.hostname, "web");
  EXPECT_EQ(p.cwd, "/srv");
  EXPECT_EQ(p.env.at("PATH"), "/usr/bin");
  EXPECT_TRUE(p.init);
  ASSERT_EQ(p.rlimits.size(), 3u);
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits[0].soft, 1024u);
  EXPECT_EQ(p.rlimits[0].hard, 4096u);
  EXPECT_EQ(p.rlimits[1].resource, RLIMIT_CORE);
  EXPECT_EQ(p.rlimits[1].hard, 0u);
  EXPECT_EQ(p.rlimits[2].resource, RLIMIT_STACK);
  EXPECT_EQ(p.rlimits[2].soft, RLIM_INFINITY);
  auto d = compile("policy p { process { no_new_privileges false; user 7 } }");
  ASSERT_TRUE(d.policy) << d.diagnostics;
  EXPECT_FALSE(d.policy->process.no_new_privileges);
  EXPECT_EQ(d.policy->process.gid, 7u);
  auto e = compile("policy p { process { rlimit NOFLIE 1 } }");
  EXPECT_EQ(e.diagnostics,
            "test.pol:1:29: error: unknown resource limit 'NOFLIE'; did you mean 'NOFILE'?\n"
            "policy p { process { rlimit NOFLIE 1 } }\n"
            "                            ^\n");
}

TEST(Process, UserByNameIsLookedUpInTheImage) {
  auto c = compile("policy p { process { user redis } }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.policy->process.user, "redis");
  EXPECT_FALSE(c.policy->process.uid);
  auto g = compile("policy p { process { user postgres:ssl-cert } }");
  ASSERT_TRUE(g.policy) << g.diagnostics;
  EXPECT_EQ(g.policy->process.user, "postgres:ssl-cert");
  // A derived policy's numeric user replaces the base's name, and the other way round.
  auto d =
      compile("policy b { process { user redis } }\npolicy p extends b { process { user 7 } }");
  ASSERT_TRUE(d.policy) << d.diagnostics;
  EXPECT_FALSE(d.policy->process.user);
  EXPECT_EQ(d.policy->process.uid, 7u);
  auto e =
      compile("policy b { process { user 7 } }\npolicy p extends b { process { user www-data } }");
  ASSERT_TRUE(e.policy) << e.diagnostics;
  EXPECT_EQ(e.policy->process.user, "www-data");
  EXPECT_FALSE(e.policy->process.uid);
  EXPECT_FALSE(e.policy->process.gid);
  auto bad = compile("policy p { process { user : } }");
  EXPECT_NE(bad.diagnostics.find("expected a numeric id or a user or group name"),
            std::string::npos)
      << bad.diagnostics;
}

TEST(Rootfs, EverySetting) {
  auto c = compile(R"(policy p {
  rootfs { readonly; tmpfs /tmp size=64M mode=1777
           bind /srv/data /data ro nosuid
           masked /proc/kcore, /proc/keys; readonly-paths /proc/sys
           docker-defaults }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& r = c.policy->rootfs;
  EXPECT_TRUE(r.readonly);
  EXPECT_FALSE(r.use_chroot);
  ASSERT_EQ(r.mounts.size(), 2u);
  EXPECT_EQ(r.mounts[0].kind, ir::MountSpec::Tmpfs);
  EXPECT_EQ(r.mounts[0].target, "/tmp");
  EXPECT_EQ(r.mounts[0].options, (std::vector<std::string>{"size=64M", "mode=1777"}));
  EXPECT_EQ(r.mounts[1].kind, ir::MountSpec::Bind);
  EXPECT_EQ(r.mounts[1].source, "/srv/data");
  EXPECT_EQ(r.mounts[1].target, "/data");
  EXPECT_EQ(r.mounts[1].options, (std::vector<std::string>{"ro", "nosuid"}));
  EXPECT_EQ(r.masked_paths.front(), "/proc/kcore");
  EXPECT_NE(std::find(r.masked_paths.begin(), r.masked_paths.end(), "/sys/firmware"),
            r.masked_paths.end());
  EXPECT_EQ(r.readonly_paths.front(), "/proc/sys");
  EXPECT_NE(std::find(r.readonly_paths.begin(), r.readonly_paths.end(), "/proc/sysrq-trigger"),
            r.readonly_paths.end());
  auto d = compile("policy p { rootfs { chroot } }");
  ASSERT_TRUE(d.policy);
  EXPECT_TRUE(d.policy->rootfs.use_chroot);
  EXPECT_EQ(d.diagnostics,
            "test.pol:1:21: warning: chroot instead of pivot_root: a process with CAP_SYS_CHROOT "
            "can escape it [-Wchroot-escapable]\n"
            "policy p { rootfs { chroot } }\n"
            "                    ^\n");
}

TEST(Rootfs, RootFlagsNosuidNodev) {
  auto c = compile("policy p { rootfs { tmpfs /tmp nosuid; root nosuid nodev } }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_TRUE(c.policy->rootfs.nosuid);
  EXPECT_TRUE(c.policy->rootfs.nodev);
  EXPECT_EQ(c.policy->rootfs.mounts.at(0).options, (std::vector<std::string>{"nosuid"}));
  auto none = compile("policy p { rootfs { readonly } }");
  ASSERT_TRUE(none.policy);
  EXPECT_FALSE(none.policy->rootfs.nosuid);  // Docker's default: neither
  EXPECT_FALSE(none.policy->rootfs.nodev);
  auto bad = compile("policy p { rootfs { root noexec } }");
  EXPECT_FALSE(bad.policy);
  EXPECT_EQ(bad.diagnostics.substr(0, bad.diagnostics.find('\n')),
            "test.pol:1:26: error: unknown flag of the root mount 'noexec'");
}

TEST(Devices, RulesReplaceTheDefaultListAndExtendsAdds) {
  auto none = compile("policy p { }");
  ASSERT_TRUE(none.policy);
  const auto& d = none.policy->resources.devices;
  EXPECT_FALSE(d.specified);
  EXPECT_EQ(d.rules.size(), ir::default_device_rules().size());
  EXPECT_FALSE(d.unrestricted());

  auto c = compile(R"(policy base { devices { allow c *:* m; allow c 1:3 rwm } }
policy p extends base {
  devices {
    allow b 7:* r   # loop devices, read only
    allow c 10:200 rw
  }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& r = c.policy->resources.devices.rules;
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].type, ir::DeviceRule::Char);
  EXPECT_EQ(r[0].major, -1);
  EXPECT_EQ(r[0].minor, -1);
  EXPECT_EQ(r[0].access, ir::DeviceRule::Mknod);
  EXPECT_EQ(r[1].major, 1);
  EXPECT_EQ(r[1].minor, 3);
  EXPECT_EQ(r[1].access, ir::DeviceRule::Read | ir::DeviceRule::Write | ir::DeviceRule::Mknod);
  EXPECT_EQ(r[2].type, ir::DeviceRule::Block);
  EXPECT_EQ(r[2].major, 7);
  EXPECT_EQ(r[2].minor, -1);
  EXPECT_EQ(r[2].access, ir::DeviceRule::Read);
  EXPECT_EQ(r[3].access, ir::DeviceRule::Read | ir::DeviceRule::Write);
  EXPECT_EQ(r[3].loc.line, 5u);

  auto all = compile("policy p { devices { allow a rwm } }");
  ASSERT_TRUE(all.policy) << all.diagnostics;
  EXPECT_TRUE(all.policy->resources.devices.unrestricted());
  auto empty = compile("policy p { devices { } }");
  ASSERT_TRUE(empty.policy);
  EXPECT_TRUE(empty.policy->resources.devices.rules.empty());  // every device refused
}

TEST(Devices, Errors) {
  auto c = compile("policy p { devices { allow x 1:3 rw } }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics.substr(0, c.diagnostics.find('\n')),
            "test.pol:1:28: error: expected a device type after 'allow': c (character), b "
            "(block) or a (all)");
  auto d = compile("policy p { devices { allow c 1:3 rwx } }");
  EXPECT_FALSE(d.policy);
  EXPECT_NE(d.diagnostics.find("expected an access after the device"), std::string::npos)
      << d.diagnostics;
  auto e = compile("policy p { devices { allow a 1:3 rw; allow c 1:3 rr } }");
  EXPECT_FALSE(e.policy);
  EXPECT_NE(e.diagnostics.find("test.pol:1:28: error: 'allow a' covers every device"),
            std::string::npos)
      << e.diagnostics;
  EXPECT_NE(e.diagnostics.find("test.pol:1:50: error: access 'r' is written twice"),
            std::string::npos)
      << e.diagnostics;
}

TEST(Sysctl, NamespacedOnesWithTheirNamespace) {
  auto c = compile(R"(policy p {
  namespaces { net, ipc, uts }
  sysctl {
    net.ipv4.ping_group_range "0 2147483647"
    net.ipv4.ip_unprivileged_port_start 0
    kernel.shmmax 1024; fs.mqueue.msg_max 20; kernel.domainname "example"
  }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& s = c.policy->sysctls;
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].key, "net.ipv4.ping_group_range");
  EXPECT_EQ(s[0].value, "0 2147483647");
  EXPECT_EQ(s[1].value, "0");
  EXPECT_EQ(s[4].key, "kernel.domainname");
}

TEST(Sysctl, HostWideOnesAndMissingNamespacesAreRefused) {
  auto c = compile(
      "policy p { namespaces { net join /proc/1/ns/net }\n"
      "  sysctl { kernel.panic 1; vm.swappiness 10; net.ipv4.ip_forward 1; kernel.sem \"1 2 3 "
      "4\" } }");
  EXPECT_FALSE(c.policy);
  EXPECT_NE(c.diagnostics.find("test.pol:2:12: error: sysctl 'kernel.panic' is not namespaced: "
                               "setting it in a container would change the whole host"),
            std::string::npos)
      << c.diagnostics;
  EXPECT_NE(c.diagnostics.find("test.pol:2:28: error: sysctl 'vm.swappiness' is not namespaced"),
            std::string::npos)
      << c.diagnostics;
  EXPECT_NE(c.diagnostics.find("test.pol:2:46: error: sysctl 'net.ipv4.ip_forward' needs a new "
                               "net namespace"),
            std::string::npos)
      << c.diagnostics;
  EXPECT_NE(c.diagnostics.find("sysctl 'kernel.sem' needs a new ipc namespace"), std::string::npos)
      << c.diagnostics;
}

TEST(Extends, MergeRules) {
  auto c = compile(R"(
policy a {
  syscalls default kill { allow read; allow write; errno(EPERM) socket(domain == AF_INET) }
  capabilities keep { CHOWN, SETUID }
  filesystem { read /etc/** }
  network { inet stream }
  namespaces { pid, mount }
  resources { memory 1G, pids 10 }
  process { user 1:1; hostname "a"; env A = "1" }
  rootfs { tmpfs /tmp }
}
policy b {
  syscalls { allow openat }
  capabilities { drop { SETUID } }
  rootfs { readonly }
}
policy c extends a, b {
  syscalls { kill write; allow socket(domain == AF_INET) }
  filesystem { write /var/** }
  namespaces { net }
  resources { pids 20 }
  process { hostname "c"; env B = "2" }
}
)");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.diagnostics, "");
  const ir::Policy& p = *c.policy;
  EXPECT_EQ(p.name, "c");
  EXPECT_EQ(p.bases, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(p.seccomp.default_action.kind, ir::ActionKind::KillProcess);
  // rules: read (a), openat (b), write and socket replaced by c's, appended after
  ASSERT_EQ(p.seccomp.rules.size(), 4u);
  EXPECT_EQ(p.seccomp.rules[0].syscall, "read");
  EXPECT_EQ(p.seccomp.rules[1].syscall, "openat");
  EXPECT_EQ(p.seccomp.rules[2].syscall, "write");
  EXPECT_EQ(p.seccomp.rules[2].action.kind, ir::ActionKind::KillProcess);
  EXPECT_EQ(p.seccomp.rules[3].syscall, "socket");
  EXPECT_EQ(p.seccomp.rules[3].action.kind, ir::ActionKind::Allow);
  EXPECT_EQ(p.capabilities.bounding, caps({"CHOWN"}));
  ASSERT_EQ(p.filesystem.rules.size(), 2u);
  EXPECT_EQ(p.filesystem.rules[1].pattern, "/var/**");
  EXPECT_EQ(p.network.sockets.size(), 1u);
  EXPECT_EQ(p.namespaces.namespaces.size(), 3u);
  EXPECT_EQ(p.resources.memory_bytes, 1ull << 30);
  EXPECT_EQ(p.resources.pids, 20u);
  EXPECT_EQ(p.process.uid, 1u);
  EXPECT_EQ(p.process.hostname, "c");
  EXPECT_EQ(p.process.env.size(), 2u);
  EXPECT_TRUE(p.rootfs.readonly);
  EXPECT_EQ(p.rootfs.mounts.size(), 1u);
}

TEST(Extends, UnknownBaseAndCycle) {
  auto c = compile("policy baseline { }\npolicy p extends baseline, basline { }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:2:28: error: unknown base policy 'basline'; did you mean 'baseline'?\n"
            "policy p extends baseline, basline { }\n"
            "                           ^\n");
  auto d = compile("policy a extends b { }\npolicy b extends a { }");
  EXPECT_FALSE(d.policy);
  EXPECT_EQ(d.diagnostics,
            "test.pol:2:8: error: policy 'b' extends itself (b -> a -> b)\n"
            "policy b extends a { }\n"
            "       ^\n");
}

TEST(Policies, SelectByNameDefaultLastAndDuplicates) {
  std::string text = "policy one { }\npolicy two { }\n";
  auto c = compile(text);
  ASSERT_TRUE(c.policy);
  EXPECT_EQ(c.policy->name, "two");
  auto o = test::options();
  o.policy_name = "one";
  auto d = test::compile_with(text, o);
  ASSERT_TRUE(d.policy);
  EXPECT_EQ(d.policy->name, "one");
  o.policy_name = "tow";
  auto e = test::compile_with(text, o);
  EXPECT_FALSE(e.policy);
  EXPECT_EQ(e.diagnostics, "test.pol: error: unknown policy 'tow'; did you mean 'two'?\n");
  auto f = compile("policy one { }\npolicy one { }\n");
  EXPECT_EQ(f.diagnostics,
            "test.pol:2:8: error: redefinition of policy 'one'\n"
            "policy one { }\n"
            "       ^\n"
            "test.pol:1:8: note: previous definition is here\n"
            "policy one { }\n"
            "       ^\n");
  auto g = compile("policy p {\n syscalls { }\n syscalls { }\n}");
  EXPECT_EQ(g.diagnostics,
            "test.pol:3:2: error: duplicate 'syscalls' section in the policy\n"
            " syscalls { }\n"
            " ^\n"
            "test.pol:2:2: note: the first one is here\n"
            " syscalls { }\n"
            " ^\n");
}

}  // namespace
}  // namespace policy
