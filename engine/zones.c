/*
 * Zone table and the join that builds it.
 *
 * The join is the first place where files meet, so most of what can be
 * wrong with a user's inputs shows up here: a spec naming a column the file
 * lacks, a count that is not a number, the same zone twice, zones that match
 * nothing.  Every such message names the file, the line and the column.
 * Values are parsed once, into column arrays, so that later stages never
 * see text.
 *
 * The council of each zone comes from the first source that has it: the
 * field the caller names, else a council-like code column of a lookup (codes
 * are stable, names are not: SIMD 2016 writes "Aberdeen_City"), else one of
 * the boundaries, else the spec's council column of the indicator file.
 */
#include "localities/zones.h"
#include "localities/strmap.h"
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Council code columns recognised in lookups and boundaries. */
static const char *const council_fields =
    "ltla20_code|ltla19_code|ltla21_code|ltla22_code|ltla_code|council_code|CouncilArea2019Code|CA2019|CA2011|CA|"
    "ca_code|LA_CODE_2014|LA_code|LAD_code|LAD22CD|LAD21CD|LAD19CD|local_authority_code";

/* Counts above this in one zone are not plausible for small areas. */
#define MAX_ZONE_COUNT 1e9
#define LIST_MAX 10

struct loc_zones {
    loc_ctx *ctx;            /* allocator owner */
    loc_arena *strings;      /* codes, names, council codes */
    size_t n;                /* rows */
    const char **codes;      /* zone codes */
    const char **names;      /* zone names ("" when none) */
    long *boundary;          /* index into the boundaries, or -1 */
    unsigned char *study;    /* 1 in the study area */
    uint32_t *study_rows;    /* study rows in order */
    uint32_t *study_by_code; /* the same rows in zone-code order */
    uint32_t *rows_by_code;  /* every row in zone-code order */
    size_t nstudy;           /* entries in study_rows */
    double *population;      /* per row, NaN when missing */
    int32_t *council;        /* per row, -1 when unknown */
    size_t ncouncils;        /* councils seen */
    const char **council_codes; /* per council */
    const char **council_names; /* per council */
    const char *council_source; /* description for info */
    loc_strmap *index;       /* code -> row */
    size_t nind;             /* indicators */
    const loc_indicator *ind;/* copies of the spec rows (strings in `strings`) */
    double **cols;           /* 2 * nind columns of n doubles */
    size_t *missing;         /* per indicator, study zones with a missing value */
    uint8_t **suppressed;    /* per indicator: 1 per row whose numerator was the suppression mark and now
                              * holds the middle of the spec's range; NULL when the spec gives no range */
    size_t *nsuppressed;     /* per indicator: rows so marked */
};

/* Where councils come from. */
typedef struct council_src {
    const loc_lookup *lookup; /* a lookup column, or */
    long col, name_col;       /* its column and names column */
    const char *attr;         /* a boundaries attribute, or */
    long csv_col;             /* an indicator file column (-1 when unused) */
} council_src;

/* Columns of the indicator file used by the join. */
typedef struct join {
    loc_ctx *ctx;
    loc_zones *z;
    const loc_boundaries *b;
    const loc_csv *csv;
    const loc_spec *spec;
    const loc_join_opts *opts;
    loc_coverage *cov;
    long zone_col, pop_col;
    long *ind_cols;          /* 2 per indicator, -1 when unused */
    long *csv_row;           /* per zone row: indicator file row or -1 */
    council_src csrc;
    loc_strmap *council_map; /* council code -> index */
    size_t errvals;          /* spreadsheet error values met */
    size_t *unusable;        /* per indicator: study rows left out, zero denominator or numerator above it */
    const char ***unusable_codes; /* per indicator: the first LIST_MAX of their codes */
    uint8_t *ref_unusable;   /* per row: a reference row left out of some indicator */
    size_t ref_indicators;   /* indicators that left out a reference row */
    uint8_t *ref_ind;        /* per indicator: 1 when it did */
} join;

/* ---------------------------------------------------------------------
 * Messages
 * --------------------------------------------------------------------- */

/* Warn (or fail, when strict) about a list of zones, naming the first few. */
static loc_status report_zones(join *j, const char *what, const char *const *codes, size_t n, int fatal)
{
    if (!n)
        return LOC_OK;
    char list[512] = "";
    size_t shown = n < LIST_MAX ? n : LIST_MAX;
    for (size_t i = 0; i < shown; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", codes[i]);
    }
    char more[64] = "";
    if (n > shown)
        snprintf(more, sizeof more, " and %zu more", n - shown);
    if (fatal)
        return loc_error(j->ctx, LOC_EDATA, "%zu zone%s %s: %s%s", n, n == 1 ? "" : "s", what, list, more);
    loc_report(j->ctx, LOC_WARN, "%zu zone%s %s: %s%s", n, n == 1 ? "" : "s", what, list, more);
    return LOC_OK;
}

static loc_status no_column(join *j, const loc_indicator *ind, const char *col)
{
    return loc_error(j->ctx, LOC_EDATA, "'%s' line %zu: indicator '%s': no column '%s' in '%s'",
                     loc_spec_name(j->spec), ind->line, ind->name, col, loc_csv_name(j->csv));
}

/* ---------------------------------------------------------------------
 * Columns
 * --------------------------------------------------------------------- */

