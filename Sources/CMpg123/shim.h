#ifndef CMpg123_SHIM_H
#define CMpg123_SHIM_H
#include <mpg123.h>
#endif
