// OpenSSL's libcrypto (digests); no TLS.
#include <openssl/crypto.h>
#include <openssl/evp.h>