static loc_status resolve_columns(join *j)
{
    const loc_spec *spec = j->spec;
    const char *zc = loc_spec_zone_column(spec), *pc = loc_spec_population_column(spec);
    if ((j->zone_col = loc_csv_column(j->csv, zc)) < 0)
        return loc_error(j->ctx, LOC_EDATA, "'%s': no zone code column '%s' in '%s'", loc_spec_name(spec), zc,
                         loc_csv_name(j->csv));
    if ((j->pop_col = loc_csv_column(j->csv, pc)) < 0)
        return loc_error(j->ctx, LOC_EDATA, "'%s': no population column '%s' in '%s'", loc_spec_name(spec), pc,
                         loc_csv_name(j->csv));
    size_t k = loc_spec_count(spec);
    j->ind_cols = loc_malloc(j->ctx, (2 * k + 1) * sizeof *j->ind_cols);
    if (!j->ind_cols)
        return LOC_ENOMEM;
    for (size_t i = 0; i < k; i++) {
        const loc_indicator *ind = loc_spec_indicator(spec, i);
        int counts = ind->type == LOC_IND_PROPORTION || ind->type == LOC_IND_RATE;
        const char *a = counts ? ind->numerator : ind->value;
        const char *b = counts ? ind->denominator : (ind->weight ? ind->weight : pc);
        if ((j->ind_cols[2 * i] = loc_csv_column(j->csv, a)) < 0)
            return no_column(j, ind, a);
        if ((j->ind_cols[2 * i + 1] = loc_csv_column(j->csv, b)) < 0)
            return no_column(j, ind, b);
    }
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Rows
 * --------------------------------------------------------------------- */

static loc_status alloc_rows(join *j, size_t n)
{
    loc_zones *z = j->z;
    loc_ctx *ctx = j->ctx;
    size_t nn = n ? n : 1;
    if (!(z->codes = loc_calloc(ctx, nn, sizeof *z->codes)) || !(z->names = loc_calloc(ctx, nn, sizeof *z->names)) ||
        !(z->boundary = loc_calloc(ctx, nn, sizeof *z->boundary)) ||
        !(z->study = loc_calloc(ctx, nn, sizeof *z->study)) ||
        !(z->study_rows = loc_calloc(ctx, nn, sizeof *z->study_rows)) ||
        !(z->study_by_code = loc_calloc(ctx, nn, sizeof *z->study_by_code)) ||
        !(z->rows_by_code = loc_calloc(ctx, nn, sizeof *z->rows_by_code)) ||
        !(z->population = loc_calloc(ctx, nn, sizeof *z->population)) ||
        !(z->council = loc_calloc(ctx, nn, sizeof *z->council)) ||
        !(j->csv_row = loc_calloc(ctx, nn, sizeof *j->csv_row)) || !(z->index = loc_strmap_create(ctx, nn)))
        return LOC_ENOMEM;
    return LOC_OK;
}

static loc_status add_row(join *j, const char *code, const char *name, long boundary, long csv_row)
{
    loc_zones *z = j->z;
    size_t i = z->n;
    if (!(z->codes[i] = loc_arena_strdup(z->strings, code)) || !(z->names[i] = loc_arena_strdup(z->strings, name)))
        return LOC_ENOMEM;
    z->boundary[i] = boundary;
    j->csv_row[i] = csv_row;
    z->population[i] = NAN;
    z->council[i] = -1;
    if (loc_strmap_put(z->index, z->codes[i], (long)i, NULL))
        return LOC_ENOMEM;
    z->n++;
    return LOC_OK;
}

/* Map zone codes of the indicator file to rows; duplicates are errors. */
static loc_status index_indicators(join *j, loc_strmap *map)
{
    size_t nr = loc_csv_nrows(j->csv);
    for (size_t r = 0; r < nr; r++) {
        const char *code = loc_csv_field(j->csv, r, (size_t)j->zone_col);
        if (!*code)
            return loc_error(j->ctx, LOC_EDATA, "'%s' line %zu: empty zone code in column '%s'", loc_csv_name(j->csv),
                             loc_csv_line(j->csv, r), loc_csv_header(j->csv, (size_t)j->zone_col));
        long first;
        if (loc_strmap_put(map, code, (long)r, &first))
            return LOC_ENOMEM;
        if (first >= 0)
            return loc_error(j->ctx, LOC_EDATA, "'%s' line %zu: duplicate zone code '%s' (first on line %zu)",
                             loc_csv_name(j->csv), loc_csv_line(j->csv, r), code,
                             loc_csv_line(j->csv, (size_t)first));
    }
    return LOC_OK;
}

static loc_status build_rows(join *j)
{
    size_t nb = j->b ? loc_boundaries_count(j->b) : 0, nr = loc_csv_nrows(j->csv);
    loc_strmap *csv_map = loc_strmap_create(j->ctx, nr);
    unsigned char *used = loc_calloc(j->ctx, nr ? nr : 1, 1);
    loc_status st = LOC_ENOMEM;
    if (!csv_map || !used || (st = index_indicators(j, csv_map)) || (st = alloc_rows(j, nb + nr)))
        goto done;
    for (size_t i = 0; i < nb; i++) {
        const char *code = loc_boundaries_code(j->b, i);
        long r = loc_strmap_get(csv_map, code);
        if (r >= 0)
            used[r] = 1;
        if ((st = add_row(j, code, loc_boundaries_name(j->b, i), (long)i, r)))
            goto done;
    }
    for (size_t r = 0; r < nr; r++)
        if (!used[r] && (st = add_row(j, loc_csv_field(j->csv, r, (size_t)j->zone_col), "", -1, (long)r)))
            goto done;
    st = LOC_OK;
done:
    loc_strmap_destroy(csv_map);
    loc_free(j->ctx, used);
    return st;
}

/* ---------------------------------------------------------------------
 * Councils
 * --------------------------------------------------------------------- */

static loc_status describe_source(join *j, const char *file, const char *col)
{
    char buf[512];
    snprintf(buf, sizeof buf, "'%s' column '%s'", file, col);
    return (j->z->council_source = loc_arena_strdup(j->z->strings, buf)) ? LOC_OK : LOC_ENOMEM;
}

static int find_in_lookups(join *j, const loc_lookup *const *lookups, size_t nl, const char *names)
{
    for (size_t l = 0; l < nl; l++) {
        long c = loc_lookup_col(lookups[l], names);
        if (c >= 0 && (size_t)c != (size_t)loc_lookup_col(lookups[l], loc_lookup_zone_column(lookups[l]))) {
            j->csrc.lookup = lookups[l];
            j->csrc.col = c;
            j->csrc.name_col = loc_lookup_name_col(lookups[l], (size_t)c);
            return 1;
        }
    }
    return 0;
}

/* The first boundary attribute among names ('|'-separated), or NULL. */
static const char *find_attr(const loc_boundaries *b, const char *names)
{
    if (!b || !loc_boundaries_count(b))
        return NULL;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", names);
    for (char *save = NULL, *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
        if (loc_boundaries_attr(b, 0, t))
            return t;
    return NULL;
}

static loc_status pick_council_source(join *j, const loc_lookup *const *lookups, size_t nl)
{
    const char *field = j->opts->council_field;
    const char *names = field ? field : council_fields;
    j->csrc.csv_col = -1;
    if (find_in_lookups(j, lookups, nl, names))
        return describe_source(j, loc_lookup_path(j->csrc.lookup), loc_lookup_col_name(j->csrc.lookup, (size_t)j->csrc.col));
    const char *attr = find_attr(j->b, names);
    if (attr) {
        if (!(j->csrc.attr = loc_arena_strdup(j->z->strings, attr)))
            return LOC_ENOMEM;
        return describe_source(j, loc_boundaries_path(j->b), attr);
    }
    const char *sc = field ? field : loc_spec_council_column(j->spec);
    if (sc && (j->csrc.csv_col = loc_csv_column(j->csv, sc)) >= 0)
        return describe_source(j, loc_csv_name(j->csv), loc_csv_header(j->csv, (size_t)j->csrc.csv_col));
    if (field)
        return loc_error(j->ctx, LOC_EDATA, "no council column '%s' in the lookups, the boundaries or '%s'", field,
                         loc_csv_name(j->csv));
    return loc_error(j->ctx, LOC_EDATA,
                     "no council area for the zones: give a lookup with a council code column (e.g. ltla20_code), "
                     "a 'council' row in the spec '%s', or --council-field",
                     loc_spec_name(j->spec));
}

/* Council code and name of row i from the chosen source; NULL when the
 * source does not list the zone. */
static const char *council_of(join *j, size_t i, const char **name)
{
    loc_zones *z = j->z;
    *name = "";
    if (j->csrc.lookup) {
        const char *c = loc_lookup_get(j->csrc.lookup, z->codes[i], (size_t)j->csrc.col);
        if (c && j->csrc.name_col >= 0)
            *name = loc_lookup_get(j->csrc.lookup, z->codes[i], (size_t)j->csrc.name_col);
        return c;
    }
    if (j->csrc.attr)
        return z->boundary[i] >= 0 ? loc_boundaries_attr(j->b, (size_t)z->boundary[i], j->csrc.attr) : NULL;
    return j->csv_row[i] >= 0 ? loc_csv_field(j->csv, (size_t)j->csv_row[i], (size_t)j->csrc.csv_col) : NULL;
}

static loc_status add_council(join *j, const char *code, const char *name, int32_t *out)
{
    loc_zones *z = j->z;
    long c = loc_strmap_get(j->council_map, code);
    if (c < 0) {
        size_t cap = z->ncouncils; /* grown one at a time: councils are few */
        const char **codes = loc_realloc(j->ctx, z->council_codes, (cap + 1) * sizeof *codes);
        if (!codes)
            return LOC_ENOMEM;
        z->council_codes = codes;
        const char **names = loc_realloc(j->ctx, z->council_names, (cap + 1) * sizeof *names);
        if (!names)
            return LOC_ENOMEM;
        z->council_names = names;
        if (!(codes[cap] = loc_arena_strdup(z->strings, code)) ||
            !(names[cap] = loc_arena_strdup(z->strings, *name ? name : code)))
            return LOC_ENOMEM;
        if (loc_strmap_put(j->council_map, codes[cap], (long)cap, NULL))
            return LOC_ENOMEM;
        c = (long)cap;
        z->ncouncils++;
    }
    *out = (int32_t)c;
    return LOC_OK;
}

static loc_status assign_councils(join *j, const loc_lookup *const *lookups, size_t nl)
{
    loc_zones *z = j->z;
    loc_status st = pick_council_source(j, lookups, nl);
    if (st)
        return st;
    if (!(j->council_map = loc_strmap_create(j->ctx, 64)))
        return LOC_ENOMEM;
    for (size_t i = 0; i < z->n; i++) {
        const char *name;
        const char *code = council_of(j, i, &name);
        if (!code || !*code) {
            /* a study zone needs a council: one with a boundary, or,
             * with no boundaries, any zone unless councils were chosen
             * (then a zone of none is reference data) */
            if (z->boundary[i] >= 0 || (!j->b && !j->opts->ncouncils))
                return loc_error(j->ctx, LOC_EDATA, "zone '%s' has no council area in %s", z->codes[i],
                                 z->council_source);
            continue; /* indicator-only zone: reference data, council unknown */
        }
        if ((st = add_council(j, code, name ? name : "", &z->council[i])))
            return st;
    }
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * Study area
 * --------------------------------------------------------------------- */

/* Council codes replaced in 2018 (Fife, Perth and Kinross) and 2019
 * (Glasgow City, North Lanarkshire) when their boundaries changed. */
static const char *const OLD_CODES[][2] = {
    {"S12000015", "S12000047"}, {"S12000024", "S12000048"}, {"S12000046", "S12000049"}, {"S12000044", "S12000050"}};

/* A council asked for that the table lacks: an old code of one it has,
 * or a name that is part of one of its names ("Glasgow" for "Glasgow
 * City").  1 with the error set when there is a hint to give. */
static int council_hint(join *j, const char *want)
{
    loc_zones *z = j->z;
    for (size_t o = 0; o < sizeof OLD_CODES / sizeof *OLD_CODES; o++)
        if (!strcasecmp(want, OLD_CODES[o][0]))
            for (size_t c = 0; c < z->ncouncils; c++)
                if (!strcmp(z->council_codes[c], OLD_CODES[o][1])) {
                    loc_error(j->ctx, LOC_EDATA, "no council area '%s' in %s: that code was replaced by '%s' (%s)",
                              want, z->council_source, OLD_CODES[o][1], z->council_names[c]);
                    return 1;
                }
    size_t n = strlen(want);
    for (size_t c = 0; c < z->ncouncils && n >= 3; c++) {
        const char *name = z->council_names[c];
        for (const char *p = name; *p; p++)
            if (!strncasecmp(p, want, n)) {
                loc_error(j->ctx, LOC_EDATA, "no council area '%s' in %s; did you mean '%s' (%s)?", want,
                          z->council_source, name, z->council_codes[c]);
                return 1;
            }
    }
    return 0;
}

/* Chosen[c] = 1 for councils named in opts (by code or name). */
static loc_status choose_councils(join *j, unsigned char *chosen)
{
    loc_zones *z = j->z;
    const loc_join_opts *o = j->opts;
    if (!o->ncouncils) {
        memset(chosen, 1, z->ncouncils);
        return LOC_OK;
    }
    for (size_t k = 0; k < o->ncouncils; k++) {
        int found = 0;
        for (size_t c = 0; c < z->ncouncils; c++)
            if (strcasecmp(z->council_codes[c], o->councils[k]) == 0 ||
                strcasecmp(z->council_names[c], o->councils[k]) == 0) {
                chosen[c] = 1;
                found = 1;
            }
        if (!found && council_hint(j, o->councils[k]))
            return LOC_EDATA;
        if (!found)
            return loc_error(j->ctx, LOC_EDATA, "no council area '%s' in %s (%zu councils, e.g. '%s')", o->councils[k],
                             z->council_source, z->ncouncils, z->ncouncils ? z->council_codes[0] : "none");
    }
    return LOC_OK;
}

/* rows_by_code and study_by_code: the rows, and the study rows, sorted by
 * zone code: the order in which the graph, the builder, the sums and the
 * tables take them, so that no result follows the order the sources
 * stored their rows in (not even in the last digit of a sum). */
static loc_status sort_study(join *j)
{
    loc_zones *z = j->z;
    if (loc_order_by_code(j->ctx, z->codes, z->n, z->rows_by_code))
        return LOC_ENOMEM;
    size_t ns = 0;
    for (size_t i = 0; i < z->n; i++)
        if (z->study[z->rows_by_code[i]])
            z->study_by_code[ns++] = z->rows_by_code[i];
    return LOC_OK;
}

static loc_status mark_study(join *j)
{
    loc_zones *z = j->z;
    loc_coverage *cov = j->cov;
    unsigned char *chosen = loc_calloc(j->ctx, z->ncouncils + 1, 1);
    const char **bonly = loc_calloc(j->ctx, z->n + 1, sizeof *bonly);
    const char **ionly = loc_calloc(j->ctx, z->n + 1, sizeof *ionly);
    loc_status st = LOC_ENOMEM;
    if (!chosen || !bonly || !ionly || (st = choose_councils(j, chosen)))
        goto done;
    for (size_t i = 0; i < z->n; i++) {
        /* a zone with no council has no boundary (assign_councils): it is
         * reported as indicator-only when no councils were chosen */
        int in_chosen = z->council[i] >= 0 ? chosen[z->council[i]] : !j->opts->ncouncils;
        int has_b = z->boundary[i] >= 0 || !j->b;
        z->study[i] = (unsigned char)(in_chosen && has_b);
        if (z->study[i]) {
            z->study_rows[z->nstudy++] = (uint32_t)i;
            if (j->csv_row[i] >= 0)
                cov->joined++;
            else
                bonly[cov->boundary_only++] = z->codes[i];
        } else if (in_chosen) {
            ionly[cov->indicator_only++] = z->codes[i];
        } else {
            cov->reference++;
        }
    }
    cov->study = z->nstudy;
    if ((st = sort_study(j)))
        goto done;
    if (cov->joined == 0) {
        /* codes that differ only in case ("s01013001"): say so and name the
         * match, the one slip that explains a join matching nothing */
        const char *bc = NULL, *ic = NULL;
        for (size_t i = 0; i < z->n && !bc; i++) {
            if (!z->study[i] && j->b)
                continue;
            for (size_t r = 0; r < loc_csv_nrows(j->csv) && r < 100000; r++) {
                const char *c = loc_csv_field(j->csv, r, (size_t)j->zone_col);
                if (strcmp(c, z->codes[i]) && !strcasecmp(c, z->codes[i])) {
                    bc = z->codes[i];
                    ic = c;
                    break;
                }
            }
            if (i > 50)
                break; /* a few tries are enough to tell */
        }
        if (bc)
            st = loc_error(j->ctx, LOC_EDATA,
                           "no zone code in '%s' matches one in '%s': they differ only in case ('%s' and '%s'); "
                           "write the codes alike",
                           j->b ? loc_boundaries_path(j->b) : "the study area", loc_csv_name(j->csv), bc, ic);
        else
            st = loc_error(j->ctx, LOC_EDATA, "no zone code in '%s' matches one in '%s' (e.g. '%s' and '%s')",
                           j->b ? loc_boundaries_path(j->b) : "the study area", loc_csv_name(j->csv),
                           z->n ? z->codes[0] : "",
                           loc_csv_nrows(j->csv) ? loc_csv_field(j->csv, 0, (size_t)j->zone_col) : "");
        goto done;
    }

    char what[600];
    snprintf(what, sizeof what, "with a boundary but no row in '%s'", loc_csv_name(j->csv));
    if ((st = report_zones(j, what, bonly, cov->boundary_only, j->opts->strict)))
        goto done;
    snprintf(what, sizeof what, "with a row in '%s' but no usable boundary%s", loc_csv_name(j->csv),
             j->opts->ncouncils ? " in the chosen councils" : "");
    if (j->b && (st = report_zones(j, what, ionly, cov->indicator_only, j->opts->strict)))
        goto done;
    st = LOC_OK;
done:
    loc_free(j->ctx, chosen);
    loc_free(j->ctx, bonly);
    loc_free(j->ctx, ionly);
    return st;
}

/* ---------------------------------------------------------------------
 * Values
 * --------------------------------------------------------------------- */

/* A spreadsheet error value: treated as missing and reported once per
 * column with the first line, so that nothing is dropped silently. */
static void note_errval(join *j, size_t r, long col)
{
    j->errvals++;
    if (j->errvals <= LIST_MAX)
        loc_report(j->ctx, LOC_WARN, "'%s' line %zu: column '%s' holds the spreadsheet error '%s'; treated as missing",
                   loc_csv_name(j->csv), loc_csv_line(j->csv, r), loc_csv_header(j->csv, (size_t)col),
                   loc_csv_field(j->csv, r, (size_t)col));
}

static loc_status bad_value(join *j, size_t r, long col, const char *why)
{
    return loc_error(j->ctx, LOC_EDATA, "'%s' line %zu: column '%s' %s: '%s'", loc_csv_name(j->csv),
                     loc_csv_line(j->csv, r), loc_csv_header(j->csv, (size_t)col), why,
                     loc_csv_field(j->csv, r, (size_t)col));
}

/* Parse one cell: missing -> NaN.  Counts (populations, numerators,
 * denominators, weights) must be >= 0 and plausible for one zone; other
 * values (ratios, scores) may be negative. */
static loc_status parse_cell(join *j, size_t r, long col, int is_count, double *out)
{
    switch (loc_parse_number(loc_csv_field(j->csv, r, (size_t)col), out)) {
    case LOC_NUM_MISSING:
        *out = NAN;
        return LOC_OK;
    case LOC_NUM_ERRVAL:
        note_errval(j, r, col);
        *out = NAN;
        return LOC_OK;
    case LOC_NUM_BAD:
        return bad_value(j, r, col, "is not a number");
    case LOC_NUM_OK:
        break;
    }
    if (is_count && *out < 0)
        return bad_value(j, r, col, "is negative");
    if (is_count && *out > MAX_ZONE_COUNT)
        return bad_value(j, r, col, "is implausibly large for one zone");
    if (fabs(*out) > 1e12)
        return bad_value(j, r, col, "is implausibly large");
    return LOC_OK;
}

static loc_status copy_indicators(join *j)
{
    loc_zones *z = j->z;
    z->nind = loc_spec_count(j->spec);
    size_t k = z->nind ? z->nind : 1;
    loc_indicator *ind = loc_calloc(j->ctx, k, sizeof *ind);
    z->ind = ind;
    if (!ind || !(z->cols = loc_calloc(j->ctx, 2 * k, sizeof *z->cols)) ||
        !(z->missing = loc_calloc(j->ctx, k, sizeof *z->missing)) ||
        !(z->suppressed = loc_calloc(j->ctx, k, sizeof *z->suppressed)) ||
        !(z->nsuppressed = loc_calloc(j->ctx, k, sizeof *z->nsuppressed)) ||
        !(j->unusable = loc_calloc(j->ctx, k, sizeof *j->unusable)) ||
        !(j->ref_unusable = loc_calloc(j->ctx, z->n ? z->n : 1, 1)) || !(j->ref_ind = loc_calloc(j->ctx, k, 1)) ||
        !(j->unusable_codes = loc_calloc(j->ctx, k, sizeof *j->unusable_codes)))
        return LOC_ENOMEM;
    for (size_t i = 0; i < z->nind; i++) {
        ind[i] = *loc_spec_indicator(j->spec, i);
        /* the spec may die before the table: keep our own strings */
        const char **s[] = {&ind[i].name, &ind[i].label, &ind[i].numerator, &ind[i].denominator, &ind[i].value,
                            &ind[i].weight};
        for (size_t f = 0; f < sizeof s / sizeof *s; f++)
            if (*s[f] && !(*s[f] = loc_arena_strdup(z->strings, *s[f])))
                return LOC_ENOMEM;
        for (int w = 0; w < 2; w++)
            if (!(z->cols[2 * i + w] = loc_malloc(j->ctx, (z->n ? z->n : 1) * sizeof **z->cols)))
                return LOC_ENOMEM;
        if (!isnan(ind[i].supp_low) && !(z->suppressed[i] = loc_calloc(j->ctx, z->n ? z->n : 1, 1)))
            return LOC_ENOMEM;
        if ((ind[i].type == LOC_IND_PROPORTION || ind[i].type == LOC_IND_RATE) &&
            !(j->unusable_codes[i] = loc_calloc(j->ctx, LIST_MAX, sizeof **j->unusable_codes)))
            return LOC_ENOMEM;
    }
    return LOC_OK;
}

/* 1 when the cell is the suppression mark '*' (spaces around allowed). */
static int is_suppression_mark(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    if (*s++ != '*')
        return 0;
    while (isspace((unsigned char)*s))
        s++;
    return *s == 0;
}

/* A count and its denominator that cannot be a rate (the denominator is 0,
 * or a proportion's numerator is above it: a census count over a later
 * population, a zone with no residents, a corrupt cell) are left out of
 * the indicator together, so that nothing is summed as a rate that is not
 * one; counted and reported once per indicator. */
static void drop_unusable(join *j, size_t k, size_t i, double *a, double *b)
{
    const loc_indicator *ind = &j->z->ind[k];
    if (ind->type != LOC_IND_PROPORTION && ind->type != LOC_IND_RATE)
        return;
    if (isnan(*a) || isnan(*b))
        return;
    if (!(*b == 0 || (ind->type == LOC_IND_PROPORTION && *a > *b)))
        return;
    if (!j->z->study[i] && j->ref_unusable) {
        /* outside the study area: the Scotland comparator's only, one
         * summary line for them all */
        j->ref_unusable[i] = 1;
        if (!j->ref_ind[k]) {
            j->ref_ind[k] = 1;
            j->ref_indicators++;
        }
    } else {
        if (j->unusable[k] < LIST_MAX)
            j->unusable_codes[k][j->unusable[k]] = j->z->codes[i];
        j->unusable[k]++;
    }
    *a = *b = NAN;
    if (j->z->suppressed[k])
        j->z->suppressed[k][i] = 0;
}

static loc_status parse_row(join *j, size_t i)
{
    loc_zones *z = j->z;
    long r = j->csv_row[i];
    loc_status st;
    for (size_t k = 0; k < z->nind; k++) {
        z->cols[2 * k][i] = z->cols[2 * k + 1][i] = NAN;
    }
    if (r < 0)
        return LOC_OK;
    if ((st = parse_cell(j, (size_t)r, j->pop_col, 1, &z->population[i])))
        return st;
    for (size_t k = 0; k < z->nind; k++) {
        const loc_indicator *ind = &z->ind[k];
        double *a = &z->cols[2 * k][i], *b = &z->cols[2 * k + 1][i];
        int counts = ind->type == LOC_IND_PROPORTION || ind->type == LOC_IND_RATE;
        if ((st = parse_cell(j, (size_t)r, j->ind_cols[2 * k], counts, a)) ||
            (st = parse_cell(j, (size_t)r, j->ind_cols[2 * k + 1], 1, b)))
            return st;
        if (z->suppressed[k] && isnan(*a) &&
            is_suppression_mark(loc_csv_field(j->csv, (size_t)r, (size_t)j->ind_cols[2 * k]))) {
            /* a small count withheld for disclosure: the middle of the
             * range the spec gives, never "missing", which would drop the
             * zone's residents from the denominator and bias the rate up */
            *a = (ind->supp_low + ind->supp_high) / 2;
            z->suppressed[k][i] = 1;
            z->nsuppressed[k]++;
        }
        drop_unusable(j, k, i, a, b);
    }
    return LOC_OK;
}

/* Zones left out of an indicator because their count cannot be a rate:
 * one message per indicator with the count and the first codes; an error
 * when strict. */
static loc_status report_unusable(join *j)
{
    for (size_t k = 0; k < j->z->nind; k++) {
        size_t n = j->unusable[k];
        if (!n)
            continue;
        const loc_indicator *ind = &j->z->ind[k];
        char what[LOC_ERRMSG_MAX];
        snprintf(what, sizeof what,
                 "in '%s' left out of indicator '%s': the denominator is 0%s, so the count cannot be a rate",
                 loc_csv_name(j->csv), ind->name,
                 ind->type == LOC_IND_PROPORTION ? " or below the numerator" : "");
        loc_status st = report_zones(j, what, j->unusable_codes[k], n, j->opts->strict);
        if (st)
            return st;
    }
    if (j->ref_indicators) {
        const char *codes[LIST_MAX];
        size_t n = 0, shown = 0;
        for (size_t i = 0; i < j->z->n; i++)
            if (j->ref_unusable[i]) {
                if (shown < LIST_MAX)
                    codes[shown++] = j->z->codes[i];
                n++;
            }
        char what[LOC_ERRMSG_MAX];
        snprintf(what, sizeof what,
                 "outside the study area in '%s' left out of %zu indicator%s (a denominator of 0 or below its "
                 "numerator: no rate), for the Scotland comparator",
                 loc_csv_name(j->csv), j->ref_indicators, j->ref_indicators == 1 ? "" : "s");
        char list[512] = "";
        for (size_t q = 0; q < shown; q++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", q ? ", " : "", codes[q]);
        }
        loc_report(j->ctx, LOC_WARN, "%zu zone%s %s: %s%s", n, n == 1 ? "" : "s", what, list, n > shown ? ", ..." : "");
    }
    return LOC_OK;
}

static loc_status parse_values(join *j)
{
    loc_zones *z = j->z;
    loc_status st = copy_indicators(j);
    if (st)
        return st;
    const char **nopop = loc_calloc(j->ctx, z->n + 1, sizeof *nopop);
    if (!nopop)
        return LOC_ENOMEM;
    for (size_t i = 0; i < z->n; i++) {
        if ((st = parse_row(j, i)))
            break;
        if (!z->study[i])
            continue;
        if (isnan(z->population[i]))
            nopop[j->cov->missing_population++] = z->codes[i];
        else if (z->population[i] == 0)
            j->cov->zero_population++;
        for (size_t k = 0; k < z->nind; k++)
            if (isnan(z->cols[2 * k][i]) || isnan(z->cols[2 * k + 1][i]))
                z->missing[k]++;
    }
    if (!st)
        st = report_unusable(j);
    if (!st && z->nstudy && j->cov->zero_population == z->nstudy)
        loc_report(j->ctx, LOC_WARN, "'%s': every one of the %zu study zones has a population of 0: every locality "
                   "will have no residents, and no rate can be taken",
                   loc_csv_name(j->csv), z->nstudy);
    if (!st && j->errvals > LIST_MAX)
        loc_report(j->ctx, LOC_WARN, "'%s': %zu spreadsheet error values in all, treated as missing",
                   loc_csv_name(j->csv), j->errvals);
    if (!st) {
        /* zones with no indicator row were reported already */
        size_t n = 0;
        for (size_t i = 0; i < j->cov->missing_population; i++)
            if (j->csv_row[loc_strmap_get(z->index, nopop[i])] >= 0)
                nopop[n++] = nopop[i];
        st = report_zones(j, "with no population value", nopop, n, j->opts->strict);
    }
    loc_free(j->ctx, nopop);
    return st;
}

/* ---------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

loc_zones *loc_zones_join(loc_ctx *ctx, const loc_boundaries *boundaries, const loc_csv *indicators,
                          const loc_spec *spec, const loc_lookup *const *lookups, size_t nlookups,
                          const loc_join_opts *opts, loc_coverage *cov)
{
    loc_join_opts no_opts = {0};
    loc_coverage local_cov;
    join j = {.ctx = ctx, .b = boundaries, .csv = indicators, .spec = spec, .opts = opts ? opts : &no_opts,
              .cov = cov ? cov : &local_cov};
    memset(j.cov, 0, sizeof *j.cov);
    loc_status st = LOC_ENOMEM;
    loc_zones *z = loc_calloc(ctx, 1, sizeof *z);
    if (!z)
        return NULL;
    z->ctx = ctx;
    j.z = z;
    if (!(z->strings = loc_arena_create(ctx)))
        goto done;
    if ((st = resolve_columns(&j)) || (st = build_rows(&j)) || (st = assign_councils(&j, lookups, nlookups)) ||
        (st = mark_study(&j)) || (st = parse_values(&j)))
        goto done;
    j.cov->zones = z->n;
    j.cov->excluded_geometry = boundaries ? loc_boundaries_excluded(boundaries) : 0;
    j.cov->skipped_lines = loc_csv_skipped(indicators);
done:
    loc_free(ctx, j.ind_cols);
    loc_free(ctx, j.csv_row);
    loc_free(ctx, j.unusable);
    loc_free(ctx, j.ref_unusable);
    loc_free(ctx, j.ref_ind);
    if (j.unusable_codes)
        for (size_t k = 0; k < (j.z ? j.z->nind : 0); k++)
            loc_free(ctx, j.unusable_codes[k]);
    loc_free(ctx, j.unusable_codes);
    loc_strmap_destroy(j.council_map);
    if (st) {
        if (st == LOC_ENOMEM && loc_errcode(ctx) != LOC_ENOMEM)
            loc_error(ctx, LOC_ENOMEM, "out of memory joining '%s'", loc_csv_name(indicators));
        loc_zones_destroy(z);
        return NULL;
    }
    return z;
}

void loc_zones_destroy(loc_zones *z)
{
    if (!z)
        return;
    loc_ctx *ctx = z->ctx;
    if (z->cols)
        for (size_t k = 0; k < 2 * z->nind; k++)
            loc_free(ctx, z->cols[k]);
    loc_free(ctx, z->cols);
    loc_free(ctx, (void *)z->ind);
    loc_free(ctx, z->missing);
    if (z->suppressed)
        for (size_t k = 0; k < z->nind; k++)
            loc_free(ctx, z->suppressed[k]);
    loc_free(ctx, z->suppressed);
    loc_free(ctx, z->nsuppressed);
    loc_free(ctx, z->codes);
    loc_free(ctx, z->names);
    loc_free(ctx, z->boundary);
    loc_free(ctx, z->study);
    loc_free(ctx, z->study_rows);
    loc_free(ctx, z->study_by_code);
    loc_free(ctx, z->rows_by_code);
    loc_free(ctx, z->population);
    loc_free(ctx, z->council);
    loc_free(ctx, z->council_codes);
    loc_free(ctx, z->council_names);
    loc_strmap_destroy(z->index);
    loc_arena_destroy(z->strings);
    loc_free(ctx, z);
}

size_t loc_zones_count(const loc_zones *z) { return z->n; }
const char *loc_zones_code(const loc_zones *z, size_t i) { return z->codes[i]; }
const char *loc_zones_name(const loc_zones *z, size_t i) { return z->names[i]; }
long loc_zones_find(const loc_zones *z, const char *code) { return loc_strmap_get(z->index, code); }
long loc_zones_boundary(const loc_zones *z, size_t i) { return z->boundary[i]; }
int loc_zones_in_study(const loc_zones *z, size_t i) { return z->study[i]; }
size_t loc_zones_nstudy(const loc_zones *z) { return z->nstudy; }
const uint32_t *loc_zones_study(const loc_zones *z) { return z->study_rows; }
const uint32_t *loc_zones_study_by_code(const loc_zones *z) { return z->study_by_code; }
const uint32_t *loc_zones_rows_by_code(const loc_zones *z) { return z->rows_by_code; }
const double *loc_zones_population(const loc_zones *z) { return z->population; }
const int32_t *loc_zones_councils(const loc_zones *z) { return z->council; }
size_t loc_zones_ncouncils(const loc_zones *z) { return z->ncouncils; }
const char *loc_zones_council_code(const loc_zones *z, size_t c) { return z->council_codes[c]; }
const char *loc_zones_council_name(const loc_zones *z, size_t c) { return z->council_names[c]; }
const char *loc_zones_council_source(const loc_zones *z) { return z->council_source; }
size_t loc_zones_nindicators(const loc_zones *z) { return z->nind; }
const loc_indicator *loc_zones_indicator(const loc_zones *z, size_t k) { return &z->ind[k]; }
const double *loc_zones_column(const loc_zones *z, size_t k, int which) { return z->cols[2 * k + (which ? 1 : 0)]; }
size_t loc_zones_missing(const loc_zones *z, size_t k) { return z->missing[k]; }
const uint8_t *loc_zones_suppressed(const loc_zones *z, size_t k) { return z->suppressed ? z->suppressed[k] : NULL; }
size_t loc_zones_nsuppressed(const loc_zones *z, size_t k) { return z->nsuppressed ? z->nsuppressed[k] : 0; }

/* ---------------------------------------------------------------------
 * Groupings
 * --------------------------------------------------------------------- */

void loc_grouping_destroy(loc_grouping *g)
{
    if (!g)
        return;
    loc_free(g->ctx, g->codes);
    loc_free(g->ctx, g->names);
    loc_free(g->ctx, g->member);
    loc_arena_destroy(g->strings);
    loc_free(g->ctx, g);
}

loc_grouping *loc_zones_grouping(loc_ctx *ctx, const loc_zones *z, const loc_lookup *lookup, const char *column)
{
    long col = loc_lookup_col(lookup, column);
    if (col < 0) {
        loc_error(ctx, LOC_EDATA, "'%s': no column '%s'", loc_lookup_path(lookup), column);
        return NULL;
    }
    long name_col = loc_lookup_name_col(lookup, (size_t)col);
    loc_grouping *g = loc_calloc(ctx, 1, sizeof *g);
    loc_strmap *map = NULL;
    if (!g)
        return NULL;
    g->ctx = ctx;
    size_t nn = z->n ? z->n : 1;
    char label[600];
    snprintf(label, sizeof label, "%s:%s", loc_lookup_path(lookup), loc_lookup_col_name(lookup, (size_t)col));
    if (!(g->strings = loc_arena_create(ctx)) || !(g->label = loc_arena_strdup(g->strings, label)) ||
        !(g->member = loc_malloc(ctx, nn * sizeof *g->member)) || !(g->codes = loc_calloc(ctx, nn, sizeof *g->codes)) ||
        !(g->names = loc_calloc(ctx, nn, sizeof *g->names)) || !(map = loc_strmap_create(ctx, 256)))
        goto fail;
    for (size_t i = 0; i < z->n; i++) {
        const char *code = loc_lookup_get(lookup, z->codes[i], (size_t)col);
        g->member[i] = -1;
        if (!code || !*code) {
            g->unlisted += z->study[i];
            continue;
        }
        long k = loc_strmap_get(map, code);
        if (k < 0) {
            k = (long)g->ngroups;
            const char *name = name_col >= 0 ? loc_lookup_get(lookup, z->codes[i], (size_t)name_col) : "";
            if (!(g->codes[k] = loc_arena_strdup(g->strings, code)) ||
                !(g->names[k] = loc_arena_strdup(g->strings, name ? name : "")) ||
                loc_strmap_put(map, g->codes[k], k, NULL))
                goto fail;
            g->ngroups++;
        }
        g->member[i] = (int32_t)k;
    }
    loc_strmap_destroy(map);
    return g;
fail:
    loc_strmap_destroy(map);
    loc_grouping_destroy(g);
    return NULL;
}
