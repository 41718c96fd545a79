// libarchive through a module map. Its file-type macros are casts Swift does not
// import, so they are restated as functions; archive_set_error (variadic) is unused.
// zlib's crc32 checks the gzip trailer, which libarchive's gzip reader skips unchecked.
#ifndef DRBOOK_CARCHIVE_SHIM_H
#define DRBOOK_CARCHIVE_SHIM_H

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

static inline unsigned int drbook_ae_ifreg(void) { return (unsigned int)AE_IFREG; }
static inline unsigned int drbook_ae_ifdir(void) { return (unsigned int)AE_IFDIR; }
static inline unsigned int drbook_ae_iflnk(void) { return (unsigned int)AE_IFLNK; }

static inline unsigned long drbook_crc32(unsigned long crc, const void *data, size_t length) {
    return crc32_z(crc, (const Bytef *)data, length);
}

#endif
