/*
 * Tests for the printf-free "%.Pg" formatter: hand-checked texts for the
 * cases %g has rules for (ties to even, rounding up into a new digit, the
 * switch to exponent form at 1e-5 and 10^P, zero and its sign, subnormals,
 * the largest double, NaN and infinities), then a few hundred thousand
 * values of every kind and precision compared with snprintf byte for byte
 * (and the ties and near-ties where the fast path must give way to the
 * exact one), the FILE writer and the buffered writer, and loc_fprintf
 * against fprintf on the formats the writers use and on ones it leaves to
 * vfprintf.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"
#include "test_util.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static void check(double v, int prec, const char *want)
{
    char buf[LOC_FMT_G_SIZE];
    size_t n = loc_fmt_g(buf, v, prec);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_rules(void **state)
{
    (void)state;
    check(0.0, 6, "0");
    check(-0.0, 6, "-0");
    check(1, 6, "1");
    check(-42, 15, "-42");
    check(0.5, 1, "0.5");
    check(2.5, 1, "2");       /* a tie: to even */
    check(3.5, 1, "4");       /* a tie: to even */
    check(0.125, 2, "0.12");  /* 0.125 is exact: a tie */
    check(0.375, 2, "0.38");  /* a tie, to even upwards */
    check(0.1, 17, "0.10000000000000001");
    check(123456.5, 6, "123456");
    check(123457.5, 6, "123458");
    check(999999.5, 6, "1e+06"); /* rounds into a seventh digit */
    check(999999.4, 6, "999999");
    check(9.9999996, 6, "10");
    check(0.0001, 6, "0.0001");
    check(0.00001, 6, "1e-05");
    check(0.000123456789, 6, "0.000123457");
    check(1e21, 6, "1e+21");
    check(1.5e100, 6, "1.5e+100");
    check(1234567, 10, "1234567");
    check(12345678901.0, 10, "1.23456789e+10");
    check(5e-324, 6, "4.94066e-324"); /* the smallest subnormal */
    check(1.7976931348623157e308, 17, "1.7976931348623157e+308");
    check(2.2250738585072014e-308, 15, "2.2250738585072e-308");
    check(5424800, 15, "5424800");
    check(0.30000000000000004, 15, "0.3");
    check(0.30000000000000004, 17, "0.30000000000000004");
    check(NAN, 6, "nan");
    check(INFINITY, 6, "inf");
    check(-INFINITY, 10, "-inf");
    check(7, 0, "7"); /* precision 0 is taken as 1 */
    check(75, 0, "8e+01");
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A value of one of six kinds: any bit pattern, dyadic fractions (exact
 * ties), decimal-looking numbers over 40 orders of magnitude, wide
 * binary exponents, numbers a hair above a tie, and a smooth spread. */
static double any_value(uint64_t *s, int kind)
{
    uint64_t r = next(s);
    double v;
    switch (kind) {
    case 0:
        memcpy(&v, &r, sizeof v);
        return v;
    case 1:
        return (double)(r % 2000001) / (double)(UINT64_C(1) << (next(s) % 20));
    case 2:
        return (double)(r % 100000000) * pow(10, (int)(next(s) % 40) - 20);
    case 3:
        return ldexp((double)(r >> 11), (int)(next(s) % 200) - 150);
    case 4:
        return (double)(r % 1000000) / 1000.0 + 0.0005;
    default:
        return (r & 1 ? -1 : 1) * exp((double)(next(s) % 10000) / 100.0 - 50);
    }
}

static void test_against_printf(void **state)
{
    (void)state;
    uint64_t s = 88172645463325252u;
    char ours[LOC_FMT_G_SIZE], theirs[64];
    for (int i = 0; i < 300000; i++) {
        double v = any_value(&s, i % 6);
        int prec = 1 + (int)(next(&s) % 17);
        if (i % 3 == 0) /* the precisions the tables use */
            prec = (int[]){6, 10, 15}[next(&s) % 3];
        loc_fmt_g(ours, v, prec);
        snprintf(theirs, sizeof theirs, "%.*g", prec, v);
        if (strcmp(ours, theirs))
            fail_msg("%%.%dg of %a: '%s', printf '%s'", prec, v, ours, theirs);
    }
}

/* Where the one-multiplication path must hand over to the exact one:
 * exact ties in binary (n + 1/2 times a power of two), decimals one digit
 * past the precision ending in 5 (within an ulp of a tie), and values
 * next to 10^(P-1) and 10^P, where the exponent itself is in doubt; each
 * is also taken an ulp either side.  Every text is snprintf's. */
