"""Protocol front ends of the simulator, one module per venue."""
