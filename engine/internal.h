/*
 * Engine-internal declarations shared by the modules in engine/: the
 * definition of loc_ctx and access to its GEOS and PROJ contexts.  Nothing
 * here is part of the public API; tests may include it to reach the same
 * contexts the engine uses.
 */
#ifndef LOCALITIES_INTERNAL_H
#define LOCALITIES_INTERNAL_H

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#include <proj.h>
#include <stdint.h>
#include <stdio.h>

#include "localities/ctx.h"

#define LOC_ERRMSG_MAX 1024

struct loc_ctx {
    loc_allocator alloc;          /* allocator hooks, never NULL members */
    GEOSContextHandle_t geos;     /* one reentrant GEOS context per loc_ctx */
    PJ_CONTEXT *proj;             /* PROJ context, log routed to lib_msg */
    loc_report_fn report;         /* diagnostics sink, may be NULL */
    void *report_ud;              /* user data for report */
    loc_status errcode;           /* last error, LOC_OK when none */
    char errmsg[LOC_ERRMSG_MAX];  /* last error message, "" when none */
    char lib_msg[LOC_ERRMSG_MAX];/* the libraries' last message (GEOS, PROJ, GDAL through
                                     loc_gdal_errors_push): the bridge from their
                                     error reporting to ours; cleared before each operation */
};

/* The context's GEOS handle; valid for the life of ctx. */
static inline GEOSContextHandle_t loc_geos(loc_ctx *ctx) { return ctx->geos; }

/* order[0..n) = 0..n-1 sorted by codes[i] (ties by index), with no
 * shared state, so threads may sort at once.  LOC_ENOMEM on failure.
 * In engine/strmap.c. */
loc_status loc_order_by_code(loc_ctx *ctx, const char *const *codes, size_t n, uint32_t *order);

/* localities.geojson through GDAL's GeoJSON driver (RFC 7946 mode), as
 * loc_write_geojson wrote it before it wrote the file itself: the
 * reference that writer is checked against, and its benchmark.  In
 * engine/writers.c. */
typedef struct loc_dissolved loc_dissolved;
typedef struct loc_attrs loc_attrs;
loc_status loc_write_geojson_gdal(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path);

/* Register GDAL's drivers, once per process and from any thread. */
void loc_gdal_init(void);

/* The bridge from GDAL's error reporting into the context (ctx.c), as
 * GEOS's and PROJ's are: between push and pop, GDAL's failures land in
 * ctx's lib_msg (the first only, or each replacing the last), a full disk
 * in the driver's own words (SQLite's "database or disk is full" inside an
 * SQL statement) as "no space left on device", and failed is set.  Held by
 * the caller for the push's duration; one per thread (GDAL's handler stack
 * is per thread). */
typedef struct loc_gdal_errors {
    loc_ctx *ctx;
    int first_only; /* 1: keep the first failure's message */
    int failed;     /* set by the first failure */
} loc_gdal_errors;
void loc_gdal_errors_push(loc_gdal_errors *e, loc_ctx *ctx, int first_only);
void loc_gdal_errors_pop(void);

/* The context's PROJ context; valid for the life of ctx. */
static inline PJ_CONTEXT *loc_proj(loc_ctx *ctx) { return ctx->proj; }

/* Clear the GEOS/PROJ message buffer before an operation whose failure
 * message we want to quote. */
static inline void loc_lib_clear(loc_ctx *ctx) { ctx->lib_msg[0] = '\0'; }

/* The last GEOS/PROJ message, or "unknown error" when there is none. */
static inline const char *loc_lib_msg(const loc_ctx *ctx)
{
    return ctx->lib_msg[0] ? ctx->lib_msg : "unknown error";
}

/* ---------------------------------------------------------------------
 * Atomic output files (engine/afile.c)
 * --------------------------------------------------------------------- */

typedef struct loc_afile {
    FILE *f;            /* open for writing after loc_afile_open */
    char *tmp;          /* temporary path, owned */
    const char *path;   /* final path, borrowed */
    char *buf;          /* f's buffer (LOC_AFILE_BUFFER bytes), owned; NULL: stdio's own */
} loc_afile;

/* An output file's stdio buffer: glibc's own is 4 KiB, a write call for
 * every 4 KiB of a 14 MB report (and setvbuf ignores a size given
 * without a buffer). */
#define LOC_AFILE_BUFFER (256 * 1024)

/* Open a new temporary file beside path (O_EXCL, unique name), buffered
 * by LOC_AFILE_BUFFER bytes (by stdio's own when they cannot be had).
 * LOC_EIO names path; LOC_ENOMEM. */
loc_status loc_afile_open(loc_ctx *ctx, loc_afile *af, const char *path);
/* Finish: when st is LOC_OK flush, fsync, close and rename over path;
 * otherwise (or when any of those fails) remove the temporary.  Returns the
 * final status.  Safe on a loc_afile whose open failed. */
