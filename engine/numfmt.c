/*
 * Numbers and simple formats as printf writes them, without printf.  The
 * CSV tables, the GeoJSON properties, the graph files and the report write
 * about a million numbers a run, and in this process glibc's printf is
 * slow twice over: it formats a double through multi-precision arithmetic,
 * and a library GDAL loads (libquadmath, for one) registers a printf
 * extension, which sends every call down glibc's positional path with its
 * format parser (together over 2,000 instructions a number, more than a
 * tenth of a whole run's).  Here a double, M * 2^E with M below 2^53, is
 * scaled by a power of ten exactly as the fraction M * 2^E * 10^k in
 * 128-bit integers, whose quotient and remainder give the digits and
 * their rounding exactly, ties to even as glibc rounds them; most
 * values at the tables' precisions (up to 15 digits) are first scaled in
 * doubles, whose one rounding is too small to matter unless the value is
 * within an ulp of a tie, and only those take the 128-bit way.  Values
 * whose fraction would not fit in 128 bits and precisions above 17 are
 * left to printf, so the text is always printf's own.  Last, a buffered
 * writer (loc_obuf) for tables written a short field at a time.
 */
#include "internal.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

typedef unsigned __int128 u128;

/* 10^k for k = 0..38 (10^38 < 2^128), and its number of bits. */
#define P10(hi, lo) ((u128)(hi) << 64 | (u128)(lo))
static const u128 pow10_table[39] = {
    P10(0x0000000000000000u, 0x0000000000000001u), /* 10^0 */
    P10(0x0000000000000000u, 0x000000000000000au), /* 10^1 */
    P10(0x0000000000000000u, 0x0000000000000064u), /* 10^2 */
    P10(0x0000000000000000u, 0x00000000000003e8u), /* 10^3 */
    P10(0x0000000000000000u, 0x0000000000002710u), /* 10^4 */
    P10(0x0000000000000000u, 0x00000000000186a0u), /* 10^5 */
    P10(0x0000000000000000u, 0x00000000000f4240u), /* 10^6 */
    P10(0x0000000000000000u, 0x0000000000989680u), /* 10^7 */
    P10(0x0000000000000000u, 0x0000000005f5e100u), /* 10^8 */
    P10(0x0000000000000000u, 0x000000003b9aca00u), /* 10^9 */
    P10(0x0000000000000000u, 0x00000002540be400u), /* 10^10 */
    P10(0x0000000000000000u, 0x000000174876e800u), /* 10^11 */
    P10(0x0000000000000000u, 0x000000e8d4a51000u), /* 10^12 */
    P10(0x0000000000000000u, 0x000009184e72a000u), /* 10^13 */
    P10(0x0000000000000000u, 0x00005af3107a4000u), /* 10^14 */
    P10(0x0000000000000000u, 0x00038d7ea4c68000u), /* 10^15 */
    P10(0x0000000000000000u, 0x002386f26fc10000u), /* 10^16 */
    P10(0x0000000000000000u, 0x016345785d8a0000u), /* 10^17 */
    P10(0x0000000000000000u, 0x0de0b6b3a7640000u), /* 10^18 */
    P10(0x0000000000000000u, 0x8ac7230489e80000u), /* 10^19 */
    P10(0x0000000000000005u, 0x6bc75e2d63100000u), /* 10^20 */
    P10(0x0000000000000036u, 0x35c9adc5dea00000u), /* 10^21 */
    P10(0x000000000000021eu, 0x19e0c9bab2400000u), /* 10^22 */
    P10(0x000000000000152du, 0x02c7e14af6800000u), /* 10^23 */
    P10(0x000000000000d3c2u, 0x1bcecceda1000000u), /* 10^24 */
    P10(0x0000000000084595u, 0x161401484a000000u), /* 10^25 */
    P10(0x000000000052b7d2u, 0xdcc80cd2e4000000u), /* 10^26 */
    P10(0x00000000033b2e3cu, 0x9fd0803ce8000000u), /* 10^27 */
    P10(0x00000000204fce5eu, 0x3e25026110000000u), /* 10^28 */
    P10(0x00000001431e0faeu, 0x6d7217caa0000000u), /* 10^29 */
    P10(0x0000000c9f2c9cd0u, 0x4674edea40000000u), /* 10^30 */
    P10(0x0000007e37be2022u, 0xc0914b2680000000u), /* 10^31 */
    P10(0x000004ee2d6d415bu, 0x85acef8100000000u), /* 10^32 */
    P10(0x0000314dc6448d93u, 0x38c15b0a00000000u), /* 10^33 */
    P10(0x0001ed09bead87c0u, 0x378d8e6400000000u), /* 10^34 */
    P10(0x0013426172c74d82u, 0x2b878fe800000000u), /* 10^35 */
    P10(0x00c097ce7bc90715u, 0xb34b9f1000000000u), /* 10^36 */
    P10(0x0785ee10d5da46d9u, 0x00f436a000000000u), /* 10^37 */
    P10(0x4b3b4ca85a86c47au, 0x098a224000000000u), /* 10^38 */
};
#undef P10
static const unsigned char pow10_bits[39] = {1, 4, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40, 44, 47, 50, 54, 57, 60, 64, 67, 70, 74, 77, 80, 84, 87, 90, 94, 97, 100, 103, 107, 110, 113, 117, 120, 123, 127};

