"""The case-work models, one module per record kind."""
