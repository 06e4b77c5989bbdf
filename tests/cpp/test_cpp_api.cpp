// Behaviour of the C++ wrapper: RAII ownership, move-only handles, and
// exceptions that carry the C status and message.
#include "flowbb.hpp"

#include <cstdio>
#include <string>
#include <utility>

namespace {

int passed = 0;
int failed = 0;

void check(bool ok, const char *what, int line) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::fprintf(stderr, "test_cpp_api.cpp:%d: check failed: %s\n", line,
                     what);
    }
}

#define CHECK(cond) check((cond), #cond, __LINE__)

// Runs `f`, which must throw flowbb::Error with `status` and a message
// containing `needle`.
template <typename F>
void check_throws(F f, flowbb_status status, const std::string &needle,
                  int line) {
    try {
        f();
        check(false, "call did not throw", line);
    } catch (const flowbb::Error &e) {
        check(e.status() == status, "status of the exception", line);
        check(std::string(e.what()).find(needle) != std::string::npos,
              "message of the exception", line);
    }
}

void versions_agree_with_header() {
    CHECK(flowbb::version() == FLOWBB_VERSION_STRING);
    CHECK(flowbb::abi_version() == FLOWBB_ABI_VERSION);
    CHECK(flowbb::status_str(FLOWBB_CORRUPT) == "corrupt data");
}

void failed_status_becomes_exception_with_message() {
    check_throws([] { flowbb::detail::check(FLOWBB_IO, nullptr); }, FLOWBB_IO,
                 "file input/output error", __LINE__);
}

} // namespace

int main() {
    versions_agree_with_header();
    failed_status_becomes_exception_with_message();
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
