// The syntax tree of a policy file, as written: names are not resolved yet, every node keeps its
// source location. parse.cpp builds it from the grammar (grammar/policy_grammar.hpp); resolve.cpp
// turns it into the Policy IR.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/source.hpp"

namespace policy::frontend::ast {

// A word or literal as written, with where it was written.
struct Token {
  std::string text;
  SourceLoc loc;
};

// allow | errno(N|NAME) | kill | kill-process | kill-thread | trap[(N)] | log | trace[(N)] |
// user-notify
struct ActionSpec {
  std::string kind;            // the keyword, e.g. "errno"
  std::optional<Token> value;  // errno value, trap/trace data
  SourceLoc loc;
};

// term { "|" term }: each term a number or a constant name.
struct Value {
  std::vector<Token> terms;
  SourceLoc loc;
};

struct ArgRef {
  Token name;
  bool u32 = false;  // written u32(name)
};

struct CondExpr {
  enum Kind { Or, And, Not, Compare, Masked, In, NotIn } kind = Compare;
  std::vector<CondExpr> operands;  // Or, And, Not
  ArgRef arg;                      // Compare, Masked, In, NotIn
  std::string op;                  // Compare: "==", "!=", "<", "<=", ">", ">="
  Value mask;                      // Masked
  std::vector<Value> values;       // Compare/Masked: one; In/NotIn: the set
  SourceLoc loc;
};

struct Target {
  bool is_group = false;
  Token name;  // without '@'
  std::optional<CondExpr> cond;
};

struct Gate {
  enum Kind { Capability, Arch, Kernel } kind = Capability;
  bool negated = false;
  std::vector<Token> names;  // capability or arches
  Token version;             // kernel
  SourceLoc loc;
};

struct SyscallRule {
  ActionSpec action;
  std::vector<Target> targets;
  std::vector<Gate> gates;
  SourceLoc loc;
};

// `-X`: what a derived policy takes away from its bases (docs/language.md, "Removals").
struct Removal {
  Token name;             // ptrace, mount (the group, without '@'), NET_RAW, pid, /tmp, /etc/**
  bool is_group = false;  // syscalls: -@group
  SourceLoc loc;          // the '-'
};

struct SyscallsSection {
  std::optional<ActionSpec> default_action;
  std::vector<Token> arches;
  std::vector<SyscallRule> rules;
  std::vector<Removal> removals;
  SourceLoc loc;
};

struct CapItem {
  std::string verb;  // keep, add, drop, bounding, permitted, effective, inheritable, ambient
  enum SetKind { List, All, None } set = List;
  std::vector<Token> caps;
  SourceLoc loc;
};

struct CapabilitiesSection {
  std::vector<CapItem> items;
  std::vector<Removal> removals;
  SourceLoc loc;
};

struct FsItem {
  enum Kind { Access, AllowAll, Mount, Umount, Signal, Ptrace } kind = Access;
  bool deny = false;
  std::vector<Token> access;  // Access: read, write, rwklx ...
  std::vector<Token> paths;   // Access
  std::string text;           // Mount/Umount: optional quoted rule text
  std::vector<Token> perms;   // Signal/Ptrace
  std::optional<Token> peer;  // Signal/Ptrace
  SourceLoc loc;
};

struct FilesystemSection {
  std::vector<FsItem> items;
  std::vector<Removal> removals;
  SourceLoc loc;
};

struct PortRange {
  Token first;
  std::optional<Token> last;
};

struct NetItem {
  enum Kind { Family, All, Bind, Connect, Scope } kind = Family;
  bool deny = false;
  Token family;                  // Family
  std::optional<Token> type;     // Family
  std::vector<PortRange> ports;  // Bind/Connect
  Token scope;                   // Scope: abstract-unix | signals
  SourceLoc loc;
};

struct NetworkSection {
  std::vector<NetItem> items;
  SourceLoc loc;
};

struct NsItem {
  enum Kind { Namespace, UidMap, GidMap } kind = Namespace;
  Token name;                      // Namespace
  std::optional<Token> join;       // Namespace: `join PATH`
  std::optional<Token> container;  // Namespace: `container NAME`
  bool host = false;               // Namespace: `host`
  std::vector<Token> numbers;      // maps: inside outside count
  SourceLoc loc;
};

struct NamespacesSection {
  std::vector<NsItem> items;
  std::vector<Removal> removals;
  SourceLoc loc;
};

// resources, process, rootfs, devices and sysctl items: the keyword and its operands, already
// shaped by the grammar (e.g. cpu.quota has one or two durations; tmpfs a path then mount options).
struct Setting {
  std::string key;             // "memory", "cpu.quota", "user", "tmpfs", ...
  std::vector<Token> values;   // operands in order
  std::vector<Token> options;  // rootfs mount options
  SourceLoc loc;
};

struct SettingsSection {
  std::vector<Setting> items;
  std::vector<Removal> removals;  // rootfs: mount targets
  SourceLoc loc;
};

struct Policy {
  Token name;
  std::vector<Token> bases;
  std::optional<SyscallsSection> syscalls;
  std::optional<CapabilitiesSection> capabilities;
  std::optional<FilesystemSection> filesystem;
  std::optional<NetworkSection> network;
  std::optional<NamespacesSection> namespaces;
  std::optional<SettingsSection> resources;
  std::optional<SettingsSection> process;
  std::optional<SettingsSection> rootfs;
  std::optional<SettingsSection> devices;  // allow c 1:3 rwm: values type [major minor] access
  std::optional<SettingsSection> sysctl;   // key (the item's key) and its value
  SourceLoc loc;
};

struct Group {
  Token name;                   // without '@'
  std::vector<Target> members;  // no conditions
  SourceLoc loc;
};

struct Include {
  Token file;  // as written, unquoted
  SourceLoc loc;
};

struct File {
  std::string name;  // as used in diagnostics
  std::vector<Include> includes;
  std::vector<Group> groups;
  std::vector<Policy> policies;
};

}  // namespace policy::frontend::ast
