/*
 * SHA-256 as FIPS 180-4 defines it: 64-byte blocks, a message schedule of
 * 64 words and the eight working variables.  Written out rather than
 * borrowed because the libraries the project already links (GDAL) do not
 * publish theirs in a header, and a run record is no reason for a new
 * dependency.  Checked against the FIPS and NIST example vectors.
 *
 * A run hashes every input and output (some 60 MB for all of Scotland),
 * which took the portable code about a tenth of a run; where the processor
 * has the SHA extensions (x86-64's SHA-NI, found with CPUID at the first
 * call) the blocks go through them instead, several times faster, with
 * the portable code kept for other machines and as the check of the fast
 * one (test_sha256 runs both on the same bytes).
 */
#include "localities/sha256.h"
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define SHA_NI 1
#endif

typedef struct sha {
    uint32_t h[8];
    uint64_t bits;    /* message length so far */
    uint8_t buf[64];  /* a partial block */
    size_t n;         /* bytes in buf */
} sha;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void block(sha *s, const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
    s->h[5] += f;
    s->h[6] += g;
    s->h[7] += h;
}

#ifdef SHA_NI
/* n blocks at p through the SHA extensions.  The state is kept as the
 * instructions want it, ABEF and CDGH; each group of four rounds adds the
 * constants to four schedule words, and two SHA256RNDS2 do two rounds
 * each.  Words 16..63 come four at a time from the four groups before:
 * MSG1 adds sigma0 of W[t-15..t-12] to W[t-16..t-13], the aligned W[t-7..t-4]
 * is added, and MSG2 adds sigma1 of the words just made. */
__attribute__((target("sha,sse4.1,ssse3"))) static void blocks_ni(uint32_t h[8], const uint8_t *p, size_t n)
{
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL); /* big-endian words */
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);   /* CDAB */
    __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B);  /* EFGH */
    __m128i s0 = _mm_alignr_epi8(t, s1, 8);                                          /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xF0);                                               /* CDGH */
    for (; n; n--, p += 64) {
        __m128i abef = s0, cdgh = s1, w[4];
        for (int i = 0; i < 16; i++) {
            /* w[i & 3] holds W[i-4], the next slots W[i-3], W[i-2], W[i-1] */
            if (i < 4) {
                w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), swap);
            } else {
                __m128i m = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
                m = _mm_add_epi32(m, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
                w[i & 3] = _mm_sha256msg2_epu32(m, w[(i + 3) & 3]);
            }
            __m128i msg = _mm_add_epi32(w[i & 3], _mm_loadu_si128((const __m128i *)&K[4 * i]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(msg, 0x0E));
        }
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
    }
    t = _mm_shuffle_epi32(s0, 0x1B);  /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1); /* DCHG */
    _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(t, s1, 0xF0)); /* DCBA */
    _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(s1, t, 8));    /* HGFE */
}

/* 1 when the processor has the SHA extensions (CPUID leaf 7, EBX bit 29)
 * and SSE4.1 (leaf 1, ECX bit 19). */
static int cpu_has_sha(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 19)))
        return 0;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1;
}
#endif

/* -1 not yet asked, 0 portable, 1 SHA extensions; loc_sha256_portable
 * sets 0 for the tests. */
static int use_ni = -1;

void loc_sha256_portable(int on)
{
#ifdef SHA_NI
    __atomic_store_n(&use_ni, on ? 0 : cpu_has_sha(), __ATOMIC_RELAXED);
#else
    (void)on;
#endif
}

/* n whole blocks at p. */
static void blocks(sha *s, const uint8_t *p, size_t n)
{
#ifdef SHA_NI
    int ni = __atomic_load_n(&use_ni, __ATOMIC_RELAXED);
    if (ni < 0) {
        ni = cpu_has_sha();
        __atomic_store_n(&use_ni, ni, __ATOMIC_RELAXED);
    }
    if (ni) {
        blocks_ni(s->h, p, n);
        return;
    }
#endif
    for (; n; n--, p += 64)
        block(s, p);
}

static void init(sha *s)
{
    static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, H0, sizeof H0);
    s->bits = 0;
    s->n = 0;
}

static void update(sha *s, const uint8_t *p, size_t len)
{
    s->bits += (uint64_t)len * 8;
    if (s->n) { /* complete the partial block first */
        size_t take = 64 - s->n < len ? 64 - s->n : len;
        memcpy(s->buf + s->n, p, take);
        s->n += take;
        p += take;
        len -= take;
        if (s->n < 64)
            return;
        blocks(s, s->buf, 1);
        s->n = 0;
    }
    blocks(s, p, len / 64); /* whole blocks straight from the caller */
    p += len / 64 * 64;
    len %= 64;
    if (len)
        memcpy(s->buf, p, len);
    s->n = len;
}

static void final_hex(sha *s, char hex[65])
{
    uint64_t bits = s->bits;
    uint8_t pad = 0x80, zero = 0, len[8];
    update(s, &pad, 1);
    while (s->n != 56)
        update(s, &zero, 1);
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    update(s, len, 8);
    for (int i = 0; i < 8; i++)
        snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
}

void loc_sha256_hex(const void *data, size_t len, char hex[65])
{
    sha s;
    init(&s);
    update(&s, data, len);
    final_hex(&s, hex);
}

loc_status loc_sha256_file(loc_ctx *ctx, const char *path, char hex[65], uint64_t *bytes)
{
    hex[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return loc_error(ctx, LOC_EIO, "cannot read '%s': %s", path, strerror(errno));
    sha s;
    init(&s);
    uint8_t buf[65536];
    size_t n;
    uint64_t total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        update(&s, buf, n);
        total += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return loc_error(ctx, LOC_EIO, "cannot read '%s'", path);
    final_hex(&s, hex);
    if (bytes)
        *bytes = total;
    return LOC_OK;
}
