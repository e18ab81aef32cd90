// Placeholder: replaced by the real implementation.
#include "ctorch.h"
