"""Everything that touches PyMC, PyTensor or nutpie: the model (``model``), the marginal
likelihood as a PyTensor Op (``marginal_op``), compilation for nutpie (``compile``), sampler
dispatch (``sample``), and the private hooks into those libraries (``compat``). It receives arrays
(:class:`pandas_hier.design.ModelData`) and returns draws; nothing outside it imports PyMC.

Importing this package imports nothing heavy; its modules do.
"""