static u128 pow10_u128(int k) { return pow10_table[k]; }

/* Number of significant bits of x (0 for 0). */
static int bits_u128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
    return hi ? 128 - __builtin_clzll(hi) : lo ? 64 - __builtin_clzll(lo) : 0;
}

/* m * 2^e * 10^k as num / den, both below 2^127; 0 when they do not fit. */
static int scaled_fraction(uint64_t m, int e, int k, u128 *num, u128 *den)
{
    int mb = 64 - __builtin_clzll(m);
    u128 n = m, d = 1;
    if (k > 38 || k < -38)
        return 0;
    if (k >= 0) {
        if (mb + pow10_bits[k] > 127)
            return 0;
        n *= pow10_u128(k);
    } else {
        d = pow10_u128(-k);
    }
    if (e >= 0) {
        if (bits_u128(n) + e > 127)
            return 0;
        n <<= e;
    } else {
        if (bits_u128(d) - e > 127)
            return 0;
        d <<= -e;
    }
    *num = n;
    *den = d;
    return 1;
}

/* num / den and its remainder, by shifts when den is a power of two
 * (every value below 10^P: the common case). */
static u128 divide(u128 num, u128 den, u128 *rem)
{
    if ((den & (den - 1)) == 0) {
        *rem = num & (den - 1);
        return num >> (bits_u128(den) - 1);
    }
    u128 q = num / den;
    *rem = num - q * den;
    return q;
}

/* The quotient q of a division with remainder r by den, rounded to
 * nearest, ties to even; 2r is compared with den without overflow. */
static u128 round_even(u128 q, u128 r, u128 den)
{
    u128 rest = den - r;
    return q + (r > rest || (r == rest && (q & 1)));
}

/* |v| as m * 2^e, m below 2^53 (finite v). */
static uint64_t decompose(double v, int *e)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int be = (int)(bits >> 52 & 0x7ff);
    uint64_t m = bits & ((UINT64_C(1) << 52) - 1);
    if (be) /* normal: the hidden bit; subnormal: exponent as for 1 */
        m |= UINT64_C(1) << 52;
    *e = (be ? be : 1) - 1075;
    return m;
}

