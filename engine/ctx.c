/*
 * The engine context: allocator hooks, GEOS and PROJ contexts, last error and
 * diagnostics sink.  Nothing in the engine keeps global state; everything
 * that would be global lives here, so that several contexts can run side by
 * side on different threads.  Errors are stored, never printed: the caller
 * reads them with loc_errcode and loc_errmsg.
 */
#include "internal.h"

#include <gdal.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *default_realloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    return realloc(ptr, size ? size : 1);
}

static void default_free(void *ud, void *ptr)
{
    (void)ud;
    free(ptr);
}

/* GEOS calls this for errors and notices; keep the latest so that a failing
 * call can quote it. */
static void geos_message(const char *msg, void *ud)
{
    loc_ctx *ctx = ud;
    snprintf(ctx->lib_msg, sizeof ctx->lib_msg, "%s", msg ? msg : "");
}

static void proj_message(void *ud, int level, const char *msg)
{
    loc_ctx *ctx = ud;
    if (level <= PJ_LOG_ERROR)
        snprintf(ctx->lib_msg, sizeof ctx->lib_msg, "%s", msg ? msg : "");
}

loc_ctx *loc_ctx_create(const loc_allocator *alloc)
{
    loc_allocator a = {default_realloc, default_free, NULL};
    if (alloc && alloc->realloc_fn && alloc->free_fn)
        a = *alloc;
    loc_ctx *ctx = a.realloc_fn(a.ud, NULL, sizeof *ctx);
    if (!ctx)
        return NULL;
    memset(ctx, 0, sizeof *ctx);
    ctx->alloc = a;
    /* the first context registers GDAL's drivers, so that a program that
     * makes one before starting threads registers them on its own thread */
    loc_gdal_init();
    ctx->geos = GEOS_init_r();
    if (!ctx->geos)
        goto fail;
    GEOSContext_setErrorMessageHandler_r(ctx->geos, geos_message, ctx);
    GEOSContext_setNoticeMessageHandler_r(ctx->geos, NULL, NULL);
    ctx->proj = proj_context_create();
    if (!ctx->proj)
        goto fail;
    proj_log_func(ctx->proj, ctx, proj_message);
    return ctx;
fail:
    if (ctx->geos)
        GEOS_finish_r(ctx->geos);
    a.free_fn(a.ud, ctx);
    return NULL;
}

void loc_ctx_destroy(loc_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->proj)
        proj_context_destroy(ctx->proj);
    if (ctx->geos)
        GEOS_finish_r(ctx->geos);
    ctx->alloc.free_fn(ctx->alloc.ud, ctx);
}

void loc_ctx_set_report(loc_ctx *ctx, loc_report_fn fn, void *ud)
{
    ctx->report = fn;
    ctx->report_ud = ud;
}

loc_status loc_errcode(const loc_ctx *ctx) { return ctx->errcode; }

const char *loc_errmsg(const loc_ctx *ctx) { return ctx->errmsg; }

const char *loc_strstatus(loc_status st)
{
    switch (st) {
    case LOC_OK: return "ok";
    case LOC_ENOMEM: return "out of memory";
    case LOC_EIO: return "input/output error";
    case LOC_EPARSE: return "malformed input";
    case LOC_EDATA: return "invalid data";
    case LOC_EGEOM: return "geometry error";
    case LOC_ECRS: return "coordinate reference system error";
    case LOC_ELIMIT: return "input too large";
    case LOC_EINVAL: return "invalid argument";
    }
    return "unknown status";
}

loc_status loc_error(loc_ctx *ctx, loc_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    va_end(ap);
    ctx->errcode = code;
    return code;
}

void loc_clear_error(loc_ctx *ctx)
{
    ctx->errcode = LOC_OK;
    ctx->errmsg[0] = '\0';
}

