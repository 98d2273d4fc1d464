/*
 * String -> index map.  Open addressing, linear probing, power-of-two
 * capacity kept at most half full, FNV-1a hashes stored beside the keys so
 * that probes compare strings only on a hash match.  No deletion: every map
 * in the engine is built once and then only read.
 */
#include "localities/strmap.h"
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    const char *key; /* NULL when empty */
    uint64_t hash;   /* FNV-1a of key */
    long value;      /* stored index */
} slot;

struct loc_strmap {
    loc_ctx *ctx;   /* allocator owner */
    slot *slots;    /* cap slots */
    size_t cap;     /* power of two */
    size_t n;       /* keys stored */
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

loc_strmap *loc_strmap_create(loc_ctx *ctx, size_t expect)
{
    size_t cap = 16;
    while (cap < expect * 2 + 2 && cap < ((size_t)1 << 40))
        cap *= 2;
    loc_strmap *m = loc_calloc(ctx, 1, sizeof *m);
    if (!m)
        return NULL;
    m->ctx = ctx;
    m->cap = cap;
    m->slots = loc_calloc(ctx, cap, sizeof *m->slots);
    if (!m->slots) {
        loc_free(ctx, m);
        return NULL;
    }
    return m;
}

void loc_strmap_destroy(loc_strmap *m)
{
    if (!m)
        return;
    loc_free(m->ctx, m->slots);
    loc_free(m->ctx, m);
}

static slot *find(slot *slots, size_t cap, const char *key, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (slots[i].key && !(slots[i].hash == h && strcmp(slots[i].key, key) == 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static loc_status rehash(loc_strmap *m)
{
    size_t cap = m->cap * 2;
    slot *slots = loc_calloc(m->ctx, cap, sizeof *slots);
    if (!slots)
        return LOC_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *find(slots, cap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
    loc_free(m->ctx, m->slots);
    m->slots = slots;
    m->cap = cap;
    return LOC_OK;
}

loc_status loc_strmap_put(loc_strmap *m, const char *key, long value, long *existing)
{
    uint64_t h = fnv1a(key);
    slot *s = find(m->slots, m->cap, key, h);
    if (s->key) {
        if (existing)
            *existing = s->value;
        return LOC_OK;
    }
    if (existing)
        *existing = -1;
    if ((m->n + 1) * 2 > m->cap) {
        if (rehash(m))
            return LOC_ENOMEM;
        s = find(m->slots, m->cap, key, h);
    }
    s->key = key;
    s->hash = h;
    s->value = value;
    m->n++;
    return LOC_OK;
}

long loc_strmap_get(const loc_strmap *m, const char *key)
{
    uint64_t h = fnv1a(key);
    const slot *s = find(m->slots, m->cap, key, h);
    return s->key ? s->value : -1;
}

size_t loc_strmap_count(const loc_strmap *m) { return m->n; }
