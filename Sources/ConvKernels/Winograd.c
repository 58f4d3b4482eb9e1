// The transforms of Winograd's F(2x2, 2x2) for a convolution with kernel 4, stride 2 and padding 1
// (include/ConvKernels.h has the layouts). Split into its four input phases, such a convolution is a
// 2 x 2 convolution over 4C channels; F(2x2, 2x2) computes each 2 x 2 output tile of it from a 3 x 3
// input tile with 9 products per channel pair instead of 16. With B^T = [1 -1 0; 0 1 0; 0 -1 1],
// G = [1 0; 1 1; 0 1] and A^T = [1 1 0; 0 1 1]: V = B^T d B, U = G g G^T, Y = A^T (U . V) A. Every
// coefficient is 0 or +-1, so the transforms only add and subtract.
#include "ConvKernels.h"
#include <string.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#if defined(__SSE2__)
// The column pass of one transformed row t (padded columns 0..4*tw+1) for tw = 2 or 4 tiles, four lanes at
// a time: s[k] = (t[k], t[4 + k], t[8 + k], t[12 + k]) for k < 4 is a 4 x 4 transpose, s[4 + k] the same
// one tile on, and (nu, q) takes s[q] - s[2+q], s[2+q], s[4+q] - s[2+q]. It reads t[0..19] (the rows
// buffer has room), and lanes past tile tw - 1 are not stored.
static inline __attribute__((always_inline)) void column_pass_sse(const float *t, int tw, float *v0, float *v1,
                                                                  float *v2, long q_stride) {
  __m128 a = _mm_loadu_ps(t), b = _mm_loadu_ps(t + 4), c = _mm_loadu_ps(t + 8), d = _mm_loadu_ps(t + 12);
  __m128 e = _mm_loadu_ps(t + 16);
  __m128 s0 = a, s1 = b, s2 = c, s3 = d;
  _MM_TRANSPOSE4_PS(s0, s1, s2, s3);  // s[k] lane tx = t[4tx + k]
  __m128 b4 = b, c4 = c, d4 = d, e4 = e;
  _MM_TRANSPOSE4_PS(b4, c4, d4, e4);  // lane tx = t[4tx + 4 + k]
  __m128 s4 = b4, s5 = c4;
  __m128 x0 = _mm_sub_ps(s0, s2), x1 = s2, x2 = _mm_sub_ps(s4, s2);  // q = 0
  __m128 y0 = _mm_sub_ps(s1, s3), y1 = s3, y2 = _mm_sub_ps(s5, s3);  // q = 1
  if (tw == 4) {
    _mm_storeu_ps(v0, x0); _mm_storeu_ps(v1, x1); _mm_storeu_ps(v2, x2);
    _mm_storeu_ps(v0 + q_stride, y0); _mm_storeu_ps(v1 + q_stride, y1); _mm_storeu_ps(v2 + q_stride, y2);
  } else {
    _mm_storel_pi((__m64 *)v0, x0); _mm_storel_pi((__m64 *)v1, x1); _mm_storel_pi((__m64 *)v2, x2);
    _mm_storel_pi((__m64 *)(v0 + q_stride), y0); _mm_storel_pi((__m64 *)(v1 + q_stride), y1);
    _mm_storel_pi((__m64 *)(v2 + q_stride), y2);
  }
}

