"""What softmax constrains (Layer A): sharpness against n, the target weight against its gap,
structural properties."""
