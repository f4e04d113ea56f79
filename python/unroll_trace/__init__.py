"""unroll_trace: record a PyTorch recurrent layer's gradient flow while it trains, for Unroll to replay.

    tracer = unroll_trace.watch(model.lstm, "runs/exp1.unroll-trace", every=100, sequences=4)

See python/README.md and docs/TRACE-FORMAT.md in the Unroll repository.
"""

from . import safetensors
from .tracer import FORMAT, Tracer, find_layer, watch

__version__ = "0.1.0"
__all__ = ["FORMAT", "Tracer", "find_layer", "safetensors", "watch", "__version__"]