// The adjoint of column_pass_sse, written over t's padded columns 0..4*tw + 1: s[q] = v0_q + (v2_q one tile
// back), s[2+q] = v1_q - v0_q - v2_q, transposed back into columns, and column 4*tw + q = the last v2_q.
static inline __attribute__((always_inline)) void column_adjoint_sse(float *t, int tw, const float *v0,
                                                                     const float *v1, const float *v2,
                                                                     long q_stride) {
  __m128 a0, a1, a2, b0, b1, b2;
  if (tw == 4) {
    a0 = _mm_loadu_ps(v0); a1 = _mm_loadu_ps(v1); a2 = _mm_loadu_ps(v2);
    b0 = _mm_loadu_ps(v0 + q_stride); b1 = _mm_loadu_ps(v1 + q_stride); b2 = _mm_loadu_ps(v2 + q_stride);
  } else {
    a0 = _mm_castpd_ps(_mm_load_sd((const double *)v0)); a1 = _mm_castpd_ps(_mm_load_sd((const double *)v1));
    a2 = _mm_castpd_ps(_mm_load_sd((const double *)v2));
    b0 = _mm_castpd_ps(_mm_load_sd((const double *)(v0 + q_stride)));
    b1 = _mm_castpd_ps(_mm_load_sd((const double *)(v1 + q_stride)));
    b2 = _mm_castpd_ps(_mm_load_sd((const double *)(v2 + q_stride)));
  }
  __m128 s0 = _mm_add_ps(a0, _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(a2), 4)));
  __m128 s1 = _mm_add_ps(b0, _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(b2), 4)));
  __m128 s2 = _mm_sub_ps(_mm_sub_ps(a1, a0), a2), s3 = _mm_sub_ps(_mm_sub_ps(b1, b0), b2);
  _MM_TRANSPOSE4_PS(s0, s1, s2, s3);  // row tx = columns 4tx..4tx+3
  _mm_storeu_ps(t, s0);
  _mm_storeu_ps(t + 4, s1);
  if (tw == 4) {
    _mm_storeu_ps(t + 8, s2);
    _mm_storeu_ps(t + 12, s3);
  }
  t[4 * tw] = v2[tw - 1];
  t[4 * tw + 1] = v2[q_stride + tw - 1];
}
#endif

// The input transform of one channel plane [h, w] into v at (plane e = xi*3+nu, row c4 + p*2 + q):
// tile (ty, tx) reads image rows 4ty - 1 + rho and columns 4tx - 1 + sigma, rho, sigma in 0..<6, where
// rho = 2i + p picks phase p's tile row i. In one dimension the six values e[rho] give, for each phase p,
// (e[p] - e[2+p], e[2+p], e[4+p] - e[2+p]): first along the rows for a whole tile row, then along the
// columns. The rows above and below the image read `zero` (w zeros), and the padding columns of `rows`
// stay zero.
static inline __attribute__((always_inline)) void input_plane(const float *restrict z, int h, int w,
                                                              float *restrict v, long plane_stride, long ldv, int c4,
                                                              const float *restrict zero,
                                                              float *restrict rows /* [6][w + 2] */) {
  const int th = h / 4, tw = w / 4, wp = w + 2;
  for (int ty = 0; ty < th; ty++) {
    for (int p = 0; p < 2; p++) {
      const int y = 4 * ty - 1 + p;  // image rows y, y + 2, y + 4
      const float *a = y >= 0 ? z + (long)y * w : zero, *b = z + (long)(y + 2) * w;
      const float *c = y + 4 < h ? z + (long)(y + 4) * w : zero;
      float *t0 = rows + (0 * 2 + p) * wp + 1, *t1 = rows + (1 * 2 + p) * wp + 1, *t2 = rows + (2 * 2 + p) * wp + 1;
      for (int x = 0; x < w; x++) {
        t0[x] = a[x] - b[x];
        t1[x] = b[x];
        t2[x] = c[x] - b[x];
      }
    }
    for (int k = 0; k < 6; k++) {
      const float *t = rows + k * wp;  // t[sigma'] for padded column sigma' = image column + 1
      const int xi = k / 2, p = k % 2;
#if defined(__SSE2__)
      if (tw == 2 || tw == 4) {
        float *v0 = v + (long)(xi * 3 + 0) * plane_stride + (long)(c4 + p * 2) * ldv + ty * tw;
        column_pass_sse(t, tw, v0, v0 + plane_stride, v0 + 2 * plane_stride, ldv);
        continue;
      }
#endif
      for (int q = 0; q < 2; q++) {
        float *v0 = v + (long)(xi * 3 + 0) * plane_stride + (long)(c4 + p * 2 + q) * ldv + ty * tw;
        float *v1 = v0 + plane_stride, *v2 = v0 + 2 * plane_stride;
        for (int tx = 0; tx < tw; tx++) {
          float a = t[4 * tx + q], b = t[4 * tx + 2 + q], c = t[4 * tx + 4 + q];
          v0[tx] = a - b;
          v1[tx] = b;
          v2[tx] = c - b;
        }
      }
    }
  }
}

