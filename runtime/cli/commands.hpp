// policyrun's commands (docs/cli-policyrun.md). Each takes the arguments after its own name
// (argv[0] is the command's name) and returns policyrun's exit status; errors are reported on
// stderr as "policyrun: error: ..." by main(), from the policy::Error they throw.
#pragma once

namespace policy::cli {

// `run` and the short form (no command name: `policyrun --policy P IMAGE CMD...`), which is
// `run --rm` in the foreground: it leaves no container record behind.
int run_command(int argc, char** argv, bool short_form);
int ps_command(int argc, char** argv);       // ps [-a] [--json]
int top_command(int argc, char** argv);      // top NAME [--json]
int exec_command(int argc, char** argv);     // exec [-it] [-u U] [-e K=V] [-w DIR] NAME CMD...
int stats_command(int argc, char** argv);    // stats [--no-stream] [--json] [NAME...]
int update_command(int argc, char** argv);   // update --memory ... NAME
int stop_command(int argc, char** argv);     // stop [-t S] NAME...
int kill_command(int argc, char** argv);     // kill [-s SIG] NAME...
int rm_command(int argc, char** argv);       // rm [-f] NAME...
int logs_command(int argc, char** argv);     // logs [-f] NAME
int wait_command(int argc, char** argv);     // wait NAME...
int inspect_command(int argc, char** argv);  // inspect NAME...

}  // namespace policy::cli
