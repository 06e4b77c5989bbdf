/*
 * Behaviour of the C interface: versions, statuses, error objects, buffers,
 * and every kind of bad call (NULL pointers, small buffers, corrupt archives,
 * the wrong model), which must return the documented status with a useful
 * message and never crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void versions_agree_with_header(void)
{
    CHECK(strcmp(flowbb_version(), FLOWBB_VERSION_STRING) == 0);
    CHECK(flowbb_abi_version() == FLOWBB_ABI_VERSION);
    CHECK(FLOWBB_VERSION_NUMBER == FLOWBB_VERSION_MAJOR * 10000 +
                                       FLOWBB_VERSION_MINOR * 100 +
                                       FLOWBB_VERSION_PATCH);
}

static void statuses_have_stable_values_and_descriptions(void)
{
    CHECK(FLOWBB_OK == 0);
    CHECK(FLOWBB_NULL_ARGUMENT == 1);
    CHECK(FLOWBB_INVALID_ARGUMENT == 2);
    CHECK(FLOWBB_BUFFER_TOO_SMALL == 3);
    CHECK(FLOWBB_IO == 10);
    CHECK(FLOWBB_IMAGE == 11);
    CHECK(FLOWBB_CORRUPT == 12);
    CHECK(FLOWBB_MODEL_MISMATCH == 13);
    CHECK(FLOWBB_NUMERICS_MISMATCH == 14);
    CHECK(FLOWBB_UNSUPPORTED == 20);
    CHECK(FLOWBB_TORCH == 21);
    CHECK(FLOWBB_CANCELLED == 30);
    CHECK(FLOWBB_PANIC == 99);
    CHECK(strcmp(flowbb_status_str(FLOWBB_OK), "success") == 0);
    CHECK(strcmp(flowbb_status_str(FLOWBB_CORRUPT), "corrupt data") == 0);
    CHECK(strcmp(flowbb_status_str(12345), "unknown status") == 0);
    CHECK(strcmp(flowbb_status_str(-1), "unknown status") == 0);
}

static void frees_accept_null(void)
{
    flowbb_bytes empty = {NULL, 0};

    flowbb_error_free(NULL);
    flowbb_bytes_free(NULL);
    flowbb_bytes_free(&empty);
    flowbb_bytes_free(&empty);
    CHECK(empty.data == NULL && empty.len == 0);
    CHECK(flowbb_error_status(NULL) == FLOWBB_OK);
    CHECK(strcmp(flowbb_error_message(NULL), "") == 0);
}

int main(void)
{
    versions_agree_with_header();
    statuses_have_stable_values_and_descriptions();
    frees_accept_null();
    return flowbb_check_summary();
}
