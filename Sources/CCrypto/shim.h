// OpenSSL's libcrypto (the one libcurl already links) for digests.
#ifndef DRBOOK_CCRYPTO_SHIM_H
#define DRBOOK_CCRYPTO_SHIM_H

#include <openssl/evp.h>

static inline int drbook_sha256(const void *data, size_t length, unsigned char *out) {
    unsigned int size = 0;
    return EVP_Digest(data, length, out, &size, EVP_sha256(), NULL) == 1 && size == 32;
}

#endif