void lam_wino_input(const float *z, long z_stride, int images, int channels, int h, int w, float *v,
                    long plane_stride, long ldv) {
  float rows[6 * (w + 2) + 16], zero[w];  // rows: column_pass_sse reads 20 floats of each
  memset(rows, 0, sizeof rows);  // the padding columns stay zero
  memset(zero, 0, sizeof zero);
  const int t = (h / 4) * (w / 4);
  // Channel by channel, the images inner: V's rows of a channel then fill whole cache lines, image after
  // image, while they are in L1 (image by image, each image wrote a few floats into every row of V, and
  // every such line was read back from memory before it was written).
#define INPUT_LOOP(H, W) \
  for (int c = 0; c < channels; c++) \
    for (int i = 0; i < images; i++) \
      input_plane(z + i * z_stride + (long)c * (H) * (W), H, W, v + (long)i * t, plane_stride, ldv, 4 * c, zero, rows);
  // the sizes of a 32 x 32 network as constants, so that its short loops unroll
  if (h == 8 && w == 8) { INPUT_LOOP(8, 8) }
  else if (h == 16 && w == 16) { INPUT_LOOP(16, 16) }
  else { INPUT_LOOP(h, w) }
#undef INPUT_LOOP
}

// The adjoint of input_plane, written over dz: in one dimension (f0, f1, f2) of phase p goes back as
// e[p] += f0, e[2+p] += f1 - f0 - f2, e[4+p] += f2; what falls on the padding is dropped.
static inline __attribute__((always_inline)) void input_plane_adjoint(const float *restrict dv, long plane_stride,
                                                                      long ldv, int c4, int h, int w,
                                                                      float *restrict dz,
                                                                      float *restrict rows /* [6][w + 2] */) {
  const int th = h / 4, tw = w / 4, wp = w + 2;
  memset(dz, 0, sizeof(float) * h * w);
  for (int ty = 0; ty < th; ty++) {
    for (int k = 0; k < 6; k++) {
      float *t = rows + k * wp;
      const int xi = k / 2, p = k % 2;
#if defined(__SSE2__)
      if (tw == 2 || tw == 4) {
        const float *v0 = dv + (long)(xi * 3 + 0) * plane_stride + (long)(c4 + p * 2) * ldv + ty * tw;
        column_adjoint_sse(t, tw, v0, v0 + plane_stride, v0 + 2 * plane_stride, ldv);
        continue;
      }
#endif
      for (int q = 0; q < 2; q++) {
        const float *v0 = dv + (long)(xi * 3 + 0) * plane_stride + (long)(c4 + p * 2 + q) * ldv + ty * tw;
        const float *v1 = v0 + plane_stride, *v2 = v0 + 2 * plane_stride;
        for (int tx = 0; tx < tw; tx++) {  // columns 4tx + q + 2j of one tile, none shared with another's
          t[4 * tx + q] = v0[tx];
          t[4 * tx + 2 + q] = v1[tx] - v0[tx] - v2[tx];
        }
        // column 4tx + 4 + q is also column 4(tx + 1) + q of the next tile
        for (int tx = 0; tx + 1 < tw; tx++) t[4 * tx + 4 + q] += v2[tx];
        t[4 * tw + q] = v2[tw - 1];
      }
    }
    for (int p = 0; p < 2; p++) {
      const int y = 4 * ty - 1 + p;  // image rows y, y + 2, y + 4
      const float *t0 = rows + (0 * 2 + p) * wp + 1, *t1 = rows + (1 * 2 + p) * wp + 1;
      const float *t2 = rows + (2 * 2 + p) * wp + 1;
      float *b = dz + (long)(y + 2) * w;
      for (int x = 0; x < w; x++) b[x] += t1[x] - t0[x] - t2[x];
      if (y >= 0) {
        float *a = dz + (long)y * w;
        for (int x = 0; x < w; x++) a[x] += t0[x];
      }
      if (y + 4 < h) {
        float *c = dz + (long)(y + 4) * w;
        for (int x = 0; x < w; x++) c[x] += t2[x];
      }
    }
  }
}

