/*
 * Tests for SHA-256 against the FIPS 180-4 / NIST example vectors: the
 * empty message, "abc", the two-block 448-bit message, a million 'a's, and
 * a file read in blocks giving the same digest as the buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "localities/sha256.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vectors)};
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
