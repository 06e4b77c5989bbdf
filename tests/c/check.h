/*
 * check.h: a few assertion macros for the C tests. Each failed check prints
 * where and why; flowbb_check_summary() prints "N passed, N failed" and gives
 * the exit status.
 */
#ifndef FLOWBB_CHECK_H
#define FLOWBB_CHECK_H

#include <stdio.h>
#include <string.h>

#include "flowbb.h"

static int flowbb_checks_passed;
static int flowbb_checks_failed;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            flowbb_checks_passed++;                                          \
        } else {                                                             \
            flowbb_checks_failed++;                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,           \
                    __LINE__, #cond);                                        \
        }                                                                    \
    } while (0)

/* Checks that `call` returns `expected`; prints the error message if not. */
#define CHECK_STATUS(expected, call, errp)                                   \
    do {                                                                     \
        flowbb_status check_got_ = (call);                                   \
        if (check_got_ == (expected)) {                                      \
            flowbb_checks_passed++;                                          \
        } else {                                                             \
            flowbb_checks_failed++;                                          \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d: %s\n", \
                    __FILE__, __LINE__, #call, (int)check_got_,              \
                    flowbb_status_str(check_got_), (int)(expected),          \
                    flowbb_error_message(*(errp)));                          \
        }                                                                    \
    } while (0)

/* Checks that a failed call left an error object with `status` whose message
 * contains `needle`, then frees it. */
#define CHECK_ERROR(errp, status, needle)                                    \
    do {                                                                     \
        CHECK(*(errp) != NULL);                                              \
        CHECK(flowbb_error_status(*(errp)) == (status));                     \
        if (strstr(flowbb_error_message(*(errp)), (needle)) == NULL) {       \
            flowbb_checks_failed++;                                          \
            fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n",          \
                    __FILE__, __LINE__, flowbb_error_message(*(errp)),       \
                    (needle));                                               \
        } else {                                                             \
            flowbb_checks_passed++;                                          \
        }                                                                    \
        flowbb_error_free(*(errp));                                          \
        *(errp) = NULL;                                                      \
    } while (0)

static int flowbb_check_summary(void)
{
    printf("%d passed, %d failed\n", flowbb_checks_passed,
           flowbb_checks_failed);
    return flowbb_checks_failed == 0 ? 0 : 1;
}

#endif /* FLOWBB_CHECK_H */
