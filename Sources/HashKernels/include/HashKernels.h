#ifndef LAM_HASH_KERNELS_H
#define LAM_HASH_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the x86 SHA extensions (and the SSSE3/SSE4.1 the kernel also uses), else 0.
int lam_sha256_hardware(void);

/// Compresses `blocks` consecutive 64-byte blocks at `data` into the SHA-256 state H0..H7 (host order), with
/// the SHA instructions. Call only when lam_sha256_hardware() returned 1.
void lam_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
