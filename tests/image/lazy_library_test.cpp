// LazyLibrary: the loader of libarchive and libcrypto (runtime/image/lazy_library.hpp).
#include "runtime/image/lazy_library.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

#include "compiler/common/error.hpp"
#include "runtime/image/digest.hpp"

namespace {

using policy::image::LazyLibrary;

std::string error_of(LazyLibrary& lib, const char* symbol) {
  try {
    (void)lib.symbol(symbol);
  } catch (const policy::Error& e) {
    return e.what();
  }
  return "";
}

TEST(LazyLibrary, AMissingLibraryNamesItselfWhatNeedsItAndTheRemedy) {
  LazyLibrary lib("libpolicy-no-such-library.so.7", "reading a test archive",
                  "install the test package");
  std::string e = error_of(lib, "anything");
  EXPECT_NE(e.find("reading a test archive needs libpolicy-no-such-library.so.7"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("; install the test package"), std::string::npos) << e;
  EXPECT_EQ(error_of(lib, "anything"), e) << "the failure is remembered, not retried differently";
}

TEST(LazyLibrary, FindsFunctionsAndNamesAMissingSymbol) {
  LazyLibrary lib("libcrypto.so.3", "a test", "install libssl3");
  auto sha256 = lib.function<decltype(&EVP_sha256)>("EVP_sha256");
  ASSERT_NE(sha256, nullptr);
  EXPECT_NE(sha256(), nullptr);
  std::string e = error_of(lib, "EVP_no_such_function");
  EXPECT_NE(e.find("libcrypto.so.3 has no symbol EVP_no_such_function"), std::string::npos) << e;
}

// The digests policyrun computes through the lazily loaded libcrypto (FIPS 180-2 test vectors).
TEST(LazyLibrary, Sha256ThroughTheLoadedLibcrypto) {
  EXPECT_EQ(policy::image::sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(policy::image::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