/* The exact powers of ten as doubles. */
static const double pow10_dbl[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* y (a value times a power of ten, one rounding from exact) rounded to
 * the nearest integer into *q, as the exact arithmetic would round it:
 * 0 when y is 2^51 or more, or its fraction is within 2^-52 y (more than
 * that rounding) of a half, a tie or nearly, which only the exact
 * arithmetic can settle. */
static int round_scaled(double y, uint64_t *q)
{
    double n = floor(y), f = y - n;
    if (!(y < 0x1p51) || fabs(f - 0.5) <= y * 0x1p-52)
        return 0;
    *q = (uint64_t)n + (f > 0.5);
    return 1;
}

/* digits_of by one multiplication or division in doubles, for P up to
 * 15 and |v| within 10^22 of 10^P: a and 10^|k| are exact, so y = a 10^k
 * carries one rounding, at most half an ulp, below 2^-52 y (under 0.23
 * for y below 10^15); rounding y gives rounding's answer unless y's
 * fraction is that close to a half (a tie, or nearly): then 0, and the
 * exact arithmetic decides.  A y that close to 10^(P-1) or 10^P may sit
 * on the wrong side of it, but both sides round to the same P digits
 * (10^P - 0.2 and 10^P + 0.2 are both 1 followed by zeros), so the
 * exponent needs no such care. */
static int digits_fast(double a, int p, int x10, uint64_t *digits, int *x)
{
    double lo = pow10_dbl[p - 1], hi = pow10_dbl[p];
    for (int tries = 0; tries < 2; tries++) {
        int k = p - 1 - x10;
        if (k > 22 || k < -22)
            return 0;
        double y = k >= 0 ? a * pow10_dbl[k] : a / pow10_dbl[-k];
        if (y > hi) {
            x10++;
            continue;
        }
        if (y < lo) {
            x10--;
            continue;
        }
        uint64_t q;
        if (!round_scaled(y, &q))
            return 0;
        if (q == (uint64_t)hi) { /* 9.99..97 rounds up to 10.0..0 */
            q = (uint64_t)lo;
            x10++;
        }
        *digits = q;
        *x = x10;
        return 1;
    }
    return 0;
}

/* The P significant digits of |v| (m, e: |v| = m * 2^e) rounded to
 * nearest, ties to even, as an integer in [10^(P-1), 10^P), and the
 * decimal exponent x of its first digit.  0 when the fraction does not
 * fit in 128 bits.  a is |v| itself, for the fast path. */
static int digits_of(double a, uint64_t m, int e, int p, uint64_t *digits, int *x)
{
    /* floor(log10 |v|), possibly one too low: m * 2^e has 2^(bits+e-1) as
     * its leading power of two */
    int e2 = 64 - __builtin_clzll(m) + e - 1;
    int x10 = (e2 * 78913) >> 18; /* floor(e2 * log10(2)) for |e2| < 1700 */
    if (p <= 15 && e2 > -1000 && e2 < 1000 && digits_fast(a, p, x10, digits, x))
        return 1;
    u128 lo = pow10_u128(p - 1), hi = pow10_u128(p);
    for (int tries = 0; tries < 3; tries++) {
        u128 num, den;
        if (!scaled_fraction(m, e, p - 1 - x10, &num, &den))
            return 0;
        u128 r, q = divide(num, den, &r);
        if (q < lo) {
            x10--;
            continue;
        }
        if (q >= hi) {
            x10++;
            continue;
        }
        q = round_even(q, r, den);
        if (q == hi) { /* 9.99..95 rounds up to 10.0..0 */
            q = lo;
            x10++;
        }
        *digits = (uint64_t)q;
        *x = x10;
        return 1;
    }
    return 0;
}

/* Decimal digits of d, most significant first, into s; their count.
 * Two digits a step from a table of the hundred pairs. */
static int put_digits(char *s, uint64_t d)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                   "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                   "8081828384858687888990919293949596979899";
    char t[24];
    int at = 24;
    while (d >= 100) {
        unsigned r = (unsigned)(d % 100);
        d /= 100;
        at -= 2;
        memcpy(t + at, pairs + 2 * r, 2);
    }
    if (d >= 10) {
        at -= 2;
        memcpy(t + at, pairs + 2 * d, 2);
    } else {
        t[--at] = (char)('0' + d);
    }
    memcpy(s, t + at, (size_t)(24 - at));
    return 24 - at;
}

/* printf's own text, cut to the buffer (only a precision above 17 can
 * need more). */
