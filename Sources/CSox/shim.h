#ifndef CSox_SHIM_H
#define CSox_SHIM_H
#include <sox.h>
#endif
