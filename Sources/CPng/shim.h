#ifndef CPNG_SHIM_H
#define CPNG_SHIM_H
#include <png.h>

/* libpng's simplified-API constants are macros built from other macros; Swift sees these. */
static const png_uint_32 cpng_image_version = PNG_IMAGE_VERSION;
static const png_uint_32 cpng_format_rgb = PNG_FORMAT_RGB;
#endif
