"""`python -m analysis run`: the notebook chain under papermill, for a schedule or by hand."""
