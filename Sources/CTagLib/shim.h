#ifndef CTagLib_SHIM_H
#define CTagLib_SHIM_H
#include <tag_c.h>
#endif