static size_t fmt_printf(char *buf, double v, int prec)
{
    int n = snprintf(buf, LOC_FMT_G_SIZE, "%.*g", prec, v);
    return n < 0 ? 0 : n >= LOC_FMT_G_SIZE ? LOC_FMT_G_SIZE - 1 : (size_t)n;
}

size_t loc_fmt_g(char *buf, double v, int prec)
{
    if (prec == 0)
        prec = 1; /* as printf takes a zero precision */
    if (prec < 0 || prec > 17 || !isfinite(v) || v == 0)
        return fmt_printf(buf, v, prec);
    int e;
    uint64_t m = decompose(v, &e);
    uint64_t d;
    int x;
    if (!digits_of(fabs(v), m, e, prec, &d, &x))
        return fmt_printf(buf, v, prec);
    char dig[24];
    int nd = put_digits(dig, d);
    while (nd > 1 && dig[nd - 1] == '0') /* %g drops trailing zeros */
        nd--;
    char *s = buf;
    if (signbit(v))
        *s++ = '-';
    if (x < -4 || x >= prec) { /* d.ddde+XX */
        *s++ = dig[0];
        if (nd > 1) {
            *s++ = '.';
            memcpy(s, dig + 1, (size_t)nd - 1);
            s += nd - 1;
        }
        *s++ = 'e';
        *s++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax < 10)
            *s++ = '0';
        s += put_digits(s, (uint64_t)ax);
    } else if (x >= 0) { /* ddd.ddd */
        int before = x + 1;
        for (int i = 0; i < before; i++)
            *s++ = i < nd ? dig[i] : '0';
        if (nd > before) {
            *s++ = '.';
            memcpy(s, dig + before, (size_t)(nd - before));
            s += nd - before;
        }
    } else { /* 0.000ddd */
        *s++ = '0';
        *s++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *s++ = '0';
        memcpy(s, dig, (size_t)nd);
        s += nd;
    }
    *s = 0;
    return (size_t)(s - buf);
}

int loc_put_g(FILE *f, double v, int prec)
{
    char buf[LOC_FMT_G_SIZE];
    size_t n = loc_fmt_g(buf, v, prec);
    return fwrite(buf, 1, n, f) == n ? 0 : EOF;
}

/* printf's "%.Pf" of v into buf (LOC_FMT_G_SIZE bytes), its length in
 * *len; 0 when v and P are beyond the 128-bit fraction or have more
 * digits than buf holds (the caller asks printf). */
static int fixed_text(char *buf, double v, int prec, size_t *len)
{
    if (prec < 0 || prec > 17 || !isfinite(v))
        return 0;
    int e;
    uint64_t m = decompose(v, &e);
    uint64_t q = 0;
    /* as digits_fast: |v| 10^P in one rounding; the exact way when that
     * cannot settle it */
    if (m && !round_scaled(fabs(v) * pow10_dbl[prec], &q)) {
        u128 num, den;
        if (!scaled_fraction(m, e, prec, &num, &den))
            return 0;
        u128 r, q1 = divide(num, den, &r);
        q1 = round_even(q1, r, den);
        if (q1 >> 63) /* more digits than a uint64_t holds */
            return 0;
        q = (uint64_t)q1;
    }
    char dig[24];
    int nd = put_digits(dig, q);
    char *s = buf;
    if (signbit(v)) /* printf keeps the sign of what rounds to zero */
        *s++ = '-';
    if (nd <= prec) { /* 0.00ddd */
        *s++ = '0';
        if (prec) {
            *s++ = '.';
            for (int i = nd; i < prec; i++)
                *s++ = '0';
            memcpy(s, dig, (size_t)nd);
            s += nd;
        }
    } else {
        memcpy(s, dig, (size_t)(nd - prec));
        s += nd - prec;
        if (prec) {
            *s++ = '.';
            memcpy(s, dig + nd - prec, (size_t)prec);
            s += prec;
        }
    }
    *s = 0;
    *len = (size_t)(s - buf);
    return 1;
}

