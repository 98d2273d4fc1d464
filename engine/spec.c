/*
 * Indicator spec reader.  The spec is tiny (dozens of rows) so clarity wins
 * over speed: each row is validated on its own and every problem is
 * reported with the spec's file name, line and the column at fault.  The
 * strings live in one arena owned by the spec.
 */
#include "localities/spec.h"
#include "localities/csv.h"
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#define SPEC_MAX_INDICATORS 1000

struct loc_spec {
    loc_ctx *ctx;           /* allocator owner */
    loc_arena *strings;     /* every string below */
    char *name;             /* file name */
    loc_indicator *inds;    /* indicator rows */
    size_t n;               /* indicator rows used */
    const char *zone;       /* zone code column */
    const char *population; /* population column */
    const char *council;    /* council column or NULL */
};

static const char *const type_names[] = {"proportion", "rate", "ratio", "mean", "share"};

const char *loc_ind_type_name(loc_ind_type t)
{
    return (unsigned)t < sizeof type_names / sizeof *type_names ? type_names[t] : "unknown";
}

/* Columns of the spec file itself. */
enum {
    C_NAME, C_LABEL, C_TYPE, C_NUM, C_DEN, C_VALUE, C_WEIGHT, C_THRESHOLD, C_PER, C_WORSE, C_METHOD,
    C_DOMAIN, C_EFFECT, C_SUPPRESSED, C_BOUNDS, C_ROLE, C_COUNT
};
static const char *const spec_cols[C_COUNT] = {"name",   "label",     "type",       "numerator", "denominator",
                                               "value",  "weight",    "threshold",  "per",       "worse",
                                               "method", "domain",    "min_effect", "suppressed", "bounds",
                                               "role"};

typedef struct row {
    const loc_csv *csv; /* the spec table */
    size_t r;           /* row index */
    long col[C_COUNT];  /* column index of each spec field, -1 when absent */
} row;

