#ifndef LAM_CBLAS_SHIM_H
#define LAM_CBLAS_SHIM_H
#include <cblas.h>

// LAPACK routines that OpenBLAS exports without a header on Debian (no lapacke.h).
// Fortran calling convention: every argument by pointer, column-major matrices.
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info);
void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *info);
#endif