size_t loc_fmt_f(char *buf, double v, int prec)
{
    size_t n;
    if (fixed_text(buf, v, prec, &n))
        return n;
    int k = snprintf(buf, LOC_FMT_G_SIZE, "%.*f", prec, v);
    return k < 0 ? 0 : k >= LOC_FMT_G_SIZE ? LOC_FMT_G_SIZE - 1 : (size_t)k;
}


/* ------------------------------------------------------------------
 * loc_fprintf
 * ------------------------------------------------------------------ */

/* One conversion of a format: what loc_fprintf handles itself. */
typedef struct {
    int prec;   /* -1: none; -2: '*' */
    char len;   /* 0, 'z', 'l' or 'L' (ll) */
    char conv;  /* d i u s c f g % */
    int width;  /* characters of the format it took, from the '%' */
} fmt_spec;

/* Parse the conversion at p ('%' first); 0 when it is one loc_fprintf
 * leaves to vfprintf (flags, widths, other conversions). */
static int parse_spec(const char *p, fmt_spec *sp)
{
    const char *s = p + 1;
    sp->prec = -1;
    sp->len = 0;
    if (*s == '.') {
        s++;
        if (*s == '*') {
            sp->prec = -2;
            s++;
        } else {
            int n = 0;
            while (*s >= '0' && *s <= '9' && n < 100)
                n = n * 10 + (*s++ - '0');
            sp->prec = n;
        }
    }
    if (*s == 'z') {
        sp->len = 'z';
        s++;
    } else if (*s == 'l') {
        sp->len = 'l';
        if (*++s == 'l') {
            sp->len = 'L';
            s++;
        }
    }
    sp->conv = *s;
    sp->width = (int)(s + 1 - p);
    switch (*s) {
    case '%':
        return sp->prec == -1 && !sp->len;
    case 'd':
    case 'i':
    case 'u':
        return sp->prec == -1;
    case 's':
    case 'c':
        return !sp->len && (*s == 's' || sp->prec == -1);
    case 'f':
    case 'g':
        return sp->len == 0 || sp->len == 'l';
    default:
        return 0;
    }
}

/* 1 when every conversion of fmt is one loc_fprintf handles itself. */
static int simple_format(const char *fmt)
{
    fmt_spec sp;
    for (const char *p = strchr(fmt, '%'); p; p = strchr(p + sp.width, '%'))
        if (!parse_spec(p, &sp))
            return 0;
    return 1;
}

/* Output gathered in a buffer and written in pieces. */
typedef struct {
    FILE *f;
    size_t used, total;
    int bad;
    char buf[512];
} fmt_out;

static void out_flush(fmt_out *o)
{
    if (o->used && fwrite(o->buf, 1, o->used, o->f) != o->used)
        o->bad = 1;
    o->total += o->used;
    o->used = 0;
}

static void out_put(fmt_out *o, const char *s, size_t n)
{
    if (o->used + n > sizeof o->buf) {
        out_flush(o);
        if (n > sizeof o->buf) {
            if (fwrite(s, 1, n, o->f) != n)
                o->bad = 1;
            o->total += n;
            return;
        }
    }
    memcpy(o->buf + o->used, s, n);
    o->used += n;
}

/* A signed or unsigned integer in decimal. */
/* u in decimal, '-' first when negative, into t (24 bytes); its length. */
static size_t int_text(char *t, unsigned long long u, int negative)
{
    int n = 0;
    if (negative)
        t[n++] = '-';
    n += put_digits(t + n, u);
    return (size_t)n;
}

static void out_int(fmt_out *o, unsigned long long u, int negative)
{
    char t[24];
    out_put(o, t, int_text(t, u, negative));
}