loc_status loc_afile_close(loc_ctx *ctx, loc_afile *af, loc_status st);
/* Finish for a set committed later (outset.c): when st is LOC_OK flush,
 * fsync and close, and hand the temporary's name to *tmp (owned by the
 * caller); otherwise (or when any of those fails) remove it and set *tmp
 * to NULL.  Returns the final status.  Safe on a failed open. */
loc_status loc_afile_stage(loc_ctx *ctx, loc_afile *af, loc_status st, char **tmp);
/* A new temporary file beside path, named path.tmpPID.N + ext (GDAL
 * drivers look at the extension), created with O_EXCL so that no one
 * else's file is ever written through; *tmp (loc_free) and *fd set.
 * LOC_EIO naming path, LOC_ENOMEM. */
loc_status loc_afile_reserve(loc_ctx *ctx, const char *path, const char *ext, char **tmp, int *fd);
/* Remove a temporary and whatever SQLite left beside it. */
void loc_afile_remove_temp(const char *tmp);
/* Rename a temporary over path (removing it when that fails) and free
 * the name; LOC_EIO naming path. */
loc_status loc_afile_commit(loc_ctx *ctx, char *tmp, const char *path);
/* Remove a temporary and free the name. */
void loc_afile_discard(loc_ctx *ctx, char *tmp);
/* Record a write failure on af (errno's text) and return LOC_EIO. */
loc_status loc_afile_failed(loc_ctx *ctx, const loc_afile *af);
/* Write one CSV field, quoted when it holds a comma, quote or line break;
 * EOF on a write error. */
int loc_put_csv_field(FILE *f, const char *s);

/* Hash with the portable SHA-256 code even where the processor has the
 * SHA extensions (on 1), or go back to choosing (0): for the tests, which
 * check the two against each other (sha256.c). */
void loc_sha256_portable(int on);

/* printf's "%.Pg" of v, written without printf (numfmt.c): the same
 * text for every double and precision, exact rounding, a few times
 * faster.  buf holds LOC_FMT_G_SIZE bytes; returns the length. */
#define LOC_FMT_G_SIZE 40
size_t loc_fmt_g(char *buf, double v, int prec);
/* printf's "%.Pf" of v into buf (LOC_FMT_G_SIZE bytes), its length: cut
 * to the buffer when printf's text is longer (values past 10^38, or
 * precisions past 17). */
size_t loc_fmt_f(char *buf, double v, int prec);
/* loc_fmt_g of v written to f; EOF on a write error. */
int loc_put_g(FILE *f, double v, int prec);
/* fprintf with the same text, formatting %s %c %d %i %u (with z, l, ll),
 * %.Pf, %.Pg (P a number or '*') and %% itself: libraries the tool loads
 * register printf extensions, which send every glibc printf down its
 * slow positional path.  A format with anything else (flags, widths, other
 * conversions) goes to vfprintf whole.  The byte count, or -1 on a write
 * error. */
int loc_fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Output through a buffer of its own (numfmt.c): a table of many short
 * fields written without a stdio call, and the lock each takes, per
 * field.  Errors are kept and reported by loc_ob_flush: EOF when any
 * write failed (the buffer is written whenever it fills). */
typedef struct loc_obuf {
    FILE *f;
    size_t used;
    int bad;
    char buf[16384];
} loc_obuf;
void loc_ob_init(loc_obuf *o, FILE *f);
void loc_ob_put(loc_obuf *o, const char *s, size_t n);
void loc_ob_str(loc_obuf *o, const char *s);
void loc_ob_char(loc_obuf *o, char c);
/* loc_fmt_g's text of v */
void loc_ob_g(loc_obuf *o, double v, int prec);
void loc_ob_int(loc_obuf *o, long long v);
/* A CSV field, quoted as loc_put_csv_field quotes it. */
void loc_ob_csv_field(loc_obuf *o, const char *s);
int loc_ob_flush(loc_obuf *o);

/* ",POPULATION\n" (empty when missing) ending a zone's line of zones.csv
 * or carried.csv; EOF on error (partition.c). */
int loc_put_pop_eol(FILE *f, double pop);

/* The names a zone code column or field goes by, most specific first, '|'
 * between them.  The boundary reader and the lookup reader both detect
 * the zone code by this one list, so that a name one of them knows the
 * other knows too (two lists had drifted apart). */
#define LOC_ZONE_CODE_NAMES                                                                                            \
    "DataZone|DataZone2011|DataZone2022|DataZone2001|DataZoneCode|DZ2011_Code|DZ2022_Code|DZ2001_Code|DZ2011|"       \
    "DZ2022|DZ2001|dz11_code|dz22_code|dz01_code|DZ_CODE|DZCode|Data_Zone|Data Zone|LSOA21CD|LSOA11CD|OA21CD|"       \
    "OA11CD|zone_code|zone"

#endif
