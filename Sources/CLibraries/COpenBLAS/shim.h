// OpenBLAS's CBLAS interface and its extensions (core name, thread count).
#include <cblas.h>

// LAPACK's symmetric eigensolver (MRRR) is inside libopenblas; its own header (lapack.h)
// belongs to another package, so the one routine the matcher calls is declared here, with
// gfortran's hidden lengths of the three character arguments.
#include <stddef.h>
void ssyevr_(const char *jobz, const char *range, const char *uplo, const int *n, float *a,
             const int *lda, const float *vl, const float *vu, const int *il, const int *iu,
             const float *abstol, int *m, float *w, float *z, const int *ldz, int *isuppz,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t range_length, size_t uplo_length);
