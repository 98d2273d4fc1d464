/*
 * Context, errors, allocation and diagnostics for the Localities engine.
 *
 * A loc_ctx carries everything that would otherwise be global: the allocator
 * hooks, the GEOS and PROJ contexts, the last error and the sink for
 * diagnostics (warnings the engine wants the user to see, such as a repaired
 * geometry or a zone missing from an indicator file).  Every engine call that
 * can fail takes a loc_ctx as its first argument, returns a loc_status (or
 * NULL for constructors) and leaves a one-line message in the context.  The
 * engine never prints and never exits: the command-line tool decides what to
 * do with errors and diagnostics.
 *
 * A context is not thread-safe; give each thread its own.
 */
#ifndef LOCALITIES_CTX_H
#define LOCALITIES_CTX_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define LOC_API __attribute__((visibility("default")))
#define LOC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LOC_API
#define LOC_PRINTF(f, a)
#endif

#define LOC_VERSION "0.1.0"

/* Status codes returned by every call that can fail. */
typedef enum loc_status {
    LOC_OK = 0,
    LOC_ENOMEM,  /* an allocation failed */
    LOC_EIO,     /* a file could not be opened, read or written */
    LOC_EPARSE,  /* a file is malformed (CSV syntax, unknown format) */
    LOC_EDATA,   /* well-formed input whose content is wrong (bad value, duplicate) */
    LOC_EGEOM,   /* a geometry operation failed */
    LOC_ECRS,    /* missing or unusable coordinate reference system */
    LOC_ELIMIT,  /* input larger than the engine accepts */
    LOC_EINVAL   /* a caller passed an invalid argument or option */
} loc_status;

/* Severity of a diagnostic passed to the report callback. */
typedef enum loc_level {
    LOC_INFO = 0,  /* progress and facts worth logging */
    LOC_WARN,      /* something was repaired, excluded or could not be matched */
    LOC_DETAIL     /* one of the items behind an info line's count (each island link):
                      for a log file or a verbose mode, not for every run's screen */
} loc_level;

typedef void (*loc_report_fn)(void *ud, loc_level level, const char *msg);

/*
 * Allocator hooks.  All three must be set, or pass NULL to loc_ctx_create
 * for the C library's.  realloc_fn(ud, NULL, n) must behave as malloc.
 * Tests use these to inject allocation failures.
 */
typedef struct loc_allocator {
    void *(*realloc_fn)(void *ud, void *ptr, size_t size);
    void (*free_fn)(void *ud, void *ptr);
    void *ud;
} loc_allocator;

typedef struct loc_ctx loc_ctx;

/* Create a context.  alloc may be NULL.  Returns NULL when memory or the
 * GEOS/PROJ contexts cannot be had.  Free with loc_ctx_destroy. */
LOC_API loc_ctx *loc_ctx_create(const loc_allocator *alloc);

/* Free the context and its GEOS and PROJ contexts.  NULL does nothing. */
LOC_API void loc_ctx_destroy(loc_ctx *ctx);

/* Set where diagnostics go; fn NULL discards them (the default). */
LOC_API void loc_ctx_set_report(loc_ctx *ctx, loc_report_fn fn, void *ud);

/* Last error code and message ("" when none).  The message is owned by the
 * context and valid until the next engine call on it. */
LOC_API loc_status loc_errcode(const loc_ctx *ctx);
LOC_API const char *loc_errmsg(const loc_ctx *ctx);

/* A short English name for a status code ("out of memory", ...). */
LOC_API const char *loc_strstatus(loc_status st);

/* Record an error on the context and return code, so that a failing
 * function can `return loc_error(ctx, LOC_EDATA, "...", ...)`. */
LOC_API loc_status loc_error(loc_ctx *ctx, loc_status code, const char *fmt, ...)
    LOC_PRINTF(3, 4);

/* Clear the last error. */
LOC_API void loc_clear_error(loc_ctx *ctx);

/* Send a diagnostic to the report callback (does nothing without one). */
LOC_API void loc_report(loc_ctx *ctx, loc_level level, const char *fmt, ...)
    LOC_PRINTF(3, 4);

/* Allocation through the context's hooks.  On failure these set LOC_ENOMEM
 * on the context and return NULL.  loc_calloc checks n * size for overflow.
 * loc_free(ctx, NULL) does nothing. */
LOC_API void *loc_malloc(loc_ctx *ctx, size_t size);
LOC_API void *loc_calloc(loc_ctx *ctx, size_t n, size_t size);
LOC_API void *loc_realloc(loc_ctx *ctx, void *ptr, size_t size);
LOC_API void loc_free(loc_ctx *ctx, void *ptr);
LOC_API char *loc_strdup(loc_ctx *ctx, const char *s);

/*
 * Grow an array to hold at least need elements of size bytes, doubling.
 * *cap is updated.  Returns LOC_OK or LOC_ENOMEM (the array is unchanged).
 */
LOC_API loc_status loc_grow(loc_ctx *ctx, void **arr, size_t *cap, size_t need, size_t size);

/*
 * String arena: many small strings (zone codes, names, CSV fields) that die
 * together.  Strings are never moved once stored.
 */
typedef struct loc_arena loc_arena;

/* Create an empty arena; NULL on allocation failure (error set). */
LOC_API loc_arena *loc_arena_create(loc_ctx *ctx);
/* Free every block of the arena.  NULL does nothing. */
LOC_API void loc_arena_destroy(loc_arena *a);
/* Copy len bytes of s plus a terminating NUL; NULL on allocation failure. */
LOC_API char *loc_arena_strndup(loc_arena *a, const char *s, size_t len);
LOC_API char *loc_arena_strdup(loc_arena *a, const char *s);
/* Bytes held by the arena's blocks (for memory reports). */
LOC_API size_t loc_arena_bytes(const loc_arena *a);

#endif
