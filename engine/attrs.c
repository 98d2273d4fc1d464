/*
 * The attribute table: per locality, typed columns (real, integer, text)
 * that the GeoJSON, the GeoPackage, the report and localities.csv carry
 * beside the writers' own fields.
 */
#include "localities/writers.h"
#include "localities/stats.h"
#include "internal.h"
#include "writers_internal.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* =====================================================================
 * Attribute table
 * ===================================================================== */



/* The writers' own fields, which attribute columns may not shadow. */
const char *const loc_wr_fixed_fields[LOC_WR_NFIXED] = {"code",  "name",     "council_code", "council_name", "population",
                                           "zones", "area_km2", "perimeter_km", "compactness"};

loc_attrs *loc_attrs_create(loc_ctx *ctx, size_t nrows)
{
    loc_attrs *a = loc_calloc(ctx, 1, sizeof *a);
    if (!a)
        return NULL;
    a->ctx = ctx;
    a->nrows = nrows;
    return a;
}

static void free_col(loc_ctx *ctx, struct attr_col *c, size_t nrows)
{
    if (c->text)
        for (size_t r = 0; r < nrows; r++)
            loc_free(ctx, c->text[r]);
    loc_free(ctx, c->name);
    loc_free(ctx, c->real);
    loc_free(ctx, c->ints);
    loc_free(ctx, c->text);
    loc_free(ctx, c->null);
}

void loc_attrs_destroy(loc_attrs *a)
{
    if (!a)
        return;
    for (size_t c = 0; c < a->ncols; c++)
        free_col(a->ctx, &a->cols[c], a->nrows);
    loc_free(a->ctx, a->cols);
    loc_free(a->ctx, a);
}

long loc_attrs_find(const loc_attrs *a, const char *name)
{
    for (size_t c = 0; c < a->ncols; c++)
        if (strcmp(a->cols[c].name, name) == 0)
            return (long)c;
    return -1;
}

loc_status loc_attrs_add(loc_ctx *ctx, loc_attrs *a, const char *name, loc_attr_type type, size_t *col)
{
    if (!name || !*name)
        return loc_error(ctx, LOC_EINVAL, "attribute column with no name");
    if (type != LOC_ATTR_REAL && type != LOC_ATTR_INT && type != LOC_ATTR_TEXT)
        return loc_error(ctx, LOC_EINVAL, "attribute column '%s': unknown type %d", name, (int)type);
    for (size_t i = 0; i <= LOC_WR_NFIXED; i++)
        if (strcmp(i < LOC_WR_NFIXED ? loc_wr_fixed_fields[i] : "id", name) == 0)
            return loc_error(ctx, LOC_EINVAL, "attribute column '%s' would hide the writers' own field", name);
    if (loc_attrs_find(a, name) >= 0)
        return loc_error(ctx, LOC_EINVAL, "attribute column '%s' added twice", name);
    if (loc_grow(ctx, (void **)&a->cols, &a->cap, a->ncols + 1, sizeof *a->cols))
        return LOC_ENOMEM;
    struct attr_col c = {.type = type};
    size_t n = a->nrows ? a->nrows : 1;
    int ok = (c.name = loc_strdup(ctx, name)) && (c.null = loc_malloc(ctx, n));
    if (ok && type == LOC_ATTR_REAL)
        ok = (c.real = loc_malloc(ctx, n * sizeof *c.real)) != NULL;
    else if (ok && type == LOC_ATTR_INT)
        ok = (c.ints = loc_calloc(ctx, n, sizeof *c.ints)) != NULL;
    else if (ok)
        ok = (c.text = loc_calloc(ctx, n, sizeof *c.text)) != NULL;
    if (!ok) {
        free_col(ctx, &c, 0);
        return LOC_ENOMEM;
    }
    memset(c.null, 1, n);
    if (c.real)
        for (size_t r = 0; r < n; r++)
            c.real[r] = NAN;
    a->cols[a->ncols] = c;
    if (col)
        *col = a->ncols;
    a->ncols++;
    return LOC_OK;
}

/* The column to set, or NULL with the error set. */
static struct attr_col *cell(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, loc_attr_type type)
{
    static const char *const names[] = {"real", "int", "text"};
    if (col >= a->ncols) {
        loc_error(ctx, LOC_EINVAL, "attribute column %zu out of range (%zu columns)", col, a->ncols);
        return NULL;
    }
    struct attr_col *c = &a->cols[col];
    if (row >= a->nrows) {
        loc_error(ctx, LOC_EINVAL, "attribute column '%s': row %zu out of range (%zu rows)", c->name, row, a->nrows);
        return NULL;
    }
    if (c->type != type) {
        loc_error(ctx, LOC_EINVAL, "attribute column '%s' holds %s values, not %s", c->name, names[c->type],
                  names[type]);
        return NULL;
    }
    return c;
}

loc_status loc_attrs_set_real(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, double v)
{
    struct attr_col *c = cell(ctx, a, col, row, LOC_ATTR_REAL);
    if (!c)
        return loc_errcode(ctx);
    c->real[row] = v;
    c->null[row] = isnan(v) != 0;
    return LOC_OK;
}

loc_status loc_attrs_set_int(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, int64_t v)
{
    struct attr_col *c = cell(ctx, a, col, row, LOC_ATTR_INT);
    if (!c)
        return loc_errcode(ctx);
    c->ints[row] = v;
    c->null[row] = 0;
    return LOC_OK;
}

loc_status loc_attrs_set_text(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, const char *s)
{
    struct attr_col *c = cell(ctx, a, col, row, LOC_ATTR_TEXT);
    if (!c)
        return loc_errcode(ctx);
    char *copy = NULL;
    if (s && !(copy = loc_strdup(ctx, s)))
        return LOC_ENOMEM;
    loc_free(ctx, c->text[row]);
    c->text[row] = copy;
    c->null[row] = copy == NULL;
    return LOC_OK;
}

size_t loc_attrs_nrows(const loc_attrs *a) { return a->nrows; }
size_t loc_attrs_ncols(const loc_attrs *a) { return a->ncols; }
const char *loc_attrs_name(const loc_attrs *a, size_t col) { return a->cols[col].name; }
loc_attr_type loc_attrs_type(const loc_attrs *a, size_t col) { return a->cols[col].type; }
int loc_attrs_is_null(const loc_attrs *a, size_t col, size_t row) { return a->cols[col].null[row]; }

double loc_attrs_real(const loc_attrs *a, size_t col, size_t row)
{
    const struct attr_col *c = &a->cols[col];
    return c->type == LOC_ATTR_REAL && !c->null[row] ? c->real[row] : NAN;
}

int64_t loc_attrs_int(const loc_attrs *a, size_t col, size_t row)
{
    const struct attr_col *c = &a->cols[col];
    return c->type == LOC_ATTR_INT && !c->null[row] ? c->ints[row] : 0;
}

const char *loc_attrs_text(const loc_attrs *a, size_t col, size_t row)
{
    const struct attr_col *c = &a->cols[col];
    return c->type == LOC_ATTR_TEXT ? c->text[row] : NULL;
}

