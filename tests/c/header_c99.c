/*
 * The header compiles as strict C99 (-std=c99 -Wall -Wextra -Werror
 * -pedantic), also when included twice, and its macros agree with the
 * library that is linked.
 */
#include "flowbb.h"
#include "flowbb.h"

#include <stdio.h>
#include <string.h>

#if FLOWBB_VERSION_NUMBER != FLOWBB_VERSION_MAJOR * 10000 + \
    FLOWBB_VERSION_MINOR * 100 + FLOWBB_VERSION_PATCH
#error "FLOWBB_VERSION_NUMBER disagrees with its parts"
#endif

int main(void)
{
    char expected[32];
    flowbb_status ok = FLOWBB_OK;

    sprintf(expected, "%d.%d.%d", FLOWBB_VERSION_MAJOR, FLOWBB_VERSION_MINOR,
            FLOWBB_VERSION_PATCH);
    if (strcmp(expected, FLOWBB_VERSION_STRING) != 0) {
        fprintf(stderr, "FLOWBB_VERSION_STRING is %s, parts say %s\n",
                FLOWBB_VERSION_STRING, expected);
        return 1;
    }
    if (strcmp(flowbb_version(), FLOWBB_VERSION_STRING) != 0 ||
        flowbb_abi_version() != FLOWBB_ABI_VERSION || ok != 0) {
        fprintf(stderr, "library %s (ABI %u), header %s (ABI %d)\n",
                flowbb_version(), flowbb_abi_version(),
                FLOWBB_VERSION_STRING, FLOWBB_ABI_VERSION);
        return 1;
    }
    printf("1 passed, 0 failed\n");
    return 0;
}