void loc_report(loc_ctx *ctx, loc_level level, const char *fmt, ...)
{
    if (!ctx->report)
        return;
    char buf[LOC_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->report(ctx->report_ud, level, buf);
}

void *loc_malloc(loc_ctx *ctx, size_t size)
{
    void *p = ctx->alloc.realloc_fn(ctx->alloc.ud, NULL, size);
    if (!p)
        loc_error(ctx, LOC_ENOMEM, "out of memory (%zu bytes)", size);
    return p;
}

void *loc_calloc(loc_ctx *ctx, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        loc_error(ctx, LOC_ENOMEM, "out of memory (%zu x %zu bytes)", n, size);
        return NULL;
    }
    void *p = loc_malloc(ctx, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *loc_realloc(loc_ctx *ctx, void *ptr, size_t size)
{
    void *p = ctx->alloc.realloc_fn(ctx->alloc.ud, ptr, size);
    if (!p)
        loc_error(ctx, LOC_ENOMEM, "out of memory (%zu bytes)", size);
    return p;
}

void loc_free(loc_ctx *ctx, void *ptr)
{
    if (ptr)
        ctx->alloc.free_fn(ctx->alloc.ud, ptr);
}

char *loc_strdup(loc_ctx *ctx, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = loc_malloc(ctx, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

loc_status loc_grow(loc_ctx *ctx, void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return LOC_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / size)
            return loc_error(ctx, LOC_ENOMEM, "out of memory (array of %zu)", need);
        ncap *= 2;
    }
    void *p = loc_realloc(ctx, *arr, ncap * size);
    if (!p)
        return LOC_ENOMEM;
    *arr = p;
    *cap = ncap;
    return LOC_OK;
}

/* ---------------------------------------------------------------------
 * String arena: blocks chained newest first; a string larger than the
 * block size gets a block of its own.
 * --------------------------------------------------------------------- */

#define ARENA_BLOCK 65536

typedef struct arena_block {
    struct arena_block *next; /* older block */
    size_t used;              /* bytes used in data */
    size_t size;              /* bytes available in data */
    char data[];              /* the strings */
} arena_block;

struct loc_arena {
    loc_ctx *ctx;       /* allocator owner */
    arena_block *head;  /* newest block, the one being filled */
    size_t bytes;       /* total bytes allocated for blocks */
};

loc_arena *loc_arena_create(loc_ctx *ctx)
{
    loc_arena *a = loc_calloc(ctx, 1, sizeof *a);
    if (a)
        a->ctx = ctx;
    return a;
}

void loc_arena_destroy(loc_arena *a)
{
    if (!a)
        return;
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        loc_free(a->ctx, b);
        b = next;
    }
    loc_free(a->ctx, a);
}

char *loc_arena_strndup(loc_arena *a, const char *s, size_t len)
{
    size_t need = len + 1;
    arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
        b = loc_malloc(a->ctx, sizeof *b + size);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = size;
        a->bytes += sizeof *b + size;
        if (a->head && need > ARENA_BLOCK) {
            /* keep filling the current block; chain the big one behind it */
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    char *p = b->data + b->used;
    memcpy(p, s, len);
    p[len] = '\0';
    b->used += need;
    return p;
}

char *loc_arena_strdup(loc_arena *a, const char *s)
{
    return loc_arena_strndup(a, s, strlen(s));
}

size_t loc_arena_bytes(const loc_arena *a) { return a->bytes; }

/* GDAL's driver registry is built once per process: GDALAllRegister is
 * not safe to call from two threads at once (batch runs releases in
 * parallel, and each opens its boundaries). */
static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;
static void gdal_register(void) { GDALAllRegister(); }
void loc_gdal_init(void) { pthread_once(&gdal_once, gdal_register); }

/* 1 when a GDAL message says the disk is full in a driver's own words. */
static int disk_full(const char *msg)
{
    return msg && (strstr(msg, "disk is full") || strstr(msg, "No space left") || strstr(msg, "no space left"));
}

static void gdal_message(CPLErr cls, CPLErrorNum num, const char *msg)
{
    (void)num;
    loc_gdal_errors *e = CPLGetErrorHandlerUserData();
    if (!e || cls < CE_Failure || (e->first_only && e->failed))
        return;
    e->failed = 1;
    snprintf(e->ctx->lib_msg, sizeof e->ctx->lib_msg, "%s", disk_full(msg) ? "no space left on device" : msg ? msg : "");
}

void loc_gdal_errors_push(loc_gdal_errors *e, loc_ctx *ctx, int first_only)
{
    *e = (loc_gdal_errors){ctx, first_only, 0};
    CPLPushErrorHandlerEx(gdal_message, e);
}

void loc_gdal_errors_pop(void) { CPLPopErrorHandler(); }
