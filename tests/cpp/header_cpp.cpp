// The C header and the C++ header compile as C++17 with -Wall -Wextra
// -Werror -pedantic, also when included twice; header_cpp_b.cpp includes them
// in a second translation unit, so that inline definitions that break the
// one-definition rule fail to link.
#include "flowbb.h"
#include "flowbb.h"
#include "flowbb.hpp"
#include "flowbb.hpp"

#include <cstdio>
#include <string>

std::string version_from_second_unit();

int main() {
    static_assert(sizeof(flowbb_status) == 4, "flowbb_status is 32 bits");
    if (flowbb::version() != FLOWBB_VERSION_STRING ||
        version_from_second_unit() != flowbb::version() ||
        flowbb::abi_version() != FLOWBB_ABI_VERSION) {
        std::fprintf(stderr, "header and library disagree\n");
        return 1;
    }
    std::printf("1 passed, 0 failed\n");
    return 0;
}