static int put_simple(FILE *f, const char *fmt, va_list ap)
{
    fmt_out o; /* not zeroed whole: the buffer is written before it is read */
    o.f = f;
    o.used = o.total = 0;
    o.bad = 0;
    const char *p = fmt;
    for (const char *q = strchr(p, '%'); q; q = strchr(p, '%')) {
        out_put(&o, p, (size_t)(q - p));
        fmt_spec sp;
        parse_spec(q, &sp);
        p = q + sp.width;
        int prec = sp.prec == -2 ? va_arg(ap, int) : sp.prec;
        char num[LOC_FMT_G_SIZE];
        switch (sp.conv) {
        case '%':
            out_put(&o, "%", 1);
            break;
        case 'd':
        case 'i': {
            long long v = sp.len == 'z'   ? (long long)va_arg(ap, ssize_t)
                          : sp.len == 'l' ? (long long)va_arg(ap, long)
                          : sp.len == 'L' ? va_arg(ap, long long)
                                          : (long long)va_arg(ap, int);
            out_int(&o, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0);
            break;
        }
        case 'u': {
            unsigned long long v = sp.len == 'z'   ? (unsigned long long)va_arg(ap, size_t)
                                   : sp.len == 'l' ? (unsigned long long)va_arg(ap, unsigned long)
                                   : sp.len == 'L' ? va_arg(ap, unsigned long long)
                                                   : (unsigned long long)va_arg(ap, unsigned);
            out_int(&o, v, 0);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            out_put(&o, s, prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            out_put(&o, &c, 1);
            break;
        }
        default: { /* 'f', 'g' */
            double v = va_arg(ap, double);
            size_t n;
            prec = prec < 0 ? 6 : prec;
            if (sp.conv == 'f' ? fixed_text(num, v, prec, &n) : prec <= 17 && (n = loc_fmt_g(num, v, prec)) > 0) {
                out_put(&o, num, n);
            } else { /* hundreds of digits, or a precision past 17 */
                out_flush(&o);
                int k = fprintf(f, sp.conv == 'f' ? "%.*f" : "%.*g", prec, v);
                o.bad |= k < 0;
                o.total += k > 0 ? (size_t)k : 0;
            }
            break;
        }
        }
    }
    out_put(&o, p, strlen(p));
    out_flush(&o);
    return o.bad ? -1 : o.total > INT_MAX ? INT_MAX : (int)o.total;
}

int loc_fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = simple_format(fmt) ? put_simple(f, fmt, ap) : vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

/* ---------------------------------------------------------------------
 * Buffered output
 * --------------------------------------------------------------------- */

void loc_ob_init(loc_obuf *o, FILE *f)
{
    o->f = f;
    o->used = 0;
    o->bad = 0;
}

static void ob_drain(loc_obuf *o)
{
    if (o->used && fwrite(o->buf, 1, o->used, o->f) != o->used)
        o->bad = 1;
    o->used = 0;
}

void loc_ob_put(loc_obuf *o, const char *s, size_t n)
{
    if (o->used + n > sizeof o->buf) {
        ob_drain(o);
        if (n > sizeof o->buf) {
            if (fwrite(s, 1, n, o->f) != n)
                o->bad = 1;
            return;
        }
    }
    memcpy(o->buf + o->used, s, n);
    o->used += n;
}

void loc_ob_str(loc_obuf *o, const char *s) { loc_ob_put(o, s, strlen(s)); }

void loc_ob_char(loc_obuf *o, char c)
{
    if (o->used == sizeof o->buf)
        ob_drain(o);
    o->buf[o->used++] = c;
}

void loc_ob_g(loc_obuf *o, double v, int prec)
{
    if (o->used + LOC_FMT_G_SIZE > sizeof o->buf)
        ob_drain(o);
    o->used += loc_fmt_g(o->buf + o->used, v, prec);
}

void loc_ob_int(loc_obuf *o, long long v)
{
    char t[24];
    loc_ob_put(o, t, int_text(t, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0));
}

void loc_ob_csv_field(loc_obuf *o, const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")]) {
        loc_ob_str(o, s);
        return;
    }
    loc_ob_char(o, '"');
    for (; *s; s++) {
        if (*s == '"')
            loc_ob_char(o, '"');
        loc_ob_char(o, *s);
    }
    loc_ob_char(o, '"');
}

int loc_ob_flush(loc_obuf *o)
{
    ob_drain(o);
    return o->bad ? EOF : 0;
}
