// Precompiled header for targets with several LibTorch translation units.
#pragma once
#include <torch/torch.h>