void lam_wino_input_adjoint(const float *dv, long plane_stride, long ldv, int images, int channels, int h, int w,
                            float *dz, long z_stride) {
  float rows[6 * (w + 2)];
  const int t = (h / 4) * (w / 4);
#define ADJOINT_LOOP(H, W) \
  for (int c = 0; c < channels; c++) \
    for (int i = 0; i < images; i++) \
      input_plane_adjoint(dv + (long)i * t, plane_stride, ldv, 4 * c, H, W, dz + i * z_stride + (long)c * (H) * (W), \
                          rows);
  if (h == 8 && w == 8) { ADJOINT_LOOP(8, 8) }
  else if (h == 16 && w == 16) { ADJOINT_LOOP(16, 16) }
  else { ADJOINT_LOOP(h, w) }
#undef ADJOINT_LOOP
}

// y[2ty + r][2tx + s] = sum over xi, nu of A^T[r][xi] A^T[s][nu] m[xi*3+nu], A^T = [1 1 0; 0 1 1], then the
// bias and max(0, y).
static inline __attribute__((always_inline)) void output_images(
    const float *restrict m, long plane_stride, long ldm, int images, int channels, int oh, int ow,
    const float *restrict bias, int relu, float *restrict y, long y_stride) {
  const int th = oh / 2, tw = ow / 2, t = th * tw;
  for (int o = 0; o < channels; o++)  // channel by channel, as lam_wino_input
    for (int i = 0; i < images; i++) {
      const float b = bias ? bias[o] : 0.0f;
      const float *m0 = m + (long)i * t + (long)o * ldm;
      float *plane = y + i * y_stride + (long)o * oh * ow;
      for (int ty = 0; ty < th; ty++) {
        float *y0 = plane + (long)(2 * ty) * ow, *y1 = y0 + ow;
#if defined(__SSE2__)
        if (tw == 2 || tw == 4) {  // lane tx of each vector is tile tx
          const float *e = m0 + ty * tw;
          __m128 v[9];
          for (int k = 0; k < 9; k++)
            v[k] = tw == 4 ? _mm_loadu_ps(e + k * plane_stride)
                           : _mm_castpd_ps(_mm_load_sd((const double *)(e + k * plane_stride)));
          __m128 a00 = _mm_add_ps(v[0], v[1]), a01 = _mm_add_ps(v[1], v[2]);
          __m128 a10 = _mm_add_ps(v[3], v[4]), a11 = _mm_add_ps(v[4], v[5]);
          __m128 a20 = _mm_add_ps(v[6], v[7]), a21 = _mm_add_ps(v[7], v[8]);
          __m128 bb = _mm_set1_ps(b);
          __m128 r00 = _mm_add_ps(_mm_add_ps(a00, a10), bb), r01 = _mm_add_ps(_mm_add_ps(a01, a11), bb);
          __m128 r10 = _mm_add_ps(_mm_add_ps(a10, a20), bb), r11 = _mm_add_ps(_mm_add_ps(a11, a21), bb);
          if (relu) {
            __m128 zero = _mm_setzero_ps();
            r00 = _mm_max_ps(r00, zero); r01 = _mm_max_ps(r01, zero);
            r10 = _mm_max_ps(r10, zero); r11 = _mm_max_ps(r11, zero);
          }
          _mm_storeu_ps(y0, _mm_unpacklo_ps(r00, r01));
          _mm_storeu_ps(y1, _mm_unpacklo_ps(r10, r11));
          if (tw == 4) {
            _mm_storeu_ps(y0 + 4, _mm_unpackhi_ps(r00, r01));
            _mm_storeu_ps(y1 + 4, _mm_unpackhi_ps(r10, r11));
          }
          continue;
        }
#endif
        for (int tx = 0; tx < tw; tx++) {
          const float *e = m0 + ty * tw + tx;
          float v[9];
          for (int k = 0; k < 9; k++) v[k] = e[k * plane_stride];
          // along nu, for each xi: (v0 + v1, v1 + v2); then along xi
          float a00 = v[0] + v[1], a01 = v[1] + v[2];
          float a10 = v[3] + v[4], a11 = v[4] + v[5];
          float a20 = v[6] + v[7], a21 = v[7] + v[8];
          float r00 = a00 + a10 + b, r01 = a01 + a11 + b, r10 = a10 + a20 + b, r11 = a11 + a21 + b;
          if (relu) {
            r00 = r00 > 0 ? r00 : 0; r01 = r01 > 0 ? r01 : 0;
            r10 = r10 > 0 ? r10 : 0; r11 = r11 > 0 ? r11 : 0;
          }
          y0[2 * tx] = r00; y0[2 * tx + 1] = r01;
          y1[2 * tx] = r10; y1[2 * tx + 1] = r11;
        }
      }
    }
}

