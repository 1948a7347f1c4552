/*
 * harness.h — khabar's small in-tree test harness.
 *
 * A test program runs its checks and ends with kbt_summary(), which prints the line
 * "N passed, N failed" that tests/run.sh adds up. Each CHECK counts once. A failing check prints
 * its file, line and expression, and the test goes on. Tables of {input, expected} rows are the
 * usual shape: one CHECK per row.
 */
#ifndef KHABAR_TEST_HARNESS_H
#define KHABAR_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

static int kbt_passed, kbt_failed;

static inline int kbt_check(int ok, const char *file, int line, const char *what)
{
    if (ok) {
        kbt_passed++;
    } else {
        kbt_failed++;
        fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
    }
    return ok;
}

#define CHECK(cond) kbt_check(!!(cond), __FILE__, __LINE__, #cond)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (!kbt_check(a_ == b_, __FILE__, __LINE__, #a " == " #b))                                \
            fprintf(stderr, "     got %lld, expected %lld\n", a_, b_);                             \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        int ok_ = a_ && b_ && strcmp(a_, b_) == 0;                                                 \
        if (!kbt_check(ok_, __FILE__, __LINE__, #a " == " #b))                                     \
            fprintf(stderr, "     got \"%s\", expected \"%s\"\n", a_ ? a_ : "(null)",             \
                    b_ ? b_ : "(null)");                                                           \
    } while (0)

/* Like CHECK_STR, with a label (a table row) printed on failure. */
#define CHECK_STR_MSG(a, b, label)                                                                 \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        int ok_ = a_ && b_ && strcmp(a_, b_) == 0;                                                 \
        if (!kbt_check(ok_, __FILE__, __LINE__, label))                                            \
            fprintf(stderr, "     got \"%s\", expected \"%s\"\n", a_ ? a_ : "(null)",             \
                    b_ ? b_ : "(null)");                                                           \
    } while (0)

static inline int kbt_summary(void)
{
    printf("%d passed, %d failed\n", kbt_passed, kbt_failed);
    return kbt_failed ? 1 : 0;
}

#endif
