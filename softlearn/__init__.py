"""softlearn: Softsign and Softplus, exact to 1 ULP, with NumPy alone.

The functions, their derivatives and the comparison functions live in
:mod:`softlearn.functions`; :func:`get` gives each activation's record.
PyTorch, TensorFlow and matplotlib are imported only by the sub-modules that
need them.
"""

from softlearn._arrays import EXTENDED_FLOAT64
from softlearn.functions import (
    relu,
    relu_grad,
    sigmoid,
    softplus,
    softplus_grad,
    softplus_inverse,
    softsign,
    softsign_grad,
    tanh,
    tanh_grad,
)
from softlearn.registry import ACTIVATIONS, Activation, get

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "EXTENDED_FLOAT64",
    "Activation",
    "__version__",
    "get",
    "relu",
    "relu_grad",
    "sigmoid",
    "softplus",
    "softplus_grad",
    "softplus_inverse",
    "softsign",
    "softsign_grad",
    "tanh",
    "tanh_grad",
]