// The adjoint of lam_wino_output without its bias and ReLU: in one dimension (d0, d1) goes back as
// (d0, d0 + d1, d1).
static inline __attribute__((always_inline)) void output_adjoint_images(
    const float *restrict dy, long y_stride, int images, int channels, int oh, int ow, float *restrict dm,
    long plane_stride, long ldm) {
  const int th = oh / 2, tw = ow / 2, t = th * tw;
  for (int o = 0; o < channels; o++)  // channel by channel, as lam_wino_input
    for (int i = 0; i < images; i++) {
      float *m0 = dm + (long)i * t + (long)o * ldm;
      const float *plane = dy + i * y_stride + (long)o * oh * ow;
      for (int ty = 0; ty < th; ty++) {
        const float *y0 = plane + (long)(2 * ty) * ow, *y1 = y0 + ow;
#if defined(__SSE2__)
        if (tw == 2 || tw == 4) {  // even and odd columns apart: lane tx of each vector is tile tx
          __m128 l0 = _mm_loadu_ps(y0), l1 = _mm_loadu_ps(y1);
          __m128 h0 = tw == 4 ? _mm_loadu_ps(y0 + 4) : l0, h1 = tw == 4 ? _mm_loadu_ps(y1 + 4) : l1;
          __m128 d00 = _mm_shuffle_ps(l0, h0, _MM_SHUFFLE(2, 0, 2, 0)), d01 = _mm_shuffle_ps(l0, h0, _MM_SHUFFLE(3, 1, 3, 1));
          __m128 d10 = _mm_shuffle_ps(l1, h1, _MM_SHUFFLE(2, 0, 2, 0)), d11 = _mm_shuffle_ps(l1, h1, _MM_SHUFFLE(3, 1, 3, 1));
          __m128 b0[3] = {d00, _mm_add_ps(d00, d01), d01}, b1[3] = {d10, _mm_add_ps(d10, d11), d11};
          float *e = m0 + ty * tw;
          for (int nu = 0; nu < 3; nu++) {
            __m128 r[3] = {b0[nu], _mm_add_ps(b0[nu], b1[nu]), b1[nu]};
            for (int xi = 0; xi < 3; xi++) {
              float *dst = e + (xi * 3 + nu) * plane_stride;
              if (tw == 4) _mm_storeu_ps(dst, r[xi]);
              else _mm_storel_pi((__m64 *)dst, r[xi]);
            }
          }
          continue;
        }
#endif
        for (int tx = 0; tx < tw; tx++) {
          float d00 = y0[2 * tx], d01 = y0[2 * tx + 1], d10 = y1[2 * tx], d11 = y1[2 * tx + 1];
          float b0[3] = {d00, d00 + d01, d01}, b1[3] = {d10, d10 + d11, d11};
          float *e = m0 + ty * tw + tx;
          for (int nu = 0; nu < 3; nu++) {
            e[(0 * 3 + nu) * plane_stride] = b0[nu];
            e[(1 * 3 + nu) * plane_stride] = b0[nu] + b1[nu];
            e[(2 * 3 + nu) * plane_stride] = b1[nu];
          }
        }
      }
    }
}