static const char *get(const row *w, int c)
{
    if (w->col[c] < 0)
        return "";
    const char *s = loc_csv_field(w->csv, w->r, (size_t)w->col[c]);
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

/* Trimmed copy in the arena, or NULL for an empty cell. */
static loc_status keep(loc_spec *spec, const row *w, int c, const char **out)
{
    const char *s = get(w, c);
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    *out = NULL;
    if (!n)
        return LOC_OK;
    *out = loc_arena_strndup(spec->strings, s, n);
    return *out ? LOC_OK : LOC_ENOMEM;
}

static loc_status bad(loc_spec *spec, const row *w, const char *what, const char *s)
{
    return loc_error(spec->ctx, LOC_EDATA, "'%s' line %zu: %s: '%s'", spec->name,
                     loc_csv_line(w->csv, w->r), what, s);
}

static loc_status need(loc_spec *spec, const row *w, const char *val, const char *col, const char *type)
{
    if (val)
        return LOC_OK;
    return loc_error(spec->ctx, LOC_EDATA, "'%s' line %zu: a %s indicator needs a '%s' column", spec->name,
                     loc_csv_line(w->csv, w->r), type, col);
}

/* Names appear in output files and column headers: keep them plain. */
static int valid_name(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
            return 0;
    return n >= 1 && n <= 63;
}

/* Structural rows: zone, population, council. */
static loc_status structural(loc_spec *spec, const row *w, const char *type, int *handled)
{
    const char **slot = NULL;
    if (strcasecmp(type, "zone") == 0)
        slot = &spec->zone;
    else if (strcasecmp(type, "population") == 0)
        slot = &spec->population;
    else if (strcasecmp(type, "council") == 0)
        slot = &spec->council;
    *handled = slot != NULL;
    if (!slot)
        return LOC_OK;
    if (*slot)
        return bad(spec, w, "a second row of type", type);
    loc_status st = keep(spec, w, C_VALUE, slot);
    if (st)
        return st;
    if (!*slot)
        return loc_error(spec->ctx, LOC_EDATA, "'%s' line %zu: a %s row needs the column name in 'value'",
                         spec->name, loc_csv_line(w->csv, w->r), type);
    return LOC_OK;
}

static loc_status parse_number_field(loc_spec *spec, const row *w, int c, double dflt, double *out)
{
    const char *s = get(w, c);
    *out = dflt;
    if (!*s)
        return LOC_OK;
    if (loc_parse_number(s, out) != LOC_NUM_OK)
        return bad(spec, w, spec_cols[c], s);
    return LOC_OK;
}

/* "a..b" with either side optionally empty (then -inf or +inf); both
 * sides required when need_both.  0 on success. */
static int parse_range(const char *s, int need_both, double *lo, double *hi)
{
    const char *dots = strstr(s, "..");
    if (!dots)
        return -1;
    char a[64], b[64];
    size_t na = (size_t)(dots - s), nb = strlen(dots + 2);
    if (na >= sizeof a || nb >= sizeof b)
        return -1;
    memcpy(a, s, na);
    a[na] = 0;
    memcpy(b, dots + 2, nb + 1);
    *lo = -INFINITY;
    *hi = INFINITY;
    loc_num ra = loc_parse_number(a, lo), rb = loc_parse_number(b, hi);
    if (ra == LOC_NUM_MISSING && !need_both && strspn(a, " \t") == na)
        *lo = -INFINITY, ra = LOC_NUM_OK;
    if (rb == LOC_NUM_MISSING && !need_both && strspn(b, " \t") == nb)
        *hi = INFINITY, rb = LOC_NUM_OK;
    if (ra != LOC_NUM_OK || rb != LOC_NUM_OK || strchr(a, '%') || strchr(b, '%') || !(*lo < *hi || (need_both && *lo == *hi)))
        return -1;
    return 0;
}

/* min_effect: "2" (absolute), "25%" (relative), "0.5sd" (zone SDs). */
static loc_status parse_effect(loc_spec *spec, const row *w, loc_indicator *ind)
{
    const char *s = get(w, C_EFFECT);
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    ind->effect_kind = LOC_EFFECT_DEFAULT;
    ind->effect = 0;
    if (!n)
        return LOC_OK;
    char buf[64];
    if (n >= sizeof buf)
        return bad(spec, w, "'min_effect' must be a number, a percentage ('25%') or standard deviations ('0.5sd')", s);
    memcpy(buf, s, n);
    buf[n] = 0;
    loc_effect_kind k = LOC_EFFECT_ABS;
    if (n > 1 && buf[n - 1] == '%') {
        k = LOC_EFFECT_REL;
        buf[--n] = 0;
    } else if (n > 2 && strcasecmp(buf + n - 2, "sd") == 0) {
        k = LOC_EFFECT_SD;
        n -= 2;
        buf[n] = 0;
    }
    double v;
    if (loc_parse_number(buf, &v) != LOC_NUM_OK || strchr(buf, '%') || !(v >= 0) || !isfinite(v))
        return bad(spec, w, "'min_effect' must be a number, a percentage ('25%') or standard deviations ('0.5sd'), not negative", s);
    ind->effect_kind = k;
    ind->effect = k == LOC_EFFECT_REL ? v / 100 : v;
    return LOC_OK;
}

/* domain, min_effect, suppressed and bounds: the plan decision's columns. */
/* The `role` cell: build, key and map, ';'-separated, case ignored. */
static loc_status parse_roles(loc_spec *spec, const row *w, loc_indicator *ind)
{
    static const char *const names[] = {"build", "key", "map"};
    const char *s = get(w, C_ROLE);
    while (*s) {
        size_t len = strcspn(s, ";");
        size_t n = len;
        while (n && isspace((unsigned char)s[n - 1]))
            n--;
        size_t k = 0;
        while (k < 3 && !(strlen(names[k]) == n && strncasecmp(s, names[k], n) == 0))
            k++;
        if (n && k == 3)
            return bad(spec, w, "'role' takes build, key and map, ';'-separated", get(w, C_ROLE));
        if (n)
            ind->roles |= 1u << k;
        s += len;
        while (*s == ';' || isspace((unsigned char)*s))
            s++;
    }
    return LOC_OK;
}

static loc_status decision_fields(loc_spec *spec, const row *w, loc_indicator *ind, const char *type)
{
    loc_status st = keep(spec, w, C_DOMAIN, &ind->domain);
    if (st)
        return st;
    if (ind->domain && !valid_name(ind->domain))
        return bad(spec, w, "domain must be 1 to 63 of a-z, 0-9 and '_'", ind->domain);
    if ((st = parse_effect(spec, w, ind)))
        return st;
    ind->supp_low = ind->supp_high = NAN;
    const char *supp = get(w, C_SUPPRESSED);
    if (*supp) {
        if (ind->type != LOC_IND_PROPORTION && ind->type != LOC_IND_RATE)
            return loc_error(spec->ctx, LOC_EDATA,
                             "'%s' line %zu: 'suppressed' gives the counts a suppressed numerator stands for; "
                             "a %s indicator has no numerator",
                             spec->name, ind->line, type);
        if (parse_range(supp, 1, &ind->supp_low, &ind->supp_high) || ind->supp_low < 0)
            return bad(spec, w, "'suppressed' must be a range of counts such as '0..2'", supp);
    }
    ind->lower = -INFINITY;
    ind->upper = INFINITY;
    if (ind->type == LOC_IND_RATIO)
        ind->lower = 0; /* a standardised ratio is never negative */
    const char *bounds = get(w, C_BOUNDS);
    if (*bounds) {
        if (ind->type != LOC_IND_RATIO && ind->type != LOC_IND_MEAN)
            return loc_error(spec->ctx, LOC_EDATA,
                             "'%s' line %zu: 'bounds' applies to ratio and mean indicators, not %s", spec->name,
                             ind->line, type);
        if (parse_range(bounds, 0, &ind->lower, &ind->upper))
            return bad(spec, w, "'bounds' must be a range such as '0..100' or '0..'", bounds);
    }
    return parse_roles(spec, w, ind);
}

size_t loc_indicators_with_role(const loc_indicator *const *inds, size_t n, unsigned role, size_t *out, size_t max)
{
    size_t got = 0;
    for (size_t k = 0; k < n && got < max; k++)
        if (inds[k]->roles & role)
            out[got++] = k;
    if (got)
        return got;
    /* the spec says nothing of this role: the defaults */
    if (role == LOC_ROLE_KEY)
        for (size_t k = 0; k < n && got < max && got < 3; k++)
            if (inds[k]->type == LOC_IND_SHARE)
                out[got++] = k;
    size_t want = role == LOC_ROLE_MAP ? 1 : role == LOC_ROLE_BUILD ? 2 : 3;
    for (size_t k = 0; k < n && got < max && got < want; k++)
        if (inds[k]->type == LOC_IND_PROPORTION)
            out[got++] = k;
    if (!got && role == LOC_ROLE_MAP)
        for (size_t k = 0; k < n && !got && max; k++)
            if (inds[k]->type == LOC_IND_SHARE)
                out[got++] = k;
    return got;
}

static loc_status indicator(loc_spec *spec, const row *w, const char *type)
{
    loc_indicator ind = {0};
    ind.line = loc_csv_line(w->csv, w->r);
    size_t t = 0;
    while (t < sizeof type_names / sizeof *type_names && strcasecmp(type, type_names[t]) != 0)
        t++;
    if (t == sizeof type_names / sizeof *type_names)
        return bad(spec, w, "unknown type (expected zone, population, council, proportion, rate, ratio, mean or share)", type);
    ind.type = (loc_ind_type)t;
    const char *name = get(w, C_NAME);
    if (!valid_name(name))
        return bad(spec, w, "indicator name must be 1 to 63 of a-z, 0-9 and '_'", name);
    for (size_t i = 0; i < spec->n; i++)
        if (strcasecmp(spec->inds[i].name, name) == 0)
            return loc_error(spec->ctx, LOC_EDATA, "'%s' line %zu: indicator '%s' already defined on line %zu",
                             spec->name, ind.line, name, spec->inds[i].line);
    loc_status st;
    if ((st = keep(spec, w, C_NAME, &ind.name)) || (st = keep(spec, w, C_LABEL, &ind.label)) ||
        (st = keep(spec, w, C_NUM, &ind.numerator)) || (st = keep(spec, w, C_DEN, &ind.denominator)) ||
        (st = keep(spec, w, C_VALUE, &ind.value)) || (st = keep(spec, w, C_WEIGHT, &ind.weight)))
        return st;
    if (!ind.label)
        ind.label = ind.name;
    if (ind.type == LOC_IND_PROPORTION || ind.type == LOC_IND_RATE) {
        if ((st = need(spec, w, ind.numerator, "numerator", type)) ||
            (st = need(spec, w, ind.denominator, "denominator", type)))
            return st;
    } else if ((st = need(spec, w, ind.value, "value", type))) {
        return st;
    }
    if ((st = parse_number_field(spec, w, C_THRESHOLD, NAN, &ind.threshold)) ||
        (st = parse_number_field(spec, w, C_PER, 1, &ind.per)))
        return st;
    if (ind.type == LOC_IND_SHARE && isnan(ind.threshold))
        return loc_error(spec->ctx, LOC_EDATA, "'%s' line %zu: a share indicator needs a 'threshold'",
                         spec->name, ind.line);
    if (ind.type == LOC_IND_RATE && !*get(w, C_PER))
        return loc_error(spec->ctx, LOC_EDATA, "'%s' line %zu: a rate indicator needs 'per' (e.g. 10000)",
                         spec->name, ind.line);
    if (!(ind.per > 0))
        return bad(spec, w, "'per' must be a positive number", get(w, C_PER));
    const char *worse = get(w, C_WORSE);
    if (strcasecmp(worse, "higher") == 0)
        ind.higher_is_worse = 1;
    else if (strcasecmp(worse, "lower") == 0)
        ind.higher_is_worse = 0;
    else
        return bad(spec, w, "'worse' must be 'higher' or 'lower'", worse);
    const char *method = get(w, C_METHOD);
    if (!*method || strcasecmp(method, "default") == 0)
        ind.method = LOC_METHOD_DEFAULT;
    else if (strcasecmp(method, "none") == 0)
        ind.method = LOC_METHOD_NONE;
    else if (strcasecmp(method, "normal") == 0)
        ind.method = LOC_METHOD_NORMAL;
    else
        return bad(spec, w, "'method' must be none or normal", method);
    if ((st = decision_fields(spec, w, &ind, type)))
        return st;
    if (spec->n >= SPEC_MAX_INDICATORS)
        return loc_error(spec->ctx, LOC_ELIMIT, "'%s' line %zu: more than %d indicators", spec->name,
                         ind.line, SPEC_MAX_INDICATORS);
    spec->inds[spec->n++] = ind;
    return LOC_OK;
}

static loc_status build(loc_spec *spec, const loc_csv *csv)
{
    row w = {.csv = csv};
    for (int c = 0; c < C_COUNT; c++)
        w.col[c] = loc_csv_column(csv, spec_cols[c]);
    if (w.col[C_NAME] < 0 || w.col[C_TYPE] < 0)
        return loc_error(spec->ctx, LOC_EDATA, "'%s': the header needs columns 'name' and 'type'", spec->name);
    size_t nrows = loc_csv_nrows(csv);
    spec->inds = loc_calloc(spec->ctx, nrows, sizeof *spec->inds);
    if (!spec->inds)
        return LOC_ENOMEM;
    for (w.r = 0; w.r < nrows; w.r++) {
        const char *type = get(&w, C_TYPE);
        int handled;
        loc_status st = structural(spec, &w, type, &handled);
        if (!st && !handled)
            st = indicator(spec, &w, type);
        if (st)
            return st;
    }
    if (!spec->zone)
        return loc_error(spec->ctx, LOC_EDATA, "'%s': no row of type 'zone' naming the zone code column", spec->name);
    if (!spec->population)
        return loc_error(spec->ctx, LOC_EDATA, "'%s': no row of type 'population' naming the population column",
                         spec->name);
    return LOC_OK;
}

static loc_spec *from_csv(loc_ctx *ctx, const char *name, loc_csv *csv)
{
    if (!csv)
        return NULL;
    loc_spec *spec = loc_calloc(ctx, 1, sizeof *spec);
    if (!spec)
        goto fail;
    spec->ctx = ctx;
    spec->strings = loc_arena_create(ctx);
    if (!spec->strings || !(spec->name = loc_arena_strdup(spec->strings, name)))
        goto fail;
    if (build(spec, csv))
        goto fail;
    loc_csv_destroy(csv);
    return spec;
fail:
    loc_csv_destroy(csv);
    loc_spec_destroy(spec);
    return NULL;
}

loc_spec *loc_spec_read(loc_ctx *ctx, const char *path)
{
    return from_csv(ctx, path, loc_csv_read(ctx, path));
}

loc_spec *loc_spec_parse(loc_ctx *ctx, const char *name, const void *buf, size_t len)
{
    return from_csv(ctx, name, loc_csv_parse(ctx, name, buf, len));
}

void loc_spec_destroy(loc_spec *spec)
{
    if (!spec)
        return;
    loc_free(spec->ctx, spec->inds);
    loc_arena_destroy(spec->strings);
    loc_free(spec->ctx, spec);
}

const char *loc_spec_name(const loc_spec *spec) { return spec->name; }
size_t loc_spec_count(const loc_spec *spec) { return spec->n; }
const loc_indicator *loc_spec_indicator(const loc_spec *spec, size_t i) { return &spec->inds[i]; }
const char *loc_spec_zone_column(const loc_spec *spec) { return spec->zone; }
const char *loc_spec_population_column(const loc_spec *spec) { return spec->population; }
const char *loc_spec_council_column(const loc_spec *spec) { return spec->council; }