static void test_near_ties(void **state)
{
    (void)state;
    uint64_t s = 4101842887655102017u;
    char ours[LOC_FMT_G_SIZE], theirs[64];
    for (int i = 0; i < 200000; i++) {
        int prec = 1 + (int)(next(&s) % 15);
        double scale = pow(10, (int)(next(&s) % 40) - 20), v;
        uint64_t n = next(&s) % (uint64_t)pow(10, prec);
        switch (i % 4) {
        case 0: /* an exact tie: n + 1/2, times a power of two */
            v = ldexp((double)n + 0.5, (int)(next(&s) % 40) - 20);
            break;
        case 1: /* P + 1 digits ending in 5 */
            v = ((double)n * 10 + 5) * scale / pow(10, prec);
            break;
        case 2: /* next to 10^(P-1) or 10^P */
            v = pow(10, prec - (int)(next(&s) % 2)) * scale;
            break;
        default: /* 99..95 and 99..9, which round up into a new digit */
            v = (pow(10, prec + 1) - (double)(next(&s) % 2 ? 5 : 1)) * scale;
            break;
        }
        for (int k = -1; k <= 1; k++) {
            double w = k < 0 ? nextafter(v, 0) : k > 0 ? nextafter(v, INFINITY) : v;
            loc_fmt_g(ours, w, prec);
            snprintf(theirs, sizeof theirs, "%.*g", prec, w);
            if (strcmp(ours, theirs))
                fail_msg("%%.%dg of %a: '%s', printf '%s'", prec, w, ours, theirs);
        }
    }
}

static void test_put(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    assert_int_equal(loc_put_g(f, 1234.5678, 6), 0);
    assert_int_equal(fputc(',', f), ',');
    assert_int_equal(loc_put_g(f, 1e-7, 6), 0);
    assert_int_equal(loc_put_g(f, 1.0 / 3, 40), 0); /* past 17: printf's text, cut */
    assert_int_equal(fclose(f), 0);
    char want[128];
    snprintf(want, sizeof want, "1234.57,1e-07%.*s", LOC_FMT_G_SIZE - 1, "0.3333333333333333148296162562473909929395");
    assert_string_equal(text, want);
    free(text);
}

/* loc_fprintf and fprintf of the same arguments give the same text and
 * the same count. */
#define SAME_AS_FPRINTF(...)                                                                                           \
    do {                                                                                                               \
        char *a_ = NULL, *b_ = NULL;                                                                                   \
        size_t na_ = 0, nb_ = 0;                                                                                       \
        FILE *fa_ = open_memstream(&a_, &na_), *fb_ = open_memstream(&b_, &nb_);                                       \
        assert_true(fa_ && fb_);                                                                                       \
        int ra_ = loc_fprintf(fa_, __VA_ARGS__), rb_ = fprintf(fb_, __VA_ARGS__);                                      \
        assert_int_equal(fclose(fa_), 0);                                                                              \
        assert_int_equal(fclose(fb_), 0);                                                                              \
        if (strcmp(a_, b_) || ra_ != rb_)                                                                              \
            fail_msg("'%s' (%d) against fprintf's '%s' (%d)", a_, ra_, b_, rb_);                                       \
        free(a_);                                                                                                      \
        free(b_);                                                                                                      \
    } while (0)

/* loc_fmt_f against snprintf's "%.*f": values of every kind at
 * precisions 0 to 17 where printf's text fits the buffer, exact binary
 * ties at the last digit (2.5, 0.125 at 2 places), decimals one digit
 * past the precision ending in 5 (within an ulp of a tie), each an ulp
 * either side; the cut text where it does not fit. */
static void test_fmt_f(void **state)
{
    (void)state;
    uint64_t s = 6364136223846793005u;
    char ours[LOC_FMT_G_SIZE], theirs[400];
    for (int i = 0; i < 300000; i++) {
        int prec = (int)(next(&s) % 18);
        double v;
        switch (i % 3) {
        case 0:
            v = any_value(&s, i % 6);
            break;
        case 1: /* n + 1/2 units of the last place, in binary */
            v = ldexp((double)(next(&s) % 100000) + 0.5, -(int)(next(&s) % 8));
            prec = (int)(next(&s) % 8);
            break;
        default: /* P + 1 decimals ending in 5 */
            prec = (int)(next(&s) % 10);
            v = ((double)(next(&s) % 1000000) * 10 + 5) / pow(10, prec + 1);
            break;
        }
        for (int k = -1; k <= 1; k++) {
            double w = k < 0 ? nextafter(v, -INFINITY) : k > 0 ? nextafter(v, INFINITY) : v;
            size_t n = loc_fmt_f(ours, w, prec);
            int m = snprintf(theirs, sizeof theirs, "%.*f", prec, w);
            if (m < LOC_FMT_G_SIZE) {
                if (strcmp(ours, theirs) || n != (size_t)m)
                    fail_msg("%%.%df of %a: '%s', printf '%s'", prec, w, ours, theirs);
            } else if (n != LOC_FMT_G_SIZE - 1 || strncmp(ours, theirs, n)) {
                fail_msg("%%.%df of %a: '%s' is not printf's text cut", prec, w, ours);
            }
        }
    }
}

