// The policy language grammar (docs/language.md keeps the EBNF in step with this file).
//
// Each rule is a small named type composed like EBNF. Token rules never include the whitespace
// after them; `tok<R>` adds it. Rules deriving from `node` are kept in the parse tree that
// compiler/frontend/parse.cpp turns into the AST; every other rule only shapes the match.
// Rules used under `must<>` have a readable message in `error_message<>` at the end of this file,
// so a syntax error says what was expected where ("expected '{' after the policy name").
#pragma once

#include <tao/pegtl.hpp>

namespace policy::grammar {

namespace pegtl = tao::pegtl;
using namespace tao::pegtl;

// Marks a rule whose matches are kept in the parse tree.
struct node {};

// ---- lexical structure -------------------------------------------------------------------------
struct line_comment : seq<sor<one<'#'>, two<'/'>>, until<eolf>> {};
struct sp : star<sor<pegtl::space, line_comment>> {};
template <typename R>
struct tok : seq<R, sp> {};

struct ident_first : ranges<'a', 'z', 'A', 'Z', '_'> {};
struct ident_other : ranges<'a', 'z', 'A', 'Z', '0', '9', '_', '_', '.', '.', '-', '-'> {};
struct ident : seq<ident_first, star<ident_other>> {};

// A keyword is a whole word: `kill` does not match the start of `kill-process`.
template <typename Str>
struct word : seq<Str, not_at<ident_other>> {};
template <typename Str>
struct kw : tok<word<Str>> {};
#define POLICY_KW(text) kw<TAO_PEGTL_STRING(text)>
#define POLICY_WORD(text) word<TAO_PEGTL_STRING(text)>

struct hex_number : seq<one<'0'>, one<'x', 'X'>, plus<xdigit>> {};
struct oct_number : seq<one<'0'>, one<'o', 'O'>, plus<range<'0', '7'>>> {};
struct bin_number : seq<one<'0'>, one<'b', 'B'>, plus<one<'0', '1'>>> {};
struct dec_number : plus<digit> {};
struct number_body : sor<hex_number, oct_number, bin_number, dec_number> {};
struct number : seq<number_body, not_at<ident_other>>, node {};
// 256M, 64K, 1G (powers of 1024)
struct size_suffix : one<'K', 'M', 'G', 'T', 'k', 'm', 'g', 't'> {};
struct size : seq<number_body, opt<size_suffix>, not_at<ident_other>>, node {};
// 1.5 (cpus)
struct decimal : seq<plus<digit>, opt<one<'.'>, plus<digit>>, not_at<ident_other>>, node {};
// 50ms, 100ms, 1s, 500us
struct duration_unit : sor<TAO_PEGTL_STRING("us"), TAO_PEGTL_STRING("ms"), one<'s'>> {};
struct duration : seq<plus<digit>, opt<one<'.'>, plus<digit>>, duration_unit, not_at<ident_other>>,
                  node {};
// 4.8, 5.10
struct version : seq<plus<digit>, one<'.'>, plus<digit>, opt<one<'.'>, plus<digit>>>, node {};

struct string_escape : seq<one<'\\'>, one<'"', '\\'>> {};
struct string_char : sor<string_escape, not_one<'"', '\\', '\n'>> {};
struct string_close : one<'"'> {};
struct quoted : seq<one<'"'>, star<string_char>, must<string_close>>, node {};

// A path starts with '/' or '@{' and runs to whitespace, ',', ';' or an unmatched '}'.
// Brackets and braces nest, so AppArmor globs such as /proc/{a,b}/** and [^1-9/] stay whole.
struct path_bracket;
struct path_brace;
struct path_plain_char : not_one<' ', '\t', '\r', '\n', ',', ';', '{', '}', '[', ']'> {};
struct path_inner_char : not_one<'\r', '\n', '{', '}', '[', ']'> {};
struct path_bracket
    : seq<one<'['>, star<sor<path_bracket, path_brace, path_inner_char>>, one<']'>> {};
struct path_brace : seq<one<'{'>, star<sor<path_bracket, path_brace, path_inner_char>>, one<'}'>> {
};
struct path_start : sor<one<'/'>, seq<one<'@'>, at<one<'{'>>>> {};
struct raw_path : seq<path_start, star<sor<path_bracket, path_brace, path_plain_char>>> {};
struct path : sor<raw_path, quoted>, node {};

struct comma : tok<one<','>> {};
struct semi : tok<one<';'>> {};
struct item_sep : opt<sor<comma, semi>> {};
struct lparen : tok<one<'('>> {};
struct rparen : tok<one<')'>> {};
struct lbrace : tok<one<'{'>> {};
struct rbrace : tok<one<'}'>> {};
// `-X`: a derived policy takes X away from what its bases grant (docs/language.md, "Removals").
struct removal_mark : one<'-'> {};

// ---- names -------------------------------------------------------------------------------------
struct policy_name : ident, node {};
struct base_name : ident, node {};
struct syscall_name : ident, node {};
struct group_name : ident, node {};
struct group_ref : seq<one<'@'>, must<group_name>>, node {};
struct cap_name : ident, node {};
struct arch_name : ident, node {};
struct arg_name : ident, node {};
struct constant_name : ident, node {};
struct errno_name : ident, node {};

// ---- top level ---------------------------------------------------------------------------------
struct include_file : tok<quoted> {};
struct include_decl : seq<POLICY_KW("include"), must<include_file>>, node {};

struct group_open : lbrace {};
struct group_member : sor<tok<group_ref>, tok<syscall_name>> {};
struct group_close : rbrace {};
struct group_def_name : tok<group_ref> {};
struct group_decl : seq<POLICY_KW("group"), must<group_def_name>, must<group_open>,
                        star<group_member, item_sep>, must<group_close>>,
                    node {};

// ---- syscalls section --------------------------------------------------------------------------
struct errno_open : lparen {};
struct errno_value : sor<tok<number>, tok<errno_name>> {};
struct errno_close : rparen {};
struct action_arg_close : rparen {};
struct action_number : tok<number> {};
struct act_allow : POLICY_KW("allow"), node {};
struct act_errno : seq<POLICY_KW("errno"), must<errno_open>, must<errno_value>, must<errno_close>>,
                   node {};
struct act_kill_process : POLICY_KW("kill-process"), node {};
struct act_kill_thread : POLICY_KW("kill-thread"), node {};
struct act_kill : POLICY_KW("kill"), node {};
struct act_trap : seq<POLICY_KW("trap"), opt<lparen, must<action_number>, must<action_arg_close>>>,
                  node {};
struct act_log : POLICY_KW("log"), node {};
struct act_trace
    : seq<POLICY_KW("trace"), opt<lparen, must<action_number>, must<action_arg_close>>>,
      node {};
struct act_user_notify : POLICY_KW("user-notify"), node {};
struct action : sor<act_allow, act_errno, act_kill_process, act_kill_thread, act_kill, act_trap,
                    act_log, act_trace, act_user_notify> {};

// Argument conditions: cond = conj { "or" conj }; conj = unary { "and" unary }.
struct value;
struct value_close : rparen {};
struct value_term
    : sor<tok<number>, tok<constant_name>, seq<lparen, must<value>, must<value_close>>> {};
struct bar : tok<one<'|'>> {};
struct value_operand : value_term {};
struct value : seq<value_term, star<bar, must<value_operand>>>, node {};

struct u32_close : rparen {};
struct u32_arg
    : seq<word<TAO_PEGTL_STRING("u32")>, sp, lparen, must<tok<arg_name>>, must<u32_close>>,
      node {};
struct arg_ref : sor<u32_arg, tok<arg_name>> {};
struct cmp_op_text : sor<TAO_PEGTL_STRING("=="), TAO_PEGTL_STRING("!="), TAO_PEGTL_STRING("<="),
                         TAO_PEGTL_STRING(">="), one<'<'>, one<'>'>>,
                     node {};
struct cmp_value : seq<value> {};
struct cmp_tail : seq<tok<cmp_op_text>, must<cmp_value>>, node {};
struct mask_eq : tok<TAO_PEGTL_STRING("==")> {};
struct mask_value : seq<value> {};
struct masked_tail : seq<tok<one<'&'>>, must<mask_value>, must<mask_eq>, must<cmp_value>>, node {};
struct set_open : lbrace {};
struct set_close : rbrace {};
struct set_value : seq<value> {};
struct value_set
    : seq<must<set_open>, must<set_value>, star<comma, must<set_value>>, must<set_close>> {};
struct in_tail : seq<POLICY_KW("in"), value_set>, node {};
struct not_in_tail : seq<POLICY_KW("not"), POLICY_KW("in"), value_set>, node {};
struct comparison_tail : sor<masked_tail, cmp_tail, in_tail, not_in_tail> {};
struct comparison : seq<arg_ref, must<comparison_tail>>, node {};
struct cond;
struct cond_close : rparen {};
struct unary;
struct not_operand : seq<unary> {};
struct cond_not : seq<POLICY_KW("not"), must<not_operand>>, node {};
struct unary : sor<cond_not, seq<lparen, must<cond>, must<cond_close>>, comparison> {};
struct and_operand : seq<unary> {};
struct cond_and : seq<unary, star<POLICY_KW("and"), must<and_operand>>>, node {};
struct or_operand : seq<cond_and> {};
struct cond : seq<cond_and, star<POLICY_KW("or"), must<or_operand>>>, node {};

struct args_close : rparen {};
struct syscall_target : seq<tok<syscall_name>, opt<lparen, must<cond>, must<args_close>>>, node {};
struct target : sor<tok<group_ref>, syscall_target> {};
struct more_target : target {};
struct targets : seq<target, star<comma, must<more_target>>> {};

struct arch_list : seq<tok<arch_name>, star<comma, must<tok<arch_name>>>> {};
struct gate_not : POLICY_WORD("not"), node {};
struct gate_cap_name : tok<cap_name> {};
struct gate_capability : seq<POLICY_KW("capability"), must<gate_cap_name>>, node {};
struct gate_arch_list : arch_list {};
struct gate_arch : seq<POLICY_KW("arch"), must<gate_arch_list>>, node {};
struct gate_ge : tok<TAO_PEGTL_STRING(">=")> {};
struct gate_version : tok<version> {};
struct gate_kernel : seq<POLICY_KW("kernel"), must<gate_ge>, must<gate_version>>, node {};
struct gate_kind : sor<gate_capability, gate_arch, gate_kernel> {};
struct gate : seq<opt<tok<gate_not>>, must<gate_kind>>, node {};
struct more_gate : seq<gate> {};
struct when_clause : seq<POLICY_KW("when"), must<gate>, star<POLICY_KW("and"), must<more_gate>>> {};

struct rule_targets : targets {};
struct syscall_rule : seq<action, must<rule_targets>, opt<when_clause>, opt<semi>>, node {};
// -ptrace, -@mount: no condition or gate; every base rule granting the call goes.
struct removed_syscall : sor<tok<group_ref>, tok<syscall_name>> {};
struct syscall_removal : seq<removal_mark, must<removed_syscall>>, node {};
struct more_syscall_removal : seq<syscall_removal> {};
struct syscall_removals
    : seq<syscall_removal, star<comma, must<more_syscall_removal>>, opt<semi>> {};
struct syscall_item : sor<syscall_rule, syscall_removals> {};
struct default_action : action {};
struct default_clause : seq<POLICY_KW("default"), must<default_action>>, node {};
struct section_arch_list : arch_list {};
struct arch_clause : seq<POLICY_KW("arch"), must<section_arch_list>>, node {};
struct syscalls_open : lbrace {};
struct syscalls_close : rbrace {};
struct syscalls_section : seq<POLICY_KW("syscalls"), opt<default_clause>, opt<arch_clause>,
                              must<syscalls_open>, star<syscall_item>, must<syscalls_close>>,
                          node {};

// ---- capabilities section ----------------------------------------------------------------------
struct cap_all : POLICY_KW("all"), node {};
struct cap_none : POLICY_KW("none"), node {};
struct cap_list_close : rbrace {};
struct more_cap : tok<cap_name> {};
struct cap_list
    : seq<lbrace, opt<tok<cap_name>, star<comma, must<more_cap>>>, must<cap_list_close>> {};
struct cap_set : sor<cap_all, cap_none, cap_list> {};
struct cap_verb : sor<POLICY_WORD("keep"), POLICY_WORD("add"), POLICY_WORD("drop"),
                      POLICY_WORD("bounding"), POLICY_WORD("permitted"), POLICY_WORD("effective"),
                      POLICY_WORD("inheritable"), POLICY_WORD("ambient")>,
                  node {};
struct cap_item_set : cap_set {};
struct cap_item : seq<tok<cap_verb>, must<cap_item_set>, item_sep>, node {};
struct removed_cap : tok<cap_name> {};
struct cap_removal : seq<removal_mark, must<removed_cap>, item_sep>, node {};
struct caps_close : rbrace {};
struct caps_keep_set : cap_set {};
struct caps_body
    : sor<seq<at<POLICY_KW("keep")>, cap_item>, seq<lbrace, star<sor<cap_item, cap_removal>>, must<caps_close>>> {};
struct capabilities_section : seq<POLICY_KW("capabilities"), must<caps_body>>, node {};

// ---- filesystem section ------------------------------------------------------------------------
struct deny : POLICY_WORD("deny"), node {};
struct access_word : plus<alpha>, node {};
struct more_access : tok<access_word> {};
struct access_list : seq<tok<access_word>, star<tok<one<'+'>>, must<more_access>>> {};
struct fs_path : tok<path> {};
struct fs_paths : seq<fs_path, star<comma, must<fs_path>>> {};
struct fs_access : seq<access_list, must<fs_paths>>, node {};
struct all_word : tok<POLICY_WORD("all")> {};
struct fs_allow_all : seq<POLICY_KW("allow"), must<all_word>>, node {};
struct fs_mount : seq<POLICY_KW("mount"), opt<tok<quoted>>>, node {};
struct fs_umount : seq<POLICY_KW("umount"), opt<tok<quoted>>>, node {};
struct perm_word : ident, node {};
struct perm_close : rparen {};
struct perm_open : lparen {};
struct peer_value : sor<tok<quoted>, tok<perm_word>> {};
struct peer_eq : tok<one<'='>> {};
struct peer_clause : seq<POLICY_KW("peer"), must<peer_eq>, must<peer_value>>, node {};
struct perm_list
    : seq<must<perm_open>, tok<perm_word>, star<comma, tok<perm_word>>, must<perm_close>> {};
struct fs_signal : seq<POLICY_KW("signal"), perm_list, opt<peer_clause>>, node {};
struct fs_ptrace : seq<POLICY_KW("ptrace"), perm_list, opt<peer_clause>>, node {};
struct fs_rule : sor<fs_mount, fs_umount, fs_signal, fs_ptrace, fs_access> {};
struct fs_item : sor<fs_allow_all, seq<opt<tok<deny>>, fs_rule>>, node {};
struct removed_path : tok<path> {};
struct fs_removal : seq<removal_mark, must<removed_path>>, node {};
struct more_fs_removal : seq<fs_removal> {};
struct fs_removals : seq<fs_removal, star<comma, must<more_fs_removal>>> {};
struct fs_close : rbrace {};
struct fs_open : lbrace {};
struct filesystem_section
    : seq<POLICY_KW("filesystem"), must<fs_open>, star<sor<fs_removals, fs_item>, opt<semi>>, must<fs_close>>,
      node {};

// ---- network section ---------------------------------------------------------------------------
struct family_name : ident, node {};
struct socket_type : sor<POLICY_WORD("stream"), POLICY_WORD("dgram"), POLICY_WORD("raw"),
                         POLICY_WORD("seqpacket"), POLICY_WORD("rdm"), POLICY_WORD("packet")>,
                     node {};
struct port : plus<digit>, node {};
struct port_last : tok<port> {};
struct port_range : seq<tok<port>, opt<tok<one<'-'>>, must<port_last>>>, node {};
struct port_proto : tok<POLICY_WORD("tcp")> {};
struct first_port : seq<port_range> {};
struct port_list : seq<must<port_proto>, must<first_port>, star<comma, port_range>> {};
struct net_bind : seq<POLICY_KW("bind"), port_list>, node {};
struct net_connect : seq<POLICY_KW("connect"), port_list>, node {};
struct scope_kind : sor<POLICY_WORD("abstract-unix"), POLICY_WORD("signals")>, node {};
struct net_scope : seq<POLICY_KW("scope"), must<tok<scope_kind>>>, node {};
struct net_all : POLICY_KW("all"), node {};
struct net_family : seq<tok<family_name>, opt<tok<socket_type>>>, node {};
struct net_rule : sor<net_bind, net_connect, net_scope, net_all, net_family> {};
struct net_item : seq<opt<tok<deny>>, net_rule, item_sep>, node {};
struct net_close : rbrace {};
struct net_open : lbrace {};
struct network_section : seq<POLICY_KW("network"), must<net_open>, star<net_item>, must<net_close>>,
                         node {};

// ---- namespaces section ------------------------------------------------------------------------
struct map_number : tok<number> {};
struct ns_map_kind : sor<POLICY_WORD("uidmap"), POLICY_WORD("gidmap")>, node {};
struct ns_map : seq<tok<ns_map_kind>, must<map_number>, must<map_number>, must<map_number>>,
                node {};
struct ns_kind : ident, node {};
struct join_path : tok<path> {};
// `net container db`: the namespace of a running container (its name is checked by the front end).
struct ns_container_name : plus<ident_other>, node {};
struct ns_container : seq<POLICY_KW("container"), must<tok<ns_container_name>>> {};
// `pid host`: the host's namespace, said explicitly.
struct ns_host : POLICY_KW("host"), node {};
struct ns_join
    : seq<tok<ns_kind>, opt<sor<seq<POLICY_KW("join"), must<join_path>>, ns_container, ns_host>>>,
      node {};
struct removed_ns : tok<ns_kind> {};
struct ns_removal : seq<removal_mark, must<removed_ns>>, node {};
struct ns_item : seq<sor<ns_map, ns_join, ns_removal>, item_sep> {};
struct ns_close : rbrace {};
struct ns_open : lbrace {};
struct namespaces_section
    : seq<POLICY_KW("namespaces"), must<ns_open>, star<ns_item>, must<ns_close>>,
      node {};

// ---- resources section -------------------------------------------------------------------------
struct res_size : tok<size> {};
struct res_number : tok<number> {};
struct res_decimal : tok<decimal> {};
struct res_string : tok<quoted> {};
struct res_duration : tok<duration> {};
struct res_memory : seq<POLICY_KW("memory"), must<res_size>>, node {};
struct res_memory_swap : seq<POLICY_KW("memory.swap"), must<res_size>>, node {};
struct res_cpu_shares : seq<POLICY_KW("cpu.shares"), must<res_number>>, node {};
struct res_cpu_weight : seq<POLICY_KW("cpu.weight"), must<res_number>>, node {};
struct res_cpu_quota
    : seq<POLICY_KW("cpu.quota"), must<res_duration>, opt<tok<one<'/'>>, must<res_duration>>>,
      node {};
struct res_cpus : seq<POLICY_KW("cpus"), must<res_decimal>>, node {};
struct res_pids : seq<POLICY_KW("pids"), must<res_number>>, node {};
struct res_cpuset_cpus : seq<POLICY_KW("cpuset.cpus"), must<res_string>>, node {};
struct res_cpuset_mems : seq<POLICY_KW("cpuset.mems"), must<res_string>>, node {};
struct res_item : seq<sor<res_memory_swap, res_memory, res_cpu_shares, res_cpu_weight,
                          res_cpu_quota, res_cpus, res_pids, res_cpuset_cpus, res_cpuset_mems>,
                      item_sep> {};
struct res_close : rbrace {};
struct res_open : lbrace {};
struct resources_section
    : seq<POLICY_KW("resources"), must<res_open>, star<res_item>, must<res_close>>,
      node {};

// ---- process section ---------------------------------------------------------------------------
struct nnp_false : POLICY_KW("false"), node {};
struct proc_nnp : seq<POLICY_KW("no_new_privileges"), opt<nnp_false>>, node {};
struct id_number : tok<number> {};
// `user 101:101` or `user redis[:redis]`: a name is looked up in the image's /etc/passwd and
// /etc/group when the container starts (Debian's system users have no fixed ids).
struct user_name : ident, node {};
struct id_or_name : sor<id_number, tok<user_name>> {};
struct proc_user : seq<POLICY_KW("user"), must<id_or_name>, opt<tok<one<':'>>, must<id_or_name>>>,
                   node {};
struct proc_groups : seq<POLICY_KW("groups"), must<id_number>, star<comma, must<id_number>>>,
                     node {};
struct hostname_value : sor<tok<quoted>, tok<perm_word>> {};
struct proc_hostname : seq<POLICY_KW("hostname"), must<hostname_value>>, node {};
struct cwd_path : tok<path> {};
struct proc_cwd : seq<POLICY_KW("cwd"), must<cwd_path>>, node {};
struct env_name : ident, node {};
struct env_eq : tok<one<'='>> {};
struct env_value : tok<quoted> {};
struct proc_env : seq<POLICY_KW("env"), must<tok<env_name>>, must<env_eq>, must<env_value>>,
                  node {};
struct rlimit_name : ident, node {};
struct unlimited : POLICY_WORD("unlimited"), node {};
struct rlimit_value : sor<tok<number>, tok<unlimited>> {};
struct proc_rlimit
    : seq<POLICY_KW("rlimit"), must<tok<rlimit_name>>, must<rlimit_value>, opt<rlimit_value>>,
      node {};
struct proc_init : POLICY_KW("init"), node {};
struct proc_item : seq<sor<proc_nnp, proc_user, proc_groups, proc_hostname, proc_cwd, proc_env,
                           proc_rlimit, proc_init>,
                       item_sep> {};
struct proc_close : rbrace {};
struct proc_open : lbrace {};
struct process_section
    : seq<POLICY_KW("process"), must<proc_open>, star<proc_item>, must<proc_close>>,
      node {};

// ---- rootfs section ----------------------------------------------------------------------------
struct root_keyword
    : sor<POLICY_WORD("readonly-paths"), POLICY_WORD("readonly"), POLICY_WORD("chroot"),
          POLICY_WORD("tmpfs"), POLICY_WORD("bind"), POLICY_WORD("masked"),
          POLICY_WORD("docker-defaults"), POLICY_WORD("root")> {};
// size=64M, mode=1777, nosuid, ro
struct mount_opt : seq<not_at<root_keyword>, alpha, star<sor<alnum, one<'_', '=', '.', '-', ':'>>>>,
                   node {};
struct mount_path : tok<path> {};
struct root_readonly : POLICY_KW("readonly"), node {};
struct root_chroot : POLICY_KW("chroot"), node {};
struct root_tmpfs : seq<POLICY_KW("tmpfs"), must<mount_path>, star<tok<mount_opt>>>, node {};
struct root_bind : seq<POLICY_KW("bind"), must<mount_path>, must<mount_path>, star<tok<mount_opt>>>,
                   node {};
struct root_masked : seq<POLICY_KW("masked"), must<mount_path>, star<comma, must<mount_path>>>,
                     node {};
struct root_readonly_paths
    : seq<POLICY_KW("readonly-paths"), must<mount_path>, star<comma, must<mount_path>>>,
      node {};
struct root_docker_defaults : POLICY_KW("docker-defaults"), node {};
// root nosuid nodev: flags of the root file system's own mount
struct root_flag : tok<mount_opt> {};
struct root_flags : seq<POLICY_KW("root"), must<root_flag>, star<tok<mount_opt>>>, node {};
// -/tmp: every mount the bases set up at that target (tmpfs, bind, masked, read-only path).
struct removed_mount : tok<path> {};
struct root_removal : seq<removal_mark, must<removed_mount>>, node {};
struct root_item : seq<sor<root_readonly_paths, root_readonly, root_chroot, root_tmpfs, root_bind,
                           root_masked, root_docker_defaults, root_flags, root_removal>,
                       item_sep> {};
struct root_close : rbrace {};
struct root_open : lbrace {};
struct rootfs_section
    : seq<POLICY_KW("rootfs"), must<root_open>, star<root_item>, must<root_close>>,
      node {};

// ---- devices section ---------------------------------------------------------------------------
// allow c 1:3 rwm: a device type (c, b or a for all), major:minor (numbers or '*'), access (r w m)
struct dev_type : seq<one<'a', 'b', 'c'>, not_at<ident_other>>, node {};
struct dev_any : one<'*'>, node {};
struct dev_number : sor<number, dev_any> {};
struct dev_minor : dev_number {};
struct dev_colon : one<':'> {};
struct dev_numbers : seq<dev_number, must<dev_colon>, must<dev_minor>> {};
struct dev_access : seq<plus<one<'r', 'w', 'm'>>, not_at<ident_other>>, node {};
struct dev_type_tok : tok<dev_type> {};
struct dev_access_tok : tok<dev_access> {};
struct dev_allow
    : seq<POLICY_KW("allow"), must<dev_type_tok>, opt<tok<dev_numbers>>, must<dev_access_tok>>,
      node {};
struct dev_item : seq<dev_allow, item_sep> {};
struct dev_close : rbrace {};
struct dev_open : lbrace {};
struct devices_section : seq<POLICY_KW("devices"), must<dev_open>, star<dev_item>, must<dev_close>>,
                         node {};

// ---- sysctl section ----------------------------------------------------------------------------
// net.ipv4.ip_unprivileged_port_start 0; net.ipv4.ping_group_range "0 2147483647"
struct sysctl_value : sor<tok<quoted>, tok<number>> {};
struct sysctl_setting : seq<tok<ident>, must<sysctl_value>>, node {};
struct sysctl_item : seq<sysctl_setting, item_sep> {};
struct sysctl_close : rbrace {};
struct sysctl_open : lbrace {};
struct sysctl_section
    : seq<POLICY_KW("sysctl"), must<sysctl_open>, star<sysctl_item>, must<sysctl_close>>,
      node {};

// ---- policies ----------------------------------------------------------------------------------
struct section : sor<syscalls_section, capabilities_section, filesystem_section, network_section,
                     namespaces_section, resources_section, process_section, rootfs_section,
                     devices_section, sysctl_section> {};
struct more_base : tok<base_name> {};
struct extends_clause : seq<POLICY_KW("extends"), must<more_base>, star<comma, must<more_base>>> {};
struct policy_decl_name : tok<policy_name> {};
struct policy_open : lbrace {};
struct policy_close : rbrace {};
struct policy_decl : seq<POLICY_KW("policy"), must<policy_decl_name>, opt<extends_clause>,
                         must<policy_open>, star<section>, must<policy_close>>,
                     node {};

struct top_item : sor<include_decl, group_decl, policy_decl> {};
struct end_of_file : eof {};
struct file : seq<sp, star<top_item>, must<end_of_file>> {};

#undef POLICY_KW
#undef POLICY_WORD

// ---- what a syntax error says ------------------------------------------------------------------
template <typename Rule>
inline constexpr const char* error_message = nullptr;

#define POLICY_EXPECT(rule, text) \
  template <>                     \
  inline constexpr const char* error_message<rule> = text
POLICY_EXPECT(string_close, "unterminated string: expected '\"'");
POLICY_EXPECT(group_name, "expected a group name after '@'");
POLICY_EXPECT(include_file, "expected a quoted file name after 'include'");
POLICY_EXPECT(group_def_name, "expected '@name' after 'group'");
POLICY_EXPECT(group_open, "expected '{' after the group name");
POLICY_EXPECT(group_close, "expected a syscall name, '@group' or '}' in the group");
POLICY_EXPECT(errno_open, "expected '(' after 'errno', as in errno(EPERM)");
POLICY_EXPECT(errno_value, "expected an errno name or number, as in errno(EPERM)");
POLICY_EXPECT(errno_close, "expected ')' after the errno value");
POLICY_EXPECT(action_number, "expected a number");
POLICY_EXPECT(action_arg_close, "expected ')' after the number");
POLICY_EXPECT(value, "expected a value (a number or a constant such as AF_INET)");
POLICY_EXPECT(value_close, "expected ')' to close the value");
POLICY_EXPECT(value_operand, "expected a number or a constant after '|'");
POLICY_EXPECT(tok<arg_name>, "expected an argument name");
POLICY_EXPECT(u32_close, "expected ')' after the argument of u32(...)");
POLICY_EXPECT(cmp_value, "expected a value (a number or a constant such as AF_INET)");
POLICY_EXPECT(mask_value, "expected a mask value after '&'");
POLICY_EXPECT(mask_eq, "expected '==' after the mask, as in 'flags & MASK == VALUE'");
POLICY_EXPECT(set_open, "expected '{' after 'in', as in 'domain in {AF_INET, AF_UNIX}'");
POLICY_EXPECT(set_value, "expected a value in the set");
POLICY_EXPECT(set_close, "expected ',' or '}' in the set of values");
POLICY_EXPECT(comparison_tail,
              "expected a comparison after the argument name (==, !=, <, <=, >, >=, '&', 'in' "
              "or 'not in')");
POLICY_EXPECT(cond, "expected an argument condition, as in 'domain == AF_INET'");
POLICY_EXPECT(cond_close, "expected ')' to close the parenthesised condition");
POLICY_EXPECT(not_operand, "expected a condition after 'not'");
POLICY_EXPECT(and_operand, "expected a condition after 'and'");
POLICY_EXPECT(or_operand, "expected a condition after 'or'");
POLICY_EXPECT(args_close, "expected 'and', 'or' or ')' after the argument condition");
POLICY_EXPECT(more_target, "expected a syscall name or '@group' after ','");
POLICY_EXPECT(tok<arch_name>, "expected an architecture name after ','");
POLICY_EXPECT(gate_cap_name, "expected a capability name after 'capability'");
POLICY_EXPECT(gate_arch_list, "expected an architecture name after 'arch'");
POLICY_EXPECT(gate_ge, "expected '>=' after 'kernel', as in 'kernel >= 4.8'");
POLICY_EXPECT(gate_version, "expected a kernel version such as 4.8");
POLICY_EXPECT(gate_kind, "expected 'capability', 'arch' or 'kernel' in the gate");
POLICY_EXPECT(gate, "expected 'capability', 'arch' or 'kernel' after 'when'");
POLICY_EXPECT(more_gate, "expected 'capability', 'arch' or 'kernel' after 'and'");
POLICY_EXPECT(rule_targets, "expected a syscall name or '@group' after the action");
POLICY_EXPECT(removed_syscall, "expected a syscall name or '@group' after '-', as in -ptrace");
POLICY_EXPECT(more_syscall_removal,
              "expected another removal after ',', as in '-ptrace, -@mount'");
POLICY_EXPECT(removed_cap, "expected a capability name after '-', as in -NET_RAW");
POLICY_EXPECT(removed_path, "expected a path after '-', as in -/etc/**");
POLICY_EXPECT(more_fs_removal, "expected another removal after ',', as in '-/etc/**, -/tmp/**'");
POLICY_EXPECT(removed_ns, "expected a namespace after '-', as in -pid");
POLICY_EXPECT(removed_mount, "expected the target of a mount after '-', as in -/tmp");
POLICY_EXPECT(default_action,
              "expected an action after 'default' (allow, errno(...), kill, kill-thread, trap, "
              "log, trace, user-notify)");
POLICY_EXPECT(section_arch_list, "expected an architecture name after 'arch'");
POLICY_EXPECT(syscalls_open, "expected '{' to open the syscalls section");
POLICY_EXPECT(syscalls_close,
              "expected a rule (an action such as allow, errno(...), kill, trap, log), a removal "
              "(-ptrace) or '}' to close the syscalls section");
POLICY_EXPECT(cap_list_close, "expected ',' or '}' in the capability list");
POLICY_EXPECT(more_cap, "expected a capability name after ','");
POLICY_EXPECT(cap_item_set, "expected '{', 'all' or 'none' after the capability set name");
POLICY_EXPECT(caps_close,
              "expected keep, add, drop, bounding, permitted, effective, inheritable, ambient, a "
              "removal (-NET_RAW) or '}' in the capabilities section");
POLICY_EXPECT(caps_body, "expected 'keep' or '{' after 'capabilities'");
POLICY_EXPECT(more_access, "expected an access after '+'");
POLICY_EXPECT(fs_path, "expected a path (starting with '/' or '@{', or a quoted string)");
POLICY_EXPECT(fs_paths, "expected a path (starting with '/' or '@{', or a quoted string)");
POLICY_EXPECT(all_word,
              "expected 'all' after 'allow' (other filesystem rules start with an access such as "
              "read or write)");
POLICY_EXPECT(perm_open, "expected '(' and a list of permissions");
POLICY_EXPECT(perm_close, "expected ',' or ')' in the permission list");
POLICY_EXPECT(peer_eq, "expected '=' after 'peer'");
POLICY_EXPECT(peer_value, "expected a peer label after 'peer='");
POLICY_EXPECT(fs_open, "expected '{' to open the filesystem section");
POLICY_EXPECT(fs_close,
              "expected a filesystem rule (read, write, exec, deny ...), a removal (-/path) or '}'");
POLICY_EXPECT(port_proto, "expected 'tcp' (Landlock restricts TCP ports only)");
POLICY_EXPECT(first_port, "expected a port number or range such as 8000-8080");
POLICY_EXPECT(port_last, "expected the last port of the range");
POLICY_EXPECT(tok<scope_kind>, "expected 'abstract-unix' or 'signals' after 'scope'");
POLICY_EXPECT(net_open, "expected '{' to open the network section");
POLICY_EXPECT(net_close, "expected a network rule (a socket family, bind, connect, scope) or '}'");
POLICY_EXPECT(map_number, "expected three numbers: inside-id outside-id count");
POLICY_EXPECT(join_path, "expected a namespace path after 'join', such as /proc/1/ns/net");
POLICY_EXPECT(tok<ns_container_name>, "expected a container name after 'container', such as db");
POLICY_EXPECT(ns_open, "expected '{' to open the namespaces section");
POLICY_EXPECT(ns_close,
              "expected a namespace (mount, pid, uts, ipc, net, cgroup, user, time), a removal "
              "(-pid) or '}'");
POLICY_EXPECT(res_size, "expected a size such as 256M");
POLICY_EXPECT(res_number, "expected a number");
POLICY_EXPECT(res_decimal, "expected a number such as 1.5");
POLICY_EXPECT(res_string, "expected a quoted string such as \"0-3\"");
POLICY_EXPECT(res_duration, "expected a duration such as 50ms (units: us, ms, s)");
POLICY_EXPECT(res_open, "expected '{' to open the resources section");
POLICY_EXPECT(res_close,
              "expected a resource (memory, memory.swap, cpu.shares, cpu.weight, cpu.quota, "
              "cpus, pids, cpuset.cpus, cpuset.mems) or '}'");
POLICY_EXPECT(id_number, "expected a numeric id");
POLICY_EXPECT(id_or_name, "expected a numeric id or a user or group name");
POLICY_EXPECT(hostname_value, "expected a host name");
POLICY_EXPECT(cwd_path, "expected an absolute path after 'cwd'");
POLICY_EXPECT(tok<env_name>, "expected a variable name after 'env'");
POLICY_EXPECT(env_eq, "expected '=' after the variable name");
POLICY_EXPECT(env_value, "expected a quoted value after '='");
POLICY_EXPECT(tok<rlimit_name>, "expected a resource name such as NOFILE after 'rlimit'");
POLICY_EXPECT(rlimit_value, "expected a number or 'unlimited'");
POLICY_EXPECT(proc_open, "expected '{' to open the process section");
POLICY_EXPECT(proc_close,
              "expected a process setting (no_new_privileges, user, groups, hostname, cwd, env, "
              "rlimit, init) or '}'");
POLICY_EXPECT(mount_path, "expected a path");
POLICY_EXPECT(root_open, "expected '{' to open the rootfs section");
POLICY_EXPECT(root_flag, "expected a flag of the root mount (nosuid, nodev) after 'root'");
POLICY_EXPECT(root_close,
              "expected a rootfs setting (readonly, chroot, tmpfs, bind, masked, readonly-paths, "
              "docker-defaults, root), a removal (-/tmp) or '}'");
POLICY_EXPECT(dev_type_tok,
              "expected a device type after 'allow': c (character), b (block) or a (all)");
POLICY_EXPECT(dev_colon, "expected ':' between the major and minor numbers, as in 1:3 or 136:*");
POLICY_EXPECT(dev_minor, "expected a minor number or '*' after ':'");
POLICY_EXPECT(dev_access_tok, "expected an access after the device: some of r, w, m (as in rwm)");
POLICY_EXPECT(dev_open, "expected '{' to open the devices section");
POLICY_EXPECT(dev_close,
              "expected 'allow' (as in 'allow c 1:3 rwm') or '}' in the devices section");
POLICY_EXPECT(sysctl_value, "expected a value after the sysctl name: a number or a quoted string");
POLICY_EXPECT(sysctl_open, "expected '{' to open the sysctl section");
POLICY_EXPECT(sysctl_close,
              "expected a sysctl (as in 'net.ipv4.ip_unprivileged_port_start 0') or '}'");
POLICY_EXPECT(more_base, "expected a policy name after 'extends'");
POLICY_EXPECT(policy_decl_name, "expected a policy name after 'policy'");
POLICY_EXPECT(policy_open, "expected '{' after the policy name");
POLICY_EXPECT(policy_close,
              "expected a section (syscalls, capabilities, filesystem, network, namespaces, "
              "resources, process, rootfs, devices, sysctl) or '}' to close the policy");
POLICY_EXPECT(end_of_file, "expected 'policy', 'group' or 'include'");
#undef POLICY_EXPECT

}  // namespace policy::grammar
