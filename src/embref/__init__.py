"""embref: a small NumPy reference implementation of the Keras Embedding layer.

Every function here is checked against real Keras/TensorFlow by the course's
test suite, and the graded homework checks student code against it.

Modules (each readable in one sitting):
    checks  - input validation shared by all modules, with clear errors
    views   - one-hot x dense matrix versus gather, and their costs
"""

from embref.checks import check_dim, check_indices, check_table
from embref.views import dense_view, gather_view, one_hot, view_costs

__all__ = [
    "check_dim",
    "check_indices",
    "check_table",
    "dense_view",
    "gather_view",
    "one_hot",
    "view_costs",
]