void lam_wino_output(const float *m, long plane_stride, long ldm, int images, int channels, int oh, int ow,
                     const float *bias, int relu, float *y, long y_stride) {
  if (oh == 4 && ow == 4) output_images(m, plane_stride, ldm, images, channels, 4, 4, bias, relu, y, y_stride);
  else if (oh == 8 && ow == 8) output_images(m, plane_stride, ldm, images, channels, 8, 8, bias, relu, y, y_stride);
  else output_images(m, plane_stride, ldm, images, channels, oh, ow, bias, relu, y, y_stride);
}

void lam_wino_output_adjoint(const float *dy, long y_stride, int images, int channels, int oh, int ow, float *dm,
                             long plane_stride, long ldm) {
  if (oh == 4 && ow == 4) output_adjoint_images(dy, y_stride, images, channels, 4, 4, dm, plane_stride, ldm);
  else if (oh == 8 && ow == 8) output_adjoint_images(dy, y_stride, images, channels, 8, 8, dm, plane_stride, ldm);
  else output_adjoint_images(dy, y_stride, images, channels, oh, ow, dm, plane_stride, ldm);
}

// u[xi*3+nu][o][c*4 + p*2 + q] = (G g G^T)[xi][nu] for g[a][b] = w[o][c][2a + p][2b + q], rows first..<end.
void lam_wino_weight(const float *w, int out, int in, int first, int end, float *u) {
  const long cp = 4L * in, plane = (long)out * cp;
  for (int o = first; o < end; o++)
    for (int c = 0; c < in; c++) {
      const float *k = w + ((long)o * in + c) * 16;
      for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++) {
          float g00 = k[p * 4 + q], g01 = k[p * 4 + 2 + q], g10 = k[(2 + p) * 4 + q], g11 = k[(2 + p) * 4 + 2 + q];
          float h0[3] = {g00, g00 + g01, g01}, h1[3] = {g10, g10 + g11, g11};
          float *e = u + (long)o * cp + c * 4 + p * 2 + q;
          for (int nu = 0; nu < 3; nu++) {
            e[(0 * 3 + nu) * plane] = h0[nu];
            e[(1 * 3 + nu) * plane] = h0[nu] + h1[nu];
            e[(2 * 3 + nu) * plane] = h1[nu];
          }
        }
    }
}

// The adjoint of lam_wino_weight, written over dw: in one dimension (u0, u1, u2) goes back as (u0 + u1, u1 + u2).
void lam_wino_weight_adjoint(const float *du, int out, int in, float *dw) {
  const long cp = 4L * in, plane = (long)out * cp;
  for (int o = 0; o < out; o++)
    for (int c = 0; c < in; c++) {
      float *k = dw + ((long)o * in + c) * 16;
      for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++) {
          const float *e = du + (long)o * cp + c * 4 + p * 2 + q;
          float v[9];
          for (int j = 0; j < 9; j++) v[j] = e[j * plane];
          float h0 = v[0] + v[1], h1 = v[1] + v[2];  // xi = 0
          float i0 = v[3] + v[4], i1 = v[4] + v[5];  // xi = 1
          float j0 = v[6] + v[7], j1 = v[7] + v[8];  // xi = 2
          k[p * 4 + q] = h0 + i0;
          k[p * 4 + 2 + q] = h1 + i1;
          k[(2 + p) * 4 + q] = i0 + j0;
          k[(2 + p) * 4 + 2 + q] = i1 + j1;
        }
    }
}
