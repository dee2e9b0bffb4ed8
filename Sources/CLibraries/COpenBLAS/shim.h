// OpenBLAS's CBLAS interface and its extensions (core name, thread count).
#include <cblas.h>
