#ifndef LAM_CPNG_SHIM_H
#define LAM_CPNG_SHIM_H
#include <png.h>
#endif
