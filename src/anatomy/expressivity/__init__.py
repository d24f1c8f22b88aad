"""What attention can express (Layer A): PARITY, RASP, sensitivity, rank collapse, Lipschitz,
Hopfield."""
