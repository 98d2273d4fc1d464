/*
 * The report's text helpers (see report_internal.h): the growing strings
 * path data is built in, HTML and JSON escaping, numbers for people, and
 * the value column's colour classes the maps and tables share.
 */
#include "report_internal.h"
#include "localities/stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for n more bytes and a terminator (the capacity doubled); 0 with
 * b->failed set when the allocation fails. */
static int sb_room(rep *r, sbuf *b, size_t n)
{
    size_t cap = b->cap ? b->cap : 256;
    while (cap <= b->len + n)
        cap *= 2;
    char *ns = loc_realloc(r->ctx, b->s, cap);
    if (!ns) {
        b->failed = 1;
        return 0;
    }
    b->s = ns;
    b->cap = cap;
    return 1;
}

/* Sequential scale, light to dark (ColorBrewer YlGnBu, 7 classes). */
const char *const rep_seq_colours[NCLASS] = {"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4",
                                             "#1d91c0", "#225ea8", "#0c2c84"};



/* Append n bytes. */
void rep_sb_put(rep *r, sbuf *b, const char *s, size_t n)
{
    if (b->failed || (b->len + n >= b->cap && !sb_room(r, b, n)))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

/* q tenths as "%.1f" prints q / 10.0 (the same text: a double that near
 * a tenth rounds back to it), at p; returns the end.  The maps write
 * hundreds of thousands of these, and printf's general path is most of
 * the report's time. */
static char *put_tenths(char *p, long q)
{
    char digits[24];
    size_t n = 0;
    unsigned long u = q < 0 ? 0UL - (unsigned long)q : (unsigned long)q;
    if (q < 0)
        *p++ = '-';
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n == 1)
        digits[n++] = '0'; /* the units digit of 0.x */
    while (n > 1)
        *p++ = digits[--n];
    *p++ = '.';
    *p++ = digits[0];
    return p;
}

/* One path point, cmd ('M' or 'L') then x and y in tenths of a pixel, as
 * "%c%.1f %.1f" writes it. */
void rep_sb_point(rep *r, sbuf *b, char cmd, long qx, long qy)
{
    char buf[64], *p = buf;
    *p++ = cmd;
    p = put_tenths(p, qx);
    *p++ = ' ';
    p = put_tenths(p, qy);
    rep_sb_put(r, b, buf, (size_t)(p - buf));
}

/* Text with &, <, >, " and ' escaped, so any string is safe in element
 * content and in quoted attributes alike. */
void rep_esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        size_t run = strcspn(s, "&<>\"'"); /* a run that needs no escape in one write */
        if (run) {
            fwrite(s, 1, run, f);
            s += run - 1;
            continue;
        }
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Text inside a JSON string inside a <script> element: quotes,
 * backslashes and control characters escaped, and '<' as \u003c so that
 * no "</script>" can end the element early. */
void rep_json_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        size_t run = 0;
        while ((unsigned char)s[run] >= 0x20 && !strchr("\"\\<>&", s[run]))
            run++;
        if (run) { /* a run that needs no escape in one write */
            fwrite(s, 1, run, f);
            s += run - 1;
            continue;
        }
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            loc_fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&')
            loc_fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

/* A whole number with its thousands grouped by commas (as the report's
 * readers write them; no locale involved). */
void rep_grouped(FILE *f, double v)
{
    char d[LOC_FMT_G_SIZE];
    int n = (int)loc_fmt_f(d, fabs(v), 0);
    if (n <= 0 || n >= (int)sizeof d - 1) { /* printf's text was cut: hundreds of digits */
        loc_fprintf(f, "%.0f", v);
        return;
    }
    if (v < 0 && strcmp(d, "0") != 0)
        fputc('-', f);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            fputc(',', f);
        fputc(d[i], f);
    }
}

/* A number for people: whole numbers grouped by thousands, and fixed
 * decimals that depend only on the size. */
void rep_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("&ndash;", f);
    else if (fabs(v) >= 1000 || v == floor(v))
        rep_grouped(f, v);
    else if (fabs(v) >= 10)
        loc_fprintf(f, "%.1f", v);
    else
        loc_fprintf(f, "%.3g", v);
}

const char *rep_council_name(const rep *r, size_t k)
{
    int32_t c = loc_partition_council(r->d->p, k);
    return c >= 0 ? loc_zones_council_name(loc_partition_zones(r->d->p), (size_t)c) : "several councils";
}

double rep_value_of(const rep *r, size_t k)
{
    if (r->value_col < 0)
        return NAN;
    return loc_attrs_real(r->a, (size_t)r->value_col, k) * (r->o->value_scale ? r->o->value_scale : 1);
}

int rep_flagged(const rep *r, size_t k)
{
    return r->flag_col >= 0 && !loc_attrs_is_null(r->a, (size_t)r->flag_col, k) &&
           loc_attrs_int(r->a, (size_t)r->flag_col, k) != 0;
}

/* The class of v: the last class whose lower limit it reaches. */
int rep_value_class(const rep *r, double v)
{
    if (isnan(v) || isnan(r->breaks[0]))
        return -1;
    int c = 0;
    while (c + 1 < NCLASS && v >= r->breaks[c + 1])
        c++;
    return c;
}

int rep_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Quantile classes: indicator values are skewed (most localities near
 * the middle, a few far out), and equal-interval classes would paint
 * nearly every locality one colour.  Each class holds about 1/NCLASS of
 * the localities, so neighbouring colours always mean a real ranking. */
loc_status rep_value_breaks(rep *r)
{
    size_t m = 0, n = r->d->n;
    for (int c = 0; c <= NCLASS; c++)
        r->breaks[c] = NAN;
    if (r->value_col < 0)
        return LOC_OK;
    double *v = loc_malloc(r->ctx, (n ? n : 1) * sizeof *v);
    if (!v)
        return LOC_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        double x = rep_value_of(r, k);
        if (!isnan(x))
            v[m++] = x;
    }
    if (m) {
        qsort(v, m, sizeof *v, rep_cmp_double);
        for (int c = 0; c <= NCLASS; c++)
            r->breaks[c] = v[(size_t)c * (m - 1) / NCLASS];
    }
    loc_free(r->ctx, v);
    return LOC_OK;
}
