// Shared helpers of the bpfgen tests: shipped policies, random policies libseccomp can express,
// and an exhaustive differential check of two programs.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "compiler/ir/seccomp.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::bpfgen::testing {

std::string source_dir();
// Every policies/*.pol (not groups/), by file name.
std::vector<std::string> shipped_policy_files();
ir::SeccompPolicy load_seccomp(const std::string& pol_file, std::vector<uint32_t> arches = {});

uint32_t arch(const char* name);

// How many random policies the property tests draw (POLICY_PROPERTY_DRAWS, else 509: the draws the
// property test made before it judged every one, so its coverage is kept) and from which seed
// (POLICY_PROPERTY_SEED, else 20261127).
size_t property_draws();
uint64_t property_seed();

// A random policy over real syscalls with random actions and conditions (every operator, masks,
// u32(), several conjunctions), on random arches among x86_64, x86, x32, aarch64 and arm.
ir::SeccompPolicy random_policy(std::mt19937_64& rng);

// Both programs on every syscall number 0..(highest known + 64) of each target arch, the x32
// range and its edges on x86_64, a few far numbers, a foreign arch value, and - for every call that
// reads arguments - every argument at, around and between each constant of the policy in both
// words. nullopt when they agree everywhere, else the first difference in words.
std::optional<std::string> compare_programs(const seccomp::Program& a, const seccomp::Program& b,
                                            const ir::SeccompPolicy& policy);

// A program against the IR's own verdict (seccomp::decide) on the calls a policy is about, on each
// target arch: every syscall number a rule names and 24 others drawn at random (the x32 range too
// on x86_64), with all arguments 0, each argument a rule compares swept over probe_values of the
// policy's constants, and 64 random combinations of those values; plus a foreign arch value, which
// must get the bad-arch action. nullopt when they agree, else the first difference in words.
// (seccomp::first_difference_from_policy explores further, too slowly for hundreds of policies.)
std::optional<std::string> first_difference_from_decide(const seccomp::Program& prog,
                                                        const ir::SeccompPolicy& policy,
                                                        std::mt19937_64& rng);

}  // namespace policy::bpfgen::testing
