#ifndef LAM_CONV_KERNELS_H
#define LAM_CONV_KERNELS_H
#include <stdint.h>

// Matrix products whose one operand is the column matrix of a convolution, read straight from the image
// instead of from an unfolded copy ("implicit GEMM"). See README.md for the layout of every argument.

/// Rows of the register tile (and of a packed A panel) and its columns (and of a packed B panel).
#define LAM_MR 6
#define LAM_NR 16
/// Columns of the widest packed B panel: the AVX-512 tile's (2 x 16; the AVX2 tile's are 16).
#define LAM_PANEL_COLS 32
/// Depth of one pass over A and B: a packed A panel (6 x 256) and B panel (256 x 16) stay in L1.
#define LAM_KC 256
/// Columns of C computed against one packed block of B (256 x 256 floats, 256 KB, in L2).
#define LAM_NC 256

/// The register tiles: the one this library was compiled for (6 x 16 with AVX2 and FMA, or plain C
/// loops), and 12 x 32 (or 12 x 16) with AVX-512. The AVX2 and AVX-512 tiles give the same sums in the same
/// order, except where lam_gemm_columns_add adds products that meet on one place (README.md).
#define LAM_KERNELS_BUILD 1
#define LAM_KERNELS_AVX512 2

/// The tile the calling thread uses: LAM_KERNELS_AVX512 when the CPU has AVX-512 F and VL (unless the
/// environment variable LAM_CONV_KERNELS is `avx2`), otherwise LAM_KERNELS_BUILD.
int lam_kernels(void);
/// Makes the calling thread use `kernels` (0: back to the automatic choice). Returns 0, changing nothing,
/// when this CPU cannot run them.
int lam_use_kernels(int kernels);

/// ceil(m / 6) * 6: the rows of a packed A and of C.
static inline int lam_padded_rows(int m) { return (m + LAM_MR - 1) / LAM_MR * LAM_MR; }
/// ceil(n / 16) * 16: the columns one image takes in C.
static inline int lam_padded_cols(int n) { return (n + LAM_NR - 1) / LAM_NR * LAM_NR; }

/// Packs A [m, k] (row i at a + i*lda; or, when `transposed`, A = S^T for S [k, m] stored with rows lda
/// apart) into panels of 6 rows: packed[(i/6)*6*k + p*6 + i%6] = A[i][p], rows past m zero.
/// `packed` holds lam_padded_rows(m) * k floats.
void lam_pack_a(const float *a, int m, int k, int lda, int transposed, float *packed);

/// C = A x B for `images` images at once, B being each image's column matrix read through offsets:
/// B_i[r][p] = source[i*image_stride + taps[r] + positions[p]] for r < k, p < n.
/// C is [lam_padded_rows(m), images * lam_padded_cols(n)] (image i in columns i*padded_n ..); its rows
/// < m are overwritten, padding columns included, and the rows past m are left as they were. `packed_a`
/// comes from lam_pack_a; `b_block` holds LAM_KC * LAM_NC floats.
void lam_gemm_columns(int m, int k, int n, int images, const float *packed_a,
                      const float *source, long image_stride, const int32_t *taps, const int32_t *positions,
                      float *c, float *b_block);

/// lam_gemm_columns with the product added straight back onto the places it belongs instead of stored:
/// dest[i*dest_stride + out_taps[r] + out_positions[p]] += C_i[r][p] for r < m, p < n (the scatter of
/// col2im, without C in memory). The places of one row must not repeat. `strip` holds
/// lam_padded_rows(m) * LAM_PANEL_COLS floats, `b_block` LAM_KC * LAM_NC.
void lam_gemm_columns_add(int m, int k, int n, int images, const float *packed_a,
                          const float *source, long image_stride, const int32_t *taps, const int32_t *positions,
                          float *dest, long dest_stride, const int32_t *out_taps, const int32_t *out_positions,
                          float *strip, float *b_block);

