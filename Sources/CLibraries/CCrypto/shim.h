// OpenSSL's libcrypto (digests, random bytes); no TLS.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
