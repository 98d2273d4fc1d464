/*
 * Tests for SHA-256 against the FIPS 180-4 / NIST example vectors: the
 * empty message, "abc", the two-block 448-bit message, a million 'a's, and
 * a file read in blocks giving the same digest as the buffer; the vectors
 * again with the portable code forced, and the portable code and the
 * processor's SHA extensions (where it has them) agreeing on every length
 * from 0 to 300 bytes and on a few megabytes of random bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "localities/sha256.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_vectors(void **state)
{
    (void)state;
    char hex[65];
    loc_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    loc_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    loc_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *m = malloc(1000000);
    memset(m, 'a', 1000000);
    loc_sha256_hex(m, 1000000, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* the same bytes from a file, read in 64 KiB blocks */
    char path[] = "/tmp/loc-sha-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_int_equal(fwrite(m, 1, 1000000, f), 1000000);
    fclose(f);
    loc_ctx *ctx = loc_ctx_create(NULL);
    uint64_t bytes = 0;
    assert_int_equal(loc_sha256_file(ctx, path, hex, &bytes), LOC_OK);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    assert_true(bytes == 1000000);
    unlink(path);
    assert_int_equal(loc_sha256_file(ctx, path, hex, NULL), LOC_EIO);
    assert_non_null(strstr(loc_errmsg(ctx), "cannot read '/tmp/loc-sha-"));
    loc_ctx_destroy(ctx);
    free(m);
}

static void test_vectors_portable(void **state)
{
    loc_sha256_portable(1);
    test_vectors(state);
    loc_sha256_portable(0);
}

/* The digest of len bytes at p by the portable code and by the default
 * choice (the SHA extensions where the processor has them). */
static void both_ways(const unsigned char *p, size_t len)
{
    char a[65], b[65];
    loc_sha256_portable(1);
    loc_sha256_hex(p, len, a);
    loc_sha256_portable(0);
    loc_sha256_hex(p, len, b);
    if (strcmp(a, b))
        fail_msg("%zu bytes: portable %s, default %s", len, a, b);
}

static void test_paths_agree(void **state)
{
    (void)state;
    size_t n = 3u << 20;
    unsigned char *m = malloc(n);
    assert_non_null(m);
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        m[i] = (unsigned char)x;
    }
    for (size_t len = 0; len <= 300; len++)
        both_ways(m + len % 7, len);
    both_ways(m, n);
    both_ways(m + 1, n - 1);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vectors), cmocka_unit_test(test_vectors_portable),
                                       cmocka_unit_test(test_paths_agree)};
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