/// C += sum over images i of A_i x B_i^T, the weight gradient of a convolution: A_i [m, n] has row r at
/// a + i*a_image_stride + r*n, and B_i[j][p] = source[i*image_stride + taps[j] + positions[p]] for
/// j < columns, p < n (the column matrix again, the positions now summed over). C has rows ldc apart and
/// lam_padded_rows(m) rows, lam_padded_cols(columns) columns; its padding columns stay zero if they were,
/// its rows past m are left as they were.
/// `positions` must increase (a run of them is found by its ends).
/// `a_block` holds lam_padded_rows(m) * LAM_KC floats, `b_panel` LAM_KC * LAM_NC (the AVX-512 tile keeps C^T
/// there when m is 32 or 64).
void lam_gemm_columns_t(int m, int columns, int n, int images, const float *a, long a_image_stride,
                        const float *source, long image_stride, const int32_t *taps, const int32_t *positions,
                        float *c, int ldc, float *a_block, float *b_panel);

/// Splits an image into the rows of its phase planes, `width` floats each: row r is
/// image[bases[r] + v*stride] for v in lo[r]..<hi[r] and zero elsewhere.
void lam_split_phases(const float *image, float *planes, int rows, int width, int stride, const int32_t *bases,
                      const int32_t *lo, const int32_t *hi);

/// The adjoint of lam_split_phases: image[bases[r] + v*stride] += planes[r*width + v] for v in lo[r]..<hi[r];
/// with `add` 0, = instead of +=.
void lam_merge_phases(const float *planes, float *image, int rows, int width, int stride, const int32_t *bases,
                      const int32_t *lo, const int32_t *hi, int add);
/// lam_split_phases for a stride of 2 across, by image row: row r of the image (at image + src[r]) has its
/// pixel 2t at planes[even[r] + t] for t < evens and its pixel 2t + 1 at planes[odd[r] + t] for t < odds;
/// the rest of planes[0..<size] is zero. Image rows that no plane holds are not listed.
void lam_split_pairs(const float *image, float *planes, int size, int rows, const int32_t *src,
                     const int32_t *even, const int32_t *odd, int evens, int odds);

/// The adjoint of lam_split_pairs: image[src[r] + 2t] += planes[even[r] + t] (t < evens) and
/// image[src[r] + 2t + 1] += planes[odd[r] + t] (t < odds); with `add` 0, = instead of +=.
void lam_merge_pairs(const float *planes, float *image, int rows, const int32_t *src, const int32_t *even,
                     const int32_t *odd, int evens, int odds, int add);
// Winograd's F(2x2, 2x2) for a convolution of kernel 4, stride 2, padding 1 over images [C, H, W] with H
// and W multiples of 4 (Winograd.c says how). Split into its four input phases, the convolution is a 2 x 2
// one over 4C channels; each 2 x 2 output tile is then 9 products of transformed 3 x 3 tiles. The
// transformed values live in 9 planes e = xi*3 + nu, `plane_stride` floats apart, each a matrix with rows
// `ld` floats apart whose column t = ty * (W/4) + tx is tile (ty, tx) of an image (image i's tiles in
// columns i*T.., T = (H/4)*(W/4)): V [9][4C][ld] (row c*4 + p*2 + q: channel c, phase p of the rows and q
// of the columns), M [9][out][ld] and U [9][out][4C]. Then Y = output(M) with M[e] = U[e] x V[e].

/// V = the input transform of `images` images [channels, h, w] at z + i*z_stride.
void lam_wino_input(const float *z, long z_stride, int images, int channels, int h, int w, float *v,
                    long plane_stride, long ldv);
/// The adjoint of lam_wino_input: images i at dz + i*z_stride written with the sum of what V's entries read.
void lam_wino_input_adjoint(const float *dv, long plane_stride, long ldv, int images, int channels, int h, int w,
                            float *dz, long z_stride);
/// Images [channels, oh, ow] at y + i*y_stride from M: each tile's A^T M A, plus bias[o] when given, then
/// max(0, y) when `relu`.
void lam_wino_output(const float *m, long plane_stride, long ldm, int images, int channels, int oh, int ow,
                     const float *bias, int relu, float *y, long y_stride);
/// The adjoint of lam_wino_output without bias and ReLU: dM from images [channels, oh, ow] at dy + i*y_stride.
void lam_wino_output_adjoint(const float *dy, long y_stride, int images, int channels, int oh, int ow, float *dm,
                             long plane_stride, long ldm);
/// Rows first..<end of U [9][out][4*in] from w [out, in, 4, 4].
void lam_wino_weight(const float *w, int out, int in, int first, int end, float *u);
/// The adjoint of lam_wino_weight: dw [out, in, 4, 4] written from dU.
void lam_wino_weight_adjoint(const float *du, int out, int in, float *dw);
#endif