/* The buffered writer gives the text stdio would, across many buffer
 * fills and with pieces longer than the buffer, quotes CSV fields as
 * loc_put_csv_field does, and reports a failed write (on /dev/full). */
static void test_obuf(void **state)
{
    (void)state;
    char *ours = NULL, *theirs = NULL;
    size_t n1 = 0, n2 = 0;
    FILE *f = open_memstream(&ours, &n1), *g = open_memstream(&theirs, &n2);
    assert_non_null(f);
    assert_non_null(g);
    loc_obuf *o = malloc(sizeof *o);
    assert_non_null(o);
    loc_ob_init(o, f);
    static char big[40000];
    memset(big, 'x', sizeof big - 1);
    static const char *fields[] = {"plain", "a,b", "say \"hi\"", "two\nlines", "", "cr\r"};
    uint64_t s = 77;
    for (int i = 0; i < 20000; i++) {
        double v = any_value(&s, i % 6);
        int prec = 1 + (int)(next(&s) % 17);
        long long k = (long long)(next(&s) % 2000001) - 1000000;
        const char *field = fields[i % 6];
        loc_ob_g(o, v, prec);
        loc_ob_char(o, ',');
        loc_ob_int(o, k);
        loc_ob_char(o, ',');
        loc_ob_csv_field(o, field);
        loc_ob_str(o, i % 5000 == 0 ? big : "\n");
        loc_put_g(g, v, prec);
        fprintf(g, ",%lld,", k);
        loc_put_csv_field(g, field);
        fputs(i % 5000 == 0 ? big : "\n", g);
    }
    loc_ob_int(o, LLONG_MIN);
    fprintf(g, "%lld", LLONG_MIN);
    assert_int_equal(loc_ob_flush(o), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(fclose(g), 0);
    assert_int_equal(n1, n2);
    assert_memory_equal(ours, theirs, n1);
    free(ours);
    free(theirs);
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        loc_ob_init(o, full);
        for (int i = 0; i < 1000; i++)
            loc_ob_str(o, "a line that will not fit on a full device\n");
        assert_int_equal(loc_ob_flush(o), EOF);
        fclose(full);
    }
    free(o);
}

static void test_fprintf(void **state)
{
    (void)state;
    SAME_AS_FPRINTF("plain text, no conversion");
    SAME_AS_FPRINTF("%s", "");
    SAME_AS_FPRINTF("%s,%s,%c%%", "income", "", 'x');
    SAME_AS_FPRINTF("%.3s|%.0s|%.*s", "abcdef", "gone", 2, "xyz");
    SAME_AS_FPRINTF("%d %i %u %zu %ld %lld %zd", -2147483647 - 1, 42, 4294967295u, (size_t)-1, -7L, -9223372036854775807LL - 1,
                    (ssize_t)-3);
    SAME_AS_FPRINTF("<circle cx=\"%.0f\" cy=\"%.0f\"/>", 12.5, 13.5); /* ties to even */
    SAME_AS_FPRINTF("%.1f %.1f %.1f %.2f %f", -0.04, 0.05, 0.25, 1e-300, 3.0);
    SAME_AS_FPRINTF("%.1f and %.0f", 1e300, -1e22); /* hundreds of digits: printf's */
    SAME_AS_FPRINTF("%.*f %.*g %g %lf", 3, 2.0005, 4, 0.000123456, 1e-5, 2.5);
    SAME_AS_FPRINTF("%.20g %.25f", 0.1, 0.1); /* past 17 digits */
    SAME_AS_FPRINTF("%.1f %g %f", NAN, INFINITY, -INFINITY);
    /* left to vfprintf whole: flags, widths, other conversions */
    SAME_AS_FPRINTF("\\u%04x %5s|%-4d|%+.2f|%x %e %p", 0x1f, "ab", 7, 1.5, 255u, 12345.678, (void *)0);
    /* many values through the buffer, numbers and text past its size */
    uint64_t s = 1234567;
    char big[2000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = 0;
    SAME_AS_FPRINTF("%s|%d|%s", big, 5, big + 1500);
    for (int i = 0; i < 20000; i++) {
        double v = any_value(&s, i % 6);
        int p = (int)(next(&s) % 19);
        SAME_AS_FPRINTF("M%.1f %.1fV%.0f,%.*f;%.6g,%.15g %zu", v, -v, v * 3, p, v, v, v, (size_t)i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_against_printf), cmocka_unit_test(test_near_ties), cmocka_unit_test(test_obuf), cmocka_unit_test(test_fmt_f),
        cmocka_unit_test(test_put),
        cmocka_unit_test(test_fprintf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
