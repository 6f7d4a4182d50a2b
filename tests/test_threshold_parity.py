"""``threshold=`` reproduces the cut-off of ``torch.nn.Softplus`` bit for bit.

PyTorch returns ``x`` itself where ``beta * x > threshold``, with the product
rounded in the tensor's dtype (float32 for float16 tensors).  softlearn must
cut at exactly the same inputs, and return the same ``x`` there.  Below the
cut both compute the formula; there softlearn is exact (tests/test_accuracy.py)
and may differ from PyTorch in the last bit.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import softlearn as sl
from softlearn.inputs import neighbours


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize(
    ("beta", "threshold"), [(1.0, 20.0), (10.0, 0.4), (0.3, 7.0), (3.0, -2.0), (1.0, 0.1)]
)
def test_cut_matches_torch(dtype, beta, threshold):
    x = np.concatenate([neighbours(threshold / beta, dtype, 300), np.linspace(-5, 30, 500)])
    x = x.astype(dtype)
    theirs = torch.nn.functional.softplus(torch.from_numpy(x), beta, threshold).numpy()
    ours = sl.softplus(x, beta=beta, threshold=threshold)

    opmath = torch.float32 if dtype == np.float16 else torch.from_numpy(x).dtype
    cut = (torch.from_numpy(x).to(opmath) * beta > threshold).numpy()
    assert cut.any() and (~cut).any(), "the grid must straddle the cut"
    # PyTorch's linear branch is where we think it is ...
    assert np.array_equal(theirs[cut], x[cut])
    # ... and softlearn takes it at exactly the same inputs.
    assert np.array_equal(ours[cut], theirs[cut])
    assert np.array_equal(ours[~cut], sl.softplus(x[~cut], beta=beta))
    # Just below the cut, both compute the formula, which is not x there.
    below = x[~cut].max()
    if sl.softplus(below, beta=beta) != below:
        i = np.flatnonzero(x == below)[0]
        assert theirs[i] != x[i] and ours[i] != x[i]


def test_torch_threshold_error_at_20_in_float64():
    """The cut at 20 costs PyTorch ~6e5 ULP in float64; threshold=None costs nothing."""
    x = np.nextafter(20.0, 21.0)
    theirs = torch.nn.functional.softplus(torch.tensor([x], dtype=torch.float64)).item()
    exact = x + np.exp(-x)  # log1p(e^-x) = e^-x to 1e-18 relative here
    assert theirs == x
    ulps = (exact - theirs) / np.spacing(x)
    assert ulps > 5e5
    assert sl.softplus(x) == pytest.approx(exact, rel=0, abs=np.spacing(x))
    assert sl.softplus(x, threshold=20.0) == theirs
