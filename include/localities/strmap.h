/*
 * String -> index map: open addressing with linear probing over borrowed
 * keys.  Zone codes are the keys everywhere in the engine (joins, lookups,
 * localities), so this is the one hash table the engine needs.  Keys are
 * not copied: they must outlive the map (they normally live in an arena).
 */
#ifndef LOCALITIES_STRMAP_H
#define LOCALITIES_STRMAP_H

#include <stddef.h>

#include "localities/ctx.h"

typedef struct loc_strmap loc_strmap;

/* Create a map sized for about `expect` keys; NULL on allocation failure. */
LOC_API loc_strmap *loc_strmap_create(loc_ctx *ctx, size_t expect);
/* Free the map (not the keys).  NULL does nothing. */
LOC_API void loc_strmap_destroy(loc_strmap *m);

/*
 * Insert key -> value unless key is present.  *existing (if not NULL)
 * receives the value already stored, or -1 when the key was new.  Returns
 * LOC_OK or LOC_ENOMEM.
 */
LOC_API loc_status loc_strmap_put(loc_strmap *m, const char *key, long value, long *existing);

/* Value for key, or -1 when absent. */
LOC_API long loc_strmap_get(const loc_strmap *m, const char *key);

/* Keys stored. */
LOC_API size_t loc_strmap_count(const loc_strmap *m);

#endif
