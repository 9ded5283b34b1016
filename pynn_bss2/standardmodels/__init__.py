"""PyNN standard cell and synapse types that the emulated chip realises."""
