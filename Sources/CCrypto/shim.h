// OpenSSL's libcrypto (the one libcurl already links) for digests.
#ifndef DRBOOK_CCRYPTO_SHIM_H
#define DRBOOK_CCRYPTO_SHIM_H

#include <openssl/evp.h>

// 0: SHA-256, 1: SHA-1, 2: MD5. Returns the digest's length, or 0 on failure.
static inline unsigned int drbook_digest(int algorithm, const void *data, size_t length, unsigned char *out) {
    const EVP_MD *md = algorithm == 1 ? EVP_sha1() : algorithm == 2 ? EVP_md5() : EVP_sha256();
    unsigned int size = 0;
    return EVP_Digest(data, length, out, &size, md, NULL) == 1 ? size : 0;
}

#endif
