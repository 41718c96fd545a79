// Typed wrappers for libcurl's variadic functions, which Swift cannot call.
#ifndef DRBOOK_CCURL_SHIM_H
#define DRBOOK_CCURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*drbook_curl_data_cb)(char *, size_t, size_t, void *);
typedef int (*drbook_curl_xferinfo_cb)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

static inline CURLcode drbook_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode drbook_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode drbook_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode drbook_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode drbook_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode drbook_easy_setopt_data_cb(CURL *h, CURLoption o, drbook_curl_data_cb v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode drbook_easy_setopt_xferinfo_cb(CURL *h, drbook_curl_xferinfo_cb v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }

// Blobs are copied by libcurl, so the caller's bytes need not outlive the call.
static inline CURLcode drbook_easy_setopt_blob(CURL *h, CURLoption o, const void *bytes, size_t len) {
    struct curl_blob blob;
    blob.data = (void *)bytes;
    blob.len = len;
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(h, o, &blob);
}

static inline CURLcode drbook_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode drbook_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode drbook_easy_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode drbook_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }

static inline CURLMcode drbook_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

// CURLMsg carries its result in an anonymous union.
static inline CURLcode drbook_msg_result(const CURLMsg *msg) { return msg->data.result; }

static inline size_t drbook_curl_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }
static inline size_t drbook_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
static inline long drbook_curlauth_basic(void) { return (long)CURLAUTH_BASIC; }
static inline CURLcode drbook_easy_unpause(CURL *h) { return curl_easy_pause(h, CURLPAUSE_CONT); }
static inline long drbook_http_version_1_1(void) { return (long)CURL_HTTP_VERSION_1_1; }
static inline int drbook_seekfunc_ok(void) { return CURL_SEEKFUNC_OK; }
static inline int drbook_seekfunc_cantseek(void) { return CURL_SEEKFUNC_CANTSEEK; }

typedef int (*drbook_curl_seek_cb)(void *, curl_off_t, int);
static inline CURLcode drbook_easy_setopt_seek_cb(CURL *h, drbook_curl_seek_cb v) { return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, v); }

#endif
